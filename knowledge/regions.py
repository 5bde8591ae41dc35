"""A small gazetteer of the regions the knowledge base deals with: name, level, parent.

Region names in questions and documents are matched against it, and a district's
documents can be told apart from its city's. Extend it when documents of new places
are added; unknown places fall back to the suffix rule in `level_of`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """地区：名称、层级与上级地区。"""

    name: str
    level: str
    parent: str = ""
    aliases: tuple[str, ...] = ()


def _regions() -> dict[str, Region]:
    table: list[Region] = [Region("全国", "国家")]
    provinces = {
        "河南省": ("河南",), "浙江省": ("浙江",), "北京市": ("北京",), "上海市": ("上海",),
        "天津市": ("天津",), "重庆市": ("重庆",), "江苏省": ("江苏",), "广东省": ("广东",),
        "山东省": ("山东",), "湖北省": ("湖北",), "四川省": ("四川",), "福建省": ("福建",),
        "安徽省": ("安徽",), "河北省": ("河北",), "湖南省": ("湖南",), "陕西省": ("陕西",),
    }
    for name, aliases in provinces.items():
        # Municipalities such as 上海市 are province-level.
        table.append(Region(name, "省", "全国", aliases))
    cities = {
        "郑州市": "河南省", "焦作市": "河南省", "洛阳市": "河南省", "开封市": "河南省", "新乡市": "河南省",
        "金华市": "浙江省", "杭州市": "浙江省", "宁波市": "浙江省", "温州市": "浙江省",
        "深圳市": "广东省", "广州市": "广东省", "苏州市": "江苏省", "南京市": "江苏省",
        "武汉市": "湖北省", "成都市": "四川省", "济南市": "山东省", "青岛市": "山东省",
    }
    for name, parent in cities.items():
        table.append(Region(name, "市", parent, (name[:-1],)))
    counties = {
        # 郑州市
        "惠济区": "郑州市", "中原区": "郑州市", "二七区": "郑州市", "管城回族区": "郑州市",
        "金水区": "郑州市", "上街区": "郑州市", "郑东新区": "郑州市", "高新区": "郑州市",
        "经开区": "郑州市", "航空港区": "郑州市", "新郑市": "郑州市", "登封市": "郑州市",
        "新密市": "郑州市", "荥阳市": "郑州市", "巩义市": "郑州市", "中牟县": "郑州市",
        # 焦作市
        "温县": "焦作市", "武陟县": "焦作市", "博爱县": "焦作市", "修武县": "焦作市",
        "沁阳市": "焦作市", "孟州市": "焦作市",
        # 金华市
        "义乌市": "金华市", "武义县": "金华市", "东阳市": "金华市", "永康市": "金华市",
        "兰溪市": "金华市", "浦江县": "金华市", "磐安县": "金华市", "婺城区": "金华市",
        "金东区": "金华市",
        # others asked about often
        "青山区": "武汉市", "浦东新区": "上海市", "海淀区": "北京市", "朝阳区": "北京市",
    }
    # Short forms only where they cannot be read as something else
    # (中原 is also 中原银行, 高新 also 高新技术企业).
    short_forms = {
        "惠济区", "义乌市", "武义县", "新郑市", "登封市", "新密市", "荥阳市", "巩义市", "中牟县",
        "东阳市", "永康市", "兰溪市", "浦江县", "磐安县", "武陟县", "沁阳市", "孟州市",
    }
    for name, parent in counties.items():
        aliases: tuple[str, ...] = (name[:-1],) if name in short_forms else ()
        if name == "管城回族区":
            aliases = ("管城区",)
        table.append(Region(name, "区县", parent, aliases))
    return {region.name: region for region in table}


REGIONS: dict[str, Region] = _regions()
_ALIASES: dict[str, str] = {
    alias: region.name for region in REGIONS.values() for alias in (region.name, *region.aliases)
}
_ALIAS_PATTERN = re.compile("|".join(sorted(map(re.escape, _ALIASES), key=len, reverse=True)))


def find_regions(text: str) -> list[str]:
    """Canonical region names mentioned in `text`, in order of first mention.

    Example:
        >>> find_regions("郑州惠济区和金华的政策")
        ['郑州市', '惠济区', '金华市']
    """
    found: list[str] = []
    for match in _ALIAS_PATTERN.finditer(text):
        name = _ALIASES[match.group(0)]
        if name not in found:
            found.append(name)
    return found


def region_mentions(text: str) -> list[tuple[str, str]]:
    """Every (matched text, canonical name) in `text`, in order.

    Example:
        >>> region_mentions("金华和义乌")
        [('金华', '金华市'), ('义乌', '义乌市')]
    """
    return [(match.group(0), _ALIASES[match.group(0)]) for match in _ALIAS_PATTERN.finditer(text)]


def descendants(region: str) -> list[str]:
    """The regions inside `region` that the gazetteer knows (郑州市 -> 惠济区, 中原区…)."""
    return [name for name in REGIONS if region in ancestors(name)]


def level_of(region: str) -> str:
    """The administrative level of a region name: 国家 / 省 / 市 / 区县."""
    if region in REGIONS:
        return REGIONS[region].level
    if region.endswith("省"):
        return "省"
    if region.endswith("市"):
        return "市"
    if region.endswith(("区", "县", "旗")):
        return "区县"
    return ""


def ancestors(region: str) -> list[str]:
    """The regions that contain `region`, nearest first (惠济区 -> 郑州市, 河南省, 全国)."""
    chain: list[str] = []
    current = REGIONS.get(region)
    while current is not None and current.parent:
        chain.append(current.parent)
        current = REGIONS.get(current.parent)
    return chain
