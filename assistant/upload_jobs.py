"""Large uploads as background jobs (the protocol is in `assistant.jobs`): the upload is
answered at once with a job id, and a worker thread of the serving process ingests the
files, one job at a time, while other writes wait at most one document's commit."""

from __future__ import annotations

import logging
import re
import threading
import time

from assistant.jobs import DONE, FAILED, HEARTBEAT_S, PROGRESS_EVERY_S, Job, JobStore, Owner, new_job_id
from assistant.library import DocumentLibrary
from assistant.reports import nothing_stored, rejection_message, report_json
from knowledge.errors import KnowledgeError, VectorStoreUnavailable

log = logging.getLogger("huiqi.jobs")

JOB_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
# A queued job whose files no worker here has, after this long, is not coming back.
ORPHAN_AFTER_S = 3600.0
PURGE_EVERY_S = 3600.0
KIND = "upload"


class _Stopping(Exception):
    """The server is shutting down: the job goes back to the queue."""


class UploadJobs:
    """Decides which uploads run in the background, queues them and runs them.

    Usage::

        jobs = UploadJobs(JobStore(kb.registry.engine), library, threshold_bytes=256 * 1024,
                          max_file_bytes=20 * 1024 * 1024)
        jobs.start(); job = jobs.submit([("大文件.txt", data)])
        jobs.get(job.job_id).status  # 'running'
    """

    def __init__(
        self, store: JobStore, library: DocumentLibrary, threshold_bytes: int, max_file_bytes: int, poll_s: float = 2.0
    ) -> None:
        if threshold_bytes < 0:
            raise ValueError(f"threshold_bytes must be >= 0, got {threshold_bytes}")
        if poll_s <= 0:
            raise ValueError(f"poll_s must be > 0, got {poll_s}")
        self.store = store
        self.library = library
        self.threshold_bytes = threshold_bytes
        self.max_file_bytes = max_file_bytes
        self.poll_s = poll_s
        self.owner = Owner()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._purged_at = 0.0

    def is_large(self, files: list[tuple[str, bytes]]) -> bool:
        """Whether an upload runs as a job: its files together exceed the threshold. A file
        over the size limit is refused at once either way, so it does not count."""
        return sum(len(data) for _, data in files if len(data) <= self.max_file_bytes) > self.threshold_bytes

    def submit(self, files: list[tuple[str, bytes]]) -> Job:
        """Keep the files and queue the job (its files first, so a queued job has them)."""
        job_id = new_job_id()
        self.library.stage(job_id, files)
        job = self.store.create(KIND, [name for name, _ in files], job_id=job_id)
        self._wake.set()
        return job

    def get(self, job_id: str) -> Job | None:
        return self.store.get(job_id) if JOB_ID.fullmatch(job_id or "") else None

    def start(self) -> None:
        """Open the table, take back jobs an earlier process left, start the worker."""
        self.store.open()
        self.store.requeue_interrupted(self.owner.is_gone)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._work, name="huiqi-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the worker; a job it is embedding is queued again (no document is left half
        stored: the one being swapped in finishes first)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _work(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                ran = self._run_next()
                if not ran:
                    self.store.requeue_interrupted(self.owner.is_gone)
                    if time.monotonic() - self._purged_at > PURGE_EVERY_S:
                        self.store.purge_finished()
                        self._purged_at = time.monotonic()
            except Exception as exc:  # the worker outlives a database hiccup; the job is retried
                log.warning("job worker: %s", type(exc).__name__)
                ran = False
            if not ran:
                self._wake.wait(self.poll_s)

    def _run_next(self) -> bool:
        for job in self.store.queued():
            if self._stopping.is_set():
                return False
            files = self.library.staged(job.job_id, list(job.files))
            if files is None:  # on another machine's disk, or lost
                if time.time() - job.created_at > ORPHAN_AFTER_S:
                    self.store.finish(job.job_id, FAILED, None, "服务器上找不到这个任务的文件，请重新上传。")
                continue
            if self.store.claim(job.job_id, self.owner.name):
                self._run(job, files)
                return True
        return False

    def _run(self, job: Job, files: list[tuple[str, bytes]]) -> None:
        beating = threading.Event()
        heartbeat = threading.Thread(target=self._heartbeat, args=(job.job_id, beating), daemon=True)
        heartbeat.start()
        last = [0.0]

        def on_clauses(done: int, total: int) -> None:
            if self._stopping.is_set():
                raise _Stopping()
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S or done == total:
                last[0] = now
                self.store.progress(job.job_id, done, total)

        try:
            report = self.library.upload(files, on_clauses=on_clauses)
        except _Stopping:
            self.store.requeue(job.job_id)
            return
        except VectorStoreUnavailable as exc:
            self._fail(job, f"向量库暂时无法访问，任务未完成：{exc} 请稍后重新上传。")
            return
        except KnowledgeError as exc:
            self._fail(job, f"任务未完成：{exc}")
            return
        except Exception:
            log.exception("job %s failed", job.job_id)
            self._fail(job, "任务因服务器内部错误未完成；已入库的文件完整可用，请稍后重新上传其余文件。")
            return
        finally:
            beating.set()
        result = report_json(report)
        if nothing_stored(report):
            self.store.finish(job.job_id, FAILED, result, rejection_message(report))
        else:
            self.store.finish(job.job_id, DONE, result)
        self.library.unstage(job.job_id)
        log.info("job %s done: %d added, %d updated, %d rejected", job.job_id,
                 len(report.added), len(report.updated), len(report.rejected))

    def _fail(self, job: Job, message: str) -> None:
        self.store.finish(job.job_id, FAILED, None, message)
        self.library.unstage(job.job_id)

    def _heartbeat(self, job_id: str, beating: threading.Event) -> None:
        # Keeps a job alive through a long commit, when no progress is written.
        while not beating.wait(HEARTBEAT_S):
            try:
                self.store.touch(job_id)
            except Exception as exc:
                log.warning("job heartbeat: %s", type(exc).__name__)
