"""Reading a question: validation, the slots it names (region, level, topic), what kind
of fact it asks for, and the rewrite of a follow-up into a standalone question.

The extractive answerer has no model to condense "那省级的呢？" with the history, so the
rewrite here carries the previous question's region and topic and replaces only the slot
the follow-up changes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from assistant.errors import QuestionRejected
from assistant.privacy import find_pii
from knowledge.regions import RANKING_AFTER, gazetteer, is_region, region_mentions

# Policy levels as users write them; the first form of each tuple is canonical.
LEVEL_FORMS: dict[str, tuple[str, ...]] = {
    "国家级": ("国家级", "国家"),
    # 省里 alone is the provincial government (省里能补多少); 省里认定的 is a provincial title.
    "省级": ("省级", "省里认定", "省里评", "省认定"),
    "市级": ("市级", "市里认定", "市里评", "市认定"),
    "区级": ("区级", "县级", "区里认定", "区里评", "县里认定", "县里评"),
}
_LEVEL_PATTERN = re.compile("|".join(sorted({f for fs in LEVEL_FORMS.values() for f in fs}, key=len, reverse=True)))
# In a clause, only the explicit forms: 国家 alone is 国家规定, 国家法律法规 as often as a level.
_STATED_LEVEL = re.compile(r"国家级|省级|市级|区级|县级")


def title_levels(text: str) -> set[str]:
    """The levels of title a clause names in so many words (国家级, 省级…), canonical.

    Example:
        >>> sorted(title_levels("对列入国家级和省级公共海外仓试点的企业，再给予50万元。"))
        ['国家级', '省级']
        >>> title_levels("按国家规定落实税收优惠。")
        set()
    """
    return {_canonical_level(match.group(0)) for match in _STATED_LEVEL.finditer(text)}

# Kinds of enterprise or programme a policy targets; a follow-up may swap one for another.
TOPICS = (
    "专精特新“小巨人”", "专精特新小巨人", "小巨人", "隐形冠军", "单项冠军", "专精特新", "创新型中小企业",
    "高新技术企业", "科技型中小企业", "瞪羚企业", "独角兽", "领军型企业", "规上企业", "小升规",
    "小微企业园", "小微企业", "人才公寓", "骨干人才", "青年人才", "技能人才", "外贸贷", "信用贷款",
    "应急转贷", "政府采购", "研发费用", "技术改造", "出口退税", "证照分离",
    # Lines of business a follow-up keeps ("那人才培养呢？" after a 跨境电商 question) or swaps.
    "跨境电子商务", "跨境电商", "物流", "养老", "集成电路", "融资租赁", "总部企业", "服务贸易", "服务外包",
    "农产品加工", "体育产业", "创业投资", "创投", "外贸", "众创空间", "孵化器",
)
_TOPIC_PATTERN = re.compile("|".join(map(re.escape, sorted(TOPICS, key=len, reverse=True))))

# A filler word only when something follows it apart (额度, 行政 are words of their own).
_INTERJECTION = r"(?:(?:嗯+|哦+|噢|呃|额|好的?|行)(?=[，,、\s]|那|还有|另外|这))?[，,、\s]*"
_FOLLOW_UP_START = re.compile(rf"^{_INTERJECTION}(那么|那|还有|另外|如果是|要是|换成|改成)")
_FOLLOW_UP_END = re.compile(r"(呢|的呢|怎么样|如何)[？?。!！]*$")
_FILLERS = re.compile(rf"^{_INTERJECTION}(那么|那(?!笔)|还有|另外|如果是|要是|换成|改成)|^{_INTERJECTION}|(的呢|呢|的)?[？?。!！]*$")
POINTING_WORDS = r"(?:这个|这项|这笔|这种|这些|这钱|那笔|它|该)"
"""Words that point back at what was asked before (这个, 这笔, 该项)."""
_POINTS_BACK = re.compile(rf"^{_INTERJECTION}(?:那么|那)?{POINTING_WORDS}")
"""A follow-up whose subject is the previous question's (嗯那这个是每年都给，还是就给一回？)."""

_MONEY_NAMED = r"多少(?![天年月日个次])[\u4e00-\u9fff]{0,2}(?:费|奖金|资金|款)"
"""多少安家费, 多少管理费: a sum named by what it pays for (not 多少天拨款)."""

# What kind of fact a question asks for, and how such a fact looks in a clause.
FACT_KINDS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    # Whether something counts as what a rule names ("风控主管算不算高管"): the sentence that
    # says what the rule means by it (本条款所称高级管理人员，包括…).
    "scope": (
        re.compile(r"算不算|属不属于|包不包括|包括不包括|是否属于|是否包括"),
        re.compile(r"所称|是指|系指"),
    ),
    # An age limit (80周岁以上, 35岁以下): asked as 多大岁数, 几岁, 年龄多大; before the grant it
    # is a limit of ("高龄补贴多大岁数能领" asks the age).
    "age": (
        re.compile(r"(?:多大|多少)(?:的)?(?:岁数|年纪|年龄)|(?:几|多少)(?:周)?岁|年龄(?:多大|上限|下限|限制是多少)|"
                   r"(?:岁数|年纪)(?:多大|要多大|得多大)"),
        re.compile(r"(?:\d+|[一二两三四五六七八九十]+)\s*周?岁"),
    ),
    "amount": (
        re.compile(
            rf"多少钱|多少万|[奖补返贴给拿领贷借融]多少|封顶(?:是|在)?多少|多少封顶|是否封顶|有没有封顶|"
            rf"(?:上限|最高|最多)(?:是|有|能|可以?)?(?:给|拿|补|奖)?多少(?=[？?。，,！!吗呢啊]|$|万|元|钱|块)|{_MONEY_NAMED}|(?:奖励|补助|资助|补贴|扶持)多少|标准(?:具体)?(?:是)?多少|金额|额度|多少资金|投资多少|投放|"
            r"奖励|补助|资助|补贴|贴息|奖补"
        ),
        re.compile(r"\d[\d.,]*\s*(?:余|多)?(?:[万亿]?元|万|亿)|[一二三四五六七八九十百千]+万元"),
    ),
    "ratio": (
        re.compile(r"比例|比重|百分之|率|占比|增长多少|提高多少|压减|下降多少"),
        re.compile(r"\d[\d.]*\s*[%％]|百分之"),
    ),
    "date": (
        re.compile(r"什么时候|啥时候|何时|哪天|哪一天|几号|日期|时间|期限|哪一?年|几月|截至|起施行|开始实施"),
        # Policy texts also date by the part of a month or year (3月底前, 年底前) and from
        # the day of issue (自发布之日起施行).
        re.compile(
            r"\d{4}年(?:\d{1,2}月)?(?:\d{1,2}日)?|[〇零一二三四五六七八九]{4}年|\d{1,2}月(?:\d{1,2}日|底|末|初|上旬|中旬|下旬)|"
            r"(?:年|季度?|月)(?:底|末)前|(?:发布|印发|公布)之日起|\d+个工作日|\d+周"
        ),
    ),
    # How long (经营六年以上, 补贴期限3年, 30个工作日内): asked as 几年, 多久, 多少天.
    "duration": (
        re.compile(r"几年|多少年|多久|多长时间|几个月|多少个月|几天|多少天|几个工作日|多少个工作日"),
        # 一年期贷款利率 names a kind of loan, not how long anything lasts.
        re.compile(r"(?:\d+\s*|[一二三四五六七八九十两]+)(?:个)?(?:年|月|日|天|工作日)(?!期(?:贷款|存款|利率|LPR|国债))"),
    ),
    "area": (
        re.compile(r"多大(?:的)?(?:面积|地方|场地)|面积(?:有|是)?多(?:大|少)|(?:多少|几)(?:平方米|平方|平米|平(?![台价])|亩|公顷)"),
        re.compile(r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千]+)\s*(?:平方米|平米|㎡|亩|公顷)"),
    ),
    # What a grant may be spent on (咋花, 能用来干啥): 用于…, 专款专用, 不得用于….
    "use": (
        re.compile(r"咋花|怎么花|怎样花|用途|花在哪|(?:钱|资金|补贴|补助|奖励|奖金|扶持)[^，,。？?]{0,6}(?:怎么用|咋用|用在哪|"
                   r"(?:能|可以)?用来(?:干|做)?(?:啥|什么)|用于(?:啥|什么|哪)|(?:干|做)(?:啥|什么)用)"),
        re.compile(r"用于|用途|专款专用|使用范围"),
    ),
    "doc_number": (
        re.compile(r"文号|哪个文件|什么文件|依据"),
        # 〔2015〕68号 as printed, and as typed elsewhere: [2015]32号, (2019)5号, 〔2021〕第12号.
        re.compile(r"[〔\[［(（]\d{4}[〕\]］)）]第?\d+号"),
    ),
    "contact": (
        re.compile(r"电话|联系|咨询|联系人|热线"),
        re.compile(r"\d{3,4}-\d{7,8}|联系人|联系电话|热线"),
    ),
    "count": (
        re.compile(r"多少家|(?<![们好哪])几家|(?<![们好])(?:多少|(?<!哪)几)个(?!部门|单位|机构)|多少项|(?<!哪)几项|多少场|(?<!哪)几场|多少人|多少名|多少套|多少次|人次|目标|"
                   r"多少(?:企业|人才|项目|平台)"),
        # 至少建设一个物流中心, 认定三家: small counts are written in characters.
        re.compile(r"\d[\d.]*\s*(?:万)?(?:余|多)?(?:家|个|项|场|人次|人|名|套|次|份|座|本)|"
                   r"(?<![统唯第每同任某单])[一二两三四五六七八九十]+(?:家|个(?!年度|自然年)|项|场|座|所)"),
    ),
    "who": (
        re.compile(r"哪个(?:部门|单位|局|机构|委)|哪家(?:单位|部门|机构)|(?:哪几|哪些|几)个?(?:部门|单位)|谁(?:来)?(?:负责|管|评?审|批|办|解释|牵头|受理|认定|制定|定)|(?:部门|单位|机构)(?:是|为)(?:谁|哪)|"
                   r"由谁|找谁|向谁|主管部门|牵头(?:单位|部门)|负责解释|归(?:哪|谁)管|"
                   r"(?:去|到|在)?哪(?:里|儿)(?:申请|申报|提交|办理|办)"),
        # 由…局(统一)受理, 向市发展改革委提出验收申请: the body that takes it.
        re.compile(r"[\u4e00-\u9fff]{1,12}?(?:局|委员会|委|厅|办公室|管委会|部门|人民政府|政府|中心|办|机构|小组|分行|支行)"
                   r"[^，。；]{0,6}?(?:负责|牵头|会同|解释|组织|受理|审核|审查|审批|验收|出具|开具)|"
                   # 市外经贸局和市财政局为本规定的具体实施部门 (not 经市商务局认定为示范单位)
                   r"(?:局|委员会|委|厅|办公室|管委会|政府)[^，。；]{0,12}?为(?:本(?:规定|办法|政策|措施|意见)的)?"
                   r"(?:具体)?(?:实施|主管|牵头|责任|执行)(?:部门|单位|机构)|"
                   r"向[^，。；]{1,15}?(?:局|委员会|委|厅|办公室|管委会|部门|政府|中心)(?:提出|提交|申报|报送|申请)"),
    ),
    "list": (
        # 条件 asked about ("看啥条件", "申请条件是"), not a circumstance told ("地质条件不行").
        re.compile(r"哪些|有什么|包括|都有|(?:啥|什么|哪些|有|需要|要|满足|具备|符合|申请|申报|认定|享受)条件|"
                   r"条件(?:是|有|呢|吗|要求|[？?，,]|$)|措施|怎么申请|如何申请|流程"),
        re.compile(r"[、；;]|一是|二是|\(\d\)|（\d）"),
    ),
}

ASKING_WORDS = re.compile(
    r"(?:几|多少)(?:个|大)?(?:家|个|场|项|次|年|天|月|倍|人|名|座|件|条|种|类|批|万|钱|元)?|多长时间|多长|多久|多大|"
    r"哪(?:一|几)?(?:个|些|里|儿|年|天|家|种|类)?|什么时候|啥时候|什么|啥|咋|怎么样|怎么|如何|"
    r"能不能|可不可以|有没有|是不是|要不要|会不会|能否|是否|可以|能(?=[^源力效耗级])|"
    r"要是|如果|假如|的话|大概|大约|左右|一共|总共|现在|目前|自己|这块|那套|那个|这个|具体|到底|请问|一下"
)
"""The words a question asks with (几家, 多长时间, 能不能, 要是…的话, 大概): how it asks, not
what it asks about. Cut from the question before its content words are read for coverage."""

BENEFIT_LIST = re.compile(
    r"(?:有|都有|能享受|可以享受|能拿到?|可以拿到?|能得到|能获得|可以获得|能申请|可以申请)(?:哪些|什么|啥)"
    r"(?:奖补|奖励|补贴|补助|扶持|优惠|支持|政策|资金)|"
    r"哪些[\u4e00-\u9fff]{0,2}(?:奖补|奖励|补贴|补助|扶持|优惠|支持|照顾)|"
    r"(?:奖补|奖励|补贴|补助|扶持|优惠|支持)(?:政策|措施|资金)?(?:都)?有(?:哪些|什么|啥)"
)
"""A question for the grants on a subject, one by one ("大连物流企业有哪些奖补")."""


def asks_for_benefit_list(text: str) -> bool:
    """Example:
        >>> asks_for_benefit_list("大连物流企业有哪些奖补？"), asks_for_benefit_list("物流奖补是多少？")
        (True, False)
        >>> asks_for_benefit_list("办民办养老院能拿到哪些补贴？"), asks_for_benefit_list("给企业哪些财税支持？")
        (True, True)
        >>> asks_for_benefit_list("引导基金能通过哪些方式支持我们？")
        False
    """
    return bool(BENEFIT_LIST.search(text)) and not _WAYS_ASKED.search(text)


_WAYS = r"(?:方式|途径|渠道|路子|措施|举措|办法)"
_WAYS_ASKED = re.compile(rf"(?:哪些|什么|啥){_WAYS}")
""""能通过哪些方式支持": the ways a measure works, not the grants one can get."""


SEVERAL_ASKED = re.compile(
    r"哪些|哪几(?:个|项|种|类|块|方面|条)|都有(?:啥|什么|哪)|分别|(?:啥|什么)(?:材料|资料|手续|证明|证件)(?!费|方面)|"
    r"(?:还有|有|都)(?:啥|什么)(?:要求|条件|门槛)|"
    rf"(?:有|能|给)(?:啥|什么)(?:支持|扶持|优惠|照顾|帮助|{_WAYS})|(?:什么|啥){_WAYS}"
)


def asks_for_several(text: str) -> bool:
    """The question asks for the several things a clause lists, not one fact.

    Example:
        >>> asks_for_several("大连搞绿色物流都有哪些支持的路子"), asks_for_several("引导基金能通过什么方式支持")
        (True, True)
        >>> asks_for_several("有什么奖励吗"), asks_for_several("补贴多少")
        (False, False)
        >>> asks_for_several("除此以外对设施团队还有啥要求？")
        True
    """
    return bool(SEVERAL_ASKED.search(text))


_GRANT_WORDS = r"(?:奖励|补贴|补助|资助|奖补|返还|贴息|扶持)"
# A rate that is a threshold ("增长10%以上的给予奖励") is a condition, not what is granted.
_THRESHOLD_BEFORE = r"(?<!增长)(?<!提高)(?<!超过)(?<!达到)(?<!不低于)(?<![\d.])"
_THRESHOLD_AFTER = r"(?!\s*(?:及)?(?:以上|以下))"
GRANT_RATE = re.compile(
    rf"{_THRESHOLD_BEFORE}\d+(?:\.\d+)?\s*[%％]{_THRESHOLD_AFTER}(?:的比例)?[^，。；]{{0,6}}?{_GRANT_WORDS}|"
    rf"{_GRANT_WORDS}[^，。；]{{0,12}}?{_THRESHOLD_BEFORE}\d+(?:\.\d+)?\s*[%％]{_THRESHOLD_AFTER}|"
    r"(?<![\d.])\d+(?:\.\d+)?\s*[%％]的(?:资金|经费)|"
    rf"(?<![\d.])(?:\d+(?:\.\d+)?|[一二两三四五六七八九十]+)\s*倍[^，。；]{{0,4}}?{_GRANT_WORDS}"
)
"""A grant stated as a rate ("按50%给予奖励", "补贴标准为实际支出的30%"), a multiple ("按月租金
的3倍进行补助") or a share of money set aside ("留取不低于5%的资金"): it answers "返多少", "拿多少"."""

_NOT_A_TARGET = r"(?<![\d.,])(?<!突破)(?<!力争)(?<!突破 )"
FIGURE_ASKS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "amount": (
        re.compile(rf"多少钱|多少万|[奖补返贴给拿领贷借融]多少|{_MONEY_NAMED}|"
                   r"(?:奖励|补助|资助|补贴|扶持|资金|贴息)(?:是|有|能有)?多少|"
                   r"(?:奖励|补助|资助|补贴|扶持)标准(?:具体)?(?:是)?多少|金额|额度|上限"),
        # A sum the policy aims at (贷款余额突破1400亿元) is a target, not what is given
        # (达到 is not read so: 最高达到100万元 is a cap).
        re.compile(f"{_NOT_A_TARGET}(?:{FACT_KINDS['amount'][1].pattern})|{GRANT_RATE.pattern}"),
    ),
    "ratio": (re.compile(r"比例|百分之(?:几|多少)|百分比|几个点|几成"), FACT_KINDS["ratio"][1]),
    "date": (re.compile(r"什么时候|啥时候|何时|哪天|哪一天|哪一?年|几月|几号"), FACT_KINDS["date"][1]),
    "duration": FACT_KINDS["duration"],
    "area": FACT_KINDS["area"],
    "age": FACT_KINDS["age"],
    # 我们几个退役兵想创业, 注册好几家公司: 几 counts the askers or means "several", it asks no figure.
    # 哪几个区域, 哪几家银行 ask which ones, not how many.
    "count": (re.compile(r"多少家|(?<![们好哪])几家|(?<![们好])(?:多少|(?<!哪)几)个(?!部门|单位|机构)|多少项|(?<!哪)几项|多少人|"
                         r"(?<![们好哪])几人|多少名"),
              FACT_KINDS["count"][1]),
}
"""Questions that ask for a figure in so many words ("补多少", "百分之几", "延了几年"), and
how that figure looks in a clause. Looser wording ("有什么补贴") asks for no figure."""

_MEASURE_WORDS = (
    "倍", "家", "项", "条", "类", "种", "批", "次", "场", "人次", "人", "名", "户", "所", "座", "套", "件", "台",
    "亩", "平方米", "张", "个月", "天", "方面", "领域", "行动", "工程", "环节", "阶段", "步", "级",
)
_ASKED_MEASURE = re.compile(
    r"(?:几|多少)(个)?(大)?(" + "|".join(sorted(_MEASURE_WORDS, key=len, reverse=True)) + ")?"
    r"(?=(.?))"
)
_BARE_ASK_END = "？?。！!，,呢啊吧呀"
_NUMBER = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千]+)"
_ANY_FIGURE = re.compile(r"\d|[一二两三四五六七八九十百千]+(?:万|亿)?(?:元|家|个|项|人|倍)")
_FOCUS_REACH = 6
"""Characters before the question word that name what is counted (已经过会的有几家)."""
_QUESTION_WORD = re.compile(r"几|多少|什么|啥|哪|谁|怎么|如何|是否")


def asked_measure(text: str) -> str | None:
    """The measure word a question counts in ("几倍" -> "倍", "几大方面" -> "方面",
    "多少家" -> "家"), "" when it asks "多少" with no measure ("产值目标多少？"), None when
    it counts nothing. Money (多少钱, 多少万) and time (几年) have their own fact kinds.

    Example:
        >>> asked_measure("按年度目标的几倍建？"), asked_measure("聚焦了几大方面？"), asked_measure("目标多少")
        ('倍', '方面', '')
        >>> asked_measure("奖励多少钱？") is None
        True
    """
    for match in _ASKED_MEASURE.finditer(text):
        counter, _, word, after = match.groups()
        if word:
            return word
        if counter:
            return "个"
        if not after or after in _BARE_ASK_END:
            return ""
    return None


def measure_pattern(measure: str) -> re.Pattern[str]:
    """How a figure in `measure` looks in a clause (1.2倍, 8大方面, 22家, 三个阶段); any
    figure for the bare ""."""
    if not measure:
        return _ANY_FIGURE
    return re.compile(rf"{_NUMBER}\s*(?:余|多)?个?大?{re.escape(measure)}")


def focus_words(text: str, tokens: list[str]) -> set[str]:
    """The tokens just before the question word: what the question counts or asks about
    ("郑州白名单企业里已经过会的有几家" -> 过会, 已经), which the answering sentence must name."""
    match = _QUESTION_WORD.search(text)
    if match is None:
        return set()
    before = text[max(0, match.start() - _FOCUS_REACH):match.start()]
    return {t for t in tokens if len(t) > 1 and t in before}


@dataclass(frozen=True)
class QuestionFrame:
    """问题的槽位：提到的地区、级别、对象，以及所问事实的类型。"""

    text: str
    regions: tuple[str, ...]
    levels: tuple[str, ...]
    topics: tuple[str, ...]
    fact_kinds: tuple[str, ...]
    unresolved: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """全国多处同名、无法从上下文确定的地名：(原文, 可能的地区)。"""
    figures: tuple[str, ...] = ()
    """问题明确要问的数字类型（FIGURE_ASKS 的键），如“补多少”“百分之几”。"""
    measure: str | None = None
    """问题计数所用的量词（“几倍”的“倍”）；只问“多少”为空串；不计数为 None。"""

    def states_a_fact_asked(self, text: str) -> bool:
        """`text` states a fact of every kind the question asks for (a list aside); false
        when it asks for none.

        Example:
            >>> frame("哪个部门牵头管").states_a_fact_asked("落实创业担保贷款政策。（人民银行沈阳分行牵头负责）")
            True
            >>> frame("哪个部门牵头管").states_a_fact_asked("落实创业担保贷款政策。")
            False
        """
        kinds = [kind for kind in self.fact_kinds if kind != "list"]
        return bool(kinds) and all(stated_pattern(kind).search(text) for kind in kinds)

    def states_a_figure_asked(self, text: str) -> bool:
        """`text` holds a figure of a kind the question asks for in so many words (always
        true when it asks for none).

        Example:
            >>> f = frame("众创空间房租补贴按多少比例给？")
            >>> f.states_a_figure_asked("给予适当的财政补贴。"), f.states_a_figure_asked("按租金的50%给予补贴。")
            (False, True)
            >>> frame("个税能返多少？").states_a_figure_asked("地方留成部分按50%给予奖励。")
            True
            >>> frame("返多少？").states_a_figure_asked("营业收入增长10%以上的给予奖励。")
            False
            >>> frame("每年从收益里拿多少建平台？").states_a_figure_asked("每年从收益中留取不低于5%的资金用于平台建设。")
            True
            >>> frame("租办公楼补多少？").states_a_figure_asked("租用办公用房的，按月租金的3倍进行补助。")
            True
            >>> frame("每个县要建几个物流中心？").states_a_figure_asked("每个涉农县至少建设一个综合性物流中心。")
            True
            >>> frame("我们几个退役兵想创业，有场地没？").figures, frame("房租能补百分之多少？").figures
            ((), ('ratio',))
            >>> frame("一个地址能注册好几家公司吗？").fact_kinds
            ()
            >>> "who" in frame("申报材料谁来审？").fact_kinds, "who" in frame("报上去以后是谁来评审的？").fact_kinds
            (True, True)
            >>> frame("全市支持多少平台？").figures, frame("审批通过后多少天拨款？").figures
            ((), ('duration',))
            >>> frame("招商重点推哪几个区域？").figures, frame("重点推几个区域？").figures
            ((), ('count',))
            >>> frame("给这个人多少安家费？").figures, frame("公示多少天？").figures
            (('amount',), ('duration',))
            >>> f = frame("人才公寓一般多大面积？")
            >>> f.figures, f.states_a_figure_asked("提供人才公寓。"), f.states_a_figure_asked("提供90平方米以内的人才公寓。")
            (('area',), False, True)
            >>> f = frame("园区运营商按每入驻一家企业补多少？")
            >>> f.states_a_figure_asked("给予600万元以内的运营费补贴。"), f.states_a_figure_asked("每入驻1家企业，给予园区1万元。")
            (False, True)
            >>> frame("每亩补多少？").states_a_figure_asked("按1000元/亩给予补贴。")
            True
            >>> f = frame("物流企业贷款能贴息多少？")
            >>> f.states_a_figure_asked("落实贴息政策，力争贷款余额突破1400亿元。"), f.states_a_figure_asked("按贷款利息的50%给予贴息。")
            (False, True)
        """
        if not self.figures:
            return True
        if "amount" in self.figures and _PER_UNIT_ASKED.search(self.text) and not _PER_UNIT_SAID.search(text):
            return False  # a sum in all is not what one unit (每入驻一家, 一个人) gets
        return any(FIGURE_ASKS[kind][1].search(text) for kind in self.figures)


_PER_UNIT_ASKED = re.compile(
    r"每[^，。？?\d每]{0,4}?(?:一|1)?(?:家|个|位|人|件|亩|平方米|户|台|套|项|名|张)|(?<![第哪])一(?:个|位)?(?:人|件|张|亩)(?:能|可以|给|补|奖|拿)"
)
_PER_UNIT_SAID = re.compile(r"每|人均|单[个家项件套台]|/\s*[\u4e00-\u9fff]")


_NEXT_STEP = re.compile(
    r"^(?:那|嗯|好的?|行)?[，,]?(?:[^，。？?\d年月天日周]{0,8}?(?:以后|之后|完了|过后)|然后|接下来|下一步|再往后)"
    r"(?:呢|怎么办|咋办|干啥|做什么|要做啥|是啥|是什么)?[？?。!！]*$"
)


def asks_next_step(text: str) -> bool:
    """A follow-up asking what comes after the step just answered ("审核过了以后呢？").

    Example:
        >>> asks_next_step("审核过了以后呢？"), asks_next_step("然后呢"), asks_next_step("以后每年都有吗？")
        (True, True, False)
        >>> asks_next_step("三年以后呢？"), asks_next_step("2025年以后呢？")
        (False, False)
    """
    return bool(_NEXT_STEP.match(text.strip()))


_YES_OR_NO = re.compile(
    r"([\u4e00-\u9fff])[不没]\1|(?:吗|嘛)(?:[？?。！!，,]|$)|(?:不|没|没有)(?:[？?]|$)|是否|能否|可否")
_ASKS_WHICH = re.compile(
    r"什么|啥|哪(?!怕)|多少|(?<![十百千几])几(?!乎|年前|个月前|天前)|怎么|咋|如何|谁|多久|多大|多长")
"""Asking which, what or how many; not 十几个人, 几年前, 几乎, 哪怕."""


_ASKS_BASIS = re.compile(
    r"文号|(?:依据|照着|根据|按照?)(?:的是)?(?:哪个|哪份|哪些|什么)(?:文件|规定|政策)|"
    r"(?:哪个|哪份|什么)文件(?:定的|制定的|出台的)|(?:(?<!认)定|制定|出台)的依据")


def asks_basis(text: str) -> bool:
    """Asked which document a policy follows or its number, not any 依据 (FACT_KINDS'
    doc_number is wider).

    Example:
        >>> asks_basis("这个办法是照着省里哪个文件定的？"), asks_basis("认定的依据是营收还是纳税？")
        (True, False)
    """
    return bool(_ASKS_BASIS.search(text))


def asks_yes_or_no(text: str) -> bool:
    """A question answered by yes or no ("老外能报不？", "市里支不支持…", "能享受吗"),
    asking for no which, what or how many.

    Example:
        >>> asks_yes_or_no("老外能报不？会不会卡国籍"), asks_yes_or_no("市里在推这个不？")
        (True, True)
        >>> asks_yes_or_no("我们厂才十几个人，能申请吗？"), asks_yes_or_no("几年前评过高企，现在还能享受吗？")
        (True, True)
        >>> asks_yes_or_no("有没有补贴？补多少？"), asks_yes_or_no("哪个部门管？"), asks_yes_or_no("高企资质没有，介绍下政策")
        (False, False, False)
    """
    return bool(_YES_OR_NO.search(text)) and not _ASKS_WHICH.search(_YES_OR_NO.sub("", text))


def validate_region(region: str | None) -> str | None:
    """The page's or caller's region, or None for all; only regions of the national
    gazetteer are accepted, and what was sent is never repeated back.

    Example:
        >>> validate_region("甘井子区"), validate_region("全部"), validate_region(None)
        ('甘井子区', None, None)
    """
    if region is None or not region.strip() or region.strip() == "全部":
        return None
    region = region.strip()
    if not is_region(region):
        raise QuestionRejected("所选地区无法识别，请从地区列表中选择，或填写规范的地区名称（如 大连市、甘井子区）。")
    return region


def validate_question(text: str | None, max_chars: int) -> str:
    """The question, trimmed, or `QuestionRejected` with a message for the user.

    Example:
        >>> validate_question("  温县政府采购预留比例？ ", 500)
        '温县政府采购预留比例？'
    """
    if text is None or not text.strip():
        raise QuestionRejected("问题不能为空，请输入您想咨询的政策问题。")
    # Zero-width and direction marks (category Cf) are invisible noise from copy-paste.
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    for ch in text:
        if ch in "\n\t\r":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            raise QuestionRejected(f"问题中含有无法识别的控制字符（U+{ord(ch):04X}），请删除后重试。")
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionRejected("问题不能为空，请输入您想咨询的政策问题。")
    if len(text) > max_chars:
        raise QuestionRejected(f"问题过长（{len(text)} 字），请精简到 {max_chars} 字以内。")
    return text


# Markup pasted into a question (or typed by a prober): tags and entities carry no policy
# meaning, and their words (img, onerror…) would only dilute the search.
_TAG = re.compile(r"<[^<>]{0,300}>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


_SPOKEN_SUM = re.compile(r"(\d+(?:\.\d+)?|[一两二三四五六七八九十]+)\s*[个来]\s*(亿|万)(?!一)")


def searchable(question: str) -> str:
    """The question as searched: without HTML tags and entities, and without the phone,
    ID-card or credit-code numbers an owner adds about themselves (they match no policy).

    Sums said the spoken way (3个亿, 300来万) are written as documents write them.

    Example:
        >>> searchable('<img src=x onerror="alert(1)"><b>温县</b>预留比例？')
        '温县预留比例？'
        >>> searchable("营收头一回过3个亿，研发投了300来万，两个亿呢")
        '营收头一回过3亿，研发投了300万，两亿呢'
    """
    text = _SPOKEN_SUM.sub(r"\1\2", _ENTITY.sub(" ", _TAG.sub("", question)))
    for value in find_pii(text):
        text = text.replace(value, " ")
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionRejected("问题里只有网页标记，没有文字，请直接输入您想咨询的政策问题。")
    return text


_BESIDES = re.compile(r"除了[^，,。；;？?！!]{1,30}?(?:之外|以外)?[，,](?=[^。；;？?！!，,]{0,8}?还)")
_LEFT_TO_SEARCH = 6
"""Content characters a question must keep once what it knows is taken out ("除了这个，还有吗": keep it)."""


def beyond_what_is_known(question: str) -> str:
    """The question less what it says it knows already ("除了给养老院的责任险，还鼓励哪些保险
    产品？" searches the other products, not 责任险 again). Not an exception ("除了国有企业，
    其他企业都能申请吗"), nor a span naming the place asked about.

    Example:
        >>> beyond_what_is_known("我们是保险公司，除了给养老院的责任险，市里还鼓励哪些养老保险产品？")
        '我们是保险公司，市里还鼓励哪些养老保险产品？'
        >>> beyond_what_is_known("除了国有企业，其他企业都能申请吗？")
        '除了国有企业，其他企业都能申请吗？'
        >>> beyond_what_is_known("除了甘井子的房租补贴，还有哪些补贴")
        '除了甘井子的房租补贴，还有哪些补贴'
    """
    found = _BESIDES.search(question)
    if found is None or region_mentions(found.group(0)):
        return question
    rest = question[:found.start()] + question[found.end():]
    content = re.sub(r"[\W\d]|还|有|吗|呢|哪些|什么|啥|别的|其他|其它", "", rest)
    return rest if len(content) >= _LEFT_TO_SEARCH else question


# A place the enterprise comes from or moves away from is not where it asks about
# (我们是香港过来做创投的, 从上海迁到大连, 想从沈阳搬走); 从大连拿补贴 still asks about 大连.
_ORIGIN_AFTER = re.compile(r"^(?:那边|那儿|这边)?(?:过来|来的|迁来|搬来|转来|迁过来|搬过来)")
_MOVED_AFTER = re.compile(r"^(?:那边|那儿|这边)?(?:迁|搬|来|过来|转移|转到)")


def _is_origin(text: str, start: int, end: int) -> bool:
    after = text[end:end + 5]
    return bool(_ORIGIN_AFTER.match(after) or text[max(0, start - 1):start] == "从" and _MOVED_AFTER.match(after))


def frame(text: str, context: tuple[str, ...] = ()) -> QuestionFrame:
    """The slots of a question; `context` (the page's region) settles a place name that
    several regions share.

    Example:
        >>> f = frame("武汉青山区新认定的国家级小巨人企业奖励多少？")
        >>> f.regions, f.levels, f.topics, f.fact_kinds[0]
        (('武汉市', '武汉市青山区'), ('国家级',), ('小巨人',), 'amount')
        >>> frame("青山区小巨人奖励多少").unresolved
        (('青山区', ('包头市青山区', '武汉市青山区')),)
        >>> frame("我们是香港过来做创投的，能用人民币投资吗").regions, frame("从上海迁到大连有补贴吗").regions
        ((), ('大连市',))
        >>> frame("能从大连拿到多少补贴").regions
        ('大连市',)
    """
    levels = []
    for match in _LEVEL_PATTERN.finditer(text):
        canonical = _canonical_level(match.group(0))
        if canonical not in levels:
            levels.append(canonical)
    topics = []
    for match in _TOPIC_PATTERN.finditer(text):
        if match.group(0) not in topics:
            topics.append(match.group(0))
    kinds = asked_fact_kinds(text)
    places = gazetteer()
    regions: list[str] = []
    unresolved: list[tuple[str, tuple[str, ...]]] = []
    mentions = [m for m in places.mentions(text, informal=True) if not _is_origin(text, m.start, m.end)]
    for mention, name in places.resolve(mentions, context):
        if name and name not in regions:
            regions.append(name)
        elif not name and mention.text not in [u[0] for u in unresolved]:
            unresolved.append((mention.text, mention.candidates))
    figures = tuple(kind for kind, (asks, _) in FIGURE_ASKS.items() if asks.search(text))
    return QuestionFrame(
        text, tuple(regions), tuple(levels), tuple(topics), kinds, tuple(unresolved), figures, asked_measure(text)
    )


def stated_pattern(kind: str) -> re.Pattern[str]:
    """How a fact of `kind` looks in a clause; an amount may be a grant's rate (按50%给予奖励)."""
    return FIGURE_ASKS["amount"][1] if kind == "amount" else FACT_KINDS[kind][1]


def asked_fact_kinds(text: str) -> tuple[str, ...]:
    """The kinds of fact (FACT_KINDS keys) a question asks for.

    Example:
        >>> asked_fact_kinds("补贴比例是多少，什么时候申报？")
        ('amount', 'ratio', 'date')
        >>> asked_fact_kinds("这笔资金是哪几个部门管的？"), asked_fact_kinds("有几个项目？")
        (('who',), ('count',))
        >>> asked_fact_kinds("高龄补贴多大岁数的能领？"), asked_fact_kinds("就业补贴对年龄有要求吗？")
        (('age', 'amount'), ('amount',))
        >>> asked_fact_kinds("这笔奖励钱对咋花有要求没？")
        ('use', 'amount')
        >>> asked_fact_kinds("一个项目封顶多少？"), asked_fact_kinds("最高多少天？")
        (('amount',), ('duration',))
    """
    kinds = tuple(kind for kind, (asks, _) in FACT_KINDS.items() if asks.search(text))
    if "use" in kinds and not _ASKS_AMOUNT.search(text):
        # "这笔奖励钱咋花": the grant is what it is about, how it may be spent what it asks.
        kinds = ("use", *(k for k in kinds if k != "use"))
    return kinds


_ASKS_AMOUNT = re.compile(rf"多少|{_MONEY_NAMED}|金额|额度")


def _canonical_level(form: str) -> str:
    return next(level for level, forms in LEVEL_FORMS.items() if form in forms)


def is_follow_up(text: str) -> bool:
    """A question that leans on the previous one ("那省级的呢？", "郑州呢？", "我们是高新技术
    企业，能多补点不？")."""
    core = _FILLERS.sub("", text)
    return bool(_FOLLOW_UP_START.search(text) or _FOLLOW_UP_END.search(text) or _POINTS_BACK.search(text)) \
        or len(core) <= 4 or _states_own_case(text)


_SELF_CASE = re.compile(r"^(?:我们|我司|我|本企业|本公司)(?:是|属于|算)")
_SELF_CASE_LENGTH = 20


def _states_own_case(text: str) -> bool:
    """"我们是高新技术企业，能多补点不？": the asker states what their enterprise is and asks
    again, naming no place: the previous question, for their case. A longer question that
    says what it is about stands on its own."""
    return bool(_SELF_CASE.search(text)) and not region_mentions(text) and len(text) <= _SELF_CASE_LENGTH


CARRY_OVER_CHARS = 15
"""Up to this long, a question in a conversation may lean on the previous one without
saying so ("报给哪个部门啊？")."""


def carried_over(question: str, previous: str) -> str | None:
    """The previous question with this one added, for a short question that names no place
    and so may lean on it unannounced; None for one that stands on its own (longer, or
    naming a place). Whether it does lean is for the clauses to say: the caller searches
    both readings.

    Example:
        >>> carried_over("报给哪个部门啊？", "投资十八条的实施细则多少天内报上去？")
        '投资十八条的实施细则多少天内报上去，报给哪个部门啊？'
        >>> carried_over("郑州专精特新奖多少？", "投资十八条的实施细则多少天内报上去？") is None
        True
    """
    core = _FILLERS.sub("", question)
    if not previous or len(core) > CARRY_OVER_CHARS or region_mentions(question):
        return None
    return _joined(previous, question)


def adds_nothing(rewritten: str, question: str) -> bool:
    """Whether a follow-up's rewrite took nothing but a place from the previous question: it
    only lost the follow-up's opening 那, gained a question mark, or has another place (a
    follow-up naming a place of its own is not carried over: `carried_over`).

    Example:
        >>> adds_nothing("能补几年？一年最多补多少？", "那能补几年？一年最多补多少")
        True
        >>> adds_nothing("宁陵县能补几年？", "那能补几年？")
        True
        >>> adds_nothing("青山区新认定的省级小巨人企业奖励多少？", "那省级的呢？")
        False
    """
    def bare(text: str) -> str:
        for place, _ in region_mentions(text):
            text = text.replace(place, "")
        return _FILLERS.sub("", text)

    return bare(rewritten) == bare(question)


def _joined(previous: str, question: str) -> str:
    return previous.rstrip("？?。!！") + "，" + question.rstrip("？?。!！") + "？"


def rewrite_follow_up(question: str, previous: str) -> str:
    """A standalone question from a follow-up and the previous standalone question.

    Slots the follow-up names (region, level, topic) replace the previous ones; the
    rest of the previous question is kept. A follow-up that asks something new about
    the same subject gets the previous region, level and topic put in front.

    Example:
        >>> rewrite_follow_up("那省级的呢？", "青山区新认定的国家级小巨人企业奖励多少？")
        '青山区新认定的省级小巨人企业奖励多少？'
        >>> rewrite_follow_up("省里认定的呢？", "检测平台评上国家级重点实验室，市里给多少钱？")
        '检测平台评上省级重点实验室，市里给多少钱？'
        >>> rewrite_follow_up("义乌呢？", "金华对国家级隐形冠军奖励多少？")
        '义乌对国家级隐形冠军奖励多少？'
        >>> rewrite_follow_up("租的话呢？", "总部企业购买办公用房有什么补助？")
        '总部企业租办公用房有什么补助？'
        >>> rewrite_follow_up("3000万以上呢？", "总部企业购买办公用房有什么补助？")
        '总部企业购买办公用房有什么补助，3000万以上？'
        >>> rewrite_follow_up("那人才培养呢？", "大连跨境电商平台建设补多少？")
        '大连跨境电商人才培养？'
        >>> rewrite_follow_up("过5个亿呢？", "总部企业营收第一次过1.5亿，区里奖多少？")
        '总部企业营收第一次过5亿，区里奖多少？'
        >>> rewrite_follow_up("嗯那这个是每年都给，还是就给一回？", "平台使用费能补多少？")
        '平台使用费能补多少，这个是每年都给，还是就给一回？'
        >>> rewrite_follow_up("那头一回进辽宁省100强的呢", "甘井子总部企业第一次进世界500强，扶持多少？")
        '甘井子总部企业第一次进世界500强，扶持多少，头一回进辽宁省100强？'
        >>> rewrite_follow_up("额度最高多少呢？", "高新技术企业认定奖励多少？")
        '高新技术企业额度最高多少？'
        >>> rewrite_follow_up("我们是高新技术企业，能多补点不？", "甘井子科技型中小企业创新项目最多补多少？")
        '甘井子科技型中小企业创新项目最多补多少，我们是高新技术企业，能多补点不？'
    """
    if not previous or not is_follow_up(question):
        return question
    if _states_own_case(question):
        # The previous question kept whole, the asker's case added to it.
        return _joined(previous, question)
    new, old = frame(question), frame(previous)
    rewritten = previous
    replaced = False
    # A place that opens a ranking or a brand (辽宁省100强, 大连名牌) names the title, not a
    # place the asker moves to.
    new_regions = [(said, name) for said, name in region_mentions(question)
                   if not RANKING_AFTER.match(question, question.find(said) + len(said))]
    if new_regions:
        old_regions = region_mentions(previous)
        if old_regions:
            rewritten = rewritten.replace(old_regions[0][0], new_regions[0][0], 1)
        else:
            rewritten = new_regions[0][0] + rewritten
        replaced = True
    if new.levels:
        match = _LEVEL_PATTERN.search(rewritten)
        if match:
            rewritten = rewritten[: match.start()] + new.levels[0] + rewritten[match.end():]
        else:
            topic = _TOPIC_PATTERN.search(rewritten)
            at = topic.start() if topic else 0
            rewritten = rewritten[:at] + new.levels[0] + rewritten[at:]
        replaced = True
    if new.topics:
        match = _TOPIC_PATTERN.search(rewritten)
        if match:
            rewritten = rewritten[: match.start()] + new.topics[0] + rewritten[match.end():]
            replaced = True
    remainder = _strip_slots(_FILLERS.sub("", question))
    if replaced and len(remainder) <= 2:
        return rewritten
    core = _FILLERS.sub("", question).lstrip("，,")
    if not replaced and _POINTS_BACK.search(question):
        return previous.rstrip("？?。!！") + "，" + core + "？"
    if not replaced and not new.fact_kinds and _is_condition(question, core):
        swapped = _swap_alternative(previous, core) or _swap_figure(previous, core)
        if swapped is not None:  # "租的话呢？" after "买办公楼补多少？": 租办公楼补多少？
            return swapped
        # A what-if with no slot of its own: the previous question is kept whole, the new
        # condition added.
        return previous.rstrip("？?。!！") + "，" + core + "？"
    # Something new is asked ("那怎么申请？"): keep the subject, ask the new thing.
    subject = "".join(
        (
            region_mentions(previous)[0][0] if old.regions and not new.regions else "",
            old.levels[0] if old.levels and not new.levels else "",
            old.topics[0] if old.topics and not new.topics else "",
        )
    )
    return subject + core + "？"


_CONDITION = re.compile(r"^(?:那么|那)?(?:要是|如果|假如|换成|改成)|的话|以上|以下|超过|不到|\d")
# What an owner does to the subject asked about (租, 买, 扩建, 搬迁…), as one or two characters.
_ACTION = re.compile(r"[租买购建扩搬迁改设招投贷借]")


def _is_condition(question: str, core: str) -> bool:
    """A follow-up that varies a condition of the previous question ("租的话呢？",
    "500万美元以上呢？", "改扩建的呢？") rather than naming a new subject ("那人才呢？",
    "那产业骨干人才呢？")."""
    short = core.rstrip("的")
    return bool(_CONDITION.search(question)) or (len(short) <= 3 and bool(_ACTION.search(short)))


ALTERNATIVES = (
    (("租用", "租赁", "承租", "租"), ("购买", "购置", "买"), ("自建", "新建")),
    (("新建",), ("改扩建", "扩建", "改建")),
)
"""Ways of getting premises or building one, each set exclusive: a follow-up naming one
("租的话呢？") asks the previous question again with it in place of the other."""


def _swap_alternative(previous: str, core: str) -> str | None:
    """`previous` with its way of doing the thing replaced by the one `core` names; None
    when `core` names none, or `previous` names no other of the same set."""
    wanted = core.replace("的话", "").strip("的，, ")
    previous_plain = _without_leasing(previous)
    for options in ALTERNATIVES:
        chosen = next((i for i, words in enumerate(options) if wanted in words), None)
        if chosen is None:
            continue
        for i, words in enumerate(options):
            said = next((w for w in words if w in previous_plain), None)
            if i != chosen and said is not None:
                return previous.replace(said, wanted, 1)
    return None


_SUM_ONLY = re.compile(r"(?:要是|如果|假如)?(?:做到|达到|到了|到|过了|过|超过|有)?(?:了|的话|的)?")
_STATED_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*个?\s*(?:(?:亿|万)(?:元|美元)?|元|美元|[%％])")


def _swap_figure(previous: str, core: str) -> str | None:
    """`previous` with its first sum (or rate) replaced by the one `core` states: "过5个亿呢？"
    after "营收过1.5亿奖多少？" asks of 5亿. None when either states none of that kind.

    Example:
        >>> _swap_figure("总部企业营收第一次过1.5亿，区里奖多少？", "过5个亿")
        '总部企业营收第一次过5亿，区里奖多少？'
        >>> _swap_figure("研发投入占比3%能补多少？", "5个亿") is None
        True
        >>> _swap_figure("营收过1.5亿，奖多少？", "不到5000万") is None
        True
    """
    new = _STATED_FIGURE.search(core)
    # Only the sum itself, perhaps with how it is reached: "不到5000万" or "1亿以下" say more
    # than a new sum, and keep their own words (the what-if path adds them whole).
    if new is None or not _SUM_ONLY.fullmatch(core[: new.start()] + core[new.end():]):
        return None
    is_rate = new.group(0)[-1] in "%％"
    old = next((m for m in _STATED_FIGURE.finditer(previous) if (m.group(0)[-1] in "%％") == is_rate), None)
    if old is None:
        return None
    figure = re.sub(r"\s|个", "", new.group(0))
    if "美元" in old.group(0) and "元" not in figure:
        figure += "美元"  # 500万呢 after 300万美元: the same currency
    return previous[: old.start()] + figure + previous[old.end():]


def _without_leasing(text: str) -> str:
    """融资租赁 is a line of business, not a way of getting premises (租)."""
    return text.replace("融资租赁", "")


def other_alternative(question: str, text: str) -> bool:
    """`text` names another way of doing what the question asks about (购买 where the
    question asks about 租), and not the question's own.

    Example:
        >>> other_alternative("租办公楼补多少？", "购买办公楼的，按5%给予补助。")
        True
        >>> other_alternative("租办公楼补多少？", "购买或租用办公用房的，不得改变用途。")
        False
        >>> other_alternative("融资租赁公司有哪些补贴？", "融资租赁企业购买大型设备的，按利息的20%给予补贴。")
        False
    """
    question, text = _without_leasing(question), _without_leasing(text)
    for options in ALTERNATIVES:
        asked = [i for i, words in enumerate(options) if any(w in question for w in words)]
        if len(asked) != 1:
            continue
        named = {i for i, words in enumerate(options) if any(w in text for w in words)}
        if named and asked[0] not in named:
            return True
    return False


def _strip_slots(text: str) -> str:
    for pattern in (_LEVEL_PATTERN, _TOPIC_PATTERN):
        text = pattern.sub("", text)
    for matched, _ in region_mentions(text):
        text = text.replace(matched, "")
    return text.strip(" ，,的")
