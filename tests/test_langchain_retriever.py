"""The hybrid retriever as a LangChain retriever: clauses come back as Documents a chain
can format into a prompt, and a region scope holds inside the chain."""

from __future__ import annotations

import asyncio
import re

import pytest
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough

from assistant.retrieval import HybridRetriever, RetrievalFilters
from tests.fakes import FakeChatModel

ZZ_REPLY = "zhengzhou-2024-sme-development-reply"
ZZ_LITTLE_GIANT = f"{ZZ_REPLY}:1~3"  # 对首次获评的“小巨人”企业……给予200万元
JH_REPLY = "jinhua-2023-sme-regulation-reply"
JH_LITTLE_GIANT = f"{JH_REPLY}:1.3.s1"  # 国家小巨人企业奖励提高到100万元
QUESTION = "小巨人企业奖励多少"

PROMPT = ChatPromptTemplate.from_messages(
    [("system", "只依据下列政策条款回答，并注明出处。"), ("human", "条款：\n{context}\n\n问题：{question}")]
)


def format_clauses(documents: list[Document]) -> str:
    return "\n\n".join(
        f"【{d.metadata['region']}｜《{d.metadata['title']}》｜{d.metadata['clause_path']}】\n{d.page_content}"
        for d in documents
    )


def clause_text(kb, doc_id: str, clause_id: str) -> str:
    return next(c.text for c in kb.clauses(doc_id) if c.clause_id == clause_id)


def answer_chain(retriever, model):
    inputs = {"context": retriever | format_clauses, "question": RunnablePassthrough()}
    return inputs | PROMPT | model | StrOutputParser()


def prompt_sent(model: FakeChatModel) -> str:
    return model.calls[-1][-1].content


def test_invoke_returns_clauses_as_documents_with_their_citation(bundled_kb):
    documents = HybridRetriever(kb=bundled_kb, k=5).invoke(QUESTION)
    assert len(documents) == 5 and all(isinstance(d, Document) for d in documents)
    stored = {d.doc_id: d for d in bundled_kb.documents()}
    for document in documents:
        meta = document.metadata
        clause = next(c for c in bundled_kb.clauses(meta["doc_id"]) if c.clause_id == meta["clause_id"])
        assert document.page_content == clause.text
        assert meta["clause_path"] == clause.clause_path
        assert (meta["title"], meta["region"]) == (stored[meta["doc_id"]].title, stored[meta["doc_id"]].region)
        assert meta["score"] == meta["score_fused"] > 0
    best = documents[0].metadata
    assert best["clause_id"] == ZZ_LITTLE_GIANT
    assert best["score_dense_rank"] == best["score_bm25_rank"] == 1
    assert [d.metadata["score"] for d in documents] == sorted((d.metadata["score"] for d in documents), reverse=True)
    assert len(HybridRetriever(kb=bundled_kb, k=5).invoke(QUESTION, k=2)) == 2


def test_the_cited_clause_reaches_the_model_through_an_lcel_chain(bundled_kb):
    reply = "郑州市对首次获评的“小巨人”企业给予200万元一次性奖励。"
    model = FakeChatModel(replies=[reply])
    answer = answer_chain(HybridRetriever(kb=bundled_kb, k=3), model).invoke("郑州对首次获评的小巨人企业奖励多少？")
    assert answer == reply
    prompt = prompt_sent(model)
    assert clause_text(bundled_kb, ZZ_REPLY, ZZ_LITTLE_GIANT) in prompt
    assert "《关于促进中小企业健康发展建议的答复》" in prompt and prompt.endswith("郑州对首次获评的小巨人企业奖励多少？")


@pytest.mark.parametrize("call", ["invoke", "ainvoke"])
def test_a_chain_scoped_to_a_region_never_brings_another_regions_clause(bundled_kb, call):
    model = FakeChatModel(replies=["金华对国家小巨人企业奖励100万元。"])
    retriever = HybridRetriever(kb=bundled_kb, k=5)
    chain = answer_chain(retriever.bind(filters=RetrievalFilters(regions=("金华市",))), model)
    if call == "invoke":
        chain.invoke(QUESTION)
    else:
        asyncio.run(chain.ainvoke(QUESTION))
    prompt = prompt_sent(model)
    # Unscoped, Zhengzhou's clause ranks first for this question; scoped, it must not appear.
    assert retriever.invoke(QUESTION)[0].metadata["clause_id"] == ZZ_LITTLE_GIANT
    assert clause_text(bundled_kb, ZZ_REPLY, ZZ_LITTLE_GIANT) not in prompt
    assert clause_text(bundled_kb, JH_REPLY, JH_LITTLE_GIANT) in prompt
    assert set(re.findall(r"【(.*?)｜", prompt)) == {"金华市"}
