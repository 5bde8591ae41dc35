"""Benefit items (政策直达): what a clause grants, to whom, how much, on what condition.

Rule-based on the language of policy documents (vocabulary in benefit_terms.yaml):

- a clause is cut into grant parts at 。；; a part with two grant figures and no 分别 is
  cut again at its commas, so "国家级奖励100万元，省级奖励50万元" is two items;
- a figure is a grant when a grant word stands before it (给予/奖励/最高/不超过…) or a
  grant noun after it (…万元奖励), and a threshold when 以上/以下/（含）/至/的 follows it
  ("营业收入10亿元（含）以上的"); a percentage is a rate unless it is a threshold;
- a run of parts that each set a threshold and grant one figure is one tiered item;
- "分别给予200万元、50万元" pairs the figures with the recipients listed before it;
- a part that only states a cap ("单一企业最高补贴300万元") caps the item before it;
- a bracket that grants figures of its own is a sentence of its own, and a bare
  "省级专精特新20万元" after a granted figure continues that list;
- a grant without a figure (免征…, 优先供应土地, 准予…扣除, 给予倾斜性支持) is one item
  per recipient it names ("对A免征…，对B减半征收…" is two; "实行递延纳税政策，暂不征收…"
  one), also after the figures of a sentence; "落实…税收优惠政策" only announces;
- a grant to people no enterprise employs (人才 at large, residents, 境外投资者) is theirs, not
  an enterprise's; one for an enterprise's own staff (企业高级管理人员) stays the enterprise's;
- a document for one kind of enterprise ("…利用外资若干政策措施") grants to that kind; one
  for a trade ("…跨境电子商务扶持资金管理规定") limits its items to the trade, and what it grants
  a platform, a park or a school (named in the sentence or in the heading) is theirs;
  a grant whose sentence names no one is for whom the sentence before it names;
- a cap stated alone ("单项补助最高不超过40万元") caps every rate before it without one; a
  rate a grant is raised by ("比例可上调10%") is no grant of its own;
- a grant announced without a figure and stated with one next is one item, and the same
  figure for the same recipients stated again for another tier is not a second one.

Every item quotes the words it came from. An amount the rules cannot parse is kept as
quoted text (`amount_text`), never guessed.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import cn2an
import yaml

from knowledge.regions import is_region

TERMS_FILE = Path(__file__).with_name("benefit_terms.yaml")
RULES_VERSION = 2
"""Bump when the rules change; with the vocabulary's own hash (`rules_version`) it tells
stored items read by other rules, which are read afresh."""

_NUMBER = r"(?<![\d.])(?:\d+(?:,\d{3})*(?:\.\d+)?(?![\d.])|[零一二三四五六七八九十百千万亿两]*[一二三四五六七八九十两][零一二三四五六七八九十百千两]*(?:点[零一二三四五六七八九]+)?)"
_MONEY = re.compile(rf"({_NUMBER})\s*(亿|千万|百万|万|千)?\s*(元|美元)?(?:人民币)?")
_MAX_YUAN = 100_000_000_000
"""Above this (千亿元) a figure is a fund's size or a misprint, not a grant: kept as text."""
_RATE = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]|百分之([零一二三四五六七八九十百点]+)")
_PART_END = re.compile(r"(?<=[。；;])|\n")
_COMMA = re.compile(r"(?<=[，,])")
_THRESHOLD_AFTER = re.compile(r"^\s*(?:人民币)?\s*(?:（含）|\(含\)|以上|以下|及以上|至|到|-|—|～|~|的(?![奖补资支扶贴标])|（不含）|之间|或以上)")
_THRESHOLD_BEFORE = re.compile(r"(?<!不)(?:超过|达到|达|突破|增长|提高|投资|收入|贡献|规模|销售额|营业额|营收|注册资本|实缴|纳税|税收|额度在|在)\s*$")
_GRANT_NOUN_AFTER = re.compile(r"^\s*(?:人民币)?\s*(?:的)?(?:一次性)?(?:(?!以[上下内]|及以上)[^，。；\d给予按对的]){0,4}?(?:奖励|奖补|补贴|补助|资助|扶持|贴息|开办补助|的奖励|的补助|的资助)")
_CAP_BEFORE = re.compile(r"(?:最高|不超过|上限|封顶|最多|不高于|累计|总额)[^，。；]{0,6}$")
_CAP_ONLY = re.compile(r"(?:单一|单个|单家|单项|每家|同一|每个|每项|累计|总额)|^(?:补助|补贴|奖励|资助|扶持)(?:资金|金额|总额|额度)")
_LEVEL_WORDS = re.compile(
    r"(国家级|省级|市级|区级|县级)|(国家|省)(?=[“\"]?(?:专精特新|小巨人|单项冠军|隐形冠军|高新|科技型|重点|认定|级))"
)
_LEVEL_NAMES = {"国家级": "national", "国家": "national", "省级": "provincial", "省": "provincial",
                "市级": "city", "区级": "district", "县级": "district"}
_LEVEL_REACH = 12
"""A level word counts for a title when it stands this near before it ("省级“专精特新”中小企业")."""
_UNITS = r"(?:人|家|亩|平方米|户|个|项|台|套|张|年|月|名|人每月|家每年|家企业每年|家企业|美元)"
_PER_UNIT = re.compile(rf"每(?:[^，。；\d每]{{1,4}}?(?:\d+|一))?{_UNITS}")
"""每人, 每平方米, and a unit counted by what is done (每培训1人, 每招用一名)."""
_PRE_WINDOW = 12
_WEAK_IN_KIND = re.compile(r"发放[^，。；]{0,24}贷款|优惠利率|优先享受|创新券|科技券")
"""Grants in kind that are none in a prohibition or a duty (`_NOT_GRANTING`)."""
_NOT_GRANTING = re.compile(r"严禁|禁止|不得|违规|负责|另行制定|不再|追回|取消|由[^，。；]{1,12}(?:发放|管理)")
_GRANT_IN_KIND = re.compile(
    r"免征|减征|减按|免收|免缴|减半征收|减免|全额退还|退还增值税|不再增收|不增收|零税率|递延纳税|税收优惠|留抵退税|"
    rf"{_WEAK_IN_KIND.pattern}|"
    r"优先供应|优先保障|优先安排|优先办理|优先给予|优先提供|优先为|用地指标|土地计划指标|绿色通道|"
    r"(?:给予|予以)[^，。；]{0,16}(?:补助|补贴|奖励|资助|资金支持|扶持|贴息|担保|贷款|服务券|支持|倾斜)|"
    r"兑现[^，。；]{0,10}(?:奖励|补贴|补助|待遇)|"
    r"提供[^，。；]{0,8}(?:担保|贷款|融资支持)|准予[^，。；]{0,24}扣除|税前扣除|加计扣除|免税收入|暂不征收|暂免征收"
)
"""Grants in kind or without a figure; a grant with a figure is read from the figure."""
_GRANTING_BRACKET = re.compile(
    r"[（(]([^（()）]{0,80}?(?:给予|奖励|补助|补贴|资助)[^（()）]{0,80}?\d[^（()）]{0,6}?元[^（()）]{0,80}?)[)）]"
)
_ANNOUNCES = re.compile(r"(?:落实|贯彻|执行|宣传|用好)[^，,]*$")
_GRANTED_RANGE = re.compile(
    rf"(?:给予|奖励|补助|补贴|资助|奖补)[^，。；\d]{{0,4}}({_NUMBER}\s*(?:亿|千万|百万|万|千)?元?)\s*(?:至|到|-|—|～|~)\s*"
    rf"({_NUMBER}\s*(?:亿|千万|百万|万|千)?元)"
)
_TOTAL_CAP = re.compile(r"(?:合计|累计|总额|总计)[^，。；]{0,4}(?:最多|最高|不超过|上限)")
_PER_UNIT_BEFORE = re.compile(rf"每(?:[^，。；\d每]{{1,4}}?(?:\d+|一))?{_UNITS}(?:[，,]即)?[^，。；]{{0,3}}$")
_CHINESE_DIGITS = set("零一二三四五六七八九十百千万亿两")
def _names_industry(form: str, text: str) -> bool:
    """`form` stands in `text` as an industry: 服务业 not as the start of 服务业务."""
    start = text.find(form)
    while start >= 0:
        if not (form.endswith("业") and text.startswith("务", start + len(form))):
            return True
        start = text.find(form, start + 1)
    return False


_CANDIDATE_AFTER = re.compile(
    r"[”\"]?(?:中小)?(?:企业)?(?:培育|后备)|"
    r"[”\"]?(?:也|还|都|已经?)?(?:进了|进入了?|入选了?|入了)[^，,。；上]{0,5}?培育(?:库|名单|企业)")
"""After a title, what makes its holder a candidate: 培育企业, or "专精特新也进了市里的培育库" (not a
holder joining another pool: 高新技术企业纳入上市后备资源库)."""
_NO_HEAD = ("制造业", "外贸", "跨境电商")
"""Business words that never name what is made: a maker in general, or trade beside the business."""


def _modifies(span: tuple[int, int, str], following: tuple[int, int, str] | None) -> bool:
    """Of two business words in a row the last is what the business is (食品机械 makes
    machines, for food makers); a maker's word after them (加工厂, 零部件) says nothing more,
    and trade (渔具出口, 外贸服装) is beside the business, not instead of it."""
    return (following is not None and following[0] == span[1] and following[2] != span[2]
            and following[2] not in _NO_HEAD and span[2] not in _NO_HEAD)


_BOUGHT = re.compile(r"(?:采购|购买|使用|进口|买)[^，。；,]{0,10}|(?<![作费])用[^，。；,]{1,6}?(?=给|帮|替|来|去|做|搞|打|拍|喷|运|送|测|搬|装|拉|干|种|养)")
"""What a business buys or uses, not what it does ("采购本地芯片", "用无人机给种粮大户打药")."""
_ENUM_MARK = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、]|[一二三四五六七八九十]+、|第[一二三四五六七八九十百]+条)\s*")


@dataclass(frozen=True)
class BenefitItem:
    """One grant of one clause."""

    clause_id: str
    doc_id: str
    benefit: str
    quote: str
    amount_yuan: int | None = None
    rate: float | None = None
    cap_yuan: int | None = None
    tiers: tuple[int, ...] = ()
    per_unit: str = ""
    who: tuple[str, ...] = ()
    title_level: str = ""
    conditions: tuple[str, ...] = ()
    industry: str = ""
    amount_text: str = ""
    """The figure as written when it could not be read as yuan (美元, 若干…)."""
    in_kind: bool = False
    """A grant with no figure: a tax exemption, land, a guarantee, "给予适当补助"."""
    corrected: bool = False
    """Set by the help desk rather than read by the rules."""
    origin: str = ""
    """For a corrected item: the key (`item_key`) of the extracted item it replaces."""

    def as_json(self) -> dict:
        data = asdict(self)
        data["tiers"], data["who"], data["conditions"] = list(self.tiers), list(self.who), list(self.conditions)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "BenefitItem":
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("tiers", "who", "conditions"):
            values[key] = tuple(values.get(key) or ())
        return cls(**values)


@dataclass(frozen=True)
class BenefitRecord:
    """An item with the clause and document it comes from."""

    item: BenefitItem
    clause: object
    document: object


class BenefitRecords(list):
    """Every item of a revision, with the items of each document region at hand: a
    profile's place chain takes its few regions' items, not a pass over a million.

    Example:
        >>> from types import SimpleNamespace as Doc
        >>> records = BenefitRecords([BenefitRecord(None, None, Doc(region=r)) for r in ("辽宁省", "大连市", "辽宁省")])
        >>> [r.document.region for r in records.in_regions({"辽宁省"})]
        ['辽宁省', '辽宁省']
    """

    def __init__(self, records=(), caps: dict[str, "DocumentCap"] | None = None) -> None:
        super().__init__(records)
        self.caps = caps or {}
        """Per document id: what one enterprise may get from all its grants together."""

    @functools.cached_property
    def _by_region(self) -> dict[str, list[tuple[int, BenefitRecord]]]:
        grouped: dict[str, list[tuple[int, BenefitRecord]]] = {}
        for position, record in enumerate(self):
            grouped.setdefault(record.document.region, []).append((position, record))
        return grouped

    @functools.cached_property
    def _by_document(self) -> dict[str, list[BenefitRecord]]:
        grouped: dict[str, list[BenefitRecord]] = {}
        for record in self:
            grouped.setdefault(record.item.doc_id, []).append(record)
        return grouped

    def of_document(self, doc_id: str) -> list[BenefitRecord]:
        """The items of one document, in the list's order."""
        return list(self._by_document.get(doc_id, ()))

    def in_regions(self, regions) -> list[BenefitRecord]:
        """The items of documents whose region is one of `regions`, in the list's order."""
        found = [pair for region in set(regions) for pair in self._by_region.get(region, ())]
        return [record for _, record in sorted(found, key=lambda pair: pair[0])]


def named_spans(text: str, groups) -> list[tuple[int, int, str]]:
    """(start, end, name) of each form of `groups` ((name, forms) pairs) found in `text`, in
    order; a form inside a longer one found counts as the longer only (服务出口 is 服务贸易,
    not 外贸)."""
    found = sorted(((len(form), -text.find(form), name) for name, forms in groups
                    for form in forms if form in text), reverse=True)
    spans: list[tuple[int, int, str]] = []
    for length, minus_start, name in found:
        start = -minus_start
        if not any(start < end and other < start + length for other, end, _ in spans):
            spans.append((start, start + length, name))
    return sorted(spans)


@dataclass(frozen=True)
class Terms:
    benefits: dict[str, tuple[str, ...]]
    grant_verbs: tuple[str, ...]
    who: dict[str, tuple[str, ...]]
    industries: dict[str, tuple[str, ...]]
    conditions: tuple[str, ...]
    sizes: tuple[str, ...]
    titles: tuple[str, ...]
    undecided: tuple[str, ...]
    business_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    within: dict[str, str] = field(default_factory=dict)
    implies: dict[str, str] = field(default_factory=dict)
    _who_pattern: re.Pattern[str] = field(repr=False, default=None)  # type: ignore[assignment]

    def who_in(self, text: str) -> tuple[str, ...]:
        """Canonical enterprise types named in `text`, in order; a title contained in a
        longer one (专精特新 in 专精特新“小巨人”) is the longer one only."""
        return tuple(dict.fromkeys(name for name, _, _ in self.kinds_at(text)))

    def kinds_at(self, text: str) -> list[tuple[str, int, int]]:
        """Every kind named in `text` with where its form stands (name, start, end)."""
        found = []
        for match in self._who_pattern.finditer(text):
            name = self._form_to_name[match.group(0)]
            if name in self.titles and _CANDIDATE_AFTER.match(text, match.end()):
                name += "培育企业"  # "隐形冠军培育企业" is a candidate for the title, not a holder
            found.append((name, match.start(), match.end()))
        return found

    def industry_in(self, text: str) -> str:
        """The industry `text` names: the longest form found (服务出口 is 服务贸易, not 外贸),
        ties going to the industry listed first; never a broader one of another found
        ("养老服务业" is 养老, not 服务业).

        Example:
            >>> terms().industry_in("加快发展养老服务业"), terms().industry_in("外资现代服务业企业")
            ('养老', '现代服务业')
        """
        lengths = {name: max((len(form) for form in forms if _names_industry(form, text)), default=0)
                   for name, forms in self.industries.items()}
        found = [name for name, length in lengths.items() if length]
        broader = {wider for name in found for wider in self.industry_chain(name)[1:]}
        best, length = "", 0
        for name in found:
            if name not in broader and lengths[name] > length:
                best, length = name, lengths[name]
        return best

    def business_in(self, text: str) -> str:
        """The industry an owner's words give their own business ("做棉纺的" is 纺织): the
        longest word found, not counting what the business buys or uses ("采购本地芯片").

        Example:
            >>> terms().business_in("瓦房店的数控机床整机厂，打算采购大连产的芯片")
            '装备制造'
        """
        return next(iter(self.businesses_in(text)), "")

    def businesses_in(self, text: str) -> tuple[str, ...]:
        """Every industry an owner's words name, longest word first; a word inside a longer
        one counts as the longer only (服务出口 is 服务贸易, not 外贸).

        Example:
            >>> terms().businesses_in("做冷链物流的，也自己做点海产品进出口")
            ('外贸', '物流')
        """
        spans = named_spans(_BOUGHT.sub("", text), (*self.business_words.items(), *self.industries.items()))
        spans = [span for span, following in zip(spans, [*spans[1:], None]) if not _modifies(span, following)]
        return tuple(dict.fromkeys(name for _, _, name in sorted(spans, key=lambda span: span[0] - span[1])))

    def narrowest(self, kinds: tuple[str, ...]) -> tuple[str, ...]:
        """`kinds` less the broader kind another of them names a variety of ("养老机构…营利性
        养老机构": the latter); a 小巨人 named beside 专精特新 企业 is another recipient.

        Example:
            >>> terms().narrowest(("养老机构", "营利性养老机构", "小微企业"))
            ('营利性养老机构', '小微企业')
            >>> terms().narrowest(("专精特新", "小巨人"))
            ('专精特新', '小巨人')
        """
        varieties = {self.implies[kind] for kind in kinds if kind in self.implies and kind.endswith(self.implies[kind])}
        return tuple(kind for kind in kinds if kind not in varieties)

    def industry_chain(self, industry: str) -> tuple[str, ...]:
        """`industry` and the broader ones it belongs to (装备制造, 制造业)."""
        chain = [industry] if industry else []
        while chain and chain[-1] in self.within and self.within[chain[-1]] not in chain:
            chain.append(self.within[chain[-1]])
        return tuple(chain)

    def benefit_in(self, text: str) -> str:
        """The kind of grant `text` names: the longest form found ("融资支持" over "支持"),
        ties going to the kind listed first (贴息 before 贷款)."""
        best, length = "", 0
        for name, forms in self.benefits.items():
            found = max((len(form) for form in forms if form in text), default=0)
            if found > length:
                best, length = name, found
        return best

    def first_title_at(self, text: str) -> int:
        """Where the first title (专精特新, 小巨人…) is named in `text`; -1 when none is."""
        for match in self._who_pattern.finditer(text):
            if self._form_to_name[match.group(0)] in self.titles:
                return match.start()
        return -1

    @functools.cached_property
    def _form_to_name(self) -> dict[str, str]:
        return {form: name for name, forms in self.who.items() for form in forms}


@functools.lru_cache(maxsize=1)
def terms() -> Terms:
    raw = yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8"))
    who = {name: tuple(forms) for name, forms in raw["who"].items()}
    forms = sorted({f for fs in who.values() for f in fs}, key=len, reverse=True)
    return Terms(
        benefits={k: tuple(v) for k, v in raw["benefits"].items()},
        grant_verbs=tuple(raw["grant_verbs"]),
        who=who,
        industries={k: tuple(v) for k, v in raw["industries"].items()},
        conditions=tuple(raw["conditions"]),
        sizes=tuple(raw["sizes"]),
        titles=tuple(raw["titles"]),
        undecided=tuple(raw.get("undecided") or ()),
        business_words={k: tuple(v) for k, v in (raw.get("business_words") or {}).items()},
        within=dict(raw.get("within") or {}),
        implies=dict(raw.get("implies") or {}),
        _who_pattern=re.compile("|".join(map(re.escape, forms))),
    )


def parse_money(number: str, unit: str = "", currency: str = "元") -> int | None:
    """Yuan from a figure as policy texts write it; None when it is not yuan.

    Example:
        >>> parse_money("200", "万"), parse_money("1.5", "亿"), parse_money("五十", "万"), parse_money("3", "万", "美元")
        (2000000, 150000000, 500000, None)
        >>> parse_money("5", "千万"), parse_money("一亿五千万"), parse_money("十万零五千"), parse_money("002")
        (50000000, 150000000, 105000, None)
    """
    if currency == "美元" or re.match(r"0\d", number):
        return None  # "给予002元": a misprint, kept as written
    scale = {"亿": 100_000_000, "千万": 10_000_000, "百万": 1_000_000, "万": 10_000, "千": 1_000}.get(unit, 1)
    try:
        if not set(number) & _CHINESE_DIGITS:
            value = float(number.replace(",", ""))
        else:
            try:  # "一亿五千" + "万" is one numeral
                value, scale = float(cn2an.cn2an(number + unit, "smart")), 1
            except ValueError:
                value = float(cn2an.cn2an(number, "smart"))
    except (ValueError, TypeError, KeyError):
        return None
    yuan = round(value * scale)
    return yuan if 0 < yuan <= _MAX_YUAN else None


@dataclass
class _Figure:
    start: int
    end: int
    yuan: int | None
    text: str
    grant: bool
    cap: bool
    threshold: bool


@dataclass
class _Part:
    text: str
    amounts: list[_Figure]
    rates: list[float]
    thresholds: int
    context: str = ""
    in_kind: bool = False
    grant_words: str = ""
    """For a grant in kind: the words from its grant phrase on ("优先为…提供担保"), which name
    what is granted better than the whole sentence does."""
    inherits: bool = False
    """A comma piece of a sentence whose earlier piece named the recipient."""


_CAP_SUBJECT = r"(?:单一|同一|单个|单家|每家|每个|每一)(?:企业|单位|市场主体|主体)"
_DOCUMENT_CAP = re.compile(
    rf"{_CAP_SUBJECT}[^。；;]{{0,30}}?(?:不超过|不得超过|不高于|最高|最多|上限为?)\s*(?:为)?\s*"
    rf"({_NUMBER})\s*(亿|千万|百万|万|千)?\s*元")
_EVERY_GRANT = re.compile(r"各类|各项|所有|全部|各级")
"""A cap on all of a document's grants names them all; "享受本政策贴息总额" caps one grant."""
_ONE_GRANT_ONLY = re.compile(r"同一项目|单个项目|单一项目|本条|本款|第[一二三四五六七八九十百\d（(]")


@dataclass(frozen=True)
class DocumentCap:
    """What one enterprise may get from all of a document's grants together ("单一企业每年
    享受本办法规定的各类扶持资金总额不超过500万元")."""

    amount_yuan: int
    clause_id: str
    quote: str


def document_cap(sentence: str) -> tuple[int, str] | None:
    """(yuan, the words) when `sentence` caps what one enterprise gets from the whole
    document, not from one grant: it names the document or all its grants together.

    Example:
        >>> document_cap("单一企业每年享受本办法规定的各类扶持资金总额不超过500万元人民币。")[0]
        5000000
        >>> document_cap("同一企业同一年度享受本政策各项奖补资金累计最高200万元")[0]
        2000000
        >>> document_cap("每家企业每年最高奖励不超过10万元。"), document_cap("单个企业享受本政策贴息总额不超过30万元。")
        (None, None)
        >>> document_cap("单一企业享受本措施第（二）项奖励最高不超过10万元。")
    """
    found = _document_cap_at(sentence)
    if found is None:
        return None
    start, end, amount = found
    return amount, sentence[start:end].strip()


def _document_cap_at(sentence: str) -> tuple[int, int, int] | None:
    """(start, end, yuan) of the phrase of `sentence` that caps the whole document, if any."""
    found = _DOCUMENT_CAP.search(sentence)
    if found is None:
        return None
    scope = found.group(0)
    if not _EVERY_GRANT.search(scope) or _ONE_GRANT_ONLY.search(scope):
        return None
    amount = parse_money(found.group(1), found.group(2) or "")
    if amount is None:
        return None
    end = _CAP_PHRASE_END.search(sentence, found.end())
    return found.start(), end.start() if end else len(sentence), amount


def _without_document_cap(sentence: str) -> str:
    """The sentence without its cap on all the document's grants, which grants nothing
    itself ("…给予20万元奖励，同一企业享受本政策各类资金累计不超过100万元，…" keeps the rest).

    Example:
        >>> _without_document_cap("同一企业享受本办法各项扶持资金总额不超过300万元，但对小巨人企业另给予50万元奖励。")
        '但对小巨人企业另给予50万元奖励。'
    """
    found = _document_cap_at(sentence)
    if found is None:
        return sentence
    start, end, _ = found
    return (sentence[:start].rstrip("，,、 ") + sentence[end + 1:]).strip("，, ")


_CAP_PHRASE_END = re.compile(r"[，,。；;！？]")


def document_caps(clauses) -> DocumentCap | None:
    """The cap a document's clauses put on one enterprise's grants from it, if any (the
    lowest, should two clauses state one)."""
    found = [DocumentCap(cap[0], clause.clause_id, cap[1]) for clause in clauses
             for sentence in _PART_END.split(clause.text) if (cap := document_cap(sentence))]
    return min(found, key=lambda cap: cap.amount_yuan, default=None)


def extract_benefits(text: str, clause_id: str = "", doc_id: str = "", clause_path: str = "", title: str = "",
                     announced: str = "") -> list[BenefitItem]:
    """The grants stated in one clause; `announced`, the sentence before a run of "一是…二是…"
    clauses that says whose grants they set out (`announcing_sentences`).

    Example:
        >>> items = extract_benefits("对首次获评的国家级专精特新“小巨人”企业给予一次性奖励100万元，省级专精特新企业奖励50万元。")
        >>> [(i.benefit, i.amount_yuan, i.who, i.title_level) for i in items]
        [('奖励', 1000000, ('小巨人',), 'national'), ('奖励', 500000, ('专精特新',), 'provincial')]
        >>> [(i.rate, i.cap_yuan) for i in extract_benefits("按研发投入的30%给予补助，最高不超过200万元。")]
        [(0.3, 2000000)]
        >>> [(i.benefit, i.rate) for i in extract_benefits("对营利性养老机构建设减半征收有关行政事业性收费。")]
        [('减免', 0.5)]
    """
    vocabulary = terms()
    lead = _lead(text) or announced
    parts = [p for p in _grant_parts(text, vocabulary)]
    items: list[BenefitItem] = []
    run: list[_Part] = []

    def flush() -> None:
        if run:
            new = list(_items_of_run(run, vocabulary, clause_id, doc_id, lead, clause_path, title))
            if run[0].inherits and items:
                # A later piece of the sentence shares its subject, before any the heading names.
                own = bool(recipients_in(run[0].text, vocabulary))
                new = [replace(i, who=i.who if own else items[-1].who or i.who,
                               benefit=items[-1].benefit if i.benefit == "其他" else i.benefit) for i in new]
            items.extend(new)
            run.clear()

    for part in parts:
        if _only_a_cap(part) and (run or items):
            if not any(f.yuan for f in part.amounts):
                continue
            cap = max(f.yuan for f in part.amounts if f.yuan)
            if run:
                run.append(part)
                flush()
            else:
                # "…30%给予补助；…40%给予补助。单项补助最高不超过40万元。" caps every rate
                # before it that has no cap of its own.
                index = len(items) - 1
                while index >= 0 and items[index].cap_yuan is None:
                    items[index] = _with_cap(items[index], cap, part.text)
                    if items[index].rate is None:
                        break
                    index -= 1
            continue
        tier = part.thresholds > 0 and (len([f for f in part.amounts if f.grant]) + len(part.rates)) == 1
        # Tiers go on past a full stop when the first announced them ("扶持的标准为：…的，扶持12%。…的，扶持20%。").
        goes_on = run and (run[-1].text.rstrip().endswith(("；", ";")) or _ANNOUNCES_TIERS.search(run[0].text))
        if tier and goes_on and _same_grant(run[-1], part, vocabulary):
            run.append(part)
            continue
        flush()
        run.append(part)
        if not tier:
            flush()
    flush()
    # A grant with no figure at all is left to the documents' text: "支持…发展" is no item.
    # A grant in kind must say what it grants ("建立绿色通道" alone is no item).
    kept = [i for i in items if i.amount_yuan or i.rate or i.cap_yuan or i.amount_text
            or (i.in_kind and i.benefit != "其他")]
    kept = _one_each(kept)
    kept = [i if i.who or _OWN_SUBJECT.search(i.quote) or _GOVERNMENT_ACTS.match(i.quote) or _ENTERPRISE_SUBJECT.match(i.quote)
            else replace(i, who=_subject_before(text, i.quote, vocabulary)) for i in kept]
    kept = _bodies_go_on(kept, vocabulary)
    return [each for item in kept for each in _each_alternative(item, vocabulary)]


def _bodies_go_on(items: list[BenefitItem], vocabulary: Terms) -> list[BenefitItem]:
    """"对…的跨境电子商务平台，给予20万元；超过5000万美元的，给予50万元。针对非英语国家…的，给予
    15万元": a grant naming no recipient after one for a body (a platform, a park) is the
    body's too, not every enterprise's."""
    out: list[BenefitItem] = []
    for item in items:
        before = out[-1] if out else None
        if before is not None and before.who and _BODY.match(before.who[0]) and item.who != before.who \
                and not recipients_in(item.quote, vocabulary) and not _RECIPIENT.search(item.quote) \
                and not _ENTERPRISE_SUBJECT.match(item.quote):  # "入驻园区的企业，…": the tenants'
            item = replace(item, who=before.who)
        out.append(item)
    return out


def _each_alternative(item: BenefitItem, vocabulary: Terms) -> list[BenefitItem]:
    """A grant for "瞪羚企业和小巨人企业" is one item for each: an enterprise holding either
    title qualifies."""
    either = alternatives(item.quote, vocabulary)
    if not either or not set(either) <= set(item.who):
        return [item]
    rest = tuple(w for w in item.who if w not in either)
    return [replace(item, who=(kind, *rest)) for kind in either]


_GOVERNMENT_ACTS = re.compile(
    r"\s*(?:各(?:县|市|区|地|级)|(?:省|市|区|县)级?(?:人民)?(?:政府|财政))[^，。；]{0,12}?(?:要|应当?|需|负责|统筹)")
"""A duty a government carries out ("各县（市、区）每年要安排一定数量的用地指标…") grants to no one
named before it; a grant it gives ("市财政另给予10万元配套奖励") is still for them."""

_ENTERPRISE_SUBJECT = re.compile(
    r"^\s*(?!该|上述|前述|此类|这些|以上|其|此)(?:[\u4e00-\u9fff]{0,8}?企业(?:从事|发生|开展|取得|可|按|在)|[^，,；;。]{0,30}?企业[，,])"
)
"""A sentence opening with the enterprises it is about ("体育企业发生的…广告费支出…",
"经认定为…的非营利体育服务企业，…免征"): whom the sentence before names is not its recipient,
unless it points back to them ("该企业可…", "上述企业，…")."""
_OWN_SUBJECT = re.compile(r"^\s*对|的[，,]")
"""A grant that says whom it is for ("对…的企业", "营业收入1亿元以上的，"), if no kind the
vocabulary knows."""


_ANNOUNCES_TIERS = re.compile(r"分级|分档|分类|分阶段|按以下标准|如下|标准为[:：]")
_MULTIPLE = re.compile(r"按[^，。；]{0,12}?的\s*(\d+(?:\.\d+)?)\s*倍(?=[^，。；]{0,4}(?:给予|进行|予以)?(?:补助|补贴|奖励|资助|扶持))")
_SCHEDULE = re.compile(r"\d+(?:\.\d+)?\s*[%％](?:\s*、\s*\d+(?:\.\d+)?\s*[%％])+\s*的?比例分(?:[一二三两四五六\d]+(?:年|期|次|批))")
"""Shares a grant is paid out in ("按40%、30%、30%的比例分三年发放"), several of them."""


def _one_each(items: list[BenefitItem]) -> list[BenefitItem]:
    """A grant announced without a figure and stated with one in the next sentence, which
    names no recipient of its own (no kind of enterprise, no "对…的") or states the tiers announced ("…通过银行按揭贷款的，给予
    贴息。贴息贷款最高不超过200万元…"; "根据投资额分级给予奖励。单笔投资额不超过500万元的，
    按4%给予奖励"), is one grant; so is
    the same figure of the same kind for the same recipients stated again for another tier."""
    out: list[BenefitItem] = []
    seen: set[tuple] = set()
    announced: BenefitItem | None = None
    for index, item in enumerate(items):
        if announced is not None and not item.who:
            item = replace(item, who=announced.who)  # stated for whom the announcement named
        announced = None
        following = items[index + 1] if index + 1 < len(items) else None
        if item.in_kind and following is not None and not following.in_kind and following.benefit == item.benefit \
                and not recipients_in(following.quote, terms()) and (
                    _ANNOUNCES_TIERS.search(item.quote) or not _OWN_SUBJECT.search(following.quote)):
            announced = item
            continue
        key = (item.benefit, item.amount_yuan, item.rate, item.cap_yuan, item.tiers, item.who, item.title_level,
               item.amount_text)
        if not item.in_kind and key in seen:
            continue
        seen.add(key)
        out.append(item)
    return out


def _subject_before(text: str, quote: str, vocabulary: Terms) -> tuple[str, ...]:
    """Who a clause is about when a grant's own sentence names no one ("对民办养老机构…。
    新建每张床位补贴1万元"): the kinds of enterprise named in the nearest sentence before it."""
    at = text.find(quote[:12])
    for sentence in reversed(re.split(r"[。；;\n]", text[:at]) if at > 0 else []):
        found = recipients_in(sentence, vocabulary)
        if found:
            return found
    return ()


_SENTENCE_STOP = re.compile(r"[。；;！？]")


def _lead(text: str) -> str:
    """The clause's opening words up to its first colon ("对入驻园区的融资租赁企业："),
    which say whom the enumerated grants after it are for.

    Example:
        >>> _lead("对入驻园区的融资租赁企业：1.给予…")
        '对入驻园区的融资租赁企业：'
        >>> _lead("支持与农业产业化龙头企业相联结的基地建设。（责任单位：省财政厅）")
        ''
    """
    head = text.split("\n", 1)[0]
    cut = max(head.rfind("："), head.rfind(":"))
    # A colon after a sentence has ended opens no list: "…予以倾斜。（责任单位：省财政厅）".
    return head[: cut + 1] if cut > 0 and not _SENTENCE_STOP.search(head, 0, cut) else ""


def _grant_parts(text: str, vocabulary: Terms):
    # A bracket that grants figures of its own ("（2021年起对小巨人奖励提高到100万元，省级
    # 专精特新20万元）") is a sentence of its own, not more figures of the one around it.
    text = _GRANTING_BRACKET.sub(lambda m: "。" + m.group(1) + "。", text)
    for whole in _PART_END.split(text):
        whole = _without_document_cap(whole)
        # "对A、B分别给予…，对C、D分别给予…": each 分别 with the recipients before it.
        pieces = re.split(r"(?<=[，,])(?=对)", whole) if whole.count("分别") > 1 else [whole]
        yield from _sentence_parts(pieces, vocabulary)


def _sentence_parts(pieces: list[str], vocabulary: Terms):
    for sentence in pieces:
        if not sentence.strip():
            continue
        sentence, in_kind_tail = _in_kind_tail(sentence)
        if in_kind_tail:
            yield from _sentence_parts([sentence], vocabulary)
            yield from _in_kind_parts(in_kind_tail)
            continue
        part = _part(sentence)
        if not any(f.grant for f in part.amounts) and not part.rates and _GRANT_IN_KIND.search(sentence):
            # "免征房产税", "优先供应土地", "给予适当补助": grants with no figure, one item per
            # comma piece that grants ("对A免征…，对B减半征收…" is two).
            yield from _in_kind_parts(sentence)
            continue
        grants = [f for f in part.amounts if f.grant and not f.cap]
        tax_rate = _TAX_RATE.search(sentence) if _TAXABLE_SHARE.search(sentence) else None
        if tax_rate:  # "减按50%计入应纳税所得额，按20%的税率缴纳": one grant, at the tax rate
            part.rates = [float(tax_rate.group(1)) / 100]
        # Two rates, each in its own comma piece and neither a tier ("按投资额的10%给予补助，
        # 或按年利率6%给予贴息"), are two grants, as two figures are.
        two_rates = len(part.rates) >= 2 and not part.thresholds and not grants and all(
            len(_part(piece).rates) <= 1 for piece in _COMMA.split(sentence))
        if ((len(grants) >= 2 and not part.rates) or two_rates) and "分别" not in sentence:
            yield from _split_at_commas(sentence)
        elif part.amounts or part.rates:
            if any(verb in sentence for verb in vocabulary.grant_verbs) or _LOWER_TAX_RATE.search(sentence):
                yield part
            elif _GRANT_IN_KIND.search(sentence):
                # Its figures grant nothing ("…优先供应土地，底价可按不低于…70%执行"): what it
                # grants is in kind, and the figures are no part of it.
                for in_kind in _in_kind_parts(sentence):
                    in_kind.amounts, in_kind.rates = [], []
                    yield in_kind


_TAXABLE_SHARE = re.compile(r"减按\s*\d+(?:\.\d+)?\s*[%％]\s*计入")
_TAX_RATE = re.compile(r"按\s*(\d+(?:\.\d+)?)\s*[%％]\s*的?(?:优惠)?税率")
"""How income tax relief is stated: a share of the income taxed, at a lower rate."""
_LOWER_TAX_RATE = re.compile(rf"(?:可|减|准予){_TAX_RATE.pattern}|优惠税率")
"""A tax rate granted ("可按3%的税率计征营业税"), not one stated ("按25%的税率缴纳")."""


def _in_kind_tail(sentence: str) -> tuple[str, str]:
    """A sentence that grants figures and then, after its last figure, something without one
    ("…分别给予80万元和10万元奖励，对培育库企业给予相应服务券"): (the part with figures, the
    grant in kind after it), or (sentence, "") when there is no such tail."""
    pieces = _COMMA.split(sentence)
    last_figure = max((i for i, piece in enumerate(pieces) if _states_money(piece) or _RATE.search(piece)), default=-1)
    if last_figure < 0 or not any(_grants_in_kind(piece) for piece in pieces[last_figure + 1:]):
        return sentence, ""
    head = _part("".join(pieces[: last_figure + 1]))
    if not any(f.grant for f in head.amounts) and not head.rates:
        return sentence, ""  # its figures say whom it is for ("对月销售额2万元至3万元的…纳税人，免征…")
    return "".join(pieces[: last_figure + 1]), "".join(pieces[last_figure + 1:])


def _states_money(text: str) -> bool:
    """A sum with its unit (50万元, 3亿); a bare number (年份, 条款号) is none, as in `_part`."""
    return any(match.group(2) or match.group(3) for match in _MONEY.finditer(text))


def _in_kind_parts(sentence: str):
    pending = ""
    pieces = _COMMA.split(sentence)
    granting: list[int] = []
    for index, piece in enumerate(pieces):
        if not _grants_in_kind(piece):
            continue
        since = "".join(pieces[granting[-1] + 1: index + 1]) if granting else ""
        if granting and _same_form(pieces[granting[-1]], piece) \
                and not (since.lstrip().startswith("对") or terms().who_in(since)):
            granting[-1] = index  # "实行递延纳税政策，暂不征收预提所得税": the same grant, said twice
        else:
            granting.append(index)
    if len(granting) <= 1:
        granting = [len(pieces) - 1]  # one grant: the whole sentence is its quote
    for index, piece in enumerate(pieces):
        pending += piece
        if index in granting or (index == len(pieces) - 1 and pending.strip("，,。；; ")):
            found = next((m for m in _GRANT_IN_KIND.finditer(pending) if _granted_here(pending, m)), None)
            if found is None or _vague(pending, found):
                continue
            part = _part(pending)
            part.in_kind, part.grant_words = True, pending[found.start():]
            part.inherits = index != granting[0]
            yield part
            pending = ""


_NAMED_TAX = re.compile(r"增值税|所得税|营业税|房产税|土地使用税|印花税|关税|消费税|契税|加计扣除|留抵退税|出口退税")


def _granted_here(text: str, found: re.Match) -> bool:
    """Whether a grant word stands for a grant, not inside "落实税收优惠政策", which only
    announces the grants that follow, unless it names the taxes or the enterprises
    ("落实集成电路企业增值税…税收优惠政策", "执行…对创业投资企业税收优惠系列政策"); a loan,
    a voucher or a priority is none in a prohibition or a duty ("严禁违规发放贷款",
    "创新券的管理办法另行制定", "由市科技局负责创新券的发放")."""
    if _WEAK_IN_KIND.fullmatch(found.group(0)) and _NOT_GRANTING.search(text):
        return False
    announced = _ANNOUNCES.search(text[:found.start()])
    if not announced:
        return True
    said = text[announced.start():found.end()]
    return bool(_NAMED_TAX.search(said) or terms().who_in(said))


_VAGUE_SUPPORT = re.compile(r"(?:给予|予以)(?:相应|重点|政策性|一定|适当|大力|积极)?的?(?:政策)?性?(?:支持|扶持)(?:政策)?")


def _vague(text: str, found: re.Match) -> bool:
    """Whether a grant without a figure names nothing but support ("给予相应政策支持",
    "予以重点扶持") and no enterprise it is for: a promise about projects or fields, not an
    item an owner can claim.

    Example:
        >>> def vague(text): return _vague(text, _GRANT_IN_KIND.search(text))
        >>> vague("对产学研结合类科技创新项目给予政策性扶持。"), vague("在服务进出口贴息等方面给予支持")
        (True, False)
        >>> vague("对符合条件的小微型养老服务企业，按照国家、省市有关规定，给予相应扶持。")
        False
    """
    if not _VAGUE_SUPPORT.fullmatch(text[found.start():].strip("，,。；; \n")):
        return False
    piece = _COMMA.split(text[:found.start()])[-1]
    if any(form in piece for kind, forms in terms().benefits.items() if kind != "补贴" for form in forms):
        return False
    _, subject, _ = _grant_subject(text)
    return not re.search(r"(?:企业|公司|机构|个体工商户|商户)[，,]?$", re.split(r"[，,]", subject)[0])


def _same_form(one: str, other: str) -> bool:
    """Whether two pieces grant in the same words, or one names no grant word: "优先给予信用
    贷款，优先提供担保" is two grants; "实行递延纳税政策，暂不征收预提所得税" one."""
    first, second = _grant_form(one), _grant_form(other)
    return not first or not second or first == second


def _grant_form(text: str) -> str:
    return max((form for forms in terms().benefits.values() for form in forms if form in text), key=len, default="")


def _grants_in_kind(piece: str) -> bool:
    """Whether a comma piece grants something without a figure; "落实…税收优惠政策" only
    announces the grants that follow it."""
    found = _GRANT_IN_KIND.search(piece)
    return bool(found) and not _ANNOUNCES.search(piece[: found.start()])


def _split_at_commas(sentence: str):
    """A sentence's comma pieces that each grant a figure; a piece after the first names
    its recipient only when it differs ("…给予20万元，对重新认定的给予10万元")."""
    pending, first = "", True
    for piece in _COMMA.split(sentence):
        part = _part(pending + piece, after_grant=not first)
        rate_granted = part.rates and any(verb in piece for verb in terms().grant_verbs)
        if any(f.grant for f in part.amounts) or rate_granted:
            part.context = pending
            part.inherits = not first
            first = False
            yield part
            pending = ""
        else:
            pending += piece


def _part(text: str, after_grant: bool = False) -> _Part:
    """The figures and rates of one piece; `after_grant` when a piece before it in the same
    sentence granted a figure, so a bare "省级专精特新20万元" continues that list."""
    amounts: list[_Figure] = []
    rates: list[float] = []
    thresholds = 0
    for match in _MONEY.finditer(text):
        number, unit, currency = match.group(1), match.group(2) or "", match.group(3) or ""
        if not unit and not currency:
            continue  # a bare number (年份, 条款号…) is no amount
        before, after = text[max(0, match.start() - _PRE_WINDOW):match.start()], text[match.end():match.end() + 12]
        before_clause = re.split(r"[，,；;。：:]", before)[-1]
        threshold = bool(_THRESHOLD_AFTER.match(after)) and not _GRANT_NOUN_AFTER.match(after)
        threshold = threshold or (bool(_THRESHOLD_BEFORE.search(before_clause)) and not _CAP_BEFORE.search(before_clause))
        cap = bool(_CAP_BEFORE.search(before_clause))
        respectively = ("分别" in text[:match.start()] or bool(_PER_UNIT_BEFORE.search(before))) and not threshold
        grant = not threshold and (cap or respectively or _grant_before(before_clause)
                                   or bool(_GRANT_NOUN_AFTER.match(after)))
        if threshold:
            thresholds += 1
        if not grant and not threshold and (after_grant or any(f.grant for f in amounts)) \
                and _names_a_recipient(before_clause):
            grant = True  # "…奖励提高到100万元，省“隐形冠军”50万元": the list of grants goes on
        amounts.append(_Figure(match.start(), match.end(), parse_money(number, unit, currency or "元"),
                               match.group(0), grant, cap and grant, threshold))
    schedule = [m.span() for m in _SCHEDULE.finditer(text)]
    for match in _RATE.finditer(text):
        after = text[match.end():match.end() + 4]
        before = re.split(r"[，,；;。]", text[max(0, match.start() - _PRE_WINDOW):match.start()])[-1]
        if re.match(r"^\s*(?:以上|以下|及以上|（含）|的(?:企业|项目))", after) or re.search(r"(?<!不)(?:增长|提高|达到|超过|占|下降|降低|上调|上浮|下调)\s*$|低于\s*$|(?:限定在|控制在|限定为)[^，。；]{0,10}$", before):
            thresholds += 1
            continue
        if any(start <= match.start() < end for start, end in schedule):
            continue  # "按40%、30%、30%的比例分三年发放": how a grant is paid out, not its size
        try:
            value = float(match.group(1)) if match.group(1) else float(cn2an.cn2an(match.group(2), "smart"))
        except (ValueError, TypeError, KeyError):
            continue  # "百分之百": read as no rate rather than stop the ingest
        rates.append(round(value / 100, 6))
    for match in _MULTIPLE.finditer(text):  # "按月租金的3倍进行补助": a multiple is a rate
        rates.append(float(match.group(1)))
    return _Part(text, amounts, rates, thresholds)


def _names_a_recipient(piece: str) -> bool:
    """A comma piece that is only a kind or level of enterprise ("省级“专精特新”中小企业")."""
    return len(piece) <= 16 and bool(terms().who_in(piece) or _LEVEL_WORDS.search(piece)) \
        and not re.search(r"[的在达超]|以上|以下", piece)


def _grant_before(before: str) -> bool:
    return bool(re.search(r"(?:给予|奖励|奖补|补贴|补助|资助|贴息|扶持|支持|奖|补|安排|核定|享受|提供)[^，。；]{0,8}$", before))


def _only_a_cap(part: _Part) -> bool:
    """"单一企业最高补贴300万元", "两项合计最多不超过…的20%": a cap on the grant before it,
    not a grant of its own."""
    total = _TOTAL_CAP.search(part.text)
    if total and not re.search(r"(?:给予|奖励|补助|补贴)[^，,]*[，,]", part.text[: total.start()]):
        return True  # "…给予投资额20%的支持，总额不超过500万元" is a grant with its own cap
    grants = [f for f in part.amounts if f.grant]
    # The cap's subject opens the sentence ("单一企业…", "累计…"); "…最高给予50万元" is a grant.
    return bool(grants) and all(f.cap for f in grants) and not part.rates and bool(_CAP_ONLY.search(part.text[:8])) \
        and part.thresholds == 0


def _same_grant(previous: _Part, part: _Part, vocabulary: Terms) -> bool:
    return vocabulary.benefit_in(previous.text) == vocabulary.benefit_in(part.text) or not vocabulary.benefit_in(part.text)


def _items_of_run(run: list[_Part], vocabulary: Terms, clause_id: str, doc_id: str, lead: str, path: str, title: str):
    if len(run) > 1 or (run and run[0].thresholds and _tiers_inside(run[0])):
        yield _tiered(run, vocabulary, clause_id, doc_id, lead, path, title)
        return
    part = run[0]
    grants = [f for f in part.amounts if f.grant]
    if "分别" in part.text and len(grants) >= 2 and not part.rates:
        recipients = _recipients(part.text)
        # Figures paired with kinds or levels of enterprise are items of their own; paired with
        # stages or sizes ("改制、辅导验收、申报、上市四个环节分别给予…") they are one tiered grant.
        distinct = [r for r in recipients if vocabulary.who_in(r) or _LEVEL_WORDS.search(r)]
        if len([r for r in recipients if vocabulary.who_in(r)]) >= 2 or (len(recipients) == len(grants) and distinct):
            yield from _respectively(part, grants, vocabulary, clause_id, doc_id, lead, path, title)
        else:  # "分别给予30万元、50万元、80万元" for the tiers named before: one tiered grant
            yield _tiered(run, vocabulary, clause_id, doc_id, lead, path, title)
        return
    rates = part.rates or ([0.5] if part.in_kind and _HALVED.search(part.grant_words) else [])
    yield _item(part, part.text, grants, rates, vocabulary, clause_id, doc_id, lead, path, title)


_HALVED = re.compile(r"减半")
"""减半征收 halves what is levied: a rate of 0.5."""


def _recipients(text: str) -> list[str]:
    """What the figures after 分别 are paired with: the list after the last 对 before it
    ("对国家级、省级专精特新企业分别…"), else the list in the comma piece before it."""
    head = text[: text.find("分别")]
    if "对" in head:
        head = head[head.rfind("对") + 1:]
    else:
        head = re.split(r"[，,]", head.rstrip("，, "))[-1]
    return re.split(r"[、和及与]", head)


def _tiers_inside(part: _Part) -> bool:
    return len([f for f in part.amounts if f.grant]) >= 2


def _tiered(run, vocabulary, clause_id, doc_id, lead, path, title) -> BenefitItem:
    text = "".join(p.context + p.text if p.context and p.context not in p.text else p.text for p in run)
    grants = [f for p in run for f in p.amounts if f.grant and not f.cap]
    caps = [f.yuan for p in run for f in p.amounts if f.cap and f.yuan]
    rates = [r for p in run for r in p.rates]
    tiers = tuple(f.yuan for f in grants if f.yuan)
    base = _item(run[0], text, grants, rates[:1], vocabulary, clause_id, doc_id, lead, path, title)
    if rates:
        return BenefitItem(**{**base.__dict__, "rate": max(rates), "cap_yuan": max(caps) if caps else None,
                              "amount_yuan": None, "tiers": ()})
    return BenefitItem(**{**base.__dict__, "tiers": tiers if len(tiers) > 1 else (),
                          "amount_yuan": max(tiers) if tiers else base.amount_yuan,
                          "cap_yuan": max(caps) if caps and tiers and max(caps) != max(tiers) else None})


_CANDIDATES_ONLY = re.compile(r"(?:培育|后备)(?:库)?(?:企业)?")


def _respectively(part, grants, vocabulary, clause_id, doc_id, lead, path, title):
    """"对国家级、省级专精特新企业分别给予100万元、50万元": one item per recipient, a
    recipient that names only a level sharing the others' kind of enterprise."""
    recipients = _recipients(part.text)
    named = [vocabulary.who_in(r) for r in recipients]
    shared = next((n for n in reversed(named) if n), ())
    # "省“隐形冠军”及培育企业": the candidates for the title named before.
    named = [tuple(f"{t}培育企业" for t in named[i - 1] if t in vocabulary.titles)
             if not n and i and _CANDIDATES_ONLY.fullmatch(r.strip()) else n for i, (n, r) in enumerate(zip(named, recipients))]
    levels = [_LEVEL_WORDS.search(r) for r in recipients]
    paired = len(recipients) == len(grants)
    if not paired:
        named = [n for n in named if n] or [()]
    for index, figure in enumerate(grants):
        who = (named[index] or shared) if paired else (named[index] if index < len(named) else named[-1])
        level = _LEVEL_NAMES[levels[index].group(0)] if paired and levels[index] else None
        yield _item(part, part.text, [figure], [], vocabulary, clause_id, doc_id, lead, path, title, who=who,
                    level=level)


def _item(part, quote, grants, rates, vocabulary, clause_id, doc_id, lead, path, title, who=None,
          level=None) -> BenefitItem:
    text = part.context + part.text if part.context else part.text
    fixed = [f for f in grants if not f.cap and f.yuan]
    caps = [f for f in grants if f.cap and f.yuan]
    per_unit = [f for f in grants if not f.cap and _PER_UNIT_BEFORE.search(text[max(0, f.start - 14):f.start])]
    if per_unit and rates == []:  # "按每平方米50元…，单个企业最高300万元": 50 a unit, capped
        others = [f.yuan for f in fixed + caps if f is not per_unit[0]]
        # "每增加出口1美元，即给予0.02元": less than a yuan a unit, kept as written.
        return _finish(part, quote, text, vocabulary, clause_id, doc_id, lead, path, title, who,
                       amount=per_unit[0].yuan, rate=None, cap=max(others) if others else None,
                       unparsed=[] if per_unit[0].yuan else per_unit[:1], level=level)
    unparsed = [f for f in grants if f.yuan is None]
    rate = rates[0] if rates else None
    if rate is not None:
        amount, cap = None, (caps[0].yuan if caps else (fixed[0].yuan if fixed else None))
    else:
        amount, cap = (max(f.yuan for f in fixed + caps) if fixed + caps else None), None
    return _finish(part, quote, text, vocabulary, clause_id, doc_id, lead, path, title, who, amount, rate, cap, unparsed,
                   level)


def _first_grant(words: str, vocabulary: Terms) -> str:
    """The grant a figure is for, when more follow it ("600万元以内的运营费补贴、5年的房屋
    租金减免": the 补贴; the 减免 is the 5年's)."""
    listed = words.find("、")
    return words[:listed] if listed > 0 and vocabulary.benefit_in(words[:listed]) else words


def _finish(part, quote, text, vocabulary, clause_id, doc_id, lead, path, title, who, amount, rate, cap, unparsed,
            level=None):
    granted = next((f for f in part.amounts if f.grant), None)
    after = part.grant_words or (part.text[granted.end:] if granted else "")
    benefit = vocabulary.benefit_in(_first_grant(after, vocabulary)) or vocabulary.benefit_in(text) \
        or vocabulary.benefit_in(lead) or "其他"
    if who is None:
        who = vocabulary.narrowest(_who(text, lead, path, title, vocabulary))
    level = level or _title_level(text, vocabulary)
    unit = _PER_UNIT.search(text)
    tiers: tuple[int, ...] = ()
    ranged = _GRANTED_RANGE.search(text)
    if ranged and rate is None:  # "给予10万元至50万元奖励": at most 50万元, not 50万元 for sure
        low, high = (parse_money(*_MONEY.match(g).group(1, 2)) for g in ranged.groups())
        if low and high and low < high:
            tiers, amount = (low, high), high
    return BenefitItem(
        clause_id=clause_id, doc_id=doc_id, benefit=benefit, quote=_ENUM_MARK.sub("", quote.strip()).strip().strip("，,、"),
        amount_yuan=amount, rate=rate, cap_yuan=cap, per_unit=unit.group(0) if unit else "", tiers=tiers,
        who=who, title_level=level if any(w in vocabulary.titles for w in who) or "认定" in text else "",
        conditions=tuple(c for c in vocabulary.conditions if c in text) + _zone(text, title),
        industry=_industry(text, path, title, vocabulary),
        amount_text="" if amount or rate or not unparsed else unparsed[0].text,
        in_kind=part.in_kind,
    )


_RECIPIENT = re.compile(
    r"对(?:于)?(?:[^，。；]{0,30}?的)?([^，。；、的对于]{2,14}?(?:机构|联盟|平台|团队|中心|基地|园区|人才|个人|单位|集体|协会|院所|高校|投资者))[，,。；]?"
)
""""对经备案的产业创新联盟，给予…", "对境外投资者从…分配的利润…": a grant for a body or an investor,
not an enterprise."""


_RANKING = re.compile(r"[“\"]?[\u4e00-\u9fff]{0,8}?\d+强[”\"]?")
"""A ranking's name ("国内制造业500强"): whom a grant honours, not an industry it is limited to."""


def _industry(text: str, path: str, title: str, vocabulary: Terms) -> str:
    """The industry a grant is limited to: industries it lists together ("跨境电商、物流企业",
    either qualifies), else the document's own when the grant names it among others
    ("集成电路企业…进出口环节税收优惠" in a 集成电路 document), else the one it names. What an
    enterprise uses or buys ("使用本地集成电路企业设备") limits nothing.

    Example:
        >>> _industry("对跨境电商、物流企业新建仓库的，给予10万元奖励", "", "", terms())
        '跨境电商、物流'
        >>> _industry("本地整机企业首次使用本地集成电路企业设备的，给予10%补贴", "", "集成电路产业若干意见", terms())
        ''
        >>> _industry("本地整机企业首次使用本地集成电路企业设备的，给予10%补贴", "促进集成电路产品本地化应用",
        ...           "集成电路产业若干意见", terms())
        ''
        >>> _industry("企业参加区政府组织的重点展会，展位费由区政府给予补贴", "", "鼓励外贸及跨境电子商务发展扶持资金办法", terms())
        '外贸、跨境电商'
        >>> _industry("对新设立的外资制造业企业（重点领域优先，下同）和现代服务业企业，给予奖励", "", "", terms())
        '制造业、现代服务业'
        >>> _industry("对增资企业给予相应奖励", "鼓励制造业和现代服务业外资企业增资", "", terms())
        '制造业、现代服务业'
    """
    named = _RANKING.sub("", text)
    text = _BOUGHT.sub("", named)
    # Industries in brackets are examples of the one before ("现代服务业企业（包括物流等）").
    listed = _listed_industries(_BRACKETED.sub("", text), vocabulary)
    if len(listed) > 1:
        return INDUSTRY_SEPARATOR.join(listed)
    own = vocabulary.industry_in(title)
    if own and any(form in text for form in vocabulary.industries[own]):
        return own
    if own and any(form in named for form in vocabulary.industries[own]):
        # The document's industry is what the grant's enterprises use, not theirs; so is the
        # heading's ("促进集成电路产品本地化应用" over "整机企业首次使用本地集成电路产品").
        return vocabulary.industry_in(text)
    in_path = _listed_industries(path, vocabulary)
    found = vocabulary.industry_in(text) or (
        INDUSTRY_SEPARATOR.join(in_path) if len(in_path) > 1 else vocabulary.industry_in(path))
    if found or not own:
        return found
    # A document for two trades ("鼓励外贸及跨境电子商务发展…办法"): either qualifies.
    in_title = _listed_industries(title, vocabulary)
    return INDUSTRY_SEPARATOR.join(in_title) if len(in_title) > 1 else own


INDUSTRY_SEPARATOR = "、"
_LIST_JOINER = re.compile(r"^(?:、|和|及|与|或|以及)$")


def _listed_industries(text: str, vocabulary: Terms) -> list[str]:
    """Industries named one after another as a list ("制造业、现代服务业"), in order."""
    spans = named_spans(text, vocabulary.industries.items())
    for first in range(len(spans)):
        run = [spans[first]]
        for following in spans[first + 1:]:
            # "制造业企业（属于…，下同）和现代服务业企业": a note and 企业 between still list them.
            between = _BRACKETED.sub("", text[run[-1][1]:following[0]]).removeprefix("企业")
            if not _LIST_JOINER.match(between):
                break
            run.append(following)
        if len(run) > 1:
            return list(dict.fromkeys(name for _, _, name in run))
    return []


def _title_level(text: str, vocabulary: Terms) -> str:
    """The level of the title a grant is for: the level word nearest before the first
    title named ("对认定为省级专精特新的企业，按照国家有关规定…" is provincial)."""
    first_title = vocabulary.first_title_at(text)
    levels = [(m.start(), _LEVEL_NAMES[m.group(0)]) for m in _LEVEL_WORDS.finditer(text)]
    if first_title >= 0:
        before = [name for at, name in levels if first_title - _LEVEL_REACH <= at < first_title]
        if before:
            return before[-1]
    return next((name for at, name in levels if "级" in text[at:at + 3]), "")


_BRACKETED = re.compile(r"[（(][^（()）]*[)）]")
_GRANT_VERB = re.compile(r"给予|予以|分别|奖励|补助|补贴|资助|享受|兑现|提供|优先|减按|免征|实行")
_NOT_RECIPIENT = re.compile(r"(?:争创|创建|建设|使用|运用|利用|借助|依托|采购|收购|拟)[^，,。；]{0,4}$")
"""A kind named as what an enterprise uses, builds or means to become ("使用本地集成电路企业
设备", "运用跨境电商转型", "拟上市") is not the one the grant is for."""
_INTO_POOL = re.compile(r"纳入[^，,。；]{0,4}$")
_POOL = re.compile(r"[^，,。；]{0,4}?(?:预备库|培育库|后备库|库|名单|目录)")
"""纳入高新技术企业预备库: the pool an enterprise joins, not a title it holds."""
_EITHER = re.compile(r"^[^，,。；]{0,4}?(?:、|和|及|以及|或|与)[^，,。；]{0,4}$")


def recipients_in(text: str, vocabulary: Terms) -> tuple[str, ...]:
    """The kinds of enterprise a grant names as its recipients: those between its 对 and its
    grant word ("对“专精特新”培育库企业给予…，…向“隐形冠军”方向发展" is for the first), else
    those it names anywhere, but never what an enterprise joins or uses.

    Example:
        >>> recipients_in("对“专精特新”培育库企业给予相应服务券，引导企业向“隐形冠军”方向发展", terms())
        ('专精特新培育企业',)
        >>> recipients_in("将集成电路企业纳入高新技术企业预备库，优先进行培训", terms())
        ('集成电路企业',)
    """
    bare, subject, _ = _grant_subject(text)
    if subject:
        body = _BODY.match(re.split(r"[，,]", subject)[0])
        if body:  # "对大连企业自建的跨境电子商务第三方支付平台": the platform, not its owner
            return (_canonical_body(body.group(1), vocabulary),)
        holder = _holder_of_achievements(subject, vocabulary)
        if holder is not None:
            return holder
        named = _named(subject, vocabulary)
        if named:
            return named
    return _named(bare, vocabulary)


def _holder_of_achievements(subject: str, vocabulary: Terms) -> tuple[str, ...] | None:
    """"对…新认定的研发中心、…实现挂牌上市、获得中国质量奖…的农产品加工企业": three or more
    things an enterprise has done, some naming no kind of enterprise, are conditions to meet
    one of, not kinds it must be; the kinds the enterprise after 的 is named by (none here).
    None when the subject is not so built."""
    achieved, _, holder = re.split(r"[，,]", subject)[0].rpartition("的")
    if not holder.endswith(("企业", "公司")):
        return None
    # "获得国家级、省级、市级专精特新称号": levels of one title are one thing.
    things = [thing for thing in re.split(r"(?<!级)、", achieved) if thing.strip()]
    named = [bool(_named(thing, vocabulary)) for thing in things]
    return _named(holder, vocabulary) if len(things) >= 3 and any(named) and not all(named) else None


_PEOPLE = r"人才|团队|专家|博士|院士|人员|职工|员工|老年人|孤老|毕业生|学生|居民|个人|劳动者|农民工"
_TALENT = re.compile(r"人才|团队|专家|博士|院士")
_ORGANISATION = re.compile(r"企业|公司|单位|机构|总部|平台|园区|基地|中心|协会|商会|高校|院所|项目|站")
_PEOPLE_AT_END = re.compile(rf"(?:{_PEOPLE})$")
_PEOPLE_OPENING = re.compile(rf"^(?!按|依|根据|以)[^，,]{{0,6}}?(?:{_PEOPLE})(?!公寓|数|人数|工资|社保|培训|规模|所得税|账户)")
_TO_THE_EMPLOYER = re.compile(r"(?:给予|予以)?(?:该|所在|其所在|引进|用人)?(?:企业|单位|用人单位|公司)")


def _people_recipient(text: str) -> str:
    """人才 or 个人 when a grant goes to people who are no enterprise's own ("对认定后的优秀人才
    给予…", "人才到岗后直接兑现…", "对城市…老年人的居家养老服务补贴"); "" when it goes to an
    enterprise, also for its staff ("对融资租赁企业高级管理人员给予奖励", "用人单位急需引进的…人才")
    or when what is granted goes to their employer ("对新招用人员，给予企业…补贴").

    Example:
        >>> _people_recipient("对认定后的优秀人才给予5万—10万元奖励"), _people_recipient("人才到岗后直接兑现奖励资金")
        ('人才', '人才')
        >>> _people_recipient("对符合遴选条件的企业高端高技能人才按规定给予补贴"), _people_recipient("对引进人才的企业给予奖励")
        ('', '')
    """
    bare, subject, granted = _grant_subject(text)
    verb = _GRANT_VERB.search(bare)
    if not granted or verb is None or _TO_THE_EMPLOYER.match(bare, verb.start()):
        return ""
    if subject:
        phrase = re.split(r"[，,]", subject)[0]
        # "对…老年人的居家养老服务补贴": the grant word names the subsidy, whose kind follows 的.
        if not _PEOPLE_AT_END.search(phrase) and verb.group(0) not in ("给予", "予以", "享受", "兑现", "提供"):
            phrase = phrase[: phrase.rfind("的")] if "的" in phrase else phrase
        if not _PEOPLE_AT_END.search(phrase.rstrip("等")):
            return ""
    else:
        # The piece before a grant word that opens with people, or ends with them ("…人才给予").
        pieces = (re.split(r"[，,]", bare[: found.start()])[-1] for found in _GRANT_VERB.finditer(bare))
        phrase = next((piece for piece in pieces if _PEOPLE_OPENING.match(piece) or _PEOPLE_AT_END.search(piece)), "")
        if not phrase:
            return ""
    if _ORGANISATION.search(phrase):
        return ""
    return "人才" if _TALENT.search(phrase) else "个人"


def _grant_subject(text: str) -> tuple[str, str, bool]:
    """`text` without its brackets, the words after the last 对 before its grant word ("" when
    it has no 对 there), and whether it names a grant word at all."""
    bare = _BRACKETED.sub("", text)
    grant = _GRANT_VERB.search(bare)
    head = bare[: grant.start()] if grant else bare
    return bare, head[head.rfind("对") + 1:] if "对" in head else "", grant is not None


_BODY_NOUN = r"平台|园区|基地|联盟|合作社|实验室|孵化器|众创空间|监管中心|学校|院校"
_BUILDS = r"建设|建立|搭建|打造|入驻|使用|运营|开设|设立|支持|鼓励|推动|加快|引导|培育|发展"
"""Verbs: a phrase holding one is a measure ("支持企业建设公共服务平台"), not a body's name."""
_BODY = re.compile(rf"^(?:[^，,]*的)?([^，,的]{{0,16}}(?:{_BODY_NOUN}))$")
"""A recipient that is a body, not an enterprise: the noun after the last 的 of the subject."""
_ZONE = re.compile(
    r"对(?:在|入驻|落户|注册在|位于)?([^，,。；对]{2,12}?(?:城|园|园区|新区|基地|开发区|示范区|片区|自贸区|保税区))(?:规划区域|区域|范围)?内"
)


def _canonical_body(phrase: str, vocabulary: Terms) -> str:
    """A body by the vocabulary's name when the phrase ends with one of its forms
    (国家级众创空间 → 孵化载体), else as written."""
    for name, start, end in reversed(vocabulary.kinds_at(phrase)):
        if end == len(phrase):
            return name
    return phrase


_ZONE_DOCUMENT = re.compile(
    r"支持(?!各|新型|产业|特色|重点|现代|文化)([^，,。、的]{2,14}?(?:城|园区|新区|开发区|示范区|片区|自贸区|保税区|产业园))的?开发建设"
)
"""A document for one named zone ("大连市支持生态科技创新城开发建设的若干政策"): all it grants
is for the enterprises there. Not one for a kind of zone ("支持产业园区开发建设")."""


_ZONE_PROJECTS = re.compile(r"(?:用于|保障)[^，,。；]{0,12}?(?<!非)(开发区|产业园区|工业园区)(?!外|以外)[^，,。；]{0,6}?项目")
"""Land or funds kept for the projects of a kind of zone ("用于保障省级以上开发区重点项目用地")."""


def _zone(text: str, title: str = "") -> tuple[str, ...]:
    """A grant for the enterprises inside a zone ("对生态科技创新城规划区域内的…企业", or any
    grant of a document for one zone): being there is a condition a profile that names only
    its district leaves open.

    Example:
        >>> _zone("对生态科技创新城规划区域内的所有在建和新建企业，免收其他涉企的行政事业性收费")
        ('位于生态科技创新城',)
        >>> _zone("对区内企业给予奖励"), _zone("对落户大连生态科技创新城规划区域内的企业，免收行政事业性收费")
        ((), ('位于大连生态科技创新城',))
        >>> _zone("给予不低于100万元的奖励", "大连市支持生态科技创新城开发建设的若干政策")
        ('位于生态科技创新城',)
        >>> _zone("每年预留一定土地计划指标，专门用于保障省级以上（含省级）开发区重点项目用地")
        ('位于开发区',)
    """
    found = _ZONE.search(text) or _ZONE_DOCUMENT.search(title) or _ZONE_PROJECTS.search(text)
    if found is None or is_region(found.group(1)):
        return ()  # a zone that is a place of its own (…新区) is the document's region's business
    return (f"位于{found.group(1)}",)


def _named(text: str, vocabulary: Terms) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name, _, _ in _recipient_kinds(text, vocabulary)))


def _recipient_kinds(text: str, vocabulary: Terms) -> list[tuple[str, int, int]]:
    """The kinds `text` names as whom a grant is for (name, start, end), not those joined or
    used, nor a trade naming a body ("跨境电子商务公共检测服务平台" is a platform)."""
    return [k for k in vocabulary.kinds_at(text)
            if not _joined_or_used(text, k[1], k[2]) and not _names_a_body(text, k[2])]


_BODY_AFTER = re.compile(
    rf"(?:(?!{_BUILDS})[^，,。；、的和及与或]){{0,8}}?(?:{_BODY_NOUN})(?![^，,。；]{{0,6}}?企业)")
""""跨境电子商务公共检测服务平台": the trade names the platform; not "物流企业建设公共信息平台"."""


def _names_a_body(text: str, end: int) -> bool:
    return bool(_BODY_AFTER.match(text, end))


def _joined_or_used(text: str, start: int, end: int) -> bool:
    before = text[:start]
    return bool(_NOT_RECIPIENT.search(before) or (_INTO_POOL.search(before) and _POOL.match(text, end)))


def alternatives(text: str, vocabulary: Terms) -> tuple[str, ...]:
    """Kinds a grant names as alternatives ("对瞪羚企业和科技小巨人企业…"): either one
    qualifies, so each is a recipient of its own; () when it names one, or kinds that are
    one recipient together ("外资研发中心").

    Example:
        >>> alternatives("对于经认定评为瞪羚企业和科技小巨人企业的，最高给予50万元的支持", terms())
        ('瞪羚企业', '科技小巨人企业')
        >>> alternatives("对外资研发中心给予100万元奖励", terms())
        ()
        >>> alternatives("延长部分小微企业、个体工商户等免征增值税优惠期限", terms())
        ('小微企业', '个体工商户')
    """
    bare, subject, granted = _grant_subject(text)
    if not granted:
        return ()
    if not subject:
        return _listed_as_examples(bare, vocabulary)
    kinds = _recipient_kinds(subject, vocabulary)
    if len({k[0] for k in kinds}) < 2:
        return ()
    joined = all(_EITHER.match(subject[a[2]:b[1]]) for a, b in zip(kinds, kinds[1:]))
    return tuple(dict.fromkeys(k[0] for k in kinds)) if joined else ()


_CLOSED_BY_DENG = re.compile(r"(?:企业|单位)?等")


def _listed_as_examples(text: str, vocabulary: Terms) -> tuple[str, ...]:
    """Kinds listed and closed by 等 ("小微企业、个体工商户等免征…"), a grant with no 对 before
    it: the list gives examples of whom it is for, each one of them qualifies."""
    kinds = _recipient_kinds(text, vocabulary)
    for last in range(len(kinds) - 1, 0, -1):
        if not _CLOSED_BY_DENG.match(text, kinds[last][2]):
            continue
        first = last
        while first > 0 and _EITHER.match(text[kinds[first - 1][2]:kinds[first][1]]):
            first -= 1
        listed = tuple(dict.fromkeys(k[0] for k in kinds[first:last + 1]))
        if len(listed) >= 2:
            return listed
    return ()


def _who(text: str, lead: str, path: str, title: str, vocabulary: Terms) -> tuple[str, ...]:
    people = _people_recipient(text)
    if people:
        return (people,)
    given = _GIVEN_TO_A_BODY.search(text)
    if given and not _grant_subject(text)[1]:
        # "每新入驻1家跨境电商企业，给予园区扶持资金1万元": the park's, not its tenants' (a
        # subject named with 对 speaks for itself: "对…外贸企业，给予平台补贴" is theirs).
        return (_canonical_body(given.group(1), vocabulary),)
    bare = _BRACKETED.sub("", text)
    nonprofit = _NONPROFIT.search(bare)
    if nonprofit and not _EXCEPTED.match(bare, nonprofit.end()):  # "非营利体育服务企业…免征": not the trade's enterprises at large
        return (nonprofit.group(0),)
    # A document for one kind of enterprise ("…利用外资若干政策措施") grants to that kind
    # throughout, whoever else a clause names. One for a trade ("…跨境电子商务扶持资金管理
    # 规定") grants to platforms, parks and schools as well: its trade limits the items'
    # industry, not their recipients.
    scope = tuple(kind for kind in vocabulary.who_in(title) if not _trade_kind(kind, vocabulary))
    if _ENTERPRISE_SUBJECT.match(text):
        # "企业从事文化体育产业可按3%的税率计征营业税": its own subject, not the one of the
        # clause's opening words (a path part cut short with …).
        path = " > ".join(part for part in path.split(" > ") if not part.endswith("…"))
    # The nearest heading first: "（一）推动外贸企业…" speaks for its clause before its article's
    # "大力培育跨境电子商务经营主体" does.
    headings = path.split(" > ")[::-1] if path else []
    # "入驻园区的企业，按房租的50%给予补贴" under "三、产业园区": the tenants', not the park's.
    names_enterprises = bool(_ENTERPRISE_SUBJECT.match(text)) or "企业" in re.split(r"[，,。；]", text)[0]
    holder = _holder_of_achievements(_grant_subject(text)[1], vocabulary)
    if holder is not None:  # what it lists are conditions: its holder is all it names
        return holder + tuple(w for w in scope if w not in holder)
    for source in (text, lead, *headings):
        found = recipients_in(source, vocabulary)
        if found:
            return found + tuple(w for w in scope if w not in found)
        recipient = _RECIPIENT.search(source)
        if recipient:
            return (_canonical_body(recipient.group(1), vocabulary),) + scope
        # A heading naming a body ("（三）第三方交易支付平台"): what it grants is the body's.
        body = _BODY.match(_ENUM_MARK.sub("", source)) if source in headings and not names_enterprises else None
        if body and len(body.group(1)) >= 4 and not re.search(_BUILDS, source):  # not a bare "平台" part
            return (_canonical_body(body.group(1), vocabulary),) + scope
    return scope


_GIVEN_TO_A_BODY = re.compile(
    rf"给予([^，,。；\d给予]{{0,8}}?(?:{_BODY_NOUN}))(?:扶持资金|运营资金|建设资金)")
"""Funds given to a body named right after the verb ("给予园区扶持资金"); "平台补贴" is a
subsidy for what a platform costs, not a grant to it."""
_NONPROFIT = re.compile(r"(?<![向给])非营利(?:性)?[^，,。；的]{0,8}?企业")
_EXCEPTED = re.compile(r"[^。；]{0,4}?(?:除外|不享受|不适用)")
""""…，非营利性体育企业除外": the grant is for the others."""


def _trade_kind(kind: str, vocabulary: Terms) -> bool:
    """The enterprises of one trade (跨境电商企业, 外贸企业): an industry, not a title."""
    return kind.endswith("企业") and kind not in vocabulary.titles and bool(vocabulary.industry_in(kind))


def _with_cap(item: BenefitItem, cap: int, words: str) -> BenefitItem:
    if item.rate is None and item.amount_yuan is not None:
        return item  # a fixed amount is its own cap
    return BenefitItem(**{**item.__dict__, "cap_yuan": cap})


@functools.lru_cache(maxsize=1)
def rules_version() -> str:
    """The rules' version and a hash of the vocabulary and of this module: a help desk's
    edit of benefit_terms.yaml, or new rules, has stored items read afresh."""
    rules = hashlib.sha256(TERMS_FILE.read_bytes() + Path(__file__).read_bytes()).hexdigest()[:12]
    return f"{RULES_VERSION}-{rules}"


def document_benefits(clauses, document) -> list[list[BenefitItem]]:
    """The items of each of a document's clauses (in order), as ingest reads them."""
    texts = [clause.text for clause in clauses]
    return [extract_benefits(clause.text, clause.clause_id, document.doc_id, clause.clause_path, document.title,
                             announced)
            for clause, announced in zip(clauses, announcing_sentences(texts))]


def benefits_json(items: list[BenefitItem]) -> str:
    """A clause's items as stored with it in the registry, with the rules' version."""
    return json.dumps({"rules": rules_version(), "items": [i.as_json() for i in items]}, ensure_ascii=False)


def stored_items(clause, document, stored: str | None, announced: str = "") -> list[BenefitItem]:
    """The items kept with a clause; a clause stored before items were extracted, or by
    older rules, gets them afresh (without re-embedding anything)."""
    data = json.loads(stored) if stored else None
    if not isinstance(data, dict) or data.get("rules") != rules_version():
        return extract_benefits(clause.text, clause.clause_id, document.doc_id, clause.clause_path, document.title,
                                announced)
    return [BenefitItem.from_json(item) for item in data["items"]]


_ENUMERATED = re.compile(r"^\s*[一二三四五六七八九十]{1,3}是")


def announcing_sentences(texts: list[str]) -> list[str]:
    """For each of a document's clause texts in order, the sentence that announces it when it
    is one of a run of "一是…", "二是…" clauses: the last sentence of the clause before the
    run ("提高…民办非营利性养老机构建设补贴和运营补贴标准。" then "一是新增养老床位补贴…").

    Example:
        >>> announcing_sentences(["总则。提高民办养老机构补贴标准。", "一是床位补贴1万元。", "二是运营补贴。", "其他。"])
        ['', '提高民办养老机构补贴标准', '提高民办养老机构补贴标准', '']
    """
    announced, out = "", []
    for index, text in enumerate(texts):
        if not _ENUMERATED.match(text):
            announced = ""
        elif not announced and index > 0:
            sentences = [s for s in re.split(r"[。；;\n]", texts[index - 1]) if s.strip()]
            announced = sentences[-1].strip() if sentences else ""
        out.append(announced)
    return out


_TERM_END = re.compile(r"有效期(?:至|到)\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_TERM_YEARS = re.compile(r"(?:有效期|试行)(?:延续|为)?\s*([\d一二三四五六七八九十两]+)\s*年")
_TERM_START = re.compile(r"自\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def valid_until(validity: str, date: str = "") -> str:
    """The last day a document is in force (YYYY-MM-DD), where its text says so; "" when
    it states no end.

    Example:
        >>> valid_until("自2019年3月1日起施行，有效期四年"), valid_until("有效期至2025年12月31日")
        ('2023-02-28', '2025-12-31')
        >>> valid_until("试行2年", "2024-05-06"), valid_until("自发布之日起施行", "2024-05-06")
        ('2026-05-05', '')
    """
    end = _TERM_END.search(validity)
    if end:
        return f"{int(end.group(1)):04d}-{int(end.group(2)):02d}-{int(end.group(3)):02d}"
    years = _TERM_YEARS.search(validity)
    if not years:
        return ""
    start = _TERM_START.search(validity)
    try:
        begin = (datetime.date(int(start.group(1)), int(start.group(2)), int(start.group(3))) if start
                 else datetime.date.fromisoformat(date))
        count = int(years.group(1)) if years.group(1).isdigit() else int(cn2an.cn2an(years.group(1), "smart"))
        last = begin.replace(year=begin.year + count) - datetime.timedelta(days=1)
    except (ValueError, TypeError):
        return ""
    return last.isoformat()


def term_of(validity: str, date: str = "", today: datetime.date | None = None) -> tuple[str, bool]:
    """(`valid_until`, whether that day has passed by `today`, default the real today).

    Example:
        >>> term_of("有效期至2025年12月31日", today=datetime.date(2026, 1, 1)), term_of("自发布之日起施行")
        (('2025-12-31', True), ('', False))
    """
    until = valid_until(validity, date)
    return until, bool(until) and until < (today or datetime.date.today()).isoformat()


def clause_hash(text: str) -> str:
    """What a correction is keyed by: the clause's words."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def item_key(item: BenefitItem) -> str:
    """What identifies an extracted item for a correction: its words and figures, not its
    place in the list (which moves when rules change or another item is struck out)."""
    if item.origin:
        return item.origin
    raw = json.dumps([item.quote, item.benefit, item.amount_yuan, item.rate, item.cap_yuan, list(item.tiers)],
                     ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


def correction_json(item: BenefitItem | None) -> str:
    return json.dumps(item.as_json() if item is not None else {"removed": True}, ensure_ascii=False)


def corrected(items: list[BenefitItem], clause, corrections: dict[tuple[str, str], str]) -> list[BenefitItem]:
    """A clause's items with the help desk's corrections in place, struck-out ones left
    out. A correction applies only while the item it corrects is still extracted."""
    if not corrections:
        return items
    key = clause_hash(clause.text)
    out: list[BenefitItem] = []
    for item in items:
        stored = corrections.get((key, item_key(item)))
        if stored is None:
            out.append(item)
            continue
        data = json.loads(stored)
        if not data.get("removed"):
            out.append(BenefitItem.from_json({**data, "clause_id": clause.clause_id, "doc_id": clause.doc_id,
                                              "corrected": True, "origin": item_key(item)}))
    return out
