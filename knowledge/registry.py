"""The document registry (SQLite in the data dir): documents, their clauses and tokens.

It is the source of truth. Chroma holds vectors keyed by `vector_id`; a vector whose id
is not in the registry is an orphan of an interrupted ingest and is never returned.
Replacing a document's clauses is one SQLite transaction, so readers see either the old
clauses or the new ones.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from knowledge.models import Clause, PolicyDocument, StoredDocument

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, doc_number TEXT NOT NULL, issuer TEXT NOT NULL,
    date TEXT NOT NULL, region TEXT NOT NULL, level TEXT NOT NULL, source TEXT NOT NULL,
    content_hash TEXT NOT NULL, text TEXT NOT NULL, chunks INTEGER NOT NULL, ingested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS clauses (
    vector_id TEXT PRIMARY KEY, clause_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, clause_path TEXT NOT NULL, text TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, tokens TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS clauses_by_doc ON clauses(doc_id, ordinal);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending (doc_id TEXT PRIMARY KEY, started_at REAL NOT NULL);
"""
_DOC_COLUMNS = "doc_id, title, doc_number, issuer, date, region, level, source, chunks, content_hash"
_CLAUSE_COLUMNS = 'vector_id, clause_id, doc_id, clause_path, text, start, "end", ordinal'


class Registry:
    """SQLite registry of documents and clauses.

    Example:
        >>> registry = Registry(Path("/tmp/huiqi-doctest.sqlite3"))
        >>> registry.open()
        >>> isinstance(registry.revision(), int)
        True
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def open(self) -> None:
        if self._conn is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(_SCHEMA)
        self._conn = conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("Registry is not open; call open() first")
        return self._conn

    # --- reading -------------------------------------------------------------

    def revision(self) -> int:
        return int(self.get_meta("revision") or 0)

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def documents(self) -> list[StoredDocument]:
        with self._lock:
            rows = self.conn.execute(f"SELECT {_DOC_COLUMNS} FROM documents ORDER BY doc_id").fetchall()
        return [StoredDocument(*row) for row in rows]

    def document(self, doc_id: str) -> StoredDocument | None:
        with self._lock:
            row = self.conn.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_id = ?", (doc_id,)
            ).fetchone()
        return StoredDocument(*row) if row else None

    def document_text(self, doc_id: str) -> str | None:
        with self._lock:
            row = self.conn.execute("SELECT text FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def content_hash(self, doc_id: str) -> str | None:
        document = self.document(doc_id)
        return document.content_hash if document else None

    def clauses(self, doc_id: str) -> list[Clause]:
        with self._lock:
            rows = self.conn.execute(
                f"SELECT {_CLAUSE_COLUMNS} FROM clauses WHERE doc_id = ? ORDER BY ordinal", (doc_id,)
            ).fetchall()
        return [_clause(row) for row in rows]

    def clauses_by_vector_id(self, vector_ids: list[str]) -> dict[str, Clause]:
        found: dict[str, Clause] = {}
        with self._lock:
            for start in range(0, len(vector_ids), 500):
                batch = vector_ids[start:start + 500]
                marks = ",".join("?" * len(batch))
                rows = self.conn.execute(
                    f"SELECT {_CLAUSE_COLUMNS} FROM clauses WHERE vector_id IN ({marks})", batch
                ).fetchall()
                found.update({row[0]: _clause(row) for row in rows})
        return found

    def all_tokens(self) -> tuple[list[str], list[list[str]]]:
        """(vector ids, token lists) of every clause, for building BM25."""
        with self._lock:
            rows = self.conn.execute("SELECT vector_id, tokens FROM clauses ORDER BY rowid").fetchall()
        return [row[0] for row in rows], [row[1].split(" ") if row[1] else [] for row in rows]

    def clause_count(self) -> int:
        with self._lock:
            return self.conn.execute("SELECT COUNT(*) FROM clauses").fetchone()[0]

    def pending(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self.conn.execute("SELECT doc_id FROM pending ORDER BY doc_id")]

    # --- writing -------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def mark_pending(self, doc_id: str) -> None:
        """Record that Chroma is about to change for `doc_id` (cleared when both agree)."""
        with self._lock:
            self.conn.execute(
                "INSERT OR REPLACE INTO pending(doc_id, started_at) VALUES (?, ?)", (doc_id, time.time())
            )

    def clear_pending(self, doc_id: str) -> None:
        with self._lock:
            self.conn.execute("DELETE FROM pending WHERE doc_id = ?", (doc_id,))

    def replace_document(
        self,
        document: PolicyDocument,
        content_hash: str,
        clauses: list[Clause],
        vector_ids: list[str],
        tokens: list[list[str]],
    ) -> None:
        """Swap in a document and all its clauses in one transaction."""
        with self._lock, _transaction(self.conn) as conn:
            conn.execute("DELETE FROM clauses WHERE doc_id = ?", (document.doc_id,))
            conn.execute("DELETE FROM documents WHERE doc_id = ?", (document.doc_id,))
            conn.execute(
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    document.doc_id, document.title, document.doc_number, document.issuer,
                    document.date, document.region, document.level, document.source,
                    content_hash, document.text, len(clauses), time.time(),
                ),
            )
            conn.executemany(
                "INSERT INTO clauses VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (vid, c.clause_id, c.doc_id, c.ordinal, c.clause_path, c.text, c.start, c.end, " ".join(t))
                    for vid, c, t in zip(vector_ids, clauses, tokens)
                ],
            )
            _bump(conn)

    def remove_document(self, doc_id: str) -> bool:
        with self._lock, _transaction(self.conn) as conn:
            conn.execute("DELETE FROM clauses WHERE doc_id = ?", (doc_id,))
            removed = conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount
            _bump(conn)
        return bool(removed)

    def clear(self) -> None:
        with self._lock, _transaction(self.conn) as conn:
            conn.execute("DELETE FROM clauses")
            conn.execute("DELETE FROM documents")
            _bump(conn)


class _transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


def _bump(conn: sqlite3.Connection) -> None:
    row = conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('revision', ?)", (str(int(row[0] if row else 0) + 1),)
    )


def _clause(row) -> Clause:
    _, clause_id, doc_id, path, text, start, end, ordinal = row
    return Clause(clause_id, doc_id, path, text, start, end, ordinal)
