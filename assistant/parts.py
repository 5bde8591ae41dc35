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
from assistant.questions import POINTING_WORDS, asked_fact_kinds
from knowledge.benefits import terms as benefit_terms
from knowledge.regions import policy_terms, region_mentions
from knowledge.text import CITATION_MARK

MAX_PARTS = 3
_PART_END = re.compile(r"(?<=[？?；;])")
_LEADING_JOINERS = re.compile(r"^(?:另外|还有|以及|再就是|然后|那|并且|同时)[，,、]?")
_MIN_PART_CHARS = 5
_ASKS = re.compile(
    r"(?<![好十跟和与同])几|多少|什么|啥|哪|谁|怎么|咋|如何|是否|吗|能否|可否|有没有|(?<!不管)(?<!无论)(?<!不论)([\u4e00-\u9fff])[不没]\1|"
    r"(?:能|可以|可|会|行|要|给|有|了|过|支持|管)[^，,？?]{0,12}[不没](?=\s*[，,？?]|\s*$)"
)
"""How a part asks; "能网上办税不，" asks with its closing 不 as 吗 would ("公司还没，" does not),
几 unless it counts loosely ("跟几家高校", "好几个亿", "十几个员工"),
"是不是…了，" and "能不能…" by saying the verb twice."""
_LOOSE_COUNT = re.compile(
    r"(?:想|打算|准备|顺便|计划|急着)[^，,。？?几]{0,4}几(?=[个家名位台套处条款批])|"
    r"(?:引进|招|雇|请|聘|买|购置|购买|建|开|收购|签)了几(?=[个家名位台套处条款批][^，,。？?]*[，,])")
"""几 after what the owner plans or has done himself, in the account a question goes on from,
counts loosely too ("想招几个程序员，", "新引进了几个专业人才，区里…"); not what others did
("去年全县一共认定了几家高企，…" asks)."""


def _asks(piece: str) -> re.Match | None:
    """Where `piece` asks something (`_ASKS`), a loosely counting 几 not counted."""
    return _ASKS.search(_LOOSE_COUNT.sub(lambda m: m.group(0)[:-1] + "些", piece))


_COMMA = re.compile(r"(?<=[，,])")
# "A和B分别是多少": one ask about two things, split into "A是多少" and "B是多少".
_SIDE_BY_SIDE = re.compile(
    r"^(?P<head>(?:.*[，,])?)(?P<first>[^，,]+?)(?:和|与|以及|及)(?P<second>[^，,]+?)(?:分别|各自|各)(?P<tail>[^，,]*)$"
)
# How a part asks, and fillers: what is left is what it is about.
_CONTENT_FREE = re.compile(r"[\W\d]|几|多少|什么|啥|哪|谁|怎么|咋|如何|是否|吗|能否|可否|有没有|"
                           r"[啊呢吧呀哦嘛得要有又还能会都再就是的了个家年天]")
_LEANS_BACK = re.compile(r"(?:能|可以|可)(?:用上|用得上|用|享受|申请|申报|报|拿到|参加|适用)(?:[不吗么]|不了)?\s*[？?]?\s*$")
"""A later part asking whether the owner can use what the part before names, naming it not."""
_OWNER_WORDS = re.compile(r"我们|我|咱们|俺们|这种|这样的|这类|中小|小|公司|企业|厂")


def _leans_back(part: str) -> bool:
    """Whether `part` asks if the owner can use what the part before names, naming nothing
    itself but the owner ("我们这种中小物流公司能用上不"; not "外资企业可以享受不",
    "加计扣除我们能享受吗")."""
    if not _LEANS_BACK.search(part):
        return False
    said = _CONTENT_FREE.sub("", _OWNER_WORDS.sub("", _LEANS_BACK.sub("", part)))
    names_a_kind = bool(benefit_terms().who_in(part)) or any(term in part for term in policy_terms())
    return not names_a_kind and len(said) <= _OWNER_ACCOUNT_CHARS


_OWNER_ACCOUNT_CHARS = 4
"""What is left of such a part, the owner's own trade ("物流"), is no more than this."""
_SUBJECTLESS_CHARS = 2
"""A part with no more than this many characters of content asks about the part before it."""
NOT_STATED = "（这一问，知识库的政策文件中没有找到直接规定。）"
SAME_AS = "（同第{number}问的答复。）"


def question_parts(question: str) -> list[str]:
    """The separate asks of `question`, each able to stand alone: a part that names no
    place gets the first place the whole question names. One part when it asks one thing.

    Example:
        >>> question_parts("甘井子开O2O体验店能补多少？另外建保税仓区里咋配套？")
        ['甘井子开O2O体验店能补多少？', '甘井子建保税仓区里咋配套？']
        >>> question_parts("新建床位一张补多少，运营补贴又是多少？")
        ['新建床位一张补多少？', '运营补贴又是多少？']
        >>> question_parts("温县人才引进目标和技能人才目标各是多少？")
        ['温县人才引进目标是多少？', '温县技能人才目标是多少？']
        >>> question_parts("专精特新企业奖励郑州和金华各给多少")
        ['专精特新企业奖励郑州给多少', '专精特新企业奖励金华给多少']
        >>> question_parts("我们是甘井子的租赁公司，今年融资了5000万，能拿多少补贴")
        ['我们是甘井子的租赁公司，今年融资了5000万，能拿多少补贴']
        >>> question_parts("甘井子认定总部企业，对外地分公司有啥要求？得有几家啊")
        ['甘井子认定总部企业，对外地分公司有啥要求？', '甘井子认定总部企业，对外地分公司得有几家啊']
        >>> question_parts("甘井子总部企业申报扶持，材料谁来审？批下来公示几天？")
        ['甘井子总部企业申报扶持，材料谁来审？', '甘井子总部企业申报扶持，批下来公示几天？']
        >>> question_parts("甘井子总部企业申报扶持，要交哪些材料？另外这个专项资金是哪个局管的")
        ['甘井子总部企业申报扶持，要交哪些材料？', '甘井子总部企业申报扶持，这个专项资金是哪个局管的']
        >>> question_parts("辽宁能网上办税不，还有申报时系统会提示税收优惠吗")
        ['辽宁能网上办税不？', '辽宁申报时系统会提示税收优惠吗？']
        >>> question_parts("辽宁办执照是不是一照一码了，另外能不能全程网上登记？")
        ['辽宁办执照是不是一照一码了？', '辽宁能不能全程网上登记？']
        >>> question_parts("不管是不是小微企业，都能享受减免吗？")
        ['不管是不是小微企业，都能享受减免吗？']
        >>> question_parts("大连是不是要搞个物流信息平台？我们这种中小物流公司能用上不")
        ['大连是不是要搞个物流信息平台？我们这种中小物流公司能用上不']
        >>> question_parts("我们跟几家高校搞了个产业创新联盟，在区里备了案，一年最多能给多少？")
        ['我们跟几家高校搞了个产业创新联盟，在区里备了案，一年最多能给多少？']
        >>> question_parts("高新技术企业奖励多少？外资企业可以享受不")
        ['高新技术企业奖励多少？', '外资企业可以享受不']
        >>> question_parts("专精特新企业奖励多少？")
        ['专精特新企业奖励多少？']
        >>> question_parts("租赁公司高管的奖励，风控主管算不算高管？还是只有总经理能拿")
        ['租赁公司高管的奖励，风控主管算不算高管？还是只有总经理能拿']
    """
    pieces = _with_alternatives([p.strip() for p in _PART_END.split(question) if p.strip()])
    if len(pieces) == 1:
        pieces = _asks_between_commas(question) or _side_by_side(question) or pieces
    parts = [_LEADING_JOINERS.sub("", p) for p in pieces]
    # "还有…", "另外…" open an ask of its own, unless it points back at the first's subject
    # (另外这个专项资金…); without one, a part goes on about the first's subject.
    opens_own_ask = [p != piece and not _POINTS_BACK.match(p) for p, piece in zip(parts, pieces)]
    if len(parts) < 2 or len(parts) > MAX_PARTS or any(len(re.sub(r"\W", "", p)) < _MIN_PART_CHARS for p in parts):
        return [question]
    if any(_leans_back(p) and not own for p, own in zip(parts[1:], opens_own_ask[1:])):
        return [question]  # "…要搞个物流信息平台？我们这种中小物流公司能用上不": one ask
    context = _leading_context(parts[0])
    for i in range(1, len(parts)):
        if len(_CONTENT_FREE.sub("", parts[i])) <= _SUBJECTLESS_CHARS:
            parts[i] = _subject_of(parts[i - 1]) + parts[i]
        elif context and not opens_own_ask[i] and not parts[i].startswith(context):
            parts[i] = context + parts[i]
    places = region_mentions(question)
    if places:
        parts = [p if region_mentions(p) else places[0][0] + p for p in parts]
    return parts


_POINTS_BACK = re.compile(POINTING_WORDS)
_OR_ELSE = re.compile(r"^(?:还是|或是)")


def _with_alternatives(pieces: list[str]) -> list[str]:
    """Pieces with an "…还是…" after a question mark joined to the ask it offers another
    answer to ("风控主管算不算高管？还是只有总经理能拿": one ask); a last remark that asks
    nothing ("…每月多少钱？我们好给员工定工资": why the owner asks) is no ask of its own.

    Example:
        >>> _with_alternatives(["算不算高管？", "还是只有总经理能拿"])
        ['算不算高管？还是只有总经理能拿']
        >>> _with_alternatives(["工资指导标准每月多少钱？", "我们好给员工定工资"])
        ['工资指导标准每月多少钱？']
    """
    joined: list[str] = []
    for index, piece in enumerate(pieces):
        if joined and index == len(pieces) - 1 and _is_remark(piece):
            continue
        if joined and _OR_ELSE.match(piece):
            joined[-1] += piece
        else:
            joined.append(piece)
    return joined


def _is_remark(piece: str) -> bool:
    """A piece that says why the owner asks and asks nothing ("我们做创投的想照着看看",
    "我们好给员工定工资"); not one asking in other words ("外资企业让设不", "另外…", "我们想
    知道加计扣除的比例"), nor one naming a place or a policy term (what it says is searched)."""
    piece = piece.strip()
    return (bool(_PURPOSE.search(piece)) and not piece.endswith(("？", "?")) and not _asks(piece)
            and not _TRAILING_ASK.search(piece) and not _LEADING_JOINERS.match(piece)
            and not _WANTS_TO_KNOW.search(piece) and not _REQUEST.search(piece) and not region_mentions(piece)
            and not any(term in piece for term in policy_terms()) and not benefit_terms().who_in(piece))


_PURPOSE = re.compile(r"^(?:(?:我们|我|俺们|俺|咱们|咱)[^，,]{0,8}?)?(?:想|好(?!几)|打算|准备|为了|以便|方便)")
"""Why the owner asks, the subject said or dropped as in chat ("想提前联系下")."""
_REQUEST = re.compile(r"发(?:个|一下|给|我)|给我|告诉|提供|把|请|麻烦|帮(?:我|忙)")
"""Asking the help desk for something ("想请你们发个申报指南") is an ask, not a remark."""
_WANTS_TO_KNOW = re.compile(r"想(?:知道|了解|问|咨询|确认|请教|打听|看看有没有)")
_TRAILING_ASK = re.compile(r"[不没吗呢么吧][。.!！…～~]*$")


def without_remark(question: str) -> str:
    """The question without a closing remark after its last question mark that asks nothing:
    why the owner asks is no words to search for.

    Example:
        >>> without_remark("护理员工资指导标准每月多少钱啊？我们好给员工定工资")
        '护理员工资指导标准每月多少钱啊？'
        >>> without_remark("能补多少？另外仓储有补贴不")
        '能补多少？另外仓储有补贴不'
        >>> without_remark("第三方服务机构是哪家公司啊？想提前联系下")
        '第三方服务机构是哪家公司啊？'
    """
    head, mark, tail = max(question.rpartition("？"), question.rpartition("?"), key=lambda p: len(p[0]))
    return head + mark if mark and tail.strip() and _is_remark(tail) else question


def without_asked_before(question: str, previous: str) -> str:
    """A follow-up read with the previous question in front, less that question's own ask,
    which was answered already: its words before the ask stay as the subject.

    Example:
        >>> without_asked_before("甘井子融资租赁公司注册资本到位了能奖多少，这笔奖励钱，区里对咋花有要求没？",
        ...                      "甘井子融资租赁公司注册资本到位了能奖多少？")
        '甘井子融资租赁公司注册资本到位了，这笔奖励钱，区里对咋花有要求没？'
        >>> without_asked_before("那省级的奖多少？", "国家级小巨人奖多少？")
        '那省级的奖多少？'
        >>> without_asked_before("甘井子科技型中小企业最多补多少，我们是高新技术企业，能多补点不？",
        ...                      "甘井子科技型中小企业最多补多少？")
        '甘井子科技型中小企业最多补多少，我们是高新技术企业，能多补点不？'
    """
    parts = question_parts(question)
    asked = previous.rstrip("？?。！! ")
    kept = [p for p in parts if p.rstrip("？?。！! ") != asked]
    if len(parts) < 2 or len(kept) != len(parts) - 1 or not question.startswith(asked):
        return question
    if not asked_fact_kinds(question[len(asked):]):
        return question  # "…最多补多少，我们是高新技术企业，能多补点不？" asks more of that figure
    subject = _context_of(asked)
    rest = question[len(asked):].lstrip("，,？? ")
    return f"{subject}，{rest}" if subject and not rest.startswith(subject) else rest


def _context_of(asked: str) -> str:
    """What a question asks about (`_subject_of`) without the verb of its ask (能奖多少)."""
    return _ASKING_VERBS.sub("", _subject_of(asked)).rstrip("，, ")


_ASKING_VERBS = re.compile(r"(?:能|可以|可|会|要|给|有|奖|补|拿|领|享受|申请|报|算)+$")


def with_subject_of(first: str, part: str) -> str:
    """`part` searched again with what `first` asks about in front, for a later ask that
    names no subject of its own; the place both name is said once.

    Example:
        >>> with_subject_of("郑州小巨人累计有多少家？", "郑州首次获评奖多少？")
        '郑州小巨人累计首次获评奖多少？'
        >>> with_subject_of("大连跨境电商扶持资金规定由哪个局解释？", "大连企业申报第一步向谁提申请？")
        '大连跨境电商扶持资金规定企业申报第一步向谁提申请？'
    """
    subject = _subject_of(first)
    if not subject or subject in part:
        return part
    for place, _ in region_mentions(part):
        if part.startswith(place) and place in subject:
            part = part[len(place):]
    return subject + part


def _leading_context(part: str) -> str:
    """What the first part says before its ask, between commas ("甘井子总部企业申报扶持，"
    of "甘井子总部企业申报扶持，材料谁来审？"): the subject of every part after it."""
    pieces = [p for p in _COMMA.split(part) if p.strip()]
    context = ""
    for piece in pieces[:-1]:
        if _asks(piece):
            break
        context += piece
    return context


def _subject_of(part: str) -> str:
    """What a part asks about: its words before the ask ("对外地分公司有啥要求？" ->
    "对外地分公司"), lent to a next part that names nothing ("得有几家啊？")."""
    ask = _asks(part)
    head = part[: ask.start()] if ask else part
    return head.rstrip("有是要的由向对按，, ")


def _asks_between_commas(question: str) -> list[str] | None:
    """"床位一张补多少，运营补贴又是多少？": pieces between commas that each ask something;
    a piece that asks nothing ("跨境电商人才培训，") is context for the ask after it."""
    pieces = [p for p in _COMMA.split(question.strip()) if p.strip()]
    if sum(1 for p in pieces if _asks(p)) < 2:
        return None
    asks, context = [], ""
    for piece in pieces:
        if _asks(piece):
            asks.append((context + piece).rstrip("，,") + ("" if piece.rstrip().endswith(("？", "?")) else "？"))
        else:
            context += piece
    return asks


def _side_by_side(question: str) -> list[str] | None:
    """"紧缺人才引进目标和新增技能人才目标各是多少？" -> the same ask of each."""
    match = _SIDE_BY_SIDE.match(question.strip())
    if match is None or not _asks(match["tail"]):
        return None
    head, first, second, tail = match["head"], match["first"], match["second"], match["tail"]
    # "专精特新企业奖励郑州和金华各给多少": two places; what comes before the first is shared.
    places = region_mentions(first)
    if places and first.endswith(places[-1][0]) and [m for m, _ in region_mentions(second)] == [second]:
        head, first = head + first[: -len(places[-1][0])], places[-1][0]
    return [f"{head}{first}{tail}", f"{head}{second}{tail}"]


def combine(parts: Sequence[str], drafts: Sequence[Draft | None], mode: str) -> Draft:
    """One answer from each part's draft (None where the part is not answered), each under
    its part, with the [n] marks and citations numbered through.

    Parts answered by the very same text ("老外能报不？会不会卡国籍": one clause says both)
    are one ask put twice: the whole is that answer once, and a part repeating an earlier
    one among other parts points to it instead of quoting it again.
    """
    texts = [draft.text for draft in drafts if draft is not None]
    if len(texts) == len(drafts) and len(set(texts)) == 1:
        return drafts[0]
    lines: list[str] = []
    citations = []
    answered_in: dict[str, int] = {}
    for number, (part, draft) in enumerate(zip(parts, drafts), 1):
        lines.append(f"{number}. {part}")
        if draft is None:
            lines.append(NOT_STATED)
            continue
        if draft.text in answered_in:
            lines.append(SAME_AS.format(number=answered_in[draft.text]))
            continue
        answered_in[draft.text] = number
        offset = len(citations)
        body = draft.text.replace(OFFICIAL_NOTE, "").strip()
        lines.append(CITATION_MARK.sub(lambda m: f"[{int(m.group(1)) + offset}]", body))
        citations += [replace(c, n=c.n + offset) for c in draft.citations]
    lines.append(OFFICIAL_NOTE)
    return Draft("\n".join(lines), tuple(citations), mode)
