"""The assistant: one entry point for the CLI, the HTTP API and the web pages.

question -> validate -> standalone question (follow-up rewrite or LLM condense)
-> region scope -> hybrid retrieval with calibrated relevance -> refuse, or answer
(extractive, or LLM with verification and fallback) -> stored turn.

Each step lives in a module of its own (questions, scope, retrieval, replies, parts,
suggestions, answer/); this one only puts them in order, which is why it runs to about
300 lines.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from importlib import resources

import yaml

from assistant import replies
from assistant.answer.base import Answer, Answerer, Draft, final_draft
from assistant.answer.extractive import SUPPORT_SHARE, ExtractiveAnswerer, names_the_document, subject_words
from assistant.citations import sentences
from assistant.config import Settings
from assistant.conversation import ConversationStore, Turn, database_url
from assistant.direct import asks_for_benefits, match, profile_from_text
from assistant.errors import InvalidRequest
from assistant.helpdesk import HelpDesk
from assistant.intents import Intent, classify
from assistant.parts import combine, question_parts, with_subject_of, without_asked_before, without_remark
from assistant.privacy import mask_pii
from assistant.questions import (
    QuestionFrame, adds_nothing, asks_basis, asks_next_step, asks_yes_or_no, beyond_what_is_known, carried_over, frame, rewrite_follow_up, searchable,
    stated_pattern, title_levels, validate_question, validate_region,
)
from assistant.relevance import RelevanceModel
from assistant.retrieval import HybridRetriever, RetrievalFilters
from assistant.scope import scope_question
from assistant.suggestions import MAX_SUGGESTIONS, follow_ups
from assistant.tiers import beyond_tiers, granted, matching_tier
from assistant.wording import Wording
from knowledge.index import KnowledgeBase
from knowledge.errors import DocumentNotFound
from knowledge.models import Clause, ClauseHit, StoredDocument
from knowledge.regions import gazetteer, region_mentions

RETRIEVE_K = 8
DOCUMENT_FACTS = ("who", "date", "doc_number")
"""Facts a policy states once for all its measures (who takes applications, when it applies,
which documents it follows)."""


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


YES_OR_NO_LEAD = 2.0
"""How many times as relevant as the next clause the one related clause must be to answer a
yes-or-no question on its own: twice, a clear lead, not a choice among near equals."""

FOLLOW_UP_DEPTH = 3
"""How far down the previous documents' clauses for the follow-up's own words one stating
the fact asked may be."""
FOLLOW_UP_FACTS = ("use", "who", "date", "duration", "contact")
"""Facts a follow-up may ask of the documents the last answer quoted, not found by the
search that puts the previous subject in front (a figure is: it is about that subject)."""


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
        self.extractive = ExtractiveAnswerer(kb.tokenizer.tokenize, kb.term_weights, grants_of=kb.benefits_of,
                                             variants=self.wording.variants, clauses_of=kb.clauses)
        self.llm = llm.with_fallback(self.extractive) if llm is not None else None
        self.answerer: Answerer = self.llm or self.extractive
        self.helpdesk = HelpDesk(kb, conversations, self.covered_regions, settings.helpdesk_unit)
        self._per_revision: dict[tuple, list] = {}  # amendments and fact-stating clauses of documents

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
        data = _written_examples()
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
        session_id, history = self.conversations.resume(session_id, channel=channel)
        started = time.perf_counter()
        intent = classify(question, [text for text, _ in region_mentions(question)])
        if intent.kind == "overview" and self.region_scope(question, region).uncovered:
            intent = Intent("policy")  # an overview of a place with no documents: refused by name below
        if intent.is_guide:
            yield from self._reply_guide(intent, question, region, session_id, started)
            return
        if asks_for_benefits(question):
            yield from self._reply_benefits(question, region, session_id, started)
            return
        standalone = self.corrected(self._standalone(question, history))
        if history:
            standalone = without_asked_before(standalone, history[-1].standalone_question)
        retrieval = self.retrieve(standalone, region)
        leaning = False
        if history:
            standalone, retrieval, leaning = self._leaning_on_previous(question, history, region, standalone, retrieval)
        if history and not leaning:
            retrieval = self._in_the_documents_quoted_before(question, history[-1], retrieval)
        following = self._next_step(question, history, retrieval) if history and asks_next_step(question) else None
        if following is not None:
            retrieval = replace(retrieval, hits=[following])  # the step asked for, not more search results
        timings = {**retrieval.timings_ms, "retrieve": (time.perf_counter() - started) * 1000}
        started = time.perf_counter()
        relevant = self._answering(retrieval)
        related = [h for h in retrieval.hits if h.scores.get("relevance", 0.0) >= self.relevance.related_floor]
        refused = is_related = False
        answerable = not retrieval.ambiguous and (retrieval.scope or not retrieval.uncovered_regions)
        curated = self.helpdesk.match(standalone, retrieval.scope) if answerable else None
        # A question read with the previous one is still one question, not two parts.
        parts = question_parts(standalone) if not leaning else [standalone]
        by_parts = self._by_parts(parts, region, history) if len(parts) > 1 and answerable and not curated else None
        if curated is not None:
            draft = self._curated_draft(curated.answer)
            yield draft.text
        elif by_parts is not None:
            draft = by_parts
            yield from draft.text.splitlines(keepends=True)
        elif retrieval.ambiguous:
            draft = replies.which_place(retrieval.ambiguous)
            yield draft.text
        elif retrieval.uncovered_regions and not retrieval.scope or not related and not relevant:
            draft = replies.refusal(
                retrieval.uncovered_regions, retrieval.hits, self.covered_regions(), self.settings.helpdesk_contact,
                self.mode,
            )
            refused = True
            yield draft.text
        elif not relevant:
            draft = replies.related(final_draft(self.extractive.stream(retrieval.frame, related)))
            is_related = True
            yield draft.text
        else:
            # Region by region when no place narrows it, or when several are asked side by side.
            by_region = len(retrieval.frame.regions) > 1 or not retrieval.frame.regions and region is None
            quoted = self._with_document_facts(retrieval.frame, self._with_amendments(relevant))
            draft = yield from self.answerer.stream(retrieval.frame, quoted, history, by_region)
        notes = [replies.uncovered_note(retrieval.uncovered_regions) if retrieval.uncovered_regions else "",
                 replies.expired_note(draft.citations)] if draft.citations else []
        for note in filter(None, notes):
            draft = Draft(draft.text + "\n" + note, draft.citations, draft.mode, draft.notice)
            yield "\n" + note
        suggestions = self._suggestions(standalone, draft, retrieval.scope)
        timings["answer"] = (time.perf_counter() - started) * 1000
        answer = Answer(
            text=draft.text, citations=draft.citations, refused=refused,
            mode=draft.mode if not refused else self.mode, session_id=session_id, question=question,
            standalone_question=standalone, timings_ms=timings, notice=draft.notice, related=is_related,
            suggestions=suggestions,
        )
        asked_region = self._asked_region(retrieval, region)
        turn_id = self.conversations.record(session_id, answer, retrieval.top_relevance, asked_region)
        if refused or is_related:
            self.helpdesk.note(turn_id, session_id, mask_pii(standalone), asked_region, channel,
                               "refused" if refused else "related")
        yield replace(answer, turn_id=turn_id)

    def corrected(self, text: str) -> str:
        """`text` with its typos repaired: policy terms, places, and the knowledge base's own
        words (how many of its clauses hold a word is what the repair may trust)."""
        return self.wording.correct(text, self.kb.document_frequencies)

    def rate(self, session_id: str, turn_id: int, rating: str, comment: str = "") -> None:
        """👍/👎 on an answer; a 👎 on a policy answer opens (or joins) an inquiry."""
        self.conversations.add_feedback(session_id, turn_id, rating, comment)
        if rating != "down":
            return
        turn = self.conversations.turn(turn_id)
        if turn is not None and turn.outcome not in ("guide",):
            self.helpdesk.note(turn.turn_id, turn.session_id, turn.standalone_question or turn.question, turn.region,
                               turn.channel, "down")

    def _curated_draft(self, curated) -> Draft:
        """A help-desk reply as the answer, signed with its unit and date, with the clauses it cites."""
        return Draft(f"{curated.answer}\n\n{curated.label}", self.helpdesk.citations(curated.clause_ids), "curated")

    @staticmethod
    def _asked_region(retrieval: Retrieval, region: str | None) -> str:
        """The place a question was about: the most specific one it names, else the page's."""
        named = retrieval.frame.regions
        if named:
            return max(named, key=lambda name: len(gazetteer().chain(name)))
        return region or ""

    def _suggestions(self, question: str, draft: Draft, scope: tuple[str, ...]) -> tuple[str, ...]:
        """What to ask next: about the cited document when there is one, else questions the
        knowledge base answers in the places searched."""
        found = follow_ups(question, draft.citations, self.kb.clauses(draft.citations[0].doc_id)) if draft.citations else []
        if len(found) < 2:  # topped up with questions the knowledge base answers there
            found += self.examples(limit=MAX_SUGGESTIONS + 1, regions=set(scope) or None)
        return tuple(dict.fromkeys(q for q in found if q != question))[:MAX_SUGGESTIONS]

    def _clear_winner(self, hits: list[ClauseHit]) -> list[ClauseHit]:
        """Asked yes or no ("市里支持这个不？"), the one related clause far ahead of every
        other is what the answer is: the clause that says whether, in words of its own
        (鼓励…, 不受…限制), rarely shares the owner's words enough to pass the threshold.
        Nothing when no clause is related or two are about as likely; a clause alone is
        measured against the related floor, as if one stood there."""
        ranked = sorted(hits, key=lambda h: h.scores.get("relevance", 0.0), reverse=True)
        scores = [h.scores.get("relevance", 0.0) for h in ranked]
        # It must state a fact of the kind asked, if any ("有购置补贴吗": a grant, not 用地).
        if not scores or scores[0] < self.relevance.related_floor or not ranked[0].scores.get("states_fact", 1.0):
            return []
        runner_up = max(scores[1:], default=self.relevance.related_floor)
        return ranked[:1] if scores[0] >= YES_OR_NO_LEAD * runner_up else []

    def _answering(self, retrieval: Retrieval) -> list[ClauseHit]:
        """The hits relevant enough to answer from; none when the question asks for a
        figure ("补多少") that no relevant clause states, or that the sentences quoted in
        answer do not state (they are related, not an answer)."""
        relevant = [h for h in retrieval.hits if h.scores.get("relevance", 0.0) >= self.relevance.threshold]
        if not relevant and asks_yes_or_no(retrieval.frame.text) and not retrieval.frame.figures:
            relevant = self._clear_winner(retrieval.hits)
        best = max((h.scores.get("relevance", 0.0) for h in relevant), default=0.0)
        # "XX办法从哪天施行": asked of a document named by its title, whose articles share
        # no other word with the question; those stating the fact are as relevant as the best.
        named = None
        if any(k in DOCUMENT_FACTS for k in retrieval.frame.fact_kinds):
            words = subject_words(retrieval.frame.text, self.kb.tokenizer.tokenize)
            named = next((h for h in retrieval.hits
                          if names_the_document(words, h.document.title, self.wording.variants)), None)
        if named is not None:
            lent = self._with_document_facts(retrieval.frame, [named], max(best, self.relevance.threshold))[1:]
            have = {h.clause.clause_id for h in relevant}
            relevant += [h for h in lent if h.clause.clause_id not in have]
            best = max(best, self.relevance.threshold) if lent else best
        def stated(text: str) -> bool:
            return states_the_figure_asked(retrieval.frame, text)

        # The figure must come from a clause about as likely to be about the question as the
        # best one: a clause far down the list that happens to hold a figure is no answer.
        if not any(stated(h.clause.text) for h in relevant if h.scores.get("relevance", 0.0) >= SUPPORT_SHARE * best):
            return []
        # The most relevant clause's tiers all lie on one side of the figure the question
        # states (贡献超过1000万 against tiers up to 1000万元): what applies is not stated.
        if relevant and beyond_tiers(retrieval.frame.text, relevant[0].clause.text):
            return []
        # The tier that holds it grants no such figure (1000万元以上的…给予特殊优惠政策支持).
        tier = matching_tier(retrieval.frame.text, relevant[0].clause.text) if relevant else None
        if tier is not None and retrieval.frame.figures and not stated(granted(tier)):
            return []
        # The sentences that answer may still not state it, the figure belonging to another
        # measure of the clause (对等级评定…给予一次性奖励, beside 责任险补助80%).
        if relevant and retrieval.frame.figures:
            quotes = self.extractive.answer(retrieval.frame, relevant).citations
            if not any(stated(c.quote) for c in quotes):
                return []
            # Or state it only about another of their measures.
            if not any(self.extractive.subject_states(retrieval.frame, h, stated) for h in relevant
                       if h.scores.get("relevance", 0.0) >= SUPPORT_SHARE * best and stated(h.clause.text)):
                return []
        return relevant

    def _with_amendments(self, relevant: list[ClauseHit]) -> list[ClauseHit]:
        """A later document that changes the best clause's document ("继续执行《…若干政策》…
        将原文第五条中‘以2009年为基数’修改为‘以2014年为基数’") is quoted with it, as relevant
        as the best clause and right after it: without it the answer would state a rule no
        longer in force."""
        if not relevant:
            return relevant
        amending = {h.clause.clause_id: h for h in self._amending(relevant[0].document)}
        if not amending:
            return relevant
        best = max(h.scores.get("relevance", 0.0) for h in relevant)
        marked = [replace(h, scores={**h.scores, "amends": 1.0}) if h.clause.clause_id in amending else h
                  for h in relevant]
        have = {h.clause.clause_id for h in relevant}
        lent = [replace(h, scores={**h.scores, "relevance": best, "amends": 1.0})
                for clause_id, h in amending.items() if clause_id not in have]
        changes = [h for h in marked[1:] if h.scores.get("amends")] + lent
        return [marked[0], *changes, *(h for h in marked[1:] if not h.scores.get("amends"))]

    def _amending(self, document: StoredDocument) -> list[ClauseHit]:
        """Clauses of later documents that name `document` (its title or 文号) and change it,
        found by searching its title; kept per document until the knowledge base changes."""
        def amending() -> list[ClauseHit]:
            names = [name for name in (document.title, document.doc_number) if len(name) >= 6]
            return [
                h for h in (self.kb.lexical_search(document.title, AMENDING_SEARCHED) if names else [])
                if h.document.doc_id != document.doc_id and any(n in h.clause.text for n in names)
                and AMENDS.search(h.clause.text)
                # Issued later, when both dates are known: an older text citing it changes nothing.
                and not (h.document.date and document.date and h.document.date <= document.date)
            ]

        return self._kept_for_revision(("amending", document.doc_id), amending)

    def _kept_for_revision(self, key: tuple, work: Callable[[], list]) -> list:
        """`work()`, kept under `key` until the knowledge base changes."""
        key = (self.kb.registry.revision(), *key)
        found = self._per_revision.get(key)
        if found is None:
            found = work()
            if len(self._per_revision) > 2048:
                self._per_revision.clear()
            self._per_revision[key] = found
        return found

    def _with_document_facts(
        self, question: QuestionFrame, relevant: list[ClauseHit], relevance: float | None = None,
    ) -> list[ClauseHit]:
        """Who takes applications and from when a policy applies are stated once, in an
        article that names neither the subject nor the grant ("本办法各类扶持申请由区商务局
        统一受理"): asked for one, the best clause's document lends the articles that state
        it, for the answer to quote. Whether to answer was decided without them."""
        kinds = [k for k in question.fact_kinds if k in DOCUMENT_FACTS
                 and (k != "doc_number" or asks_basis(question.text))]
        if not kinds or not relevant:
            return relevant
        have = {h.clause.clause_id for h in relevant}
        document = relevant[0].document
        floor = self.relevance.threshold if relevance is None else relevance
        lent = [ClauseHit(c, document, 0.0, {"relevance": floor})
                for c in self._stating(document.doc_id, tuple(kinds)) if c.clause_id not in have]
        return relevant + lent

    def _stating(self, doc_id: str, kinds: tuple[str, ...]) -> list[Clause]:
        """The clauses of a document stating a fact of `kinds`, kept until the knowledge base
        changes: searching a long document's every clause is not redone for each question."""
        def stating() -> list[Clause]:
            patterns = [stated_pattern(k) for k in kinds]
            return [c for c in self.kb.clauses(doc_id) if any(p.search(c.text) for p in patterns)]

        return self._kept_for_revision(("stating", doc_id, kinds), stating)

    def _by_parts(self, parts: list[str], region: str | None, history: list[Turn]) -> Draft | None:
        """Each part searched and answered on its own; None when no part can be answered
        (the question is then answered, related or refused as a whole)."""
        drafts: list[Draft | None] = []
        answered_before: list[ClauseHit] = []
        for index, part in enumerate(parts):
            retrieval = self.retrieve(part, region)
            # "有没有创业担保贷款？哪个部门牵头管": who carries out what an earlier ask was
            # answered with is named in that clause (…（人民银行沈阳分行牵头负责）). Only who:
            # a figure there is the earlier ask's own.
            relevant = [h for h in answered_before if retrieval.frame.fact_kinds == ("who",)
                        and retrieval.frame.states_a_fact_asked(h.clause.text)][:1]
            if not relevant:
                relevant = [] if retrieval.ambiguous else self._answering(retrieval)
            if not relevant and index > 0 and (with_subject := with_subject_of(parts[0], part)) != part:
                # "郑州小巨人累计有多少家？首次获评奖多少？": the second ask is about the first's subject.
                retrieval = self.retrieve(with_subject, region)
                relevant = [] if retrieval.ambiguous else self._answering(retrieval)
            answered_before += relevant
            quoted = self._with_document_facts(retrieval.frame, self._with_amendments(relevant))
            drafts.append(final_draft(self.answerer.stream(retrieval.frame, quoted, history)) if relevant else None)
        answered = [d for d in drafts if d is not None]
        if not answered:
            return None
        return combine(parts, drafts, answered[0].mode)

    def _reply_guide(self, intent: Intent, question: str, region: str | None, session_id: str, started: float):
        """Greetings, thanks, "what can you do" and overviews: what the knowledge base
        covers (for an overview, in the place asked about) and three questions to ask."""
        text = self.guide_text(intent, question, region)
        yield text
        answer = Answer(
            text=text, citations=(), refused=False, mode="guide", session_id=session_id, question=question,
            standalone_question=question, timings_ms={"answer": (time.perf_counter() - started) * 1000},
            suggestions=tuple(self.examples(limit=MAX_SUGGESTIONS)),
        )
        turn_id = self.conversations.record(session_id, answer, 1.0)
        yield replace(answer, turn_id=turn_id)

    def _reply_benefits(self, question: str, region: str | None, session_id: str, started: float):
        """"我们…能享受哪些政策": the benefit items of the enterprise's place that its
        profile may qualify for, one line each with its figure and [n]."""
        try:
            profile, assumed = profile_from_text(question, region or "")
        except InvalidRequest as exc:
            profile, assumed, text = None, (), str(exc)
        else:
            text = "请问企业在哪个地区（区县或城市）？告诉我地区和行业、规模、已有资质，我按当地政策逐条对照。"
        if profile is None:
            draft = Draft(text, (), "clarify")
        else:
            draft = replies.benefit_list(match(self.kb.benefits(), profile, assumed), self.settings.helpdesk_contact)
        yield draft.text
        answer = Answer(
            text=draft.text, citations=draft.citations, refused=False, mode=draft.mode, session_id=session_id,
            question=question, standalone_question=question,
            timings_ms={"answer": (time.perf_counter() - started) * 1000},
        )
        turn_id = self.conversations.record(session_id, answer, 1.0, profile.region if profile else "")
        yield replace(answer, turn_id=turn_id)

    def guide_text(self, intent: Intent, question: str = "", region: str | None = None) -> str:
        places = gazetteer()
        documents = self.kb.documents()
        named = list(frame(question, (region,) if region else ()).regions) or ([region] if region else [])
        chain = {name for place in named for name in places.chain(place)}
        in_scope = [d for d in documents if not chain or d.region in chain]
        examples = self.examples(limit=3, regions=chain or None)
        return replies.guide(intent.kind, named, in_scope, documents, examples, self.settings.helpdesk_contact)

    def _in_the_documents_quoted_before(self, question: str, previous: Turn, retrieval: Retrieval) -> Retrieval:
        """A follow-up asking something other than a figure about what the last answer
        quoted ("那这笔奖励钱咋花有要求没？", "谁来审？") is answered from the clause of the
        documents quoted then that states it, when the search with the previous question's
        subject in front found first the very clause quoted then, which does not state it, or
        nothing that answers in those documents."""
        own = self.corrected(searchable(question))
        # "这笔奖励谁来审": the grant is what it is about, who reviews it what it asks.
        kinds = [k for k in frame(own).fact_kinds if k in FOLLOW_UP_FACTS][:1]
        if not previous.cited or not kinds or region_mentions(own):
            return retrieval
        documents = tuple(dict.fromkeys(doc_id for doc_id, _ in previous.cited))
        states = stated_pattern(kinds[0])
        top = retrieval.hits[0] if retrieval.hits else None
        quoted = {clause_id for _, clause_id in previous.cited}
        answers_otherwise = top is not None and top.clause.clause_id not in quoted and (
            top.document.doc_id not in documents or top.scores.get("relevance", 0.0) >= self.relevance.threshold)
        if top is None or states.search(top.clause.text) or answers_otherwise:
            return retrieval  # answered, or by another clause: a question of its own
        found = self.retriever.retrieve(own, k=RETRIEVE_K, filters=RetrievalFilters(doc_ids=documents))
        found.sort(key=lambda h: h.scores.get("relevance", 0.0), reverse=True)
        stating = [h for h in found[:FOLLOW_UP_DEPTH] if states.search(h.clause.text)][:1]
        if not stating:
            return retrieval
        # It answers alone: the clauses quoted before only say again what was answered then.
        best = max((h.scores.get("relevance", 0.0) for h in retrieval.hits), default=0.0)
        relevance = max(best, self.relevance.threshold)
        chosen = replace(stating[0], scores={**stating[0].scores, "relevance": relevance})
        rest = [h for h in retrieval.hits if h.clause.clause_id != chosen.clause.clause_id and h.clause.clause_id not in quoted]
        return replace(retrieval, hits=[chosen, *rest])

    def _next_step(self, question: str, history: list[Turn], retrieval: Retrieval) -> ClauseHit | None:
        """"审核过了以后呢？" after an answer quoting one step of a procedure ("（三）项目评审
        结束后…公正性审核"): the next item of the same article, as relevant as an answer
        needs; None when the answer quoted no such step."""
        if not history[-1].cited:
            return None
        doc_id, clause_id = history[-1].cited[0]
        try:  # the document may have been removed or changed since that answer
            clauses, document = self.kb.clauses(doc_id), self.kb.document(doc_id)
        except DocumentNotFound:
            return None
        at = next((i for i, c in enumerate(clauses) if c.clause_id == clause_id), None)
        if at is None or at + 1 >= len(clauses):
            return None
        step, following = clauses[at], clauses[at + 1]
        if not step.parent_path or step.parent_path != following.parent_path:
            return None
        best = max((h.scores.get("relevance", 0.0) for h in retrieval.hits), default=0.0)
        relevance = max(best, self.relevance.threshold)
        return ClauseHit(following, document, relevance, {"relevance": relevance})

    def _leaning_on_previous(
        self, question: str, history: list[Turn], region: str | None, standalone: str, retrieval: Retrieval,
    ) -> tuple[str, Retrieval, bool]:
        """A short question no clause answers on its own, whose rewrite took nothing from the
        previous question ("报给哪个部门啊？", "那能补几年？"), is read with the previous
        question too when the clauses answer that reading (True when they do)."""
        asked = self.corrected(searchable(question))
        if retrieval.top_relevance >= self.relevance.threshold or not adds_nothing(standalone, asked):
            return standalone, retrieval, False
        joined = carried_over(asked, history[-1].standalone_question)
        if joined is None:
            return standalone, retrieval, False
        leaning = self.retrieve(joined, region)
        # Only when it answers: a new question no clause covers must not get the last answer again.
        if leaning.top_relevance >= self.relevance.threshold:
            return joined, leaning, True
        return standalone, retrieval, False

    def _standalone(self, question: str, history: list[Turn]) -> str:
        question = searchable(question)
        if not history:
            return question
        if self.llm is not None:
            condensed = self.llm.condense(question, history)
            if condensed:
                return condensed
        return rewrite_follow_up(question, history[-1].standalone_question)

    # --- retrieval ------------------------------------------------------------

    def search(self, question: str, region: str | None = None, k: int | None = None) -> Retrieval:
        """The hit test: the clauses `ask` would consider for `question`, scoped to the same
        regions, ranked by calibrated relevance (`hit.scores["relevance"]`); the question
        and region are checked as `ask` checks them."""
        question = validate_question(question, self.settings.max_question_chars)
        # Hits are gathered by fused score and then ranked by relevance: gather as many as
        # `ask` does, so the first k shown are the k most relevant whatever k is.
        wanted = k or RETRIEVE_K
        found = self.retrieve(question, validate_region(region), max(wanted, RETRIEVE_K))
        return replace(found, hits=found.hits[:wanted])

    def retrieve(self, question: str, region: str | None = None, k: int | None = None) -> Retrieval:
        """Clauses for `question`, limited to the region chain it (or the selector) names.

        A named region with no documents in its chain is reported in
        `uncovered_regions` and never answered with another region's clauses; a place
        name several regions share, with documents for more than one, is reported in
        `ambiguous` so the visitor can be asked which one.
        """
        started = time.perf_counter()
        question = beyond_what_is_known(without_remark(question))
        question_frame = frame(question, (region,) if region else ())
        scope, uncovered, ambiguous = self.region_scope(question, region, question_frame)
        hits: list[ClauseHit] = []
        if not ambiguous and (scope or not uncovered):
            filters = RetrievalFilters(regions=scope) if scope else None
            for _ in range(3):
                # A search that straddles a document swap may mix the old and the new
                # index (a clause found by one side only, unscored by the other): once
                # the swap is seen, the question is searched again on the new index
                # (up to twice: the help desk may replace several documents in a row).
                revision = self.kb.registry.revision()
                hits = self.retriever.retrieve(question, k=k or RETRIEVE_K, filters=filters)
                if self.kb.registry.revision() == revision:
                    break
            hits.sort(key=lambda h: h.scores.get("relevance", 0.0), reverse=True)
        elapsed = (time.perf_counter() - started) * 1000
        return Retrieval(question_frame, hits, uncovered, scope, ambiguous=ambiguous, timings_ms={"search": elapsed})

    def region_scope(self, question: str, region: str | None = None, question_frame: QuestionFrame | None = None):
        """(document regions to search, named places the knowledge base does not cover,
        shared place names to ask about): see `assistant.scope`."""
        question_frame = question_frame or frame(question, (region,) if region else ())
        return scope_question(question_frame, region, set(self.covered_regions()))


AMENDING_SEARCHED = 8
AMENDS = re.compile(r"调整为|修改为|修订为|改为|继续执行|停止执行|废止|有效期延续|延长至")
"""How a document says it changes another (将原文第五条中的…调整为…, 继续执行, 废止)."""


def states_the_figure_asked(question: QuestionFrame, text: str) -> bool:
    """`text` states a figure of the kind asked for; when the question asks of one level
    of title (市级海外仓), in a sentence that names that level or none: "对国家级和省级…
    再给予50万元" does not say what a 市级 one gets."""
    if len(question.levels) != 1 or not question.figures:
        return question.states_a_figure_asked(text)
    for sentence in sentences(text):
        named = title_levels(sentence.text)
        if question.states_a_figure_asked(sentence.text) and (not named or question.levels[0] in named):
            return True
    return False


@functools.cache
def _written_examples() -> list[dict]:
    """assistant/examples.yaml, read once: suggestions ask for examples on every refusal."""
    return yaml.safe_load(resources.files("assistant").joinpath("examples.yaml").read_text(encoding="utf-8"))
