"""`huiqi bench --report DIR`: the figures of every bench run into one folder, as
`bench.json` and `report.html` with charts (inline SVG, so the page is one file and shows
Chinese labels in the reader's own fonts).

Runs accumulate: the latency run, each `--load --workers N` run and the freshness run
each replace only their own part, so one report can show all of them.
"""

from __future__ import annotations

import html
import json
import math
import os
import platform
import time
from pathlib import Path

COLORS = ("#c8102e", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e")


def machine() -> dict:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = 0.0
    try:
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        pass
    return {"cpu": cpu or platform.processor(), "cores": os.cpu_count(), "memory_gb": round(memory_gb, 1),
            "system": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "measured_at": time.strftime("%Y-%m-%d %H:%M %Z")}


def record(folder: Path, part: str, figures: dict) -> Path:
    """Store one run's figures under `part` ("latency", "load-2", "freshness"…) and
    rewrite the report; returns the report's path."""
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / "bench.json"
    results = json.loads(store.read_text("utf-8")) if store.exists() else {}
    results[part] = {**figures, "machine": machine()}
    store.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    page = folder / "report.html"
    page.write_text(html_page(results), encoding="utf-8")
    return page


def latency_rows(latency: dict) -> list[dict]:
    """One row per corpus size: clauses, huiqi p50/p95, baseline p95, embedding p50."""
    rows = [{"name": "内置语料", "clauses": latency["corpus_clauses"], "p50": latency["query_p50_ms"],
             "p95": latency["query_p95_ms"], "baseline_p95": latency.get("baseline_p95_ms"),
             "embed_p50": latency["embed_query_p50_ms"], "rss_mb": None, "recall": None, "search": "exact"}]
    for size, figures in latency.get("sizes", {}).items():
        rows.append({"name": f"合成 {int(size):,}", "clauses": int(size), "p50": figures["query_p50_ms"],
                     "p95": figures["query_p95_ms"], "baseline_p95": figures.get("baseline_p95_ms"),
                     "embed_p50": figures.get("embed_query_p50_ms", latency["embed_query_p50_ms"]),
                     "rss_mb": figures.get("rss_mb"), "recall": figures.get("hnsw_recall@10"),
                     "search": figures.get("dense_search", "")})
    return sorted(rows, key=lambda r: r["clauses"])


def html_page(results: dict) -> str:
    e = html.escape
    sections = ["<h1>huiqi 性能报告</h1>"]
    first = next(iter(results.values()), {})
    if first.get("machine"):
        m = first["machine"]
        sections.append(f"<p class='machine'>机器：{e(str(m['cpu']))}，{m['cores']} 核，内存 {m['memory_gb']} GB，"
                        f"{e(m['system'])}，Python {e(m['python'])}；测于 {e(m['measured_at'])}</p>")
    if "latency" in results:
        rows = latency_rows(results["latency"])
        series = {
            "huiqi p95": [(r["clauses"], r["p95"]) for r in rows],
            "huiqi p50": [(r["clauses"], r["p50"]) for r in rows],
            "LangChain Chroma.similarity_search p95": [(r["clauses"], r["baseline_p95"]) for r in rows
                                                       if r["baseline_p95"] is not None],
            "查询向量 p50（模型本身）": [(r["clauses"], r["embed_p50"]) for r in rows],
        }
        sections.append("<h2>查询延迟与语料规模</h2>" + line_chart(series, "条款数（对数刻度）", "毫秒", log_x=True))
        table = "".join(
            f"<tr><th>{e(r['name'])}</th><td>{r['clauses']:,}</td><td>{e(r['search'])}</td><td>{r['p50']}</td>"
            f"<td>{r['p95']}</td><td>{r['embed_p50']}</td><td>{_ratio(r['p95'], r['embed_p50'])}</td>"
            f"<td>{_value(r['baseline_p95'])}</td><td>{_ratio(r['p95'], r['baseline_p95'])}</td>"
            f"<td>{_value(r['recall'])}</td><td>{_value(r['rss_mb'])}</td></tr>" for r in rows)
        sections.append(
            "<div class='scroll'><table><tr><th>语料</th><th>条款</th><th>向量检索</th><th>p50 ms</th><th>p95 ms</th><th>查询向量 p50 ms</th>"
            "<th>p95 ÷ 查询向量</th><th>LangChain 基线 p95 ms</th><th>p95 ÷ 基线</th><th>HNSW recall@10</th>"
            f"<th>内存 MB</th></tr>{table}</table></div>")
        latency = results["latency"]
        if "ingest_chunks_per_s" in latency:
            sections.append(f"<p>入库 {latency['ingest_chunks_per_s']} 条/秒，模型逐条编码上限 "
                            f"{latency['ingest_floor_chunks_per_s']} 条/秒（{latency['ingest_share_of_floor']:.0%}）；"
                            f"峰值内存 {latency['peak_rss_mb']} MB。</p>")
    loads = {part: figures for part, figures in sorted(results.items()) if part.startswith("load-")}
    if loads:
        series = {f"{figures['workers']} 个工作进程": [(row["clients"], row["throughput_rps"]) for row in figures["levels"]]
                  for figures in loads.values()}
        sections.append("<h2>吞吐与并发客户端</h2>" + line_chart(series, "并发客户端", "问/秒"))
        table = "".join(
            f"<tr><th>{figures['workers']}</th><td>{row['clients']}</td><td>{row['requests']}</td>"
            f"<td>{row['throughput_rps']}</td><td>{row['p50_ms']}</td><td>{row['p95_ms']}</td><td>{row['max_ms']}</td>"
            f"<td>{sum(row['errors'].values())}</td></tr>"
            for figures in loads.values() for row in figures["levels"])
        sections.append("<div class='scroll'><table><tr><th>工作进程</th><th>客户端</th><th>请求</th><th>问/秒</th><th>p50 ms</th>"
                        f"<th>p95 ms</th><th>最长 ms</th><th>错误</th></tr>{table}</table></div>")
    if "freshness" in results:
        f = results["freshness"]
        sections.append(
            f"<h2>更新时效</h2><p>{f['clauses']:,} 条、{f['workers']} 个工作进程：改动提交后 {f['fresh_after_s']} s "
            f"内每个进程都用上新版本；切换期间最慢的提问 {f['switch_max_ms']} ms，是改动前 p95（{f['before_p95_ms']} ms）"
            f"的 {f['switch_max_over_p95']} 倍；错误 {f['errors']}。</p>")
    style = (
        "body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;max-width:1100px;margin:2em auto;"
        "padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:14px}"
        "td,th{border:1px solid #ccc;padding:4px 6px;text-align:right;white-space:nowrap}th{background:#f5f5f5}.machine{color:#555}"
        "svg{max-width:100%;height:auto}.scroll{overflow-x:auto}"
    )
    return ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><title>huiqi 性能报告</title>"
            f"<style>{style}</style></head><body>{''.join(sections)}</body></html>")


def line_chart(series: dict[str, list[tuple[float, float]]], x_label: str, y_label: str, log_x: bool = False) -> str:
    """Lines with markers over a shared x axis (base-10 log when `log_x`), y from 0."""
    points = [p for line in series.values() for p in line]
    if not points:
        return ""
    width, height, left, right, top, bottom = 720, 360, 60, 20, 20, 90

    def fx(x: float) -> float:
        return math.log10(max(x, 1)) if log_x else x

    xs = [fx(x) for x, _ in points]
    x_min, x_max = min(xs), max(xs)
    if log_x:  # whole decades, so every point sits between labelled ticks
        x_min, x_max = math.floor(x_min), math.ceil(x_max)
    if x_max == x_min:
        x_min, x_max = x_min - 1, x_max + 1
    y_max = max(y for _, y in points) * 1.1 or 1.0

    def px(x: float) -> float:
        return left + (fx(x) - x_min) / (x_max - x_min) * (width - left - right)

    def py(y: float) -> float:
        return top + (1 - y / y_max) * (height - top - bottom)

    parts = [f"<svg viewBox='0 0 {width} {height}' width='{width}' height='{height}' role='img' "
             f"aria-label='{html.escape(y_label)} / {html.escape(x_label)}'>"]
    for i in range(5):
        y = y_max * i / 4
        parts.append(f"<line x1='{left}' x2='{width - right}' y1='{py(y):.1f}' y2='{py(y):.1f}' stroke='#e5e5e5'/>"
                     f"<text x='{left - 6}' y='{py(y) + 4:.1f}' font-size='11' text-anchor='end'>{y:.0f}</text>")
    ticks = sorted({x for x, _ in points})
    if log_x:
        ticks = [10 ** p for p in range(math.floor(x_min), math.ceil(x_max) + 1)]
    for x in ticks:
        if x_min - 1e-9 <= fx(x) <= x_max + 1e-9:
            parts.append(f"<line x1='{px(x):.1f}' x2='{px(x):.1f}' y1='{top}' y2='{height - bottom}' stroke='#f0f0f0'/>"
                         f"<text x='{px(x):.1f}' y='{height - bottom + 16}' font-size='11' text-anchor='middle'>"
                         f"{_short(x)}</text>")
    parts.append(f"<text x='{(left + width - right) / 2}' y='{height - bottom + 34}' font-size='12' "
                 f"text-anchor='middle'>{html.escape(x_label)}</text>"
                 f"<text x='14' y='{top + (height - top - bottom) / 2}' font-size='12' text-anchor='middle' "
                 f"transform='rotate(-90 14 {top + (height - top - bottom) / 2})'>{html.escape(y_label)}</text>")
    for i, (name, line) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        line = sorted(line)
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in line)
        parts.append(f"<polyline points='{path}' fill='none' stroke='{color}' stroke-width='2'/>")
        parts += [f"<circle cx='{px(x):.1f}' cy='{py(y):.1f}' r='3.5' fill='{color}'><title>{html.escape(name)}："
                  f"{y}</title></circle>" for x, y in line]
        legend_y = height - bottom + 52 + (i // 2) * 16
        legend_x = left + (i % 2) * 330
        parts.append(f"<rect x='{legend_x}' y='{legend_y - 9}' width='12' height='4' fill='{color}'/>"
                     f"<text x='{legend_x + 18}' y='{legend_y - 4}' font-size='12'>{html.escape(name)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _short(x: float) -> str:
    if x >= 1_000_000:
        return f"{x / 1_000_000:g}M"
    if x >= 1000:
        return f"{x / 1000:g}k"
    return f"{x:g}"


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}" if value and base else "—"


def _value(value) -> str:
    return "—" if value is None else str(value)
