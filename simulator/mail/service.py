"""`rpp mailbox` as a library: a real SMTP sink and its Mailpit-shaped HTTP read API,
both filing into and reading from one :class:`~simulator.mail.mailbox.Mailbox`.

Promises:

- ``with MailboxService() as service:`` starts the aiosmtpd SMTP server
  (:class:`~simulator.mail.smtp_sink.SmtpSink`) and an HTTP server (the Starlette app
  of :func:`~simulator.mail.http_api.mailbox_app`, served by uvicorn in one background
  thread) on ``host``, and always stops both, joining their threads, so no thread or
  listening socket outlives the block. Port 0 means a free port; the real ports are
  readable once started (:attr:`smtp_port`, :attr:`http_url`).
- A port that cannot be listened on (in use, not permitted) raises
  :class:`CannotListen`, which names the address and the option to change, and leaves
  nothing running.
- The SMTP side refuses, never accepting to drop: an invalid ``RCPT TO`` (553), a
  message over ``max_message_bytes`` (552), any message once ``max_messages`` are held
  (452), and any message that would take the mail held past ``max_total_bytes`` (452).
  Memory is bounded by those limits: at most ``max_total_bytes`` of raw sources (each
  message is also kept parsed, so a few times that).
"""

from __future__ import annotations

import errno
from types import TracebackType

from simulator.asgi.hosts import trusted_hosts
from simulator.asgi.server import AsgiServer
from simulator.mail.command import DEFAULT_MAX_TOTAL_BYTES
from simulator.mail.http_api import SECURITY_HEADERS, mailbox_app
from simulator.mail.mailbox import Mailbox
from simulator.mail.smtp_sink import SmtpSink
from specs.errors import RppError

__all__ = ["CannotListen", "MailboxService"]


class CannotListen(RppError):
    """The service could not listen on a port it was given (e.g. another server has it)."""


def _reason(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return "the address is already in use (another server listens there)"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (ports below 1024 need privileges)"
    if error.errno == errno.EADDRNOTAVAIL:
        return "that host is not an address of this machine"
    return error.strerror or str(error)


class MailboxService:
    """An SMTP sink and its HTTP read API for one mailbox (a new one when not given).

    ``max_messages`` messages of up to ``max_message_bytes`` each, ``max_total_bytes`` in
    all, are held; more are refused over SMTP. Raises ``ValueError`` for limits or ports out of range.
    """

    def __init__(
        self,
        mailbox: Mailbox | None = None,
        host: str = "127.0.0.1",
        smtp_port: int = 0,
        http_port: int = 0,
        max_messages: int = 10_000,
        max_message_bytes: int = 1_048_576,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    ) -> None:
        for name, port in (("smtp_port", smtp_port), ("http_port", http_port)):
            if not 0 <= port <= 65535:
                raise ValueError(f"{name} must be 0 (a free port) to 65535, got {port}")
        if min(max_messages, max_message_bytes, max_total_bytes) < 1:
            raise ValueError(
                "max_messages, max_message_bytes and max_total_bytes must be at least 1,"
                f" got {max_messages}, {max_message_bytes} and {max_total_bytes}"
            )
        # Not `mailbox or ...`: an empty Mailbox is falsy (it has __len__).
        self._mailbox = mailbox if mailbox is not None else Mailbox()
        self.host = host
        self.requested_smtp_port = smtp_port
        self.requested_http_port = http_port
        self.max_messages = max_messages
        self.max_message_bytes = max_message_bytes
        self.max_total_bytes = max_total_bytes
        self._smtp: SmtpSink | None = None
        self._http: AsgiServer | None = None

    @property
    def mailbox(self) -> Mailbox:
        return self._mailbox

    @property
    def running(self) -> bool:
        return self._smtp is not None

    @property
    def smtp_host(self) -> str:
        return self.host

    @property
    def smtp_port(self) -> int:
        """The SMTP port; ``RuntimeError`` when the service is not running."""
        return self._running()[0].port

    @property
    def http_port(self) -> int:
        """The HTTP port; ``RuntimeError`` when the service is not running."""
        return self._running()[1].port

    @property
    def http_url(self) -> str:
        """The HTTP server's base URL, e.g. ``http://127.0.0.1:8025``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.http_port}"

    def _running(self) -> tuple[SmtpSink, AsgiServer]:
        if self._smtp is None or self._http is None:
            raise RuntimeError(
                "the mailbox service is not running: start it or use `with MailboxService()`"
            )
        return self._smtp, self._http

    def start(self) -> MailboxService:
        """Start both servers; :class:`CannotListen` (nothing left running) when a port
        cannot be listened on."""
        if self._smtp is not None:
            raise RuntimeError(f"the mailbox service is already running at {self.http_url}")
        smtp = SmtpSink(
            self._mailbox,
            self.host,
            port=self.requested_smtp_port,
            data_size_limit=self.max_message_bytes,
            max_messages=self.max_messages,
            max_bytes=self.max_total_bytes,
        )
        try:
            smtp.start()
        except OSError as error:
            raise CannotListen(
                f"cannot listen for SMTP on {self.host}:{self.requested_smtp_port}:"
                f" {_reason(error)}; choose another port with --smtp-port (0: any free port)"
            ) from error
        try:
            http = AsgiServer(
                mailbox_app(
                    self._mailbox,
                    trusted_hosts(self.host),
                    smtp_rejected=lambda: smtp.handler.rejected,
                ),
                self.host,
                self.requested_http_port,
                stop_timeout=5.0,
                security_headers=SECURITY_HEADERS,
            )
            try:
                http.start()
            except OSError as error:
                raise CannotListen(
                    f"cannot listen for HTTP on {self.host}:{self.requested_http_port}:"
                    f" {_reason(error)}; choose another port with --http-port (0: any free port)"
                ) from error
        except BaseException:
            smtp.stop()
            raise
        self._smtp, self._http = smtp, http
        return self

    def stop(self) -> None:
        """Stop both servers and join their threads (does nothing when not running)."""
        smtp, http = self._smtp, self._http
        self._smtp = self._http = None
        try:
            if http is not None:
                http.stop()
        finally:
            if smtp is not None:
                smtp.stop()

    def __enter__(self) -> MailboxService:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
