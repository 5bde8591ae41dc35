"""Fit the relevance model and choose the refusal threshold on the gold questions.

    python -m evals.calibrate [--out assistant/calibration.json]

Per retrieved clause, the label is whether it is one of the question's gold clauses
(every clause of an out-of-scope question is a negative). A logistic regression on the
clause features gives the calibrated relevance. The threshold is then chosen on whole
questions: a question is answered when its best clause reaches it. Among the
thresholds with the highest refusal accuracy, the midpoint of the widest gap between
neighbouring top scores is taken, so small shifts in scores do not flip decisions.
"""

from __future__ import annotations

import argparse
import math
from importlib import resources
from pathlib import Path

import numpy as np

from assistant.relevance import FEATURE_KEYS, FEATURES, RelevanceModel
from evals.runner import EvalQuestion, parse_gold

GOLD_FILE = "gold.yaml"


def load_gold(path: Path | None = None) -> list[EvalQuestion]:
    """The calibration questions (`gold.yaml`); the held-out file is never fitted on."""
    text = Path(path).read_text("utf-8") if path else resources.files("evals").joinpath(GOLD_FILE).read_text("utf-8")
    return parse_gold(text, "calibration")


def calibrate(assistant, gold: list[EvalQuestion]) -> RelevanceModel:
    """A relevance model fitted on `gold` through `assistant`'s own retrieval."""
    from sklearn.linear_model import LogisticRegression

    rows, labels, per_question = [], [], []
    for item in gold:
        retrieval = assistant.retrieve(item.question, item.region)
        if not retrieval.hits:  # refused by region scope before any scoring
            per_question.append((item, None))
            continue
        features = []
        for hit in retrieval.hits:
            x = tuple(hit.scores[key] for key in FEATURE_KEYS)
            features.append(x)
            rows.append(x)
            labels.append(int(hit.clause.clause_id in item.clauses))
        per_question.append((item, features))
    # Standardize so the penalty treats the narrow cosine range like the others, then
    # fold the scaling back into plain weights on the raw features.
    x = np.asarray(rows, dtype=float)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    fit = LogisticRegression(C=1.0, max_iter=1000).fit((x - mean) / std, labels)
    weights = tuple(float(w) for w in fit.coef_[0] / std)
    intercept = float(fit.intercept_[0] - np.sum(fit.coef_[0] * mean / std))
    draft = RelevanceModel(weights, intercept, 0.5)
    scored = [
        (item, max(draft.probability(x) for x in features) if features else None) for item, features in per_question
    ]
    threshold, _, margin = _choose_threshold([(s, item.refuse) for item, s in scored if s is not None])
    # A question with no hits at all (region scope) is refused whatever the threshold.
    correct = sum(1 for item, s in scored if (s is None or s < threshold) == item.refuse)
    decided = sum(1 for item, s in scored if s is None and item.refuse)
    total = len(gold)
    details = {
        "features": list(FEATURES),
        "questions": total,
        "answerable": sum(1 for g in gold if not g.refuse),
        "out_of_scope": sum(1 for g in gold if g.refuse),
        "refused_by_region_scope": decided,
        "clause_samples": len(rows),
        "refusal_accuracy": round(correct / total, 4),
        "threshold_margin": round(margin, 4),
        "method": "logistic regression on per-clause features; threshold = midpoint of the widest gap "
        "among thresholds with the best refusal accuracy on the gold questions",
    }
    return RelevanceModel(weights, intercept, threshold, details)


def _choose_threshold(points: list[tuple[float, bool]]) -> tuple[float, float, float]:
    """(threshold, accuracy, gap) over (top score, should refuse) pairs."""
    values = sorted({s for s, _ in points})
    candidates = [0.0] + [(a + b) / 2 for a, b in zip(values, values[1:])] + [1.0]
    best: list[tuple[float, float, float]] = []
    for i, t in enumerate(candidates):
        accuracy = sum(1 for s, refuse in points if (s < t) == refuse) / len(points)
        low = values[i - 1] if 0 < i <= len(values) else 0.0
        high = values[i] if i < len(values) else 1.0
        best.append((accuracy, high - low, t))
    top = max(a for a, _, _ in best)
    accuracy, gap, threshold = max((b for b in best if b[0] == top), key=lambda b: b[1])
    threshold = min(max(threshold, 0.01), 0.99)
    return threshold, accuracy, gap


def main() -> None:
    from assistant.config import Settings
    from assistant.service import Assistant

    parser = argparse.ArgumentParser(description="校准相关度模型与拒答阈值")
    parser.add_argument("--out", type=Path, default=Path(str(resources.files("assistant").joinpath("calibration.json"))))
    parser.add_argument("--gold", type=Path, default=None)
    parser.add_argument("--verbose", action="store_true", help="列出每道题的最高相关度")
    args = parser.parse_args()
    from assistant.conversation import ConversationStore
    from knowledge.index import KnowledgeBase

    settings = Settings()
    kb = KnowledgeBase.open(settings.knowledge_config())
    # The features do not depend on the model; any weights will do while fitting.
    placeholder = RelevanceModel((0.0,) * len(FEATURES), 0.0, 0.5)
    assistant = Assistant(settings, kb, ConversationStore("sqlite://"), relevance=placeholder)
    model = calibrate(assistant, load_gold(args.gold))
    model.save(args.out)
    if args.verbose:
        for item in load_gold(args.gold):
            retrieval = Assistant(settings, kb, ConversationStore("sqlite://"), relevance=model).retrieve(item.question)
            print(f"{retrieval.top_relevance:.3f} {'REFUSE' if item.refuse else 'answer'} {item.id}")
    print(f"weights={model.weights} intercept={model.intercept:.3f} threshold={model.threshold:.3f}")
    print(f"details={model.details}")
    if not math.isfinite(model.intercept):
        raise SystemExit("calibration failed")


if __name__ == "__main__":
    main()
