"""`huiqi bench` at a small size: every figure is measured and plausible, the synthetic
corpus is real (registry, Chroma and BM25 agree), and the HNSW path above the exact-search
limit reports its recall."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import evals.bench
import knowledge.search
from huiqi.cli import app
from knowledge.index import KnowledgeBase, KnowledgeConfig
from tests.conftest import bundled_clauses


def test_bench_reports_latency_ingest_memory_and_cold_start(bundled_env, monkeypatch):
    data_dir = bundled_env
    # A low limit sends the 400-clause corpus through Chroma's HNSW, as 100k clauses would be.
    monkeypatch.setattr(knowledge.search, "EXACT_SEARCH_LIMIT", 300)
    monkeypatch.setattr(evals.bench, "EXACT_SEARCH_LIMIT", 300)
    result = CliRunner().invoke(app, ["bench", "--json", "--sizes", "200,400", "--queries", "6", "--baseline-up-to", "300"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["corpus_clauses"] == bundled_clauses()
    assert 0 < figures["query_p50_ms"] <= figures["query_p95_ms"] <= figures["query_p99_ms"]
    small, large = figures["sizes"]["200"], figures["sizes"]["400"]
    assert (small["dense_search"], large["dense_search"]) == ("exact", "hnsw")
    assert 0 < small["query_p50_ms"] <= small["query_p99_ms"]
    assert 0.5 <= large["hnsw_recall@10"] == large["hnsw_recall_at_10"] <= 1.0
    # What users would build instead, timed in the same run up to the size asked.
    assert all(0 < f["baseline_p50_ms"] <= f["baseline_p95_ms"] for f in (figures, small))
    assert "baseline_p95_ms" not in large and "300" in large["baseline_skipped"]
    # The embedding floor and 政策直达 are timed in the same run, so ratios can be read off.
    assert 0 < figures["embed_query_p50_ms"] < figures["query_p95_ms"]
    assert figures["benefit_items"] > 0 and 0 < figures["match_p50_ms"] <= figures["match_p95_ms"]
    assert large["benefit_items"] > figures["benefit_items"] and large["rss_mb"] > 100
    assert figures["inquiry_backlog"] == 1000 and 0 < figures["inquiry_note_p50_ms"]
    assert figures["inquiry_note_first_ms"] > 0
    assert figures["ingest_chunks"] == bundled_clauses() and figures["ingest_chunks_per_s"] > 0
    assert 0 < figures["ingest_share_of_floor"] and figures["ingest_floor_chunks_per_s"] > 0
    assert 0 < figures["cold_start_s"] < 120
    assert figures["peak_rss_mb"] > 100

    synthetic = KnowledgeBase.open(KnowledgeConfig(data_dir=data_dir / "bench" / "synthetic-400"))
    assert synthetic.registry.clause_count() == synthetic.vectors.count() == 400
    assert synthetic.lexical_search("企业", k=5) and synthetic.dense_search("企业奖励", k=5)


def test_load_bench_reports_throughput_p95_and_errors_per_level(bundled_env):
    result = CliRunner().invoke(app, ["bench", "--load", "--json", "--clients", "1,4", "--load-requests", "3"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["workers"] == 1
    assert [row["clients"] for row in figures["levels"]] == [1, 4]
    for row in figures["levels"]:
        assert row["requests"] == row["clients"] * 3 and row["ok"] == row["requests"]
        assert row["errors"] == {} and row["server_errors"] == 0
        assert row["throughput_rps"] > 0 and 0 < row["p50_ms"] <= row["p95_ms"] <= row["max_ms"]


def test_load_bench_refuses_bad_levels(bundled_env):
    result = CliRunner().invoke(app, ["bench", "--load", "--clients", "0"])
    assert result.exit_code == 2 and "正整数" in result.output


def test_freshness_bench_sees_a_changed_document_on_every_worker(bundled_env):
    result = CliRunner().invoke(app, ["bench", "--freshness", "--json", "--sizes", "300", "--workers", "2"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert (figures["clauses"], figures["workers"], figures["errors"]) == (300, 2, 0)
    assert 0 <= figures["fresh_after_s"] < 10
    assert figures["questions_before"] > 0 and figures["questions_during"] > 0
    assert figures["switch_max_ms"] > 0 and figures["before_p95_ms"] > 0


def test_bench_report_shows_latency_against_size_and_throughput_against_clients(tmp_path):
    from evals.bench_report import record

    latency = {"corpus_clauses": 114, "query_p50_ms": 25.0, "query_p95_ms": 30.0, "embed_query_p50_ms": 14.0,
               "baseline_p95_ms": 21.0, "sizes": {"10000": {"query_p50_ms": 29.0, "query_p95_ms": 34.0,
                                                            "baseline_p95_ms": 23.0, "embed_query_p50_ms": 15.0,
                                                            "dense_search": "exact", "rss_mb": 700.0}}}
    load = {"workers": 2, "levels": [{"clients": 1, "requests": 10, "throughput_rps": 20.0, "p50_ms": 40.0,
                                      "p95_ms": 60.0, "max_ms": 70.0, "errors": {}},
                                     {"clients": 10, "requests": 100, "throughput_rps": 45.5, "p50_ms": 200.0,
                                      "p95_ms": 280.0, "max_ms": 300.0, "errors": {"503": 1}}]}
    record(tmp_path, "latency", latency)
    page = record(tmp_path, "load-2", load).read_text("utf-8")
    assert page.count("<svg") == 2 and "条款数（对数刻度）" in page and "并发客户端" in page
    # Each ratio the targets are stated in is on the page: p95 over the embedding's p50
    # (34 / 15) and over the LangChain baseline's p95 (34 / 23), at 10k clauses.
    assert "10k" in page and "LangChain" in page and "<td>2.27</td>" in page and "<td>1.48</td>" in page
    assert "45.5" in page and "核" in page
    stored = json.loads((tmp_path / "bench.json").read_text("utf-8"))
    assert set(stored) == {"latency", "load-2"} and stored["latency"]["machine"]["cores"] > 0
