"""The assistant: one entry point for the CLI, the HTTP API and the web pages.

question -> validate -> standalone question (follow-up rewrite or LLM condense)
-> region scope -> hybrid retrieval with calibrated relevance -> refuse, or answer
(extractive, or LLM with verification and fallback) -> stored turn.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from importlib import resources

import yaml

import prompts
from assistant.answer.base import Answer, Draft
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.config import Settings
from assistant.intents import Intent, classify
from assistant.conversation import ConversationStore, Turn, database_url
from assistant.questions import QuestionFrame, frame, rewrite_follow_up, searchable, validate_question, validate_region
from assistant.relevance import RelevanceModel
from assistant.retrieval import HybridRetriever, RetrievalFilters
from assistant.wording import Wording
from knowledge.index import KnowledgeBase
from knowledge.models import ClauseHit
from knowledge.regions import gazetteer, region_mentions

RETRIEVE_K = 8
RELATED_LEAD = "没有找到直接规定，以下条款可能相关："


@dataclass(frozen=True)
class Retrieval:
    """一次检索：问题槽位、检索结果、知识库未覆盖的地区。"""

    frame: QuestionFrame
    hits: list[ClauseHit]
    uncovered_regions: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()
    """检索限定的文件地区（空表示不限）。"""
    ambiguous: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """需要问清是哪里的地名：(原文, 知识库有文件的同名地区)。"""
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def top_relevance(self) -> float:
        return max((hit.scores.get("relevance", 0.0) for hit in self.hits), default=0.0)


class Assistant:
    """Answers policy questions with cited clauses.

    Usage::

        assistant = Assistant.open(Settings())
        answer = assistant.ask("温县政府采购工程项目预留比例是多少？")
        answer.citations[0].clause_id  # 'wenxian-2023-wanrenzhuwanqi-plan:2.1.4'
    """

    def __init__(
        self,
        settings: Settings,
        kb: KnowledgeBase,
        conversations: ConversationStore,
        relevance: RelevanceModel | None = None,
        llm=None,
    ) -> None:
        self.settings = settings
        self.kb = kb
        self.conversations = conversations
        self.relevance = relevance or RelevanceModel.load()
        self.wording = Wording.load()
        self.retriever = HybridRetriever(kb=kb, k=RETRIEVE_K, relevance=self.relevance, wording=self.wording)
        self.extractive = ExtractiveAnswerer(kb.tokenizer.tokenize, kb.term_weights)
        self.llm = llm

    @classmethod
    def open(
        cls,
        settings: Settings,
        kb: KnowledgeBase | None = None,
        llm=None,
        conversations: ConversationStore | None = None,
    ) -> Assistant:
        """Open the knowledge base and conversation store (the configured one unless
        given); connect the LLM if configured."""
        kb = kb or KnowledgeBase.open(settings.knowledge_config())
        if conversations is None:
            conversations = ConversationStore(
                database_url(settings.data_dir, settings.database_url), retention_days=settings.log_retention_days
            )
        conversations.open()
        if llm is None and settings.llm_base_url and settings.llm_model:
            from assistant.answer.llm import LLMAnswerer

            llm = LLMAnswerer.from_settings(settings)
        return cls(settings, kb, conversations, llm=llm)

    @property
    def mode(self) -> str:
        return "llm" if self.llm is not None else "extractive"

    def examples(self, limit: int = 6, regions: set[str] | None = None) -> list[str]:
        """Example questions for the chat page, for regions the knowledge base covers (and
        within `regions` when given); documents without a written example contribute a
        question built from their title."""
        covered = set(self.covered_regions()) & (regions if regions is not None else set(self.covered_regions()))
        data = yaml.safe_load(resources.files("assistant").joinpath("examples.yaml").read_text(encoding="utf-8"))
        found = [item["question"] for item in data if item.get("region") in covered]
        with_examples = {item.get("region") for item in data}
        for document in self.kb.documents():
            if len(found) >= limit:
                break
            if document.region in covered and document.region not in with_examples:
                found.append(f"《{document.title}》有哪些支持措施？")
                with_examples.add(document.region)
        return found[:limit]

    def covered_regions(self) -> list[str]:
        """The regions of the documents in the knowledge base, for selectors and refusals."""
        return sorted({d.region for d in self.kb.documents() if d.region})

    # --- answering ------------------------------------------------------------

    def ask(self, question: str, session_id: str | None = None, region: str | None = None, channel: str = "cli") -> Answer:
        """The full answer to `question` (see `stream` for the token-by-token form)."""
        answer = None
        for event in self.stream(question, session_id=session_id, region=region, channel=channel):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def stream(
        self, question: str, session_id: str | None = None, region: str | None = None, channel: str = "cli"
    ) -> Iterator[str | Answer]:
        """Text chunks as they are produced, then the final `Answer` (always last).

        When an LLM answer fails verification, the chunks already streamed are
        superseded by the final answer's text; its `mode` says so.
        """
        question = validate_question(question, self.settings.max_question_chars)
        region = validate_region(region)
        session_id = self.conversations.start(session_id, channel=channel)
        history = self.conversations.history(session_id)
        started = time.perf_counter()
        intent = classify(question, [text for text, _ in region_mentions(question)])
        if intent.kind == "overview" and self.region_scope(question, region)[1]:
            intent = Intent("policy")  # an overview of a place with no documents: refused by name below
        if intent.is_guide:
            yield from self._reply_guide(intent, question, region, session_id, started)
            return
        standalone = self.wording.correct(self._standalone(question, history))
        retrieval = self.retrieve(standalone, region)
        timings = {**retrieval.timings_ms, "retrieve": (time.perf_counter() - started) * 1000}
        started = time.perf_counter()
        relevant = [h for h in retrieval.hits if h.scores.get("relevance", 0.0) >= self.relevance.threshold]
        related = [h for h in retrieval.hits if h.scores.get("relevance", 0.0) >= self.relevance.related_floor]
        refused = is_related = False
        if retrieval.ambiguous:
            draft = self._which_place(retrieval.ambiguous)
            yield draft.text
        elif retrieval.uncovered_regions and not retrieval.scope or not related:
            draft = self._refusal(retrieval)
            refused = True
            yield draft.text
        elif not relevant:
            draft = self._related(retrieval.frame, related)
            is_related = True
            yield draft.text
        else:
            by_region = not retrieval.frame.regions and region is None
            draft = yield from self._draft(retrieval.frame, relevant, by_region, history)
        if retrieval.uncovered_regions and draft.citations:
            note = f"（知识库暂未收录{'、'.join(retrieval.uncovered_regions)}的政策，以上仅涉及已收录地区。）"
            draft = Draft(draft.text + "\n" + note, draft.citations, draft.mode, draft.notice)
            yield "\n" + note
        timings["answer"] = (time.perf_counter() - started) * 1000
        answer = Answer(
            text=draft.text, citations=draft.citations, refused=refused,
            mode=draft.mode if not refused else self.mode, session_id=session_id, question=question,
            standalone_question=standalone, timings_ms=timings, notice=draft.notice, related=is_related,
        )
        turn_id = self.conversations.record(session_id, answer, retrieval.top_relevance)
        yield replace(answer, turn_id=turn_id)

    def _reply_guide(self, intent: Intent, question: str, region: str | None, session_id: str, started: float):
        """Greetings, thanks, "what can you do" and overviews: what the knowledge base
        covers (for an overview, in the place asked about) and three questions to ask."""
        text = self.guide_text(intent, question, region)
        yield text
        answer = Answer(
            text=text, citations=(), refused=False, mode="guide", session_id=session_id, question=question,
            standalone_question=question, timings_ms={"answer": (time.perf_counter() - started) * 1000},
        )
        turn_id = self.conversations.record(session_id, answer, 1.0)
        yield replace(answer, turn_id=turn_id)

    def guide_text(self, intent: Intent, question: str = "", region: str | None = None) -> str:
        places = gazetteer()
        documents = self.kb.documents()
        named = list(frame(question, (region,) if region else ()).regions) or ([region] if region else [])
        chain = {name for place in named for name in places.chain(place)}
        in_scope = [d for d in documents if not chain or d.region in chain]
        openings = {
            "greeting": "您好！我是惠企政策助手，可以按已收录的政策文件回答企业扶持、奖补、融资、人才等问题，并注明依据的条款原文。",
            "thanks": "不客气！还有其他政策问题，随时问我。",
            "capabilities": "我可以按已收录的政策文件回答企业扶持、奖补、融资、人才等问题，并注明依据的条款原文；文件没有写到的，我会如实说明。",
        }
        if intent.kind == "overview" and in_scope:
            where = "、".join(named) if named else "知识库"
            titles = "\n".join(f"· 《{d.title}》（{d.region or '未识别地区'}）" for d in in_scope[:8])
            more = f"\n…共 {len(in_scope)} 份。" if len(in_scope) > 8 else ""
            opening = f"{where}适用的政策文件有：\n{titles}{more}"
            coverage = "想了解哪一方面（如研发补助、人才、融资、专精特新奖励），可以直接问我。"
        else:
            opening = openings.get(intent.kind, openings["capabilities"])
            regions = sorted({d.region for d in documents if d.region})
            coverage = (
                f"目前收录了{'、'.join(regions)}等地的 {len(documents)} 份政策文件。" if documents
                else "知识库里还没有政策文件，请帮办人员先上传。"
            )
        examples = "\n".join(f"· {q}" for q in self.examples(limit=3, regions=chain or None))
        return prompts.load("guide").render(
            opening=opening, coverage=coverage, examples=examples or "· 专精特新企业有什么奖励？",
            contact=self.settings.helpdesk_contact,
        )

    def _standalone(self, question: str, history: list[Turn]) -> str:
        question = searchable(question)
        if not history:
            return question
        if self.llm is not None:
            condensed = self.llm.condense(question, history)
            if condensed:
                return condensed
        return rewrite_follow_up(question, history[-1].standalone_question)

    def _draft(self, question: QuestionFrame, relevant: list[ClauseHit], by_region: bool, history: list[Turn]):
        extractive = self.extractive.answer(question, relevant, by_region=by_region)
        if self.llm is None:
            for line in extractive.text.splitlines(keepends=True):
                yield line
            return extractive
        return (yield from self.llm.answer(question.text, relevant, history, fallback=extractive))

    # --- retrieval ------------------------------------------------------------

    def search(self, question: str, region: str | None = None, k: int | None = None) -> Retrieval:
        """The hit test: the clauses `ask` would consider for `question`, scoped to the same
        regions, ranked by calibrated relevance (`hit.scores["relevance"]`); the question
        and region are checked as `ask` checks them."""
        question = validate_question(question, self.settings.max_question_chars)
        return self.retrieve(question, validate_region(region), k)

    def retrieve(self, question: str, region: str | None = None, k: int | None = None) -> Retrieval:
        """Clauses for `question`, limited to the region chain it (or the selector) names.

        A named region with no documents in its chain is reported in
        `uncovered_regions` and never answered with another region's clauses; a place
        name several regions share, with documents for more than one, is reported in
        `ambiguous` so the visitor can be asked which one.
        """
        started = time.perf_counter()
        question_frame = frame(question, (region,) if region else ())
        scope, uncovered, ambiguous = self.region_scope(question, region, question_frame)
        hits: list[ClauseHit] = []
        if not ambiguous and (scope or not uncovered):
            filters = RetrievalFilters(regions=scope) if scope else None
            for _ in range(2):
                # A search that straddles a document swap may mix the old and the new
                # index (a clause found by one side only, unscored by the other): once
                # the swap is seen, the question is searched again on the new index.
                revision = self.kb.registry.revision()
                hits = self.retriever.retrieve(question, k=k or RETRIEVE_K, filters=filters)
                if self.kb.registry.revision() == revision:
                    break
            hits.sort(key=lambda h: h.scores.get("relevance", 0.0), reverse=True)
        elapsed = (time.perf_counter() - started) * 1000
        return Retrieval(question_frame, hits, uncovered, scope, ambiguous=ambiguous, timings_ms={"search": elapsed})

    def region_scope(
        self, question: str, region: str | None = None, question_frame: QuestionFrame | None = None
    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
        """(document regions to search, named places the knowledge base does not cover,
        shared place names to ask about).

        A place reaches its chain: 甘井子区 -> 大连市 -> 辽宁省 -> 全国, as far as
        documents exist; a place with none in its chain reaches the places inside it
        that have documents (金华市 -> 义乌市), else it is not covered.
        """
        places = gazetteer()
        question_frame = question_frame or frame(question, (region,) if region else ())
        named = list(question_frame.regions)
        if not named and region and not question_frame.unresolved:
            named = [region]
        corpus = set(self.covered_regions())
        scope: set[str] = set()
        uncovered: list[str] = []
        for name in named:
            related = (set(places.chain(name)) & corpus) or (set(places.descendants(name)) & corpus)
            if related:
                scope |= related
            else:
                uncovered.append(name)
        ambiguous = []
        for text, candidates in question_frame.unresolved:
            reachable = [c for c in candidates if set(places.chain(c)) - {"全国"} & corpus]
            if not reachable and text in places.informal:
                # A short form several places share (新城) is as often an ordinary word
                # (生态科技创新城): with no documents behind it, it neither scopes nor refuses.
                continue
            if not reachable:
                uncovered.append(text)
            elif len(reachable) == 1:
                scope |= set(places.chain(reachable[0])) & corpus
            else:
                ambiguous.append((text, tuple(reachable)))
        return tuple(sorted(scope)), tuple(uncovered), tuple(ambiguous)

    def _related(self, question: QuestionFrame, hits: list[ClauseHit]) -> Draft:
        """No clause states it; the closest ones are quoted, marked as such."""
        quoted = self.extractive.answer(question, hits, by_region=False)
        return Draft(RELATED_LEAD + "\n" + quoted.text, quoted.citations, quoted.mode)

    def _which_place(self, ambiguous: tuple[tuple[str, tuple[str, ...]], ...]) -> Draft:
        text, candidates = ambiguous[0]
        return Draft(f"“{text}”在多个地方都有：{'、'.join(candidates)}。请问您指的是哪一个？", (), "clarify")

    def _refusal(self, retrieval: Retrieval) -> Draft:
        covered = "、".join(self.covered_regions()) or "（暂无）"
        if retrieval.uncovered_regions:
            regions = "、".join(retrieval.uncovered_regions)
            reason = f"知识库暂未收录{regions}的政策文件，不能用其他地区的规定代为回答。"
            closest = f"目前收录的是以下地区的政策：{covered}。"
        else:
            reason = "知识库中没有与这个问题直接相关的政策条款，无法据此作答。"
            nearest = []
            for hit in retrieval.hits[:3]:
                item = f"《{hit.document.title}》“{_short_path(hit.clause.clause_path)}”"
                if item not in nearest:
                    nearest.append(item)
            closest = (
                "知识库中与此最接近的内容是：" + "；".join(nearest) + "，但都没有回答您的问题。"
                if nearest
                else f"知识库目前收录的是以下地区的政策：{covered}。"
            )
        text = prompts.load("refusal").render(reason=reason, closest=closest, contact=self.settings.helpdesk_contact)
        return Draft(text, (), self.mode)


def _short_path(path: str, limit: int = 30) -> str:
    """A clause path short enough to name in a sentence: its last heading that says
    something (not a bare 一是/二是), cut at `limit` characters."""
    headings = [h for h in path.split(" > ") if len(h) > 3] or path.split(" > ")
    heading = headings[-1]
    return heading if len(heading) <= limit else heading[: limit - 1] + "…"
