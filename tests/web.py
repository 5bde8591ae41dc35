"""Real servers on 127.0.0.1 for the web tests: huiqi's app under uvicorn, and a plain
static server standing in for a district website that embeds the widget; screenshots."""

from __future__ import annotations

import functools
import http.server
import os
import threading
import time
from pathlib import Path

import uvicorn

from evals.servers import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]


class AppServer:
    """An ASGI app served by uvicorn in a background thread."""

    def __init__(self, app, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = app
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> AppServer:
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("huiqi test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


class StaticSite:
    """A directory served over HTTP on its own loopback port (another origin)."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        handler = functools.partial(_QuietHandler, directory=str(root))
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> StaticSite:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def sse_events(body: str) -> list[tuple[str, str]]:
    """(event name, data) pairs of a Server-Sent Events body."""
    events = []
    for block in body.split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        if data:
            events.append((name, "\n".join(data)))
    return events


def save_screenshot(page, name: str, full_page: bool = False) -> Path:
    """A screenshot in test-artifacts/screenshots/ (or $HUIQI_TEST_ARTIFACTS/screenshots/),
    checked not to be blank."""
    folder = Path(os.environ.get("HUIQI_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))
    folder = folder / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000, "screenshot is blank"
    return path
