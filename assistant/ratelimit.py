"""Rate limits on the public chat endpoints, per client: the IP address together with
the session, plus a looser limit per IP alone so that a bot cannot dodge the first by
starting a new session for every question.

Counters live in this process (the `limits` library's moving window in memory). With
`huiqi serve --workers N` each worker counts on its own, so a client may get up to N
times the limit; the README's deployment section says to put the real cap in the
reverse proxy when that matters.
"""

from __future__ import annotations

import math
import threading
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from assistant.errors import AssistantError

OFF = ("", "0", "off", "none")


class RateLimited(AssistantError):
    """Too many questions from one client; `retry_after` is in whole seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"提问过于频繁，请 {retry_after} 秒后再试。")
        self.retry_after = retry_after


def parse_limit(text: str | None) -> RateLimitItem | None:
    """`"20/minute"` → a limit; `"off"`/`"0"`/empty → no limit. Raises ValueError naming the text."""
    if text is None or text.strip().lower() in OFF:
        return None
    try:
        return parse(text.strip())
    except ValueError:
        raise ValueError(f"无法识别的限流设置“{text}”，应写成“次数/时间单位”，如 20/minute、300/hour，或 off") from None


class RateLimiter:
    """Counts questions per client and refuses those over the limit.

    Example:
        >>> limiter = RateLimiter(per_client="2/minute", per_ip="100/minute")
        >>> limiter.check("203.0.113.7", "s1"); limiter.check("203.0.113.7", "s1")
        >>> limiter.check("203.0.113.7", "s1")
        Traceback (most recent call last):
        ...
        assistant.ratelimit.RateLimited: 提问过于频繁，请 60 秒后再试。
    """

    def __init__(self, per_client: str | None, per_ip: str | None) -> None:
        self.per_client = parse_limit(per_client)
        self.per_ip = parse_limit(per_ip)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    @property
    def enabled(self) -> bool:
        return self.per_client is not None or self.per_ip is not None

    def check(self, ip: str, session_id: str | None) -> None:
        """Count one question from (`ip`, `session_id`); raise RateLimited when over a limit."""
        checks = []
        if self.per_ip is not None:
            checks.append((self.per_ip, ("ip", ip)))
        if self.per_client is not None:
            checks.append((self.per_client, ("client", ip, session_id or "-")))
        # A question refused by one limit is not counted against the other.
        for item, keys in checks:
            if not self._limiter.test(item, *keys):
                reset = self._limiter.get_window_stats(item, *keys).reset_time
                raise RateLimited(max(1, math.ceil(reset - time.time())))
        for item, keys in checks:
            self._limiter.hit(item, *keys)


class TooManyFailures(RateLimited):
    """A client locked out after repeated wrong admin tokens; `retry_after` in whole seconds."""

    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        AssistantError.__init__(self, f"管理令牌错误次数过多，请 {retry_after} 秒后再试。")
        self.retry_after = retry_after


class FailureThrottle:
    """Locks a client out for growing periods after repeated failures (wrong admin tokens).

    The first `free_failures` failures in a row cost nothing; from then on each failure
    locks the client out for 2^failures seconds (32 s, 64 s, … up to `max_lockout_s`).
    While locked out, attempts are refused without being looked at and are not counted.
    A success clears the client's record; a record is forgotten `forget_after_s` after
    its last failure. Counters live in this process, like RateLimiter's.

    Example:
        >>> throttle = FailureThrottle(free_failures=1)
        >>> throttle.check("203.0.113.7"); throttle.failed("203.0.113.7")
        2
        >>> throttle.check("203.0.113.7")
        Traceback (most recent call last):
        ...
        assistant.ratelimit.TooManyFailures: 管理令牌错误次数过多，请 2 秒后再试。
    """

    def __init__(self, free_failures: int = 5, max_lockout_s: int = 3600, forget_after_s: int = 86400,
                 clock=time.monotonic) -> None:
        if free_failures < 1:
            raise ValueError(f"free_failures must be >= 1, got {free_failures}")
        if max_lockout_s < 1:
            raise ValueError(f"max_lockout_s must be >= 1, got {max_lockout_s}")
        self.free_failures = free_failures
        self.max_lockout_s = max_lockout_s
        self.forget_after_s = forget_after_s
        self._clock = clock
        self._failures: dict[str, tuple[int, float, float]] = {}
        """client -> (failures in a row, time of the last one, locked out until)"""
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Raise TooManyFailures while `client` is locked out."""
        with self._lock:
            _, _, until = self._failures.get(client, (0, 0.0, 0.0))
            wait = until - self._clock()
        if wait > 0:
            raise TooManyFailures(max(1, math.ceil(wait)))

    def failed(self, client: str) -> int:
        """Count one failure of `client`; the seconds it is now locked out for (0 if none)."""
        with self._lock:
            now = self._clock()
            self._forget_old(now)
            count, _, _ = self._failures.get(client, (0, 0.0, 0.0))
            count += 1
            lockout = min(2 ** count, self.max_lockout_s) if count >= self.free_failures else 0
            self._failures[client] = (count, now, now + lockout)
            return lockout

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _forget_old(self, now: float) -> None:
        # Only when the table has grown: a bot rotating addresses must not fill memory.
        if len(self._failures) < 10_000:
            return
        for client, (_, last, until) in list(self._failures.items()):
            if until <= now and now - last > self.forget_after_s:
                del self._failures[client]
