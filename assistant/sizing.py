"""An enterprise's size from what its owner says of its people and revenue ("一百五十来人，去年
销售一千八百万左右"), by the national 划型 rule (knowledge/size_standards.yaml).

Only a size the figures settle is read: 150 people in a factory is below 中型's 300 whatever
its revenue, so 小微企业; 350 people with no revenue said could be 中型 or 大型, so nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import cn2an
import yaml

SMALL, LARGE = "小微企业", "规上企业"

_DIGITS = r"\d+(?:\.\d+)?|[零一二两三四五六七八九十百千]+"
_PEOPLE = re.compile(
    rf"(?:^|(?<=[，,。；;：:\s]))(?:全厂|厂里|公司|员工|职工|工人|从业人员|我们|现在|目前|一共|总共|共|有|大概|差不多|将近)*"
    rf"(?P<n>{_DIGITS})(?P<more>来|多|余|几)?(?:个|名|号)?(?:人|员工|工人|职工)(?![员才民])")
"""A headcount said as a piece of its own ("一百五十来人，", "员工三十几个人"); not people hired,
trained or counted in a part of the staff ("招三个人", "研发人员六十多个")."""
_REVENUE = re.compile(
    rf"(?P<month>一个月|每个月|每月|月)?(?:营收|营业收入|营业额|销售额|销售收入|销售|产值|收入|流水)"
    rf"(?:额)?(?:是|有|大概|差不多|约|在|能有|能到|达到|将近|接近|才)?(?P<n>{_DIGITS})(?P<more>来|多|余)?个?"
    rf"(?P<half>半)?(?P<unit>万|亿)(?P<tail>[一二两三四五六七八九](?![千百十万亿]))?")
"""Revenue as owners give it: 一千八百万, 四百来万, 两亿三 (2.3亿), 三个半亿, 月销售额两万多 (a month)."""


@dataclass(frozen=True)
class _Standard:
    name: str
    industries: tuple[str, ...]
    bounds: dict[str, dict[str, float]]

    def reaches(self, level: str, people: float | None, revenue: float | None) -> bool | None:
        """Whether the figures reach both bounds of `level`; None when a figure the row
        judges is not known and the known one does not settle it."""
        wanted = self.bounds[level]
        known = {"people": people, "revenue": revenue}
        if any(known[k] is not None and known[k] < bound for k, bound in wanted.items()):
            return False
        if any(known[k] is None for k in wanted):
            return None
        return True


@cache
def _standards() -> tuple[_Standard, ...]:
    raw = yaml.safe_load(resources.files("knowledge").joinpath("size_standards.yaml").read_text("utf-8"))["standards"]
    return tuple(_Standard(row["name"], tuple(row["industries"]),
                           {level: {k: float(v) for k, v in row[level].items()} for level in ("large", "medium", "small")})
                 for row in raw)


def _number(digits: str) -> float:
    return float(digits) if digits[0].isdigit() else float(cn2an.cn2an(digits, "smart"))


def people_said(text: str) -> float | None:
    """The headcount the owner gives, None when none.

    Example:
        >>> people_said("做体育器材的，一百五十来人，去年销售一千八百万"), people_said("想招三个人，研发人员六十多个")
        (150.0, None)
        >>> people_said("三十几个人，小微企业")
        35.0
    """
    for found in _PEOPLE.finditer(text):
        value = _number(found["n"])
        return value + 5 if found["more"] == "几" and value % 10 == 0 else value
    return None


def revenue_said(text: str) -> float | None:
    """A year's revenue the owner gives, in 万元; None when none.

    Example:
        >>> [revenue_said(t) for t in ("去年营收一亿二左右", "营收两亿三", "营收三个半亿", "去年销售一千八百万", "月销售额两万多")]
        [12000.0, 23000.0, 35000.0, 1800.0, 24.0]
    """
    for found in _REVENUE.finditer(text):
        value = _number(found["n"]) + (0.5 if found["half"] else 0.0)
        if found["tail"]:
            value += _number(found["tail"]) / 10
        value *= 10000 if found["unit"] == "亿" else 1
        return value * 12 if found["month"] else value
    return None


def size_by_figures(text: str, industries: tuple[str, ...]) -> tuple[str, str]:
    """The size (小微企业 or 规上企业 for 大型) the owner's figures settle under the row of
    `industries` (the profile's industry and those it lies within), with how it was read;
    ("", "") when they settle none.

    Example:
        >>> size_by_figures("做体育器材的厂，一百五十来人，去年销售一千八百万左右", ("制造业",))[0]
        '小微企业'
        >>> size_by_figures("三百五十来号人，去年营收一亿二左右", ("装备制造", "制造业"))[0]
        ''
        >>> size_by_figures("一千八百多人，去年营收二十一个亿", ("制造业",))[0]
        '规上企业'
    """
    standard = next((s for s in _standards() if set(s.industries) & set(industries)), None)
    if standard is None:
        return "", ""
    people, revenue = people_said(text), revenue_said(text)
    if people is None and revenue is None:
        return "", ""
    said = "、".join(part for part in (
        f"从业人员约{people:g}人" if people is not None else "",
        f"年营业收入约{revenue:g}万元" if revenue is not None else "") if part)
    if standard.reaches("large", people, revenue):
        size = LARGE
    elif standard.reaches("medium", people, revenue) is False:
        size = SMALL
    else:
        return "", ""
    kind = "大型企业" if size == LARGE else "小型或微型企业"
    return size, f"按{said}（{standard.name}），依中小企业划型标准读作{kind}。"
