"""Who may manage documents: the admin token, checked for the document API (Bearer
header) and the console login, with wrong guesses throttled per client address; and
console sessions.

A console login is a random session id held in an HttpOnly cookie. The database keeps
only its HMAC keyed with the admin token, and its expiry, beside the conversations, so
every worker (and machine) sharing that database knows every session, and rotating the
token ends them all. Nothing in a URL or a Gradio session hash counts as logged in.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, String, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from assistant.errors import AssistantError
from assistant.ratelimit import FailureThrottle

log = logging.getLogger("huiqi.admin")

COOKIE = "huiqi_console"
SESSION_LIFETIME = timedelta(hours=8)


class WrongAdminToken(AssistantError):
    """The admin token given does not match."""

    status = 403
    code = "forbidden"

    def __init__(self) -> None:
        super().__init__("管理令牌不正确。")


class _Base(DeclarativeBase):
    pass


class ConsoleSessionRow(_Base):
    __tablename__ = "console_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    """HMAC-SHA256 of the cookie's session id: reading the table does not give a login."""
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ConsoleSessions:
    """Console logins that expire after `lifetime`, kept in a SQLAlchemy database under
    an HMAC with `key` (the admin token): another key knows none of them.

    Example:
        >>> from knowledge.database import open_engine
        >>> engine = open_engine("sqlite://")
        >>> sessions = ConsoleSessions(engine, key="admin-token")
        >>> sessions.open()
        >>> session_id = sessions.start()
        >>> sessions.is_valid(session_id), sessions.is_valid("forged")
        (True, False)
        >>> ConsoleSessions(engine, key="rotated-token").is_valid(session_id)
        False
    """

    def __init__(self, engine: Engine, key: str, lifetime: timedelta = SESSION_LIFETIME) -> None:
        if not key:
            raise ValueError("key must not be empty")
        if lifetime <= timedelta(0):
            raise ValueError(f"lifetime must be positive, got {lifetime}")
        self.engine = engine
        self.lifetime = lifetime
        self._key = key.encode()

    def open(self) -> None:
        _Base.metadata.create_all(self.engine)

    def start(self) -> str:
        """A new session id (for the cookie); expired sessions are dropped on the way."""
        session_id = secrets.token_urlsafe(32)
        now = _now()
        with Session(self.engine.execution_options(write=True)) as db, db.begin():
            db.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at < now))
            db.add(ConsoleSessionRow(id_hash=self._digest(session_id), expires_at=now + self.lifetime))
        return session_id

    def is_valid(self, session_id: str | None) -> bool:
        if not session_id or len(session_id) > 128:
            return False
        with Session(self.engine) as db:
            expires_at = db.scalar(
                select(ConsoleSessionRow.expires_at).where(ConsoleSessionRow.id_hash == self._digest(session_id))
            )
        return expires_at is not None and _aware(expires_at) > _now()

    def end(self, session_id: str | None) -> None:
        if not session_id:
            return
        with Session(self.engine.execution_options(write=True)) as db, db.begin():
            db.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.id_hash == self._digest(session_id)))

    def _digest(self, session_id: str) -> str:
        return hmac.new(self._key, session_id.encode("utf-8", "replace"), hashlib.sha256).hexdigest()


class AdminGate:
    """The admin token check shared by the document API and the console login.

    A client address locked out by the throttle is refused (TooManyFailures, 429)
    before its token is even compared; each wrong token is logged as one line naming
    the address, never the token tried.

    Example:
        >>> gate = AdminGate("a-long-admin-token")
        >>> gate.check_token("203.0.113.7", "a-long-admin-token")
        >>> gate.check_token("203.0.113.7", "guess")
        Traceback (most recent call last):
        ...
        assistant.adminauth.WrongAdminToken: 管理令牌不正确。
    """

    def __init__(self, token: str, sessions: ConsoleSessions | None = None,
                 throttle: FailureThrottle | None = None) -> None:
        self._token = token.encode()
        self.sessions = sessions
        self.throttle = throttle or FailureThrottle()

    @property
    def enabled(self) -> bool:
        return bool(self._token)

    def check_token(self, client: str, given: str) -> None:
        """Return if `given` is the admin token; raise TooManyFailures or WrongAdminToken."""
        self.throttle.check(client)
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self._token):
            lockout = self.throttle.failed(client)
            log.warning("wrong admin token from %s%s", client, f"; refused for {lockout} s" if lockout else "")
            raise WrongAdminToken()
        self.throttle.succeeded(client)

    def logged_in(self, cookies: dict[str, str]) -> bool:
        """Whether the request's cookies hold a live console session."""
        return self.sessions is not None and self.sessions.is_valid(cookies.get(COOKIE))


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
