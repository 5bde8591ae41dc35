"""BM25 over jieba tokens, with a user dictionary of policy terms (专精特新, 小巨人…).

Policy questions hinge on exact terms and figures, which BM25 matches better than any
small embedding model; the hybrid retriever fuses both.
"""

from __future__ import annotations

import functools
import re
import threading
from importlib import resources

import numpy as np

from knowledge.models import doc_id_of_vector

_STOPWORDS = frozenset(
    "的 了 和 与 及 或 是 在 对 为 等 有 被 把 从 向 由 以 将 并 也 就 都 而 之 其 这 那 个 "
    "我 我们 你 您 他 她 它 吗 呢 吧 啊 呀 么 怎么 怎样 如何 什么 多少 哪些 哪个 哪里 几 "
    "可以 能 能否 是否 请问 请 一下 想 要 会 给 给予 有没有 没有 还 又 再 该 此 上 下 中 "
    "咋 啥 咋样 咋办 怎么办 能不能 有没 多大 多久 不 嘛 哈 哦 呗 俺 咱 咱们 俺们 我司 那个 这个".split()
)
_TOKEN = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)


class Tokenizer:
    """jieba search-mode tokens, lower-cased, without punctuation and stopwords.

    Example:
        >>> Tokenizer().tokenize("首次获评小巨人企业奖励多少？")
        ['首次', '获评', '巨人', '企业', '小巨人', '小巨人企业', '奖励']
    """

    def __init__(self) -> None:
        self._jieba = None
        self._lock = threading.Lock()
        # A question is tokenized by retrieval, relevance and the answerer in turn; the
        # same text is cut once.
        self._cut = functools.lru_cache(maxsize=512)(self._cut_for_search)

    def warm_up(self) -> None:
        with self._lock:
            if self._jieba is not None:
                return
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            terms = resources.files("knowledge").joinpath("policy_terms.txt")
            with resources.as_file(terms) as path:
                tokenizer.load_userdict(str(path))
            self._jieba = tokenizer

    def tokenize(self, text: str) -> list[str]:
        self.warm_up()
        return list(self._cut(text))

    def _cut_for_search(self, text: str) -> tuple[str, ...]:
        tokens = []
        for token in self._jieba.cut_for_search(text):
            token = token.strip().lower()
            if token and token not in _STOPWORDS and _TOKEN.search(token):
                tokens.append(token)
        return tuple(tokens)


class DocumentColumn:
    """The document of each row, as integer codes, for fast per-document row masks."""

    def __init__(self, doc_ids: list[str]) -> None:
        names, codes = np.unique(np.array(doc_ids, dtype=object), return_inverse=True) if doc_ids else ([], [])
        self._code = {name: i for i, name in enumerate(names)}
        self._codes = np.asarray(codes, dtype=np.int32)

    def mask(self, doc_ids: set[str]) -> np.ndarray:
        """True on the rows of the given documents."""
        wanted = [self._code[d] for d in doc_ids if d in self._code]
        return np.isin(self._codes, np.asarray(wanted, dtype=np.int32))


class Bm25Index:
    """An in-memory BM25 index (bm25s) over pre-tokenized clauses, keyed by vector id."""

    def __init__(self, ids: list[str], tokens: list[list[str]]) -> None:
        import bm25s

        self.ids = list(ids)
        self._documents = DocumentColumn([doc_id_of_vector(vid) for vid in self.ids])
        self._document_frequency: dict[str, int] = {}
        for clause_tokens in tokens:
            for token in set(clause_tokens):
                self._document_frequency[token] = self._document_frequency.get(token, 0) + 1
        self._bm25 = None
        if self.ids:
            self._bm25 = bm25s.BM25()
            # An empty clause would make bm25s drop the row; keep positions aligned.
            self._bm25.index([t or ["∅"] for t in tokens], show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, token: str) -> float:
        """BM25 inverse document frequency; a term no clause contains weighs the most."""
        n = len(self.ids)
        df = self._document_frequency.get(token, 0)
        return float(np.log((n - df + 0.5) / (df + 0.5) + 1.0))

    def search(self, tokens: list[str], k: int, allowed_docs: set[str] | None = None) -> list[tuple[str, float]]:
        """Top `k` (vector id, score) with score > 0, optionally limited to clauses of the
        documents in `allowed_docs`."""
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        if self._bm25 is None or not tokens:
            return []
        mask = None
        if allowed_docs is not None:
            mask = self._documents.mask(allowed_docs).astype(np.float32)
            if not mask.any():
                return []
        known = [t for t in tokens if t in self._bm25.vocab_dict]
        if not known:
            return []
        limit = min(k, len(self.ids))
        positions, scores = self._bm25.retrieve(
            [known], k=limit, show_progress=False, weight_mask=mask, n_threads=1
        )
        return [
            (self.ids[int(p)], float(s)) for p, s in zip(positions[0], scores[0]) if s > 0
        ]
