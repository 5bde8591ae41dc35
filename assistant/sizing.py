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

SMALL, MEDIUM, LARGE = "小微企业", "中型企业", "规上企业"
OTHER_SERVICES = "其他未列明行业"

_DIGITS = r"\d+(?:\.\d+)?|[零一二两三四五六七八九十百千]+"
_PEOPLE = re.compile(
    rf"(?:^|(?<=[，,。；;：:\s]))(?:全厂|厂里|公司|员工|职工|工人|从业人员|我们|现在|目前|一共|总共|共|有|大概|差不多|将近)*"
    rf"(?P<n>{_DIGITS})(?P<more>来|多|余|几)?(?:个|名|号)?(?:人|员工|工人|职工)(?![员才民均])")
"""A headcount said as a piece of its own ("一百五十来人，", "员工三十几个人"); not people hired,
trained or counted in a part of the staff ("招三个人", "研发人员六十多个")."""
_REVENUE = re.compile(
    r"(?P<month>(?:一个月|每个月|每月|月均|平均每月|(?<![\d一二三四五六七八九十到至])月))?"
    r"(?<!人均)(?:营收|营业收入|营业额|销售额|销售收入|销售|产值|收入|流水)(?:额)?"
    r"(?:是|有|大概|差不多|约|在|能有|能到|达到|将近|接近|才)?"
    r"(?P<amount>[\d.零一二两三四五六七八九十百千万亿]+?)(?P<more>来|多|余)?个?(?P<half>半)?(?P<unit>万|亿)"
    r"(?P<tail>(?:[一二两三四五六七八九]千)?(?:[一二两三四五六七八九]百)?万|[一二两三四五六七八九](?![千百十万亿]))?"
    r"(?![台件套吨只辆户个平头株亩])(?!元?(?:美元|美金|欧元|日元|港币|港元))")
"""Revenue as owners give it: 一千八百万, 四百来万, 两亿三 (2.3亿), 一亿五千万, 三个半亿, 月销售额两万多 (a
month); not 20万台 sold, 人均收入, nor a sum in another currency."""


@dataclass(frozen=True)
class _Standard:
    name: str
    industries: tuple[str, ...]
    bounds: dict[str, dict[str, float]]
    above_scale: float | None

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

    def size(self, people: float | None, revenue: float | None) -> str:
        large = self.reaches("large", people, revenue)
        if large:
            return LARGE
        medium = self.reaches("medium", people, revenue)
        if medium is not False:
            return MEDIUM if medium else ""
        # Small by the 划型 rule yet past the statistics' 规模以上 line: both, so neither is said.
        return "" if revenue is not None and self.above_scale is not None and revenue >= self.above_scale else SMALL


@cache
def _standards() -> tuple[_Standard, ...]:
    raw = yaml.safe_load(resources.files("knowledge").joinpath("size_standards.yaml").read_text("utf-8"))["standards"]
    return tuple(_Standard(row["name"], tuple(row["industries"]),
                           {level: {k: float(v) for k, v in row[level].items()} for level in ("large", "medium", "small")},
                           row.get("above_scale"))
                 for row in raw)


def _number(digits: str) -> float | None:
    """A number written in digits or Chinese; None for what is no one number (两三百, 百来)."""
    try:
        return float(digits) if digits[0].isdigit() else float(cn2an.cn2an(digits, "smart"))
    except ValueError:
        return None


def people_said(text: str) -> float | None:
    """The headcount the owner gives, None when none.

    Example:
        >>> people_said("做体育器材的，一百五十来人，去年销售一千八百万"), people_said("想招三个人，研发人员六十多个")
        (150.0, None)
        >>> people_said("三十几个人，小微企业"), people_said("两三百人"), people_said("人均收入6万")
        (35.0, None, None)
    """
    for found in _PEOPLE.finditer(text):
        value = _number(found["n"])
        if value is not None and found["more"] == "几" and value % 10 == 0:
            value += 5
        return value
    return None


def revenue_said(text: str) -> float | None:
    """A year's revenue the owner gives, in 万元; None when none.

    Example:
        >>> [revenue_said(t) for t in ("去年营收一亿二左右", "营收两亿三", "营收三个半亿", "去年销售一千八百万", "月销售额两万多")]
        [12000.0, 23000.0, 35000.0, 1800.0, 24.0]
        >>> [revenue_said(t) for t in ("营收一亿五千万", "年销售20万台", "人均收入6万", "销售额1000万美元", "去年12月销售300万")]
        [15000.0, None, None, None, 300.0]
        >>> revenue_said("销售额五六百万"), revenue_said("营收百来万")
        (None, None)
    """
    for found in _REVENUE.finditer(text):
        value = _number(found["amount"])
        if value is None:
            return None
        value += 0.5 if found["half"] else 0.0
        tail = found["tail"] or ""
        if found["unit"] == "亿":
            value *= 10000
            if tail.endswith("万"):
                extra = _number(tail[:-1])
                value += extra or 0.0
            elif tail:
                value += (_number(tail) or 0.0) * 1000
        return value * 12 if found["month"] else value
    return None


def size_by_figures(text: str, industries: tuple[str, ...], factory: bool = False) -> tuple[str, str]:
    """The size (小微企业, 中型企业, or 规上企业 for 大型) the owner's figures settle under the rows for
    `industries` (the profile's industry and those it lies within), with how it was read;
    ("", "") when they settle none. A `factory` of its own is sized as 工业 when its industry
    has no row of its own (体育器材 made in a 厂).

    Example:
        >>> size_by_figures("做体育器材的，一百五十来人，去年销售一千八百万左右", ("体育", "服务业"), factory=True)[0]
        '小微企业'
        >>> size_by_figures("三百五十来号人，去年营收一亿二左右", ("装备制造", "制造业"))[0]
        '中型企业'
        >>> size_by_figures("三百五十来号人", ("装备制造", "制造业"))[0]  # 中型 or 大型
        ''
        >>> size_by_figures("一千八百多人，去年营收二十一个亿", ("制造业",))[0]
        '规上企业'
        >>> size_by_figures("两百人，营收一亿五千万", ("制造业",))[0]  # 小型, yet 规模以上
        ''
        >>> size_by_figures("做仓储的，一百五十人，营收三千万", ("物流", "生产性服务业"))[0]  # 交通运输 小型, 仓储 中型
        ''
    """
    rows = [s for s in _standards() if set(s.industries) & set(industries)]
    if factory and all(row.name == OTHER_SERVICES for row in rows):
        rows = [s for s in _standards() if s.name == "工业"]
    if not rows:
        return "", ""
    people, revenue = people_said(text), revenue_said(text)
    if people is None and revenue is None:
        return "", ""
    sizes = {row.size(people, revenue) for row in rows}
    if len(sizes) != 1 or "" in sizes:
        return "", ""
    size = sizes.pop()
    said = "、".join(part for part in (
        f"从业人员约{people:g}人" if people is not None else "",
        f"年营业收入约{revenue:g}万元" if revenue is not None else "") if part)
    kind = {LARGE: "大型企业", MEDIUM: "中型企业"}.get(size, "小型或微型企业")
    return size, f"按{said}（{'、'.join(row.name for row in rows)}），依中小企业划型标准读作{kind}。"
