"""A calibrated relevance score per retrieved clause: the probability that the clause
answers the question, from a logistic model fitted on the gold questions.

Fused RRF scores only rank; they say nothing about whether the best clause is any
good. The model reads three signals a help-desk reviewer would also look at — how
close the meanings are (dense cosine), how much of the question's rarer wording the
clause contains (IDF-weighted term coverage) and the BM25 score — and the refusal
threshold on its output is chosen on the same gold set (`python -m evals.calibrate`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from knowledge.models import ClauseHit

FEATURES = ("dense", "coverage", "bm25")
FEATURE_KEYS = ("cosine", "coverage", "bm25_log")
"""Where a scored hit keeps its features in `ClauseHit.scores` (for calibration and the console)."""


@dataclass(frozen=True)
class RelevanceModel:
    """相关度模型：逻辑回归系数与拒答阈值。

    Example:
        >>> model = RelevanceModel(weights=(10.0, 5.0, 1.0), intercept=-12.0, threshold=0.5)
        >>> round(model.probability((0.9, 0.8, 2.0)), 3)
        0.731
    """

    weights: tuple[float, ...]
    intercept: float
    threshold: float
    """顶部条款的相关度低于此值即拒答。"""
    details: dict | None = None
    """校准记录：样本数、所选阈值上的准确率等。"""

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"need {len(FEATURES)} weights {FEATURES}, got {len(self.weights)}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")

    def probability(self, features: tuple[float, ...]) -> float:
        z = self.intercept + sum(w * x for w, x in zip(self.weights, features))
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def load(cls, path: Path | None = None) -> RelevanceModel:
        """The shipped calibration (assistant/calibration.json) or the file at `path`."""
        if path is None:
            text = resources.files("assistant").joinpath("calibration.json").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        data = json.loads(text)
        return cls(tuple(data["weights"]), float(data["intercept"]), float(data["threshold"]), data.get("details"))

    def save(self, path: Path) -> None:
        data = {
            "features": list(FEATURES), "weights": list(self.weights), "intercept": self.intercept,
            "threshold": self.threshold, "details": self.details or {},
        }
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")


def hit_features(hit: ClauseHit, query_tokens: list[str], weights: list[float]) -> tuple[float, ...]:
    """(dense cosine, IDF-weighted coverage of the question's terms, log BM25) of one hit.

    The cosine is the dense search's, or `scores["dense_exact"]` for a clause only BM25
    found (the retriever looks it up).
    """
    dense = hit.scores.get("dense", hit.scores.get("dense_exact", 0.0))
    text = f"{hit.document.title}\n{hit.clause.clause_path}\n{hit.clause.text}".lower()
    total = sum(weights)
    covered = sum(w for token, w in zip(query_tokens, weights) if token in text)
    coverage = covered / total if total > 0 else 0.0
    bm25 = math.log1p(max(hit.scores.get("bm25", 0.0), 0.0))
    return (dense, coverage, bm25)
