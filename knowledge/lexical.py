"""BM25 over jieba tokens, with a user dictionary of policy terms (专精特新, 小巨人…).

Policy questions hinge on exact terms and figures, which BM25 matches better than any
small embedding model; the hybrid retriever fuses both.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from importlib import resources

import numpy as np

from knowledge.models import doc_id_of_vector, of_version

_STOPWORDS = frozenset(
    "的 了 和 与 及 或 是 在 对 为 等 有 被 把 从 向 由 以 将 并 也 就 都 而 之 其 这 那 个 "
    "我 我们 你 您 他 她 它 吗 呢 吧 啊 呀 么 怎么 怎样 如何 什么 多少 哪些 哪个 哪里 几 "
    "可以 能 能否 是否 请问 请 一下 想 要 会 给 给予 有没有 没有 还 又 再 该 此 上 下 中 "
    "咋 啥 咋样 咋办 怎么办 能不能 有没 多大 多久 不 嘛 哈 哦 呗 俺 咱 咱们 俺们 我司 那个 这个".split()
)
_TOKEN = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
_CJK = re.compile(r"[\u4e00-\u9fff]+")


def _in_order(short: str, full: str) -> bool:
    """True when every character of `short` appears in `full`, in order."""
    rest = iter(full)
    return all(ch in rest for ch in short)


_HOW_TAGS = frozenset("rcdpuyeoqi")
"""jieba's tags of pronouns, conjunctions, adverbs, prepositions, particles, interjections,
onomatopoeia, measure words and idioms."""
_WHEN_AND_WHERE_SAID = frozenset(
    "今年 去年 前年 明年 后年 最近 目前 现在 如今 以后 之后 之前 以前 今后 将来 过去 平时 平常 近期 近年 "
    "年底 年初 年末 上半年 下半年 往年 当时 前些年 早些年 这两年 那时 附近 以上 以下".split())
"""Words of when and where the owner speaks from (今年, 最近, 附近), not of a policy's own time or
place (当年, 春节, 老年, 沿海): jieba tags both alike."""
_FEW = frozenset("一几两多些好")
_POINTING = frozenset("这那")
_SPOKEN_PLACE = re.compile(r"(?:区|县|市|省|村|镇|乡|这|那|哪)里|(?:这|那|哪|块|点|会|事)儿")

class Tokenizer:
    """jieba search-mode tokens, lower-cased, without punctuation and stopwords.

    Example:
        >>> Tokenizer().tokenize("首次获评小巨人企业奖励多少？")
        ['首次', '获评', '巨人', '企业', '小巨人', '小巨人企业', '奖励']
    """

    def __init__(self) -> None:
        self._jieba = None
        self._tags: dict[str, str] | None = None
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

    def names_a_thing(self, token: str) -> bool:
        """`token` is a noun, a place, an abbreviation or a noun-like verb in jieba's
        general dictionary (光伏, 宅基地, 社保, 深圳, 发电), not a word of how a sentence
        is said (区里, 今年, 打算, 这边) nor a fragment jieba glued together (能补, 对省).

        jieba's dictionary tags some spoken fragments as nouns (搞了个, 开了个, 县里, 块儿):
        a word with the particle 了 or ending in the measure word 个, and 区里/这儿-like
        words of place, name nothing (婴幼儿, 公里 do).

        Example:
            >>> [Tokenizer().names_a_thing(w) for w in ("光伏", "社保", "区里", "打算", "能补")]
            [True, True, False, False, False]
            >>> [Tokenizer().names_a_thing(w) for w in ("搞了个", "县里", "块儿", "安家费", "婴幼儿")]
            [False, False, False, True, True]
        """
        if "了" in token or token.endswith("个") or _SPOKEN_PLACE.fullmatch(token):
            return False
        tag = self._tag_of(token)
        return tag is not None and (tag.startswith("n") or tag in ("vn", "j", "eng"))

    def _tag_of(self, token: str) -> str | None:
        """jieba's part-of-speech tag of a word of its dictionaries, None for any other."""
        self.warm_up()
        if self._tags is None:
            import jieba.posseg

            self._tags = jieba.posseg.POSTokenizer(self._jieba).word_tag_tab
        return self._tags.get(token)

    def says_how(self, token: str) -> bool:
        """`token` is a word of how a sentence is put, naming nothing asked about: a pronoun,
        conjunction, adverb, preposition, particle, interjection, idiom or measure word in
        jieba's general dictionary (那边, 还是, 非得, 按照, 一窍不通), or a numeral opening with
        one or a few (一个, 一家, 几个); not an ordinal that is a policy condition (首次).
        Broad on purpose: units (平方米), 每-words (每年) and adverbs such as 一次性 go too,
        and a narrower list that kept them did worse in leave-documents-out validation.

        A fragment jieba made of two such words and knows as no word (有个: 有 + 个) says how too,
        as does one pointing back at what the owner told (这钱), a loose count (好些), a word of
        when or where the owner speaks from (今年, 最近; not 当年, 老年, 沿海), and a spoken word
        of place (市里, 区里, 那儿): which place is the scope's to read.

        Example:
            >>> [Tokenizer().says_how(w) for w in ("一家", "那边", "还是", "一窍不通", "首次", "商标", "讲课")]
            [True, True, True, True, False, False, False]
            >>> [Tokenizer().says_how(w) for w in ("有个", "能报", "市里", "园区")]
            [True, False, True, False]
            >>> [Tokenizer().says_how(w) for w in ("今年", "最近", "好些", "这钱", "年度", "当年", "老年", "沿海")]
            [True, True, True, True, False, False, False, False]
        """
        if _SPOKEN_PLACE.fullmatch(token) or token in _WHEN_AND_WHERE_SAID:
            return True
        tag = self._tag_of(token)
        if tag is None:  # a fragment: 有个, or 这钱 pointing at what the owner told
            return all(ch in _STOPWORDS for ch in token) or token[0] in _POINTING
        if tag == "m":
            return token[0] in _FEW
        return tag[0] in _HOW_TAGS

    def _cut_for_search(self, text: str) -> tuple[str, ...]:
        tokens = []
        for token in self._jieba.cut_for_search(text):
            token = token.strip().lower()
            if token and token not in _STOPWORDS and _TOKEN.search(token):
                tokens.append(token)
        return tuple(tokens)


# Document sets whose masks and spans a DocumentColumn keeps (a region's scope each).
KEPT_DOCUMENT_SETS = 16


class DocumentColumn:
    """The document of each row, as integer codes, for fast per-document row masks.

    The masks and spans of the last few document sets are kept: every question scoped to
    a region asks for the same set, several times, and at a million rows working one out
    over thousands of documents costs milliseconds. A kept mask is read-only.
    """

    def __init__(self, doc_ids: list[str]) -> None:
        names, codes = np.unique(np.array(doc_ids, dtype=object), return_inverse=True) if doc_ids else ([], [])
        self._code = {name: i for i, name in enumerate(names)}
        self._codes = np.asarray(codes, dtype=np.int32)
        self._runs: dict[int, tuple[int, int]] | None = None
        self._kept: OrderedDict[tuple[str, frozenset[str]], object] = OrderedDict()
        self._kept_lock = threading.Lock()

    def mask(self, doc_ids: set[str]) -> np.ndarray:
        """True on the rows of the given documents (read-only)."""
        return self._remembered("mask", doc_ids, self._mask)

    def spans(self, doc_ids: set[str]) -> list[tuple[int, int]] | None:
        """The rows of the given documents as merged [start, end) runs, when rows are
        grouped by document (None otherwise)."""
        return self._remembered("spans", doc_ids, self._spans)

    def _remembered(self, kind: str, doc_ids: set[str], work):
        key = (kind, frozenset(doc_ids))
        with self._kept_lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        value = work(doc_ids)
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        with self._kept_lock:
            self._kept[key] = value
            while len(self._kept) > KEPT_DOCUMENT_SETS:
                self._kept.popitem(last=False)
        return value

    def _mask(self, doc_ids: set[str]) -> np.ndarray:
        spans = self.spans(doc_ids)
        if spans is not None:  # rows grouped by document: set the runs, not a lookup per row
            mask = np.zeros(len(self._codes), dtype=bool)
            for start, end in spans:
                mask[start:end] = True
            return mask
        wanted = [self._code[d] for d in doc_ids if d in self._code]
        return np.isin(self._codes, np.asarray(wanted, dtype=np.int32))

    def _spans(self, doc_ids: set[str]) -> list[tuple[int, int]] | None:
        if self._runs is None:
            codes = self._codes
            if len(codes) and np.any(codes[1:] < codes[:-1]):
                self._runs = {}
                return None
            values, starts, counts = np.unique(codes, return_index=True, return_counts=True)
            self._runs = {int(v): (int(s), int(s + c)) for v, s, c in zip(values, starts, counts)}
        if not self._runs and len(self._codes):
            return None
        runs = sorted(self._runs[self._code[d]] for d in doc_ids if d in self._code)
        merged: list[tuple[int, int]] = []
        for start, end in runs:
            if merged and merged[-1][1] == start:
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        return merged


# bm25s's defaults (Lucene's BM25), which the delta segment of LiveBm25 scores with too.
BM25_K1, BM25_B = 1.5, 0.75
# A delta past this share of the base index (or 500 clauses) is folded into a new base.
DELTA_SHARE = 0.05


def changed_documents(old: dict[str, str], new: dict[str, str]) -> set[str]:
    """Doc ids added, removed or stored in another version between two {doc id: hash}."""
    return {doc_id for doc_id in old.keys() | new.keys() if old.get(doc_id) != new.get(doc_id)}


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
        self.average_length = sum(len(t) or 1 for t in tokens) / len(tokens) if tokens else 0.0
        self._by_ends: dict[tuple[str, str], list[str]] | None = None
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

    def document_frequency(self, token: str) -> int:
        return self._document_frequency.get(token, 0)

    def expansions(self, token: str, limit: int = 3) -> tuple[str, ...]:
        """Indexed words that `token`, a word no clause contains, may abbreviate: Chinese
        short forms keep the full form's characters in order, first and last included
        (个税 ~ 个人所得税, 工信局 ~ 工业和信息化局). The `limit` most frequent; none for a
        word the clauses contain or one that is not Chinese."""
        if not 2 <= len(token) <= 4 or token in self._document_frequency or not _CJK.fullmatch(token):
            return ()
        if self._by_ends is None:
            by_ends: dict[tuple[str, str], list[str]] = {}
            for word in self._document_frequency:
                if len(word) >= 3 and _CJK.fullmatch(word):
                    by_ends.setdefault((word[0], word[-1]), []).append(word)
            self._by_ends = by_ends
        # A short form drops two characters or more (天气 is no short form of 天然气).
        found = [w for w in self._by_ends.get((token[0], token[-1]), ())
                 if len(token) + 2 <= len(w) <= 3 * len(token) and _in_order(token, w)]
        found.sort(key=lambda w: (-self._document_frequency[w], w))
        return tuple(found[:limit])

    def rows_of(self, doc_ids: set[str]) -> np.ndarray:
        """True on the rows of the given documents."""
        return self._documents.mask(doc_ids)

    def search(
        self, tokens: list[str], k: int, allowed_docs: set[str] | None = None, dead: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """Top `k` (vector id, score) with score > 0, optionally limited to clauses of the
        documents in `allowed_docs`, never from rows marked in `dead`."""
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        if self._bm25 is None or not tokens:
            return []
        mask = None  # bm25s multiplies the scores by it
        if allowed_docs is not None:
            mask = self._documents.mask(allowed_docs)
        if dead is not None:
            mask = ~dead if mask is None else mask & ~dead
        if mask is not None and not mask.any():
            return []
        known = [t for t in tokens if t in self._bm25.vocab_dict]
        if not known:
            return []
        scores = self._bm25.get_scores(known, weight_mask=mask)
        # Only clauses holding a query word score above 0; the top k is chosen among those
        # (a selection over every row, most of them tied at 0, cost ~12 ms at 100k rows).
        scoring = np.flatnonzero(scores > 0)
        if len(scoring) > k:
            scoring = scoring[np.argpartition(scores[scoring], -k)[-k:]]
        ranked = sorted(scoring.tolist(), key=lambda row: (-scores[row], self.ids[row]))
        return [(self.ids[row], float(scores[row])) for row in ranked]


class _DeltaSegment:
    """The few clauses stored since the base index was built, scored with the base's
    statistics so their BM25 scores stand next to the base's."""

    def __init__(self, ids: list[str], tokens: list[list[str]]) -> None:
        self.ids = ids
        self.lengths = np.array([len(t) or 1 for t in tokens], dtype=np.float32)
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        collected: dict[str, dict[int, int]] = {}
        for row, clause_tokens in enumerate(tokens):
            for token in clause_tokens:
                counts = collected.setdefault(token, {})
                counts[row] = counts.get(row, 0) + 1
        for token, counts in collected.items():
            self.postings[token] = (np.fromiter(counts, dtype=np.int32), np.fromiter(counts.values(), dtype=np.float32))
        self.documents = DocumentColumn([doc_id_of_vector(vid) for vid in ids])

    def document_frequency(self, token: str) -> int:
        posting = self.postings.get(token)
        return len(posting[0]) if posting is not None else 0

    def search(self, tokens: list[str], k: int, idf: Callable[[str], float], average_length: float,
               allowed_docs: set[str] | None) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        scores = np.zeros(len(self.ids), dtype=np.float32)
        for token in tokens:
            posting = self.postings.get(token)
            if posting is None:
                continue
            rows, tf = posting
            norm = BM25_K1 * (1 - BM25_B + BM25_B * self.lengths[rows] / average_length)
            scores[rows] += idf(token) * tf / (tf + norm)
        if allowed_docs is not None:
            scores *= self.documents.mask(allowed_docs)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]


class LiveBm25:
    """BM25 over the clauses of one set of document versions, kept current without a
    rebuild: a base index, the base rows of documents changed since (left out), and a
    small delta segment with those documents' current clauses. Each update returns a new
    object, so a search in flight keeps reading the one it started with.

    Example:
        >>> base = LiveBm25.build({"a": "1"}, ["a:1@1"], [["贷款", "贴息"]])
        >>> live = base.updated({"a": "1", "b": "2"}, lambda docs: (["b:1@2"], [["贴息", "奖励"]]))
        >>> [vid for vid, _ in live.search(["奖励"], 5)]
        ['b:1@2']
        >>> live.updated({"b": "2"}, lambda docs: ([], [])).search(["贷款"], 5)
        []
    """

    def __init__(self, base: Bm25Index, base_versions: dict[str, str], versions: dict[str, str],
                 dead: np.ndarray | None, delta: _DeltaSegment, delta_tokens: dict[str, list[str]]) -> None:
        self.base = base
        self.base_versions = base_versions
        self.versions = versions
        self._dead = dead
        self._delta = delta
        self._delta_tokens = delta_tokens

    @classmethod
    def build(cls, versions: dict[str, str], ids: list[str], tokens: list[list[str]]) -> "LiveBm25":
        return cls(Bm25Index(ids, tokens), dict(versions), dict(versions), None, _DeltaSegment([], []), {})

    def __len__(self) -> int:
        dead = int(self._dead.sum()) if self._dead is not None else 0
        return len(self.base) - dead + len(self._delta.ids)

    @property
    def delta_size(self) -> int:
        return len(self._delta.ids)

    def needs_rebuild(self) -> bool:
        """True when the clauses changed since the base was built (stored anew or left out)
        pass DELTA_SHARE of it: its statistics no longer stand for the whole. A small base
        is rebuilt at almost every change, which is cheap."""
        dead = int(self._dead.sum()) if self._dead is not None else 0
        return self.delta_size + dead > DELTA_SHARE * len(self.base)

    def updated(self, versions: dict[str, str],
                rows_of: Callable[[set[str]], tuple[list[str], list[list[str]]]]) -> "LiveBm25":
        """The index for `versions`; `rows_of(doc_ids)` gives (vector ids, tokens) of the
        clauses of those documents as stored now."""
        changed = changed_documents(self.base_versions, versions)
        dead = self.base.rows_of(changed) if changed else None
        wanted = {doc_id for doc_id in changed if doc_id in versions}
        # Clauses already in the delta at the same version are reused, not read again.
        kept = {vid: t for vid, t in self._delta_tokens.items()
                if self.versions.get(doc_id_of_vector(vid)) == versions.get(doc_id_of_vector(vid))
                and doc_id_of_vector(vid) in wanted}
        missing = wanted - {doc_id_of_vector(vid) for vid in kept}
        if missing:
            ids, tokens = rows_of(missing)
            # Rows of a version stored after `versions` was read wait for the next update.
            kept.update((vid, t) for vid, t in zip(ids, tokens) if of_version(vid, versions))
        delta = _DeltaSegment(list(kept), list(kept.values()))
        return LiveBm25(self.base, self.base_versions, dict(versions), dead, delta, kept)

    def expansions(self, token: str) -> tuple[str, ...]:
        """Indexed words `token` may abbreviate (see Bm25Index.expansions)."""
        if self._delta.document_frequency(token):
            return ()
        return self.base.expansions(token)

    def idf(self, token: str) -> float:
        """BM25 inverse document frequency over base and delta; a term no clause contains
        weighs the most."""
        n = len(self.base) + len(self._delta.ids)
        df = self.document_frequency(token)
        return float(np.log((n - df + 0.5) / (df + 0.5) + 1.0))

    def document_frequency(self, token: str) -> int:
        """How many clauses of base and delta contain `token`."""
        return self.base.document_frequency(token) + self._delta.document_frequency(token)

    def search(self, tokens: list[str], k: int, allowed_docs: set[str] | None = None) -> list[tuple[str, float]]:
        """Top `k` (vector id, score) with score > 0 over base and delta."""
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        found = self.base.search(tokens, k, allowed_docs, self._dead)
        if self._delta.ids:
            lengths = self.base.average_length * len(self.base) + float(self._delta.lengths.sum())
            average = lengths / (len(self.base) + len(self._delta.ids))
            found += self._delta.search(tokens, k, self.idf, average, allowed_docs)
            found.sort(key=lambda pair: (-pair[1], pair[0]))
        return found[:k]
