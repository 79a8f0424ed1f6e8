"""HTTP/1.1 for the HTTP driver: the standard library's ``http.client`` over kept-alive
connections, with ``http.cookiejar`` for a browser's cookies.

Why not httpx here: a journey over HTTP is some 40 requests, and httpx spends about
0.5 ms of CPU on each (request and response models, URL parsing, cookies, h11), four
times what ``http.client`` does (`python -m benchmarks.http --part verify`).

Promises:

- :func:`send` sends one request and reads the whole answer (:class:`Answer`: status,
  headers, body, the URL answered). Connections are kept alive and shared by every
  caller in this process, per origin (scheme, host, port), one request at a time each:
  a journey's browsers and test API calls reuse them instead of connecting again. A
  connection idle for :data:`IDLE_SECONDS` or that the server closed is not reused.
- A request on a reused connection that the server closed before answering is sent
  once more on a new connection when it is a GET (idempotent); any other failure (no
  connection, a timeout, a broken answer) raises :class:`WireError` naming the
  method and URL.
- :class:`Browser` is one browser's cookie jar (``http.cookiejar``, so a cookie's path,
  expiry, deletion and Secure flag are honoured) over :func:`send`, following
  redirects (303 and a POST's 301/302 become a GET; 307/308 repeat the request) up to
  :data:`MAX_REDIRECTS`.
- TLS connections verify the server's certificate against ``ssl_context``.
"""

from __future__ import annotations

import functools
import http.client
import json as json_module
import os
import select
import ssl
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from specs.errors import RppError

__all__ = [
    "IDLE_SECONDS",
    "MAX_REDIRECTS",
    "Answer",
    "Browser",
    "WireClient",
    "WireError",
    "default_tls",
    "send",
]

IDLE_SECONDS = 5.0  # below any server's keep-alive (uvicorn here: 30 s), as httpx does
MAX_REDIRECTS = 20
_RETRIED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)

Origin = tuple[str, str, int]  # scheme, host, port


class WireError(RppError):
    """A request could not be sent or its answer not read."""


@dataclass(frozen=True)
class Answer:
    """A whole HTTP answer."""

    status: int
    headers: Message
    body: bytes
    url: str

    @property
    def text(self) -> str:
        charset = self.headers.get_content_charset() or "utf-8"
        return self.body.decode(charset, errors="replace")

    def json(self) -> Any:
        return json_module.loads(self.body)


class _Pool:
    """Idle kept-alive connections per origin, for this process (a forked worker starts
    with none: a socket shared with the parent would mix two conversations)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._idle: dict[Origin, list[tuple[float, http.client.HTTPConnection]]] = {}

    def take(self, origin: Origin) -> http.client.HTTPConnection | None:
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._idle = os.getpid(), {}
            idle = self._idle.get(origin, [])
            while idle:
                since, connection = idle.pop()
                if time.monotonic() - since < IDLE_SECONDS and _still_open(connection):
                    return connection
                connection.close()
            return None

    def give_back(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if self._pid == os.getpid():
                self._idle.setdefault(origin, []).append((time.monotonic(), connection))
                return
        connection.close()


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """An idle connection the server has not closed: nothing to read on it (a closed
    one reads as end of file at once)."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


_POOL = _Pool()


def send(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    ssl_context: ssl.SSLContext | None = None,
) -> Answer:
    """Send one request on a kept-alive connection and read the whole answer."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WireError(f"{method} {url}: not an http:// or https:// URL")
    secure = parts.scheme == "https"
    origin = (parts.scheme, parts.hostname, parts.port or (443 if secure else 80))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for attempt in (1, 2):
        connection = _POOL.take(origin)
        reused = connection is not None
        if connection is None:
            connection = _connect(origin, timeout, ssl_context)
        try:
            connection.request(method, target, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            content = response.read()
        except _RETRIED as error:
            connection.close()
            if reused and attempt == 1 and method == "GET":
                continue  # the server closed the idle connection as the request went out
            raise WireError(f"{method} {url}: {error or type(error).__name__}") from error
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise WireError(f"{method} {url}: {error or type(error).__name__}") from error
        if response.will_close:
            connection.close()
        else:
            _POOL.give_back(origin, connection)
        return Answer(response.status, response.msg, content, url)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


@functools.cache
def default_tls() -> ssl.SSLContext:
    """One TLS context for every connection: loading the CA bundle takes some 20 ms."""
    return ssl.create_default_context()


def _connect(
    origin: Origin, timeout: float, ssl_context: ssl.SSLContext | None
) -> http.client.HTTPConnection:
    scheme, host, port = origin
    if scheme == "https":
        return http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl_context or default_tls()
        )
    return http.client.HTTPConnection(host, port, timeout=timeout)


class Browser:
    """One browser at ``base_url``: its cookies, following redirects."""

    def __init__(
        self, base_url: str, timeout: float = 10.0, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.cookies = CookieJar()

    def request(
        self,
        method: str,
        path: str,
        *,
        form: Mapping[str, str] | None = None,
        json: object = None,
    ) -> Answer:
        """``method`` ``path`` (relative to the base URL) with a form or JSON body;
        the answer at the end of any redirects."""
        url = urljoin(self.base_url + "/", path.lstrip("/"))
        body: bytes | None = None
        kind: str | None = None
        if form is not None:
            body, kind = urlencode(form).encode("ascii"), "application/x-www-form-urlencoded"
        elif json is not None:
            body, kind = json_module.dumps(json).encode("utf-8"), "application/json"
        for _ in range(MAX_REDIRECTS + 1):
            headers = {"Content-Type": kind} if kind else {}
            asked = urllib.request.Request(url, method=method, headers=headers)
            self.cookies.add_cookie_header(asked)
            headers.update(asked.unredirected_hdrs)
            answer = send(
                method,
                url,
                body=body,
                headers=headers,
                timeout=self.timeout,
                ssl_context=self.ssl_context,
            )
            # extract_cookies reads only the response's info() (its headers).
            self.cookies.extract_cookies(_Headers(answer.headers), asked)  # type: ignore[arg-type]
            location = answer.headers.get("Location")
            if answer.status not in (301, 302, 303, 307, 308) or not location:
                return answer
            url = urljoin(url, location)
            if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
                method, body, kind = "GET", None, None
        raise WireError(f"{method} {url}: more than {MAX_REDIRECTS} redirects")


class _Headers:
    """What ``CookieJar.extract_cookies`` reads of a response: its headers."""

    def __init__(self, headers: Message) -> None:
        self._headers = headers

    def info(self) -> Message:
        return self._headers


class WireClient(httpx.Client):
    """An ``httpx.Client`` whose requests go out through :func:`send` (kept-alive
    ``http.client`` connections), for readers written against httpx, such as
    :class:`~simulator.mail.mailpit.MailpitReader`: the same answers, a quarter of the
    cost. It takes ``params``, ``content`` and ``json``, follows no redirects and keeps
    no cookies; a failure raises ``httpx.TransportError`` as httpx would."""

    def __init__(self, timeout: float = 10.0, ssl_context: ssl.SSLContext | None = None) -> None:
        # httpx would load the CA bundle for a client of its own: give it the shared one.
        super().__init__(timeout=timeout, verify=ssl_context or default_tls())
        self._wire_timeout = timeout
        self._ssl_context = ssl_context

    def request(  # type: ignore[override]
        self,
        method: str,
        url: httpx.URL | str,
        *,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        json: object = None,
        **ignored: Any,
    ) -> httpx.Response:
        if ignored:
            raise TypeError(f"WireClient.request takes no {', '.join(sorted(ignored))}")
        full = httpx.URL(str(url), params=params) if params else httpx.URL(str(url))
        headers: dict[str, str] = {}
        if json is not None:
            content = json_module.dumps(json).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            answer = send(
                method,
                str(full),
                body=content,
                headers=headers,
                timeout=self._wire_timeout,
                ssl_context=self._ssl_context,
            )
        except WireError as error:
            raise httpx.TransportError(str(error)) from error
        return httpx.Response(
            answer.status,
            headers=list(answer.headers.items()),
            content=answer.body,
            request=httpx.Request(method, full),
        )
