"""Fit the relevance model and choose the refusal threshold on the gold questions.

    python -m evals.calibrate [--out assistant/calibration.json]

Per retrieved clause, the label is whether it is one of the question's gold clauses
(every clause of an out-of-scope question is a negative). The weights are learnt from
pairs inside each question (gold clause against the others retrieved with it), then
scaled to a calibrated probability by one logistic fit over every clause. The threshold is then chosen on whole
questions: a question is answered when its best clause reaches it. Among the
thresholds with the highest refusal accuracy, the midpoint of the widest gap between
neighbouring top scores is taken, so small shifts in scores do not flip decisions.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from assistant.answer.extractive import SUPPORT_SHARE
from assistant.questions import searchable
from assistant.relevance import FEATURE_KEYS, FEATURES, RelevanceModel
from assistant.service import states_the_figure_asked
from evals.runner import EvalQuestion, load_questions, parse_gold

RELATED_SHARE = 0.5
"""Share of the answer threshold above which the best clauses are shown as possibly related."""

def load_gold(path: Path | None = None) -> list[EvalQuestion]:
    """The calibration questions (`gold.yaml` and the fitting half of each corpus's);
    held-out files are never fitted on. `path`: one gold file instead."""
    if path is not None:
        return parse_gold(Path(path).read_text("utf-8"), "calibration")
    return [q for q in load_questions() if q.split == "calibration"]


def calibrate(assistant, gold: list[EvalQuestion]) -> RelevanceModel:
    """A relevance model fitted on `gold` through `assistant`'s own retrieval, with the
    figures of a leave-documents-out cross-validation in its details."""
    samples = collect(assistant, gold)
    model = fit(samples)
    folds = cross_validate(samples)
    details = {
        **(model.details or {}),
        "features": list(FEATURES),
        "questions": len(gold),
        "answerable": sum(1 for g in gold if not g.refuse),
        "out_of_scope": sum(1 for g in gold if g.refuse),
        "refused_by_region_scope": sum(1 for s in samples if s.features is None and s.item.refuse),
        "clause_samples": sum(len(s.features or ()) for s in samples),
        "leave_documents_out": folds,
        "method": "pairwise logistic ranking within each question, Platt-scaled over every clause; answer threshold = "
        "midpoint of the widest gap among thresholds where the service's decisions (a figure asked must be stated by a "
        "clause about as relevant as the best) are most often right; related threshold = half the answer threshold",
    }
    return RelevanceModel(
        model.weights, model.intercept, model.threshold, related_threshold=model.related_threshold, details=details
    )


@dataclass
class Sample:
    """One gold question's retrieved clauses: features and whether each is a gold clause."""

    item: EvalQuestion
    features: list[tuple[float, ...]] | None
    labels: list[int]
    group: str
    states_figure: list[bool] | None = None
    """Per clause: it states the figure the question asks for in so many words ("补多少"),
    always true when it asks none. The service answers only from such a clause."""

    def outcome(self, model: RelevanceModel, threshold: float | None = None) -> str:
        """answer, related or refuse, as the service decides: the best clause reaches the
        threshold and a clause about as relevant states the figure asked for."""
        if not self.features:
            return "refuse"
        scores = np.asarray([model.probability(x) for x in self.features])
        return decide(scores, self.states_figure, model.threshold if threshold is None else threshold)


def decide(scores: np.ndarray, stated: list[bool] | None, threshold: float) -> str:
    """The decision on one question's clause scores (see `Sample.outcome`). The service also
    declines when the question's own figure lies beyond every tier or the quoted sentences
    do not state the figure; those need the clause text and are left out here."""
    best = float(scores.max())
    if best >= threshold:
        floor = max(threshold, SUPPORT_SHARE * best)
        if stated is None or any(ok for p, ok in zip(scores, stated) if p >= floor):
            return "answer"
    return "related" if best >= RELATED_SHARE * threshold else "refuse"


def collect(assistant, gold: list[EvalQuestion]) -> list[Sample]:
    samples = []
    for n, item in enumerate(gold):
        retrieval = assistant.retrieve(assistant.corrected(searchable(item.question)), item.region)
        group = item.clauses[0].split(":")[0] if item.clauses else f"out-of-scope-{n % 5}"
        if not retrieval.hits:  # refused by region scope before any scoring
            samples.append(Sample(item, None, [], group))
            continue
        features = [tuple(hit.scores[key] for key in FEATURE_KEYS) for hit in retrieval.hits]
        labels = [int(hit.clause.clause_id in item.clauses) for hit in retrieval.hits]
        stated = [states_the_figure_asked(retrieval.frame, hit.clause.text) for hit in retrieval.hits]
        samples.append(Sample(item, features, labels, group, stated))
    return samples


def fit(samples: list[Sample]) -> RelevanceModel:
    """Weights that rank, scaled to a probability that calibrates.

    Ranking is learnt from comparisons inside one question (each gold clause against each
    other clause retrieved for it): what sets the clause that answers apart from its
    neighbours, whatever the question's overall level of similarity. A pooled per-clause
    fit mixes that with how alike questions and clauses are in general, and ranks worse
    on documents it was not fitted on. The ranking score is then mapped to a probability
    by one logistic fit on every clause (Platt scaling), so the model stays one linear
    logistic function of the features and the threshold reads as a probability.
    """
    from sklearn.linear_model import LogisticRegression

    differences, preferred = [], []
    for sample in samples:
        rows = sample.features or []
        gold = [x for x, y in zip(rows, sample.labels) if y]
        other = [x for x, y in zip(rows, sample.labels) if not y]
        for better in gold:
            for worse in other:
                delta = np.subtract(better, worse)
                differences += [delta, -delta]
                preferred += [1, 0]
    # Standardized so the penalty treats the narrow cosine range like the others.
    pairs = np.asarray(differences, dtype=float)
    scale = pairs.std(axis=0) + 1e-9
    ranker = LogisticRegression(C=1.0, fit_intercept=False, max_iter=5000).fit(pairs / scale, preferred)
    direction = ranker.coef_[0] / scale
    rows = np.asarray([x for s in samples for x in (s.features or ())], dtype=float)
    labels = [y for s in samples for y in s.labels]
    platt = LogisticRegression(C=1.0, max_iter=1000).fit((rows @ direction)[:, None], labels)
    weights = tuple(float(w) for w in platt.coef_[0][0] * direction)
    intercept = float(platt.intercept_[0])
    draft = RelevanceModel(weights, intercept, 0.5)
    questions = [
        (np.asarray([draft.probability(x) for x in s.features]), s.states_figure, s.item.refuse)
        for s in samples if s.features is not None
    ]
    threshold, accuracy, margin = _choose_threshold(questions)
    # Below the answer threshold, a clause at least RELATED_SHARE as likely is shown as
    # possibly related (没有找到直接规定，以下条款可能相关) rather than refused outright:
    # either way nothing is answered, and a wrongly missed answer is still in sight.
    related_threshold = RELATED_SHARE * threshold
    return RelevanceModel(
        weights, intercept, threshold, related_threshold=related_threshold,
        details={"refusal_accuracy": round(accuracy, 4), "threshold_margin": round(margin, 4)},
    )


def cross_validate(samples: list[Sample]) -> dict:
    """Fit without each document's questions in turn (out-of-scope questions spread over
    five groups), decide that document's questions, and pool the decisions."""
    groups = sorted({s.group for s in samples})
    decisions = []
    for group in groups:
        train = [s for s in samples if s.group != group]
        test = [s for s in samples if s.group == group]
        if not any(s.item.refuse for s in train) or not any(not s.item.refuse for s in train):
            continue
        model = fit(train)
        for sample in test:
            outcome = sample.outcome(model)
            top_is_gold = bool(sample.labels) and sample.labels[
                max(range(len(sample.features)), key=lambda i: model.probability(sample.features[i]))] == 1
            decisions.append((sample.item.refuse, outcome, top_is_gold))
    return summarize(decisions, len(groups))


def summarize(decisions: list[tuple[bool, str, bool]], folds: int) -> dict:
    should = [d for d in decisions if d[0]]
    # As `huiqi eval` counts: showing related clauses only is no answer, like a refusal.
    refused = [d for d in decisions if d[1] != "answer"]
    answerable = [d for d in decisions if not d[0]]
    right_refusals = sum(1 for d in refused if d[0])
    return {
        "folds": folds,
        "questions": len(decisions),
        "refusal_precision": round(right_refusals / len(refused), 4) if refused else 1.0,
        "refusal_recall": round(right_refusals / len(should), 4) if should else 1.0,
        "answered": round(sum(1 for d in answerable if d[1] == "answer") / len(answerable), 4) if answerable else 0.0,
        "related": round(sum(1 for d in answerable if d[1] == "related") / len(answerable), 4) if answerable else 0.0,
        "top_clause_is_gold": round(sum(1 for d in answerable if d[2]) / len(answerable), 4) if answerable else 0.0,
    }


def _choose_threshold(
    questions: list[tuple[np.ndarray, list[bool] | None, bool]],
) -> tuple[float, float, float]:
    """(threshold, accuracy, gap) over (clause scores, figure stated per clause, should
    refuse) per question: among the thresholds between neighbouring top scores, those
    where the service's decisions (`decide`) are right most often, and of them the
    midpoint of the widest gap."""
    values = sorted({float(scores.max()) for scores, _, _ in questions})
    candidates = [0.0] + [(a + b) / 2 for a, b in zip(values, values[1:])] + [1.0]
    best: list[tuple[float, float, float]] = []
    for i, t in enumerate(candidates):
        right = sum(1 for scores, stated, refuse in questions if (decide(scores, stated, t) == "answer") != refuse)
        low = values[i - 1] if 0 < i <= len(values) else 0.0
        high = values[i] if i < len(values) else 1.0
        best.append((right / len(questions), high - low, t))
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
    store = ConversationStore("sqlite://")
    store.open()
    assistant = Assistant(settings, kb, store, relevance=placeholder)
    model = calibrate(assistant, load_gold(args.gold))
    model.save(args.out)
    if args.verbose:
        checked = Assistant(settings, kb, store, relevance=model)
        for item in load_gold(args.gold):
            retrieval = checked.retrieve(item.question)
            print(f"{retrieval.top_relevance:.3f} {'REFUSE' if item.refuse else 'answer'} {item.id}")
    print(f"weights={model.weights} intercept={model.intercept:.3f} threshold={model.threshold:.3f}")
    print(f"details={model.details}")
    if not math.isfinite(model.intercept):
        raise SystemExit("calibration failed")


if __name__ == "__main__":
    main()
