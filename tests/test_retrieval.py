"""The hybrid retriever as the console's hit test shows it: fused ranks, calibrated
relevance, and one copy of a clause that two documents repeat."""

from __future__ import annotations

from dataclasses import replace

from assistant.relevance import RelevanceModel
from assistant.retrieval import HybridRetriever, drop_duplicates
from knowledge.models import ClauseHit

WX_PLAN = "wenxian-2023-wanrenzhuwanqi-plan"
WX_PROCUREMENT = f"{WX_PLAN}:2.1.4"


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


def quoted_in_a_digest(hit: ClauseHit) -> ClauseHit:
    """The same article as another policy quotes it: own heading, full-width comma, no full stop."""
    text = "（摘自温县实施方案）" + hit.clause.text.replace(",", "，", 1).rstrip("。")
    clause = replace(hit.clause, clause_id="wenxian-digest:1", doc_id="wenxian-digest", text=text,
                     start=0, end=len(text))
    return replace(hit, clause=clause, document=replace(hit.document, doc_id="wenxian-digest", title="温县政策摘编"))


def test_an_article_quoted_in_two_policies_is_one_hit_and_distinct_clauses_stay(bundled_kb):
    # The procurement article and its siblings in the same section: alike in topic and wording, not copies.
    plan = next(d for d in bundled_kb.documents() if d.doc_id == WX_PLAN)
    section = [c for c in bundled_kb.clauses(WX_PLAN) if c.clause_id.startswith(f"{WX_PLAN}:2.1.")]
    original = next(ClauseHit(c, plan, 1.0) for c in section if c.clause_id == WX_PROCUREMENT)
    distinct = [ClauseHit(c, plan, 0.5) for c in section if c.clause_id != WX_PROCUREMENT]
    quoted = quoted_in_a_digest(original)
    assert len(distinct) == 3 and quoted.clause.text != original.clause.text
    # Whichever copy ranks higher is the one kept; the other clauses all stay, in order.
    assert drop_duplicates([original, quoted, *distinct]) == [original, *distinct]
    assert drop_duplicates([quoted, *distinct, original]) == [quoted, *distinct]
    assert drop_duplicates([original, quoted, *distinct], limit=2) == [original, distinct[0]]  # a duplicate takes no place
    # A sentence of a clause already shown (same document, inside its span) is dropped too,
    # though as text it is far from the whole clause.
    whole = original.clause
    begin = whole.text.index("落实促进中小企业")
    end = whole.text.index("合同规模。") + len("合同规模。")
    sentence = replace(whole, clause_id=f"{WX_PROCUREMENT}.s", text=whole.text[begin:end],
                       start=whole.start + begin, end=whole.start + end)
    assert drop_duplicates([original, replace(original, clause=sentence)]) == [original]


def test_how_an_owner_talks_counts_less_than_what_they_ask_about(bundled_kb):
    """The coverage the console shows: a word of how the owner talks (打算, in no clause)
    lowers it less than a subject no clause has (光伏)."""
    retriever = HybridRetriever(kb=bundled_kb, k=5, relevance=RelevanceModel.load())

    def coverage(question: str) -> float:
        hits = retriever.retrieve(question)
        return next(h for h in hits if h.clause.clause_id == WX_PROCUREMENT).scores["coverage"]

    plain = coverage("温县政府采购工程项目预留比例是多少？")
    chatty = coverage("温县政府采购打算把工程项目预留比例定多少？")
    off_subject = coverage("温县政府采购光伏工程项目预留比例定多少？")
    assert plain - chatty < plain - off_subject, (plain, chatty, off_subject)
