"""What `huiqi eval`, `huiqi eval draft` and `huiqi bench` do, and the summaries they print.

The command line only parses options; the knowledge bases, assistants and ablations
an evaluation needs are put together here.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from assistant.config import Settings
from assistant.conversation import ConversationStore
from assistant.service import Assistant
from evals.benefits import benefit_metrics, evaluate_benefits
from evals.benefits import summary as benefits_summary
from evals.draft import draft_questions
from evals.report import HEADLINE, below_thresholds, load_thresholds
from evals.runner import evaluate, load_questions, memory_store
from knowledge.index import KnowledgeBase, KnowledgeConfig, bundled_policies


def run_eval(settings: Settings, embedders: Sequence[str] = (), thresholds: Path | None = None) -> dict:
    """The eval report on the configured knowledge base, with `below_thresholds` filled in.

    Each name in `embedders` is an ablation: the bundled policies and the uploaded
    documents are ingested afresh with that embedding model into a scratch folder and
    searched with the same relevance model.
    """
    kb = KnowledgeBase.open(settings.knowledge_config())
    # Evaluation questions stay out of the help desk's log.
    assistant = Assistant.open(settings, kb=kb, conversations=ConversationStore("sqlite://"))
    with tempfile.TemporaryDirectory(prefix="huiqi-eval-") as scratch:
        extra = {name: _ablation(settings, name, Path(scratch), assistant) for name in embedders}
        result = evaluate(assistant, load_questions(), extra)
    result["benefits"] = evaluate_benefits()
    result["metrics"].update(benefit_metrics(result["benefits"]))
    result["below_thresholds"] = below_thresholds(result, load_thresholds(thresholds))
    return result


def _ablation(settings: Settings, embedder: str, scratch: Path, reference: Assistant) -> Assistant:
    folder = scratch / embedder.replace(":", "_").replace("/", "_")
    kb = KnowledgeBase.open(KnowledgeConfig(data_dir=folder, embedder=embedder))
    library = Path(settings.data_dir) / "documents"
    kb.ingest([bundled_policies(), *([library] if library.is_dir() else [])])
    return Assistant(settings, kb, memory_store(), relevance=reference.relevance)


def eval_summary(result: dict) -> str:
    """The headline metrics, latency and corpus coverage of an eval report, as printed."""
    metrics = result["metrics"]
    lines = [f"题目 {result['n_questions']} 道（{result['mode']}）"]
    lines += [f"  {key:<20} {metrics.get(key)}" for key in HEADLINE]
    lines.append(
        f"  检索 p50 {metrics.get('retrieve_ms_p50'):.1f} ms，整体 p95 {metrics.get('total_ms_p95'):.1f} ms；"
        f"失败 {len(result['failures'])} 道"
    )
    for name, corpus in result["corpora"].items():
        fields = "，".join(f"{k} {v:.2f}" for k, v in corpus["metadata"].items())
        lines.append(f"  语料 {name}：{corpus['documents']} 份，条款覆盖率 {corpus['coverage']:.4f}"
                     + (f"；元数据 {fields}" if fields else ""))
    if "benefits" in result:
        lines.append(benefits_summary(result["benefits"]))
    return "\n".join(lines)


def draft_yaml(settings: Settings, limit: int) -> str:
    """Candidate gold questions (YAML) from clauses the gold set does not cover yet."""
    known = {c for q in load_questions() for c in q.clauses}
    kb = KnowledgeBase.open(settings.knowledge_config())
    return yaml.safe_dump(draft_questions(kb, known, limit), allow_unicode=True, sort_keys=False, width=200)


def bench_summary(result: dict) -> str:
    """`huiqi bench` figures as printed: latency per corpus, ingest, cold start, memory."""
    lines = [f"内置语料（{result['corpus_clauses']} 条）：查询 p50 {result['query_p50_ms']} ms，"
             f"p95 {result['query_p95_ms']} ms，p99 {result['query_p99_ms']} ms"
             f"（查询向量本身 p50 {result['embed_query_p50_ms']} ms）；"
             f"政策直达 {result['benefit_items']} 项，匹配 p50 {result['match_p50_ms']} ms，p95 {result['match_p95_ms']} ms"]
    for size, figures in result["sizes"].items():
        extra = f"，HNSW recall@10 {figures['hnsw_recall@10']}" if "hnsw_recall@10" in figures else ""
        lines.append(f"合成语料 {size} 条（{figures['dense_search']}）：p50 {figures['query_p50_ms']} ms，"
                     f"p95 {figures['query_p95_ms']} ms，p99 {figures['query_p99_ms']} ms；"
                     f"构建/加载 {figures['build_or_load_s']} s{extra}；"
                     f"政策直达 {figures['benefit_items']} 项，匹配 p95 {figures['match_p95_ms']} ms"
                     f"（首次读取 {figures['benefit_load_ms']} ms）")
    lines.append(f"未答问题登记为诉求（本地区已有 {result['inquiry_backlog']} 条待处理）：新进程首次 "
                 f"{result['inquiry_note_first_ms']} ms，之后 p50 {result['inquiry_note_p50_ms']} ms")
    lines.append(f"入库：{result['ingest_chunks']} 条 / {result['ingest_seconds']} s = {result['ingest_chunks_per_s']} 条/秒"
                 f"（模型逐条编码的上限 {result['ingest_floor_chunks_per_s']} 条/秒，达到 {result['ingest_share_of_floor']:.0%}）")
    if "cold_start_s" in result:
        lines.append(f"huiqi serve 冷启动：{result['cold_start_s']} s")
    lines.append(f"峰值内存：{result['peak_rss_mb']} MB")
    return "\n".join(lines)


def load_summary(figures: dict) -> str:
    """`huiqi bench --load` figures as a table: one row per concurrency level."""
    lines = [
        f"压测 huiqi serve（{figures['workers']} 个工作进程，每个客户端 {figures['requests_per_client']} 问，POST /api/chat）",
        "并发  请求  成功  吞吐(问/秒)  p50(ms)  p95(ms)  最长(ms)  错误",
    ]
    for row in figures["levels"]:
        errors = "、".join(f"{status}×{count}" for status, count in row["errors"].items()) or "0"
        lines.append(f"{row['clients']:>4}  {row['requests']:>4}  {row['ok']:>4}  {row['throughput_rps']:>11}  "
                     f"{row['p50_ms']:>7}  {row['p95_ms']:>7}  {row['max_ms']:>8}  {errors}")
    return "\n".join(lines)


def freshness_summary(figures: dict) -> str:
    """`huiqi bench --freshness` figures as printed."""
    return (f"更新时效（{figures['clauses']} 条，{figures['workers']} 个工作进程，{figures['clients']} 个持续提问的客户端）："
            f"改动提交后 {figures['fresh_after_s']} s 内每个进程都用上新版本；"
            f"切换期间最慢 {figures['switch_max_ms']} ms，为改动前 p95 {figures['before_p95_ms']} ms 的 "
            f"{figures['switch_max_over_p95']} 倍；错误 {figures['errors']}")
