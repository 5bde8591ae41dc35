"""Failures inside Gradio event handlers, logged as one short line.

Gradio prints a full traceback to stderr for every exception an event raises
(queueing.py and routes.py call `traceback.print_exc()` unless the exception is a
`gr.Error` with `print_exception=False`), including the failures of inputs a visitor
forged, whose values end up in the exception message. `HandlerErrorLog.install` wraps a
Blocks' `process_api` so that an exception is logged as one line naming the page, the
handler and the exception type — never its message, which may quote the input — at
most once per `interval_s` for each (page, handler, type), and handed on to Gradio as
such a quiet `gr.Error`.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

import gradio as gr

log = logging.getLogger("huiqi.pages")

UNPROCESSABLE = "请求无法处理，请刷新页面后重试。"


class HandlerErrorLog:
    """One rate-limited log line per failed Gradio event.

    Example:
        >>> errors = HandlerErrorLog(interval_s=10)

    then ``errors.install(page, page="console")`` on each Gradio page.
    """

    def __init__(self, interval_s: float = 10.0, clock=time.monotonic) -> None:
        if interval_s < 0:
            raise ValueError(f"interval_s must be >= 0, got {interval_s}")
        self.interval_s = interval_s
        self._clock = clock
        self._last: dict[tuple[str, str, str], float] = {}
        self._suppressed: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()

    def install(self, blocks: gr.Blocks, page: str) -> None:
        """Route the failures of `blocks`' events through this log."""
        process_api = blocks.process_api

        @functools.wraps(process_api)
        async def quiet_process_api(block_fn, *args, **kwargs):
            try:
                return await process_api(block_fn, *args, **kwargs)
            except gr.Error as error:
                if error.print_exception:
                    self.report(page, _handler_name(blocks, block_fn), error)
                    error.print_exception = False
                raise
            except Exception as error:
                self.report(page, _handler_name(blocks, block_fn), error)
                raise gr.Error(UNPROCESSABLE, print_exception=False) from None

        blocks.process_api = quiet_process_api

    def report(self, page: str, handler: str, error: BaseException) -> None:
        kind = (page, handler, type(error).__name__)
        with self._lock:
            now = self._clock()
            last = self._last.get(kind)
            if last is not None and now - last < self.interval_s:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return
            self._last[kind] = now
            suppressed = self._suppressed.pop(kind, 0)
        more = f" (and {suppressed} more in the last {now - last:.0f} s)" if suppressed and last is not None else ""
        log.warning("%s page: handler %s failed with %s%s", page, handler, kind[2], more)


def _handler_name(blocks: gr.Blocks, block_fn) -> str:
    if isinstance(block_fn, int):
        block_fn = blocks.fns.get(block_fn)
    return getattr(block_fn, "name", None) or "?"
