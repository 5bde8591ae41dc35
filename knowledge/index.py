"""The knowledge base: one front over the registry (source of truth), Chroma and BM25.

Writing (knowledge/ingest.py) and searching (knowledge/search.py) are separate; this
module opens the parts they share and gives callers one object to hold.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge import regions
from knowledge.benefits import (
    BenefitItem, BenefitRecord, BenefitRecords, DocumentCap, announcing_sentences, clause_hash, corrected,
    correction_json, document_caps, item_key, stored_items,
)
from knowledge.embeddings import DEFAULT_EMBEDDER, Embedder, create_embedder
from knowledge.errors import DocumentNotFound
from knowledge.ingest import PIPELINE_VERSION, IngestReport, Ingestor, Progress, bundled_policies
from knowledge.lexical import Tokenizer
from knowledge.loaders import DEFAULT_MAX_BYTES
from knowledge.models import Clause, ClauseHit, PolicyDocument, StoredDocument
from knowledge.outline import DEFAULT_MAX_TOKENS
from knowledge.registry import Registry, registry_url
from knowledge.search import EXACT_SEARCH_LIMIT, ClauseSearch, embedding_text
from knowledge.vectors import ChromaStore


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KnowledgeConfig:
    """知识库配置：数据目录、向量模型、可选的 Chroma 服务地址与入库限制。"""

    data_dir: Path
    embedder: str = DEFAULT_EMBEDDER
    chroma_url: str | None = None
    database_url: str | None = None
    """SQLAlchemy URL of the registry; default: SQLite in the data dir."""
    max_file_bytes: int = DEFAULT_MAX_BYTES
    max_chunk_tokens: int = DEFAULT_MAX_TOKENS

    def __post_init__(self) -> None:
        if self.max_file_bytes <= 0:
            raise ValueError(f"max_file_bytes must be > 0, got {self.max_file_bytes}")
        if self.max_chunk_tokens < 20:
            raise ValueError(f"max_chunk_tokens must be >= 20, got {self.max_chunk_tokens}")


class KnowledgeBase:
    """Policy documents, clause by clause, in Chroma (dense) and BM25 (lexical).

    Example:
        >>> kb = KnowledgeBase.open(KnowledgeConfig(data_dir=Path("/tmp/huiqi-doctest")))
        >>> report = kb.ingest([bundled_policies()])
        >>> kb.lexical_search("小巨人 奖励", k=1)[0].document.region
        '郑州市'
    """

    def __init__(self, config: KnowledgeConfig, embedder: Embedder | None = None) -> None:
        self.config = config
        self.embedder = embedder or create_embedder(config.embedder)
        self.registry = Registry(registry_url(config.data_dir, config.database_url))
        if config.chroma_url:
            self.vectors = ChromaStore(url=config.chroma_url)
        else:
            self.vectors = ChromaStore(path=Path(config.data_dir) / "chroma")
        self.tokenizer = Tokenizer()
        self.search = ClauseSearch(self.registry, self.vectors, self.embedder, self.tokenizer)
        self.writer = Ingestor(self.registry, self.vectors, self.embedder, self.tokenizer,
                               config.max_file_bytes, config.max_chunk_tokens)
        self._benefits: tuple[int, list[BenefitRecord]] = (-1, [])
        self._benefits_lock = threading.Lock()
        # Items as extracted, by document version (corrections are applied on top).
        self._benefit_items: dict[tuple[str, str], list[tuple[Clause, list[BenefitItem]]]] = {}
        self._benefit_caps: dict[tuple[str, str], DocumentCap | None] = {}

    @classmethod
    def open(cls, config: KnowledgeConfig, embedder: Embedder | None = None, rebuild: bool = False) -> KnowledgeBase:
        """Create and warm up: load the model, open the registry and Chroma, recover.

        With `rebuild`, the index is emptied first (after changing the embedder); run
        `ingest` next to fill it again.
        """
        kb = cls(config, embedder)
        kb.warm_up(rebuild=rebuild)
        return kb

    def warm_up(self, rebuild: bool = False) -> None:
        self.embedder.warm_up()
        dimension = len(self.embedder.embed_query("维度"))
        self.registry.open()
        self.vectors.open(self.embedder.name, dimension, reset=rebuild)
        if rebuild:
            self.registry.clear()
        self.tokenizer.warm_up()
        self.recover()

    def prepare(self) -> None:
        """Build what search and 政策直达 read (exact vectors, BM25, items) now rather than
        at the first question; a failure is left for that question to report."""
        try:
            regions.warm_up()
            self.search.prepare()
            self.benefits()
        except Exception:  # e.g. the vector store is not reachable yet
            log.warning("could not prepare the search indexes ahead of the first question", exc_info=True)

    def recover(self) -> None:
        """Finish what an interrupted ingest or removal left: drop orphan vectors."""
        self.writer.recover()

    # --- what callers may ask ----------------------------------------------------

    @property
    def embedder_name(self) -> str:
        return self.embedder.name

    @property
    def dimension(self) -> int:
        """Length of every stored vector (the embedding model's output)."""
        return len(self.query_vector("维度"))

    def health(self) -> dict[str, int]:
        """Documents, clauses and vectors stored; raises when the vector store is gone."""
        return {
            "documents": len(self.documents()),
            "clauses": self.registry.clause_count(),
            "vectors": self.vectors.count(),
        }

    def tokenize(self, text: str) -> list[str]:
        """The words lexical search sees in `text` (jieba, policy terms kept whole)."""
        return self.tokenizer.tokenize(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Query embeddings (grouping similar questions, for instance)."""
        return self.embedder.embed_queries(texts)

    # --- reading -------------------------------------------------------------

    def documents(self) -> list[StoredDocument]:
        """Every stored document (read once per registry revision; every question asks)."""
        return self.search.documents()

    def document(self, doc_id: str) -> StoredDocument:
        document = self.registry.document(doc_id)
        if document is None:
            raise DocumentNotFound(doc_id)
        return document

    def benefits(self) -> BenefitRecords:
        """Every benefit item with its clause and document (brought up to date once per
        registry revision: only documents stored since are read again)."""
        revision = self.registry.revision()
        with self._benefits_lock:
            if self._benefits[0] == revision:
                return self._benefits[1]
            documents = {d.doc_id: d for d in self.documents()}
            versions = {(doc_id, d.content_hash) for doc_id, d in documents.items()}
            self._benefit_items = {key: items for key, items in self._benefit_items.items() if key in versions}
            self._benefit_caps = {key: cap for key, cap in self._benefit_caps.items() if key in versions}
            missing = {doc_id for doc_id, content_hash in versions if (doc_id, content_hash) not in self._benefit_items}
            if missing:
                rows: dict[str, list] = {doc_id: [] for doc_id in missing}
                for clause, stored in self.registry.benefit_rows(missing):
                    if clause.doc_id in rows:
                        rows[clause.doc_id].append((clause, stored))
                read: dict[str, list] = {}
                for doc_id, clause_rows in rows.items():
                    announced = announcing_sentences([clause.text for clause, _ in clause_rows])
                    read[doc_id] = [(clause, stored_items(clause, documents[doc_id], stored, before))
                                    for (clause, stored), before in zip(clause_rows, announced)]
                for doc_id, items in read.items():
                    self._benefit_items[(doc_id, documents[doc_id].content_hash)] = items
                    self._benefit_caps[(doc_id, documents[doc_id].content_hash)] = document_caps(c for c, _ in items)
            corrections = self.registry.benefit_corrections()
            records = BenefitRecords(
                (BenefitRecord(item, clause, documents[doc_id])
                 for (doc_id, _), clauses in sorted(self._benefit_items.items())
                 for clause, items in clauses
                 for item in corrected(items, clause, corrections)),
                caps={doc_id: cap for (doc_id, _), cap in self._benefit_caps.items() if cap is not None},
            )
            self._benefits = (revision, records)
            return records

    def benefits_of(self, doc_id: str) -> list[BenefitRecord]:
        """The benefit items of one document, in the order of its clauses."""
        return self.benefits().of_document(doc_id)

    def correct_benefit(self, clause: Clause, original: BenefitItem, item: BenefitItem | None) -> None:
        """Replace `original`, an item of `clause` as listed, with `item` (None strikes it
        out); the correction holds as long as the clause's words stay the same."""
        self.registry.correct_benefit(clause_hash(clause.text), item_key(original), correction_json(item))

    def clauses(self, doc_id: str) -> list[Clause]:
        clauses = self.search.clauses(doc_id)
        if clauses is None:
            raise DocumentNotFound(doc_id)
        return clauses

    def dense_search(self, query: str, k: int, allowed_docs: set[str] | None = None) -> list[ClauseHit]:
        """Clauses nearest to `query` by embedding, with cosine similarity as score."""
        return self.search.dense(query, k, allowed_docs)

    def lexical_search(
        self, query: str, k: int, allowed_docs: set[str] | None = None, tokens: list[str] | None = None
    ) -> list[ClauseHit]:
        """Clauses ranked by BM25 over jieba tokens (or over `tokens`, when given)."""
        return self.search.lexical(query, k, allowed_docs, tokens)

    def query_vector(self, query: str) -> np.ndarray:
        return self.search.query_vector(query)

    def similarities(self, query: str, hits: list[ClauseHit]) -> dict[str, float]:
        """Exact cosine similarity of `query` to each hit's stored vector, by clause id."""
        return self.search.similarities(query, hits)

    def expansions(self, token: str) -> tuple[str, ...]:
        """Words of the indexed clauses that `token`, a word none of them contains, may
        abbreviate (个税 ~ 个人所得税, 工信局 ~ 工业和信息化局)."""
        return self.search.expansions(token)

    def term_weights(self, tokens: list[str]) -> list[float]:
        """IDF of each token over the indexed clauses (rare terms weigh more)."""
        return self.search.term_weights(tokens)

    def document_frequencies(self, tokens: list[str]) -> list[int]:
        """How many indexed clauses contain each token (0: a word no clause uses)."""
        return self.search.document_frequencies(tokens)

    def clear_query_cache(self) -> None:
        """Forget cached query embeddings (benchmarks time the embedding too)."""
        self.search.clear_query_cache()

    # --- writing -------------------------------------------------------------

    def ingest(self, paths: Iterable[Path] | None = None, on_progress: Progress | None = None) -> IngestReport:
        """Ingest files and directories (recursively); default: the bundled policies."""
        return self.writer.ingest(paths, on_progress)

    def ingest_bytes(
        self, name: str, data: bytes, sidecar_text: str | None = None,
        on_progress: Progress | None = None, force: bool = False,
    ) -> IngestReport:
        """Ingest one uploaded file; `force` re-embeds it even when unchanged."""
        return self.writer.ingest_bytes(name, data, sidecar_text, on_progress, force)

    def ingest_vectors(self, document: PolicyDocument, clauses: list[Clause], vectors: np.ndarray,
                       tokens: list[list[str]] | None = None) -> None:
        """Store a document whose clauses were split and embedded elsewhere (synthetic corpora)."""
        self.writer.ingest_vectors(document, clauses, vectors, tokens)

    def remove(self, doc_id: str) -> StoredDocument:
        """Delete a document from the registry, Chroma and BM25."""
        return self.writer.remove(doc_id)


__all__ = [
    "EXACT_SEARCH_LIMIT", "PIPELINE_VERSION", "IngestReport", "KnowledgeBase", "KnowledgeConfig",
    "bundled_policies", "embedding_text",
]
