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
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from knowledge.models import ClauseHit

FEATURES = (
    "dense", "dense_gap", "coverage", "bigrams", "bm25_share", "states_fact", "body_coverage", "sentence_coverage",
    "sentence_states_fact", "bigram_lead",
)
FEATURE_KEYS = (
    "cosine", "cosine_gap", "coverage", "bigram_coverage", "bm25_share", "states_fact", "body_coverage",
    "sentence_coverage", "sentence_states_fact", "bigram_lead",
)
"""Where a scored hit keeps its features in `ClauseHit.scores` (for calibration and the console)."""


@dataclass(frozen=True)
class QuestionEvidence:
    """What every clause of one question is measured against: the question's content
    words (places left out: scope handles them) with IDF weights and synonyms, its
    content characters, and its own score distribution."""

    tokens: tuple[str, ...]
    weights: tuple[float, ...]
    variants: tuple[tuple[str, ...], ...]
    characters: str
    dense_median: float
    bm25_max: float
    fact_patterns: tuple[re.Pattern[str], ...] = ()
    """How the kind of fact asked for looks in a clause (an amount, a ratio, a date…)."""


@dataclass(frozen=True)
class RelevanceModel:
    """相关度模型：逻辑回归系数与拒答阈值。

    Example:
        >>> model = RelevanceModel(weights=(10.0, 5.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0), intercept=-12.05, threshold=0.5)
        >>> round(model.probability((0.9, 0.05, 0.8, 0.5, 0.5, 1.0, 0.5, 0.5, 1.0, 0.2)), 3)
        0.5
    """

    weights: tuple[float, ...]
    intercept: float
    threshold: float
    """顶部条款的相关度低于此值即不直接作答。"""
    related_threshold: float | None = None
    """不足以作答、但达到此值时，以“可能相关的条款”呈现；低于此值才拒答（未设则等于 threshold）。"""
    details: dict | None = None
    """校准记录：样本数、所选阈值上的准确率等。"""

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"need {len(FEATURES)} weights {FEATURES}, got {len(self.weights)}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")
        if self.related_threshold is not None and not 0.0 < self.related_threshold <= self.threshold:
            raise ValueError(f"related_threshold must be in (0, threshold], got {self.related_threshold}")

    @property
    def related_floor(self) -> float:
        return self.threshold if self.related_threshold is None else self.related_threshold

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
        related = data.get("related_threshold")
        return cls(
            tuple(data["weights"]), float(data["intercept"]), float(data["threshold"]),
            related_threshold=float(related) if related is not None else None, details=data.get("details"),
        )

    def save(self, path: Path) -> None:
        data = {
            "features": list(FEATURES), "weights": list(self.weights), "intercept": self.intercept,
            "threshold": self.threshold, "related_threshold": self.related_threshold, "details": self.details or {},
        }
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")


_SENTENCE_END = re.compile(r"[。；;！!？?\n]")


def question_features(hits: list[ClauseHit], evidence: QuestionEvidence) -> list[tuple[float, ...]]:
    """The features of each of one question's hits: `hit_features`, then how far the
    hit's share of the question's character pairs stands above the best of the others —
    the clause that says it stands out among the question's own candidates, however
    loosely the question is worded (pairs survive colloquial words and typos).
    """
    rows = [hit_features(hit, evidence) for hit in hits]
    return [row + (lead,) for row, lead in zip(rows, leads([row[3] for row in rows]))]


def leads(coverages: list[float]) -> list[float]:
    """Each coverage minus the best of the others (the coverage itself when alone).

    Example:
        >>> [round(lead, 2) for lead in leads([0.35, 0.17, 0.12])]
        [0.18, -0.18, -0.23]
    """
    if len(coverages) < 2:
        return list(coverages)
    first, second = sorted(coverages, reverse=True)[:2]
    return [c - (second if c == first else first) for c in coverages]


def hit_features(hit: ClauseHit, evidence: QuestionEvidence) -> tuple[float, ...]:
    """The relevance signals of one hit, each on a scale that does not depend on the
    corpus or on how the question is worded:

    - dense cosine, and its gap above the median cosine of this question's candidates;
    - IDF-weighted share of the question's content words found in the clause with its
      document title and heading trail, a word counting as found when a synonym is
      (给多少钱 ~ 奖励);
    - share of the question's content character pairs found (wording and typo tolerant);
    - BM25 as a share of the best BM25 score for this question;
    - whether the clause states the kind of fact asked for (an amount when the question
      asks how much), 1.0 when the question asks for no particular kind;
    - the same word coverage in the clause's own words only: the title lends its words to
      every clause of a document, so this tells the clause that says it from its siblings;
    - the coverage of the clause's best single sentence, and whether that sentence states
      the kind of fact asked for: an answer is one sentence that names the subject and
      gives the figure, not a subject in one place and some figure in another.

    The cosine is the dense search's, or `scores["dense_exact"]` for a clause only BM25
    found (the retriever looks it up).
    """
    dense = hit.scores.get("dense", hit.scores.get("dense_exact"))
    if dense is None:
        # No stored vector to measure (a document swapped in a moment ago): unknown is
        # not dissimilar, so the clause counts as typical of this question's candidates.
        dense = evidence.dense_median
    body = hit.clause.text.lower()
    text = f"{hit.document.title}\n{hit.clause.clause_path}\n{body}".lower()
    coverage = _coverage(text, evidence)
    pairs = {evidence.characters[i:i + 2] for i in range(len(evidence.characters) - 1)}
    bigrams = sum(1 for pair in pairs if pair in text) / len(pairs) if pairs else 0.0
    bm25 = hit.scores.get("bm25", 0.0)
    share = bm25 / evidence.bm25_max if evidence.bm25_max > 0 else 0.0
    states = 1.0 if _states_fact(hit.clause.text, evidence) else 0.0
    sentences = [s for s in _SENTENCE_END.split(body) if s.strip()] or [body]
    best_coverage, best_sentence = max((_coverage(s, evidence), s) for s in sentences)
    sentence_states = 1.0 if _states_fact(best_sentence, evidence) else 0.0
    return (
        dense, dense - evidence.dense_median, coverage, bigrams, share, states, _coverage(body, evidence),
        best_coverage, sentence_states,
    )


def _coverage(text: str, evidence: QuestionEvidence) -> float:
    """IDF-weighted share of the question's content words (or their synonyms) in `text`."""
    total = sum(evidence.weights)
    if total <= 0:
        return 0.0
    covered = sum(
        w for token, w, others in zip(evidence.tokens, evidence.weights, evidence.variants)
        if token in text or any(other in text for other in others)
    )
    return covered / total


def _states_fact(text: str, evidence: QuestionEvidence) -> bool:
    return not evidence.fact_patterns or any(p.search(text) for p in evidence.fact_patterns)
