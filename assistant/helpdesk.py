"""The help desk's side of the assistant: inquiries opened by unanswered questions, the
staff's replies, and the curated answers those replies publish.

Checks what only the knowledge base knows (the regions it covers, the clauses a reply
cites) and keeps a published reply and its inquiry in step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.citations import Citation, citation_for
from assistant.conversation import ConversationStore
from assistant.curated import (
    MAX_QUESTION_CHARS, MAX_REPLY_CHARS, MAX_WORDINGS, CuratedAnswer, CuratedAnswers, CuratedDraft, CuratedMatch,
    checked_text,
)
from assistant.errors import InvalidRequest, NotFound
from assistant.inquiries import Inquiries, Inquiry, Reply
from assistant.qa_files import ImportReport, parse
from knowledge.index import KnowledgeBase
from knowledge.models import ClauseHit

MAX_CITED_CLAUSES = 10


class HelpDesk:
    """Inquiries and curated answers over one conversation database."""

    def __init__(
        self, kb: KnowledgeBase, conversations: ConversationStore, covered_regions: Callable[[], list[str]],
        unit: str, threshold: float | None = None,
    ) -> None:
        self.kb = kb
        self.covered_regions = covered_regions
        self.unit = unit
        self.inquiries = Inquiries(conversations.engine, kb.embed_queries)
        self.curated = CuratedAnswers(conversations.engine, kb.embed_queries, threshold)
        conversations.on_purge.append(self.inquiries.purge)

    # --- serving ----------------------------------------------------------------

    def match(self, question: str, scope: Sequence[str]) -> CuratedMatch | None:
        """The curated answer for `question`, asked within `scope` (the regions searched;
        empty when the question names no place): one published for every region, or for
        a region in the scope. Never one of another place."""
        if not question.strip():
            return None
        return self.curated.match(question, self.kb.query_vector(question), lambda region: not region or region in scope)

    def note(self, turn_id: int, session_id: str, question: str, region: str, channel: str, reason: str) -> int:
        """Open or join the inquiry for an unanswered turn (its embedding is usually the
        one retrieval just computed, so this costs no model run)."""
        return self.inquiries.note(turn_id, session_id, question, region, channel, reason, self.kb.query_vector(question))

    def citations(self, clause_ids: Sequence[str]) -> tuple[Citation, ...]:
        """Citation cards for the clauses a reply cites (quoting each whole); clauses since
        removed from the knowledge base are left out."""
        clauses = self.kb.registry.clauses_by_id(list(clause_ids))
        cited = []
        for clause_id in clause_ids:
            clause = clauses.get(clause_id)
            if clause is None:
                continue
            hit = ClauseHit(clause=clause, document=self.kb.document(clause.doc_id), score=1.0)
            cited.append(citation_for(len(cited) + 1, hit, clause.text.strip()))
        return tuple(cited)

    def replies(self, turn_ids: Sequence[int]) -> dict[int, Reply]:
        return self.inquiries.replies_for_turns(turn_ids)

    # --- the help desk's work ------------------------------------------------------

    def reply(
        self, inquiry_id: int, text: str, publish: bool = False, region: str | None = None, unit: str | None = None,
        clause_ids: Sequence[str] = (), version: int | None = None,
    ) -> Inquiry:
        """Answer an inquiry; with `publish`, the reply becomes a curated answer for
        `region` (the inquiry's own when not given) that later askers are served. Replying
        again (with the version seen) corrects it: the curated answer it published is
        updated, or withdrawn when the new reply is not published."""
        inquiry = self.inquiries.get(inquiry_id)
        text = checked_text(text, "答复内容", MAX_REPLY_CHARS)
        unit = checked_text(unit or self.unit, "答复单位", 100)
        clause_ids = self.checked_clauses(clause_ids)
        region = inquiry.region if region is None else region.strip()
        draft = None
        if publish:
            self.check_region(region)
            wordings = [w for w in inquiry.standalone_questions if "*" not in w]  # masked numbers make poor wordings
            # Checked before anything is stored, so a reply is never kept without what it publishes.
            draft = CuratedDraft(
                question=(wordings or [inquiry.question])[0], answer=text, region=region, unit=unit,
                alternatives=tuple(w for w in wordings[1:] if len(w) <= MAX_QUESTION_CHARS)[:MAX_WORDINGS],
                clause_ids=tuple(clause_ids), inquiry_id=inquiry_id,
            ).checked()
        answered = self.inquiries.reply(inquiry_id, text, unit, clause_ids, curated_id=inquiry.curated_id, version=version)
        if draft is None:
            if inquiry.curated_id is not None:
                self._withdraw_quietly(inquiry.curated_id)
                return self.inquiries.link_curated(inquiry_id, None)
            return answered
        if inquiry.curated_id is not None:
            try:
                self.curated.update(inquiry.curated_id, draft)
                return answered
            except NotFound:  # withdrawn in 问答库 meanwhile: published anew
                pass
        return self.inquiries.link_curated(inquiry_id, self.curated.add(draft).id)

    def _withdraw_quietly(self, curated_id: int) -> None:
        try:
            self.curated.withdraw(curated_id)
        except NotFound:
            pass

    def add_curated(self, draft: CuratedDraft) -> CuratedAnswer:
        return self.curated.add(self.checked(draft))

    def update_curated(self, curated_id: int, draft: CuratedDraft) -> CuratedAnswer:
        return self.curated.update(curated_id, self.checked(draft))

    def checked(self, draft: CuratedDraft) -> CuratedDraft:
        """The draft with its region and clauses checked against the knowledge base."""
        self.check_region(draft.region)
        return CuratedDraft(
            question=draft.question, answer=draft.answer, region=(draft.region or "").strip(), unit=draft.unit or self.unit,
            alternatives=draft.alternatives, clause_ids=tuple(self.checked_clauses(draft.clause_ids)),
            inquiry_id=draft.inquiry_id,
        ).checked()

    def import_file(self, name: str, data: bytes) -> ImportReport:
        """Q&A pairs from a .csv or .xlsx file: the good rows stored together, the bad ones named."""
        drafts, rejected = parse(name, data, self.checked)
        return ImportReport(self.curated.add_many(drafts) if drafts else [], rejected)

    def check_region(self, region: str | None) -> None:
        if region and region.strip() not in self.covered_regions():
            covered = "、".join(self.covered_regions()) or "（暂无）"
            raise InvalidRequest(f"知识库没有“{region.strip()[:30]}”的政策文件，问答不能发布到该地区。可选地区：{covered}；留空表示不限地区。")

    def checked_clauses(self, clause_ids: Sequence[str]) -> list[str]:
        ids = list(dict.fromkeys(c.strip() for c in clause_ids or () if c and c.strip()))
        if len(ids) > MAX_CITED_CLAUSES:
            raise InvalidRequest(f"一条答复最多引用 {MAX_CITED_CLAUSES} 个条款。")
        found = self.kb.registry.clauses_by_id(ids)
        missing = [c for c in ids if c not in found]
        if missing:
            raise InvalidRequest(f"知识库中没有这些条款：{'、'.join(m[:80] for m in missing[:5])}。请从命中测试或文件详情中复制条款编号。")
        return ids
