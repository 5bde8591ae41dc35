"""政策直达: "what can my enterprise get?" — an enterprise profile matched against every
benefit item of the knowledge base (knowledge/benefits.py), item by item.

- **Profile**: place, industry, size, titles held (with their level), from a form or
  read from the question itself ("我是甘井子的规上跨境电商企业，评上了省级专精特新").
- **Place**: an item applies when its document's region is the profile's place or
  contains it (district → city → province → 全国); an item a city's document gives one of
  its districts is 需确认 for a profile that names only the city.
- **Who**: a title, size or kind of enterprise (外资企业, 总部企业…) the item asks for
  must be one the profile states, and an industry it is limited to must be the
  profile's. What the profile cannot settle (the level of a title it did not give, sizes
  that contradict each other, an item only for newly set-up enterprises) makes the item
  "check" (需确认) instead of "match". An item for one size, or for the enterprises of one
  zone, that the profile never mentions is counted in a note instead of listed.
- **Validity**: an item of a document whose stated term has ended is marked expired and
  left out of the total.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections import Counter
from dataclasses import dataclass, field

from assistant.citations import clause_region
from assistant.errors import InvalidRequest
from assistant.sizing import LARGE, MEDIUM, SMALL, size_by_figures
from knowledge.benefits import (
    INDUSTRY_SEPARATOR, BenefitItem, BenefitRecord, BenefitRecords, DocumentCap, term_of, terms,
)
from knowledge.models import ClauseHit
from knowledge.regions import find_regions, gazetteer, is_region

MATCH, CHECK = "match", "check"
_SIZE_UNSAID = "size unsaid"
"""`_status` of an item only for one size (小微企业, 个体工商户) the profile does not state."""
_ASKS_FOR_BENEFITS = re.compile(
    r"(?:能|可以|可|会)(?:享受|申请|申报|拿到?|领到?|得到|获得)(?:到)?(?:哪些|什么|啥|多少)(?:政策|补贴|奖励|扶持|优惠|支持|钱)|"
    r"(?:有|享受)(?:哪些|什么|啥)(?:政策|补贴|奖励|扶持|优惠)(?:可以|能)(?:享受|申请|拿)|适用(?:哪些|什么)政策|政策直达|免申即享"
)
_SELF = re.compile(r"我(?:们|司)?(?:是|公司|企业|家)|本(?:公司|企业)|我们")
_LEVEL_BEFORE = (("national", ("国家级", "国家")), ("provincial", ("省级", "省")), ("city", ("市级",)),
                 ("district", ("区县级", "区级", "县级")))
"""Level words right before a title; a bare 市/区/县 is the end of a place name (温县专精特新)."""
_LEVEL_RANK = {"district": 0, "city": 1, "provincial": 2, "national": 3}
_TRADE, _TRADER = "外贸", "外贸企业"
_FOREIGN_CAPITAL, _FOREIGN_INVESTED = re.compile(
    r"(?:[日韩德美港台澳欧法英意俄泰]|新加坡|马来西亚|加拿大|瑞士|瑞典|荷兰|丹麦|芬兰|挪威|以色列|印尼|澳大利亚|新西兰)"
    r"资(?![源金料格质产本讯助费历深])"), "外资企业"
"""Capital from abroad as owners name it (日资, 港资): a foreign-invested enterprise."""
_WHOLE_MACHINES, _WHOLE_MACHINE_MAKER = re.compile(
    r"(?<![给为向帮替跟和])整机(?!、装备企业|企业首次|厂商|厂家|(?:厂|企业)?的?(?:配件|零部件|供应商|二级|配套))|"
    r"整(?:船|台)(?:都|也|全)?(?:是)?(?:我们|俺们)?(?:自己|自主)"), "整机装备企业"
"""A maker of whole machines as owners say it ("矿山机械整机", "整机都是自己造", "整船自己造"), not
a supplier ("给整机厂做配套", "做整机配件", "整机厂的二级供应商"); one who makes none ("不做整机",
"没搞整机") is read by `_makes_whole_machines`."""


def _makes_whole_machines(text: str) -> bool:
    """Whether the owner says he makes whole machines (`_WHOLE_MACHINES`, not denied just before)."""
    return any(not re.search(r"[不没未非][\u4e00-\u9fff]{0,2}$", text[max(0, m.start() - 3):m.start()])
               for m in _WHOLE_MACHINES.finditer(text))
_NUMBER = r"(?:\d+|一[百千万][一二三四五六七八九十百千]*|[两二三四五六七八九十几][一二三四五六七八九十百千]*)"
_COUNTED = re.compile(rf"(?<![第这那每前有是]){_NUMBER}(?:多|余|来)?家[^，,。；;？?！!]{{0,12}}?(?:企业|公司|工厂|厂|高企)(?!之一|合并)|"
                      rf"(?<=的)(?<!旗下的)(?<!下属的)(?<!我们的)(?<!自己的)(?<!集团的)"
                      rf"[^，,。；;？?！!的]{{0,10}}?(?:企业|公司|工厂|厂)(?:有|共|一共)?{_NUMBER}(?:多|余|来)?家|"
                      r"把(?:一|这|那)?家[^，,。；;？?！!]{0,12}?(?:企业|公司|工厂|厂)(?=[^，,。；;？?！!]{0,3}(?:引|招|拉|介绍|带|请|推荐))|"
                      r"(?:引进了?|引荐了?|介绍了?|推荐了?|招来了?|拉来了?)(?:一|这|那)家[^，,。；;？?！!]{0,12}?(?:企业|公司|工厂|厂)|"
                      r"引荐(?:了)?(?:一家)?总部")
"""Enterprises counted ("入驻了三十多家外贸公司", "服务200家跨境电商企业", "服务的跨境电商企业六十多家")
or brought in by the owner ("把一家做汽配的总部企业引到了甘井子", "引荐总部的奖励") are others, not the owner."""
_PENDING_AFTER = re.compile(
    r"(?:企业|证书|资质|称号)?(?:正在|还在|在|已经)?(?:申请|申报|评审|公示)(?:中|着)?|(?:企业|证书|资质|称号)?(?:正在|还在)(?:评|走流程)|"
    r"(?:企业|证书|资质|称号)?(?:去年|今年|上次|这次|上回)?(?:还没|没有|没|尚未|未)(?:批|下来|评上|认定|通过)|"
    r"(?:也|都|压根|根本)(?:没有|没|未)(?:报|申报|申请)|"
    r"(?:我们|俺们|咱们)?(?:今年|去年|刚|已经|也)?(?:报上去了|报了|报上了|申报了|申请了|评上了|批了)[，,]?(?:名单|结果)?"
    r"(?:还在|正在)(?:评审|公示|评|审|走流程)|"
    r"(?:我们|俺们|咱们)?(?:今年|去年|刚|已经|也)?(?:报上去了?|报了|报上了|申报了|申请了|交上去了?)[，,]?(?:但是?|可是?)?"
    r"(?:还没|没|尚未|还未)(?:批|下来|评上|认定|通过|结果)|"
    r"(?:要是|如果|假如|等)(?:能)?(?:批下来|评上|认定下来|下来)|"
    r"(?:也|还)?(?:打算|准备|计划|想)(?:明年|今年|下半年|年底|过两年)?(?:再|也)?(?:去)?(?:报|申报|申请|认定)(?=[，,。；;！!？?]|$)|"
    r"那(?:份|笔)(?:奖|奖励|补贴|钱|资金)?(?=[^，,。；;]{0,8}?(?:能不能|能否|可不可以|沾光|有没有|吗|不[？?]))|"
    r"(?:的)?(?:认定|评定|申报|申请)(?:材料|手续)[^，,。；;！？]{0,6}?(?:刚|才|已经?)?(?:交|报|递)(?:上去|上了|了)")
"""A title still applied for ("高企正在申请还没批下来", "龙头企业申报中", "总部企业认定材料刚交上去",
"省隐形冠军今年报了，名单还在公示", "今年报上去了，还没批下来", "要是批下来"), never sought ("高企也没报") or only asked about
("隐形冠军那份奖我们能不能沾光") is not held: the words right after it say so, and the ask goes
on to nothing else ("省级专精特新企业正在申报国家级小巨人" holds 专精特新; "高新技术企业正在申请
研发费用补助" holds 高新技术企业)."""
_PENDING_BEFORE = re.compile(r"(?:正在|还在|准备|打算|计划)?(?:申报|申请|争取|冲刺)(?![了过])[^，,。；;！？]{0,4}$")
"""A title being applied for, named after the verb ("正在申报国家级小巨人")."""
_DENIED_BEFORE = re.compile(r"(?:不算|不是|并非|不属于|没(?:有)?(?:评上|评过|拿过|认定过|申请过|报过|登记成|登记为|注册成|注册为)|"
                            r"还没|尚未|不再是)[^，,。；;]{0,3}$")
_GRANTED_TO_BEFORE = re.compile(r"(?:(?:对|给|针对|(?<!成)为)(?:国家级|省级|市级|区级|县级|国家|省)?|(?<!我们)(?<!咱们)(?<!俺们)那些)[“\"]?$")
"""A title named as whom a grant is for ("听说长沙对高新技术企业有奖励", "为整机企业配套", "大连那些外资奖励")
is not one held ("我们那些…", "成为高新技术企业" are)."""
_DENIED_AFTER = re.compile(
    r"(?:企业)?(?:证书|证|资质|称号)?(?:也|还|倒|都)?(?:没有|没拿到|没评上|没评过|没拿过|没认定过)(?![\u4e00-\u9fff])|"
    r"的?(?:一级|二级)?(?:供应商|配套商|配套厂|配件)")
"""A title the owner says he lacks, named first ("高企没有", "高企证书也没有"), or whom he supplies
("几家整机厂的二级供应商")."""
_WHEN = r"(?:去年|今年|前年|上年|后来|最近|之前|年初|年底|但是?|可是?|结果|不过|已经|又|也|就)*"
_LOST = re.compile(
    rf"^{_WHEN}(?:到期|期满)?(?:后|了)?(?:的)?(?:复核|复审|重新认定|重新评定|重新评审|年审|监测|考核)(?:时)?(?:没|未|没有)"
    r"(?:通过|过|合格|达标)|"
    rf"^{_WHEN}(?:资格|称号|证书|牌子|这个)?(?:也|都|已经|又|就)?被(?:取消|撤销|摘牌|摘帽|除名|移出)|"
    rf"^{_WHEN}(?:现在|目前|如今)(?:已经)?(?:没有|不是|不算)了$|^{_WHEN}(?:已经)?不再是|"
    rf"^{_WHEN}(?:有效期)?(?:到期|过期|到了)(?:了)?(?:以后|之后|后)?(?:就)?(?:没|未)(?:再)?(?:去)?(?:续|复核|复审|重新认定)|"
    rf"^{_WHEN}(?:现在|目前|如今)?(?:已经)?不在(?:名单|名录)(?:里|中|上)?了")
"""A title the owner had and lost, said in the clauses right after it ("前年认定过，今年到期复审
没过，现在不是了", "去年监测没合格，被取消了"): a review failed, the title withdrawn, or no longer
held, or off the list ("有效期到了以后没再去复核，现在不在名单里了"); not any setback in the same
sentence ("环评没通过", "证书还没过期", "订单没了")."""
_LEFT_ASIDE = re.compile(
    r"[^。；;！!？?\n]*(?:那家|另一家|另外一家|那个厂|那个公司|那个)[^。；;！!？?\n]{0,12}?(?:先不问|这次不问|先不管|这次先不管)"
    r"(?![^。；;！!？?\n]*(?:只|就|单)问)[^。；;！!？?\n]*")
"""A sentence about another entity the owner sets aside ("那家是独立法人，这次先不问"); not one that
goes on to say which is asked about ("诸暨那家先不问，只问义乌这家": `_the_one_asked` reads it)."""
_NOT_TRADING = re.compile(r"(?:不|没|没有)(?:做|搞|干|直接做)?(?:进出口|外贸|出口|进口)(?:业务|生意)?")
"""Trade the owner says he does not do ("我们自己不做进出口")."""
_SOMEONE_ELSE = re.compile(
    r"(?:^|(?<=[，,。；;！!？?\s]))(?:我|俺)(?:有(?:个|一个|位))?(?:弟|哥(?!们)|姐|妹|老婆|爱人|媳妇|老公|爸|妈|朋友(?!圈)|同学|亲戚|表弟|表哥|小舅子|连襟)"
    r"(?=[^，,。；;！!？?]{0,3}?(?:在|开|办|家|那家|那边|的(?:厂|公司|企业)))"
    r"[^。；;！!？?\n]*?(?=[，,]\s*(?:我们|咱们|俺们|我这|我家|我司)|[。；;！!？?\n]|$)")
"""What is said of a relative's or a friend's own enterprise ("我弟在武义开了个厂，他们是省隐形冠军"),
up to where the owner speaks of his own again: not the owner's."""


def _blanked(pattern: re.Pattern[str], text: str) -> str:
    """`text` with what `pattern` finds blanked, same length: places found later stay put."""
    return pattern.sub(lambda m: "，" * len(m.group(0)), text)


def _blank(text: str, start: int, end: int) -> str:
    """`text` with text[start:end] blanked, same length."""
    return text[:start] + "，" * (end - start) + text[end:]


@dataclass(frozen=True)
class Profile:
    """An enterprise as a match needs it."""

    region: str
    industry: str = ""
    size: str = ""
    titles: tuple[str, ...] = ()
    """Titles held and kinds of enterprise it is (专精特新, 外资企业, 总部企业…)."""
    title_levels: dict[str, str] = field(default_factory=dict)
    """The level of a title where it was said ("省级专精特新" → {"专精特新": "provincial"})."""
    said: str = ""
    """The owner's own words about the enterprise (the question, or the place typed in the
    form): a zone they name ("入驻大连生态科技创新城") settles a grant for that zone."""
    size_unsettled: bool = False
    """A size was given but cannot be settled (小微 and 规上 both, or one not known): each
    size's grants are listed to confirm, where a size never mentioned lists none."""

    def describe(self) -> str:
        parts = [self.region, self.industry, self.size]
        parts += [f"{_level_name(self.title_levels.get(t, ''))}{t}" for t in self.titles]
        return " · ".join(p for p in parts if p)


@dataclass(frozen=True)
class MatchedItem:
    record: BenefitRecord
    status: str
    valid_until: str = ""
    expired: bool = False

    @property
    def item(self) -> BenefitItem:
        return self.record.item

    def sort_key(self) -> tuple:
        item = self.item
        return (self.expired, -item_ceiling(item), -(item.rate or 0), item.clause_id)

    def as_json(self) -> dict:
        item, document = self.item, self.record.document
        return {
            "benefit": item.benefit, "figure": amount_text(item), "amount_yuan": item.amount_yuan, "rate": item.rate, "cap_yuan": item.cap_yuan,
            "tiers": list(item.tiers), "per_unit": item.per_unit, "amount_text": item.amount_text,
            "who": list(item.who), "title_level": item.title_level, "conditions": list(item.conditions),
            "industry": item.industry, "region": _applies_to(self.record), "doc_id": item.doc_id, "title": document.title,
            "doc_number": document.doc_number, "clause_id": item.clause_id, "clause_path": self.record.clause.clause_path,
            "quote": item.quote, "valid_until": self.valid_until or None, "expired": self.expired,
            "status": self.status,
        }


@dataclass(frozen=True)
class MatchResult:
    profile: Profile
    items: tuple[MatchedItem, ...]
    unsure: tuple[MatchedItem, ...]
    assumed: tuple[str, ...] = ()
    """What was assumed or left out of the profile, in Chinese."""
    caps: dict[str, DocumentCap] = field(default_factory=dict)
    """Per document id: what one enterprise may get from all its grants together."""

    @functools.cached_property
    def _sums(self) -> dict[str, int]:
        """Per document: the fixed amounts and caps of its items that apply and are in force."""
        sums: dict[str, int] = {}
        for m in self.items:
            if not m.expired:
                sums[m.item.doc_id] = sums.get(m.item.doc_id, 0) + item_ceiling(m.item)
        return sums

    @property
    def total_yuan(self) -> int:
        """The fixed amounts and caps of the items that apply and are in force, each
        document's no more than the cap it puts on all its grants together."""
        return sum(min(total, self.caps[doc].amount_yuan) if doc in self.caps else total
                   for doc, total in self._sums.items())

    @property
    def capped(self) -> list[tuple[BenefitRecord, DocumentCap]]:
        """The documents whose items add up to more than the cap they state, with one of
        their records (for its title)."""
        firsts = {m.item.doc_id: m.record for m in reversed(self.items)}
        return [(firsts[doc], self.caps[doc]) for doc, total in self._sums.items()
                if doc in self.caps and total > self.caps[doc].amount_yuan]

    def as_json(self) -> dict:
        return {
            "profile": {"region": self.profile.region, "industry": self.profile.industry, "size": self.profile.size,
                        "titles": list(self.profile.titles)},
            "items": [m.as_json() for m in self.items], "unsure": [m.as_json() for m in self.unsure],
            "total_yuan": self.total_yuan, "total_text": yuan(self.total_yuan), "assumed": list(self.assumed),
            "capped": [{"doc_id": record.item.doc_id, "title": record.document.title, "cap_yuan": cap.amount_yuan,
                        "cap_text": yuan(cap.amount_yuan), "clause_id": cap.clause_id, "quote": cap.quote}
                       for record, cap in self.capped],
        }


def asks_for_benefits(text: str) -> bool:
    """A question about what the asker's own enterprise can get ("我们…能享受哪些政策").

    Example:
        >>> asks_for_benefits("我是温县的规上制造业企业，去年评上省级专精特新，能享受哪些政策？")
        True
        >>> asks_for_benefits("温县对专精特新企业奖励多少？")
        False
        >>> asks_for_benefits("我们是甘井子的租赁公司，今年给区里企业融资了5000万，能拿多少补贴")
        False
    """
    asked = _ASKS_FOR_BENEFITS.search(text)
    if asked is None or not _SELF.search(text):
        return False
    # "能拿多少" about a case the question states in figures (融资了5000万) asks what that
    # case gets, a question for the clauses, not the list of everything the profile may get.
    return not ("多少" in asked.group(0) and re.search(r"\d", text))


_SMALL_OWNER = re.compile(r"(?:是|个|家|的)小(?P<business>[\u4e00-\u9fff]{0,4}?)(?:公司|企业|工厂|厂|卖家|商户|作坊)")
"""How owners say their enterprise is small: 小 before the company ("我们是个小厂") or before
its business ("甘井子的小外贸公司"); not a word that begins with 小 (小额贷款公司, 小家电厂,
小平岛的企业)."""


def _says_small(text: str, vocabulary) -> str:
    """The words calling the enterprise small ("小外贸公司"), "" when none do or the owner
    denies it ("我们不是小公司")."""
    for found in _SMALL_OWNER.finditer(text):
        business = found["business"]
        if business and not vocabulary.businesses_in(business):
            continue
        if not _DENIED_BEFORE.search(text[max(0, found.start() - 6):found.start() + 1]):
            return found.group(0)[1:]
    return ""


def profile_from_text(text: str, region: str = "") -> tuple[Profile | None, tuple[str, ...]]:
    """The profile a question describes, and what was assumed; None when it names no place
    (and `region`, the page's, is empty)."""
    from assistant.questions import frame

    vocabulary = terms()
    said = text
    # What the owner took back ("我们在甘井子，不对，是金州") is read as never said.
    text = _without_retracted(text)
    text = _blanked(_LEFT_ASIDE, _blanked(_NOT_TRADING, _blanked(_SOMEONE_ELSE, text)))
    found = frame(text, (region,) if region else ())
    text, named_places = _the_one_asked(text, found.regions)
    place = _enterprise_place(_own_places(text, named_places)) or region
    # Owners say 公司 where policies say 企业 ("股权投资管理公司"); what they say they are
    # not ("也不算养老院") they do not hold.
    own_account = _blanked(_COUNTED, text)
    owner_words = own_account.replace("公司", "企业")
    mentioned = [(name, start, end, _level_before(owner_words[max(0, start - 4):start]))
                 for name, start, end in vocabulary.kinds_at(owner_words)]
    # A title said to be lost stays lost when the owner names it again at that level or at none
    # ("小巨人…今年复核没通过，给撤了。小巨人那块还能奖吗？"), not when won at another ("市级的到期没复审，
    # 去年评上了省级的").
    lost = {(name, level) for name, _, end, level in mentioned if _lost(owner_words, end, vocabulary)}

    def still_lost(name: str, level: str) -> bool:
        return (name, level) in lost or not level and any(name == gone for gone, _ in lost)

    held_at = {}
    for name, start, end, level in mentioned:
        if (not still_lost(name, level)
                and not _DENIED_BEFORE.search(owner_words[max(0, start - 9):start])
                and not _DENIED_AFTER.match(owner_words, end)
                and not _GRANTED_TO_BEFORE.search(owner_words[max(0, start - 6):start])
                and not _pending(owner_words, start, end, vocabulary)):
            held_at.setdefault(name, start)
    named = tuple(held_at)
    titles = tuple(t for t in named if t not in vocabulary.sizes)
    sizes = [t for t in named if t in vocabulary.sizes]
    small = "" if sizes else _says_small(own_account, vocabulary)
    if small:
        sizes = [SMALL]
    # Trade beside another business ("做冷链物流的，也做点进出口") is the other industry, and
    # an enterprise that trades abroad: 外贸企业's grants are its own too.
    businesses = vocabulary.businesses_in(own_account)
    # Of industries on one chain the narrowest ("制造业单项冠军…造船厂": 装备制造).
    trades = [b for b in businesses if b != _TRADE]
    industry = next((b for b in trades if not any(b in vocabulary.industry_chain(other)[1:] for other in trades)),
                    businesses[0] if businesses else "")
    if _TRADE in businesses and industry != _TRADE and not _SELLS_NOTHING.search(text):
        titles = tuple(dict.fromkeys((*titles, _TRADER)))
    if "养老机构" in titles and (registered := _CARE_HOME_KIND.search(own_account)):
        # "民办非营利的养老院", "公司制的，营利性的": which care homes' grants are its own.
        kind = "非营利性养老机构" if registered["non"] else "营利性养老机构"
        titles = tuple(dict.fromkeys((*titles, kind)))
    if _makes_whole_machines(own_account):  # 做矿山机械整机的, 整船自己造
        titles = tuple(dict.fromkeys((*titles, _WHOLE_MACHINE_MAKER)))
    if _FOREIGN_CAPITAL.search(text):  # 韩资减速机厂, 港资的
        titles = tuple(dict.fromkeys((*titles, _FOREIGN_INVESTED)))
    figured = ""
    if _SAYS_MEDIUM.search(own_account) and sizes in ([], [SMALL]):
        # "按划型算中型": the owner's own reading of the 划型 rule, over a 小微 only named in
        # what he asks ("小微企业那些扶持我们能沾上不").
        sizes, small = [MEDIUM], ""
    elif not sizes:
        # "一百五十来人，去年销售一千八百万": the national 划型 rule says which size that is; a
        # chip design house is an information service there (GB/T 4754 6520), not a fab.
        chain = ("软件和信息技术",) if _DESIGN_HOUSE.search(own_account) else vocabulary.industry_chain(industry)
        size, figured = size_by_figures(own_account, chain, factory=bool(_FACTORY.search(own_account)))
        sizes = [size] if size else sizes
    levels = {}
    for title in titles:
        # The level where the title is held, not where a lost one was named.
        at = held_at[title] if title in held_at else _find_title(text, title)
        levels[title] = _level_before(text[max(0, at - 4):at]) if at > 0 else ""
    if not place:
        return None, ()
    profile, assumed = checked_profile(place, industry, sizes[0] if len(sizes) == 1 else "", titles, levels,
                                       extra_sizes=sizes if len(sizes) > 1 else (), said=said)
    if small:
        assumed = (f"按“{small}”读作{SMALL}对照。", *assumed)
    if figured:
        assumed = (figured, *assumed)
    return profile, assumed


_SELLS_NOTHING = re.compile(
    r"(?:自己|本身)(?:也|都|并)?(?:不|没|没有)(?:做|搞|干|直接)?(?:进出口|外贸|卖货|卖东西|销售商品|在网上卖货|网上卖货)"
    r"(?=[，,。；;、！!]|$|也)|只(?:管|收|负责)(?:招商|物业|服务费|佣金)")
"""An owner serving a trade, not in it: a park, platform or service that says it sells nothing
itself ("我们只管招商和物业，自己不卖货"); not "自己不做进出口报关" nor "只做平台店铺运营"."""
_CARE_HOME_KIND = re.compile(
    r"(?P<non>非(?:营|盈)利|民非|民办非企业|不以(?:营|盈)利为目的)|(?<![非不没])(?:营|盈)利(?:性|型|的(?:养老|机构|公司))|公司制")
"""How an owner says a care home is registered: non-profit (非营利, 民非, 不以营利为目的) or a
company (营利性, 公司制); not "还没盈利" (no profit yet)."""
_SAYS_MEDIUM = re.compile(r"(?<!不)(?:是|算|属于|划为|读作)(?:个|一家|一个)?中型(?=企业|公司|厂|的|了|吧|[，,。；;！!？?]|$)")
"""A size the owner gives himself ("按划型算中型企业", "我们是中型企业"): no figure reads over it; not
others' ("中型企业有啥政策", "大中型企业那些补贴")."""
_FACTORY = re.compile(r"(?<![从给向帮替为到去跟和与])(?:工厂|厂子|厂(?!商|房|家))|车间")
"""A factory of its own (厂子, 车间); not a vendor (厂商), a building it rents (厂房) or the
factories it serves or buys from (给工厂做系统, 从工厂进货)."""
_DESIGN_HOUSE = re.compile(r"芯片设计|集成电路设计|IC设计")


_ELSEWHERE_BEFORE = re.compile(r"(?:从|来自|离|去|赴|往|跟|和|与|比|听说)$")
_LISTED_WITH = ("、", "和", "或", "与", "及")
_ELSEWHERE_AFTER = re.compile(r"^(?:那边|那儿|那里|那头|过来|来的|回来|对(?!接|外|口|面|岸|我|咱|俺|本))")
"""Somewhere else: "深圳那边", "上海过来的", and a place's policy for others ("甘井子区对科技型中小企业补三成");
not "甘井子区对我们这种小厂…", which asks of the owner's own place."""
_NO_LONGER = r"(?<!原来)(?<!以前)(?<!之前)(?<!原先)(?<!过去)"
"""Not where it was before ("原来在沈阳", "原来注册在沈阳")."""
_LOCATED_BEFORE = re.compile(rf"{_NO_LONGER}(?<!不)(?<!不是)(?:在|落户|位于|搬到|迁到|落到)$")
_LOCATED_AFTER = re.compile(r"[市区县]?(?:这边|那边)?(?:做|开(?!会)|办(?!事)|搞|注册|经营|生产|干|建厂|设厂|有(?:个|家|一家)?(?:厂|公司))")
"""Located: "在宁波北仑做模具", "落户在甘井子注册"; not "在大连的政策里", "不在大连", "在沈阳开会时听说"."""
_REGISTERED_BEFORE = re.compile(rf"{_NO_LONGER}(?<!打算)(?<!准备)(?<!计划)注册(?:地)?(?:在|于|是)$")
_GREETING = r"(?:你好|您好|请问|老师)?[，,\s]*"
_OPENING = re.compile(_GREETING)
"""What may come before the place an owner opens with ("大连金州区的，…")."""
_OWN_OPENING = re.compile(
    rf"{_GREETING}(?:我们|俺们|咱们|我家|我司|本公司)(?:公司|厂|企业|这边|家)?(?:是|就是)?(?:(?:就|也)?(?:在|位于|注册在))?$")
"""The owner's own enterprise named before the place it opens with ("我们厂就在大连北站边上")."""
_INTRODUCED_AFTER = re.compile(
    r"[^，,。；;！!？?]{0,12}?的(?:[，,、]|$)|"
    r"[^，,。；;！!？?的]{0,8}?(?:路|街|道|村|镇|乡|园|港|站|广场|桥|湾)(?:那边|这边|那块|这块|一带|附近|边上)的?[，,]")
"""How an owner opens by saying where the enterprise is: "大连金州区的，", "武义做保温杯的，",
"河南许昌长葛的，", "甘井子区华北路那边，" (a street or a port near it); not "大连的政策里…",
"杭州做跨境电商的有补贴", "深圳那边，补贴比东莞高" (over there)."""


_ASKED_ONE = re.compile(r"(?:只|就|单|先)问(?:问)?(?:我们?|俺们?|咱们?)?([^，,。；;？?！!]{1,8}?)(?:这家|那家|这个厂|这个公司)")
_TWO_ENTERPRISES = re.compile(r"两家|两个(?:厂|公司|企业)|各有一家|另一家|另外一家|一个在|一家在")
_SENTENCE = re.compile(r"[^；;。！!？?\n]+")


def _the_one_asked(text: str, named: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """When the owner speaks of two enterprises and asks about one ("一个在诸暨…；一个在
    义乌…这回只问义乌这家"), the sentences about the other (naming a place off the asked
    one's chain, and none inside it) are blanked, same length, and its places dropped."""
    asked_at = _ASKED_ONE.search(text)
    if asked_at is None or not _TWO_ENTERPRISES.search(text, 0, asked_at.start()):
        return text, named
    places = gazetteer()
    resolved = [(m, name) for m, name in places.resolve(places.mentions(text, informal=True), named) if name]
    asked = {name for m, name in resolved if asked_at.start(1) <= m.start < asked_at.end(1)}
    if not asked:
        return text, named

    def within(name: str) -> bool:
        return any(name == a or a in places.ancestors(name) for a in asked)

    for sentence in _SENTENCE.finditer(text[:asked_at.start()]):
        inside = [name for m, name in resolved if sentence.start() <= m.start < sentence.end()]
        if any(not _on_a_chain(name, asked) for name in inside) and not any(within(name) for name in inside):
            text = _blank(text, sentence.start(), sentence.end())
    return text, tuple(name for name in named if _on_a_chain(name, asked))


def _on_a_chain(name: str, others) -> bool:
    """`name` is one of `others`, inside one, or contains one (北仑区 and 宁波市)."""
    places = gazetteer()
    return any(name == other or other in places.ancestors(name) or name in places.ancestors(other) for other in others)


def _own_places(text: str, named: tuple[str, ...]) -> tuple[str, ...]:
    """The places of `named` the owner does not name as somewhere else: where hires come
    from ("从上海、深圳挖几个工程师"), a place nearby ("离义乌也就几十公里") or another
    place's policy ("金华那边的奖励"). All of them when every one is named so."""
    places = gazetteer()
    mentions = places.mentions(text, informal=True)
    elsewhere: set[str] = set()
    previous_elsewhere, previous_end = False, -1
    resolved = [(mention, name) for mention, name in places.resolve(mentions, named) if name]
    marked = []
    for mention, name in resolved:
        before, after = text[max(0, mention.start - 2):mention.start], text[mention.end:mention.end + 2]
        # A place listed after another ("金华和义乌") is named as that one is; its 和 compares nothing.
        listed = previous_end >= 0 and text[previous_end:mention.start] in _LISTED_WITH
        # Places in a row share how they are named ("离郑州新郑机场…", "跟辽宁本溪桓仁隔着").
        in_a_row = previous_elsewhere and previous_end == mention.start
        previous_elsewhere = bool((previous_elsewhere if listed else _ELSEWHERE_BEFORE.search(before))
                                  or _ELSEWHERE_AFTER.match(after) or in_a_row)
        previous_end = mention.end
        marked.append(previous_elsewhere)
    # ...and places listed before one named elsewhere after them ("金华和武义那边的奖励").
    for i in range(len(resolved) - 2, -1, -1):
        if marked[i + 1] and text[resolved[i][0].end:resolved[i + 1][0].start] in _LISTED_WITH:
            marked[i] = True
    elsewhere = {name for (_, name), away in zip(resolved, marked) if away}
    own = tuple(name for name in named if name not in elsewhere) or named
    # Where it is located ("在宁波北仑做模具") outweighs a place asked about ("大连对外资也有
    # 奖励，我们能申请吗"): the places on the located one's chain are kept.
    # Places named in a row ("在宁波北仑做") are located together.
    runs: list[list] = []
    for mention, name in places.resolve(mentions, own):
        if runs and runs[-1][-1][0].end == mention.start:
            runs[-1].append((mention, name))
        else:
            runs.append([(mention, name)])
    runs = [[(m, name) for m, name in run if name] for run in runs]
    runs = [run for run in runs if run]
    # A run names one place, its innermost ("注册在大连甘井子区": 甘井子区, not every 大连 district).
    spans = [(run[0][0].start, run[-1][0].end, _innermost([name for _, name in run])) for run in runs]
    # Where it is registered outweighs every other place (a branch, an office elsewhere); then
    # where it is said to be located; then the place the owner opens with ("大连金州区的，…
    # 听说甘井子区有补贴").
    registered = {name for start, _, name in spans if _REGISTERED_BEFORE.search(text[max(0, start - 5):start])}
    located = {name for start, end, name in spans
               if _LOCATED_BEFORE.search(text[max(0, start - 4):start]) and _LOCATED_AFTER.match(text, end)}
    opening = set()
    if spans:
        start, end, name = spans[0]
        if (_OPENING.fullmatch(text[:start]) and _INTRODUCED_AFTER.match(text, end)) or _OWN_OPENING.fullmatch(text[:start]):
            opening = {name}
    for preferred in (registered, located, opening):
        kept = tuple(name for name in own if _on_a_chain(name, preferred))
        if kept:
            return kept
    return own


def _innermost(names: list[str]) -> str:
    places = gazetteer()
    return max(names, key=lambda name: len(places.ancestors(name)))


_CORRECTION = re.compile(r"(?:哦|噢|啊)?(?:不对不对|(?<!对)不对|说错了|口误|更正一下|纠正一下)[，,。！!…]")
_SAID_BEFORE = re.compile(r"[，,。；;！!？?]")


def _without_retracted(text: str) -> str:
    """`text` with what the owner took back blanked out, same length: the phrase right before
    "不对" / "说错了" ("我们是小微企业……不对不对，去年已经进规上了" holds 规上, not 小微).

    Example:
        >>> _without_retracted("我是个体户……哦不对，前年转成公司了")
        '我是，，，，，哦不对，前年转成公司了'
    """
    for match in reversed(list(_CORRECTION.finditer(text))):
        head = text[:match.start()].rstrip("…. 、，,。！!？?")
        start = max((m.end() for m in _SAID_BEFORE.finditer(head)), default=0)
        # The subject ("我是", "我们是") stays: only what it was said to be is taken back.
        start += re.match(r"(?:我们|我|咱们|咱|俺们|俺)?(?:是|算|属于)?", text[start:match.start()]).end()
        text = _blank(text, start, match.start())
    return text


def _pending(text: str, start: int, end: int, vocabulary) -> bool:
    """Whether the title at text[start:end] is still applied for (see `_PENDING_AFTER`)."""
    if _PENDING_BEFORE.search(text[max(0, start - 8):start]):
        return True
    after = _PENDING_AFTER.match(text, end)
    if after is None:
        return False
    rest = re.split(r"[，,。；;！？!?]", text[after.end():], maxsplit=1)[0]
    return not (vocabulary.kinds_at(rest) or _GRANT_NOUN.search(rest))


_GRANT_NOUN = re.compile(r"补助|补贴|奖励|资金|政策|扶持|贷款|项目")


def _lost(text: str, end: int, vocabulary) -> bool:
    """Whether the owner says the title ending at `end` was lost (see `_LOST`): in one of the
    four clauses after it, before the sentence ends or another title is named.

    Example:
        >>> _lost("高企证书是2020年拿的，去年到期重新认定没通过，现在没有了。", 2, terms())
        True
        >>> _lost("专精特新是前年评上的，还在有效期里。高企去年没通过", 4, terms())
        False
        >>> _lost("我们是高新技术企业，去年环评没通过，银行授信被取消了", 9, terms())
        False
    """
    sentence = re.split(r"[。；;！!？?\n]", text[end:], maxsplit=1)[0]
    others = vocabulary.kinds_at(sentence)
    if others:
        sentence = sentence[:min(start for _, start, _ in others)]
    clauses = [c.strip() for c in re.split(r"[，,]", sentence)][:4]
    return any(_LOST.search(clause) for clause in clauses)


def _enterprise_place(named: tuple[str, ...]) -> str:
    """Where the enterprise is among the places a question names: the innermost when they
    lie on one chain ("入驻甘井子区大连生态科技创新城": 甘井子区, not 大连市), else the last
    named ("原来在沈阳，现在搬到大连了")."""
    if not named:
        return ""
    places = gazetteer()
    innermost = _innermost(list(named))
    on_one_chain = all(name == innermost or name in places.ancestors(innermost) for name in named)
    return innermost if on_one_chain else named[-1]


def checked_profile(
    region: str, industry: str = "", size: str = "", titles=(), title_levels: dict | None = None, extra_sizes=(),
    said: str = "",
) -> tuple[Profile, tuple[str, ...]]:
    """A profile from what a form or the API sent, checked; what could not be used is
    said (in Chinese) and left out, never guessed. `said`: the owner's own words, when the
    profile was read from a question; else the place as typed ("甘井子区生态科技创新城")."""
    vocabulary = terms()
    region = (region or "").strip()
    said = said or region
    if not region:
        raise InvalidRequest("请告诉我企业所在的地区（如“大连市甘井子区”），才能对照当地政策。")
    if not is_region(region):
        named = find_regions(region, informal=True)
        if not named:
            raise InvalidRequest(f"没有识别出“{region[:20]}”这个地区。请填写中国的省、市或区县名称，如“大连市甘井子区”。")
        region = named[-1]
    assumed: list[str] = []
    sizes = list(extra_sizes) or ([size] if size else [])
    if len(set(sizes)) > 1:
        assumed.append(f"同时写了{'和'.join(sizes)}，无法确定企业规模，以下不按规模筛选。")
    elif size and size not in vocabulary.sizes:
        assumed.append(f"企业规模“{size[:20]}”无法识别（可选：{'、'.join(vocabulary.sizes)}），以下不按规模筛选。")
    unsettled = len(set(sizes)) > 1 or bool(size and size not in vocabulary.sizes)
    if unsettled:
        size = ""
    known, unknown = [], []
    title_levels = dict(title_levels or {})
    for title in titles or ():
        name = vocabulary.who_in(title)
        (known if name and name[0] not in vocabulary.sizes else unknown).append(name[0] if name else title)
        at = _find_title(title, name[0]) if name else -1
        level = _level_before(title[:at]) if at > 0 else ""
        if name and level:
            title_levels.setdefault(name[0], level)
    if unknown:
        assumed.append(f"资质或企业类型“{'、'.join(u[:20] for u in unknown)}”无法识别，已忽略（可选：{'、'.join(vocabulary.titles)}等）。")
    written = (industry or "").strip()
    industry = vocabulary.business_in(written) if written else ""
    if written and not industry:
        assumed.append(f"行业“{written[:20]}”不在政策文件常用的行业中，以下按不限行业对照。")
    return Profile(region, industry, size, tuple(dict.fromkeys(known)), title_levels, said, unsettled), tuple(assumed)


SOLE_TRADER = "个体工商户"
"""A size of its own: a grant naming no one is for enterprises, and a 个体工商户 is one only where
the clause speaks of every business, of whoever hires, starts up or pays tax."""
COOPERATIVE = "农民专业合作社"
"""Not an enterprise either, though it may process and sell in its own name."""
_OWN_COMPANY = re.compile(r"(?<![没未])(?<!没有)注册(?:的|了)(?!是合作社)[^，,。；;！!？?]{0,12}?(?:公司|企业)")
"""A company the owner of a 合作社 also runs ("在市区注册的大米加工公司"); not one he has not
registered ("没单独注册公司", "公司还没注册", "还没有注册的公司", "注册的是合作社不是公司")."""
_SMES = re.compile(r"中小微|中小企业|中小型")
"""A grant for small enterprises that names 中型 ones with them."""
_EVERY_BUSINESS = re.compile(r"市场主体|经营主体|经营者|商户|用人单位|创业者|创业|纳税人|个人|从业|就业")


def match(records: list[BenefitRecord], profile: Profile, assumed: tuple[str, ...] = (),
          today: datetime.date | None = None) -> MatchResult:
    """Every item `profile` may qualify for, sorted by amount, and those it cannot settle."""
    today = today or datetime.date.today()
    chain = set(gazetteer().chain(profile.region)) or {profile.region}
    vocabulary = terms()
    held = set(profile.titles) | {vocabulary.implies[t] for t in profile.titles if t in vocabulary.implies}
    # A trade's enterprises are those that trade: not a 个体工商户, nor a park, platform or
    # service the owner says sells nothing itself ("我们自己不卖货，只收服务费").
    trading = profile.size != SOLE_TRADER and not _SELLS_NOTHING.search(profile.said)
    # Neither a 个体工商户 nor a 农民专业合作社 (unless its owner runs a company too) is an enterprise.
    enterprise = profile.size != SOLE_TRADER and (COOPERATIVE not in held or bool(_OWN_COMPANY.search(profile.said)))
    # An enterprise that is one of a trade's kinds (外贸企业) is in that trade whatever it makes.
    trades = set(vocabulary.industry_chain(profile.industry)) | {
        trade for trade in (vocabulary.industry_in(kind) for kind in held if kind.endswith("企业")) if trade}
    matched: list[MatchedItem] = []
    unsure: list[MatchedItem] = []
    other_industries = 0
    other_zones: Counter[str] = Counter()
    other_sizes = 0
    caps = getattr(records, "caps", {})
    if isinstance(records, BenefitRecords):
        records = records.in_regions(chain)  # a million items: only the chain's regions'
    for record in records:
        document = record.document
        if document.region not in chain:
            continue
        place = _applies_to(record)
        inside = place not in chain and profile.region in gazetteer().ancestors(place)
        if place not in chain and not inside:
            continue  # another district of the same city
        status = _status(record.item, profile, held, trades, trading, enterprise, vocabulary)
        if status is None:
            other_industries += bool(not profile.industry and record.item.industry)
            continue
        until, expired = term_of(getattr(document, "validity", ""), document.date, today)
        if status == _SIZE_UNSAID:
            # Every enterprise has some size; listing each size's grants to one that did
            # not say would promise a 个体工商户's relief to a factory.
            other_sizes += not expired
            continue
        elsewhere = _zones_not_said(record.item, profile)
        if elsewhere:
            # Only for the enterprises of one zone ("生态科技创新城"), and the owner did not say
            # they are there: most of the city is not, so the item is counted, not listed.
            other_zones.update(() if expired else elsewhere)
            continue
        if inside:
            status = CHECK  # for one district of the profile's city: is the enterprise there?
        entry = MatchedItem(record, status, until, expired)
        (matched if status == MATCH else unsure).append(entry)
    zones = sorted({c[len(_IN_ZONE):] for m in (*matched, *unsure) for c in m.record.item.conditions
                    if c.startswith(_IN_ZONE) and _in_zone(c, profile)})
    if zones:
        assumed = (*assumed, f"按企业位于{'、'.join(zones)}对照：只面向那里企业的条目已按符合所在地列出。")
    for zone, count in sorted(other_zones.items()):
        place = zone if zone.startswith(profile.region) else f"{profile.region}{zone}"
        assumed = (*assumed, f"另有 {count} 项只面向位于{zone}的企业，未列出；如企业位于那里，请在提问或所在地中写明（如“{place}”）。")
    if other_sizes:
        assumed = (*assumed, f"未说明规模：另有 {other_sizes} 项只面向某一规模（如小微企业、个体工商户）的条目未列出，填写规模后可查看。")
    if other_industries:
        assumed = (*assumed, f"未说明行业：另有 {other_industries} 项只面向特定行业（如物流、养老、集成电路）的条目未列出，填写行业后可查看。")
    return MatchResult(profile, tuple(sorted(matched, key=MatchedItem.sort_key)),
                       tuple(sorted(unsure, key=MatchedItem.sort_key)), assumed, caps)


def _status(item: BenefitItem, profile: Profile, held: set[str], trades: set[str], trading: bool,
            enterprise: bool, vocabulary) -> str | None:
    # "对获得国家级认定的企业…": a recognition the profile cannot be checked against.
    status = CHECK if item.title_level and not item.who else MATCH
    # A grant naming no one is for enterprises; one that is none is served where the clause
    # speaks of every 市场主体.
    if not item.who and not enterprise and not _EVERY_BUSINESS.search(item.quote):
        return None
    size_unsaid = False
    industries = vocabulary.industry_chain(profile.industry)  # 装备制造 takes 制造业's grants
    for who in item.who:
        if who in vocabulary.titles:
            if who not in held:
                return None
            level = profile.title_levels.get(who) or profile.title_levels.get(_holder_of(who, profile))
            if item.title_level and level and _LEVEL_RANK[level] < _LEVEL_RANK[item.title_level]:
                return None
            if item.title_level and not level:
                status = CHECK
        elif who in vocabulary.sizes:
            if profile.size == MEDIUM and who == SMALL and _SMES.search(item.quote):
                continue  # "中小微企业": 中型 ones too
            if profile.size == MEDIUM and who == LARGE:
                status = CHECK  # a 中型 enterprise is mostly 规模以上 too, by the statistics' line
                continue
            if profile.size and profile.size != who:
                return None
            if profile.size_unsettled:
                status = CHECK
            size_unsaid = not profile.size and not profile.size_unsettled
        elif who not in held:
            # An item for 外资企业, 总部企业…: the profile would say so. One for the
            # enterprises of the profile's industry (集成电路企业) is its own; one for a team, a
            # talent or a platform of that industry is not.
            # A non-profit one (非营利体育服务企业) is not the trade's enterprises at large either.
            industry = vocabulary.industry_in(who)
            if not (industry and industry in industries and who.endswith(("企业", "公司", "厂"))) or "非营利" in who:
                return None
            if not trading:
                return None
    if item.industry and not set(item.industry.split(INDUSTRY_SEPARATOR)) & trades:
        return None  # limited to other industries, or to ones the profile is not in
    if size_unsaid:
        return _SIZE_UNSAID
    if any(condition in vocabulary.undecided for condition in item.conditions):
        status = CHECK  # "对新引进的…": is the enterprise new here?
    return status


def _zones_not_said(item: BenefitItem, profile: Profile) -> tuple[str, ...]:
    """The zones of `item`'s "位于…" conditions the owner's words do not place the enterprise
    in, each by its own name (生态科技创新城 for 大连生态科技创新城 too)."""
    names = (_zone_name(c[len(_IN_ZONE):]) for c in item.conditions if c.startswith(_IN_ZONE))
    return tuple(name for name in names if not _said_to_be_in(name, profile))


_IN_ZONE = "位于"
_ZONE_NAME_CHARS = 4


def _in_zone(condition: str, profile: Profile) -> bool:
    """Whether the owner's words place the enterprise in the zone of a "位于…" condition, by
    its name with or without the places it opens with (大连生态科技创新城 ~ 生态科技创新城).

    Example:
        >>> _in_zone("位于大连生态科技创新城", Profile("甘井子区", said="我们入驻了生态科技创新城"))
        True
        >>> _in_zone("位于生态科技创新城", Profile("甘井子区", said="甘井子区"))
        False
        >>> _in_zone("位于生态科技创新城", Profile("甘井子区", said="我们还没入驻生态科技创新城"))
        False
        >>> _in_zone("位于沈阳浑南科技城", Profile("甘井子区", said="我们在大连生态科技城"))
        False
    """
    return _said_to_be_in(_zone_name(condition[len(_IN_ZONE):]), profile)


def _said_to_be_in(zone_name: str, profile: Profile) -> bool:
    at = profile.said.find(zone_name)
    return at >= 0 and not _DENIED_BEFORE.search(profile.said[max(0, at - 8):at])


def _zone_name(zone: str) -> str:
    """A zone's name without the places it opens with (大连生态科技创新城 → 生态科技创新城),
    unless too little is left to name one zone (浑南科技城 stays whole, 科技城 names none)."""
    core = zone
    for mention in gazetteer().mentions(zone, informal=True):
        if mention.start == len(zone) - len(core):
            core = zone[mention.end:]
    return core if len(core) >= _ZONE_NAME_CHARS else zone


def _level_before(text: str) -> str:
    """The level word `text` ends with, if any ("评上省级" → provincial).

    Example:
        >>> _level_before("评上省级"), _level_before("我们是温县"), _level_before("国家")
        ('provincial', '', 'national')
    """
    text = text.rstrip("“\"的")
    return next((lv for lv, forms in _LEVEL_BEFORE if any(text.endswith(f) for f in forms)), "")


def _applies_to(record: BenefitRecord) -> str:
    """The place an item is for: a district its clause's heading names inside a city's
    document (a bulletin's "惠济区出台助企“三十条”"), else the document's region."""
    return clause_region(ClauseHit(record.clause, record.document, 0.0))


def _holder_of(title: str, profile: Profile) -> str:
    return next((t for t in profile.titles if terms().implies.get(t) == title), "")


def _find_title(text: str, title: str) -> int:
    # A candidate for a title (隐形冠军培育企业) is written with the title's own forms.
    forms = terms().who.get(title) or terms().who.get(title.removesuffix("培育企业"), ())
    for form in sorted(forms, key=len, reverse=True):
        at = text.find(form)
        if at >= 0:
            return at
    return -1


def _level_name(level: str) -> str:
    return {"national": "国家级", "provincial": "省级", "city": "市级", "district": "区级"}.get(level, "")


def item_ceiling(item: BenefitItem) -> int:
    """The most one item can bring, in yuan, where the text says (a per-unit amount counts
    only through its cap)."""
    if item.per_unit and item.amount_yuan:
        return item.cap_yuan or 0
    return item.amount_yuan or item.cap_yuan or 0


def amount_text(item: BenefitItem) -> str:
    """An item's figure as a reader wants it: 最高200万元, 50%（最高300万元）, 每人3000元…

    Example:
        >>> amount_text(BenefitItem("c", "d", "补贴", "q", rate=0.3, cap_yuan=2_000_000))
        '30%，最高200万元'
        >>> amount_text(BenefitItem("c", "d", "奖励", "q", amount_yuan=500_000, tiers=(100_000, 500_000)))
        '10万元–50万元（分档）'
    """
    if item.rate is not None:
        # A multiple of a cost (按月租金的3倍) reads as 3倍, not 300%.
        text = f"{item.rate:g}倍" if item.rate > 1 else f"{item.rate * 100:g}%"
        return text + (f"，最高{yuan(item.cap_yuan)}" if item.cap_yuan else "")
    if item.tiers:
        return f"{yuan(min(item.tiers))}–{yuan(max(item.tiers))}（分档）"
    if item.amount_yuan:
        unit = f"{item.per_unit}" if item.per_unit else ""
        capped = f"，最高{yuan(item.cap_yuan)}" if item.cap_yuan else ""
        return f"{unit}{yuan(item.amount_yuan)}{capped}"
    if item.amount_text:  # as written, with what it is per and its cap: 每增加出口1美元0.02元，最高10万元
        return f"{item.per_unit}{item.amount_text}" + (f"，最高{yuan(item.cap_yuan)}" if item.cap_yuan else "")
    return f"最高{yuan(item.cap_yuan)}" if item.cap_yuan else "见原文"


def yuan(value: int | None) -> str:
    """Yuan as policy texts write them: 2000000 → 200万元, 150000000 → 1.5亿元.

    Example:
        >>> yuan(2_000_000), yuan(150_000_000), yuan(3_000), yuan(15_000), yuan(12_345_678)
        ('200万元', '1.5亿元', '3000元', '1.5万元', '1234.5678万元')
    """
    if not value:
        return ""
    for size, unit in ((100_000_000, "亿元"), (10_000, "万元")):
        if value >= size:
            return f"{value / size:.4f}".rstrip("0").rstrip(".") + unit
    return f"{value}元"
