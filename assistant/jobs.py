"""Background jobs: a large upload is ingested by a worker thread of the serving process,
and the uploader follows it at `/api/jobs/{id}` or in the console.

A job is a row of the `jobs` table, in the registry's database, and its files wait in the
library's staging folder. It goes queued → running → done | failed:

- A worker claims a queued job with one `UPDATE … WHERE status = 'queued'`; of several
  workers (processes or machines on one PostgreSQL) exactly one sees a row changed.
- While it runs, its progress is written about once a second and a heartbeat every
  HEARTBEAT_S. A running job whose heartbeat stopped for STALE_AFTER_S, or whose process
  on this machine is gone, was interrupted: it is queued again and run again from its
  files. Ingest swaps each document in whole and skips what is already stored (content
  hash), so a re-run finishes the job and nothing is ever half-applied. After
  MAX_ATTEMPTS interruptions the job is failed instead.
- A server that shuts down stops its job between two embedding batches and queues it again.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Column, Float, Index, Integer, MetaData, Table, Text, delete, insert, select, update
from sqlalchemy.engine import Engine

log = logging.getLogger("huiqi.jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
HEARTBEAT_S = 10.0
STALE_AFTER_S = 90.0
MAX_ATTEMPTS = 3
KEEP_FINISHED_S = 7 * 24 * 3600
PROGRESS_EVERY_S = 0.5

_metadata = MetaData()
jobs_table = Table(
    "jobs", _metadata,
    Column("job_id", Text, primary_key=True), Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False), Column("files", Text, nullable=False),
    Column("done", Integer, nullable=False, default=0), Column("total", Integer, nullable=False, default=0),
    Column("result", Text), Column("error", Text), Column("owner", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False), Column("updated_at", Float, nullable=False),
    Index("jobs_by_status", "status", "created_at"),
)
_COLUMNS = [jobs_table.c[name] for name in (
    "job_id", "kind", "status", "files", "done", "total", "result", "error", "created_at", "updated_at",
)]


@dataclass(frozen=True)
class Job:
    """后台任务：编号、类型、状态、文件名、进度（已完成/总条款数）、结果、出错原因、时间。"""

    job_id: str
    kind: str
    status: str
    files: tuple[str, ...]
    done: int
    total: int
    result: dict | None
    error: str | None
    created_at: float
    updated_at: float

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    def as_json(self) -> dict:
        return {
            "job_id": self.job_id, "kind": self.kind, "status": self.status, "files": list(self.files),
            "progress": {"done": self.done, "total": self.total}, "result": self.result, "error": self.error,
            "created_at": _iso(self.created_at), "updated_at": _iso(self.updated_at),
        }


class JobStore:
    """The jobs table.

    Usage::

        store = JobStore(kb.registry.engine); store.open()
        job = store.create("upload", ["大文件.docx"]); store.claim(job.job_id, "me")  # True
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(self) -> None:
        with self._write() as conn, conn.begin():
            _metadata.create_all(conn)

    def _write(self):
        return self.engine.connect().execution_options(write=True)

    def create(self, kind: str, files: list[str], job_id: str | None = None) -> Job:
        now = time.time()
        row = dict(
            job_id=job_id or new_job_id(), kind=kind, status=QUEUED, files=json.dumps(files, ensure_ascii=False),
            done=0, total=0, attempts=0, created_at=now, updated_at=now,
        )
        with self._write() as conn, conn.begin():
            conn.execute(insert(jobs_table).values(**row))
        return self.get(row["job_id"])

    def get(self, job_id: str) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(jobs_table.c.job_id == job_id)).first()
        return _job(row) if row else None

    def queued(self) -> list[Job]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*_COLUMNS).where(jobs_table.c.status == QUEUED).order_by(jobs_table.c.created_at)
            ).all()
        return [_job(row) for row in rows]

    def claim(self, job_id: str, owner: str) -> bool:
        """Take a queued job; False when another worker took it first."""
        with self._write() as conn, conn.begin():
            changed = conn.execute(
                update(jobs_table).where(jobs_table.c.job_id == job_id, jobs_table.c.status == QUEUED)
                .values(status=RUNNING, owner=owner, attempts=jobs_table.c.attempts + 1, updated_at=time.time())
            ).rowcount
        return changed == 1

    def progress(self, job_id: str, done: int, total: int) -> None:
        self._update(job_id, done=done, total=total)

    def touch(self, job_id: str) -> None:
        self._update(job_id)

    def finish(self, job_id: str, status: str, result: dict | None, error: str | None = None) -> None:
        result_text = json.dumps(result, ensure_ascii=False) if result is not None else None
        self._update(job_id, status=status, result=result_text, error=error, owner=None)

    def requeue(self, job_id: str) -> None:
        """Give a job back undone (the server is stopping); the attempt does not count."""
        self._update(job_id, status=QUEUED, owner=None, attempts=jobs_table.c.attempts - 1)

    def requeue_interrupted(self, is_gone: Callable[[str], bool]) -> None:
        """Queue again (or fail, after MAX_ATTEMPTS) running jobs whose worker is gone."""
        stale_before = time.time() - STALE_AFTER_S
        with self.engine.connect() as conn:
            running = conn.execute(
                select(jobs_table.c.job_id, jobs_table.c.owner, jobs_table.c.attempts, jobs_table.c.updated_at)
                .where(jobs_table.c.status == RUNNING)
            ).all()
        for job_id, owner, attempts, updated_at in running:
            if updated_at >= stale_before and not is_gone(owner or ""):
                continue
            values = {"status": QUEUED, "owner": None}
            if attempts >= MAX_ATTEMPTS:
                values = {"status": FAILED, "owner": None, "error": (
                    f"任务已中断 {attempts} 次，不再重试，请检查文件后重新上传。"
                    "已入库的文件完整可用，未完成的文件没有任何部分入库。"
                )}
            with self._write() as conn, conn.begin():
                # Only if still as seen: another worker may have requeued it already.
                conn.execute(update(jobs_table).where(
                    jobs_table.c.job_id == job_id, jobs_table.c.status == RUNNING, jobs_table.c.owner == owner,
                    jobs_table.c.updated_at == updated_at,
                ).values(**values, updated_at=time.time()))
            log.warning("job %s was interrupted; %s", job_id, values["status"])

    def purge_finished(self) -> None:
        with self._write() as conn, conn.begin():
            conn.execute(delete(jobs_table).where(
                jobs_table.c.status.in_((DONE, FAILED)), jobs_table.c.updated_at < time.time() - KEEP_FINISHED_S
            ))

    def _update(self, job_id: str, **values) -> None:
        with self._write() as conn, conn.begin():
            conn.execute(update(jobs_table).where(jobs_table.c.job_id == job_id).values(**values, updated_at=time.time()))


def new_job_id() -> str:
    """Random and unguessable (144 bits), URL-safe."""
    return secrets.token_urlsafe(18)


def _job(row) -> Job:
    job_id, kind, status, files, done, total, result, error, created_at, updated_at = row
    return Job(job_id, kind, status, tuple(json.loads(files)), done, total,
               json.loads(result) if result else None, error, created_at, updated_at)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


class Owner:
    """Who runs a job: this machine, this process, this worker (several in tests)."""

    def __init__(self) -> None:
        self.host = socket.gethostname()
        self.name = f"{self.host}:{os.getpid()}:{secrets.token_hex(4)}"

    def is_gone(self, owner: str) -> bool:
        """Whether the worker `owner` names has certainly stopped: a process of this machine
        that no longer exists. Workers elsewhere are judged by their heartbeat alone."""
        parts = owner.rsplit(":", 2)
        if len(parts) != 3 or parts[0] != self.host or not parts[1].isdigit():
            return False
        try:
            os.kill(int(parts[1]), 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
        return False
