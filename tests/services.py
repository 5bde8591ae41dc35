"""Real backing services on 127.0.0.1 for the tests: a `chroma run` server and a private
PostgreSQL cluster (Debian's `postgresql`, installed by `.ci/setup test`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evals.servers import ChromaServer, free_port, wait_for

__all__ = ["ChromaServer", "postgres_server", "wait_for"]


def _postgres_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not candidates:
        raise RuntimeError("PostgreSQL is not installed: run `bash .ci/setup test`")
    return candidates[-1].parent


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster; yields the SQLAlchemy URL of an empty database."""
    binaries = _postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="huiqi-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        as_owner = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    port = free_port()
    subprocess.run(
        [*as_owner, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
         "-E", "UTF8", "--no-locale"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    server = subprocess.Popen(
        [*as_owner, str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        ready = [str(binaries / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-q"]
        wait_for(lambda: subprocess.run(ready).returncode == 0, "postgres", server)
        subprocess.run(
            [str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "huiqi"], check=True
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/huiqi"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(root, ignore_errors=True)
