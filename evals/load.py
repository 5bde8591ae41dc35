"""Concurrent chat clients against a running huiqi: throughput, latency percentiles and
errors per concurrency level (`huiqi bench --load`), and the workload the concurrency
tests run while documents are re-indexed.

Each client is a thread with its own HTTP connection and session, asking gold
questions in turn through `POST /api/chat`, as a visitor's browser would.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from evals.stats import percentile


@dataclass
class Reply:
    """一次请求的结果。"""

    question: str
    status: int
    """HTTP 状态码；连接失败为 0。"""
    seconds: float
    body: dict = field(default_factory=dict)


@dataclass
class LoadResult:
    """一个并发级别的结果：吞吐、延迟与错误。"""

    clients: int
    replies: list[Reply]
    seconds: float

    @property
    def errors(self) -> dict[str, int]:
        """Count of replies per non-200 status ("0" = no connection)."""
        return dict(sorted(Counter(str(r.status) for r in self.replies if r.status != 200).items()))

    def as_json(self) -> dict:
        latencies = [r.seconds * 1000 for r in self.replies if r.status == 200] or [0.0]
        ok = sum(1 for r in self.replies if r.status == 200)
        return {
            "clients": self.clients,
            "requests": len(self.replies),
            "ok": ok,
            "errors": self.errors,
            "server_errors": sum(1 for r in self.replies if r.status >= 500 or r.status == 0),
            "throughput_rps": round(ok / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "max_ms": round(max(latencies), 1),
        }


def run_clients(
    base_url: str, questions: list[str], clients: int, requests_per_client: int, timeout_s: float = 120.0
) -> LoadResult:
    """`clients` threads, each asking `requests_per_client` questions (rotating through
    `questions`, each client from its own share of them), all started together."""
    if clients <= 0 or requests_per_client <= 0:
        raise ValueError(f"clients and requests_per_client must be > 0, got {clients}, {requests_per_client}")
    if not questions:
        raise ValueError("questions must not be empty")
    replies: list[Reply] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    spread = max(1, len(questions) // clients)

    def client(number: int) -> None:
        session = f"load-{number}-{time.monotonic_ns()}"
        mine: list[Reply] = []
        with httpx.Client(base_url=base_url, timeout=timeout_s) as http:
            start.wait()
            for i in range(requests_per_client):
                # Clients start spread over the pool, so few questions repeat (a repeat
                # would find its embedding cached and flatter the figures).
                question = questions[(number * spread + i) % len(questions)]
                began = time.perf_counter()
                try:
                    response = http.post("/api/chat", json={"question": question, "session_id": session})
                    status = response.status_code
                    body = response.json() if "json" in response.headers.get("content-type", "") else {}
                except httpx.HTTPError:
                    status, body = 0, {}
                mine.append(Reply(question, status, time.perf_counter() - began, body))
        with lock:
            replies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return LoadResult(clients, replies, time.perf_counter() - began)


def load_figures(base_url: str, questions: list[str], levels: list[int], requests_per_client: int) -> list[dict]:
    """One `LoadResult.as_json()` per concurrency level, after a short warm-up."""
    run_clients(base_url, questions, 1, min(5, len(questions)))
    return [run_clients(base_url, questions, level, requests_per_client).as_json() for level in levels]
