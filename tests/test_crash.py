"""`kill -9` in the middle of `huiqi ingest`: on the next start the registry, Chroma and
BM25 agree, and running the ingest again completes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from knowledge.index import KnowledgeBase, KnowledgeConfig
from tests.conftest import bundled_clauses

HUIQI = str(Path(sys.executable).parent / "huiqi")
BUNDLED_DOCUMENTS = 5


def _registry_state(path: Path) -> tuple[int, int]:
    """(documents, pending) as another process sees them; (0, 0) before the tables exist."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.05) as conn:
            documents = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            pending = conn.execute("SELECT COUNT(*) FROM pending").fetchone()[0]
            return documents, pending
    except sqlite3.Error:
        return 0, 0


def _kill_when(data_dir: Path, ready) -> tuple[int, int]:
    env = {**os.environ, "HUIQI_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen([HUIQI, "ingest"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    registry = data_dir / "registry.sqlite3"
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            state = _registry_state(registry)
            if ready(state):
                process.send_signal(signal.SIGKILL)
                break
            assert process.poll() is None, "the ingest finished before it could be interrupted"
            time.sleep(0.001)
        else:
            pytest.fail("the ingest never reached the point to interrupt")
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    return state


def _assert_consistent(kb: KnowledgeBase) -> None:
    registry_ids, _ = kb.registry.all_tokens()
    chroma_ids, vectors = kb.vectors.all_vectors()
    assert sorted(chroma_ids) == sorted(registry_ids), "Chroma holds exactly the registry's clauses"
    assert len(vectors) == len(registry_ids)
    assert kb.registry.pending() == []
    for document in kb.documents():
        assert len(kb.clauses(document.doc_id)) == document.chunks
    assert len(set(registry_ids)) == len(registry_ids)
    # BM25 sees every clause: a word from each document finds that document.
    for document in kb.documents():
        first = kb.clauses(document.doc_id)[0]
        hits = kb.lexical_search(first.text[:40], k=5)
        assert any(hit.clause.doc_id == document.doc_id for hit in hits)


@pytest.mark.parametrize(
    "moment",
    ["while-embedding", "while-committing"],
)
def test_kill_9_during_ingest_leaves_a_consistent_index_and_ingest_completes_it(tmp_path, e5, moment):
    data_dir = tmp_path / "data"
    if moment == "while-embedding":
        # The registry exists and nothing is committed yet: the model is embedding.
        state = _kill_when(data_dir, lambda s: (data_dir / "registry.sqlite3").exists() and s == (0, 0) and
                           (data_dir / "chroma").exists())
    else:
        # Some documents are in, the others not yet (or one is half-way: pending).
        state = _kill_when(data_dir, lambda s: s[0] >= 1 or s[1] >= 1)

    config = KnowledgeConfig(data_dir=data_dir)
    kb = KnowledgeBase.open(config, embedder=e5)  # recovers
    _assert_consistent(kb)
    survived = len(kb.documents())
    print(f"killed {moment}: registry {state}, {survived} documents survived")
    if moment == "while-committing":
        assert 0 <= survived < BUNDLED_DOCUMENTS or state[1] >= 1, state

    report = kb.ingest()
    assert not report.rejected
    assert len(report.added) == BUNDLED_DOCUMENTS - survived
    assert len(kb.documents()) == BUNDLED_DOCUMENTS
    assert sum(d.chunks for d in kb.documents()) == bundled_clauses()
    _assert_consistent(kb)
