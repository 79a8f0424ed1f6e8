"""A real SMTP server on 127.0.0.1 that files what it receives into a :class:`Mailbox`.

Promises:

- :class:`SmtpSink` runs an aiosmtpd ``Controller`` on a free port (found by binding
  port 0) in one background thread; ``with SmtpSink(mailbox) as sink:`` starts it and
  always stops it, joining that thread, so no thread or listening socket outlives
  the block.
- Each message (each ``DATA``) is parsed with ``email.policy.default`` into an
  :class:`~email.message.EmailMessage` and filed once for every ``RCPT TO`` of its
  envelope (Bcc included); the mailbox's own rules decide the folder and refuse a
  repeated Message-ID.
- Many client threads may send at once: the server handles each connection, and the
  mailbox is thread-safe.
"""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from simulator.mail.mailbox import Mailbox, SmtpTransport

__all__ = ["MailboxHandler", "SmtpSink", "free_port"]

_SERVER_HOSTNAME = "rpp-smtp-sink.localhost"  # given, so aiosmtpd does no FQDN lookup
_START_ATTEMPTS = 5  # a free port can be taken between finding and binding it


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that was free a moment ago (the OS's pick for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class MailboxHandler:
    """aiosmtpd handler: parses each DATA and files it for every envelope recipient."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.received = 0  # only touched on the server's event loop thread

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        if raw is None:
            content = envelope.content
            raw = content.encode("utf-8") if isinstance(content, str) else content
        if raw is None:
            return "554 Transaction failed: no message data"
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if not isinstance(message, EmailMessage):  # policy.default always makes one
            return "554 Transaction failed: message could not be parsed"
        try:
            self.mailbox.deliver(message, recipients=envelope.rcpt_tos)
        except ValueError as error:
            return f"550 Requested action not taken: {error}"
        self.received += 1
        return "250 Message accepted for delivery"


class SmtpSink:
    """A running SMTP server for ``mailbox`` on ``host`` (port chosen when started)."""

    def __init__(self, mailbox: Mailbox, host: str = "127.0.0.1", ready_timeout: float = 5.0):
        self.mailbox = mailbox
        self.host = host
        self.ready_timeout = ready_timeout
        self.handler = MailboxHandler(mailbox)
        self._controller: Controller | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The port the server listens on; ``RuntimeError`` when it is not running."""
        if self._port is None:
            raise RuntimeError("the SMTP sink is not running: start it or use `with SmtpSink(...)`")
        return self._port

    @property
    def running(self) -> bool:
        return self._controller is not None

    def transport(self, timeout: float = 10.0) -> SmtpTransport:
        """An :class:`SmtpTransport` that sends to this sink."""
        return SmtpTransport(self.host, self.port, timeout=timeout)

    def start(self) -> SmtpSink:
        """Start listening; retries on another port if the chosen one was taken meanwhile."""
        if self._controller is not None:
            raise RuntimeError(f"the SMTP sink is already running on {self.host}:{self._port}")
        last_error: Exception | None = None
        for _ in range(_START_ATTEMPTS):
            port = free_port(self.host)
            controller = Controller(
                self.handler,
                hostname=self.host,
                port=port,
                ready_timeout=self.ready_timeout,
                server_hostname=_SERVER_HOSTNAME,
            )
            try:
                controller.start()
            except OSError as error:  # the port was taken between probe and bind
                last_error = error
                _discard(controller)
                continue
            except BaseException:
                _discard(controller)
                raise
            self._controller, self._port = controller, port
            return self
        raise RuntimeError(
            f"could not start the SMTP sink on {self.host} after {_START_ATTEMPTS} ports"
        ) from last_error

    def stop(self) -> None:
        """Stop the server and join its thread (does nothing when not running)."""
        controller, self._controller, self._port = self._controller, None, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _discard(controller: Controller) -> None:
    """Clean up after a failed start: stop its thread and close its event loop."""
    if not controller.loop.is_closed():
        controller.stop(no_assert=True)
        if not controller.loop.is_running() and not controller.loop.is_closed():
            controller.loop.close()
