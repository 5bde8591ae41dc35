"""`huiqi bench --freshness`: how soon every worker of `huiqi serve --workers N` answers
from a document that just changed, and what the questions asked meanwhile waited.

On a synthetic corpus (see `evals.bench.synthetic_corpus`) behind a `chroma run` server:
- clients ask gold questions without pause, each over a new connection (so the
  kernel spreads them over the workers), before and after the change;
- one synthetic document is stored again with one more clause whose words nothing
  else has (its vector from the real embedder);
- a probe asks about that clause over new connections until 20 answers in a row quote
  it; freshness is the time from the change's commit to the end of the last answer
  that did not (20 in a row over N workers: each worker answered at least once,
  but with odds of 2^-19 at 2 workers);
- the clients' slowest answer in the switch (from the change until 5 s after every
  worker answered fresh) against their p95 before the change.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from assistant.config import Settings
from evals.servers import ChromaServer
from evals.stats import percentile
from knowledge.index import KnowledgeBase, KnowledgeConfig, embedding_text
from knowledge.models import Clause, PolicyDocument, vector_id

MARKER_CLAUSE = "第九十九条 企业购置量子巡检机器狗用于安全生产的，按购置价格给予一次性补助，最高不超过18万元。"
MARKER_QUESTION = "企业购置量子巡检机器狗有什么补助？"
MARKER_WORDS = "量子巡检机器狗"
FRESH_IN_A_ROW = 20


class _Clients:
    """Threads asking questions in a loop, each question over a new connection."""

    def __init__(self, base_url: str, questions: list[str], clients: int) -> None:
        self.base_url = base_url
        self.questions = questions
        self.timings: list[tuple[float, float, int, str]] = []  # (started, seconds, status, question)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(clients)]

    def __enter__(self) -> _Clients:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _run(self, number: int) -> None:
        i = number * 7
        while not self._stop.is_set():
            question = self.questions[i % len(self.questions)]
            i += 1
            started = time.perf_counter()
            try:
                status = httpx.post(f"{self.base_url}/api/chat", json={"question": question}, timeout=120).status_code
            except httpx.HTTPError:
                status = 0
            with self._lock:
                self.timings.append((started, time.perf_counter() - started, status, question))

    def between(self, start: float, end: float) -> list[tuple[float, float, int, str]]:
        with self._lock:
            return [t for t in self.timings if start <= t[0] < end]


def _quotes_marker(base_url: str) -> tuple[bool, float]:
    """(whether the answer quotes the marker clause, when it ended)."""
    try:
        response = httpx.post(f"{base_url}/api/chat", json={"question": MARKER_QUESTION}, timeout=120)
        fresh = response.status_code == 200 and any(
            MARKER_WORDS in c.get("text", "") for c in response.json().get("citations", [])
        )
    except httpx.HTTPError:
        fresh = False
    return fresh, time.perf_counter()


def _changed_document(kb: KnowledgeBase) -> tuple[PolicyDocument, list[Clause], np.ndarray]:
    """The first synthetic document with the marker clause added, its vectors as stored
    plus the marker's own embedding."""
    document = kb.documents()[0]
    clauses = kb.clauses(document.doc_id)
    stored = kb.vectors.vectors([vector_id(c.clause_id, document.content_hash) for c in clauses])
    text = kb.registry.document_text(document.doc_id) or ""
    start = len(text) + 1
    marker = Clause(f"{document.doc_id}:{len(clauses)}", document.doc_id, "第九十九条", MARKER_CLAUSE,
                    start, start + len(MARKER_CLAUSE), len(clauses))
    changed = PolicyDocument(doc_id=document.doc_id, title=document.title, text=f"{text}\n{MARKER_CLAUSE}",
                             region=document.region, source=document.source)
    vector = kb.embedder.embed_passages([embedding_text(changed, marker)])
    kept = [c for c in clauses if vector_id(c.clause_id, document.content_hash) in stored]
    return changed, [*kept, marker], np.vstack(
        [*(stored[vector_id(c.clause_id, document.content_hash)] for c in kept), vector[0]])


def run_freshness(settings: Settings, size: int, workers: int = 2, clients: int = 2,
                  before_s: float = 15.0, timeout_s: float = 60.0) -> dict:
    """Freshness figures for one document change at `size` clauses (see the module)."""
    from evals.bench import serving, synthetic_corpus
    from evals.runner import load_questions

    source = KnowledgeBase.open(settings.knowledge_config())
    folder = Path(settings.data_dir) / "bench" / f"synthetic-{size}"
    built = synthetic_corpus(source, size, folder)
    built.registry.close()
    questions = [q.question for q in load_questions() if not q.history and not q.refuse]
    with ChromaServer(folder / "chroma") as chroma:
        env = {"HUIQI_CHROMA_URL": chroma.url, "HUIQI_RATE_LIMIT": "off", "HUIQI_RATE_LIMIT_PER_IP": "off",
               "HUIQI_DATA_DIR": str(folder)}
        writer = KnowledgeBase.open(KnowledgeConfig(data_dir=folder, chroma_url=chroma.url,
                                                    embedder=source.config.embedder), embedder=source.embedder)
        with serving(folder, workers=workers, env=env) as (base_url, started_s):
            warm_started = time.perf_counter()
            in_a_row = 0
            while in_a_row < 4 * workers:  # every worker has built its indexes
                in_a_row = in_a_row + 1 if _warm(base_url, questions[in_a_row]) < 2.0 else 0
            warm_s = time.perf_counter() - warm_started
            with _Clients(base_url, questions, clients) as load:
                time.sleep(before_s)
                document, clauses, vectors = _changed_document(writer)
                writer.ingest_vectors(document, clauses, vectors)
                changed_at = time.perf_counter()
                last_stale, in_a_row = changed_at, 0
                while in_a_row < FRESH_IN_A_ROW:
                    if time.perf_counter() - changed_at > timeout_s:
                        raise RuntimeError(f"问答服务在 {timeout_s:.0f} 秒内没有全部用上新版本文件。")
                    fresh, ended = _quotes_marker(base_url)
                    if fresh:
                        in_a_row += 1
                    else:
                        in_a_row, last_stale = 0, ended
                fresh_after = last_stale - changed_at
                time.sleep(5.0)
                settled_at = time.perf_counter()
            before = [s * 1000 for _, s, status, _ in load.between(changed_at - before_s, changed_at) if status == 200]
            during = load.between(changed_at, settled_at)
        writer.registry.close()
    errors = sum(1 for _, _, status, _ in load.timings if status != 200)
    before_p95 = round(percentile(before, 95), 1) if before else 0.0
    slowest = max(during, key=lambda t: t[1], default=(0.0, 0.0, 0, ""))
    return {
        "clauses": size, "workers": workers, "clients": clients, "serve_start_s": started_s,
        "warm_up_s": round(warm_s, 1), "fresh_after_s": round(fresh_after, 2),
        "before_p95_ms": before_p95, "switch_max_ms": round(slowest[1] * 1000, 1),
        "switch_max_over_p95": round(slowest[1] * 1000 / before_p95, 2) if before_p95 else 0.0,
        "switch_slowest_question": slowest[3],
        "questions_before": len(before), "questions_during": len(during), "errors": errors,
        "omp_threads": os.environ.get("OMP_NUM_THREADS", ""),
    }


def _warm(base_url: str, question: str) -> float:
    started = time.perf_counter()
    httpx.post(f"{base_url}/api/chat", json={"question": question}, timeout=300)
    return time.perf_counter() - started
