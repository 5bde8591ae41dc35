"""The words owners type, brought to the words policies use: typos of policy terms and
place names fixed by sound (专精特心 -> 专精特新, 小巨仁 -> 小巨人, 甘井字 -> 甘井子), and
synonyms from `synonyms.txt` (给多少钱 ~ 奖励, 招人 ~ 招聘) for the lexical search and the
term-coverage signal. Rules that hold on any document, not on the bundled ones.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import resources

import pypinyin

from knowledge.regions import common_words, foreign_countries, gazetteer, policy_terms

_MIN_TERM = 3
"""Shorter words are fixed by sound only where the text around says it is no word of its own
(two characters share a sound easily)."""
_SHORT_TERM = 2
_FOREIGN_WORDS = ("境外", "外籍", "外资")
"""Words of the synonym groups a foreign country's name stands for: the groups holding
these words (海外 境外 国外, 外籍 老外…, 外资 外商投资…)."""
_FUNCTION_CHARACTERS = set("是的了在和与及或也都就还又把被对从向给让为以于之其这那个们吗呢吧啊呀嘛可要能会得")
"""Characters that join words rather than make them (政策上是咋说的 holds 上是, no typo of 上市)."""


class Wording:
    """Typo repair and synonyms.

    Example:
        >>> wording = Wording.load()
        >>> wording.correct("专精特心企业奖励多少"), wording.correct("小巨仁给多少钱")
        ('专精特新企业奖励多少', '小巨人给多少钱')
        >>> wording.correct("银行能做并构贷款不？两样补帖能一块拿吗"), wording.correct("入驻企业用地指标")
        ('银行能做并购贷款不？两样补贴能一块拿吗', '入驻企业用地指标')
        >>> wording.correct("政策上是咋说的"), wording.correct("要交可研报告")
        ('政策上是咋说的', '要交可研报告')
        >>> wording.correct("税务关系还在中山区"), wording.correct("审批手序", lambda ws: [19 * (w == "手续") for w in ws])
        ('税务关系还在中山区', '审批手续')
        >>> "奖励" in wording.variants("给多少钱"), "外籍" in wording.variants("德国"), "德国" in wording.variants("境外")
        (True, True, False)
    """

    def __init__(self, groups: list[list[str]], vocabulary: set[str], short_terms: set[str] = frozenset(),
                 countries: frozenset[str] = frozenset()) -> None:
        self.groups = groups
        self._variants: dict[str, tuple[str, ...]] = {}
        self._groups_by_word = {w: tuple(g) for g in groups for w in g if len(w) >= 2}
        for group in groups:
            for word in group:
                others = tuple(w for w in group if w != word and len(w) >= 2)
                self._variants[word] = tuple(dict.fromkeys(self._variants.get(word, ()) + others))
        # One way only: 德国 is covered by a clause on 外籍人才, while a question on 境外
        # is not widened to every country's name.
        foreign = tuple(dict.fromkeys(w for g in groups if set(g) & set(_FOREIGN_WORDS) for w in g if len(w) >= 2))
        for country in countries:
            self._variants.setdefault(country, foreign)
        self._by_sound: dict[str, list[str]] = {}
        for term in vocabulary:
            if len(term) >= _MIN_TERM:
                self._by_sound.setdefault(_sound(term), []).append(term)
        # Two-character policy words (补贴, 申请, 并购), not places: 2-character place
        # names sound like too many everyday pairs.
        self._short_by_sound: dict[str, list[str]] = {}
        for term in {w for g in groups for w in g} | short_terms:
            if len(term) == _SHORT_TERM:
                self._short_by_sound.setdefault(_sound(term), []).append(term)
        # Per first character's sound, the lengths of the terms starting with it (longest
        # first): most positions of a question start no term, and are passed over at once.
        lengths_by_sound: dict[str, set[int]] = {}
        for terms in self._by_sound.values():
            for term in terms:
                lengths_by_sound.setdefault(_char_sound(term[0]), set()).add(len(term))
        self._lengths = {sound: tuple(sorted(lengths, reverse=True)) for sound, lengths in lengths_by_sound.items()}
        # The synonym words longest first (as `phrases` claims them), and by first character.
        self._phrase_order = sorted(self._groups_by_word.items(), key=lambda item: -len(item[0]))
        self._phrases_by_first: dict[str, list[int]] = {}
        for index, (word, _) in enumerate(self._phrase_order):
            self._phrases_by_first.setdefault(word[0], []).append(index)

    @classmethod
    @functools.cache
    def load(cls) -> Wording:
        text = resources.files("assistant").joinpath("synonyms.txt").read_text(encoding="utf-8")
        groups = [line.split() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        terms = set(policy_terms())
        vocabulary = terms | {word for group in groups for word in group}
        places = gazetteer()
        vocabulary |= {s for s in places.surfaces if len(s) >= _MIN_TERM}
        _characters_by_sound()  # read once now, not at the first typo
        return cls(groups, vocabulary, terms, foreign_countries())

    def variants(self, word: str) -> tuple[str, ...]:
        """Other words for `word` (2+ characters), from the synonym list."""
        return self._variants.get(word, ())

    def phrases(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """Synonym-list words in `text` (longest first, not overlapping), each as (the
        word documents use, every word of its group).

        Example:
            >>> [word for word, _ in Wording.load().phrases("评上小巨人的公司能拿多少钱")]
            ['获评', '小巨人', '企业', '奖励']
        """
        found: list[tuple[int, str, tuple[str, ...]]] = []
        taken = [False] * len(text)
        present = sorted({i for ch in set(text) for i in self._phrases_by_first.get(ch, ())})
        for word, group in (self._phrase_order[i] for i in present):
            start = text.find(word)
            while start >= 0:
                if not any(taken[start:start + len(word)]):
                    taken[start:start + len(word)] = [True] * len(word)
                    found.append((start, group[0], group))
                start = text.find(word, start + 1)
        ordered = [(word, group) for _, word, group in sorted(found)]
        return list(dict((word, (word, group)) for word, group in ordered).values())

    def expand(self, tokens: list[str]) -> list[str]:
        """`tokens` plus the synonyms of each, for the lexical search."""
        out = list(tokens)
        for token in tokens:
            out.extend(v for v in self.variants(token) if v not in out)
        return out

    def correct(self, text: str, indexed: Callable[[list[str]], list[int]] | None = None) -> str:
        """`text` with misspelt policy terms and place names replaced by the term that
        sounds the same and differs in one character (longest first); given `indexed` (how
        many clauses of the knowledge base hold each of some words), also two-character words of the
        knowledge base's own documents (手序 -> 手续, 合准 -> 核准 where its clauses say so)."""
        own_words = _KnowledgeBaseWords(text, indexed) if indexed is not None else None
        sounds = [_char_sound(ch) for ch in text]
        out, i = [], 0
        while i < len(text):
            for length in self._lengths.get(sounds[i], ()):
                piece = text[i:i + length]
                if len(piece) < length:
                    continue
                match = self._match(piece, "".join(sounds[i:i + length]))
                if match:
                    out.append(match)
                    i += length
                    break
            else:
                short = self._short_match(text, i, "".join(sounds[i:i + _SHORT_TERM]), own_words)
                out.append(short or text[i])
                i += _SHORT_TERM if short else 1
        return "".join(out)

    def _short_match(self, text: str, i: int, sound: str, own_words: _KnowledgeBaseWords | None = None) -> str:
        """A two-character policy word misspelt by sound at text[i] (补帖 -> 补贴, 申清 -> 申请,
        并构 -> 并购): the pair is no word, and neither of its characters makes a word with
        its neighbour (入驻企业 holds 驻企, 基础上试点 holds 上试: no typos). Failing a policy
        word, a word of the knowledge base's clauses (see `_KnowledgeBaseWords`)."""
        piece = text[i:i + _SHORT_TERM]
        if len(piece) < _SHORT_TERM or _is_word(piece) or _is_word(text[max(i - 1, 0):i + 1]) \
                or _is_word(text[i + 1:i + 3]) or any(ch in _FUNCTION_CHARACTERS for ch in piece):
            return ""
        for term in self._short_by_sound.get(sound, ()):
            if sum(1 for a, b in zip(term, piece) if a != b) == 1:
                return term
        return own_words.repair(i, piece) if own_words is not None else ""

    def _match(self, piece: str, sound: str) -> str:
        terms = self._by_sound.get(sound, ())
        # A term as typed is no typo, whatever order same-sounding terms come in (中山区 is
        # not 钟山区).
        if piece in terms:
            return ""
        for term in terms:
            differing = sum(1 for a, b in zip(term, piece) if a != b)
            if differing == 1 and not _is_word(piece) and not _place_then_a_joining_word(piece, term):
                return term
        return ""


def _place_then_a_joining_word(piece: str, term: str) -> bool:
    """"大连是不是…", "郑州是否…": a place's short form then 是, typed as meant (not 大连市)."""
    return piece[-1] != term[-1] and piece[-1] in _FUNCTION_CHARACTERS and piece[:-1] in gazetteer().surfaces


class _KnowledgeBaseWords:
    """Typo repair by the words of the knowledge base's own clauses: a pair typed as one
    word of its own (jieba reads it as one token) that no clause holds, with one character
    swapped for one of the same sound and tone, is a dictionary word in at least
    `_INDEXED_AT_LEAST` clauses, and in at least twice as many as any other such word
    (手序 -> 手续, 质压 -> 质押, 正策 -> 政策). A pair that straddles two words (要建几个) or that
    the clauses hold (一照一码, 配建) stays; so does a name: a person's or a place's name in
    the dictionary is never what a typo stood for (刘洋 is no 留洋)."""

    def __init__(self, text: str, indexed: Callable[[list[str]], list[int]]) -> None:
        self.text = text
        self.indexed = indexed
        self._tokens: set[tuple[int, str]] | None = None

    def repair(self, at: int, piece: str) -> str:
        if piece[0] in _SURNAMES or not self._one_token(at, piece):  # 刘洋, 李静: a name, typed as meant
            return ""
        candidates = [word for word in (piece[:i] + other + piece[i + 1:] for i in range(_SHORT_TERM)
                                        for other in _homophones(piece[i]) if other != piece[i])
                      if _is_word(word) and not common_words()[word][1].startswith(("nr", "ns"))]
        counts = self.indexed([piece, *candidates])  # one look-up for all of them
        if counts[0]:
            return ""
        found = sorted(zip(counts[1:], candidates), reverse=True)
        if not found or found[0][0] < _INDEXED_AT_LEAST:
            return ""
        return found[0][1] if len(found) == 1 or found[0][0] >= 2 * found[1][0] else ""

    def _one_token(self, at: int, piece: str) -> bool:
        if self._tokens is None:
            import jieba

            self._tokens = {(start, word) for word, start, _ in jieba.tokenize(self.text)}
        return (at, piece) in self._tokens


def _sound(text: str) -> str:
    """Toneless pinyin, character by character (so pieces of a text compare to terms)."""
    return "".join(_char_sound(ch) for ch in text)


@functools.cache
def _char_sound(ch: str) -> str:
    return "".join(pypinyin.lazy_pinyin(ch, errors=lambda chars: list(chars))) + "|"


_INDEXED_AT_LEAST = 2
"""A word one clause happens to hold is too weak a reason to change what was typed."""


_SURNAMES = set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
"""The hundred most common surnames: a pair opening with one is likely a name, not a typo."""


@functools.cache
def _characters_by_sound() -> dict[str, tuple[str, ...]]:
    """The CJK characters pypinyin knows, by their first reading with its tone (手序 is
    shǒuxù as 手续 is)."""
    from pypinyin.pinyin_dict import pinyin_dict

    grouped: dict[str, list[str]] = {}
    for code in pinyin_dict:
        ch = chr(code)
        if "\u4e00" <= ch <= "\u9fff":
            grouped.setdefault(_toned(ch), []).append(ch)
    return {sound: tuple(chars) for sound, chars in grouped.items()}


@functools.cache
def _toned(ch: str) -> str:
    return "".join(pypinyin.lazy_pinyin(ch, style=pypinyin.Style.TONE3, errors=lambda chars: list(chars)))


def _homophones(ch: str) -> tuple[str, ...]:
    """The characters read as `ch` is, tone included."""
    return _characters_by_sound().get(_toned(ch), ())


def _is_word(piece: str) -> bool:
    return piece in common_words()
