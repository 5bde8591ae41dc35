"""Personal data kept out of the conversation log: mobile and landline numbers, ID-card
numbers and 统一社会信用代码 that users type into questions and comments are masked
before anything is stored.

Policy text is not masked: a clause's hotline is public and is what the answer quotes.
An answer is masked only where it repeats something masked in the question.
"""

from __future__ import annotations

import re

# Digits or letters right before/after would make the match part of a longer code.
_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"
_PATTERNS = (
    # 统一社会信用代码: 18 characters, registration authority + type, 6-digit area code, 9 + 1 check.
    re.compile(_EDGE_BEFORE + r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}" + _EDGE_AFTER),
    # 居民身份证号码: 18 (last may be X) or the old 15 digits.
    re.compile(_EDGE_BEFORE + r"\d{17}[\dXx]" + _EDGE_AFTER),
    re.compile(_EDGE_BEFORE + r"\d{15}" + _EDGE_AFTER),
    # Mobile numbers, optionally with +86 and spaces or hyphens in the usual places.
    re.compile(_EDGE_BEFORE + r"(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}" + _EDGE_AFTER),
    # Landlines with an area code: 0371-12345678, (0371)12345678.
    re.compile(_EDGE_BEFORE + r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}-?)\d{7,8}" + _EDGE_AFTER),
)


def _masked(value: str) -> str:
    digits = [i for i, ch in enumerate(value) if ch.isalnum()]
    keep = set(digits[:3] + digits[-2:])
    return "".join(ch if (i in keep or not ch.isalnum()) else "*" for i, ch in enumerate(value))


def find_pii(text: str) -> list[str]:
    """The personal numbers in `text`, in order of appearance."""
    found: list[tuple[int, str]] = []
    taken: list[range] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text or ""):
            span = range(match.start(), match.end())
            if any(span.start < other.stop and other.start < span.stop for other in taken):
                continue
            taken.append(span)
            found.append((match.start(), match.group()))
    return [value for _, value in sorted(found)]


def mask_pii(text: str) -> str:
    """`text` with personal numbers masked (first 3 and last 2 characters kept).

    Example:
        >>> mask_pii("我的电话13812345678，信用代码91410100MA44XXXX0Y")
        '我的电话138******78，信用代码914*************0Y'
    """
    return mask_values(text, find_pii(text))


def mask_values(text: str, values: list[str]) -> str:
    """`text` with each of `values` (found in a related text) masked wherever it occurs."""
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        text = text.replace(value, _masked(value))
    return text
