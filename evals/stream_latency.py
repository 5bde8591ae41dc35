"""Time to first token and total time of answers through `POST /api/chat/stream`.

    python -m evals.stream_latency [--url http://127.0.0.1:7860] [--runs 20] [--json]

Without --url, the app is started in this process on a free loopback port, on the
configured data dir (run `huiqi ingest` first). Requests are warm: a few are sent and
discarded before timing; each timed question is worded anew, so its embedding is computed. Figures are medians and p95 over `--runs` requests.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import threading
import time

import httpx

from evals.stats import percentile

QUESTIONS = [
    "温县政府采购工程项目预留比例是多少？",
    "郑州的单项冠军企业奖励多少钱？",
    "金华国家小巨人企业奖励提高到了多少？",
    "惠济区研发费用补助最高多少？",
    "郑州青年创新创业基金的投资损失允许率？",
]


def time_one(client: httpx.Client, question: str) -> tuple[float, float]:
    """(ms to the first token event, ms to the final answer event)."""
    started = time.perf_counter()
    first = total = None
    answering = False
    with client.stream("POST", "/api/chat/stream", json={"question": question}) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if first is None and line.startswith("event: token"):
                first = time.perf_counter()
            answering = answering or line.startswith("event: answer")
            if answering and total is None and line.startswith("data: "):
                total = time.perf_counter()
    if total is None:
        raise RuntimeError(f"no answer event for {question!r}")
    return ((first or total) - started) * 1000, (total - started) * 1000


def measure(url: str, runs: int, warmup: int = 5) -> dict:
    with httpx.Client(base_url=url, timeout=60) as client:
        for i in range(warmup):
            time_one(client, QUESTIONS[i % len(QUESTIONS)])
        ttft, total = [], []
        for i in range(runs):
            # A new wording each time, so the server's query-embedding cache never answers.
            first, whole = time_one(client, f"{QUESTIONS[i % len(QUESTIONS)]}（第{i + 1}问）")
            ttft.append(first)
            total.append(whole)
    return {
        "runs": runs,
        "ttft_ms_p50": round(statistics.median(ttft), 1),
        "ttft_ms_p95": round(percentile(ttft, 95), 1),
        "total_ms_p50": round(statistics.median(total), 1),
        "total_ms_p95": round(percentile(total, 95), 1),
    }


def _serve_in_background() -> str:
    import uvicorn

    from ui.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description="流式接口的首字延迟与总耗时")
    parser.add_argument("--url", help="已启动的 huiqi serve 地址；不给则在本进程内启动")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = measure(args.url or _serve_in_background(), args.runs)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(f"首个 token：中位数 {figures['ttft_ms_p50']} ms，p95 {figures['ttft_ms_p95']} ms")
        print(f"完整回答：中位数 {figures['total_ms_p50']} ms，p95 {figures['total_ms_p95']} ms（{figures['runs']} 次）")


if __name__ == "__main__":
    main()
