"""The refusal threshold is the one the gold questions give, not a guess."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Settings
from assistant.conversation import ConversationStore
from assistant.relevance import FEATURES, RelevanceModel
from assistant.service import Assistant
from knowledge.index import KnowledgeBase, KnowledgeConfig
from evals.calibrate import _choose_threshold, calibrate, decide, load_gold


def test_shipped_calibration_is_reproduced_from_the_gold_set(corpus_data_dir, e5, tmp_path):
    store = ConversationStore("sqlite://")
    store.open()
    placeholder = RelevanceModel((0.0,) * len(FEATURES), 0.0, 0.5)
    kb = KnowledgeBase.open(KnowledgeConfig(data_dir=corpus_data_dir), embedder=e5)
    assistant = Assistant(Settings(data_dir=tmp_path), kb, store, relevance=placeholder)
    fitted = calibrate(assistant, load_gold())
    shipped = RelevanceModel.load()
    assert fitted.threshold == pytest.approx(shipped.threshold, abs=0.02)
    assert fitted.weights == pytest.approx(shipped.weights, rel=0.05)
    assert fitted.details["refusal_accuracy"] >= 0.85
    assert fitted.related_threshold == pytest.approx(shipped.related_threshold, abs=0.02)
    # Fitted without each document's questions in turn, the decisions on that document hold.
    folds = fitted.details["leave_documents_out"]
    assert folds["folds"] >= 20 and folds["refusal_precision"] >= 0.7 and folds["refusal_recall"] >= 0.5
    assert folds["answered"] + folds["related"] >= 0.9


def test_gold_set_has_answerable_and_out_of_scope_questions():
    gold = load_gold()
    assert len({g.id for g in gold}) == len(gold) and {g.corpus for g in gold} == {"bundled", "liaoning"}
    assert all(g.split == "calibration" for g in gold)
    assert sum(g.refuse for g in gold) >= 40
    assert all(g.clauses and g.facts for g in gold if not g.refuse)


def test_threshold_sits_in_the_middle_of_the_widest_gap():
    points = [(0.01, True), (0.05, True), (0.4, False), (0.9, False)]
    threshold, accuracy, gap = _choose_threshold([(np.array([top, top / 2]), None, refuse) for top, refuse in points])
    assert accuracy == 1.0
    assert threshold == pytest.approx(0.225)
    assert gap == pytest.approx(0.35)


def test_a_question_whose_clauses_state_no_figure_asked_does_not_push_the_threshold_up():
    """The service declines "补多少" when no clause about as relevant states a figure: such
    an out-of-scope question is declined at any threshold and must not cost answerable
    questions below it their answer."""
    answerable = [(np.array([top]), None, False) for top in (0.3, 0.5, 0.9)]
    figure_unstated = (np.array([0.6, 0.1]), [False, True], True)
    threshold, accuracy, _ = _choose_threshold([*answerable, figure_unstated, (np.array([0.05]), None, True)])
    assert accuracy == 1.0 and threshold < 0.3
    assert decide(np.array([0.6, 0.1]), [False, True], threshold) == "related"


def test_relevance_model_rejects_bad_values():
    with pytest.raises(ValueError, match="threshold"):
        RelevanceModel((1.0,) * len(FEATURES), 0.0, 1.5)
    with pytest.raises(ValueError, match="related_threshold"):
        RelevanceModel((1.0,) * len(FEATURES), 0.0, 0.3, related_threshold=0.5)
    with pytest.raises(ValueError, match="weights"):
        RelevanceModel((1.0,), 0.0, 0.5)
