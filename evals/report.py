"""The eval report: results.json, report.md and report.html (bar charts of the
breakdowns as inline SVG, and every failure with question, expected fact, answer and
cited clauses). Thresholds live in evals/thresholds.toml."""

from __future__ import annotations

import html
import json
import tomllib
from importlib import resources
from pathlib import Path

HEADLINE = (
    "hit@1", "hit@5", "mrr@10", "ndcg@10", "key_fact_accuracy", "citation_precision", "citation_recall",
    "refusal_accuracy", "refusal_precision", "refusal_recall",
)
CHARTED = ("hit@5", "key_fact_accuracy", "citation_precision", "refusal_accuracy")


def load_thresholds(path: Path | None = None) -> dict[str, float]:
    text = Path(path).read_text("utf-8") if path else resources.files("evals").joinpath("thresholds.toml").read_text("utf-8")
    return {k: float(v) for k, v in tomllib.loads(text).get("minimum", {}).items()}


def below_thresholds(report: dict, thresholds: dict[str, float]) -> list[str]:
    """Metrics under their minimum, as readable lines (empty when all pass)."""
    missed = []
    for name, minimum in thresholds.items():
        value = report["metrics"].get(name)
        if value is None or value < minimum:
            missed.append(f"{name} = {value} < {minimum}")
    return missed


def write_report(report: dict, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "results.json", folder / "report.md", folder / "report.html"]
    paths[0].write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    paths[1].write_text(markdown(report), encoding="utf-8")
    paths[2].write_text(html_page(report), encoding="utf-8")
    return paths


def _table(rows: dict[str, dict], columns: tuple[str, ...]) -> list[str]:
    lines = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, metrics in rows.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(metrics.get(c)) for c in columns) + " |")
    return lines


def markdown(report: dict) -> str:
    m = report["metrics"]
    lines = [
        "# huiqi 评测报告", "",
        f"题目 {report['n_questions']} 道，回答方式 {report['mode']}。", "",
        "## 总体", "", *_table({"全部": m, **report["by_split"]}, HEADLINE), "",
        "## 按语料库（held-out：其问题从未参与拟合）", "", *_table(report.get("by_corpus_split", {}), HEADLINE), "",
        "延迟（毫秒）：" + "，".join(f"{k} {_fmt(v)}" for k, v in m.items() if k.endswith("_ms_p50") or k.endswith("_ms_p95")),
        "", "## 按题型", "", *_table(report["by_type"], HEADLINE), "",
        "## 按地区", "", *_table(report["by_region"], HEADLINE), "",
        "## 检索消融（仅可回答题）", "", *_table(report["ablations"], ("hit@1", "hit@5", "mrr@10", "ndcg@10")), "",
        "## 真实文件的读取（每个语料库：元数据正确率、条款覆盖率）", "",
        *_table(
            {name: {"documents": c["documents"], "coverage": c["coverage"], **c["metadata"]}
             for name, c in report.get("corpora", {}).items()},
            ("documents", "coverage", "title", "region", "level", "issuer", "date", "doc_number"),
        ), "",
    ]
    if "extractive_metrics" in report:
        lines += ["## 大模型与原文摘录对比", "", *_table({"llm": m, "extractive": report["extractive_metrics"]}, HEADLINE), ""]
    lines += [f"## 失败（{len(report['failures'])}）", ""]
    for f in report["failures"]:
        lines += [
            f"### {f['id']}（{f['type']}，{f['region']}，{f['reason']}）",
            f"- 问题：{f['question']}" + (f"（前序：{'；'.join(f['history'])}）" if f["history"] else ""),
            f"- 应含：{'、'.join(f['expected_facts']) or '（应拒答）'}；金标准条款：{', '.join(f['gold_clauses']) or '—'}",
            f"- 引用：{', '.join(f['cited']) or '—'}；检索前三：{', '.join(f['top_retrieved'])}",
            "- 回答：", "", "  > " + f["answer"].replace("\n", "\n  > "), "",
        ]
    return "\n".join(lines) + "\n"


def html_page(report: dict) -> str:
    e = html.escape
    sections = [
        f"<h1>huiqi 评测报告</h1><p>题目 {report['n_questions']} 道，回答方式 {e(report['mode'])}。</p>",
        "<h2>总体</h2>" + _html_table({"全部": report["metrics"], **report["by_split"]}, HEADLINE),
        "<h2>按题型</h2>" + _bars(report["by_type"]) + _html_table(report["by_type"], HEADLINE),
        "<h2>按地区</h2>" + _bars(report["by_region"]) + _html_table(report["by_region"], HEADLINE),
        "<h2>检索消融</h2>" + _html_table(report["ablations"], ("hit@1", "hit@5", "mrr@10", "ndcg@10")),
    ]
    failures = "".join(
        "<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in (
            f["id"], f["type"], f["region"], f["reason"], f["question"] + (f"（前序：{'；'.join(f['history'])}）" if f["history"] else ""),
            "、".join(f["expected_facts"]) or "（应拒答）", f["answer"], ", ".join(f["cited"]) or "—",
        )) + "</tr>"
        for f in report["failures"]
    )
    sections.append(
        f"<h2>失败（{len(report['failures'])}）</h2><table><tr><th>编号</th><th>题型</th><th>地区</th><th>原因</th>"
        f"<th>问题</th><th>应含事实</th><th>回答</th><th>引用条款</th></tr>{failures}</table>"
    )
    style = (
        "body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:14px}td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top}"
        "td{white-space:pre-wrap}th{background:#f3f3f3}svg{display:block;margin:.5em 0}"
    )
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>huiqi 评测报告</title>"
        f"<style>{style}</style></head><body>{''.join(sections)}</body></html>"
    )


def _html_table(rows: dict[str, dict], columns: tuple[str, ...]) -> str:
    head = "<tr><th></th>" + "".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr>"
    body = "".join(
        f"<tr><th>{html.escape(name)}</th>" + "".join(f"<td>{_fmt(m.get(c))}</td>" for c in columns) + "</tr>"
        for name, m in rows.items()
    )
    return f"<table>{head}{body}</table>"


def _bars(groups: dict[str, dict]) -> str:
    """A grouped horizontal bar chart (one bar per charted metric) as inline SVG."""
    colors = ("#c8102e", "#1f77b4", "#2ca02c", "#9467bd")
    row_height, bar, width, label = 16 * len(CHARTED) + 10, 14, 420, 150
    height = row_height * len(groups) + 30
    parts = [f"<svg width='{label + width + 80}' height='{height}' role='img'>"]
    for i, metric in enumerate(CHARTED):
        parts.append(f"<rect x='{label + i * 130}' y='4' width='10' height='10' fill='{colors[i]}'/>"
                     f"<text x='{label + i * 130 + 14}' y='13' font-size='11'>{metric}</text>")
    for row, (name, metrics) in enumerate(groups.items()):
        top = 24 + row * row_height
        parts.append(f"<text x='0' y='{top + row_height / 2}' font-size='12'>{html.escape(name)}（{metrics.get('questions', 0)}）</text>")
        for i, metric in enumerate(CHARTED):
            value = metrics.get(metric)
            if value is None:
                continue
            y = top + i * 16
            parts.append(f"<rect x='{label}' y='{y}' width='{value * width:.1f}' height='{bar}' fill='{colors[i]}'/>"
                         f"<text x='{label + value * width + 4:.1f}' y='{y + 11}' font-size='11'>{value:.2f}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.1f}"
    return str(value)
