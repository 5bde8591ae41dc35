"""Two or three questions to click after an answer, drawn from the knowledge base: how
to apply or whom to ask, where the cited document says so, and the clauses beside the one
cited. Each is worded so that it finds its clause again (the document's title or the
clause's own heading), so a suggestion leads to an answer, not a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.citations import Citation
from knowledge.models import Clause

MAX_SUGGESTIONS = 3
_MARKER = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百零〇\d]+[章节条]|[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十\d]+[)）]|"
    r"\d+[.、．]|[一二三四五六七八九十]是|★)\s*"
)
_APPLY = re.compile(r"申报|申请|办理程序|办理流程|兑现")
_CONTACT = re.compile(r"联系电话|咨询电话|联系人|联系方式")
_HEADING_CHARS = (4, 22)
"""A heading used as a question is at least and at most this many characters."""


def heading_topic(path: str) -> str:
    """The last heading of a clause path, without its number and end punctuation, or ""
    when it is too short or too long to make a question of.

    Example:
        >>> heading_topic("第二章适用范围和标准 > 第九条鼓励建设海外仓 > （二）鼓励建设公共海外仓")
        '鼓励建设公共海外仓'
        >>> heading_topic("二、重点任务 > 4.")
        ''
    """
    last = path.split(" > ")[-1]
    if last.endswith("…"):
        return ""
    topic = _MARKER.sub("", last).strip(" 。；;：:，,")
    low, high = _HEADING_CHARS
    return topic if low <= len(topic) <= high and re.search(r"[\u4e00-\u9fff]{2}", topic) else ""


def follow_ups(question: str, cited: Sequence[Citation], document_clauses: Sequence[Clause]) -> list[str]:
    """Questions to ask next about the document of the first citation.

    Args:
        question: what was just asked (never suggested again).
        cited: the answer's citations, the one it leads with first.
        document_clauses: every clause of that citation's document, in order.
    """
    if not cited:
        return []
    lead = cited[0]
    title = f"《{lead.title}》"
    cited_ids = {c.clause_id for c in cited}
    found: list[str] = []
    headings = [c.clause_path.split(" > ")[-1] for c in document_clauses]
    if any(_APPLY.search(h) for h in headings) and not _APPLY.search(question):
        found.append(f"{title}怎么申报？")
    parent = lead.clause_path.rsplit(" > ", 1)[0] if " > " in lead.clause_path else None
    at = next((i for i, c in enumerate(document_clauses) if c.clause_id == lead.clause_id), 0)
    nearby = sorted(range(len(document_clauses)), key=lambda i: abs(i - at))
    for i in nearby:
        clause = document_clauses[i]
        if clause.clause_id in cited_ids or " > " not in clause.clause_path:
            continue
        if parent is not None and clause.clause_path.rsplit(" > ", 1)[0] != parent:
            continue
        topic = heading_topic(clause.clause_path)
        if topic and topic not in question:
            found.append(f"{lead.region}{topic}有什么支持？" if lead.region not in topic else f"{topic}有什么支持？")
            if len(found) >= 2:
                break
    if any(_CONTACT.search(c.text) for c in document_clauses) and not _CONTACT.search(question):
        found.append(f"{title}找哪个部门咨询？")
    if len(found) < 2 and len(document_clauses) > 1:
        found.append(f"{title}还有哪些支持措施？")
    unique = list(dict.fromkeys(q for q in found if q != question))
    return unique[:MAX_SUGGESTIONS]
