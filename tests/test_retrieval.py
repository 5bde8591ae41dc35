"""The hybrid retriever as the console's hit test shows it: fused ranks, calibrated
relevance, and one copy of a clause that two documents repeat."""

from __future__ import annotations

from assistant.relevance import RelevanceModel
from assistant.retrieval import HybridRetriever, drop_duplicates

WX_PROCUREMENT = "wenxian-2023-wanrenzhuwanqi-plan:2.1.4"


def test_relevance_separates_an_answerable_from_an_unrelated_question(bundled_kb):
    model = RelevanceModel.load()
    retriever = HybridRetriever(kb=bundled_kb, k=5, relevance=model)
    answerable = retriever.retrieve("温县政府采购工程项目预留比例是多少？")
    unrelated = retriever.retrieve("农村宅基地可以买卖吗？")
    best = max(answerable, key=lambda h: h.scores["relevance"])
    assert best.clause.clause_id == WX_PROCUREMENT and best.scores["relevance"] >= model.threshold
    assert max(h.scores["relevance"] for h in unrelated) < model.threshold
    for hit in answerable + unrelated:
        assert 0.0 <= hit.scores["relevance"] <= 1.0
        assert {"fused", "coverage"} <= set(hit.scores)


def test_a_clause_repeated_in_another_document_is_returned_once(kb_copy):
    clause = next(c for c in kb_copy.clauses("wenxian-2023-wanrenzhuwanqi-plan") if c.clause_id == WX_PROCUREMENT)
    copy = f"温县政策摘编\n一、政府采购\n{clause.text}\n".encode()
    kb_copy.ingest_bytes("wenxian-digest.txt", copy)
    hits = HybridRetriever(kb=kb_copy, k=5).retrieve("温县政府采购工程项目预留比例是多少？")
    holding = [h for h in hits if "预留比例提高至40%以上" in h.clause.text]
    assert len(holding) == 1


def test_drop_duplicates_keeps_distinct_clauses(bundled_kb):
    hits = HybridRetriever(kb=bundled_kb, k=8).retrieve("专精特新企业奖励")
    assert drop_duplicates(hits) == hits
    assert drop_duplicates(hits + hits[:2]) == hits
