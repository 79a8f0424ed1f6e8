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
- A session unused for ``idle_seconds`` (real time, from ``timer``), or issued its id
  more than ``lifetime_seconds`` ago (absolute: use does not extend it; signing in
  issues a new id), is expired: :meth:`SessionStore.get` no longer finds it. At most
  ``max_sessions`` are kept; beyond that the least recently used session that is not
  signed in is forgotten (the least recently used of all only when every one is
  signed in), so requests can neither fill memory nor sign producers out. One client
  address holds at most ``max_per_client`` sessions that are not signed in: past
  that, its own least recently used one is forgotten, not another producer's.
- :class:`PreSessions`: a browser that has posted nothing holds no session. Its cookie
  is a pre-session id, signed with a key of this process (HMAC-SHA256), and its CSRF
  token is derived from that id with the key, so nothing is stored until its first
  post (which makes the session under that id).
- Thread-safe: one lock guards the store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.portal.session import Session

__all__ = [
    "DEFAULT_IDLE_SECONDS",
    "DEFAULT_LIFETIME_SECONDS",
    "DEFAULT_MAX_PER_CLIENT",
    "DEFAULT_MAX_SESSIONS",
    "PreSessions",
    "SessionStore",
    "WebSession",
]

DEFAULT_IDLE_SECONDS = 30 * 60.0
DEFAULT_LIFETIME_SECONDS = 8 * 60 * 60.0  # OWASP session management: 4-8 hours
DEFAULT_MAX_SESSIONS = 10_000
DEFAULT_MAX_PER_CLIENT = 100
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
    issued: float = 0.0  # when its id was issued (the absolute lifetime counts from it)
    client: str = ""  # the client address that made it (its share of pre-login sessions)
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
        lifetime_seconds: float = DEFAULT_LIFETIME_SECONDS,
        max_per_client: int = DEFAULT_MAX_PER_CLIENT,
    ) -> None:
        if idle_seconds <= 0 or lifetime_seconds <= 0 or min(max_sessions, max_per_client) < 1:
            raise ValueError(
                "idle_seconds and lifetime_seconds must be positive,"
                " max_sessions and max_per_client at least 1"
            )
        self.idle_seconds = idle_seconds
        self.lifetime_seconds = lifetime_seconds
        self.max_sessions = max_sessions
        self.max_per_client = max_per_client
        self.timer = timer
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, WebSession] = OrderedDict()  # least recently used first

    def create(
        self,
        portal_session: Session,
        *,
        session_id: str | None = None,
        csrf_token: str | None = None,
        client: str = "",
    ) -> WebSession:
        """A new session for ``portal_session`` made by ``client``, with a fresh id and
        CSRF token (or those of a pre-session)."""
        web = WebSession(portal_session, client=client)
        if session_id is not None and csrf_token is not None:
            web.id, web.csrf_token = session_id, csrf_token
        with self._lock:
            now = self.timer()
            self._forget_expired(now)
            mine = [k for k, w in self._sessions.items() if w.client == client and _pre_login(w)]
            if len(mine) >= self.max_per_client:
                del self._sessions[mine[0]]  # this client's least recently used
            while len(self._sessions) >= self.max_sessions:
                self._evict_one()
            web.last_used = web.issued = now
            self._sessions.pop(web.id, None)
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
            if self._expired(web, now):
                del self._sessions[session_id]
                return None
            web.last_used = now
            self._sessions.move_to_end(session_id)
            return web

    def rotate(self, web: WebSession) -> WebSession:
        """The same portal session under a new id and CSRF token; the old id is forgotten."""
        with self._lock:
            self._sessions.pop(web.id, None)
            now = self.timer()
            fresh = WebSession(web.portal_session, last_used=now, issued=now, client=web.client)
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
            if _pre_login(web):
                del self._sessions[key]
                return
        self._sessions.popitem(last=False)

    def _expired(self, web: WebSession, now: float) -> bool:
        return now - web.last_used >= self.idle_seconds or now - web.issued >= self.lifetime_seconds

    def _forget_expired(self, now: float) -> None:
        # Least recently used first: stop at the first one idle for less than the idle
        # time (one past its lifetime behind it is refused by get() when it comes).
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if not self._expired(oldest, now):
                return
            self._sessions.popitem(last=False)


def _pre_login(web: WebSession) -> bool:
    return web.portal_session.account is None


class PreSessions:
    """Pre-session ids and their CSRF tokens, derived with a key of this process: a
    browser that has posted nothing costs the server nothing."""

    _SEPARATOR = "."

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def _mac(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).decode("ascii").rstrip("=")

    def issue(self) -> str:
        """A new pre-session id (the cookie's value)."""
        nonce = _new_secret()
        return f"{nonce}{self._SEPARATOR}{self._mac('id', nonce)}"

    def csrf_token(self, session_id: str | None) -> str | None:
        """The CSRF token of a pre-session id this process issued; None for anything
        else (no id, another process's, forged, too long)."""
        if not session_id or len(session_id) > _MAX_ID_LENGTH:
            return None
        nonce, separator, mac = session_id.partition(self._SEPARATOR)
        if not separator or not hmac.compare_digest(mac, self._mac("id", nonce)):
            return None
        return self._mac("csrf", nonce)
