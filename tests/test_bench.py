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
    result = CliRunner().invoke(app, ["bench", "--json", "--sizes", "200,400", "--queries", "6"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["corpus_clauses"] == bundled_clauses()
    assert 0 < figures["query_p50_ms"] <= figures["query_p95_ms"] <= figures["query_p99_ms"]
    small, large = figures["sizes"]["200"], figures["sizes"]["400"]
    assert (small["dense_search"], large["dense_search"]) == ("exact", "hnsw")
    assert 0 < small["query_p50_ms"] <= small["query_p99_ms"]
    assert 0.5 <= large["hnsw_recall@10"] <= 1.0
    # The embedding floor and 政策直达 are timed in the same run, so ratios can be read off.
    assert 0 < figures["embed_query_p50_ms"] < figures["query_p95_ms"]
    assert figures["benefit_items"] > 0 and 0 < figures["match_p50_ms"] <= figures["match_p95_ms"]
    assert large["benefit_items"] > figures["benefit_items"] and large["rss_mb"] > 100
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
