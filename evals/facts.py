"""Key facts compared the way a reader compares them: 200万元 = 200万 = 2,000,000元,
50% = 50％, 2023年3月1日 = 2023-03-01, 惠政办〔2022〕4号 = 惠政办[2022]4号.

A fact is found in an answer when every figure it states appears among the answer's
figures, and its remaining words appear in the answer text.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"
_COUNT_UNITS = "个工作日|工作日|人次|家|个|项|场|人|名|套|次|份|座|亩|周|天"
# 万/亿 without 元 is money unless a counting unit follows (17.2万套 is a count).
_MONEY = re.compile(_NUMBER + r"\s*(?:(亿|万)(?!\s*(?:余|多)?\s*(?:" + _COUNT_UNITS + r"))(?:\s*元)?|()元)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?")
_COUNT = re.compile(_NUMBER + r"\s*(万)?\s*(?:余|多)?\s*(" + _COUNT_UNITS + ")")
_DOC_NUMBER = re.compile(r"[〔\[［【(（](\d{4})[〕\]］】)）]\s*(\d+)\s*号")
_UNITS = {None: Decimal(1), "": Decimal(1), "万": Decimal(10_000), "亿": Decimal(100_000_000)}
_BRACKETS = str.maketrans({"〔": "[", "〕": "]", "［": "[", "］": "]", "【": "[", "】": "]", "（": "(", "）": ")", "％": "%", "，": ",", "—": "-", "–": "-", "～": "-", "~": "-"})


def figures(text: str) -> set[str]:
    """Canonical figures stated in `text`: money in yuan, percentages, dates, counts, 文号."""
    found: set[str] = set()
    for number, unit, _ in _MONEY.findall(text):
        value = _number(number)
        if value is not None:
            found.add(f"¥{_plain(value * _UNITS[unit])}")
    for number in _PERCENT.findall(text):
        value = _number(number)
        if value is not None:
            found.add(f"{_plain(value)}%")
    for year, month, day in _DATE.findall(text):
        found.add(f"{year}-{int(month):02d}" + (f"-{int(day):02d}" if day else ""))
    for number, wan, unit in _COUNT.findall(text):
        value = _number(number)
        if value is not None:
            found.add(f"{_plain(value * _UNITS[wan or None])}{unit.replace('个工作日', '工作日')}")
    for year, serial in _DOC_NUMBER.findall(text):
        found.add(f"[{year}]{int(serial)}号")
    return found


def normalized_text(text: str) -> str:
    return re.sub(r"\s+", "", text.translate(_BRACKETS))


def fact_found(fact: str, answer: str) -> bool:
    """Whether `answer` states `fact` (see module docstring)."""
    if normalized_text(fact) in normalized_text(answer):
        return True
    wanted = figures(fact)
    if not wanted:
        return False
    have = figures(answer)
    # A month-only date in the fact (2023年3月) is met by a full date in that month.
    have |= {d[:7] for d in have if re.fullmatch(r"\d{4}-\d{2}-\d{2}", d)}
    return wanted <= have


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
