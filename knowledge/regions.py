"""China's administrative regions — every province, prefecture-level city, county and
district, and the development zones the national code table lists — read from the
location data that the `jionlp` package ships (民政部 codes, with the short forms people
write: 辽宁, 大连, 甘井子), plus the renamed places of its change list (襄樊 → 襄阳市) and
the new areas no code lists (金普新区 → 大连市; knowledge/functional_areas.txt).

A name that several regions share (朝阳区 in 北京 and 长春, 高新区 in most cities) is
resolved by the other places named beside it — the document's issuer, the question's
other places, the page's region — and otherwise left unresolved, never guessed.

Only the data file is read (not jionlp's code): parsing the three upper levels takes
about half a second, once per process, on first use.

It is longer than most modules because reading the data, the short forms and the
shared-name resolution are one model of places; split, each half would need the other's
internals.
"""

from __future__ import annotations

import functools
import re
import importlib.util
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jieba

NATIONAL = "全国"
LEVEL_ORDER = ("国家", "省", "市", "区县")
_MUNICIPALITIES = ("北京市", "上海市", "天津市", "重庆市")
# A short form followed by one of these names a town, street or road, not the county
# (城关镇, 中山路, 金水河), so it is not read as the county.
_NOT_A_COUNTY_AFTER = set("镇乡村路街道桥河湖山园里屯营")
_RIDGE = "岭"
"""A county's short form before 岭 is a longer name (南关岭 in 甘井子, not 长春's 南关区); the name's
tail is not read again either (关岭 would be a county in 贵州)."""
_COUNTRYSIDE = {"乡下", "乡村", "山区", "山里"}
"""Words after a county that speak of its countryside, not of a township (庄河乡下)."""
RANKING_AFTER = re.compile(r"[省市区县]?(?:(?:\d+|[一二三四五六七八九十百千]+)强|名牌|著名商标)")
"""What follows a place that opens a ranking or a brand's title (辽宁省100强, 大连名牌)."""
# Short forms that are everyday words (和平, 开发, 高新) are not read as places; the full
# name (和平区) still is. Judged by jieba's dictionary: frequent, or frequent and not
# tagged as a place name.
_COMMON_WORD_FREQ = 1000
_COMMON_NON_PLACE_FREQ = 300
_SPLIT_WORD_FREQ = 5000
"""A short form is not read where its last character begins a word this frequent (政府),
the dictionary being short of place names (it cuts 五常有 as 五 + 常有)."""


@dataclass(frozen=True)
class Region:
    """地区：规范名称、层级、上级地区、行政区划代码与简称。"""

    name: str
    """规范名称；全国同名时带上级名称，如 北京市朝阳区。"""
    level: str
    """层级：国家 / 省 / 市 / 区县。"""
    parent: str = ""
    """上级地区的规范名称。"""
    code: str = ""
    """行政区划代码。"""
    full_name: str = ""
    """本级全称，如 朝阳区。"""


@dataclass(frozen=True)
class Mention:
    """文本中提到的一个地名：原文、位置与可能指向的地区。"""

    text: str
    start: int
    end: int
    candidates: tuple[str, ...]


class Gazetteer:
    """Regions by canonical name, and every written form that names them.

    Example:
        >>> g = gazetteer()
        >>> g.find("甘井子区的科技政策")
        ['甘井子区']
        >>> g.ancestors("甘井子区")
        ['大连市', '辽宁省', '全国']
        >>> g.find("朝阳区"), g.find("北京朝阳区")
        ([], ['北京市', '北京市朝阳区'])
    """

    def __init__(
        self, regions: Iterable[Region], surfaces: dict[str, tuple[str, ...]], informal: Iterable[str] = ()
    ) -> None:
        self.regions: dict[str, Region] = {region.name: region for region in regions}
        self.surfaces = surfaces
        self.informal = frozenset(informal)
        """Short forms of counties (甘井子, 金州): how people talk, but in policy text
        they are as often part of another name (金水支行, 中原银行), so documents are
        read with full names and city/province short forms only."""
        self._full_names = {region.full_name for region in self.regions.values()}
        self._lengths: dict[str, tuple[int, ...]] = {}
        for surface in surfaces:
            lengths = set(self._lengths.get(surface[0], ()))
            lengths.add(len(surface))
            self._lengths[surface[0]] = tuple(sorted(lengths, reverse=True))
        # Clause sentences are checked for places on every answer that quotes them.
        self._mentions = functools.lru_cache(maxsize=8192)(self._scan)
        self._children: dict[str, list[str]] = {}
        for region in self.regions.values():
            if region.parent:
                self._children.setdefault(region.parent, []).append(region.name)

    def __contains__(self, name: str) -> bool:
        return name in self.regions

    def mentions(self, text: str, informal: bool = False) -> list[Mention]:
        """Every place named in `text`, longest form first, in order; `informal` also
        reads counties' short forms (for what visitors type)."""
        return list(self._mentions(text or "", informal))

    def _scan(self, text: str, informal: bool) -> tuple[Mention, ...]:
        found: list[Mention] = []
        i, n = 0, len(text or "")
        while i < n:
            step = 1
            for length in self._lengths.get(text[i], ()):
                surface = text[i:i + length]
                if i + length > n or surface not in self.surfaces:
                    continue
                if not informal and surface in self.informal:
                    continue
                after = text[i + length:i + length + 1]
                if after == _RIDGE and surface not in self._full_names:
                    step = length + 1
                    break
                if (surface not in self._full_names and after in _NOT_A_COUNTY_AFTER
                        and text[i + length:i + length + 2] not in _COUNTRYSIDE):
                    continue
                if surface in self.informal and (_splits_a_word(text, i, i + length)
                                                 or _counted_common_noun(text, i, surface)
                                                 or _opens_with_a_measure_word(text, i, surface)):
                    continue
                if surface not in self._full_names and _segmented_across(text, i, i + length):
                    continue
                found.append(Mention(surface, i, i + length, self.surfaces[surface]))
                step = length
                break
            i += step
        return tuple(found)

    def resolve(self, mentions: list[Mention], context: Iterable[str] = ()) -> list[tuple[Mention, str]]:
        """Each mention with the region it names ('' when it stays ambiguous): a shared
        name goes to the candidate inside, or containing, another place named."""
        known = [name for name in context if name in self.regions]
        known += [m.candidates[0] for m in mentions if len(m.candidates) == 1]
        resolved = []
        for mention in mentions:
            if len(mention.candidates) == 1:
                resolved.append((mention, mention.candidates[0]))
                continue
            fitting = [c for c in mention.candidates if any(self._related(c, other) for other in known)]
            if len(fitting) == 1:
                resolved.append((mention, fitting[0]))
                continue
            # 铁岭 for 铁岭市 and the 铁岭县 inside it: the city, which holds either.
            outermost = self._outermost(fitting or list(mention.candidates))
            resolved.append((mention, outermost if self.level_of(outermost) == "市" else ""))
        return resolved

    def _outermost(self, names: list[str]) -> str:
        """The one of `names` containing all the others, '' when they are not on one chain."""
        return next((name for name in names
                     if all(other == name or name in self.ancestors(other) for other in names)), "")

    def find(self, text: str, context: Iterable[str] = (), informal: bool = False) -> list[str]:
        """Canonical names of the places `text` names, in order of first mention; a
        shared name that nothing resolves is left out (see `ambiguous`)."""
        names: list[str] = []
        for _, name in self.resolve(self.mentions(text, informal), context):
            if name and name not in names:
                names.append(name)
        return names

    def find_within(self, text: str, start: int, end: int) -> list[str]:
        """`find` for text[start:end] (a sentence of a clause, cut at punctuation), from the
        places of the whole `text`: a clause is scanned once for all its sentences."""
        inside = [m for m in self.mentions(text) if start <= m.start and m.end <= end]
        names: list[str] = []
        for _, name in self.resolve(inside):
            if name and name not in names:
                names.append(name)
        return names

    def ambiguous(self, text: str, context: Iterable[str] = (), informal: bool = False) -> list[Mention]:
        """Mentions that name several regions and that nothing around them resolves."""
        return [m for m, name in self.resolve(self.mentions(text, informal), context) if not name]

    def level_of(self, name: str) -> str:
        region = self.regions.get(name)
        return region.level if region else ""

    def ancestors(self, name: str) -> list[str]:
        """The regions containing `name`, nearest first, ending with 全国."""
        chain: list[str] = []
        region = self.regions.get(name)
        while region is not None and region.parent:
            chain.append(region.parent)
            region = self.regions.get(region.parent)
        return chain

    def chain(self, name: str) -> list[str]:
        """`name` and every region containing it (甘井子区, 大连市, 辽宁省, 全国)."""
        return [name, *self.ancestors(name)] if name in self.regions else []

    def descendants(self, name: str) -> list[str]:
        """Every region inside `name`."""
        found, queue = [], list(self._children.get(name, ()))
        while queue:
            child = queue.pop()
            found.append(child)
            queue.extend(self._children.get(child, ()))
        return found

    def _related(self, a: str, b: str) -> bool:
        return a != b and (b in self.ancestors(a) or a in self.ancestors(b))


def warm_up() -> None:
    """Read the gazetteer and the dictionary its short-form check segments with (about a
    second together) now, not in the first visitor's question."""
    gazetteer()
    jieba.initialize()


def location_data_path() -> Path:
    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("需要安装 jionlp（全国行政区划数据）：pip install jionlp")
    return Path(spec.submodule_search_locations[0]) / "dictionary"


@functools.cache
def foreign_countries() -> frozenset[str]:
    """Names of the countries other than China (日本, 德国, 大韩民国…), from jionlp's world
    gazetteer: an owner's 德国工程师 or 日资 parent is what policies call 外籍 or 外资."""
    names: set[str] = set()
    for line in (location_data_path() / "world_location.txt").read_text(encoding="utf-8").splitlines():
        parts = line.strip().split("\t")
        if len(parts) >= 2 and parts[0] != "中国":
            names.update(name for name in parts[:2] if len(name) >= 2)
    # Not a name inside a Chinese place's (蒙古 of 内蒙古, 黑山 of 黑山县), nor one opening with 中
    # (中非 is also 中国-非洲).
    chinese = "\n".join(gazetteer().surfaces)
    return frozenset(n for n in names if not n.startswith("中") and n not in chinese)


@functools.cache
def gazetteer() -> Gazetteer:
    """The national gazetteer, read once per process."""
    folder = location_data_path()
    with zipfile.ZipFile(folder / "china_location.zip") as archive:
        text = archive.read("china_location.txt").decode("utf-8")
    rows: list[tuple[int, str, str, list[str]]] = []
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip("\t"))
        if depth > 2:
            continue  # towns and villages: policies are issued by counties and above
        parts = line.strip().split("\t")
        if len(parts) != 3 or not parts[1].isdigit() or "直辖" in parts[0]:
            continue
        name, code, alias = parts
        rows.append((depth, name, code, [a for a in alias.split("/") if a]))
    changes = (folder / "china_location_change.txt").read_text(encoding="utf-8")
    return _build(rows, changes)


def _build(rows: list[tuple[int, str, str, list[str]]], changes: str) -> Gazetteer:
    full_name_counts: dict[str, int] = {}
    for depth, name, _, _ in rows:
        if depth == 2:
            full_name_counts[name] = full_name_counts.get(name, 0) + 1
    regions = [Region(NATIONAL, "国家", "", "100000", NATIONAL)]
    surfaces: dict[str, list[str]] = {NATIONAL: [NATIONAL]}
    formal: set[str] = {NATIONAL}

    def add_surface(surface: str, name: str, is_formal: bool = True) -> None:
        if len(surface) >= 2 and name not in surfaces.setdefault(surface, []):
            surfaces[surface].append(name)
        if is_formal:
            formal.add(surface)

    province = city = ""
    for depth, name, code, aliases in rows:
        if depth == 0:
            province = city = name
            regions.append(Region(name, "省", NATIONAL, code, name))
            add_surface(name, name)
            for alias in aliases:
                add_surface(alias, name)
        elif depth == 1:
            if province in _MUNICIPALITIES or not code.endswith("00"):
                city = province  # 北京市 > 北京市 > 朝阳区: the city level repeats the province
                continue
            city = name
            regions.append(Region(name, "市", province, code, name))
            add_surface(name, name)
            for alias in aliases:
                add_surface(alias, name)
        else:
            canonical = name if full_name_counts[name] == 1 else f"{city}{name}"
            regions.append(Region(canonical, "区县", city, code, name))
            if len(name) > 2 or _usable_short_form(name):  # 城区, 郊区 are everyday words too
                add_surface(name, canonical)
            add_surface(canonical, canonical)
            for alias in aliases:
                if alias != name and _usable_short_form(alias) and not _names_a_kind_of_area(name, alias):
                    add_surface(alias, canonical, is_formal=False)
    known = {region.name for region in regions}
    for old, new in _renamed(changes):
        if old not in known and new in known and (len(old) > 2 or _usable_short_form(old)):
            add_surface(old, new)  # not a former 郊区: an everyday word, as for current names
    for area, region in _functional_areas():
        if region in known and area not in surfaces:
            add_surface(area, region)  # 金普新区: where the enterprise is, read as the region it lies in
    informal = set(surfaces) - formal
    return Gazetteer(regions, {surface: tuple(names) for surface, names in surfaces.items()}, informal)


def _functional_areas() -> list[tuple[str, str]]:
    """(area, region it lies in) from knowledge/functional_areas.txt: new areas that are
    no division of the code table (金普新区, 雄安新区)."""
    lines = (Path(__file__).parent / "functional_areas.txt").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split()[:2]) for line in lines if line.strip() and not line.startswith("#")]


def _renamed(changes: str) -> Iterable[tuple[str, str]]:
    """(old full name, new canonical name) of cities and counties renamed or moved."""
    for line in changes.splitlines():
        if "=>" not in line:
            continue
        before, after = line.split("=>", 1)
        old = before.split("\t")[2:]
        new = after.split("\t")
        old_names, old_short = old[0::2], old[1::2]
        if len(old_names) >= 2 and len(new) == len(old_names):
            yield old_names[-1], new[-1]
            if len(old_names) == 2 and len(old_short) == 2 and _usable_short_form(old_short[-1]):
                yield old_short[-1], new[-1]  # a city's old short form (襄樊); counties' are too loose


def _splits_a_word(text: str, start: int, end: int) -> bool:
    """Whether a short form found at text[start:end] ends inside an everyday word, as the
    dictionary segments the text ("融资和政府采购" holds 和政, 和政县's short form, whose 政
    belongs to 政府; "评上高新技术企业" holds 上高, whose 高 begins 高新技术). The word cut
    into must be a common one, or one of three characters or more: a rare two-character
    word is as likely a misreading as the place. Only the end is judged: what comes before
    a place (在, 和, 到) so often makes a word with its first character (在于洪, 和平湖) that
    the start alone says nothing; a short form whose both ends sit inside words (马上高考:
    马上 and 高考) is no place, however rare the words.

    Example:
        >>> _splits_a_word("融资和政府采购", 2, 4), _splits_a_word("金水的企业", 0, 2)
        (True, False)
        >>> _splits_a_word("刚评上高新技术企业", 2, 4), _splits_a_word("去年评上高企了", 3, 5)
        (True, True)
        >>> _splits_a_word("我在于洪开厂", 2, 4), _splits_a_word("西城中小企业", 0, 2), _splits_a_word("五常有啥补贴", 0, 2)
        (False, False, False)
        >>> _splits_a_word("刚评上高新企业", 2, 4), _splits_a_word("马上高考了", 1, 3), _splits_a_word("在上高办厂", 1, 3)
        (True, True, False)
    """
    if _cuts_into_a_policy_term(text, start, end) or _inside_words_at_both_ends(text, start, end):
        return True
    at = 0
    for token in jieba.lcut(text, HMM=False):
        at += len(token)
        if at >= end:
            if not (at > end and at - len(token) <= end - 1):
                return False
            frequency = common_words().get(token, (0, ""))[0]
            return frequency >= _SPLIT_WORD_FREQ or (len(token) >= 3 and frequency > 0)
    return False


def _counted_common_noun(text: str, start: int, surface: str) -> bool:
    """Whether a short form that is also a common noun comes right after 这, 那 or 个:
    "我这小店", "开了个小店" speak of a shop, not of 太原's 小店区."""
    return start > 0 and text[start - 1] in "这那个" and common_words().get(surface, (0, ""))[1] == "n"


def _opens_with_a_measure_word(text: str, start: int, surface: str) -> bool:
    """Whether a short form opening with 个 follows a verb or a number, whose 个 counts
    what comes after: "租个旧厂房" rents an old workshop, it is not 个旧市."""
    return surface[0] == "个" and start > 0 and text[start - 1] not in _BEFORE_A_PLACE


_BEFORE_A_PLACE = set("在到去于和与及、，,。；;：:（(“\"的从是来回往 ")


def _segmented_across(text: str, start: int, end: int) -> bool:
    """Whether the dictionary segments text[start:end] into the ends of two words around it,
    as it does a city's short form in 医保定点 (医保 / 定点: no 保定) or 以上海外仓 (以上 /
    海外仓), and not in 明天大连降温 (明天 / 大连 / 降温).

    Example:
        >>> _segmented_across("能进医保定点吗", 3, 5), _segmented_across("明天大连降温", 2, 4)
        (True, False)
    """
    window_start = max(0, start - 4)
    at, inside_start, inside_end = window_start, False, False
    for token in jieba.lcut(text[window_start:end + 4], HMM=False):
        token_start, at = at, at + len(token)
        inside_start |= token_start < start < at
        inside_end |= token_start < end < at
    return inside_start and inside_end


def _inside_words_at_both_ends(text: str, start: int, end: int) -> bool:
    """Whether a dictionary word runs from before text[start:end] into its first character
    and another from its last character past its end."""
    words = common_words()
    return (any(text[at:start + 1] in words for at in range(max(0, start - 3), start))
            and any(text[end - 1:until] in words for until in range(end + 1, min(len(text), end + 3) + 1)))


def _cuts_into_a_policy_term(text: str, start: int, end: int) -> bool:
    """Whether a policy term (knowledge/policy_terms.txt: 高企, 专精特新…) begins inside
    text[start:end] after its first character and runs past its end: 评上高企 is not 上高."""
    terms = policy_terms()
    return any(text[at:at + length] in terms
               for at in range(start + 1, end) for length in range(end - at + 1, 9))


def _names_a_kind_of_area(name: str, alias: str) -> bool:
    """Whether a short form that ends its full name says only what kind of area it is
    (衡阳综合保税区 → 保税区, 石家庄循环化工园区 → 化工园区): words of the dictionary,
    none of them a place, as a visitor's "大连保税区" or "我们园区" uses them.

    Example:
        >>> _names_a_kind_of_area("衡阳综合保税区", "保税区"), _names_a_kind_of_area("石家庄循环化工园区", "化工园区")
        (True, True)
        >>> _names_a_kind_of_area("沧州渤海新区", "渤海新区"), _names_a_kind_of_area("保定白沟新城", "白沟新城")
        (False, False)
    """
    if not name.endswith(alias):
        return False
    words = jieba.lcut(alias, HMM=False)
    return all(common_words().get(word, (0, "ns"))[1] != "ns" for word in words)


def _usable_short_form(alias: str) -> bool:
    # Two characters ending in 区 (新区, 城区, 东区) say "an area", not which one.
    if len(alias) < 2 or len(alias) == 2 and alias.endswith("区"):
        return False
    entry = common_words().get(alias)
    if entry is None:
        return True
    frequency, tag = entry
    return frequency < _COMMON_WORD_FREQ and (tag == "ns" or frequency < _COMMON_NON_PLACE_FREQ)


@functools.cache
def common_words() -> dict[str, tuple[int, str]]:
    """jieba's dictionary words of 2–4 characters: (frequency, part of speech)."""
    words: dict[str, tuple[int, str]] = {}
    dictionary = Path(jieba.__file__).parent / "dict.txt"
    with dictionary.open(encoding="utf-8") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) == 3 and 2 <= len(parts[0]) <= 4:
                words[parts[0]] = (int(parts[1]), parts[2])
    return words


@functools.cache
def policy_terms() -> frozenset[str]:
    """The words of knowledge/policy_terms.txt (专精特新, 高企…), which jieba is taught too."""
    lines = (Path(__file__).parent / "policy_terms.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.split()[0] for line in lines if line.strip() and not line.startswith("#"))


# Module-level helpers: the gazetteer as most callers use it.


def find_regions(text: str, context: Iterable[str] = (), informal: bool = False) -> list[str]:
    """Canonical region names mentioned in `text`, in order of first mention.

    Example:
        >>> find_regions("郑州惠济区和金华的政策")
        ['郑州市', '惠济区', '金华市']
        >>> find_regions("建设银行郑州金水支行"), find_regions("金水的企业", informal=True)
        (['郑州市'], ['金水区'])
    """
    return gazetteer().find(text, context, informal)


def region_mentions(text: str, context: Iterable[str] = (), informal: bool = True) -> list[tuple[str, str]]:
    """Every (matched text, canonical name) a visitor's `text` names, in order; with
    `informal` off, only the full names policy text is read by (庄河港 is a port).

    Example:
        >>> region_mentions("金华和义乌")
        [('金华', '金华市'), ('义乌', '义乌市')]
    """
    places = gazetteer()
    return [(m.text, name) for m, name in places.resolve(places.mentions(text, informal=informal), context) if name]


def level_of(region: str) -> str:
    """The administrative level of a region: 国家 / 省 / 市 / 区县 ('' if unknown)."""
    return gazetteer().level_of(region)


def ancestors(region: str) -> list[str]:
    """The regions that contain `region`, nearest first (惠济区 -> 郑州市, 河南省, 全国)."""
    return gazetteer().ancestors(region)


def descendants(region: str) -> list[str]:
    """The regions inside `region` (郑州市 -> 惠济区, 中原区…)."""
    return gazetteer().descendants(region)


def is_region(name: str) -> bool:
    return name in gazetteer()
