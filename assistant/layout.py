"""How an answer reads: its lead (the fact asked for, with the figure itself marked), the
quotes after it, lists as lists, part headings and the closing note.

The chat page and the widget lay answers out from these blocks, so both show the same
thing; the answer text itself stays what the answerer wrote (and what evals check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.questions import FACT_KINDS, asked_fact_kinds

LEAD, TEXT, ITEM, HEADING, NOTE = "lead", "text", "item", "heading", "note"

_ITEM_MARK = re.compile(r"^\s*(?:[·•]|-(?=\s))\s*")
_PART_HEADING = re.compile(r"^\d{1,2}\.\s")
_NOTE = re.compile(r"^（(?![一二三四五六七八九十\d]+）).*）$")
""""（以上摘自政策原文…）"; "（一）对企业奖励50万元（含）" is an enumerated quote, not a note."""
_INTRO_END = ("：", ":")
_TIER_END = re.compile(r"(?<=[；;])")
_CITE = re.compile(r"\[\d+\]")
_MIN_TIER_CHARS = 6
"""A ；-separated run is a list only when each part says something (not "甲；乙")."""
_MIN_TIERS = 3
_GRANT_BEFORE = re.compile(r"奖励|奖补|补贴|补助|资助|贴息|给予|最高|不超过|上限|扶持|抵扣|减免")
_GRANT_REACH = 6
_DEFAULT_FIGURES = ("amount", "ratio")
"""Marked in the lead when the question names no kind of fact ("有什么补贴")."""


@dataclass(frozen=True)
class Block:
    kind: str
    text: str
    strong: tuple[tuple[int, int], ...] = ()
    """Character spans of `text` that state the fact asked for."""

    def as_json(self) -> dict:
        return {"kind": self.kind, "text": self.text, "strong": [list(span) for span in self.strong]}


def answer_blocks(text: str, question: str = "") -> list[Block]:
    """The answer as blocks: after an intro line ("各地规定不同…：") or a part heading, the
    first quote is the lead and its figures of the kind `question` asks for are marked;
    "· " lines and runs of tiers ("…奖励10万元；…奖励20万元；…") become list items.

    Example:
        >>> [(b.kind, b.text) for b in answer_blocks("温县：奖励50万元。[1]\\n另见：补贴10%。[2]")][:2]
        [('lead', '温县：奖励50万元。[1]'), ('text', '另见：补贴10%。[2]')]
        >>> answer_blocks("温县：奖励50万元，贴息2年。[1]", "奖励多少")[0].strong
        ((5, 9),)
    """
    patterns = _fact_patterns(question)
    blocks: list[Block] = []
    lead_due = True
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _NOTE.match(line):
            blocks.append(Block(NOTE, line))
        elif _PART_HEADING.match(line):
            blocks.append(Block(HEADING, line))
            lead_due = True
        elif _ITEM_MARK.match(line):
            item = _ITEM_MARK.sub("", line)
            blocks.append(Block(ITEM, item, _spans(item, patterns) if lead_due else ()))
        elif line.endswith(_INTRO_END):
            blocks.append(Block(TEXT, line))
        else:
            blocks += _quote_blocks(line, LEAD if lead_due else TEXT, patterns if lead_due else ())
            lead_due = False
    return blocks


def _quote_blocks(line: str, kind: str, patterns: tuple[re.Pattern[str], ...]) -> list[Block]:
    """One quote; a run of tiers inside it as its lead-in plus one item per tier."""
    head, tiers = _tiers(line)
    if not tiers:
        return [Block(kind, line, _spans(line, patterns))]
    blocks = [Block(kind, head, _spans(head, patterns))] if head else []
    return blocks + [Block(ITEM, tier, _spans(tier, patterns)) for tier in tiers]


def _tiers(line: str) -> tuple[str, list[str]]:
    parts = [p for p in _TIER_END.split(line) if p]
    if len(parts) < _MIN_TIERS or any(len(_CITE.sub("", p)) < _MIN_TIER_CHARS for p in parts):
        return line, []
    first = parts[0]
    for mark in _INTRO_END:
        cut = first.rfind(mark)
        if cut != -1 and cut < len(first) - 1:
            return first[: cut + 1], [first[cut + 1:], *parts[1:]]
    return "", parts


def _fact_patterns(question: str) -> tuple[re.Pattern[str], ...]:
    kinds = [k for k in asked_fact_kinds(question) if k != "list"] or list(_DEFAULT_FIGURES)
    return tuple(FACT_KINDS[k][1] for k in kinds if k in FACT_KINDS)


def _spans(text: str, patterns: tuple[re.Pattern[str], ...]) -> tuple[tuple[int, int], ...]:
    spans = sorted({m.span() for p in patterns for m in p.finditer(text) if m.end() > m.start()})
    granted = [s for s in spans if _GRANT_BEFORE.search(text[max(0, s[0] - _GRANT_REACH):s[0]])]
    if granted:  # "贡献300万元的，奖励30万元": the award is the fact, not the threshold
        spans = granted
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)
