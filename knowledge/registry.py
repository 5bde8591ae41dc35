"""The document registry: documents, their clauses and tokens, in SQLite in the data dir
by default, or in any SQLAlchemy database (PostgreSQL when several workers or machines
share one knowledge base).

It is the source of truth. Chroma holds vectors keyed by `vector_id`; a vector whose id
is not in the registry is an orphan of an interrupted ingest and is never returned.
Replacing a document's clauses is one transaction, so readers see either the old
clauses or the new ones, and the revision counter tells every process that it changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    delete,
    inspect,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine

from knowledge.database import open_engine
from knowledge.models import Clause, PolicyDocument, StoredDocument, hash_tag

_metadata = MetaData()
documents_table = Table(
    "documents", _metadata,
    Column("doc_id", Text, primary_key=True), Column("title", Text, nullable=False),
    Column("doc_number", Text, nullable=False), Column("issuer", Text, nullable=False),
    Column("date", Text, nullable=False), Column("region", Text, nullable=False),
    Column("level", Text, nullable=False), Column("source", Text, nullable=False),
    Column("content_hash", Text, nullable=False), Column("text", Text, nullable=False),
    Column("chunks", Integer, nullable=False), Column("ingested_at", Float, nullable=False),
    Column("validity", Text, nullable=False, server_default=""),
)
clauses_table = Table(
    "clauses", _metadata,
    Column("vector_id", Text, primary_key=True), Column("clause_id", Text, nullable=False, unique=True),
    Column("doc_id", Text, ForeignKey("documents.doc_id", ondelete="CASCADE"), nullable=False),
    Column("ordinal", Integer, nullable=False), Column("clause_path", Text, nullable=False),
    Column("text", Text, nullable=False), Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False), Column("tokens", Text, nullable=False),
    Column("benefits", Text, nullable=True),
    Index("clauses_by_doc", "doc_id", "ordinal"),
)
benefit_corrections_table = Table(
    "benefit_corrections", _metadata,
    Column("clause_hash", Text, primary_key=True), Column("item_key", Text, primary_key=True),
    Column("item", Text, nullable=False), Column("updated_at", Float, nullable=False),
)
"""Help-desk corrections of benefit items, keyed by the clause's text (not its id), so
they hold when an unchanged clause is ingested again and lapse when its words change."""
meta_table = Table("meta", _metadata, Column("key", Text, primary_key=True), Column("value", Text, nullable=False))
pending_table = Table(
    "pending", _metadata, Column("doc_id", Text, primary_key=True), Column("started_at", Float, nullable=False)
)

_DOC_COLUMNS = [documents_table.c[name] for name in (
    "doc_id", "title", "doc_number", "issuer", "date", "region", "level", "source", "chunks", "content_hash",
    "validity",
)]
_CLAUSE_COLUMNS = [clauses_table.c[name] for name in (
    "vector_id", "clause_id", "doc_id", "clause_path", "text", "start", "end", "ordinal",
)]
_IN_BATCH = 500


def registry_url(data_dir: Path, database_url: str | None) -> str:
    """The configured database, or the SQLite file in the data dir."""
    return database_url or f"sqlite:///{Path(data_dir).resolve() / 'registry.sqlite3'}"


class Registry:
    """Registry of documents and clauses.

    Example:
        >>> registry = Registry("sqlite:///" + "/tmp/huiqi-doctest.sqlite3")
        >>> registry.open()
        >>> isinstance(registry.revision(), int)
        True
    """

    def __init__(self, url: str) -> None:
        if not url:
            raise ValueError("registry url must not be empty")
        self.url = url
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._pins = threading.local()
        # Every question reads the revision a few times; a pooled checkout with its ping and
        # BEGIN costs ~50x the SELECT, so one autocommit connection is kept for it.
        self._revision_connection = None
        self._revision_lock = threading.Lock()

    def open(self) -> None:
        with self._lock:
            if self._engine is not None:
                return
            engine = open_engine(self.url)
            with engine.connect().execution_options(write=True) as conn, conn.begin():
                if conn.dialect.name == "postgresql":
                    # Workers starting together create tables and columns one at a time.
                    conn.execute(text("SELECT pg_advisory_xact_lock(7310421)"))
                _metadata.create_all(conn)
                _add_missing_columns(conn)
                if conn.execute(select(meta_table.c.value).where(meta_table.c.key == "revision")).first() is None:
                    conn.execute(insert(meta_table).values(key="revision", value="0"))
            self._engine = engine

    def close(self) -> None:
        with self._lock:
            self._drop_revision_connection()
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("Registry is not open; call open() first")
        return self._engine

    def _read(self):
        return self.engine.connect()

    def _write(self):
        # SQLite: BEGIN IMMEDIATE, so two writers queue instead of failing on lock upgrade.
        return self.engine.connect().execution_options(write=True)

    # --- reading -------------------------------------------------------------

    def revision(self) -> int:
        pinned = getattr(self._pins, "revision", None)
        if pinned is not None:
            return pinned
        # An in-memory SQLite database lives in its one pooled connection: not taken out.
        in_memory = self.url == "sqlite://" or ":memory:" in self.url
        with self._revision_lock:
            try:
                if in_memory:
                    raise LookupError
                if self._revision_connection is None:
                    connection = self.engine.raw_connection()
                    if self.engine.dialect.name == "postgresql":
                        connection.driver_connection.rollback()  # idle, so autocommit may be set
                        connection.driver_connection.autocommit = True
                    connection.detach()  # kept for this registry's lifetime, never pooled
                    self._revision_connection = connection
                cursor = self._revision_connection.cursor()
                try:
                    cursor.execute("SELECT value FROM meta WHERE key = 'revision'")
                    row = cursor.fetchone()
                finally:
                    cursor.close()
                return int(row[0]) if row else 0
            except Exception:
                # A dropped connection (database restarted): the pooled path reconnects.
                if not in_memory:
                    self._drop_revision_connection()
        return int(self.get_meta("revision") or 0)

    def _drop_revision_connection(self) -> None:
        connection, self._revision_connection = self._revision_connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                pass

    @contextmanager
    def pinned_revision(self):
        """Within the block, this thread reads the revision once: one search checks its
        caches ten-odd times, and each check was a query. Whoever needs to notice a
        change during the block reads the revision outside it (as `Assistant.retrieve`
        does, and searches again)."""
        if getattr(self._pins, "revision", None) is not None:
            yield
            return
        self._pins.revision = self.revision()
        try:
            yield
        finally:
            self._pins.revision = None

    def get_meta(self, key: str) -> str | None:
        with self._read() as conn:
            return conn.execute(select(meta_table.c.value).where(meta_table.c.key == key)).scalar()

    def documents(self) -> list[StoredDocument]:
        with self._read() as conn:
            rows = conn.execute(select(*_DOC_COLUMNS).order_by(documents_table.c.doc_id)).all()
        return [StoredDocument(*row) for row in rows]

    def document(self, doc_id: str) -> StoredDocument | None:
        with self._read() as conn:
            row = conn.execute(select(*_DOC_COLUMNS).where(documents_table.c.doc_id == doc_id)).first()
        return StoredDocument(*row) if row else None

    def doc_id_of_source(self, source: str) -> str | None:
        """The id of the document stored from the file named `source`, if any."""
        with self._read() as conn:
            return conn.execute(
                select(documents_table.c.doc_id).where(documents_table.c.source == source).limit(1)
            ).scalar()

    def document_text(self, doc_id: str) -> str | None:
        with self._read() as conn:
            return conn.execute(select(documents_table.c.text).where(documents_table.c.doc_id == doc_id)).scalar()

    def content_hash(self, doc_id: str) -> str | None:
        document = self.document(doc_id)
        return document.content_hash if document else None

    def clauses(self, doc_id: str, content_hash: str | None = None) -> list[Clause]:
        """A document's clauses in order; with `content_hash`, only while that version is
        the one stored (none otherwise)."""
        query = select(*_CLAUSE_COLUMNS).where(clauses_table.c.doc_id == doc_id)
        if content_hash is not None:
            query = query.where(clauses_table.c.vector_id.endswith("@" + hash_tag(content_hash), autoescape=True))
        with self._read() as conn:
            rows = conn.execute(query.order_by(clauses_table.c.ordinal)).all()
        return [_clause(row) for row in rows]

    def clauses_by_vector_id(self, vector_ids: list[str]) -> dict[str, Clause]:
        found: dict[str, Clause] = {}
        with self._read() as conn:
            for start in range(0, len(vector_ids), _IN_BATCH):
                rows = conn.execute(
                    select(*_CLAUSE_COLUMNS).where(clauses_table.c.vector_id.in_(vector_ids[start:start + _IN_BATCH]))
                ).all()
                found.update({row[0]: _clause(row) for row in rows})
        return found

    def clauses_by_id(self, clause_ids: list[str]) -> dict[str, Clause]:
        """The clauses with these clause ids (what a help-desk reply cites), by clause id."""
        found: dict[str, Clause] = {}
        with self._read() as conn:
            for start in range(0, len(clause_ids), _IN_BATCH):
                rows = conn.execute(
                    select(*_CLAUSE_COLUMNS).where(clauses_table.c.clause_id.in_(clause_ids[start:start + _IN_BATCH]))
                ).all()
                found.update({row[1]: _clause(row) for row in rows})
        return found

    def token_rows(self, doc_ids: set[str] | None = None) -> tuple[dict[str, str], list[str], list[list[str]]]:
        """(document versions, vector ids, token lists) of the clauses of `doc_ids` (default:
        every document), read in one transaction so the three agree."""
        with self._read() as conn, conn.begin():
            query = select(documents_table.c.doc_id, documents_table.c.content_hash)
            clause_query = select(clauses_table.c.vector_id, clauses_table.c.tokens)
            if doc_ids is not None:
                query = query.where(documents_table.c.doc_id.in_(sorted(doc_ids)))
                clause_query = clause_query.where(clauses_table.c.doc_id.in_(sorted(doc_ids)))
            versions = dict(conn.execute(query).all())
            rows = conn.execute(clause_query.order_by(clauses_table.c.doc_id, clauses_table.c.ordinal)).all()
        return versions, [row[0] for row in rows], _token_lists(row[1] for row in rows)

    def all_tokens(self) -> tuple[list[str], list[list[str]]]:
        """(vector ids, token lists) of every clause, for building BM25."""
        with self._read() as conn:
            rows = conn.execute(
                select(clauses_table.c.vector_id, clauses_table.c.tokens)
                .order_by(clauses_table.c.doc_id, clauses_table.c.ordinal)
            ).all()
        return [row[0] for row in rows], _token_lists(row[1] for row in rows)

    def benefit_rows(self, doc_ids: set[str] | None = None) -> list[tuple[Clause, str | None]]:
        """Every clause (of `doc_ids`, when given) with its benefit items as stored (JSON;
        None for a clause stored before items were extracted)."""
        query = select(*_CLAUSE_COLUMNS, clauses_table.c.benefits)
        if doc_ids is not None:
            query = query.where(clauses_table.c.doc_id.in_(sorted(doc_ids)))
        with self._read() as conn:
            rows = conn.execute(query.order_by(clauses_table.c.doc_id, clauses_table.c.ordinal)).all()
        return [(_clause(row[:-1]), row[-1]) for row in rows]

    def benefit_corrections(self) -> dict[tuple[str, str], str]:
        """(clause text hash, key of the extracted item) → the corrected item (JSON;
        {"removed": true} for an item struck out)."""
        with self._read() as conn:
            rows = conn.execute(select(
                benefit_corrections_table.c.clause_hash, benefit_corrections_table.c.item_key,
                benefit_corrections_table.c.item,
            )).all()
        return {(h, k): item for h, k, item in rows}

    def correct_benefit(self, clause_hash: str, item_key: str, item: str) -> None:
        """Store one correction; every worker reads it from the next question on."""
        table = benefit_corrections_table
        with self._write() as conn, conn.begin():
            _bump(conn)
            conn.execute(delete(table).where((table.c.clause_hash == clause_hash) & (table.c.item_key == item_key)))
            conn.execute(insert(table).values(
                clause_hash=clause_hash, item_key=item_key, item=item, updated_at=time.time(),
            ))

    def clause_count(self) -> int:
        with self._read() as conn:
            return conn.execute(select(func.count()).select_from(clauses_table)).scalar()

    def pending(self) -> list[str]:
        with self._read() as conn:
            return list(conn.execute(select(pending_table.c.doc_id).order_by(pending_table.c.doc_id)).scalars())

    # --- writing -------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn, conn.begin():
            conn.execute(delete(meta_table).where(meta_table.c.key == key))
            conn.execute(insert(meta_table).values(key=key, value=value))

    def mark_pending(self, doc_id: str) -> None:
        """Record that Chroma is about to change for `doc_id` (cleared when both agree)."""
        with self._write() as conn, conn.begin():
            conn.execute(delete(pending_table).where(pending_table.c.doc_id == doc_id))
            conn.execute(insert(pending_table).values(doc_id=doc_id, started_at=time.time()))

    def clear_pending(self, doc_id: str) -> None:
        with self._write() as conn, conn.begin():
            conn.execute(delete(pending_table).where(pending_table.c.doc_id == doc_id))

    def replace_document(
        self,
        document: PolicyDocument,
        content_hash: str,
        clauses: list[Clause],
        vector_ids: list[str],
        tokens: list[list[str]],
        benefits: list[str] | None = None,
    ) -> None:
        """Swap in a document and all its clauses (with their benefit items, JSON) in one
        transaction."""
        with self._write() as conn, conn.begin():
            _bump(conn)  # first: it also serializes concurrent writers on the revision row
            conn.execute(delete(clauses_table).where(clauses_table.c.doc_id == document.doc_id))
            conn.execute(delete(documents_table).where(documents_table.c.doc_id == document.doc_id))
            conn.execute(insert(documents_table).values(
                doc_id=document.doc_id, title=document.title, doc_number=document.doc_number,
                issuer=document.issuer, date=document.date, region=document.region, level=document.level,
                source=document.source, content_hash=content_hash, text=document.text, chunks=len(clauses),
                ingested_at=time.time(), validity=document.validity,
            ))
            if clauses:
                conn.execute(insert(clauses_table), [
                    {
                        "vector_id": vid, "clause_id": c.clause_id, "doc_id": c.doc_id, "ordinal": c.ordinal,
                        "clause_path": c.clause_path, "text": c.text, "start": c.start, "end": c.end,
                        "tokens": " ".join(t), "benefits": b,
                    }
                    for vid, c, t, b in zip(vector_ids, clauses, tokens, benefits or [None] * len(clauses))
                ])

    def remove_document(self, doc_id: str) -> bool:
        with self._write() as conn, conn.begin():
            _bump(conn)
            conn.execute(delete(clauses_table).where(clauses_table.c.doc_id == doc_id))
            removed = conn.execute(delete(documents_table).where(documents_table.c.doc_id == doc_id)).rowcount
        return bool(removed)

    def clear(self) -> None:
        with self._write() as conn, conn.begin():
            _bump(conn)
            conn.execute(delete(clauses_table))
            conn.execute(delete(documents_table))


def _bump(conn: Connection) -> None:
    current = conn.execute(
        select(meta_table.c.value).where(meta_table.c.key == "revision").with_for_update()
    ).scalar()
    conn.execute(update(meta_table).where(meta_table.c.key == "revision").values(value=str(int(current or 0) + 1)))


def _clause(row) -> Clause:
    _, clause_id, doc_id, path, text, start, end, ordinal = row
    return Clause(clause_id, doc_id, path, text, start, end, ordinal)


def _add_missing_columns(conn: Connection) -> None:
    """Columns added since a registry was created (validity) are added in place, empty,
    so an existing data dir opens without re-ingesting."""
    present = {column["name"] for column in inspect(conn).get_columns("documents")}
    if "validity" not in present:
        conn.execute(text("ALTER TABLE documents ADD COLUMN validity TEXT NOT NULL DEFAULT ''"))
    if "benefits" not in {column["name"] for column in inspect(conn).get_columns("clauses")}:
        # PostgreSQL: two workers opening an old registry at once both get here; SQLite's
        # write transaction already lets only one in.
        guard = " IF NOT EXISTS" if conn.dialect.name == "postgresql" else ""
        conn.execute(text(f"ALTER TABLE clauses ADD COLUMN{guard} benefits TEXT"))


def _token_lists(stored: Iterable[str | None]) -> list[list[str]]:
    """Stored token strings as lists, each distinct word one shared string: at a million
    clauses a string per occurrence held gigabytes while BM25 was built."""
    words: dict[str, str] = {}
    return [[words.setdefault(word, word) for word in text.split(" ")] if text else [] for text in stored]
