"""The read side of the knowledge base: dense and lexical search over stored clauses.

Every cache here (the document list, the exact-search vector matrix, the BM25 index) is
keyed by the registry's revision, so a document stored or removed by any worker is seen
by the next question on every worker. A new revision does not rebuild them: the
documents whose version changed are left out of the built index and their current
clauses searched beside it (read from the registry and Chroma, a document's worth), and
the BM25 base is rebuilt in the background once that delta grows. At 100k clauses a
rebuild takes seconds; the next question would have waited for it on every worker.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import numpy as np

from knowledge.embeddings import Embedder
from knowledge.lexical import DocumentColumn, LiveBm25, Tokenizer, changed_documents
from knowledge.models import Clause, ClauseHit, PolicyDocument, StoredDocument, doc_id_of_vector, of_version, vector_id
from knowledge.registry import Registry
from knowledge.vectors import HNSW_EF_SEARCH, ChromaStore

# Up to this many stored vectors, dense search is one exact matrix product. HNSW over
# policy embeddings (all within a narrow cosine band) can leave a clause unreachable
# from the graph, and a clause that cannot be found is an answer that cannot be given.
# Measured at 100k clauses on 2 cores: exact ~15 ms, Chroma HNSW with a region filter
# ~100 ms at recall@10 0.66. Beyond the limit, HNSW for a question asked of the whole
# corpus or a wide part of it.
EXACT_SEARCH_LIMIT = 200_000
# The matrix is kept up to this many vectors (memory: 2 KB per clause, vectors and their
# projection) even past the exact-search limit: a region's rows are searched exactly in it.
# Chroma's filtered search took 0.3-0.4 s for 5k allowed clauses among a million, 1.3-4.8 s
# for 180k; the region's rows of the matrix take milliseconds.
VECTOR_MATRIX_LIMIT = 2_000_000
# Past this many rows, a narrower projection of the matrix picks the candidates that are
# then scored exactly (see _VectorMatrix).
COARSE_MIN_ROWS = 20_000
COARSE_DIMENSIONS = 128
COARSE_CANDIDATES = 400
QUERY_CACHE_SIZE = 64
# Clauses by vector id: a vector id names one version of one clause, so its clause never
# changes and needs no invalidation (only the document check in `_hits`).
CLAUSE_CACHE_SIZE = 20_000
# A corpus this size or smaller is read whole at start (~1.1 KB a clause: 220 MB at the
# most) and kept whole, so no question reads a clause from the registry.
CLAUSE_PRELOAD_LIMIT = 200_000
# Above the exact-search limit: a scope with at least this share of the clauses is searched
# on HNSW unfiltered for as many neighbours as the search visits anyway (ef_search), then
# kept to the scope; a narrower one (or one the fetch leaves short) in the matrix.
SCOPE_SHARE_UNFILTERED = 0.1
UNFILTERED_FETCH = HNSW_EF_SEARCH
DOCUMENT_CACHE_SIZE = 64
# The vector delta is folded into the exact matrix past this many rows (one copy).
VECTOR_DELTA_LIMIT = 5_000

log = logging.getLogger(__name__)


def embedding_text(document: PolicyDocument, clause: Clause) -> str:
    """What is embedded for a clause: title and heading trail make it findable by topic."""
    return f"{document.title}\n{clause.clause_path}\n{clause.text}"


def lexical_text(clause: Clause) -> str:
    """What BM25 indexes for a clause: its heading trail and text."""
    return f"{clause.clause_path}\n{clause.text}"


class ClauseSearch:
    """Finds clauses by embedding (exact or Chroma HNSW) and by BM25."""

    def __init__(self, registry: Registry, vectors: ChromaStore, embedder: Embedder, tokenizer: Tokenizer) -> None:
        self.registry = registry
        self.vectors = vectors
        self.embedder = embedder
        self.tokenizer = tokenizer
        self._bm25: LiveBm25 | None = None
        self._bm25_revision = -1
        self._bm25_lock = threading.Lock()
        self._bm25_rebuilding = False
        self._matrix: _VectorIndex | None = None
        self._matrix_revision = -1
        self._matrix_lock = threading.Lock()
        self._clauses: OrderedDict[str, Clause] = OrderedDict()
        self._clauses_lock = threading.Lock()
        self._document_clauses: OrderedDict[tuple[str, str], list[Clause]] = OrderedDict()
        self._preloaded_documents: dict[tuple[str, str], list[Clause]] = {}
        self._clause_cache_size = CLAUSE_CACHE_SIZE
        self._documents: tuple[int, dict[str, StoredDocument]] | None = None
        self._query_cache: dict[str, np.ndarray] = {}
        self._query_cache_lock = threading.Lock()

    def prepare(self) -> None:
        """Build the per-revision indexes now (a server does it at start). Past the
        exact-search limit Chroma's HNSW index is read too: its first query loads it (3.5 s
        at a million clauses), which would otherwise be the first visitor's wait."""
        self._documents_by_id()
        matrix = self._vector_matrix()
        self._lexical_index()
        if matrix is None or matrix.size > EXACT_SEARCH_LIMIT:
            self.vectors.query(self.query_vector("企业"), 1)
        if matrix is not None and matrix.size <= CLAUSE_PRELOAD_LIMIT:
            self._preload_clauses(matrix.vector_ids())

    def _preload_clauses(self, vector_ids: list[str]) -> None:
        """Every clause, by vector id and by document, read in one pass (the answer reads
        the cited document's other clauses too); the clause cache grows to hold them all."""
        self._clause_cache_size = max(CLAUSE_CACHE_SIZE, len(vector_ids) + VECTOR_DELTA_LIMIT)
        found = self._clauses_by_vector_id(vector_ids)
        documents = self._documents_by_id()
        by_document: dict[tuple[str, str], list[Clause]] = {}
        for vid, clause in found.items():
            document = documents.get(clause.doc_id)
            if document is not None and vid == vector_id(clause.clause_id, document.content_hash):
                by_document.setdefault((clause.doc_id, document.content_hash), []).append(clause)
        with self._clauses_lock:
            # A document some of whose clauses have no vector (an ingest cut short) is left
            # to the registry.
            self._preloaded_documents = {key: sorted(clauses, key=lambda c: c.ordinal)
                                         for key, clauses in by_document.items()
                                         if len(clauses) == documents[key[0]].chunks}

    def documents(self) -> list[StoredDocument]:
        """Every stored document (read once per registry revision; every question asks)."""
        return list(self._documents_by_id().values())

    def _documents_by_id(self) -> dict[str, StoredDocument]:
        revision = self.registry.revision()
        cached = self._documents
        if cached is None or cached[0] != revision:
            cached = (revision, {d.doc_id: d for d in self.registry.documents()})
            self._documents = cached
            current = {(d.doc_id, d.content_hash) for d in cached[1].values()}
            with self._clauses_lock:  # the read-ahead lists of documents since changed or removed
                self._preloaded_documents = {k: v for k, v in self._preloaded_documents.items() if k in current}
        return cached[1]

    def document(self, doc_id: str) -> StoredDocument | None:
        return self._documents_by_id().get(doc_id)

    def clauses(self, doc_id: str) -> list[Clause] | None:
        """The clauses of a stored document in order (None when it is not stored); the
        answerer reads a cited document's neighbours for every question, so the last few
        documents' clauses are kept, by version."""
        document = self._documents_by_id().get(doc_id)
        if document is None:
            return None
        key = (doc_id, document.content_hash)
        with self._clauses_lock:
            cached = self._preloaded_documents.get(key)
            if cached is not None:
                return list(cached)
            cached = self._document_clauses.get(key)
            if cached is not None:
                self._document_clauses.move_to_end(key)
                return list(cached)
        clauses = self.registry.clauses(doc_id, document.content_hash)
        if not clauses:  # stored again meanwhile: the next revision reads it afresh
            return clauses
        with self._clauses_lock:
            self._document_clauses[key] = clauses
            while len(self._document_clauses) > DOCUMENT_CACHE_SIZE:
                self._document_clauses.popitem(last=False)
        return list(clauses)

    def dense(self, query: str, k: int, allowed_docs: set[str] | None = None) -> list[ClauseHit]:
        """Clauses nearest to `query` by embedding, with cosine similarity as score."""
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        vector = self.query_vector(query)
        # Over-fetch: vectors of an interrupted ingest are filtered out below.
        matrix = self._vector_matrix()
        if matrix is not None and matrix.size <= EXACT_SEARCH_LIMIT:
            pairs = matrix.nearest(vector, k + 8, allowed_docs)
        else:
            pairs = self._nearest_past_exact_limit(vector, k + 8, allowed_docs, matrix)
        return self._hits(pairs, "dense")[:k]

    def _nearest_past_exact_limit(self, vector: np.ndarray, k: int, allowed_docs: set[str] | None,
                                  matrix: _VectorIndex | None) -> list[tuple[str, float]]:
        """Neighbours in a corpus past the exact-search limit. The whole corpus, or a
        scope holding a good share of it (a city's and its province's documents), is
        searched on Chroma's HNSW unfiltered, over-fetching and keeping the scope's own. A
        narrow scope, or one the over-fetch leaves short, is searched exactly over its rows
        of the matrix (through Chroma's filter only when the matrix is not kept)."""
        if allowed_docs is None:
            return self.vectors.query(vector, k)
        if not allowed_docs:
            return []
        documents = self._documents_by_id()
        total = matrix.size if matrix is not None else sum(d.chunks for d in documents.values())
        share = sum(documents[d].chunks for d in allowed_docs if d in documents) / (total or 1)
        if share >= SCOPE_SHARE_UNFILTERED:
            fetched = self.vectors.query(vector, UNFILTERED_FETCH)
            kept = [(vid, score) for vid, score in fetched if doc_id_of_vector(vid) in allowed_docs]
            if len(kept) >= k or len(fetched) < UNFILTERED_FETCH:
                return kept[:k]
        if matrix is not None:
            return matrix.nearest(vector, k, allowed_docs)
        return self.vectors.query(vector, k, {"doc_id": {"$in": sorted(allowed_docs)}})

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

    def expansions(self, token: str) -> tuple[str, ...]:
        """Indexed words `token` may abbreviate (个税 ~ 个人所得税); () when clauses use it."""
        return self._lexical_index().expansions(token)

    def term_weights(self, tokens: list[str]) -> list[float]:
        """IDF of each token over the indexed clauses (rare terms weigh more)."""
        index = self._lexical_index()
        return [index.idf(token) for token in tokens]

    def document_frequencies(self, tokens: list[str]) -> list[int]:
        """How many indexed clauses contain each token."""
        index = self._lexical_index()
        return [index.document_frequency(token) for token in tokens]

    def _hits(self, pairs: list[tuple[str, float]], kind: str) -> list[ClauseHit]:
        clauses = self._clauses_by_vector_id([vid for vid, _ in pairs])
        # Documents from the per-revision cache: one read per change, not one per hit.
        documents = self._documents_by_id()
        hits = []
        for vid, score in pairs:
            clause = clauses.get(vid)
            document = documents.get(clause.doc_id) if clause is not None else None
            # Only the version of the clause that is stored now (a vector id ends with it).
            if document is not None and vid == vector_id(clause.clause_id, document.content_hash):
                hits.append(ClauseHit(clause, document, score, {kind: score}))
        return hits

    def _clauses_by_vector_id(self, vector_ids: list[str]) -> dict[str, Clause]:
        with self._clauses_lock:
            found = {vid: self._clauses[vid] for vid in vector_ids if vid in self._clauses}
        missing = [vid for vid in vector_ids if vid not in found]
        if missing:
            read = self.registry.clauses_by_vector_id(missing)
            found.update(read)
            with self._clauses_lock:
                self._clauses.update(read)
                while len(self._clauses) > self._clause_cache_size:
                    self._clauses.popitem(last=False)
        return found

    def _versions(self) -> dict[str, str]:
        return {doc_id: d.content_hash for doc_id, d in self._documents_by_id().items()}

    def _vector_matrix(self) -> _VectorIndex | None:
        """All stored vectors as normalized matrices, brought up to date when the registry
        changes; None when the collection is beyond VECTOR_MATRIX_LIMIT."""
        revision = self.registry.revision()
        with self._matrix_lock:
            if self._matrix_revision != revision:
                versions = self._versions()
                current = self._matrix
                if current is not None and current.size + current.changed_rows(versions) <= VECTOR_MATRIX_LIMIT:
                    self._matrix = current.updated(versions, self._vectors_of)
                elif self.vectors.count() <= VECTOR_MATRIX_LIMIT:
                    ids, vectors = self.vectors.all_vectors(page=20_000)
                    self._matrix = _VectorIndex(_VectorMatrix(ids, vectors), versions)
                else:
                    self._matrix = None
                self._matrix_revision = revision
            return self._matrix

    def _vectors_of(self, doc_ids: set[str]) -> tuple[list[str], np.ndarray]:
        """Vector ids and vectors of the clauses of these documents, as stored now."""
        ids = self.registry.token_rows(doc_ids)[1]
        stored = self.vectors.vectors(ids)
        found = [vid for vid in ids if vid in stored]
        return found, np.vstack([stored[vid] for vid in found]) if found else np.zeros((0, 0), dtype=np.float32)

    def _lexical_index(self) -> LiveBm25:
        revision = self.registry.revision()
        with self._bm25_lock:
            if self._bm25 is None or self._bm25_revision != revision:
                if self._bm25 is None:
                    self._bm25 = LiveBm25.build(*self.registry.token_rows())
                else:
                    self._bm25 = self._bm25.updated(self._versions(), lambda docs: self.registry.token_rows(docs)[1:])
                    if self._bm25.needs_rebuild() and not self._bm25_rebuilding:
                        self._bm25_rebuilding = True
                        try:
                            threading.Thread(target=self._rebuild_lexical, name="huiqi-bm25-rebuild", daemon=True).start()
                        except RuntimeError:  # no thread to be had: the next change tries again
                            self._bm25_rebuilding = False
                self._bm25_revision = revision
            return self._bm25

    def _rebuild_lexical(self) -> None:
        """A new BM25 base from the registry, swapped in with whatever changed meanwhile
        applied on top (questions keep the old base until then)."""
        try:
            built = LiveBm25.build(*self.registry.token_rows())
            with self._bm25_lock:
                current = self._bm25
                target = current.versions if current is not None else built.versions
                self._bm25 = built.updated(target, lambda docs: self.registry.token_rows(docs)[1:])
        except Exception:  # the old index keeps serving; the next change tries again
            log.exception("BM25 rebuild failed")
        finally:
            self._bm25_rebuilding = False


class _VectorIndex:
    """The exact matrix of a set of document versions plus the vectors of documents
    changed since (the matrix's rows of those documents left out). Each update returns a
    new object, so a search in flight keeps reading the one it started with."""

    def __init__(self, base: _VectorMatrix, base_versions: dict[str, str], versions: dict[str, str] | None = None,
                 dead: np.ndarray | None = None, delta: _VectorMatrix | None = None) -> None:
        self.base = base
        self.base_versions = base_versions
        self.versions = versions if versions is not None else base_versions
        self._dead = dead
        self.delta = delta if delta is not None else _VectorMatrix([], np.zeros((0, 0), dtype=np.float32))

    @property
    def size(self) -> int:
        return len(self.base.ids) + len(self.delta.ids)

    def changed_rows(self, versions: dict[str, str]) -> int:
        """About how many rows an update to `versions` adds (the changed documents' clauses
        are not known before they are read: the base's rows of them stand in)."""
        changed = changed_documents(self.versions, versions)
        return int(self.base.documents.mask(changed).sum()) if changed else 0

    def updated(self, versions: dict[str, str], vectors_of) -> "_VectorIndex":
        changed = changed_documents(self.base_versions, versions)
        dead = self.base.documents.mask(changed) if changed else None
        wanted = {doc_id for doc_id in changed if doc_id in versions}
        kept = [i for i, vid in enumerate(self.delta.ids)
                if doc_id_of_vector(vid) in wanted
                and self.versions.get(doc_id_of_vector(vid)) == versions.get(doc_id_of_vector(vid))]
        ids = [self.delta.ids[i] for i in kept]
        parts = [self.delta.unit[kept]] if kept else []
        missing = wanted - {doc_id_of_vector(vid) for vid in ids}
        if missing:
            new_ids, new_vectors = vectors_of(missing)
            fresh = [i for i, vid in enumerate(new_ids) if of_version(vid, versions)]
            if fresh:
                ids += [new_ids[i] for i in fresh]
                parts.append(new_vectors[fresh])
        delta = _VectorMatrix(ids, np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32))
        if len(delta.ids) > VECTOR_DELTA_LIMIT:
            # Folded into one matrix: one copy now instead of a wide delta every question.
            alive = ~dead if dead is not None else np.ones(len(self.base.ids), dtype=bool)
            base_ids = [vid for vid, keep in zip(self.base.ids, alive) if keep]
            rows = [self.base.unit[alive]] if base_ids else []  # an empty base is (0, 0)
            matrix = _VectorMatrix(base_ids + delta.ids, np.vstack([*rows, delta.unit]))
            return _VectorIndex(matrix, dict(versions))
        return _VectorIndex(self.base, self.base_versions, dict(versions), dead, delta)

    def has(self, vid: str) -> bool:
        return self.delta.has(vid) or (self.base.has(vid) and not self._is_dead(vid))

    def vector_ids(self) -> list[str]:
        """The ids of every live vector."""
        return [vid for vid in self.base.ids if not self._is_dead(vid)] + list(self.delta.ids)

    def row(self, vid: str) -> np.ndarray:
        return self.delta.row(vid) if self.delta.has(vid) else self.base.row(vid)

    def _is_dead(self, vid: str) -> bool:
        return self._dead is not None and bool(self._dead[self.base.position[vid]])

    def nearest(self, vector: np.ndarray, k: int, allowed_docs: set[str] | None) -> list[tuple[str, float]]:
        found = self.base.nearest(vector, k, allowed_docs, self._dead)
        if self.delta.ids:
            found += self.delta.nearest(vector, k, allowed_docs)
            found.sort(key=lambda pair: (-pair[1], pair[0]))
        return found[:k]


class _VectorMatrix:
    """Vector ids and their unit-length vectors, searched exactly. Rows are kept grouped
    by document, so a search limited to some documents (a region's) multiplies only
    their rows.

    The product is bound by memory bandwidth (~12 ms over 100k rows of 384 floats on one
    core). Past COARSE_MIN_ROWS rows, every row is also kept projected onto the
    COARSE_DIMENSIONS directions along which the stored vectors vary most: the product
    over that narrower matrix picks COARSE_CANDIDATES rows, and those are scored exactly.
    """

    def __init__(self, ids: list[str], vectors: np.ndarray) -> None:
        doc_ids = [doc_id_of_vector(vid) for vid in ids]
        order = sorted(range(len(ids)), key=lambda i: doc_ids[i])
        self.ids = [ids[i] for i in order]
        self.position = {vid: i for i, vid in enumerate(self.ids)}
        self.documents = DocumentColumn([doc_ids[i] for i in order])
        # One copy (the reordering) normalized in place: at a million rows each copy is 1.5 GB.
        unit = np.asarray(vectors, dtype=np.float32)[order] if len(ids) else vectors.astype(np.float32)
        if len(ids):
            norms = np.linalg.norm(unit, axis=1, keepdims=True)
            unit /= np.where(norms == 0, 1.0, norms)
        self.unit = unit
        self._basis: np.ndarray | None = None
        self._coarse: np.ndarray | None = None
        if len(self.ids) >= COARSE_MIN_ROWS and self.unit.shape[1] > COARSE_DIMENSIONS:
            self._basis = _principal_directions(self.unit, COARSE_DIMENSIONS)
            self._coarse = np.ascontiguousarray(self.unit @ self._basis)

    def has(self, vid: str) -> bool:
        return vid in self.position

    def row(self, vid: str) -> np.ndarray:
        """The unit-length vector stored under `vid`."""
        return self.unit[self.position[vid]]

    def nearest(self, vector: np.ndarray, k: int, allowed_docs: set[str] | None,
                dead: np.ndarray | None = None) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        query = np.asarray(vector, dtype=np.float32)
        query = query / (np.linalg.norm(query) or 1.0)
        coarse = self._coarse is not None
        matrix, probe = (self._coarse, query @ self._basis) if coarse else (self.unit, query)
        spans = self.documents.spans(allowed_docs) if allowed_docs is not None else None
        if spans is not None and sum(end - start for start, end in spans) < len(self.ids) // 2:
            if not spans:
                return []
            rows = np.concatenate([np.arange(start, end) for start, end in spans])
            similarity = np.concatenate([matrix[start:end] @ probe for start, end in spans])
        else:
            rows = None
            similarity = matrix @ probe
            if allowed_docs is not None:
                similarity = np.where(self.documents.mask(allowed_docs), similarity, -np.inf)
        if dead is not None:
            similarity[dead[rows] if rows is not None else dead] = -np.inf
        wanted = min(max(k, COARSE_CANDIDATES) if coarse else k, len(similarity))
        top = np.argpartition(-similarity, wanted - 1)[:wanted]
        positions = rows[top] if rows is not None else top
        scores = similarity[top]
        if coarse:  # the candidates scored exactly, the k best kept
            reachable = scores != -np.inf
            positions = positions[reachable]
            scores = self.unit[positions] @ query
            if len(scores) > k:
                best = np.argpartition(-scores, k - 1)[:k]
                positions, scores = positions[best], scores[best]
        # Ties broken by vector id, so equal scores come back in the same order every time.
        order = sorted(zip(scores, positions), key=lambda pair: (-pair[0], self.ids[pair[1]]))
        return [(self.ids[i], float(score)) for score, i in order if score != -np.inf]


def _principal_directions(unit: np.ndarray, count: int, sample: int = 20_000, seed: int = 7) -> np.ndarray:
    """The `count` directions along which the rows vary most (right singular vectors of a
    sample of them), as a (dimension, count) matrix: projected onto these, dot products
    keep their order well enough to choose candidates."""
    rows = unit
    if len(unit) > sample:
        rows = unit[np.random.default_rng(seed).choice(len(unit), sample, replace=False)]
    _, _, directions = np.linalg.svd(rows, full_matrices=False)
    return np.ascontiguousarray(directions[:count].T.astype(np.float32))
