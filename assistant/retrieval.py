"""Hybrid retrieval: dense hits from Chroma and BM25 hits, fused by reciprocal rank.

Both lists are filtered by the same document predicate (region, issuer, document, date
range), so a filter never lets one side leak clauses the other would exclude.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables.config import run_in_executor
from pydantic import ConfigDict, PrivateAttr

from assistant.questions import ASKING_WORDS, frame, stated_pattern
from assistant.relevance import FEATURE_KEYS, QuestionEvidence, RelevanceModel, question_features
from assistant.wording import Wording
from knowledge.index import KnowledgeBase
from knowledge.models import ClauseHit, StoredDocument
from knowledge.regions import gazetteer

_ADMITTED_CACHE_SIZE = 64

# Two clauses this alike (character-bigram Jaccard) say the same thing, e.g. one
# measure reported in both a bulletin and a reply; only the better-ranked one is kept.
DUPLICATE_SIMILARITY = 0.8

AIMS_HEADING = re.compile(r"(?:指导思想|总体目标|发展目标|工作目标|主要目标|基本原则|总体要求|总体思路)\s*$")
"""A document's opening statement of aims and principles: it names every topic of the
document (绿色, 物流, 创新…) and grants nothing, so it looks related to any question on them."""
ASKS_AIMS = re.compile(r"目标|原则(?!上)|思想|思路|定位|到20\d\d年|(?<![需不])要(?:降|达到|建成|做到|发展到|实现|提高|增长|突破)|比重")
"""A question that asks about aims (目标, 到2020年要建成…, 比重要达到多少) is answered by them."""
AIMS_FACTOR = 0.1


@dataclass(frozen=True)
class RetrievalFilters:
    """检索过滤条件：地区、发布机构、文件、日期范围（YYYY-MM-DD，含端点）。"""

    regions: tuple[str, ...] = ()
    issuers: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""

    @property
    def active(self) -> bool:
        return bool(self.regions or self.issuers or self.doc_ids or self.date_from or self.date_to)

    def admits(self, document: StoredDocument) -> bool:
        if self.regions and document.region not in self.regions:
            return False
        if self.issuers and not any(issuer in document.issuer for issuer in self.issuers):
            return False
        if self.doc_ids and document.doc_id not in self.doc_ids:
            return False
        if self.date_from and (not document.date or document.date < self.date_from):
            return False
        if self.date_to and (not document.date or document.date > self.date_to):
            return False
        return True


SPEECH_WEIGHT = 0.6
"""How much a word of how the owner talks, found in no clause, counts in term coverage."""
_FIGURE = re.compile(
    r"[\d.,%％]+|[\d零〇一二两三四五六七八九十][\d.零〇一二两三四五六七八九十百千万亿]*[百千万亿](?:美元|元)?")
"""A figure as typed (1.5亿, 5000, 六百, 两千万元); not a plan's or a programme's name (十四五,
百千万工程, 千亿级)."""


def states_aims(clause_path: str) -> bool:
    """The clause is a document's statement of aims (…> （一）指导思想)."""
    return bool(AIMS_HEADING.search(clause_path.split(" > ")[-1])) if clause_path else False


class HybridRetriever(BaseRetriever):
    """Dense + BM25, fused with weighted reciprocal-rank fusion, de-duplicated, and
    scored with a calibrated relevance (`scores["relevance"]`, 0–1) when a
    `RelevanceModel` is given.

    Usage::

        retriever = HybridRetriever(kb=kb, k=3)
        retriever.retrieve("温县政府采购预留比例")[0].clause.clause_path  # '二、重点任务 > (一)聚力打造先进链群 > 4.加强产业链上下游企业适配对接'

    As a LangChain retriever, each hit is a `Document` (clause text, citation metadata
    and `score_*` entries); `k` and `filters` are the keyword arguments of `retrieve`::

        retriever.invoke("小巨人企业奖励多少", filters=RetrievalFilters(regions=("金华市",)))
        chain = {"context": retriever.bind(k=3) | format_clauses, "question": RunnablePassthrough()} | prompt | llm
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    _admitted_cache: dict = PrivateAttr(default_factory=dict)

    kb: KnowledgeBase
    k: int = 5
    candidates: int = 30
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    rrf_k: int = 60
    relevance: RelevanceModel | None = None
    wording: Wording | None = None
    """Synonyms that widen the lexical search and the coverage signal (None: the words as typed)."""

    def model_post_init(self, context) -> None:
        for name in ("k", "candidates", "rrf_k"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.dense_weight < 0 or self.bm25_weight < 0 or self.dense_weight + self.bm25_weight == 0:
            raise ValueError(
                f"weights must be >= 0 and not both 0, got dense={self.dense_weight} bm25={self.bm25_weight}"
            )

    def retrieve(self, query: str, k: int | None = None, filters: RetrievalFilters | None = None) -> list[ClauseHit]:
        """The top `k` clauses for `query`, each with dense, BM25 and fused scores."""
        k = self.k if k is None else k
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        with self.kb.registry.pinned_revision():
            return self._retrieve(query, k, filters)

    def _retrieve(self, query: str, k: int, filters: RetrievalFilters | None) -> list[ClauseHit]:
        depth = max(self.candidates, k)
        allowed: set[str] | None = None
        if filters is not None and filters.active:
            allowed = self._admitted(filters)
            if not allowed:
                return []
        dense = []
        if self.dense_weight > 0:
            dense = self.kb.dense_search(query, depth, allowed)
        lexical = []
        if self.bm25_weight > 0:
            widened = None
            if self.wording:
                tokens = self.kb.tokenizer.tokenize(query)
                widened = self.wording.expand(tokens)
                widened += [w for _, group in self.wording.phrases(query) for w in group if w not in widened]
                widened += [w for t in tokens for w in self.kb.expansions(t) if w not in widened]
            lexical = self.kb.lexical_search(query, depth, allowed, tokens=widened)
        hits = self._fuse(dense, lexical, limit=k)
        if self.relevance is not None:
            hits = self._score_relevance(query, hits, self._evidence(query, dense, lexical))
        return hits

    def _admitted(self, filters: RetrievalFilters) -> set[str]:
        """The documents `filters` admits, kept per registry revision: most questions are
        scoped to one of a few region chains, and at 100k clauses reading every document's
        fields again costs more than the search itself."""
        key = (self.kb.registry.revision(), filters)
        found = self._admitted_cache.get(key)
        if found is None:
            found = frozenset(d.doc_id for d in self.kb.documents() if filters.admits(d))
            if len(self._admitted_cache) >= _ADMITTED_CACHE_SIZE:
                self._admitted_cache.clear()
            self._admitted_cache[key] = found
        return set(found)

    def _evidence(self, query: str, dense: list[ClauseHit], lexical: list[ClauseHit]) -> QuestionEvidence:
        content = query
        for mention in gazetteer().mentions(query, informal=True):
            content = content.replace(mention.text, " ")
        # Words of the synonym list count as their group (能拿多少 is covered by 奖励);
        # the rest are jieba words, single characters left to the character-pair signal.
        phrases = self.wording.phrases(content) if self.wording else []
        rest = content
        for _, group in phrases:
            for word in group:
                rest = rest.replace(word, " ")
        # How the question asks (几家, 能返, 要是…的话) is not what it asks about: cut before
        # tokenizing, or jieba glues it to a neighbour into a word no clause has (能返, 要额),
        # and such a word would weigh the most in every coverage.
        rest = ASKING_WORDS.sub(" ", rest)
        # Figures the question states (1.5亿, 六百万美元) are its conditions, read by the tier
        # rules; as words they would favour the clause that happens to print the same digits.
        # Words of how it is put (一家, 那边, 还是) name nothing a clause should say.
        tokenizer = self.kb.tokenizer
        words = [t for t in dict.fromkeys(tokenizer.tokenize(rest))
                 if len(t) >= 2 and not _FIGURE.fullmatch(t) and not tokenizer.says_how(t)]
        # A short form no clause uses is covered by the full forms it may stand for.
        variants = [(self.wording.variants(t) if self.wording else ()) + self.kb.expansions(t) for t in words]
        words += [word for word, _ in phrases]
        variants += [group for _, group in phrases]
        characters = "".join(ch for ch in content if "\u4e00" <= ch <= "\u9fff" or ch.isalnum())
        cosines = sorted(hit.score for hit in dense)
        asked = frame(query).fact_kinds
        # A word no clause has weighs the most. When it names a thing (光伏, 社保) the
        # knowledge base may well not cover the question; when it is how the owner talks
        # (区里, 今年, 打算, 能补) it says nothing of the subject, and at full weight would make
        # every clause look uncovered.
        weights = [w * SPEECH_WEIGHT if df == 0 and not tokenizer.names_a_thing(t) else w
                   for t, w, df in zip(words, self.kb.term_weights(words), self.kb.document_frequencies(words))]
        return QuestionEvidence(
            tokens=tuple(words), weights=tuple(weights), variants=tuple(variants),
            characters=characters.lower(), dense_median=cosines[len(cosines) // 2] if cosines else 0.0,
            bm25_max=max((hit.score for hit in lexical), default=0.0),
            fact_patterns=tuple(stated_pattern(kind) for kind in asked[:1]),
        )

    def _score_relevance(self, query: str, hits: list[ClauseHit], evidence: QuestionEvidence) -> list[ClauseHit]:
        # Clauses only BM25 found get their exact cosine, so every feature is measured.
        missing = [hit for hit in hits if "dense" not in hit.scores]
        exact = self.kb.similarities(query, missing) if missing else {}
        hits = [replace(hit, scores={**hit.scores, "dense_exact": exact[hit.clause.clause_id]})
                if hit.clause.clause_id in exact else hit for hit in hits]
        scored = []
        asks_aims = bool(ASKS_AIMS.search(query))
        for hit, features in zip(hits, question_features(hits, evidence)):
            relevance = self.relevance.probability(features)
            if not asks_aims and states_aims(hit.clause.clause_path):
                relevance *= AIMS_FACTOR
            named = dict(zip(FEATURE_KEYS, features))
            scored.append(replace(hit, scores={**hit.scores, **named, "relevance": relevance}))
        return scored

    def _fuse(self, dense: list[ClauseHit], lexical: list[ClauseHit], limit: int) -> list[ClauseHit]:
        """The first `limit` hits by reciprocal rank fusion, without duplicates, each with
        its fused score and both searches' scores and ranks."""
        fused: dict[str, float] = {}
        scores: dict[str, dict[str, float]] = {}
        hits: dict[str, ClauseHit] = {}
        for weight, ranked, kind in ((self.dense_weight, dense, "dense"), (self.bm25_weight, lexical, "bm25")):
            for rank, hit in enumerate(ranked, 1):
                key = hit.clause.clause_id
                hits.setdefault(key, hit)
                fused[key] = fused.get(key, 0.0) + weight / (self.rrf_k + rank)
                scores.setdefault(key, {})[kind] = hit.score
                scores[key][f"{kind}_rank"] = rank
        order = sorted(fused, key=fused.get, reverse=True)
        # Scores are attached to the kept hits only: most candidates are never kept.
        kept = []
        for hit in drop_duplicates([hits[key] for key in order], limit=limit):
            key = hit.clause.clause_id
            kept.append(replace(hit, score=fused[key], scores={**scores[key], "fused": fused[key]}))
        return kept

    # LangChain passes the keyword arguments of `invoke` / `ainvoke` (or of `.bind()` in a
    # chain) through to these, so a chain can be scoped as `retrieve` is.
    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None, filters: RetrievalFilters | None = None,
    ) -> list[Document]:
        return [to_langchain_document(hit) for hit in self.retrieve(query, k, filters)]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None, filters: RetrievalFilters | None = None,
    ) -> list[Document]:
        # The base class's async default drops the keyword arguments.
        return await run_in_executor(
            None, self._get_relevant_documents, query, run_manager=run_manager.get_sync(), k=k, filters=filters
        )


def drop_duplicates(hits: list[ClauseHit], limit: int | None = None) -> list[ClauseHit]:
    """Hits without those that overlap, or nearly repeat, a better-ranked hit; the first
    `limit` of them when given (the rest are never compared, so the cost stays
    proportional to `limit` times the candidates, not to the candidates squared)."""
    kept: list[ClauseHit] = []
    grams: list[frozenset[str]] = []
    for hit in hits:
        if limit is not None and len(kept) >= limit:
            break
        clause = hit.clause
        own = _bigrams(clause.text)
        overlaps = any(
            other.clause.doc_id == clause.doc_id and other.clause.start < clause.end and clause.start < other.clause.end
            for other in kept
        )
        if overlaps or any(_jaccard(own, seen) >= DUPLICATE_SIMILARITY for seen in grams):
            continue
        kept.append(hit)
        grams.append(own)
    return kept


@functools.lru_cache(maxsize=20_000)
def _bigrams(text: str) -> frozenset[str]:
    # Kept per clause text: the same clauses come back question after question.
    compact = "".join(text.split())
    return frozenset(compact[i : i + 2] for i in range(len(compact) - 1))


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def to_langchain_document(hit: ClauseHit) -> Document:
    """A clause hit as a LangChain Document (clause text + citation metadata)."""
    document = hit.document
    return Document(
        page_content=hit.clause.text,
        metadata={
            "clause_id": hit.clause.clause_id, "clause_path": hit.clause.clause_path,
            "doc_id": document.doc_id, "title": document.title, "doc_number": document.doc_number,
            "issuer": document.issuer, "date": document.date, "region": document.region,
            "score": hit.score, **{f"score_{k}": v for k, v in hit.scores.items()},
        },
    )
