"""One way to open a SQLAlchemy engine for huiqi's tables (registry and conversations):
SQLite in the data dir by default, any URL (PostgreSQL) when configured."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine


def open_engine(url: str) -> Engine:
    """An engine for `url`; for SQLite, the file's folder is created and connections use
    WAL, foreign keys and a busy timeout, and a connection opened with the execution
    option `write=True` begins with BEGIN IMMEDIATE, so two writers queue instead of
    failing on a lock upgrade."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # A ping before each checkout finds a server connection that died; a SQLite file has
    # none to lose, and the ping doubled the cost of every small read.
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")
