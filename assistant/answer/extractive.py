"""The default answerer: picks, inside the best clauses, the sentences that state what
was asked (an amount, a ratio, a date, a 文号, a contact…) and quotes them verbatim
with [n] marks. No model; every word of an answer's substance is policy text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from assistant.answer.base import OFFICIAL_NOTE, Draft, DraftStream
from assistant.citations import Citation, Span, citation_for, clause_region, parts, sentences
from assistant.direct import amount_text
from assistant.questions import (
    ASKING_WORDS, FIGURE_ASKS, QuestionFrame, asks_for_benefit_list, asks_for_several, focus_words, measure_pattern,
    other_alternative, stated_pattern,
)
from assistant.tiers import figure_fits, matching_tier, stated_figure
from knowledge.benefits import BenefitRecord, extract_benefits
from knowledge.errors import DocumentNotFound
from knowledge.models import Clause, ClauseHit
from knowledge.regions import ancestors, find_regions, gazetteer, region_mentions

FACT_BONUS = 0.6
"""Added to a sentence's term coverage when it holds the kind of fact asked for."""
MEASURE_BONUS = 0.4
"""Added when it states a figure in the measure the question counts in (几倍 -> 1.2倍)."""
PROXIMITY_WEIGHT = 0.5
"""Weight of the question's words found right around the figure: in a sentence with
several figures, the one next to the words asked about is the answer."""
OTHER_PLACE_PENALTY = 0.3
"""Taken from a sentence about a sub-region the question did not ask about."""
WIDER_PLACE_PENALTY = 0.2
"""Taken from a sentence of a document for a wider region than the one asked about
(惠济区有几家… quotes 惠济区's own count before 郑州市's)."""
STATED_UNIT_BONUS = 0.3
"""Added when it states a figure in a unit the question states its own in (350张床 ->
300张床位以上的…应设置综合门诊部): the rule that sorts the asker's case is there."""
FOCUS_WEIGHT = 2.0
"""The words just before the question word (已经过会的有几家) count this many times."""
SUPPORT_SHARE = 1 / 3
"""A clause is quoted beside the lead (另见) only when its relevance is at least this share of
the best clause's: one far less likely to be about the question adds noise, not a fact."""
PICKS_KEPT = 512
"""Best sentences kept per answerer (question, clause) before the memo is emptied."""
TIER_FIT = 0.3
"""Added to a sentence whose condition the owner's own figure meets, taken from one it does not."""
_PROXIMITY_REACH = 14
SUBJECT_SHARE = 0.8
"""Sentences saying at least this share of the most any sentence of the clause says of the
question's words are about what it asks."""
SUBJECT_FLOOR = 0.4
"""Below this share of the question's words (by weight) in any one sentence, no sentence is
clearly about what is asked."""
NEIGHBOUR_GAIN = 0.04
"""A neighbouring sentence joins the lead quote when it says at least this share (by
weight) of the question's words the quote does not."""
_NEIGHBOURS = 2
SUBJECT_GAIN = 0.1
"""The sentence before a quote that states the figure asked joins it when it says at least this
share (by weight) of the question's words the quote does not."""
REST_OF_MEASURE_CHARS = 330
"""Asked for no particular fact, the quote runs on to the clause's end when it stays this
short (nearly all clauses of real policy files are shorter)."""


# Tiers are sentences ending in ；that each state the figure asked for; a run of them is
# quoted whole up to this many times the usual quote length.
_TIERED_KINDS = ("amount", "ratio", "count")
_TIER_ENDS = ("；", ";")
_TIER_QUOTE_FACTOR = 3
_TIER_PREFIX = 4
"""Sentences that open with the same this many characters (年度区级贡献在…) are tiers of one rule."""
_FACT_REACH = 2
"""A best sentence without the figure asked for is joined to one this near that has it."""
_OWN_RECIPIENT = re.compile(r"对(?:于)?(?!上述|其|该|此)[^，。；]{1,30}?的[^，。；]{0,12}[，,]")
"""A sentence that names whom its grant is for ("对到…转化的具有较好经济效益的项目，")."""
_HEADING_END = "。；;：:，, \n"
_LIST_ITEMS = 8
_LIST_ITEMS_PER_CLAUSE = 4


@dataclass(frozen=True)
class _Pick:
    hit: ClauseHit
    span: Span
    score: float
    trimmed: bool
    sentence: int = 0
    """Index of the quoted sentence among the clause's sentences."""


class ExtractiveAnswerer:
    """Answers with verbatim sentences of the retrieved clauses.

    Args:
        tokenize: question/sentence tokenizer (the knowledge base's jieba tokenizer).
        weigh: IDF weight per token, so rare terms decide which sentence answers.
        max_clauses: at most this many clauses are cited.
        max_quote_chars: longer sentences are narrowed to their best comma-separated part run.
        variants: other words for a word (the policy synonym list: 不够 ~ 不足), so a
            sentence saying the document's word for what the owner says reads as saying it.
        grants_of: a document's benefit items as stored (with the help desk's corrections),
            for "有哪些扶持" asked of what a document is about (融资租赁 -> 《…融资租赁…扶持办法》).

    Usage::

        answerer = ExtractiveAnswerer(kb.tokenizer.tokenize, kb.term_weights)
        answerer.answer(frame("温县政府采购预留比例"), hits).text[:20]
    """

    mode = "extractive"

    def __init__(
        self,
        tokenize: Callable[[str], list[str]],
        weigh: Callable[[list[str]], list[float]],
        max_clauses: int = 3,
        max_quote_chars: int = 160,
        grants_of: Callable[[str], list[BenefitRecord]] | None = None,
        variants: Callable[[str], tuple[str, ...]] | None = None,
        clauses_of: Callable[[str], list[Clause]] | None = None,
    ) -> None:
        if max_clauses <= 0:
            raise ValueError(f"max_clauses must be > 0, got {max_clauses}")
        if max_quote_chars < 20:
            raise ValueError(f"max_quote_chars must be >= 20, got {max_quote_chars}")
        self._tokenize = tokenize
        self._weigh = weigh
        self.max_clauses = max_clauses
        self.max_quote_chars = max_quote_chars
        self._grants_of = grants_of
        self._clauses_of = clauses_of
        self._variants = variants or (lambda word: ())
        # A question's best sentence per clause, for the next draft of the same question
        # (the service drafts once to check a figure is stated, then answers).
        self._picks: dict[tuple, _Pick] = {}

    def stream(
        self, question: QuestionFrame, hits: list[ClauseHit], history: Sequence = (), by_region: bool = False
    ) -> DraftStream:
        """The answer line by line (it is ready at once; lines let pages show it as it comes)."""
        draft = self.answer(question, hits, by_region=by_region)
        yield from draft.text.splitlines(keepends=True)
        return draft

    def answer(self, question: QuestionFrame, hits: list[ClauseHit], by_region: bool = False) -> Draft:
        """Quote the sentences of `hits` (relevant clauses, best first) that answer `question`.

        With `by_region`, the answer is grouped by the region each clause applies to.
        """
        if not hits:
            raise ValueError("hits must not be empty; refuse before answering")
        tokens = question_words(question.text, self._tokenize)
        focus = focus_words(question.text, tokens)
        weights = [w * FOCUS_WEIGHT if t in focus else w for t, w in zip(tokens, self._weigh(tokens))]
        # Relevance counts as a share of the best clause's: the calibrated probabilities
        # sit on whatever scale the fit gives, the order among this question's clauses not.
        best_relevance = max(hit.scores.get("relevance", 0.5) for hit in hits) or 1.0
        picks = [
            self._best_sentence(hit, question, tokens, weights, hit.scores.get("relevance", 0.5) / best_relevance)
            for hit in hits[: self.max_clauses * 4]
        ]
        # A later document amending one quoted is the same place's rule as it stands now.
        if by_region and len({pick_region(p.hit, p.span.text) for p in picks if not _amends(p)}) > 1:
            return self._by_region(picks)
        if asks_for_benefit_list(question.text):
            listed = self._document_grants(question, hits) or self._benefit_list(hits, picks, question, tokens, weights)
            if listed is not None:
                return listed
        # The rule quoted leads; a later document's change to it follows as 后续调整.
        lead = max((p for p in picks if not _amends(p)), key=lambda p: p.score, default=None) or max(
            picks, key=lambda p: p.score)
        if not lead.trimmed and _bare(lead.span.text) in _headings(lead.hit):
            lead = replace(lead, span=_with_next(lead.hit.clause.text, lead.span))  # a title alone answers nothing
        if not lead.trimmed and not self._complete(lead.span.text, question):
            lead = replace(lead, span=self._with_neighbours(lead.hit, lead.span, tokens, weights, question))
        elif not lead.trimmed:
            lead = replace(lead, span=self._with_subject(lead.hit, lead.span, tokens, weights, question))
        # "都有哪些路子": the lead clause's measures, one line each, not only its best sentence.
        # A figure or a department asked for is answered by the sentence that states it.
        several = asks_for_several(question.text) and not question.figures and "who" not in question.fact_kinds
        if several:
            named = _the_list_asked(lead, picks, question.text)
            # An article headed by what the question lists (申报材料) stays the list.
            lead = named if named is not lead else self._the_article_asked(lead, picks, question.text)
        elif not question.fact_kinds and not lead.trimmed:
            lead = replace(lead, span=self._rest_of_measure(lead))
        chosen = [lead]
        for pick in picks:
            if len(chosen) >= self.max_clauses:
                break
            if _amends(pick) and pick is not lead:
                pick = _change_to(pick, lead)
            if pick is lead or not self._states_fact(pick.span.text, question):
                continue
            # A change to the quoted rule is shown however few of the question's words it repeats.
            if not _amends(pick) and pick.score < 0.6 * lead.score:
                continue
            if not _amends(pick) and pick.hit.scores.get("relevance", 0.5) < SUPPORT_SHARE * best_relevance:
                continue  # far less likely than the best clause to be about this question
            if self._adds_a_fact(pick, chosen, question):
                chosen.append(pick)
        referred = self._referred_to(lead, question, tokens, weights)
        if referred is not None and all(p.hit.clause.clause_id != referred.hit.clause.clause_id for p in chosen):
            chosen.insert(1, referred)
        lead_region = pick_region(lead.hit, lead.span.text)
        # An article's first item, its opening before it ("须满足以下条件之一：（一）…"): the
        # article's items are the list, not the two lines of this one.
        article = self._article_items(lead.hit) if several else []
        lead_opens_them = bool(article) and article[0].clause.parent_path == lead.hit.clause.clause_path
        opens_items = bool(article) and (_OPENS_A_LIST.search(lead.hit.clause.text) is not None or lead_opens_them)
        listed = self._listed(lead, question, tokens, weights) if several and not opens_items else []
        items = article if not listed else []
        if items:
            shown = {hit.clause.clause_id for hit in items}
            chosen = [lead, *(p for p in chosen if p is not lead and p.hit.clause.clause_id not in shown)]
        citations: list[Citation] = []
        lines = []
        for pick in chosen:
            n = len(citations) + 1
            if pick is lead and items:
                prefix = f"{lead_region}：" if lead_region else "相关规定："
                if lead_opens_them:
                    citations.append(citation_for(n, lead.hit, lead.span.text))
                    lines.append(f"{prefix}{_quoted(lead)}[{n}]")
                else:
                    lines.append(prefix + _article_opening(items[0]))
                for item in items:
                    text = self._item_text(item, question, tokens, weights)
                    citations.append(citation_for(len(citations) + 1, item, text))
                    lines.append(f"· {text}[{len(citations)}]")
                continue
            if pick is lead and listed:
                whole = lead.hit.clause.text[listed[0].start:listed[-1].end]
                citations.append(citation_for(n, pick.hit, whole))
                lines.append(f"{lead_region}：" if lead_region else "相关规定：")
                lines += [f"· {span.text}[{n}]" for span in listed]
                continue
            lead_in = self._lead_in(pick) if pick is lead else None
            if lead_in is not None and lead_in[0] is pick.hit:  # the article's opening starts this very clause
                pick = lead = replace(pick, span=lead_in[1])
                lead_in = None
            if lead_in is not None:
                citations.append(citation_for(n, lead_in[0], lead_in[1].text))
                n += 1
            citations.append(citation_for(n, pick.hit, pick.span.text))
            region = pick_region(pick.hit, pick.span.text)
            if pick is lead:
                prefix = f"{region}：" if region else ""
                if lead_in is not None:
                    prefix += f"{lead_in[1].text}[{n - 1}]"
            elif _amends(pick):
                prefix = f"后续调整（{pick.hit.document.date}）：" if pick.hit.document.date else "后续调整："
            elif pick is referred:
                prefix = f"所引{_REFERENCE.search(lead.span.text).group('article')}："
            else:
                prefix = "另见：" if region == lead_region or not region else f"另见（{region}）："
            # The question states its own figure (贡献1000万): the tier it falls in leads, in
            # the clause's words, and the whole tiers follow.
            tier = self._matching_tier(question, pick) if pick is lead else None
            if tier is not None:
                asked = stated_figure(question.text) or ""
                lines.append(f"{prefix}按您所说的{asked}，适用“{tier.rstrip('。；;')}”。[{n}]")
                lines.append(f"各档标准：{_quoted(pick)}[{n}]")
            else:
                lines.append(f"{prefix}{_quoted(pick)}[{n}]")
        lines.append(OFFICIAL_NOTE)
        return Draft("\n".join(lines), tuple(citations), self.mode)

    def _document_grants(self, question: QuestionFrame, hits: list[ClauseHit]) -> Draft | None:
        """"甘井子对融资租赁公司有哪些扶持政策": the question names what the best clause's
        document is about (its title holds every word of substance), so its answer is
        that document's grants, one line each in the document's order; None otherwise."""
        if self._grants_of is None:
            return None
        document = hits[0].document
        subject = subject_words(question.text, self._tokenize)
        if not subject or not all(word in document.title for word in subject):
            return None
        records = [r for r in self._grants_of(document.doc_id) if _listable(r.item)]
        if len(records) < 2:
            return None
        records, more = _figures_first(records)
        by_clause: dict[str, list] = {}
        for record in records:
            by_clause.setdefault(record.clause.clause_id, []).append(record)
        lines: list[str] = []
        citations: list[Citation] = []
        for same_clause in by_clause.values():
            clause = same_clause[0].clause
            n = len(citations) + 1
            citations.append(citation_for(n, ClauseHit(clause, document, 0.0, {}), same_clause[0].item.quote))
            lines += _grant_lines([record.item for record in same_clause], n)
        head = f"《{document.title}》的扶持事项："
        tail = [f"（另有{more}项，可具体问某一项。）"] if more > 0 else []
        return Draft("\n".join([head, *lines, *tail, OFFICIAL_NOTE]), tuple(citations), self.mode)

    def _the_article_asked(self, lead: _Pick, picks: list[_Pick], question: str) -> _Pick:
        """A list is the items of the article the question is most likely about: its best
        sentence may be only the article's opening ("须满足以下任意三个条件之一："), and one item
        of another article ("（一）…税务关系…") say more of the question's words."""
        likeliest = max(picks, key=lambda p: p.hit.scores.get("relevance", 0.0))
        named = _LISTED_NOUN.search(question)
        if named and named.group(1) in lead.hit.clause.clause_path:
            return lead
        if likeliest is lead or _amends(likeliest) or not self._article_items(likeliest.hit):
            return lead
        ratio = likeliest.hit.scores.get("relevance", 0.0) / (lead.hit.scores.get("relevance", 0.0) or 1e-9)
        return likeliest if ratio >= LIKELIER_ARTICLE else lead

    def _article_items(self, hit: ClauseHit) -> list[ClauseHit]:
        """"纳税、营收这些门槛都有哪些": the lead clause is one item of an article
        ("（三）年纳税额1000万元以上…") whose other items are clauses of their own; all of
        them, in the document's order. A lead that opens a list of its own (出现下列情况的…)
        gives its items below it, the lead left to open them. Empty when neither."""
        parent = hit.clause.parent_path
        if self._clauses_of is None:
            return []
        clauses = self._document_clauses(hit.document.doc_id)
        # The lead itself opens the list its own items carry on ("出现下列情况的，应及时纠正；…"
        # over （一）…（五）, each a clause of its own): it and them.
        below = [c for c in clauses if c.parent_path == hit.clause.clause_path]
        if _LISTS_BELOW.search(hit.clause.text) and 2 <= len(below) <= _ARTICLE_ITEMS:
            return [ClauseHit(c, hit.document, 0.0, {}) for c in below]
        if not parent:
            return []
        items = [c for c in clauses if c.parent_path == parent]
        if not 2 <= len(items) <= _ARTICLE_ITEMS or all(c.clause_id != hit.clause.clause_id for c in items):
            return []
        return [ClauseHit(c, hit.document, 0.0, {}) if c.clause_id != hit.clause.clause_id else hit for c in items]

    def _referred_to(self, lead: _Pick, question: QuestionFrame, tokens: list[str], weights: list[float]) -> _Pick | None:
        """The sentence of the article the lead quote applies by reference ("按出口额度比照本规定
        第七条第一款给予资金扶持"): without it the quote says how much in no figure at all."""
        reference = _REFERENCE.search(lead.span.text)
        if reference is None:
            return None
        article, item = f"第{reference['number']}条", f"（{reference['item']}）" if reference["item"] else ""
        found = [clause for clause in self._document_clauses(lead.hit.document.doc_id)
                 if clause.clause_id != lead.hit.clause.clause_id
                 and any(part.startswith(article) for part in clause.clause_path.split(" > "))
                 and (not item or clause.clause_path.split(" > ")[-1].startswith(item))]
        if not found:
            return None
        hits = [ClauseHit(clause, lead.hit.document, 0.0, {"relevance": lead.hit.scores.get("relevance", 0.5)})
                for clause in found]
        picks = [self._best_sentence(hit, question, tokens, weights, 1.0) for hit in hits]
        return max(picks, key=lambda p: p.score)

    def _document_clauses(self, doc_id: str) -> list[Clause]:
        """A quoted document's clauses; none when it was removed or replaced a moment ago (a
        re-index under way): the answer then goes without its neighbours."""
        try:
            return self._clauses_of(doc_id) if self._clauses_of is not None else []
        except DocumentNotFound:
            return []

    def _lead_in(self, pick: _Pick) -> tuple[ClauseHit, Span] | None:
        """The opening that says what an article's items are (第三条 属于下列情形之一的企业，
        不予认定：) when the quote is one of the items and leaves it out: "（三）涉嫌违法…的"
        alone does not say it bars the enterprise. With the clause that holds it (the
        article's first item) and, when that is the quoted clause itself, a span from the
        opening to the end of the quote."""
        hit = pick.hit
        parent = hit.clause.parent_path
        if self._clauses_of is None or not parent or pick.trimmed:
            return None
        own = _LEAD_IN.search(hit.clause.text)
        if own is not None and _ITEM_START.match(hit.clause.text[own.end():].lstrip()):
            first = hit.clause  # an article whose opening and first item are this clause
        elif _ITEM_START.match(hit.clause.text.lstrip()):
            first = next((c for c in self._document_clauses(hit.document.doc_id) if c.parent_path == parent), None)
        else:
            return None  # no item of a list (the document's clauses are not read for it)
        opening = _LEAD_IN.search(first.text) if first is not None else None
        if opening is None or not _ITEM_START.match(first.text[opening.end():].lstrip()):
            return None
        if first.clause_id != hit.clause.clause_id:
            return ClauseHit(first, hit.document, 0.0, {}), Span(opening.start(), opening.end(), opening.group(0))
        end = pick.span.end
        if end <= opening.end() + 1:  # the opening alone: its first item with it
            after = first.text[opening.end():]
            item_end = _ITEM_END.search(first.text, opening.end() + len(after) - len(after.lstrip()) + 1)
            end = item_end.end() if item_end else len(first.text)
        elif pick.span.start < opening.end() or pick.span.start - opening.end() > _LEAD_IN_GAP:
            return None  # quoted already, or the quote is further on
        return hit, Span(opening.start(), end, first.text[opening.start():end])

    def _item_text(self, hit: ClauseHit, question: QuestionFrame, tokens: list[str], weights: list[float]) -> str:
        """An item's words without the article's heading; its best sentence when long."""
        # The article's own headings, not the item's first words, which the path repeats.
        above = {_bare(part) for part in hit.clause.parent_path.split(" > ") if part}
        own = "\n".join(line for line in hit.clause.text.split("\n") if _bare(line) not in above)
        body = [s for s in map(_without_duty_note, sentences(own)) if len(s.text) >= 2]
        text = own.strip()
        if text and len(text) <= self.max_quote_chars and text in hit.clause.text:
            return text
        quoted = [s.text.strip() for s in body if s.text.strip() in hit.clause.text]
        if not quoted:
            return hit.clause.text.strip()
        return max(quoted, key=lambda sentence: self._score(sentence, question, tokens, weights))

    def _sibling_grants(self, hit: ClauseHit, taken: list[ClauseHit]) -> list[ClauseHit]:
        """The other items of the article the best clause is an item of ("（二）…1:1的配套补贴"
        beside "（一）…10%的补贴" under "第十条 鼓励企业参与跨境电商物流体系建设"), where they
        grant something: one measure's grants are listed together."""
        parent = hit.clause.parent_path
        if self._grants_of is None or not parent:
            return []
        seen = {h.clause.clause_id for h in taken}
        siblings = []
        for record in self._grants_of(hit.document.doc_id):
            clause = record.clause
            if clause.clause_id not in seen and clause.parent_path == parent:
                seen.add(clause.clause_id)
                siblings.append(ClauseHit(clause, hit.document, 0.0, {}))
        return siblings

    def _benefit_list(
        self, hits: list[ClauseHit], picks: list[_Pick], question: QuestionFrame, tokens: list[str], weights: list[float],
    ) -> Draft | None:
        """"有哪些奖补": one line per grant of the best clauses, with its figure and [n],
        the clauses whose grants best match the question's words first (民办养老院: the
        grants for 民办 ones before the rest); None when they state fewer than two grants."""
        best = max(picks, key=lambda p: p.score)
        # A document's grants are spread over its articles: every clause about as likely
        # to be about the question as the best one lends its grants, not only the
        # sentences that read best.
        top_relevance = max(p.hit.scores.get("relevance", 0.5) for p in picks) or 1.0
        clauses = [p.hit for p in picks if p.hit.scores.get("relevance", 0.5) >= SUPPORT_SHARE * top_relevance]
        clauses += self._sibling_grants(best.hit, clauses)
        found: list[tuple[float, int, ClauseHit, list]] = []
        for order, hit in enumerate(clauses):
            items = [i for i in _grants_in(hit.clause.text, hit.clause.clause_id, hit.document.doc_id,
                                           hit.clause.clause_path, hit.document.title)
                     if _listable(i)][:_LIST_ITEMS_PER_CLAUSE]
            by_quote: dict[str, list] = {}
            for item in items:
                by_quote.setdefault(item.quote, []).append(item)
            found += [(self._score(quote, question, tokens, weights), order, hit, same) for quote, same in by_quote.items()]
        if len(found) < 2:
            return None
        # Clause by clause, the clause whose grant reads best first; a clause's own grants
        # keep the document's order.
        best_of = {}
        for score, order, _, _ in found:
            best_of[order] = max(best_of.get(order, score), score)
        found = sorted(found, key=lambda f: (-round(best_of[f[1]], 6), f[1]))[:_LIST_ITEMS]
        lines: list[str] = []
        citations: list[Citation] = []
        numbers: dict[str, int] = {}
        for _, _, hit, same in found:
            key = hit.clause.clause_id
            if key not in numbers:
                numbers[key] = len(citations) + 1
                citations.append(citation_for(numbers[key], hit, same[0].quote))
            lines += _grant_lines(same, numbers[key])
        region = pick_region(best.hit, best.span.text)
        head = f"{region}的相关扶持：" if region else "相关扶持："
        return Draft("\n".join([head, *lines, OFFICIAL_NOTE]), tuple(citations), self.mode)

    def _by_region(self, picks: list[_Pick]) -> Draft:
        best: dict[str, _Pick] = {}
        for pick in picks:
            region = pick_region(pick.hit, pick.span.text)
            if region not in best or pick.score > best[region].score:
                best[region] = pick
        ordered = sorted(best.values(), key=lambda p: p.score, reverse=True)[: self.max_clauses + 1]
        lines = ["各地规定不同，请按企业所在地对照："]
        citations: list[Citation] = []
        for pick in ordered:
            n = len(citations) + 1
            citations.append(citation_for(n, pick.hit, pick.span.text))
            lines.append(f"· {pick_region(pick.hit, pick.span.text)}：{_quoted(pick)}[{n}]")
        lines.append(OFFICIAL_NOTE)
        return Draft("\n".join(lines), tuple(citations), self.mode)

    def _best_sentence(
        self, hit: ClauseHit, question: QuestionFrame, tokens: list[str], weights: list[float], relevance: float
    ) -> _Pick:
        key = (question, hit.clause.clause_id, hit.clause.text, tuple(weights), relevance)
        pick = self._picks.get(key)
        if pick is None or pick.hit.document != hit.document:
            if len(self._picks) > PICKS_KEPT:
                self._picks.clear()
            pick = self._picks[key] = self._find_best_sentence(hit, question, tokens, weights, relevance)
        return pick if pick.hit is hit else replace(pick, hit=hit)

    def _find_best_sentence(
        self, hit: ClauseHit, question: QuestionFrame, tokens: list[str], weights: list[float], relevance: float
    ) -> _Pick:
        best: _Pick | None = None
        spans = sentences(hit.clause.text)
        if "who" not in question.fact_kinds:  # a note opening a sentence is the previous measure's
            spans = [_without_duty_note(span) for span in spans]
        headings = _headings(hit)
        text = hit.clause.text
        has_body = any(not _is_heading(span, headings, text) for span in spans)
        for index, span in enumerate(spans):
            if len(span.text) < 4 or has_body and _is_heading(span, headings, text):
                continue  # a heading alone is never an answer
            if "who" not in question.fact_kinds and (_DUTY_LINE.match(span.text) or len(span.text) < 4):
                continue  # "责任单位：…", "（市交通局牵头）" say who carries a measure out, an answer to whom only
            trimmed = False
            if len(span.text) > self.max_quote_chars:
                span, trimmed = self._narrow(span, question, tokens, weights), True
            score = self._score(span.text, question, tokens, weights) + 0.3 * relevance
            # The owner's own figure (贡献200万) meets this sentence's condition, or not (1000万元以上的).
            fits = figure_fits(question.text, span.text)
            if fits is not None:
                score += TIER_FIT if fits else -TIER_FIT
            if other_alternative(question.text, span.text):
                score -= OTHER_PLACE_PENALTY  # 购买 asked about 租: another measure
            if _names_other_place(span, hit, question):
                score -= OTHER_PLACE_PENALTY
            elif question.regions and clause_region(hit) not in question.regions:
                score -= WIDER_PLACE_PENALTY
            if best is None or score > best.score:
                best = _Pick(hit, span, score, trimmed, index)
        if best is None:  # a clause of only very short lines: quote it whole
            text = hit.clause.text.strip()
            return _Pick(hit, Span(0, len(text), text), 0.3 * relevance, False)
        if not best.trimmed:
            span = self._with_the_fact(hit.clause.text, spans, best.sentence, question)
            if span is spans[best.sentence]:
                span = self._whole_tiers(hit.clause.text, spans, best.sentence, question)
            span = self._with_the_cap(hit.clause.text, spans, span, question)
            best = replace(best, span=_with_the_duty_note(hit.clause.text, span, question))
        return best

    def subject_states(self, question: QuestionFrame, hit: ClauseHit, states: Callable[[str], bool]) -> bool:
        """Whether the sentences of `hit` that say most of the question's words (or one of the
        next few, where a figure often follows the measure it is for) satisfy `states`. A
        figure in a sentence about another measure of the clause (发明专利…给予一定资助 beside
        对…转化的项目…给予不低于100万元的奖励) is not what the question asks."""
        # One character says too little to tell sentences apart (得 of 所得税, 地 of 房地产).
        tokens = [t for t in question_words(without_places(question.text), self._tokenize) if len(t) >= 2]
        weights = self._weigh(tokens)
        asked = question.text.lower()
        spans = [s for s in sentences(hit.clause.text) if len(s.text) >= 4]
        said = [sum(weights[i] for i in self._said(tokens, asked, s.text)) for s in spans]
        top = max(said, default=0.0)
        if top < SUBJECT_FLOOR * (sum(weights) or 1.0):
            return True  # no sentence is clearly about what is asked: nothing to tell measures apart
        # A sentence after it that names whom it is for (对…的项目，给予100万元) is another measure's.
        return any(states(spans[j].text) for i, value in enumerate(said) if value >= SUBJECT_SHARE * top
                   for j in range(i, min(i + _FACT_REACH + 1, len(spans)))
                   if j == i or not _OWN_RECIPIENT.search(spans[j].text))

    @staticmethod
    def _matching_tier(question: QuestionFrame, pick: _Pick) -> str | None:
        """The tier of the quote the owner's figure falls in, or of the quote with the
        sentence on either side: the top tier (1000万元以上的，由…研究给予特殊支持) states no
        rate, so the quote of the rates leaves it out."""
        tier = matching_tier(question.text, pick.span.text)
        if tier is not None:
            return tier
        spans = sentences(pick.hit.clause.text)
        start = max((s.start for s in spans if s.end <= pick.span.start), default=pick.span.start)
        end = min((s.end for s in spans if s.start >= pick.span.end), default=pick.span.end)
        return matching_tier(question.text, pick.hit.clause.text[start:end])

    def _listed(self, lead: _Pick, question: QuestionFrame, tokens: list[str], weights: list[float]) -> list[Span]:
        """The sentences of the lead clause that read best for a question asking for several
        things, in the clause's order; empty when the clause says only one thing."""
        headings = _headings(lead.hit)
        body = [s for s in map(_without_duty_note, sentences(lead.hit.clause.text))
                if len(s.text) >= 4 and _bare(s.text) not in headings and not _DUTY_LINE.match(s.text)]
        if len(body) < 2:
            return []
        # The list asked for is the clause's, all of it when it is not long: what the owner
        # looks for ("俺们的产品在不在里头") is as often the last item as the best-worded.
        best = sorted(body, key=lambda s: -self._score(s.text, question, tokens, weights))[:_LIST_ITEMS]
        shown = sorted(best, key=lambda s: s.start)
        return [self._narrow(s, question, tokens, weights) if len(s.text) > self.max_quote_chars else s
                for s in shown]

    def _complete(self, quote: str, question: QuestionFrame) -> bool:
        """The quote states the figure asked for, or one in the unit the owner counts their
        own case in (350张床 -> 300张床位以上的…): it answers as it stands."""
        if _asks_a_fact(question) and self._states_fact(quote, question):
            return True
        return any(measure_pattern(unit).search(quote) for unit in stated_units(question.text))

    def _with_neighbours(
        self, hit: ClauseHit, span: Span, tokens: list[str], weights: list[float], question: QuestionFrame
    ) -> Span:
        """The sentence next to the quote often says what happens to what the quote names
        (……实行跟踪、调度。……对不能及时解决的问题要“亮红灯”。): a neighbouring sentence of
        the clause that says words of the question the quote does not is quoted with it,
        unless it states a figure of the kind asked for: that is another measure's."""
        text = hit.clause.text
        spans = sentences(text)
        headings = _headings(hit)
        asked = question.text.lower()
        figures = _asks_a_fact(question)
        start, end = span.start, span.end
        covered = self._said(tokens, asked, span.text)
        for _ in range(_NEIGHBOURS):
            before = [s for s in spans if s.end <= start]
            after = [s for s in spans if s.start >= end]
            options = [s for s in (before[-1] if before else None, after[0] if after else None) if s is not None
                       and len(s.text) >= 4 and not _is_heading(s, headings, text) and not _DUTY_LINE.match(s.text)
                       and not (figures and self._states_fact(s.text, question))
                       and max(end, s.end) - min(start, s.start) <= 2 * self.max_quote_chars]
            gains = [(self._gain(tokens, weights, asked, s.text, covered), s) for s in options]
            gain, best = max(gains, key=lambda g: g[0], default=(0.0, None))
            if best is None or gain < NEIGHBOUR_GAIN:
                following = after[0] if after and after[0] in options else None
                if following is None or not _goes_on_about(following.text, text[start:end], tokens):
                    break
                best = following
            start, end = min(start, best.start), max(end, best.end)
            covered |= self._said(tokens, asked, best.text)
        return span if (start, end) == (span.start, span.end) else Span(start, end, text[start:end])

    def _with_subject(
        self, hit: ClauseHit, span: Span, tokens: list[str], weights: list[float], question: QuestionFrame
    ) -> Span:
        """A quote that states the figure asked for may leave what it is a figure of to the
        sentence before (支持企业通过受让、许可、作价入股等方式实施科技成果转化。对于…给予5%的资助):
        that sentence is quoted with it when it says much of the question the quote does not
        and states no figure of the kind asked (that would be another measure's)."""
        text = hit.clause.text
        before = [s for s in sentences(text) if s.end <= span.start]
        if not before:
            return span
        previous = before[-1]
        if len(previous.text) < 4 or _is_heading(previous, _headings(hit), text) or _DUTY_LINE.match(previous.text) \
                or self._states_fact(previous.text, question) or span.end - previous.start > 2 * self.max_quote_chars:
            return span
        asked = question.text.lower()
        if self._gain(tokens, weights, asked, previous.text, self._said(tokens, asked, span.text)) < SUBJECT_GAIN:
            return span
        return Span(previous.start, span.end, text[previous.start:span.end])

    def _gain(self, tokens: list[str], weights: list[float], asked: str, sentence: str, covered: set[int]) -> float:
        """The share (by weight) of the question's words `sentence` says that the quote (`covered`) does not."""
        return sum(weights[i] for i in self._said(tokens, asked, sentence) - covered) / (sum(weights) or 1.0)

    def _rest_of_measure(self, pick: _Pick) -> Span:
        """Asked whether or how something is supported, with no figure, date or body in
        question ("市里推不推产地预冷？", "往啥方向做？"), the answer is what the clause goes
        on to say of it: the sentence that names the subject is seldom the whole measure
        (鼓励以第三方物流为代表的…发展。……提供一体化、综合性物流管理服务。). The quote runs
        on while it is short, up to where another measure starts (a numbered item, a duty
        line, a grant to someone named anew: 对…的，); sentences before it are left out, as
        they are often another case of the same rule (基本合格… before 不合格…)."""
        text = pick.hit.clause.text
        headings = _headings(pick.hit)
        end = pick.span.end
        for sentence in sentences(text):
            if sentence.start < pick.span.end or _is_heading(sentence, headings, text):
                continue
            if _DUTY_LINE.match(sentence.text) or _ITEM_START.match(sentence.text.lstrip()) \
                    or _OWN_RECIPIENT.search(sentence.text):
                break
            end = sentence.end
        if end == pick.span.end or end - pick.span.start > REST_OF_MEASURE_CHARS:
            return pick.span
        return Span(pick.span.start, end, text[pick.span.start:end])

    def _with_the_cap(self, text: str, spans: list[Span], span: Span, question: QuestionFrame) -> Span:
        """A grant's cap or term often follows in a sentence of its own (……按月租金的3倍进行
        补助。补助金额最高不超过100万元。/ ……扶持25%。扶持期限为三年。): asked how much, the
        two are quoted together."""
        if not {"amount", "ratio"} & set(question.fact_kinds):
            return span
        after = next((s for s in spans if s.start >= span.end), None)
        if after is None or not _CAP_SENTENCE.match(after.text) or after.end - span.start > 2 * self.max_quote_chars:
            return span
        return Span(span.start, after.end, text[span.start:after.end])

    def _with_the_fact(self, text: str, spans: list[Span], index: int, question: QuestionFrame) -> Span:
        """The best-matching sentence may name the benefit while a following one states the
        figure asked for (……给予一定额度的资金补贴。……按6%的比例给予补贴，最高300万元。):
        the two are quoted together so the lead states the fact. Only a following one: the
        sentence before is another measure's (……责任险补助80%。对等级评定…给予一次性奖励。)."""
        kinds = [k for k in question.fact_kinds if k != "list"]
        if not kinds or self._states_fact(spans[index].text, question):
            return spans[index]
        if _asks_whether_granted(question) and _GRANT_WORD.search(spans[index].text):
            return spans[index]  # "有奖励吗" is answered; a figure further on may be another measure's
        for other in range(index + 1, min(index + _FACT_REACH + 1, len(spans))):
            if self._states_fact(spans[other].text, question):
                start, end = spans[index].start, spans[other].end
                if end - start <= 2 * self.max_quote_chars:
                    return Span(start, end, text[start:end])
        return spans[index]

    def _whole_tiers(self, text: str, spans: list[Span], index: int, question: QuestionFrame) -> Span:
        """A figure that is one tier of several (……的，奖励10万元；……的，奖励20万元；) is
        quoted with its sibling tiers: one tier alone reads as the whole rule."""
        kinds = [k for k in question.fact_kinds if k in _TIERED_KINDS]
        if not kinds or not any(stated_pattern(k).search(spans[index].text) for k in kinds):
            return spans[index]

        opening = _after_lead_in(spans[index].text)[:_TIER_PREFIX]

        def tier(i: int) -> bool:
            return any(stated_pattern(k).search(spans[i].text) for k in kinds)

        def joined(before: int, after: int) -> bool:
            """Two neighbouring sentences are tiers of one rule: the first ends in ；, or
            both open alike (年度区级贡献在100万元至300万元的…。年度区级贡献在300万元…。)."""
            same_opening = all(_after_lead_in(spans[i].text).startswith(opening) for i in (before, after))
            return (spans[before].text.endswith(_TIER_ENDS) or same_opening) and tier(before) and tier(after)

        first = last = index
        limit = self.max_quote_chars * _TIER_QUOTE_FACTOR
        while first > 0 and joined(first - 1, first):
            if spans[last].end - spans[first - 1].start > limit:
                break
            first -= 1
        while last + 1 < len(spans) and joined(last, last + 1):
            if spans[last + 1].end - spans[first].start > limit:
                break
            last += 1
        start, end = spans[first].start, spans[last].end
        return Span(start, end, text[start:end])

    @staticmethod
    def _adds_a_fact(pick: _Pick, chosen: list[_Pick], question: QuestionFrame) -> bool:
        """A further quote is worth showing only when it states something the chosen ones
        do not: another figure of the kind asked for (or, when none is asked, other text)."""
        quoted = " ".join(p.span.text for p in chosen)
        if pick.span.text in quoted:
            return False
        kinds = [k for k in question.fact_kinds if k != "list"]
        if not kinds:
            return True
        figures = {m.group(0) for k in kinds for m in stated_pattern(k).finditer(pick.span.text)}
        return not figures <= {m.group(0) for k in kinds for m in stated_pattern(k).finditer(quoted)}

    @staticmethod
    def _states_fact(text: str, question: QuestionFrame) -> bool:
        """The sentence holds the kind of fact asked for (any sentence, if none is asked)."""
        return not _asks_a_fact(question) or any(p.search(text) for p in _fact_patterns(question))

    def _score(self, text: str, question: QuestionFrame, tokens: list[str], weights: list[float]) -> float:
        lowered = text.lower()
        total = sum(weights) or 1.0
        asked = question.text.lower()
        coverage = sum(w for t, w in zip(tokens, weights) if said_alike(t, asked, lowered)) / total
        score = coverage
        if _asks_a_fact(question) and self._states_fact(text, question):
            score += FACT_BONUS + PROXIMITY_WEIGHT * _coverage_near_figures(lowered, question, tokens, weights)
        elif _asks_whether_granted(question) and _GRANT_WORD.search(text):
            score += FACT_BONUS  # "有奖励吗" is answered by the grant of it, figure or not (给予一定资助和奖励)
        elif (thing := _thing_asked_whether(question.text)) and self._says(thing, asked, lowered):
            score += MEASURE_BONUS  # "有表彰不" is answered by the sentence that gives a 表彰
        if question.measure and measure_pattern(question.measure).search(text):
            score += MEASURE_BONUS
        if any(measure_pattern(unit).search(text) for unit in stated_units(question.text)):
            score += STATED_UNIT_BONUS
        if "date" in question.fact_kinds and _ASKS_A_DAY.search(question.text) and _FULL_DATE.search(text):
            score += MEASURE_BONUS  # 哪天 is answered by a day (2016年9月7日), not a year
        if "who" in question.fact_kinds and _ASKS_SEVERAL_BODIES.search(question.text) and _names_several_bodies(text):
            score += MEASURE_BONUS  # 哪几个部门 is answered by the sentence that names them together
        return score

    def _said(self, tokens: list[str], question: str, text: str) -> set[int]:
        """The positions of the question's `tokens` that `text` says (see `_says`)."""
        lowered = text.lower()
        return {i for i, t in enumerate(tokens) if self._says(t, question, lowered)}

    def _says(self, word: str, question: str, sentence: str) -> bool:
        """`sentence` says `word` as `question` does, or says another word for it."""
        return said_alike(word, question, sentence) or any(other in sentence for other in self._variants(word))

    def _narrow(self, span: Span, question: QuestionFrame, tokens: list[str], weights: list[float]) -> Span:
        """The run of comma-separated parts around the best part, within the length limit."""
        pieces = parts(span)
        scores = [self._score(p.text, question, tokens, weights) for p in pieces]
        first = last = max(range(len(pieces)), key=scores.__getitem__)
        while True:
            options = []
            if first > 0:
                options.append((scores[first - 1], first - 1, last))
            if last < len(pieces) - 1:
                options.append((scores[last + 1], first, last + 1))
            options = [o for o in options if pieces[o[2]].end - pieces[o[1]].start <= self.max_quote_chars]
            if not options:
                break
            # Grow toward the more relevant neighbour; prefer keeping the sentence's start.
            _, first, last = max(options, key=lambda o: (o[0], -o[1]))
        start, end = pieces[first].start, pieces[last].end
        clause_text = span.text
        offset = span.start
        text = clause_text[start - offset : end - offset].rstrip(",，、：:")
        return Span(start, start + len(text), text)


_CAP_SENTENCE = re.compile(r"\s*[^，。；]{0,8}?(?:(?:最高|最多|上限|累计)(?:补贴|补助|奖励|资助|扶持)?(?:不超过|不得超过|为)?\s*\d|"
                           r"(?:期限|年限)(?:最长)?(?:为|不超过)?\s*[\d一二三四五六七八九十两]+\s*个?年)")
"""A sentence that caps the grant before it (补助金额最高不超过100万元, 单一企业最高补贴300万元)
or says for how long it is given (扶持期限为三年)."""
def _with_the_duty_note(text: str, span: Span, question: QuestionFrame) -> Span:
    """Asked who does it, the units in brackets right after the measure (…进行材料审核和业务
    验收。（人民银行沈阳分行牵头负责）) are the answer: quoted with it.

    Example:
        >>> from assistant.questions import frame
        >>> text = "对申请支付业务许可证的机构进行材料审核。（人民银行沈阳分行牵头负责）另有规定。"
        >>> _with_the_duty_note(text, Span(0, 20, text[:20]), frame("材料谁来审？")).text
        '对申请支付业务许可证的机构进行材料审核。（人民银行沈阳分行牵头负责）'
        >>> _with_the_duty_note(text, Span(0, 20, text[:20]), frame("材料审核要多久？")).text
        '对申请支付业务许可证的机构进行材料审核。'
    """
    note = _DUTY_NOTE.match(text, span.end) if "who" in question.fact_kinds else None
    if note is None:
        return span
    end = span.end + len(note.group(0).rstrip())
    return Span(span.start, end, text[span.start:end])


@functools.lru_cache(maxsize=4096)
def _grants_in(text: str, clause_id: str, doc_id: str, path: str, title: str) -> tuple:
    """The grants of one clause, read once: lists of grants are asked again and again of
    the same clauses, and reading a long clause's grants costs more than the search."""
    return tuple(extract_benefits(text, clause_id, doc_id, path, title))


# Anchored at the start of a run between stops, so a long clause without such an opening
# is scanned once, not from every position (which is quadratic).
_LEAD_IN = re.compile(r"(?:^|(?<=[。；;\n:：]))[^。；;\n:：]*(?:下列|以下|如下)[^。；;\n:：]*[:：]")
_LISTS_BELOW = re.compile(r"下列|如下|(?<![\d万亿元])以下(?!简称)")
"""What opens a list its items carry on ("以下材料", not "以下简称", "5000万元以下")."""
_ITEM_START = re.compile(r"[（(][一二三四五六七八九十\d]+[）)]|\d+[.．、]|[一二三四五六七八九十]+、")
_LEAD_IN_GAP = 8
_ITEM_END = re.compile(r"[。；;]|\n|$")
"""At most this far from an article's opening, the first item's quote is shown with it."""

_DUTY_LINE = re.compile(r"\s*[（(]?(?:责任单位|牵头单位|配合单位|责任部门|牵头部门)[:：]")
_DUTY_NOTE = re.compile(r"\s*(?:[（(][^（）()]{0,80}?(?:牵头|配合|负责)[^（）()]{0,80}[）)]|"
                        r"〔[^〔〕]{0,160}?(?:牵头|配合|负责)[^〔〕]{0,40}〕)[。；;]?\s*")
"""A measure's responsible units in brackets (（市交通局牵头，市公安局配合）), which the
sentence split leaves at the start of the next sentence."""


def _without_duty_note(span: Span) -> Span:
    """`span` without the responsible units' note it opens with.

    Example:
        >>> _without_duty_note(Span(10, 30, "（市经信委牵头，市环保局配合）大力发展回收物流。")).text
        '大力发展回收物流。'
        >>> _without_duty_note(Span(0, 8, "（市服务业委牵头）")).text, _without_duty_note(Span(0, 12, "〔省财政厅按职责分工负责〕")).text
        ('', '')
    """
    opening = _DUTY_NOTE.match(span.text)
    if not opening:
        return span
    return Span(span.start + opening.end(), span.end, span.text[opening.end():])


_ASKS_A_DAY = re.compile(r"哪天|哪一天|几号|哪日|日期")
_FULL_DATE = re.compile(r"(?:\d{4}|[〇零一二三四五六七八九]{4})年[\d一二三四五六七八九十]{1,2}月[\d一二三四五六七八九十]{1,3}日")
_STATED_UNIT = re.compile(r"\d+(?:\.\d+)?\s*(张|亩|平方米|人|名|家|台|套|辆|间|户|个)")


def stated_units(text: str) -> set[str]:
    """The units the question states its own figures in (350张床 -> 张); money and dates
    are read by their own rules.

    Example:
        >>> sorted(stated_units("我们有350张床、招了20人，补多少？"))
        ['人', '张']
    """
    return {match.group(1) for match in _STATED_UNIT.finditer(text)}


_GENERIC_ASK = re.compile(
    r"扶持|政策|奖励|奖补|补贴|补助|资助|优惠|支持|资金|措施|企业|公司|单位|拿到|享受|申请|都有|哪些"
)
_DOCUMENT_LIST_ITEMS = 10
_ARTICLE_ITEMS = 10
"""An article with more items than this is listed by its best sentences, not item by item."""


def subject_words(text: str, tokenize: Callable[[str], list[str]]) -> list[str]:
    """What a list question is about, without places and the words every such question
    uses (扶持, 政策, 企业…): "甘井子对融资租赁公司有哪些扶持政策" -> 融资, 租赁."""
    return [w for w in question_words(_GENERIC_ASK.sub(" ", without_places(text)), tokenize) if len(w) >= 2]


def without_places(text: str) -> str:
    """`text` with the places it names blanked: scope, not wording, deals with them."""
    for mention in gazetteer().mentions(text, informal=True):
        text = text.replace(mention.text, " ")
    return text


def names_the_document(
    words: list[str], title: str, variants: Callable[[str], tuple[str, ...]] = lambda word: (),
) -> bool:
    """A question whose words of substance (`subject_words`) are `words` names a document by
    its title ("大连工程实验室管理暂行办法从哪天施行"): three or more of them, and two thirds,
    are the title's, a word counting when a form it stands for is (电商 for 电子商务).

    Example:
        >>> words = ["跨境", "电商", "管理", "规定", "开始", "执行"]
        >>> names_the_document(words, "大连市跨境电子商务扶持资金管理暂行规定")
        False
        >>> names_the_document(words, "大连市跨境电子商务扶持资金管理暂行规定", lambda w: ("电子商务",) if w == "电商" else ())
        True
    """
    named = sum(1 for word in words
                if word in title or any(form in title for form in variants(word) if _spells_out(word, form)))
    return named >= 3 and named >= 2 * len(words) / 3


def _spells_out(short: str, form: str) -> bool:
    """`form` is a longer form of `short`: its characters in order (电商 of 电子商务), not a
    synonym (执行 and 实施)."""
    at = 0
    for ch in short:
        at = form.find(ch, at) + 1
        if at == 0:
            return False
    return len(form) > len(short)


def _states_figure(item) -> bool:
    return bool(item.amount_yuan or item.rate or item.cap_yuan or item.tiers)


def _listable(item) -> bool:
    """A grant worth a line: it states a figure, or grants something in kind (免征…)."""
    return _states_figure(item) or item.in_kind


def _figures_first(records: list) -> tuple[list, int]:
    """A document's grants to list, in its order, and how many lines are left out: past the
    limit, the lines that state a figure are kept before grants in kind (a line or two past
    the limit are shown rather than hidden behind "另有1项")."""
    lines: dict[str, list] = {}
    for record in records:
        lines.setdefault(record.item.quote, []).append(record)
    if len(lines) <= _DOCUMENT_LIST_ITEMS + 2:
        return records, 0
    ranked = sorted(lines, key=lambda quote: not any(_states_figure(r.item) for r in lines[quote]))
    shown = set(ranked[:_DOCUMENT_LIST_ITEMS])
    return [r for r in records if r.item.quote in shown], len(lines) - len(shown)


def _grant_lines(items: list, n: int) -> list[str]:
    """One line per sentence of one clause's grants: "分别给予200万元、50万元" is one line,
    each figure with its recipient; a grant in kind has no figure to show."""
    by_quote: dict[str, list] = {}
    for item in items:
        by_quote.setdefault(item.quote, []).append(item)
    lines = []
    for quote, same in by_quote.items():
        figures = "、".join(
            amount_text(i) + (f"（{'、'.join(i.who)}）" if len(same) > 1 and i.who else "")
            for i in same if _states_figure(i)
        )
        lines.append(f"· {same[0].benefit} {figures}".rstrip() + f"：{quote}[{n}]")
    return lines


def question_words(text: str, tokenize: Callable[[str], list[str]]) -> list[str]:
    """The words a question asks about: how it asks (要是, 多少年, 能不能) is cut before
    tokenizing, as retrieval does; a rare asking word would outweigh every word of substance."""
    return [t for t in dict.fromkeys(tokenize(ASKING_WORDS.sub(" ", text))) if t.strip()]


_NEGATION = "非不未无"


def said_alike(word: str, question: str, sentence: str) -> bool:
    """`sentence` says `word` the way `question` does: negated by the character before it
    (非首发, 不合格) in both or in neither. 境内首发上市 is not covered by 境内非首发上市,
    nor 不合格 by 基本合格.

    Example:
        >>> said_alike("首发", "准备境内首发上市", "企业境内非首发上市的"), said_alike("首发", "准备境内首发上市", "拟在境内首发上市的")
        (False, True)
        >>> said_alike("合格", "评价要是不合格", "评为不合格的，予以撤销"), said_alike("合格", "评价要是不合格", "被评为基本合格的")
        (True, False)
    """
    start = sentence.find(word)
    if start == -1:
        return False
    at = question.find(word)
    negated = at > 0 and question[at - 1] in _NEGATION
    while start != -1:
        if (start > 0 and sentence[start - 1] in _NEGATION) == negated:
            return True
        start = sentence.find(word, start + 1)
    return False


def _asks_a_fact(question: QuestionFrame) -> bool:
    return bool(question.fact_kinds) or question.measure is not None


def _the_list_asked(lead: _Pick, picks: list[_Pick], question: str) -> _Pick:
    """"申报都得准备哪些材料": what the question lists is named after 哪些; when the best
    clause does not name it and another relevant clause is an item of an article headed
    by it (第十二条 申报材料), that article's item leads, not the 申报条件 beside it.

    Example:
        >>> _LISTED_NOUN.search("申报外贸扶持，都得准备哪些材料啊？").group(1)
        '材料'
    """
    named = _LISTED_NOUN.search(question)
    noun = named.group(1) if named else ""
    if not noun or noun in lead.hit.clause.clause_path or noun in lead.span.text:
        return lead
    return next((p for p in picks if noun in p.hit.clause.parent_path.rsplit(" > ", 1)[-1]), lead)


def _article_opening(first_item: ClauseHit) -> str:
    """"第二条 …须满足以下任意三个条件之一：", the opening above an article's first item that says
    what its items are; "" when there is none."""
    opening = _LEAD_IN.search(first_item.clause.text)
    return opening.group(0).strip() if opening is not None and opening.start() == 0 else ""


_OPENS_A_LIST = re.compile(rf"[:：]\s*(?:{_ITEM_START.pattern})")
LIKELIER_ARTICLE = 1.5
"""How much likelier than the lead's the best clause must be for its article to be listed."""
_LISTED_NOUN = re.compile(r"(?:哪些|哪几[项个类种条])([\u4e00-\u9fff]{2})")


def _goes_on_about(sentence: str, quote: str, tokens: list[str]) -> bool:
    """The next sentence opens with what the quote and the question are about, and so goes
    on about it ("…签订《投资意向书》。《投资意向书》仅是…洽谈意见，…需通过招标、拍卖、挂牌…").

    Example:
        >>> _goes_on_about("《投资意向书》仅是洽谈意见。", "可签订《投资意向书》。", ["投资", "意向书", "拿到"])
        True
        >>> _goes_on_about("专项资金另行安排。", "可签订《投资意向书》。", ["投资", "意向书", "拿到"])
        False
    """
    opening = sentence.lstrip("《“\"（( ")
    return any(len(t) >= _SUBJECT_CHARS and t in opening[:len(t) + _SUBJECT_LEAD] and t in quote for t in tokens)


_SUBJECT_CHARS = 3
_SUBJECT_LEAD = 3
"""How far into the next sentence its subject may start (投资意向书 of 《投资意向书》仅是…)."""


def _asks_whether_granted(question: QuestionFrame) -> bool:
    """"参与研制的行业标准获批了，有奖励吗": whether there is a grant, not how much.

    Example:
        >>> from assistant.questions import frame
        >>> _asks_whether_granted(frame("行业标准获批颁布了，有奖励吗")), _asks_whether_granted(frame("标准奖励多少？"))
        (True, False)
    """
    return question.fact_kinds == ("amount",) and not FIGURE_ASKS["amount"][0].search(question.text) \
        and bool(_YES_NO.search(question.text))


_REFERENCE = re.compile(
    r"(?:比照|按照|依照|参照|按)(?P<article>本(?:规定|办法|细则|意见|措施|通知|条例|方案)第(?P<number>[一二三四五六七八九十百]+)条"
    r"(?:第(?P<item>[一二三四五六七八九十]+)[款项])?)")
"""A measure that gives what another article of the same document gives ("比照本规定第七条第一款")."""
_THERE_IS = re.compile(
    r"(?:有没有|有无)([\u4e00-\u9fff]{2,4}?)\s*[？?]*\s*$|"
    r"(?<![所拥具享持现只还没])有(?!关|限|效|没|无)([\u4e00-\u9fff]{2,4}?)(?:[吗么不]|没有?)\s*[？?]*\s*$")


def _thing_asked_whether(text: str) -> str:
    """What a yes/no question asks there is ("…的单位有表彰不？" asks for 表彰), or "".

    Example:
        >>> _thing_asked_whether("招商做得好的单位有表彰不？"), _thing_asked_whether("有没有培训补贴")
        ('表彰', '培训补贴')
        >>> [_thing_asked_whether(q) for q in ("补多少？", "有啥要求不？", "这个政策还有效吗？", "是找有关部门吗？",
        ...                                    "要注册成有限公司吗？", "我们有专利。")]
        ['', '', '', '', '', '']
    """
    match = _THERE_IS.search(text)
    thing = match and (match.group(1) or match.group(2))
    return thing if thing and not _ASKING_START.match(thing) else ""


_ASKING_START = re.compile(r"[啥什哪几多没]")
_YES_NO = re.compile(r"吗|有没有|能不能|是不是|[不没]\s*[？?]?\s*$")
_GRANT_WORD = re.compile(r"奖励|补助|资助|补贴|奖补|贴息")


def _fact_patterns(question: QuestionFrame) -> list:
    """How the fact asked for looks in a sentence. "有什么奖励" asks for a list and an
    amount; the amount is what must be there. A count in a measure (几倍) is such a fact;
    a bare "多少" after a vague ask (目标多少) takes any figure."""
    kinds = [k for k in question.fact_kinds if k != "list"] or list(question.fact_kinds)
    patterns = [stated_pattern(kind) for kind in kinds]
    if question.measure or question.measure == "" and set(question.fact_kinds) <= {"count", "list"}:
        patterns.append(measure_pattern(question.measure))
    return patterns


def _coverage_near_figures(text: str, question: QuestionFrame, tokens: list[str], weights: list[float]) -> float:
    """The largest weighted share of the question's words within a few characters of one
    figure of the kind asked for."""
    total = sum(weights) or 1.0
    asked = question.text.lower()
    best = 0.0
    for pattern in _fact_patterns(question):
        for match in pattern.finditer(text):
            window = text[max(0, match.start() - _PROXIMITY_REACH):match.end() + _PROXIMITY_REACH]
            best = max(best, sum(w for t, w in zip(tokens, weights) if said_alike(t, asked, window)) / total)
    return best


def pick_region(hit: ClauseHit, quote: str) -> str:
    """The region a quote applies to: a district or county it names inside its
    document's region ("如义乌市对…给予200万元"), else the clause's region. A district
    named as the body that acts (经甘井子区财政划转, 甘井子区政府牵头) is not the place the
    rule is for.

    Example:
        >>> from knowledge.models import Clause, StoredDocument
        >>> doc = StoredDocument("d", "大连市支持科技城的若干政策", "", "", "2010-01-01", "大连市", "市", "", 1, "0" * 16)
        >>> hit = ClauseHit(Clause("d:5", "d", "第五条", "", 0, 0, 0), doc, 1.0, {})
        >>> pick_region(hit, "税收增量每年经甘井子区财政划转至科技城账户。"), pick_region(hit, "甘井子区对入驻企业给予奖励。")
        ('大连市', '甘井子区')
        >>> pick_region(hit, "加快建设庄河港木材产业物流园。")  # a port named after a county is not its rule
        '大连市'
        >>> province = ClauseHit(hit.clause, replace(doc, region="辽宁省"), 1.0, {})
        >>> pick_region(province, "进行材料审核。（人民银行沈阳分行牵头负责）")  # a bank's branch acts
        '辽宁省'

    """
    region = clause_region(hit)
    for said, named in region_mentions(quote, informal=False):
        if region in ancestors(named) and not _ACTING_BODY.match(quote, quote.find(said) + len(said)):
            return named
    return region


_ACTING_BODY = re.compile(r"(?:人民)?(?:财政|政府|管委会|党委)|[\u4e00-\u9fff]{0,4}局|(?:中心)?[分支]行|海关")
"""What follows a district named as the body that acts, not the place a rule is for."""


def _names_other_place(span: Span, hit: ClauseHit, question: QuestionFrame) -> bool:
    """The sentence is about a sub-region the question did not ask about."""
    region = clause_region(hit)
    text = hit.clause.text
    named = (gazetteer().find_within(text, span.start, span.end) if text[span.start:span.end] == span.text
             else find_regions(span.text))
    return any(name not in question.regions and region in ancestors(name) for name in named)


def _after_lead_in(text: str) -> str:
    """A tier without the lead-in before it (扶持的标准为：年度区级贡献在… -> 年度区级贡献在…)."""
    return re.split(r"[：:]", text)[-1]


def _bare(text: str) -> str:
    return "".join(text.split()).strip(_HEADING_END)


def _headings(hit: ClauseHit) -> set[str]:
    """The clause's headings as its path gives them (a path part cut short with … is the
    clause's opening words, not a heading). A numbered line that is a whole rule
    ("二、总部企业购买办公用房的，按每平方米1000元给予补助。") heads its clause in the
    outline but is content: a line that states a figure (3年, 六年以上, 1000元, 50%) or goes
    on past a comma is never a mere heading."""
    return {_bare(part) for part in hit.clause.clause_path.split(" > ")
            if not part.endswith("…") and not _RULE_MARKS.search(_LINE_NUMBER.sub("", part))}


_ASKS_SEVERAL_BODIES = re.compile(r"(?:哪几|哪些|几)个?(?:部门|单位|机构)")
_BODY = re.compile(r"[\u4e00-\u9fff]{1,10}?(?:(?<![布格结大])局|委员会|委|厅|办公室|管委会|政府|小组)(?=[和与及、，]|$|为|负责|牵头|会同)")


def _names_several_bodies(text: str) -> bool:
    """"市外经贸局和市财政局为本规定的具体实施部门" names two bodies side by side.

    Example:
        >>> _names_several_bodies("市外经贸局和市财政局为本规定的具体实施部门。"), _names_several_bodies("由市外经贸局负责。")
        (True, False)
    """
    return len(_BODY.findall(text)) >= 2


def _amends(pick: _Pick) -> bool:
    """The pick is from a later document that changes the one the answer quotes."""
    return bool(pick.hit.scores.get("amends"))


def _with_next(text: str, span: Span) -> Span:
    """`span` with the sentence after it in `text`, if there is one."""
    after = next((s for s in sentences(text) if s.start >= span.end), None)
    return span if after is None else Span(span.start, after.end, text[span.start:after.end])


_ARTICLE = re.compile(r"第[一二三四五六七八九十百零〇\d]+条")
_CHANGES = re.compile(r"调整为|修改为|修订为|改为|废止|停止执行")


def _change_to(pick: _Pick, lead: _Pick) -> _Pick:
    """The amending document's sentence that changes the lead's own article ("将原文第五条中
    “以2009年为基数”修改为“以2014年为基数”" for a lead quoting 第五条), when it has one: the
    change to what is quoted, not the notice's general words.

    Example:
        >>> from knowledge.models import Clause, StoredDocument
        >>> doc = StoredDocument("d", "关于继续执行的通知", "", "", "2016-09-07", "", "市", "", 1, "0" * 16)
        >>> notice = "继续执行《若干政策》，有效期延续5年。将原文第五条中“以2009年为基数”修改为“以2014年为基数”。"
        >>> amending = _Pick(ClauseHit(Clause("d:1", "d", "", notice, 0, len(notice), 0), doc, 1.0, {"amends": 1.0}), Span(0, 20, notice[:20]), 1.0, False)
        >>> rule = "第五条 以2009年为基数，税收增量全额用于建设。"
        >>> lead = _Pick(ClauseHit(Clause("p:5", "p", "第五条", rule, 0, len(rule), 0), doc, 1.0, {}), Span(0, len(rule), rule), 1.0, False)
        >>> _change_to(amending, lead).span.text
        '将原文第五条中“以2009年为基数”修改为“以2014年为基数”。'
    """
    article = _ARTICLE.search(lead.hit.clause.clause_path) or _ARTICLE.match(lead.hit.clause.text.lstrip())
    if article is None:
        return pick
    for span in sentences(pick.hit.clause.text):
        if article.group(0) in span.text and _CHANGES.search(span.text):
            return replace(pick, span=span, trimmed=False)
    return pick


def _is_heading(span: Span, headings: set[str], text: str) -> bool:
    """A heading of the clause, standing as a line of its own ("第八条 鼓励跨境电子商务人才的
    培养和引进。" over its items). An article whose first sentence the outline took for its
    heading and whose text runs on after it ("第五条 市外经贸局和市财政局为本规定的具体实施
    部门。市外经贸局负责……") states something: it is content."""
    if _bare(span.text) not in headings:
        return False
    rest = text[span.end:].lstrip(" \t\u3000")
    return not rest or rest.startswith("\n") or not span.text.rstrip().endswith(("。", "；", ";"))


# A figure in the line, once its own number ("3.", "（二）", "第五条") is dropped.
_LINE_NUMBER = re.compile(r"^(?:第[一二三四五六七八九十百零\d]+[条章节款]|[（(][一二三四五六七八九十\d]+[)）]|"
                          r"[一二三四五六七八九十\d]+[、.．])\s*")
_RULE_MARKS = re.compile(r"\d|[一二三四五六七八九十两百千]+(?:个)?(?:年|月|日|天|工作日|万|元|倍|家|项|人|名)|，")


def _quoted(pick: _Pick) -> str:
    """The quote as shown in the answer; a narrowed sentence is marked with ellipses."""
    if not pick.trimmed:
        return pick.span.text
    closed = pick.span.text.endswith(("。", "；", ";", "！", "？"))
    return "……" + pick.span.text + ("" if closed else "……")
