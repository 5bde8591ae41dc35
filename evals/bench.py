"""`huiqi bench`: how fast huiqi answers and ingests, on this machine.

- Query latency (retrieve + extractive answer, warm, query-embedding cache cleared
  before each question) at the bundled corpus and at synthetic corpora of N clauses.
- A synthetic corpus recombines real clauses: the first half of one clause's text with
  the second half of another's, and a random blend of their two vectors plus a little
  noise, so it is built without embedding; it is cached in `<data dir>/bench/`. (Plain
  sums of two of a few hundred vectors would repeat and span only a few hundred
  dimensions: nearest-neighbour search on them is easier than on real clauses.)
- Above the exact-search limit, dense search runs on Chroma's HNSW; its recall@10
  against exact search is reported.
- Ingest throughput of the bundled policies (real embedding), peak memory, and the cold
  start of `huiqi serve` until /healthz answers.
- What users would pick instead, timed in the same run: a bare LangChain
  `Chroma.similarity_search` over the same texts and vectors with the same embedder.
- Filing an unanswered question as an inquiry with a backlog of open ones in its region
  (the help desk's grouping by meaning), on a fresh worker and after.
- With `--load`: concurrent chat clients against `huiqi serve` (see `evals.load`).
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
from langchain_core.embeddings import Embeddings
from sqlalchemy.orm import Session

from assistant.config import Settings
from assistant.conversation import ConversationStore
from assistant.direct import checked_profile, match
from assistant.inquiries import OPEN, InquiryRow, Inquiries, encode_vector
from assistant.service import Assistant
from evals.load import load_figures
from evals.runner import load_questions
from evals.servers import free_port
from evals.stats import percentile
from knowledge.index import EXACT_SEARCH_LIMIT, KnowledgeBase, KnowledgeConfig, embedding_text
from knowledge.search import COARSE_MIN_ROWS, lexical_text
from knowledge.models import Clause, PolicyDocument, vector_id
from knowledge.registry import Registry, registry_url

CLAUSES_PER_DOCUMENT = 100
# Changes whenever synthetic corpora are built differently, so a cached one is rebuilt.
SYNTHETIC_VERSION = "blend-noise-1"
# Noise per vector, as a share of the mean distance between two real clauses' vectors.
SYNTHETIC_NOISE = 0.25


def percentiles(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 2),
        "p95": round(percentile(values, 95), 2),
        "p99": round(percentile(values, 99), 2),
    }


def query_latency(kb: KnowledgeBase, settings: Settings, questions: list[str],
                  baseline: Callable[[str], object] | None = None) -> dict[str, float]:
    """ms per question, retrieve + extractive answer, after one warm-up pass; the p50 of the
    query embedding alone (`embed_p50`, the floor every question pays); and, given
    `baseline` (what users would build instead), its p50 and p95.

    Each question is preceded by its embedding alone and by the baseline's search, so all
    three are timed under the same load and their ratios hold on a shared machine.
    """
    store = ConversationStore("sqlite://")
    store.open()
    assistant = Assistant(settings, kb, store)
    kb.prepare()  # as `huiqi serve` does before its first question
    for question in questions[:5]:
        assistant.ask(question)
        if baseline is not None:
            baseline(question)
    kb.embed_queries(questions[:3])
    timings, floor, theirs = [], [], []
    for question in questions:
        floor.append(_timed(kb.embed_queries, [question]))
        if baseline is not None:
            theirs.append(_timed(baseline, question))
        kb.clear_query_cache()
        timings.append(_timed(assistant.ask, question))
    figures = {**percentiles(timings), "embed_p50": percentiles(floor)["p50"]}
    if theirs:
        figures.update(baseline_p50_ms=percentiles(theirs)["p50"], baseline_p95_ms=percentiles(theirs)["p95"])
    return figures


def _timed(work: Callable, argument) -> float:
    started = time.perf_counter()
    work(argument)
    return (time.perf_counter() - started) * 1000


def rss_mb() -> float:
    """Resident memory of this process now (not its peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


INQUIRY_BACKLOG = 1_000


def inquiry_latency(backlog: int = INQUIRY_BACKLOG, rounds: int = 20) -> dict[str, float]:
    """ms to file an unanswered question as an inquiry while `backlog` inquiries of its
    region are open: the first on a worker that has read none of them, then the p50 of the
    next `rounds`. Random unit vectors of the bundled model's size: every question opens an
    inquiry of its own."""
    store = ConversationStore("sqlite://")
    store.open()
    rng = np.random.default_rng(7)

    def unit(count: int) -> np.ndarray:
        vectors = rng.standard_normal((count, 384)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed(texts) -> np.ndarray:  # unused: every note below is given its vector
        return unit(len(texts))

    now = datetime.now(UTC)
    with Session(store.engine) as db, db.begin():
        db.add_all(InquiryRow(question=f"问题{i}", status=OPEN, region="大连市", channel="web",
                              vector=encode_vector(vector), first_asked=now, last_asked=now)
                   for i, vector in enumerate(unit(backlog)))
    inquiries = Inquiries(store.engine, embed)
    vectors = unit(rounds + 1)
    timings = [_timed(lambda i: inquiries.note(i + 1, "bench", f"新问题{i}", "大连市", "web", "refused", vectors[i]), i)
               for i in range(rounds + 1)]
    return {"inquiry_backlog": backlog, "inquiry_note_first_ms": round(timings[0], 2),
            "inquiry_note_p50_ms": round(statistics.median(timings[1:]), 2)}


def match_latency(kb: KnowledgeBase, rounds: int = 40) -> dict[str, float]:
    """ms per 政策直达 match (`POST /api/match` without HTTP), after the items of the
    current revision are loaded once; profiles cycle through the covered places."""
    regions = sorted({d.region for d in kb.documents() if d.region}) or ["全国"]
    profiles = [checked_profile(regions[i % len(regions)], "", "", ["专精特新"] if i % 2 else [])[0]
                for i in range(rounds)]
    started = time.perf_counter()
    records = kb.benefits()
    load_ms = (time.perf_counter() - started) * 1000
    timings = []
    for profile in profiles:
        started = time.perf_counter()
        match(kb.benefits(), profile)
        timings.append((time.perf_counter() - started) * 1000)
    figures = percentiles(timings)
    return {"match_p50_ms": figures["p50"], "match_p95_ms": figures["p95"], "benefit_items": len(records),
            "benefit_load_ms": round(load_ms, 1)}


class _PrecomputedPassages(Embeddings):
    """The knowledge base's embedder for queries; for passages, the vectors already stored
    (so the baseline's collection is built without embedding every clause again)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.pending: list[list[float]] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors, self.pending = self.pending[: len(texts)], self.pending[len(texts):]
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.kb.embedder.embed_query(text)


def langchain_baseline(kb: KnowledgeBase, folder: Path, k: int = 5) -> Callable[[str], object]:
    """`langchain_chroma.Chroma.similarity_search(question, k)` over the same clause texts
    and vectors, on Chroma's defaults (built once in `folder`, then reused)."""
    from langchain_chroma import Chroma

    embeddings = _PrecomputedPassages(kb)
    store = Chroma(collection_name="baseline", embedding_function=embeddings, persist_directory=str(folder))
    ids, matrix = kb.vectors.all_vectors()
    if store._collection.count() != len(ids):
        store.reset_collection()
        documents = {d.doc_id: d for d in kb.documents()}
        clauses = kb.registry.clauses_by_vector_id(ids)
        rows = [(vid, i) for i, vid in enumerate(ids) if vid in clauses]
        for start in range(0, len(rows), 1000):
            chunk = rows[start:start + 1000]
            embeddings.pending = [matrix[i].tolist() for _, i in chunk]
            store.add_texts([embedding_text(documents[clauses[vid].doc_id], clauses[vid]) for vid, _ in chunk],
                            metadatas=[{"doc_id": clauses[vid].doc_id} for vid, _ in chunk],
                            ids=[vid for vid, _ in chunk])
    return lambda question: store.similarity_search(question, k=k)


def _dense_kind(size: int) -> str:
    if size > EXACT_SEARCH_LIMIT:
        return "hnsw"
    return "exact" if size < COARSE_MIN_ROWS else "projected candidates, scored exactly"


def synthetic_corpus(source: KnowledgeBase, size: int, folder: Path, seed: int = 7) -> KnowledgeBase:
    """A knowledge base of `size` recombined clauses in `folder` (built once, then reused)."""
    config = KnowledgeConfig(data_dir=folder, embedder=source.config.embedder)
    kb = KnowledgeBase.open(config, embedder=source.embedder)
    existing = kb.health()["clauses"]
    if existing == size and kb.registry.get_meta("synthetic") == SYNTHETIC_VERSION:
        return kb
    if existing:
        # Emptied in place: the knowledge base has no way to drop every document at once.
        kb.vectors.open(kb.embedder_name, kb.dimension, reset=True)
        kb.registry.clear()
    documents = {d.doc_id: d for d in source.documents()}
    clauses = [c for d in documents for c in source.clauses(d)]
    vector_ids = {vector_id(c.clause_id, documents[c.doc_id].content_hash): c for c in clauses}
    stored = source.vectors.vectors(list(vector_ids))
    vectors = {vector_ids[vid].clause_id: v / (np.linalg.norm(v) or 1.0) for vid, v in stored.items()}
    rng = random.Random(seed)
    noise_rng = np.random.default_rng(seed)
    sample = np.vstack(list(vectors.values()))
    pairs = noise_rng.integers(0, len(sample), size=(2000, 2))
    spread = float(np.mean(np.linalg.norm(sample[pairs[:, 0]] - sample[pairs[:, 1]], axis=1)))
    sigma = SYNTHETIC_NOISE * spread / np.sqrt(sample.shape[1])
    # Few distinct texts (pairs of the source's clauses) recur across a large corpus: each
    # is tokenized once; at a million clauses tokenizing is most of the build.
    tokens_of: dict[str, list[str]] = {}
    for first in range(0, size, CLAUSES_PER_DOCUMENT):
        count = min(CLAUSES_PER_DOCUMENT, size - first)
        doc_id = f"synthetic-{first // CLAUSES_PER_DOCUMENT:05d}"
        pieces, texts, parts, tokens = [], [], [], []
        offset = 0
        for ordinal in range(count):
            a, b = rng.sample(clauses, 2)
            text = a.text[: len(a.text) // 2] + b.text[len(b.text) // 2:]
            piece = Clause(f"{doc_id}:{ordinal}", doc_id, f"{a.clause_path} / {b.clause_path}", text,
                           offset, offset + len(text), ordinal)
            pieces.append(piece)
            words = lexical_text(piece)
            if words not in tokens_of:
                tokens_of[words] = kb.tokenizer.tokenize(words)
            tokens.append(tokens_of[words])
            texts.append(text)
            offset += len(text) + 1
            weight = rng.uniform(0.3, 0.7)
            mixed = weight * vectors[a.clause_id] + (1 - weight) * vectors[b.clause_id]
            mixed = mixed + noise_rng.normal(0.0, sigma, mixed.shape)
            parts.append(mixed / (np.linalg.norm(mixed) or 1.0))
        region = documents[rng.choice(clauses).doc_id].region
        document = PolicyDocument(doc_id=doc_id, title=f"合成文件{first // CLAUSES_PER_DOCUMENT}", text="\n".join(texts),
                                  region=region, source=f"{doc_id}.txt")
        kb.ingest_vectors(document, pieces, np.vstack(parts), tokens)
    kb.registry.set_meta("synthetic", SYNTHETIC_VERSION)
    return kb


def hnsw_recall(kb: KnowledgeBase, questions: list[str], k: int = 10) -> float:
    """Share of Chroma's HNSW top-k that is in the exact top-k (mean over questions); a
    vector tied with the exact k-th counts as found."""
    return dense_recall(kb, questions, lambda vector, question: [vid for vid, _ in kb.vectors.query(vector, k)], k)


def search_recall(kb: KnowledgeBase, questions: list[str], k: int = 10) -> float:
    """The same share for huiqi's own dense search (past COARSE_MIN_ROWS, candidates chosen
    on a narrower projection, then scored exactly)."""
    def found(vector, question):
        return [vector_id(h.clause.clause_id, h.document.content_hash) for h in kb.dense_search(question, k)]
    return dense_recall(kb, questions, found, k)


def dense_recall(kb: KnowledgeBase, questions: list[str], search, k: int) -> float:
    ids, matrix = kb.vectors.all_vectors()
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True).clip(min=1e-9)
    position = {vid: i for i, vid in enumerate(ids)}
    found = []
    for question in questions:
        vector = kb.query_vector(question)
        vector = vector / np.linalg.norm(vector)
        similarity = unit @ vector
        kth = np.partition(similarity, -k)[-k]
        approximate = search(vector, question)
        found.append(sum(1 for vid in approximate if similarity[position[vid]] >= kth - 1e-6) / k)
    return round(sum(found) / len(found), 4)


def ingest_throughput(settings: Settings, source: KnowledgeBase) -> dict[str, float]:
    """Ingest of the bundled policies into a scratch knowledge base, next to the model's
    floor in the same run: the same clauses' passages encoded one by one, nothing else."""
    with tempfile.TemporaryDirectory(prefix="huiqi-bench-ingest-") as folder:
        kb = KnowledgeBase.open(KnowledgeConfig(data_dir=Path(folder), embedder=settings.embedder), embedder=source.embedder)
        report = kb.ingest()
        texts = [embedding_text(d, c) for d in kb.documents() for c in kb.clauses(d.doc_id)]
        kb.registry.close()
    started = time.perf_counter()
    for text in texts:
        source.embedder.embed_passages([text])
    floor = time.perf_counter() - started
    per_s = round(report.chunks / report.seconds, 1) if report.seconds else 0.0
    floor_per_s = round(len(texts) / floor, 1) if floor else 0.0
    return {"ingest_chunks": report.chunks, "ingest_seconds": round(report.seconds, 2), "ingest_chunks_per_s": per_s,
            "ingest_floor_chunks_per_s": floor_per_s,
            "ingest_share_of_floor": round(per_s / floor_per_s, 3) if floor_per_s else 0.0}


@contextmanager
def serving(data_dir: Path, workers: int = 1, env: dict[str, str] | None = None, timeout: float = 180.0):
    """`huiqi serve` on a free loopback port; yields (base URL, seconds until /healthz answered)."""
    port = free_port()
    script = Path(sys.executable).with_name("huiqi")
    command = [str(script), "serve", "--port", str(port), "--workers", str(workers)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env={**os.environ, "HUIQI_DATA_DIR": str(data_dir), **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError("huiqi serve exited during start-up")
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"huiqi serve did not answer /healthz within {timeout:.0f} s")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", round(time.perf_counter() - started, 2)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def cold_start(data_dir: Path) -> float:
    """Seconds from launching `huiqi serve` to its first healthy /healthz."""
    with serving(data_dir) as (_, seconds):
        return seconds


def run_load(settings: Settings, levels: list[int], requests_per_client: int, workers: int = 1) -> dict:
    """Throughput, p50/p95 and errors of `POST /api/chat` at each concurrency level,
    against `huiqi serve` on this knowledge base (rate limits off for the run)."""
    registry = Registry(registry_url(settings.data_dir, settings.database_url))
    registry.open()
    try:
        if not registry.clause_count():
            raise ValueError("知识库是空的，请先运行 `huiqi ingest`。")
    finally:
        registry.close()
    questions = [q.question for q in load_questions() if not q.history and not q.refuse]
    env = {"HUIQI_RATE_LIMIT": "off", "HUIQI_RATE_LIMIT_PER_IP": "off"}
    with serving(Path(settings.data_dir), workers=workers, env=env) as (base_url, started):
        levels_out = load_figures(base_url, questions, levels, requests_per_client)
    return {"workers": workers, "serve_start_s": started, "requests_per_client": requests_per_client,
            "levels": levels_out}


BASELINE_UP_TO = 100_000
"""Largest synthetic corpus the LangChain baseline is timed on: its target stops at 100k
clauses, and at a million it would build a second million-vector collection (> 30 min)."""


def run(settings: Settings, sizes: list[int], queries: int = 50, serve: bool = True,
        baseline_up_to: int = BASELINE_UP_TO) -> dict:
    kb = KnowledgeBase.open(settings.knowledge_config())
    clauses = kb.health()["clauses"]
    if not clauses:
        raise ValueError("知识库是空的，请先运行 `huiqi ingest`。")
    pool = [q.question for q in load_questions() if not q.history]
    questions = [pool[i % len(pool)] for i in range(queries)]
    matching = match_latency(kb)  # first: it times loading the items, which serving does at start
    filing = inquiry_latency()
    bundled = query_latency(kb, settings, questions,
                            langchain_baseline(kb, Path(settings.data_dir) / "bench" / "baseline-bundled"))
    result: dict = {
        "corpus_clauses": clauses,
        "query_p50_ms": bundled["p50"], "query_p95_ms": bundled["p95"], "query_p99_ms": bundled["p99"],
        "embed_query_p50_ms": bundled["embed_p50"],
        **matching, **filing,
        "baseline_p50_ms": bundled["baseline_p50_ms"], "baseline_p95_ms": bundled["baseline_p95_ms"],
        "exact_search_limit": EXACT_SEARCH_LIMIT,
        "sizes": {},
    }
    for size in sizes:
        started = time.perf_counter()
        folder = Path(settings.data_dir) / "bench" / f"synthetic-{size}"
        synthetic = synthetic_corpus(kb, size, folder)
        built = time.perf_counter() - started
        matching = match_latency(synthetic)
        baseline = langchain_baseline(synthetic, folder / "baseline") if size <= baseline_up_to else None
        latency = query_latency(synthetic, settings, questions, baseline)
        figures = {**{f"query_{k}_ms": latency[k] for k in ("p50", "p95", "p99")},
                   **matching, "embed_query_p50_ms": latency["embed_p50"],
                   **({k: latency[k] for k in ("baseline_p50_ms", "baseline_p95_ms")} if baseline is not None
                      else {"baseline_skipped": f"超过 {baseline_up_to} 条，未计时 LangChain 对照"}),
                   "build_or_load_s": round(built, 1), "dense_search": _dense_kind(size)}
        if size > EXACT_SEARCH_LIMIT:
            recall = hnsw_recall(synthetic, questions[:20])
            figures["hnsw_recall@10"] = figures["hnsw_recall_at_10"] = recall
        elif size >= COARSE_MIN_ROWS:
            figures["search_recall_at_10"] = search_recall(synthetic, questions[:20])
        figures["rss_mb"] = rss_mb()
        result["sizes"][str(size)] = figures
        synthetic.registry.close()
    result.update(ingest_throughput(settings, kb))
    if serve:
        result["cold_start_s"] = cold_start(Path(settings.data_dir))
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def clean(data_dir: Path) -> None:
    shutil.rmtree(Path(data_dir) / "bench", ignore_errors=True)
