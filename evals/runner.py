"""`huiqi eval`: every gold question through retrieval and the answerer, scored with
deterministic metrics, broken down by question type and region, with ablations.

Retrieval: hit@1, hit@5, MRR@10, nDCG@10 against the gold clauses (answerable questions).
Answers: key-fact accuracy (normalized, see evals.facts), citation precision (cited
clauses that contain a key fact or are gold clauses) and recall (gold clauses cited),
refusal accuracy / precision / recall (positive = should refuse; a question counts as
declined when huiqi refused it, quoted only related clauses or replied with a guide),
per-stage latency.

It runs a little over 300 lines: loading, asking and scoring share the result type and are
read together when a metric is questioned; the report and the ablation wiring live apart.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from assistant.conversation import ConversationStore
from assistant.parts import question_parts
from assistant.questions import frame
from assistant.retrieval import HybridRetriever, RetrievalFilters
from assistant.service import Assistant
from evals.corpus import corpus_minimums, corpus_report
from evals.facts import fact_found
from evals.stats import percentile

GOLD_FILES = {
    "gold.yaml": ("calibration", "bundled"),
    "gold_heldout.yaml": ("held-out", "bundled"),
    "gold_liaoning_fit.yaml": ("calibration", "liaoning"),
    "gold_liaoning.yaml": ("held-out", "liaoning"),
}
"""Gold file -> (split, corpus). Only the calibration files are ever fitted on; the
Liaoning questions are split by document, so held-out questions are on documents
whose questions were never fitted on."""
TYPES = ("single", "list", "two_clause", "cross_region", "follow_up", "unanswerable")


@dataclass(frozen=True)
class EvalQuestion:
    """评测题：问题（可带前序对话）、金标准条款、关键事实、地区、题型、来源集合。"""

    id: str
    question: str
    clauses: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    refuse: bool = False
    region: str | None = None
    """用户在地区选择器中选的地区（若有）。"""
    type: str = "single"
    history: tuple[str, ...] = ()
    """同一会话中先问的问题（两轮对话题）。"""
    split: str = "calibration"
    """calibration（用于校准阈值）或 held-out（未参与校准）。"""
    corpus: str = "bundled"
    """题目所依据的语料库：bundled（内置文件）或 evals/corpora 下的名称。"""


@dataclass
class QuestionResult:
    item: EvalQuestion
    region: str
    ranked: list[str]
    answer: str
    declined: bool
    """huiqi gave no answer of its own: a refusal, the related clauses only (没有找到直接规定),
    or a guide reply to small talk. What an unanswerable question should get."""
    cited: list[str]
    cited_texts: list[str]
    timings: dict[str, float]
    facts_found: list[bool] = field(default_factory=list)


def load_questions(folder: Path | None = None) -> list[EvalQuestion]:
    """Every gold question: `gold.yaml` (calibration), the held-out files of the bundled
    policies and of each corpus."""
    items: list[EvalQuestion] = []
    for name, (split, corpus) in GOLD_FILES.items():
        path = Path(folder) / name if folder else None
        if path is not None and not path.exists():
            continue
        text = path.read_text("utf-8") if path else resources.files("evals").joinpath(name).read_text("utf-8")
        items += parse_gold(text, split, corpus)
    duplicates = sorted(i for i, n in Counter(q.id for q in items).items() if n > 1)
    if duplicates:
        raise ValueError(f"duplicate gold ids: {duplicates}")
    return items


def parse_gold(text: str, split: str, corpus: str = "bundled") -> list[EvalQuestion]:
    """The questions of one gold YAML file."""
    items = []
    for raw in yaml.safe_load(text) or []:
        refuse = bool(raw.get("refuse", False))
        kind = raw.get("type") or ("unanswerable" if refuse else "single")
        if kind not in TYPES:
            raise ValueError(f"{raw['id']}: type must be one of {TYPES}, got {kind!r}")
        items.append(
            EvalQuestion(
                id=raw["id"], question=raw["question"], clauses=tuple(raw.get("clauses", ())),
                facts=tuple(str(f) for f in raw.get("facts", ())), refuse=refuse, region=raw.get("region"),
                type=kind, history=tuple(raw.get("history", ())), split=split, corpus=corpus,
            )
        )
    return items


def run_questions(assistant: Assistant, questions: list[EvalQuestion]) -> list[QuestionResult]:
    """Ask every question in a fresh session (history first), keep what the metrics need."""
    results = []
    for item in questions:
        session = None
        for earlier in item.history:
            session = assistant.ask(earlier, session_id=session, region=item.region, channel="eval").session_id
        started = time.perf_counter()
        answer = assistant.ask(item.question, session_id=session, region=item.region, channel="eval")
        total = (time.perf_counter() - started) * 1000
        # The answer keeps only its cited clauses; the top-10 ranking is asked for again
        # (the query embedding is cached, so this is the cheap part of retrieval).
        retrieval = assistant.retrieve(answer.standalone_question, item.region, k=10)
        results.append(
            QuestionResult(
                item=item, region=_region_of(item, assistant), ranked=[h.clause.clause_id for h in retrieval.hits],
                answer=answer.text, declined=declines(answer), cited=[c.clause_id for c in answer.citations],
                cited_texts=[c.text for c in answer.citations],
                timings={**answer.timings_ms, "total": total},
                facts_found=[fact_found(f, without_part_headings(answer.text, question_parts(answer.standalone_question)))
                             for f in item.facts],
            )
        )
    return results


def without_part_headings(text: str, parts: list[str]) -> str:
    """The answer without the "1. …" lines that repeat each part of a two-part question: a
    fact the owner typed is not one the answer found."""
    if len(parts) < 2:
        return text
    headings = {f"{number}. {part}" for number, part in enumerate(parts, 1)}
    return "\n".join(line for line in text.split("\n") if line not in headings)


def declines(answer) -> bool:
    """The answer states no fact of its own (see `QuestionResult.declined`)."""
    return answer.refused or answer.related or answer.mode == "guide"


def retrieval_only(ranker: Callable[[str, str | None], list[str]], questions: list[EvalQuestion]) -> dict:
    """hit@1, hit@5, MRR@10, nDCG@10 of a ranking function over the answerable questions."""
    rows = [_retrieval_scores(ranker(q.question, q.region), q.clauses) for q in questions if not q.refuse and not q.history]
    return _mean_dicts(rows)


def score(results: list[QuestionResult]) -> dict:
    """All metrics over `results`; answer metrics only where there are answerable questions."""
    answerable = [r for r in results if not r.item.refuse]
    metrics: dict[str, float] = {"questions": len(results)}
    metrics.update(_mean_dicts([_retrieval_scores(r.ranked, r.item.clauses) for r in answerable]))
    if answerable:
        metrics.update(_answer_scores(answerable))
    tp = sum(1 for r in results if r.item.refuse and r.declined)
    fp = sum(1 for r in results if not r.item.refuse and r.declined)
    fn = sum(1 for r in results if r.item.refuse and not r.declined)
    metrics["refusal_accuracy"] = _mean([float(r.declined == r.item.refuse) for r in results])
    metrics["refusal_precision"] = tp / (tp + fp) if tp + fp else 1.0
    metrics["refusal_recall"] = tp / (tp + fn) if tp + fn else 1.0
    for stage in ("retrieve", "answer", "total"):
        values = [r.timings[stage] for r in results if stage in r.timings]
        if values:
            metrics[f"{stage}_ms_p50"] = statistics.median(values)
            metrics[f"{stage}_ms_p95"] = percentile(values, 95)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}


def _answer_scores(answerable: list[QuestionResult]) -> dict[str, float]:
    with_facts = [r for r in answerable if r.item.facts]
    precision, recall = [], []
    for r in answerable:
        if r.declined or not r.cited:
            recall.append(0.0)
            continue
        supported = [
            cid in r.item.clauses or any(fact_found(f, text) for f in r.item.facts)
            for cid, text in zip(r.cited, r.cited_texts)
        ]
        precision.append(sum(supported) / len(supported))
        recall.append(len(set(r.cited) & set(r.item.clauses)) / len(r.item.clauses) if r.item.clauses else 1.0)
    return {
        "key_fact_accuracy": _mean([float(all(r.facts_found) and not r.declined) for r in with_facts]),
        "citation_precision": _mean(precision),
        "citation_recall": _mean(recall),
    }


def breakdown(results: list[QuestionResult], key: Callable[[QuestionResult], str]) -> dict[str, dict]:
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        groups[key(r)].append(r)
    return {name: score(group) for name, group in sorted(groups.items())}


def failures(results: list[QuestionResult]) -> list[dict]:
    """Questions answered wrongly: a missing fact, a wrong refusal, an unneeded answer."""
    found = []
    for r in results:
        if r.item.refuse != r.declined:
            reason = "should_refuse" if r.item.refuse else "wrongly_refused"
        elif not r.item.refuse and r.item.facts and not all(r.facts_found):
            reason = "missing_fact"
        else:
            continue
        found.append({
            "id": r.item.id, "type": r.item.type, "region": r.region, "split": r.item.split,
            "question": r.item.question, "history": list(r.item.history), "reason": reason,
            "expected_facts": [f for f, ok in zip(r.item.facts, r.facts_found) if not ok] or list(r.item.facts),
            "gold_clauses": list(r.item.clauses), "answer": r.answer, "cited": r.cited,
            "top_retrieved": r.ranked[:3],
        })
    return found


def ablations(assistant: Assistant, questions: list[EvalQuestion]) -> dict[str, dict]:
    """Retrieval metrics of BM25 only, dense only, and hybrid (fused order and after
    relevance scoring), all under the assistant's region scope."""
    variants = {
        "bm25": HybridRetriever(kb=assistant.kb, k=10, dense_weight=0.0),
        "dense": HybridRetriever(kb=assistant.kb, k=10, bm25_weight=0.0),
        "hybrid": HybridRetriever(kb=assistant.kb, k=10),
    }
    out = {}
    for name, retriever in variants.items():
        def rank(question: str, region: str | None, retriever=retriever) -> list[str]:
            scope, _, _ = assistant.region_scope(question, region)
            filters = RetrievalFilters(regions=scope) if scope else None
            return [h.clause.clause_id for h in retriever.retrieve(question, k=10, filters=filters)]

        out[name] = retrieval_only(rank, questions)
    out["hybrid+relevance"] = retrieval_only(
        lambda q, region: [h.clause.clause_id for h in assistant.retrieve(q, region, k=10).hits], questions
    )
    return out


def evaluate(assistant: Assistant, questions: list[EvalQuestion], extra_embedders: dict | None = None) -> dict:
    """The whole report as one JSON-ready dict (the `huiqi eval --json` object). A
    corpus whose documents are not in the knowledge base is left out and listed."""
    stored = {d.doc_id for d in assistant.kb.documents()}
    present = {q.corpus for q in questions if q.clauses and q.clauses[0].split(":")[0] in stored}
    skipped = sorted({q.corpus for q in questions} - present)
    questions = [q for q in questions if q.corpus in present]
    results = run_questions(assistant, questions)
    corpora = corpus_report()
    report = {
        "n_questions": len(results),
        "mode": assistant.mode,
        "metrics": {**score(results), **corpus_minimums(corpora)},
        "corpora": corpora,
        "by_split": breakdown(results, lambda r: r.item.split),
        "by_corpus": breakdown(results, lambda r: r.item.corpus),
        "by_corpus_split": breakdown(results, lambda r: f"{r.item.corpus}/{r.item.split}"),
        "corpora_not_ingested": skipped,
        "by_type": breakdown(results, lambda r: r.item.type),
        "by_region": breakdown(results, lambda r: r.region),
        "ablations": {f"{assistant.kb.embedder_name}/{k}": v for k, v in ablations(assistant, questions).items()},
        "failures": failures(results),
    }
    if assistant.llm is not None:
        extractive = Assistant(assistant.settings, assistant.kb, memory_store(), relevance=assistant.relevance)
        report["extractive_metrics"] = score(run_questions(extractive, questions))
    for name, other in (extra_embedders or {}).items():
        for variant, figures in ablations(other, questions).items():
            report["ablations"][f"{name}/{variant}"] = figures
    return report


def memory_store() -> ConversationStore:
    """An in-memory conversation store, so evaluation questions stay out of the help desk's log."""
    store = ConversationStore("sqlite://")
    store.open()
    return store


def _region_of(item: EvalQuestion, assistant: Assistant) -> str:
    if item.region:
        return item.region
    named = frame(item.question).regions
    if named:
        return named[0]
    if item.clauses:
        doc_id = item.clauses[0].split(":", 1)[0]
        try:
            return assistant.kb.document(doc_id).region or "未指定"
        except LookupError:
            return "未指定"
    return "未指定"


def _retrieval_scores(ranked: list[str], gold: tuple[str, ...]) -> dict[str, float]:
    relevant = set(gold)
    ranked = ranked[:10]
    hits = [cid in relevant for cid in ranked]
    first = next((i for i, h in enumerate(hits) if h), None)
    dcg = sum(1 / math.log2(i + 2) for i, h in enumerate(hits) if h)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    return {
        "hit@1": float(bool(hits[:1]) and hits[0]),
        "hit@5": float(any(hits[:5])),
        "mrr@10": 1 / (first + 1) if first is not None else 0.0,
        "ndcg@10": dcg / ideal if ideal else 0.0,
    }


def _mean_dicts(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    return {key: round(_mean([row[key] for row in rows]), 4) for key in rows[0]}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
