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
