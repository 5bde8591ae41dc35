"""The words huiqi says around policy text: refusals, the related-clauses lead, asking
which place is meant, and the guide reply to greetings, thanks and overviews.

Every reply is built from the knowledge base (its places, documents and example
questions) and the prompt templates in `prompts/`; none quotes policy text as an answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import prompts
from assistant.answer.base import Draft
from assistant.citations import Citation, citation_for
from knowledge.models import ClauseHit, PolicyDocument

RELATED_LEAD = "没有找到直接规定，以下条款可能相关："
_GUIDE_OPENINGS = {
    "greeting": "您好！我是惠企政策助手，可以按已收录的政策文件回答企业扶持、奖补、融资、人才等问题，并注明依据的条款原文。",
    "thanks": "不客气！还有其他政策问题，随时问我。",
    "capabilities": "我可以按已收录的政策文件回答企业扶持、奖补、融资、人才等问题，并注明依据的条款原文；文件没有写到的，我会如实说明。",
}
_OVERVIEW_TITLES = 8


def refusal(uncovered: Sequence[str], nearest: Sequence[ClauseHit], covered: Sequence[str], contact: str, mode: str) -> Draft:
    """Why the question cannot be answered from the documents, what is closest (or which
    places are covered) and whom to ask instead.

    Args:
        uncovered: places the question named that have no documents.
        nearest: the best clauses found, too weak to answer with.
        covered: the regions the knowledge base has documents for.
    """
    covered_text = "、".join(covered) or "（暂无）"
    if uncovered:
        reason = f"知识库暂未收录{'、'.join(uncovered)}的政策文件，不能用其他地区的规定代为回答。"
        closest = f"目前收录的是以下地区的政策：{covered_text}。"
    else:
        reason = "知识库中没有与这个问题直接相关的政策条款，无法据此作答。"
        items: list[str] = []
        for hit in nearest[:3]:
            item = f"《{hit.document.title}》“{short_path(hit.clause.clause_path)}”"
            if item not in items:
                items.append(item)
        closest = (
            "知识库中与此最接近的内容是：" + "；".join(items) + "，但都没有回答您的问题。"
            if items
            else f"知识库目前收录的是以下地区的政策：{covered_text}。"
        )
    text = prompts.load("refusal").render(reason=reason, closest=closest, contact=contact)
    return Draft(text, (), mode)


def related(quoted: Draft) -> Draft:
    """No clause states the answer: the closest clauses' quotes, marked as such."""
    return Draft(RELATED_LEAD + "\n" + quoted.text, quoted.citations, quoted.mode)


def which_place(ambiguous: Sequence[tuple[str, Sequence[str]]]) -> Draft:
    """Ask back which of several places sharing a name is meant."""
    text, candidates = ambiguous[0]
    return Draft(f"“{text}”在多个地方都有：{'、'.join(candidates)}。请问您指的是哪一个？", (), "clarify")


def uncovered_note(uncovered: Sequence[str]) -> str:
    """Added under an answer when some of the places asked about have no documents."""
    return f"（知识库暂未收录{'、'.join(uncovered)}的政策，以上仅涉及已收录地区。）"


def expired_note(citations: Sequence[Citation]) -> str:
    """Added under an answer quoting a document whose own stated term has ended: the owner
    should not count on it before the issuing body confirms it still applies."""
    ended = {c.doc_id: c for c in citations if c.expired}
    if not ended:
        return ""
    named = "、".join(f"《{c.title}》（{c.term}）" for c in ended.values())
    return f"（提示：{named}已过文件自述的有效期，是否仍在执行或已有新政策接续，请向发文单位确认。）"


def guide(
    kind: str, named: Sequence[str], in_scope: Sequence[PolicyDocument], documents: Sequence[PolicyDocument],
    examples: Sequence[str], contact: str,
) -> str:
    """The reply to a greeting, thanks, "你能做什么" or an overview.

    Args:
        kind: the intent (greeting, thanks, capabilities, overview).
        named: the places the message (or the page) names.
        in_scope: the documents that apply there (all of them when no place is named).
        documents: every document of the knowledge base.
        examples: questions worth asking there.
    """
    if kind == "overview" and in_scope:
        where = "、".join(named) if named else "知识库"
        titles = "\n".join(f"· 《{d.title}》（{d.region or '未识别地区'}）" for d in in_scope[:_OVERVIEW_TITLES])
        more = f"\n…共 {len(in_scope)} 份。" if len(in_scope) > _OVERVIEW_TITLES else ""
        opening = f"{where}适用的政策文件有：\n{titles}{more}"
        coverage = "想了解哪一方面（如研发补助、人才、融资、专精特新奖励），可以直接问我。"
    else:
        opening = _GUIDE_OPENINGS.get(kind, _GUIDE_OPENINGS["capabilities"])
        regions = sorted({d.region for d in documents if d.region})
        coverage = (
            f"目前收录了{'、'.join(regions)}等地的 {len(documents)} 份政策文件。" if documents
            else "知识库里还没有政策文件，请帮办人员先上传。"
        )
    lines = "\n".join(f"· {q}" for q in examples)
    return prompts.load("guide").render(
        opening=opening, coverage=coverage, examples=lines or "· 专精特新企业有什么奖励？", contact=contact,
    )


def short_path(path: str, limit: int = 30) -> str:
    """A clause path short enough to name in a sentence: its last heading that says
    something (not a bare 一是/二是), cut at `limit` characters.

    Example:
        >>> short_path("二、主要措施 > 一是")
        '二、主要措施'
    """
    headings = [h for h in path.split(" > ") if len(h) > 3] or path.split(" > ")
    heading = headings[-1]
    return heading if len(heading) <= limit else heading[: limit - 1] + "…"


BENEFIT_LIST_LIMIT = 8
BENEFIT_NOTE = "（以上由政策原文逐条整理，是否符合条件、能否叠加享受，以主管部门审核为准。）"


def benefit_list(result, contact: str) -> Draft:
    """政策直达 in chat: the items that apply, then those to confirm, one line each with
    its figure, whom it is for and [n]; what was assumed about the profile first."""
    from assistant.direct import amount_text, yuan

    lines = [f"（{note}）" for note in result.assumed]
    citations = []
    numbers: dict[str, int] = {}
    shown_items = [m for m in result.items if not m.expired][:BENEFIT_LIST_LIMIT]
    shown_unsure = [m for m in result.unsure if not m.expired][: max(0, BENEFIT_LIST_LIMIT - len(shown_items))]
    described = result.profile.describe()
    if not shown_items and not shown_unsure:
        lines.append(f"按您所说的情况（{described}），知识库收录的政策中没有找到能逐条对照的扶持条目。"
                     f"如需人工咨询，{contact}。")
        return Draft("\n".join(lines), (), "direct")
    total = f"，有固定金额或上限的合计约{yuan(result.total_yuan)}" if result.total_yuan else ""
    in_force = [m for m in result.items if not m.expired]
    unsure = [m for m in result.unsure if not m.expired]
    # The items to confirm are counted apart, so the lines listed and "另有…未列出" add up.
    to_confirm = f"，另有 {len(unsure)} 项需确认" if unsure else ""
    lines.append(f"按您所说的情况（{described}），可能适用的政策有 {len(in_force)} 项{to_confirm}{total}：")
    lines += [f"（合计已按《{record.document.title}》的总额上限计算：{cap.quote}。）" for record, cap in result.capped]
    for group, title in ((shown_items, ""), (shown_unsure, f"以下 {len(unsure)} 项还要看企业是否符合条件，请对照原文确认：")):
        if not group:
            continue
        if title:
            lines.append(title)
        for matched in group:
            clause = matched.record.clause
            if clause.clause_id not in numbers:  # one card per clause, however many of its items are listed
                hit = ClauseHit(clause, matched.record.document, 1.0)
                citations.append(citation_for(len(citations) + 1, hit, matched.item.quote))
                numbers[clause.clause_id] = len(citations)
            n = numbers[clause.clause_id]
            lines.append(f"· {matched.item.benefit} {amount_text(matched.item)}：{matched.item.quote}[{n}]")
    hidden = len(in_force) + len(unsure) - len(shown_items) - len(shown_unsure)
    if hidden:
        lines.append(f"另有 {hidden} 项未列出，可在“政策直达”页（/direct）查看完整清单。")
    expired = len(result.items) + len(result.unsure) - len(in_force) - len(unsure)
    if expired:
        lines.append(f"（另有 {expired} 项所在文件已过有效期，未列出。）")
    lines.append(BENEFIT_NOTE)
    return Draft("\n".join(lines), tuple(citations), "direct")
