"""Server-side browser sessions of the served portal.

Promises:

- A browser's cookie holds only a session id from :mod:`secrets` (256 random bits);
  everything else (the portal session, the CSRF token, when it was last used) stays
  on the server.
- Each session has its own CSRF token from :mod:`secrets`;
  :meth:`WebSession.csrf_matches` compares with :func:`hmac.compare_digest`.
- :meth:`SessionStore.rotate` gives a session a new id and a new CSRF token and
  forgets the old id (the caller does it at sign-in and at sign-out, so an id seen
  before signing in is worth nothing after).
- A session unused for ``idle_seconds`` (real time, from ``timer``) is expired:
  :meth:`SessionStore.get` no longer finds it. At most ``max_sessions`` are kept;
  beyond that the least recently used session that is not signed in is forgotten (the
  least recently used of all only when every one is signed in), so cookie-less
  requests can neither fill memory nor sign producers out.
- Thread-safe: one lock guards the store.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.portal.session import Session

__all__ = ["DEFAULT_IDLE_SECONDS", "DEFAULT_MAX_SESSIONS", "SessionStore", "WebSession"]

DEFAULT_IDLE_SECONDS = 30 * 60.0
DEFAULT_MAX_SESSIONS = 10_000
_ID_BYTES = 32
_MAX_ID_LENGTH = 128  # a cookie longer than any id we issue is not looked up


def _new_secret() -> str:
    return secrets.token_urlsafe(_ID_BYTES)


@dataclass
class WebSession:
    """One browser's session: its id (the cookie), CSRF token and portal session."""

    portal_session: Session
    id: str = field(default_factory=_new_secret)
    csrf_token: str = field(default_factory=_new_secret)
    last_used: float = 0.0
    # The address a post just redirected to: its GET shows the page as the post left it.
    landing: str | None = None

    def csrf_matches(self, token: str | None) -> bool:
        """True when ``token`` is this session's CSRF token (constant-time compare)."""
        if token is None:
            return False
        return hmac.compare_digest(token.encode("utf-8"), self.csrf_token.encode("utf-8"))


class SessionStore:
    """The served portal's sessions, by id."""

    def __init__(
        self,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        if idle_seconds <= 0 or max_sessions < 1:
            raise ValueError("idle_seconds must be positive and max_sessions at least 1")
        self.idle_seconds = idle_seconds
        self.max_sessions = max_sessions
        self.timer = timer
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, WebSession] = OrderedDict()  # least recently used first

    def create(self, portal_session: Session) -> WebSession:
        """A new session for ``portal_session``, with a fresh id and CSRF token."""
        web = WebSession(portal_session)
        with self._lock:
            now = self.timer()
            self._forget_expired(now)
            while len(self._sessions) >= self.max_sessions:
                self._evict_one()
            web.last_used = now
            self._sessions[web.id] = web
        return web

    def get(self, session_id: str | None) -> WebSession | None:
        """The live session with this id, marked as used now; None when there is none
        (no id, never issued, rotated away, expired or forgotten)."""
        if not session_id or len(session_id) > _MAX_ID_LENGTH:
            return None
        with self._lock:
            now = self.timer()
            web = self._sessions.get(session_id)
            if web is None:
                return None
            if now - web.last_used >= self.idle_seconds:
                del self._sessions[session_id]
                return None
            web.last_used = now
            self._sessions.move_to_end(session_id)
            return web

    def rotate(self, web: WebSession) -> WebSession:
        """The same portal session under a new id and CSRF token; the old id is forgotten."""
        with self._lock:
            self._sessions.pop(web.id, None)
            fresh = WebSession(web.portal_session, last_used=self.timer())
            self._sessions[fresh.id] = fresh
            return fresh

    def discard(self, web: WebSession) -> None:
        """Forget a session (its id no longer works)."""
        with self._lock:
            self._sessions.pop(web.id, None)

    def clear(self) -> None:
        """Forget every session."""
        with self._lock:
            self._sessions.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _evict_one(self) -> None:
        """Forget the least recently used session that is not signed in (a flood of
        cookie-less requests must not sign producers out); only when every session is
        signed in, the least recently used one."""
        for key, web in self._sessions.items():
            if web.portal_session.account is None:
                del self._sessions[key]
                return
        self._sessions.popitem(last=False)

    def _forget_expired(self, now: float) -> None:
        # Least recently used first: stop at the first one still live.
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if now - oldest.last_used < self.idle_seconds:
                return
            self._sessions.popitem(last=False)
