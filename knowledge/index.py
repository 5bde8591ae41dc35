"""The knowledge base: the registry (source of truth), Chroma vectors and BM25, kept in step.

Ingest reads and embeds every file before it writes anything. A changed document is
swapped in as a unit: its new vectors are added under new ids, the registry switches
to the new clauses in one transaction, then the old vectors go. A crash at any point
leaves a `pending` mark that the next `open()` uses to delete orphan vectors, so the
registry, Chroma and BM25 always agree.

Reading, chunking and embedding hold no lock; only a document's swap-in takes the write
lock, after checking again what changed meanwhile. So a large upload makes other writes
wait at most one document's commit, never its embedding.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np

from knowledge.embeddings import DEFAULT_EMBEDDER, Embedder, create_embedder
from knowledge.errors import DocumentNotFound, DocumentRejected
from knowledge.lexical import Bm25Index, DocumentColumn, Tokenizer
from knowledge.loaders import DEFAULT_MAX_BYTES, load_bytes, read_file
from knowledge.metadata import SIDECAR_SUFFIX, build_document, doc_id_for, parse_sidecar, read_sidecar
from knowledge.models import Clause, ClauseHit, PolicyDocument, StoredDocument
from knowledge.outline import DEFAULT_MAX_TOKENS, parse_clauses
from knowledge.registry import Registry, registry_url
from knowledge.vectors import ChromaStore

# Bump when loaders, metadata or chunking change what a file turns into, so that an
# unchanged file is re-chunked once.
PIPELINE_VERSION = "2"
EMBED_BATCH = 32
# Up to this many stored vectors, dense search is one exact matrix product. HNSW over
# policy embeddings (all within a narrow cosine band) can leave a clause unreachable
# from the graph, and a clause that cannot be found is an answer that cannot be given.
# Measured at 100k clauses on 2 cores: exact ~15 ms, Chroma HNSW with a region filter
# ~100 ms at recall@10 0.66. Beyond the limit (memory: 1.5 KB per clause), HNSW.
EXACT_SEARCH_LIMIT = 200_000
Progress = Callable[[int, int], None]


def bundled_policies() -> Path:
    """The directory of policy documents shipped with huiqi."""
    return Path(str(resources.files("knowledge").joinpath("policies")))


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


@dataclass
class IngestReport:
    """入库结果：新增、更新、未变化与被拒绝的文件。"""

    added: list[tuple[str, str, int]] = field(default_factory=list)
    """(doc_id, 文件名, 条款数)"""
    updated: list[tuple[str, str, int]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    """(doc_id, 文件名)"""
    rejected: list[tuple[str, str]] = field(default_factory=list)
    """(文件名, 中文原因)"""
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """(文件名, 中文提示)：已入库，但有需要帮办人员核对的问题"""
    seconds: float = 0.0

    @property
    def chunks(self) -> int:
        return sum(n for _, _, n in self.added + self.updated)


@dataclass
class _Prepared:
    document: PolicyDocument
    content_hash: str
    clauses: list[Clause]
    tokens: list[list[str]]
    replaces: bool
    vectors: object = None


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
        self._bm25: Bm25Index | None = None
        self._bm25_revision = -1
        self._bm25_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._matrix: _VectorMatrix | None = None
        self._matrix_revision = -1
        self._matrix_lock = threading.Lock()
        self._documents: tuple[int, list[StoredDocument]] | None = None
        self._query_cache: dict[str, np.ndarray] = {}
        self._query_cache_lock = threading.Lock()

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

    def recover(self) -> None:
        """Finish what an interrupted ingest or removal left: drop orphan vectors."""
        for doc_id in self.registry.pending():
            current = self.registry.content_hash(doc_id)
            self.vectors.delete_document(doc_id, keep_hash=current[:12] if current else None)
            self.registry.clear_pending(doc_id)

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
        revision = self.registry.revision()
        cached = self._documents
        if cached is None or cached[0] != revision:
            cached = (revision, self.registry.documents())
            self._documents = cached
        return list(cached[1])

    def document(self, doc_id: str) -> StoredDocument:
        document = self.registry.document(doc_id)
        if document is None:
            raise DocumentNotFound(doc_id)
        return document

    def clauses(self, doc_id: str) -> list[Clause]:
        self.document(doc_id)
        return self.registry.clauses(doc_id)

    def dense_search(self, query: str, k: int, allowed_docs: set[str] | None = None) -> list[ClauseHit]:
        """Clauses nearest to `query` by embedding, with cosine similarity as score."""
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        vector = self.query_vector(query)
        # Over-fetch: vectors of an interrupted ingest are filtered out below.
        matrix = self._vector_matrix()
        if matrix is not None:
            pairs = matrix.nearest(vector, k + 8, allowed_docs)
        else:
            where = {"doc_id": {"$in": sorted(allowed_docs)}} if allowed_docs is not None else None
            pairs = self.vectors.query(vector, k + 8, where) if allowed_docs != set() else []
        return self._hits(pairs, "dense")[:k]

    def lexical_search(
        self, query: str, k: int, allowed_docs: set[str] | None = None, tokens: list[str] | None = None
    ) -> list[ClauseHit]:
        """Clauses ranked by BM25 over jieba tokens (`tokens`, when given, instead of the
        query's own: a query widened with synonyms)."""
        index = self._lexical_index()
        return self._hits(index.search(tokens if tokens is not None else self.tokenizer.tokenize(query), k, allowed_docs), "bm25")

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding; the last few are kept, since scoring asks again."""
        with self._query_cache_lock:
            cached = self._query_cache.get(query)
        if cached is not None:
            return cached
        vector = self.embedder.embed_queries([query])[0]
        with self._query_cache_lock:
            self._query_cache[query] = vector
            while len(self._query_cache) > 64:
                self._query_cache.pop(next(iter(self._query_cache)))
        return vector

    def similarities(self, query: str, hits: list[ClauseHit]) -> dict[str, float]:
        """Exact cosine similarity of `query` to each hit's stored vector, by clause id."""
        ids = {f"{h.clause.clause_id}@{h.document.content_hash[:12]}": h for h in hits}
        stored = {ids[vid].clause.clause_id: v for vid, v in self.vectors.vectors(list(ids)).items()}
        # While a document is being swapped in, its vectors may sit under another id for
        # a moment; the clause is embedded afresh rather than left unmeasured.
        unmeasured = [h for h in hits if h.clause.clause_id not in stored]
        if unmeasured:
            fresh = self.embedder.embed_passages([embedding_text(h.document, h.clause) for h in unmeasured])
            stored.update({h.clause.clause_id: v for h, v in zip(unmeasured, fresh)})
        if not stored:
            return {}
        q = self.query_vector(query)
        q = q / (np.linalg.norm(q) or 1.0)
        return {clause_id: float(np.dot(q, np.asarray(v) / (np.linalg.norm(v) or 1.0))) for clause_id, v in stored.items()}

    def term_weights(self, tokens: list[str]) -> list[float]:
        """IDF of each token over the indexed clauses (rare terms weigh more)."""
        index = self._lexical_index()
        return [index.idf(token) for token in tokens]

    def _hits(self, pairs: list[tuple[str, float]], kind: str) -> list[ClauseHit]:
        clauses = self.registry.clauses_by_vector_id([vid for vid, _ in pairs])
        documents: dict[str, StoredDocument | None] = {}
        hits = []
        for vid, score in pairs:
            clause = clauses.get(vid)
            if clause is None:
                continue
            if clause.doc_id not in documents:
                documents[clause.doc_id] = self.registry.document(clause.doc_id)
            document = documents[clause.doc_id]
            if document is not None:
                hits.append(ClauseHit(clause, document, score, {kind: score}))
        return hits

    def _vector_matrix(self) -> _VectorMatrix | None:
        """All stored vectors as one normalized matrix, rebuilt when the registry changes;
        None when the collection is beyond EXACT_SEARCH_LIMIT."""
        revision = self.registry.revision()
        with self._matrix_lock:
            if self._matrix_revision != revision:
                self._matrix = None
                if self.vectors.count() <= EXACT_SEARCH_LIMIT:
                    ids, vectors = self.vectors.all_vectors()
                    self._matrix = _VectorMatrix(ids, vectors)
                self._matrix_revision = revision
            return self._matrix

    def _lexical_index(self) -> Bm25Index:
        revision = self.registry.revision()
        with self._bm25_lock:
            if self._bm25 is None or self._bm25_revision != revision:
                ids, tokens = self.registry.all_tokens()
                self._bm25 = Bm25Index(ids, tokens)
                self._bm25_revision = revision
            return self._bm25

    # --- writing -------------------------------------------------------------

    def ingest(
        self,
        paths: Iterable[Path] | None = None,
        on_progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest files and directories (recursively); default: the bundled policies.

        Unchanged documents are skipped; a rejected file is reported by name and the
        rest of the batch goes on.
        """
        started = time.perf_counter()
        report = IngestReport()
        prepared: list[_Prepared] = []
        seen: dict[str, str] = {}
        for path in expand_paths(list(paths) if paths is not None else [bundled_policies()], report):
            try:
                loaded = read_file(path, self.config.max_file_bytes)
                item = self._prepare(build_document(loaded, read_sidecar(path)), report, seen)
            except DocumentRejected as exc:
                report.rejected.append((exc.name, str(exc)))
                continue
            if item is not None:
                prepared.append(item)
        self._store(prepared, report, on_progress)
        report.seconds = time.perf_counter() - started
        return report

    def ingest_bytes(
        self,
        name: str,
        data: bytes,
        sidecar_text: str | None = None,
        on_progress: Progress | None = None,
        force: bool = False,
    ) -> IngestReport:
        """Ingest one uploaded file (the console and API path); `force` re-embeds it even
        when unchanged (re-indexing)."""
        started = time.perf_counter()
        report = IngestReport()
        try:
            sidecar = parse_sidecar(sidecar_text, name) if sidecar_text else {}
            loaded = load_bytes(name, data, self.config.max_file_bytes)
            item = self._prepare(build_document(loaded, sidecar), report, {}, force=force)
        except DocumentRejected as exc:
            report.rejected.append((exc.name, str(exc)))
            item = None
        self._store([item] if item is not None else [], report, on_progress, force=force)
        report.seconds = time.perf_counter() - started
        return report

    def ingest_vectors(self, document: PolicyDocument, clauses: list[Clause], vectors: np.ndarray) -> None:
        """Store a document whose clauses were split and embedded elsewhere (synthetic
        benchmark corpora); the same swap-in as `ingest`."""
        if len(clauses) != len(vectors):
            raise ValueError(f"{len(clauses)} clauses but {len(vectors)} vectors")
        tokens = [self.tokenizer.tokenize(f"{c.clause_path}\n{c.text}") for c in clauses]
        item = _Prepared(document, fingerprint(document, self.config.max_chunk_tokens), clauses, tokens,
                         replaces=False, vectors=np.asarray(vectors, dtype=np.float32))
        with self._write_lock:
            self._commit(item)

    def clear_query_cache(self) -> None:
        """Forget cached query embeddings (benchmarks time the embedding too)."""
        with self._query_cache_lock:
            self._query_cache.clear()

    def remove(self, doc_id: str) -> StoredDocument:
        """Delete a document from the registry, Chroma and BM25."""
        with self._write_lock:
            document = self.document(doc_id)
            self._ready_to_write()
            self.registry.mark_pending(doc_id)
            self.registry.remove_document(doc_id)
            self.vectors.delete_document(doc_id)
            self.registry.clear_pending(doc_id)
        return document

    def _prepare(
        self, document: PolicyDocument, report: IngestReport, seen: dict[str, str], force: bool = False
    ) -> _Prepared | None:
        if document.doc_id in seen:
            raise DocumentRejected(
                document.source, f"与同批文件“{seen[document.doc_id]}”的文件编号 {document.doc_id} 相同，请改名后重试。"
            )
        document = self._claim_id(document)
        seen[document.doc_id] = document.source
        report.warnings += [(document.source, warning) for warning in document.warnings]
        content_hash = fingerprint(document, self.config.max_chunk_tokens)
        existing = self.registry.content_hash(document.doc_id)
        if existing == content_hash and not force:
            report.unchanged.append((document.doc_id, document.source))
            return None
        clauses = parse_clauses(document, self.config.max_chunk_tokens)
        if not clauses:
            raise DocumentRejected(document.source, "没有解析出任何条款。")
        tokens = [self.tokenizer.tokenize(f"{c.clause_path}\n{c.text}") for c in clauses]
        return _Prepared(document, content_hash, clauses, tokens, replaces=existing is not None)

    def _claim_id(self, document: PolicyDocument) -> PolicyDocument:
        """The id this document is stored under. A file of the same name as a stored one
        updates it (under the id it was stored with); a different file whose name derives
        an id already taken is refused, never silently put in the other's place."""
        if document.doc_id != doc_id_for(document.source):
            return document  # the id was set explicitly in a sidecar: the uploader's choice
        same_file = self.registry.doc_id_of_source(document.source)
        if same_file:
            return replace(document, doc_id=same_file)
        holder = self.registry.document(document.doc_id)
        if holder is not None:
            raise DocumentRejected(
                document.source,
                f"文件编号 {document.doc_id} 已被《{holder.title}》（文件“{holder.source}”）使用；"
                "为免覆盖不同的文件，请改名后重新上传，或在同名 .meta.yaml 中指定 doc_id。",
            )
        return document

    def _store(
        self, prepared: list[_Prepared], report: IngestReport, on_progress: Progress | None, force: bool = False
    ) -> None:
        """Embed everything first (no lock), then swap documents in one by one, each under
        the write lock."""
        if prepared:
            self.vectors.count()  # a Chroma server that is down fails here, before the embedding work
        self._embed(prepared, on_progress)
        for item in prepared:
            try:
                with self._write_lock:
                    self._ready_to_write()
                    if not self._still_wanted(item, force):
                        report.unchanged.append((item.document.doc_id, item.document.source))
                        continue
                    self._commit(item)
            except DocumentRejected as exc:
                report.rejected.append((exc.name, str(exc)))
                continue
            entry = (item.document.doc_id, item.document.source, len(item.clauses))
            (report.updated if item.replaces else report.added).append(entry)

    def _still_wanted(self, item: _Prepared, force: bool) -> bool:
        """Under the write lock: whether a document prepared without it is still to be
        stored, as prepared. Another write may have stored the same content, removed the
        document, or given its id to another file in the meantime."""
        claimed = self._claim_id(item.document)
        if claimed.doc_id != item.document.doc_id:
            raise DocumentRejected(
                item.document.source, f"入库期间文件编号已改为 {claimed.doc_id}，请重新上传这份文件。"
            )
        existing = self.registry.content_hash(item.document.doc_id)
        if existing == item.content_hash and not force:
            return False
        item.replaces = existing is not None
        return True

    def _embed(self, prepared: list[_Prepared], on_progress: Progress | None) -> None:
        total = sum(len(item.clauses) for item in prepared)
        done = 0
        if on_progress:
            on_progress(0, total)
        for item in prepared:
            texts = [embedding_text(item.document, c) for c in item.clauses]
            parts = []
            for start in range(0, len(texts), EMBED_BATCH):
                parts.append(self.embedder.embed_passages(texts[start:start + EMBED_BATCH]))
                done += len(parts[-1])
                if on_progress:
                    on_progress(done, total)
            item.vectors = np.vstack(parts)

    def _ready_to_write(self) -> None:
        """Before changing anything: the vector store answers (a Chroma server that is down
        fails the write here, with nothing changed), and leftovers of an earlier failed
        write are cleaned up."""
        self.vectors.count()
        self.recover()

    def _commit(self, item: _Prepared) -> None:
        document = item.document
        vector_ids = [f"{c.clause_id}@{item.content_hash[:12]}" for c in item.clauses]
        date_number = int(document.date.replace("-", "")) if document.date else 0
        metadatas = [
            {
                "doc_id": document.doc_id, "doc_hash": item.content_hash[:12], "clause_id": c.clause_id,
                "region": document.region, "issuer": document.issuer, "level": document.level,
                "date": date_number,
            }
            for c in item.clauses
        ]
        self.registry.mark_pending(document.doc_id)
        self.vectors.upsert(vector_ids, item.vectors, metadatas)
        self.registry.replace_document(document, item.content_hash, item.clauses, vector_ids, item.tokens)
        self.vectors.delete_document(document.doc_id, keep_hash=item.content_hash[:12])
        self.registry.clear_pending(document.doc_id)


class _VectorMatrix:
    """Vector ids and their unit-length vectors, searched exactly."""

    def __init__(self, ids: list[str], vectors: np.ndarray) -> None:
        self.ids = ids
        self.documents = DocumentColumn([vid.split(":", 1)[0] for vid in ids])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True) if len(ids) else np.ones((0, 1))
        self.unit = (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)

    def nearest(self, vector: np.ndarray, k: int, allowed_docs: set[str] | None) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        query = np.asarray(vector, dtype=np.float32)
        query = query / (np.linalg.norm(query) or 1.0)
        similarity = self.unit @ query
        if allowed_docs is not None:
            similarity = np.where(self.documents.mask(allowed_docs), similarity, -np.inf)
        k = min(k, len(self.ids))
        top = np.argpartition(-similarity, k - 1)[:k]
        # Ties broken by vector id, so equal scores come back in the same order every time.
        order = sorted(top, key=lambda i: (-similarity[i], self.ids[i]))
        return [(self.ids[i], float(similarity[i])) for i in order if similarity[i] != -np.inf]


def embedding_text(document: PolicyDocument, clause: Clause) -> str:
    """What is embedded for a clause: title and heading trail make it findable by topic."""
    return f"{document.title}\n{clause.clause_path}\n{clause.text}"


def fingerprint(document: PolicyDocument, max_chunk_tokens: int) -> str:
    payload = json.dumps(
        [PIPELINE_VERSION, max_chunk_tokens, document.__dict__], ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def expand_paths(paths: list[Path], report: IngestReport) -> list[Path]:
    """Files to ingest: directories recursively, sidecars and hidden files skipped."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and not any(part.startswith(".") for part in relative):
                    if not child.name.endswith(SIDECAR_SUFFIX):
                        files.append(child)
        elif path.is_file():
            files.append(path)
        else:
            report.rejected.append((str(path), f"文件“{path}”无法入库：路径不存在。"))
    return files


__all__ = ["KnowledgeBase", "KnowledgeConfig", "IngestReport", "bundled_policies", "embedding_text"]
