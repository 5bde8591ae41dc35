"""The read side of the knowledge base: dense and lexical search over stored clauses.

Every cache here (the document list, the exact-search vector matrix, the BM25 index) is
keyed by the registry's revision, so a document stored or removed by any worker is seen
by the next question on every worker.
"""

from __future__ import annotations

import threading

import numpy as np

from knowledge.embeddings import Embedder
from knowledge.lexical import Bm25Index, DocumentColumn, Tokenizer
from knowledge.models import Clause, ClauseHit, PolicyDocument, StoredDocument, doc_id_of_vector, vector_id
from knowledge.registry import Registry
from knowledge.vectors import ChromaStore

# Up to this many stored vectors, dense search is one exact matrix product. HNSW over
# policy embeddings (all within a narrow cosine band) can leave a clause unreachable
# from the graph, and a clause that cannot be found is an answer that cannot be given.
# Measured at 100k clauses on 2 cores: exact ~15 ms, Chroma HNSW with a region filter
# ~100 ms at recall@10 0.66. Beyond the limit (memory: 1.5 KB per clause), HNSW.
EXACT_SEARCH_LIMIT = 200_000
QUERY_CACHE_SIZE = 64


def embedding_text(document: PolicyDocument, clause: Clause) -> str:
    """What is embedded for a clause: title and heading trail make it findable by topic."""
    return f"{document.title}\n{clause.clause_path}\n{clause.text}"


class ClauseSearch:
    """Finds clauses by embedding (exact or Chroma HNSW) and by BM25."""

    def __init__(self, registry: Registry, vectors: ChromaStore, embedder: Embedder, tokenizer: Tokenizer) -> None:
        self.registry = registry
        self.vectors = vectors
        self.embedder = embedder
        self.tokenizer = tokenizer
        self._bm25: Bm25Index | None = None
        self._bm25_revision = -1
        self._bm25_lock = threading.Lock()
        self._matrix: _VectorMatrix | None = None
        self._matrix_revision = -1
        self._matrix_lock = threading.Lock()
        self._documents: tuple[int, dict[str, StoredDocument]] | None = None
        self._query_cache: dict[str, np.ndarray] = {}
        self._query_cache_lock = threading.Lock()

    def documents(self) -> list[StoredDocument]:
        """Every stored document (read once per registry revision; every question asks)."""
        return list(self._documents_by_id().values())

    def _documents_by_id(self) -> dict[str, StoredDocument]:
        revision = self.registry.revision()
        cached = self._documents
        if cached is None or cached[0] != revision:
            cached = (revision, {d.doc_id: d for d in self.registry.documents()})
            self._documents = cached
        return cached[1]

    def dense(self, query: str, k: int, allowed_docs: set[str] | None = None) -> list[ClauseHit]:
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

    def lexical(
        self, query: str, k: int, allowed_docs: set[str] | None = None, tokens: list[str] | None = None
    ) -> list[ClauseHit]:
        """Clauses ranked by BM25 over jieba tokens (`tokens`, when given, instead of the
        query's own: a query widened with synonyms)."""
        index = self._lexical_index()
        words = tokens if tokens is not None else self.tokenizer.tokenize(query)
        return self._hits(index.search(words, k, allowed_docs), "bm25")

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding; the last few are kept, since scoring asks again."""
        with self._query_cache_lock:
            cached = self._query_cache.get(query)
        if cached is not None:
            return cached
        vector = self.embedder.embed_queries([query])[0]
        with self._query_cache_lock:
            self._query_cache[query] = vector
            while len(self._query_cache) > QUERY_CACHE_SIZE:
                self._query_cache.pop(next(iter(self._query_cache)))
        return vector

    def clear_query_cache(self) -> None:
        with self._query_cache_lock:
            self._query_cache.clear()

    def similarities(self, query: str, hits: list[ClauseHit]) -> dict[str, float]:
        """Exact cosine similarity of `query` to each hit's stored vector, by clause id."""
        ids = {vector_id(h.clause.clause_id, h.document.content_hash): h for h in hits}
        # From the in-memory matrix when there is one; the vector store is asked only for the rest.
        matrix = self._vector_matrix()
        stored = {}
        if matrix is not None:
            stored = {ids[vid].clause.clause_id: matrix.row(vid) for vid in ids if matrix.has(vid)}
        missing = [vid for vid in ids if ids[vid].clause.clause_id not in stored]
        if missing:
            stored.update({ids[vid].clause.clause_id: v for vid, v in self.vectors.vectors(missing).items()})
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
        # Documents from the per-revision cache: one read per change, not one per hit.
        documents = self._documents_by_id()
        hits = []
        for vid, score in pairs:
            clause = clauses.get(vid)
            document = documents.get(clause.doc_id) if clause is not None else None
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


class _VectorMatrix:
    """Vector ids and their unit-length vectors, searched exactly."""

    def __init__(self, ids: list[str], vectors: np.ndarray) -> None:
        self.ids = ids
        self.position = {vid: i for i, vid in enumerate(ids)}
        self.documents = DocumentColumn([doc_id_of_vector(vid) for vid in ids])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True) if len(ids) else np.ones((0, 1))
        self.unit = (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)

    def has(self, vid: str) -> bool:
        return vid in self.position

    def row(self, vid: str) -> np.ndarray:
        """The unit-length vector stored under `vid`."""
        return self.unit[self.position[vid]]

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
