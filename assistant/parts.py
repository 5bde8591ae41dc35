"""Questions that ask two or three things at once ("O2O体验店能补多少？另外建保税仓怎么配套？")
are answered part by part: each part is searched on its own (with the place the whole
question names), answered or declined on its own, and the answers are put together under
the part they answer, citations numbered through.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.answer.base import OFFICIAL_NOTE, Draft
from knowledge.regions import region_mentions
from knowledge.text import CITATION_MARK

MAX_PARTS = 3
_PART_END = re.compile(r"(?<=[？?；;])")
_LEADING_JOINERS = re.compile(r"^(?:另外|还有|以及|再就是|然后|那|并且|同时)[，,、]?")
_MIN_PART_CHARS = 5
NOT_STATED = "（这一问，知识库的政策文件中没有找到直接规定。）"


def question_parts(question: str) -> list[str]:
    """The separate asks of `question`, each able to stand alone: a part that names no
    place gets the first place the whole question names. One part when it asks one thing.

    Example:
        >>> question_parts("甘井子开O2O体验店能补多少？另外建保税仓区里咋配套？")
        ['甘井子开O2O体验店能补多少？', '甘井子建保税仓区里咋配套？']
        >>> question_parts("专精特新企业奖励多少？")
        ['专精特新企业奖励多少？']
    """
    pieces = [p.strip() for p in _PART_END.split(question) if p.strip()]
    parts = [_LEADING_JOINERS.sub("", p) for p in pieces]
    if len(parts) < 2 or len(parts) > MAX_PARTS or any(len(re.sub(r"\W", "", p)) < _MIN_PART_CHARS for p in parts):
        return [question]
    places = region_mentions(question)
    if places:
        parts = [p if region_mentions(p) else places[0][0] + p for p in parts]
    return parts


def combine(parts: Sequence[str], drafts: Sequence[Draft | None], mode: str) -> Draft:
    """One answer from each part's draft (None where the part is not answered), each under
    its part, with the [n] marks and citations numbered through."""
    lines: list[str] = []
    citations = []
    for number, (part, draft) in enumerate(zip(parts, drafts), 1):
        lines.append(f"{number}. {part}")
        if draft is None:
            lines.append(NOT_STATED)
            continue
        offset = len(citations)
        body = draft.text.replace(OFFICIAL_NOTE, "").strip()
        lines.append(CITATION_MARK.sub(lambda m: f"[{int(m.group(1)) + offset}]", body))
        citations += [replace(c, n=c.n + offset) for c in draft.citations]
    lines.append(OFFICIAL_NOTE)
    return Draft("\n".join(lines), tuple(citations), mode)
