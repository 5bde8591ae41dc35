"""Conversations kept across `huiqi ask --session S` runs and HTTP requests: the tables,
the store, retention and the log the console reads (its turns are `assistant.turns`).

Stored through SQLAlchemy: SQLite in the data dir by default, any database at
`HUIQI_DATABASE_URL` (PostgreSQL for several servers sharing one history).
"""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, Text, delete, inspect, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from assistant.answer.base import Answer
from assistant.errors import InvalidRequest, NotFound
from assistant.privacy import find_pii, mask_pii, mask_values
from assistant.turns import LoggedTurn, Turn
from knowledge.database import open_engine

SESSION_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
ISSUED_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
"""The form of the ids `start` issues (uuid4, 122 random bits)."""


def validate_session_id(session_id: str | None) -> None:
    """Raise InvalidRequest unless `session_id` is absent or a well-formed id."""
    if session_id is not None and not SESSION_ID.match(session_id):
        raise InvalidRequest("会话编号只能包含字母、数字、点、下划线和连字符，最长 64 个字符。")


class Base(DeclarativeBase):
    pass


class ConversationRow(Base):
    __tablename__ = "conversations"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), default="cli")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TurnRow(Base):
    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("conversations.session_id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    standalone_question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    refused: Mapped[bool] = mapped_column(Boolean)
    mode: Mapped[str] = mapped_column(String(32))
    top_relevance: Mapped[float] = mapped_column(Float, default=0.0)
    citations: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the cited clauses (DESIGN's citation objects)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    related: Mapped[bool] = mapped_column(Boolean, default=False)
    """Answered with clauses that may be related, none answering directly."""
    region: Mapped[str] = mapped_column(String(64), default="")
    """The place the question was about (named, or the page's region)."""


# Columns added after the first release: (table, column, SQL type and default), added to
# a database created earlier when it is opened.
_ADDED_COLUMNS = (
    ("turns", "related", "BOOLEAN DEFAULT FALSE"),
    ("turns", "region", "VARCHAR(64) DEFAULT ''"),
)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id"), index=True)
    rating: Mapped[str] = mapped_column(String(8))
    """up / down"""
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 1000
# Row ids are 64-bit in every database huiqi supports; a larger number names no answer.
MAX_ROW_ID = 2**63 - 1

def database_url(data_dir: Path, configured: str | None) -> str:
    return configured or f"sqlite:///{Path(data_dir).resolve() / 'huiqi.sqlite3'}"


class ConversationStore:
    """Sessions and their turns.

    Example:
        >>> store = ConversationStore("sqlite://")
        >>> store.open()
        >>> session = store.start()
        >>> store.history(session)
        []
    """

    def __init__(self, url: str, retention_days: int = 0) -> None:
        if not url:
            raise ValueError("database url must not be empty")
        if retention_days < 0:
            raise ValueError(f"retention_days must be >= 0, got {retention_days}")
        self.url = url
        self.retention_days = retention_days
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._writer: Engine | None = None
        self._writer_of: Engine | None = None
        self._purged_at: float | None = None
        self.on_purge: list = []
        """Callables given the cutoff whenever turns are purged (what else dies with them)."""

    def open(self) -> None:
        with self._lock:
            if self._engine is not None:
                return
            engine = open_engine(self.url)
            Base.metadata.create_all(engine)
            _add_missing_columns(engine)
            self._engine = engine
        self._purge_expired()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("ConversationStore.open() must be called first")
        return self._engine

    @property
    def _write_engine(self) -> Engine:
        # A write transaction takes SQLite's write lock up front (see knowledge.database).
        if self._writer is None or self._writer_of is not self.engine:
            self._writer, self._writer_of = self.engine.execution_options(write=True), self.engine
        return self._writer

    def _writing(self) -> Session:
        # A write transaction takes SQLite's write lock up front (see knowledge.database).
        return Session(self.engine.execution_options(write=True))

    # Every question starts or resumes a session, reads its history and logs a turn: these
    # run as plain SQL statements (SQLAlchemy Core), not through the ORM's unit of work,
    # whose bookkeeping cost more than the statements themselves.

    def start(self, session_id: str | None = None, channel: str = "cli") -> str:
        """The id of session `session_id`, created if new; a fresh id when none is given."""
        return self.resume(session_id, channel, limit=0)[0]

    def resume(self, session_id: str | None = None, channel: str = "cli", limit: int = 6) -> tuple[str, list[Turn]]:
        """Session `session_id` (created if new; a fresh one when none is given) and its
        last `limit` turns, oldest first. A session created here has none to read."""
        conversations = ConversationRow.__table__
        if session_id is None:
            session_id = uuid.uuid4().hex
            with self._write_engine.begin() as conn:
                conn.execute(conversations.insert(), _session_row(session_id, channel))
            return session_id, []
        validate_session_id(session_id)
        with self._write_engine.begin() as conn:
            known = conn.execute(
                select(conversations.c.session_id).where(conversations.c.session_id == session_id)
            ).first()
            if known is None:
                conn.execute(conversations.insert(), _session_row(session_id, channel))
                return session_id, []
        return session_id, self.history(session_id, limit) if limit else []

    def history(self, session_id: str, limit: int = 6) -> list[Turn]:
        """The last `limit` turns of a session, oldest first."""
        turns = TurnRow.__table__
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(turns.c.question, turns.c.standalone_question, turns.c.answer, turns.c.refused,
                       turns.c.citations)
                .where(turns.c.session_id == session_id).order_by(turns.c.id.desc()).limit(limit)
            ).all()
        return [Turn(r.question, r.standalone_question, r.answer, r.refused, _cited(r.citations)) for r in reversed(rows)]

    def record(self, session_id: str, answer: Answer, top_relevance: float, region: str = "") -> int:
        """Store one answered turn, personal numbers masked; its id is what feedback refers to."""
        self._purge_expired()
        typed = find_pii(answer.question) + find_pii(answer.standalone_question)
        row = dict(
            session_id=session_id, question=mask_values(answer.question, typed),
            standalone_question=mask_values(answer.standalone_question, typed),
            answer=mask_values(answer.text, typed),
            refused=answer.refused, mode=answer.mode, top_relevance=top_relevance,
            citations=json.dumps([c.as_json() for c in answer.citations], ensure_ascii=False),
            created_at=_now(), related=answer.related, region=region,
        )
        with self._write_engine.begin() as conn:
            # Values passed as parameters to one insert statement, not built into a new
            # statement object each turn with `.values(**row)`.
            return int(conn.execute(TurnRow.__table__.insert(), row).inserted_primary_key[0])

    def add_feedback(self, session_id: str, turn_id: int, rating: str, comment: str = "") -> None:
        """👍/👎 on one answer of a session, with an optional comment; the latest counts."""
        if rating not in RATINGS:
            raise InvalidRequest("评价只能是 up（有用）或 down（没用）。")
        comment = _checked_comment(comment)
        if not 0 < turn_id <= MAX_ROW_ID:
            raise NotFound("找不到这条回答，可能会话已过期，请刷新页面后重试。")
        with self._writing() as db, db.begin():
            turn = db.get(TurnRow, turn_id)
            if turn is None or turn.session_id != session_id:
                raise NotFound("找不到这条回答，可能会话已过期，请刷新页面后重试。")
            db.add(FeedbackRow(turn_id=turn_id, rating=rating, comment=mask_pii(comment), created_at=_now()))

    def purge(self, older_than_days: int) -> int:
        """Delete turns (with their feedback) and sessions older than `older_than_days`; the number of turns deleted."""
        cutoff = _now() - timedelta(days=older_than_days)
        for purge_dependents in self.on_purge:
            purge_dependents(cutoff)
        with self._writing() as db, db.begin():
            old_turns = select(TurnRow.id).where(TurnRow.created_at < cutoff)
            db.execute(delete(FeedbackRow).where(FeedbackRow.turn_id.in_(old_turns)))
            deleted = db.execute(delete(TurnRow).where(TurnRow.created_at < cutoff)).rowcount
            db.execute(
                delete(ConversationRow).where(
                    ConversationRow.created_at < cutoff,
                    ~select(TurnRow.id).where(TurnRow.session_id == ConversationRow.session_id).exists(),
                )
            )
        return deleted

    def _purge_expired(self) -> None:
        # At start-up and then at most hourly: cheap enough to ride on record().
        if not self.retention_days:
            return
        now = time.monotonic()
        if self._purged_at is not None and now - self._purged_at < 3600:
            return
        self._purged_at = now
        self.purge(self.retention_days)

    def turn(self, turn_id: int) -> LoggedTurn | None:
        """One stored turn, with its latest rating."""
        if not 0 < turn_id <= MAX_ROW_ID:
            return None
        with Session(self.engine) as db:
            session_id = db.scalar(select(TurnRow.session_id).where(TurnRow.id == turn_id))
        if session_id is None:
            return None
        return next((t for t in self.log(limit=None, session_id=session_id) if t.turn_id == turn_id), None)

    def session_turns(self, session_id: str, limit: int = 200) -> list[LoggedTurn]:
        """The turns of one session, oldest first (what its owner sees again after a reload)."""
        validate_session_id(session_id)
        return list(reversed(self.log(limit=limit, session_id=session_id)))

    def log(self, search: str = "", limit: int | None = 500, session_id: str | None = None) -> list[LoggedTurn]:
        """Turns, newest first, whose question or answer contains `search` (of one session
        when `session_id` is given)."""
        query = select(TurnRow, ConversationRow.channel).join(
            ConversationRow, ConversationRow.session_id == TurnRow.session_id
        )
        if session_id is not None:
            query = query.where(TurnRow.session_id == session_id)
        if search.strip():
            pattern = f"%{search.strip()}%"
            query = query.where(or_(TurnRow.question.like(pattern), TurnRow.answer.like(pattern)))
        query = query.order_by(TurnRow.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with Session(self.engine) as db:
            rows = db.execute(query).all()
            ids = [turn.id for turn, _ in rows]
            latest: dict[int, FeedbackRow] = {}
            for start in range(0, len(ids), 500):
                for fb in db.scalars(
                    select(FeedbackRow).where(FeedbackRow.turn_id.in_(ids[start:start + 500])).order_by(FeedbackRow.id)
                ):
                    latest[fb.turn_id] = fb
        return [
            LoggedTurn(
                turn.id, turn.session_id, channel, turn.created_at, turn.question, turn.standalone_question,
                turn.answer, turn.refused, turn.mode, turn.top_relevance, json.loads(turn.citations or "[]"),
                latest[turn.id].rating if turn.id in latest else "",
                latest[turn.id].comment if turn.id in latest else "",
                bool(turn.related), turn.region or "",
            )
            for turn, channel in rows
        ]


def _add_missing_columns(engine: Engine) -> None:
    for table, column, kind in _ADDED_COLUMNS:
        if column in {c["name"] for c in inspect(engine).get_columns(table)}:
            continue
        try:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))
        except DBAPIError:
            # Another worker starting at the same moment added it first.
            if column not in {c["name"] for c in inspect(engine).get_columns(table)}:
                raise


def _checked_comment(comment: str | None) -> str:
    comment = "".join(ch for ch in (comment or "") if unicodedata.category(ch) != "Cf").strip()
    for ch in comment:
        # Control characters and lone surrogates cannot be stored as text (PostgreSQL
        # refuses NUL; a lone surrogate is not UTF-8); line breaks and tabs are fine.
        if ch not in "\n\t\r" and unicodedata.category(ch) in ("Cc", "Cs"):
            raise InvalidRequest(f"评价意见中含有无法识别的字符（U+{ord(ch):04X}），请删除后再提交。")
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidRequest(f"评价意见最长 {MAX_COMMENT_CHARS} 个字，请精简后再提交。")
    return comment


def _now() -> datetime:
    return datetime.now(UTC)


def _cited(stored: str | None) -> tuple[tuple[str, str], ...]:
    """(doc_id, clause_id) of a stored answer's citations (none for an unreadable row)."""
    try:
        return tuple((c["doc_id"], c["clause_id"]) for c in json.loads(stored or "[]")
                     if c.get("doc_id") and c.get("clause_id"))
    except (ValueError, TypeError, AttributeError):
        return ()


def _session_row(session_id: str, channel: str) -> dict:
    return {"session_id": session_id, "channel": channel, "created_at": _now()}
