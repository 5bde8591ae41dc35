"""The Chroma collection of clause vectors: embedded (PersistentClient in the data dir)
or a Chroma server (`HUIQI_CHROMA_URL`, e.g. one started with `chroma run`).

The collection records which embedder built it, so opening it with another model is
refused instead of returning nonsense neighbours.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from knowledge.errors import EmbedderMismatch, VectorStoreUnavailable

COLLECTION = "huiqi_clauses"
# Chroma's HNSW, used past the exact-search limit. At a million clauses (M 16,
# construction 200) recall@10 against exact search was 0.78 / 0.955 / 0.982 / 0.995 at
# ef_search 100 / 200 / 400 / 800, for 2.0 / 2.1 / 3.6 / 5.6 ms a query (`huiqi bench`).
HNSW_EF_SEARCH = 400
HNSW_EF_CONSTRUCTION = 200


class ChromaStore:
    """Clause vectors in one Chroma collection (cosine).

    Example:
        >>> store = ChromaStore(path=Path("/tmp/huiqi-doctest-chroma"))
        >>> store.open(embedder="e5-small", dimension=384)
        >>> store.count() >= 0
        True
    """

    def __init__(self, path: Path | None = None, url: str | None = None, collection: str = COLLECTION):
        if (path is None) == (url is None):
            raise ValueError("give exactly one of path (embedded Chroma) or url (Chroma server)")
        if url is not None:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValueError(f"HUIQI_CHROMA_URL must look like http://host:port, got {url!r}")
        self.path = path
        self.url = url
        self.collection_name = collection
        self._client = None
        self._collection = None

    @property
    def where(self) -> str:
        return self.url or str(self.path)

    def open(self, embedder: str, dimension: int, reset: bool = False) -> None:
        """Connect, create the collection if needed, and check it was built by `embedder`.

        With `reset`, every vector is dropped first (re-indexing with another model).
        """
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        try:
            if self.url:
                parsed = urlparse(self.url)
                self._client = chromadb.HttpClient(
                    host=parsed.hostname, port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https", settings=settings,
                )
                self._client.heartbeat()
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(self.path), settings=settings)
            if reset and self.collection_name in {c.name for c in self._client.list_collections()}:
                self._client.delete_collection(self.collection_name)
            collection = self._client.get_or_create_collection(
                self.collection_name,
                # One insertion thread builds the same graph from the same vectors, and a wide
                # search keeps results exact at policy-corpus sizes: answers must not change
                # between two builds of one knowledge base.
                configuration={"hnsw": {"space": "cosine", "num_threads": 1, "ef_search": HNSW_EF_SEARCH,
                                        "ef_construction": HNSW_EF_CONSTRUCTION}},
                metadata={"embedder": embedder, "dimension": dimension},
                embedding_function=None,
            )
            hnsw = (collection.configuration or {}).get("hnsw") or {}
            if hnsw.get("ef_search") not in (None, HNSW_EF_SEARCH):
                # The search width can change on a collection built earlier; the graph cannot.
                collection.modify(configuration={"hnsw": {"ef_search": HNSW_EF_SEARCH}})
        except Exception as exc:  # connection errors come in many types
            raise VectorStoreUnavailable(
                f"无法打开向量库（{self.where}）：{type(exc).__name__}。"
                + ("请确认 Chroma 服务已启动且地址正确。" if self.url else "请检查数据目录的权限。")
            ) from exc
        built_with = (collection.metadata or {}).get("embedder")
        if built_with and built_with != embedder:
            raise EmbedderMismatch(built_with, embedder)
        self._collection = collection

    @property
    def collection(self):
        if self._collection is None:
            raise RuntimeError("ChromaStore is not open; call open() first")
        return self._collection

    def count(self) -> int:
        return self._call(self.collection.count)

    def upsert(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict]) -> None:
        batch = 1000
        max_batch = getattr(self._client, "get_max_batch_size", None)
        if callable(max_batch):
            batch = max(1, min(batch, max_batch()))
        for start in range(0, len(ids), batch):
            end = start + batch
            self._call(
                self.collection.upsert,
                ids=ids[start:end], embeddings=vectors[start:end], metadatas=metadatas[start:end],
            )

    def query(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """Nearest (vector id, cosine similarity) pairs (fewer when fewer are stored).

        Chroma answers a request for more results than it holds with what it has; asking
        its count first cost more than the search itself (80 ms at a million vectors)."""
        result = self._call(
            self.collection.query,
            query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=k,
            where=where or None, include=["distances"],
        )
        return [(vid, 1.0 - float(d)) for vid, d in zip(result["ids"][0], result["distances"][0])]

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors by id (ids not stored are left out)."""
        if not ids:
            return {}
        result = self._call(self.collection.get, ids=ids, include=["embeddings"])
        return {vid: np.asarray(vector, dtype=np.float32) for vid, vector in zip(result["ids"], result["embeddings"])}

    def all_vectors(self, page: int = 5000) -> tuple[list[str], np.ndarray]:
        """Every stored (id, vector), read page by page."""
        ids: list[str] = []
        parts: list[np.ndarray] = []
        offset = 0
        while True:
            result = self._call(self.collection.get, include=["embeddings"], limit=page, offset=offset)
            if not result["ids"]:
                break
            ids.extend(result["ids"])
            parts.append(np.asarray(result["embeddings"], dtype=np.float32))
            offset += len(result["ids"])
        if not parts:
            return [], np.zeros((0, 0), dtype=np.float32)
        return ids, np.vstack(parts)

    def delete_document(self, doc_id: str, keep_hash: str | None = None) -> None:
        """Delete a document's vectors, except those of version `keep_hash`."""
        where: dict = {"doc_id": doc_id}
        if keep_hash:
            where = {"$and": [{"doc_id": doc_id}, {"doc_hash": {"$ne": keep_hash}}]}
        self._call(self.collection.delete, where=where)

    def ids_of_document(self, doc_id: str) -> list[str]:
        return self._call(self.collection.get, where={"doc_id": doc_id}, include=[])["ids"]

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            if self.url and _is_connection_error(exc):
                raise VectorStoreUnavailable(
                    f"向量库服务（{self.url}）暂时无法访问，请稍后重试或检查 Chroma 服务。"
                ) from exc
            raise


def _is_connection_error(exc: Exception) -> bool:
    names = {type(e).__name__ for e in (exc, exc.__cause__, exc.__context__) if e is not None}
    return bool(names & {"ConnectError", "ConnectionError", "ConnectTimeout", "ReadTimeout", "RemoteProtocolError"})
