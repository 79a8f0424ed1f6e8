"""A real SMTP server on 127.0.0.1 that files what it receives into a :class:`Mailbox`.

Promises:

- :class:`SmtpSink` runs an aiosmtpd ``Controller`` on a free port (found by binding
  port 0) or the port given, in one background thread; ``with SmtpSink(mailbox) as
  sink:`` starts it and always stops it, joining that thread, so no thread or
  listening socket outlives the block.
- Each message (each ``DATA``) is parsed with ``email.policy.default`` into an
  :class:`~email.message.EmailMessage` and filed once for every ``RCPT TO`` of its
  envelope (Bcc included), with its raw source and the time it was received; the
  mailbox's own rules decide the folder. A message the mailbox already holds (the
  same Message-ID and content: a sender's retry) is answered 250 and not filed again;
  a repeated Message-ID with other content is filed.
- Nothing is answered 250 and then lost. A ``RCPT TO`` that is not a syntactically
  valid address gets 553, the 101st recipient of a message 452; a message over
  ``data_size_limit`` bytes gets 552 (at ``MAIL FROM ... SIZE=`` or after ``DATA``);
  when the mailbox holds ``max_messages`` deliveries, ``RCPT TO`` and ``DATA`` get
  452 (insufficient storage), and so does a ``DATA`` that would take the raw sources
  held past ``max_bytes``; a line over 1,000 characters gets 500 and is not kept, and
  once one line passes ``data_size_limit`` bytes the client gets 552 (500 for a
  command line) and is disconnected (:class:`BoundedSMTP`); a message that cannot be parsed gets 554, one the
  mailbox cannot file 451 or 550. Memory is bounded by those limits.
- Many client threads may send at once: the server handles each connection, and the
  mailbox is thread-safe.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import re
import socket
from email.message import EmailMessage
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import DATA_SIZE_DEFAULT, SMTP, Envelope, Session

from simulator.mail.mailbox import Mailbox, MailboxFull, SmtpTransport

__all__ = ["MAX_RECIPIENTS", "MailboxHandler", "SmtpSink", "free_port", "is_valid_address"]

_SERVER_HOSTNAME = "rpp-smtp-sink.localhost"  # given, so aiosmtpd does no FQDN lookup
_START_ATTEMPTS = 5  # a free port can be taken between finding and binding it
MAX_RECIPIENTS = 100  # RFC 5321 4.5.3.1.8: a server must take at least 100; more get 452

# RFC 5321 4.1.2 Mailbox as dot-atoms; quoted local parts and address literals are
# refused (no portal sends to them); non-ASCII is allowed (RFC 6531, SMTPUTF8).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+"
_LABEL = r"[A-Za-z0-9\u0080-\U0010ffff](?:[A-Za-z0-9\u0080-\U0010ffff-]{0,61}[A-Za-z0-9\u0080-\U0010ffff])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")


def is_valid_address(address: str) -> bool:
    """Whether ``address`` is a syntactically valid ``local@domain`` mailbox (RFC 5321
    lengths: 64 for the local part, 254 in all)."""
    if len(address) > 254 or not address.isprintable() or not _ADDRESS.fullmatch(address):
        return False
    return len(address.rpartition("@")[0]) <= 64


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that was free a moment ago (the OS's pick for port 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _said(error: Exception) -> str:
    """An error as one short ASCII line, fit for an SMTP reply."""
    text = " ".join(str(error).split())[:200] or type(error).__name__
    return text.encode("ascii", "replace").decode("ascii")


_FILED_BY = ("To", "From", "Subject", "Message-ID", "Date")
"""The headers the mailbox reads to file a message."""


def _malformed_header(message: email.message.Message) -> str | None:
    """Which header the mailbox files by cannot be parsed, and its text, else None.

    Header values parse lazily (``email.policy.default``), so each is read here: a
    malformed one (``Message-ID: <>``) is the client's mistake, answered 554 naming it.
    """
    for header in _FILED_BY:
        try:
            message.get_all(header)
        except Exception:  # the header parser raises what its grammar hits (IndexError, ...)
            value = next(
                (str(v) for k, v in message.raw_items() if k.lower() == header.lower()), ""
            )
            shown = _said(ValueError(value.strip())) if value.strip() else "empty"
            return f"the {header} header is malformed ({shown}); correct it or leave it out"
    return None


class MailboxHandler:
    """aiosmtpd handler: checks each ``RCPT TO``, parses each DATA and files it for every
    envelope recipient; refuses (4xx/5xx) what it cannot keep, never accepting to drop.
    ``max_messages`` bounds the deliveries the mailbox may hold and ``max_bytes`` their
    raw sources' total size (``None``: no bound)."""

    def __init__(
        self, mailbox: Mailbox, max_messages: int | None = None, max_bytes: int | None = None
    ) -> None:
        self.mailbox = mailbox
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        # Only touched on the server's event loop thread:
        self.received = 0
        self.rejected = 0  # RCPT TO and DATA refused (4xx/5xx)

    def _full(self) -> bool:
        limit = self.max_messages
        return limit is not None and self.mailbox.delivery_count() >= limit

    def _counted(self, reply: str) -> str:
        if not reply.startswith("2"):
            self.rejected += 1
        return reply

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        return self._counted(self._rcpt(envelope, address, rcpt_options))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self._counted(self._data(envelope))

    def _rcpt(self, envelope: Envelope, address: str, rcpt_options: list[str]) -> str:
        if not is_valid_address(address):
            return "553 5.1.3 Error: not a valid mailbox address (expected local@domain)"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return f"452 4.5.3 Too many recipients (at most {MAX_RECIPIENTS} per message)"
        if self._full():
            return "452 4.3.1 Insufficient system storage: the mailbox is full"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    def _data(self, envelope: Envelope) -> str:
        raw = envelope.original_content
        if raw is None:
            content = envelope.content
            raw = content.encode("utf-8") if isinstance(content, str) else content
        if raw is None:
            return "554 5.6.0 Transaction failed: no message data"
        try:
            message = email.message_from_bytes(raw, policy=email.policy.default)
        except Exception as error:  # any parse failure is the client's message
            return f"554 5.6.0 Transaction failed: message could not be parsed ({_said(error)})"
        malformed = _malformed_header(message)
        if malformed is not None:
            return f"554 5.6.0 Transaction failed: {malformed}"
        if not isinstance(message, EmailMessage):  # policy.default always makes one
            return "554 5.6.0 Transaction failed: message could not be parsed"
        try:
            self.mailbox.receive(
                message,
                recipients=envelope.rcpt_tos,
                raw=raw,
                received_at=dt.datetime.now(dt.UTC),
                max_messages=self.max_messages,
                max_bytes=self.max_bytes,
            )
        except MailboxFull:
            return "452 4.3.1 Insufficient system storage: the mailbox is full"
        except ValueError as error:
            return f"550 5.1.0 Requested action not taken: {_said(error)}"
        except Exception as error:  # the mailbox's rules are caller code: say, never drop
            return f"451 4.3.0 Requested action aborted: local error in processing ({_said(error)})"
        self.received += 1
        return "250 Message accepted for delivery"


class BoundedSMTP(SMTP):
    """aiosmtpd's SMTP session, with an over-long line bounded: aiosmtpd drains a line
    past its 1,001 characters but keeps what it drains of a DATA line until the line
    ends (a 100 MB line held 100 MB). Here what is drained is dropped, and once one
    line passes ``data_size_limit`` bytes the client is answered 552 (or 500 for a
    command line) and disconnected."""

    def _cb_client_connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        super()._cb_client_connected(reader, writer)
        read, readuntil = reader.read, reader.readuntil
        over = 0  # bytes drained of the current over-long line

        async def drain(n: int = -1) -> bytes:
            # aiosmtpd reads only to drain an over-long line: count it and drop it.
            nonlocal over
            over += len(await read(n))
            limit = self.data_size_limit or DATA_SIZE_DEFAULT
            if over > limit:
                reply = (
                    "552 5.3.4 Error: too much mail data"
                    if self._in_data
                    else "500 Command line too long"
                )
                await self.push(f"{reply}; closing the connection")
                writer.close()
            return b""

        async def line(separator: bytes = b"\n") -> bytes:
            nonlocal over
            found = await readuntil(separator)
            over = 0
            return found

        reader.read = drain  # type: ignore[method-assign]
        reader.readuntil = line  # type: ignore[method-assign,assignment]

    _in_data = False

    async def smtp_DATA(self, arg: str) -> None:
        self._in_data = True
        try:
            await super().smtp_DATA(arg)
        finally:
            self._in_data = False


class _BoundedController(Controller):
    def factory(self) -> SMTP:
        return BoundedSMTP(self.handler, **self.SMTP_kwargs)


class SmtpSink:
    """A running SMTP server for ``mailbox`` on ``host``: on ``port``, or a free port
    chosen when started when ``port`` is 0. Messages over ``data_size_limit`` bytes are
    refused (552); ``max_messages`` bounds the deliveries the mailbox may hold and
    ``max_bytes`` the bytes of their raw sources (452)."""

    def __init__(
        self,
        mailbox: Mailbox,
        host: str = "127.0.0.1",
        ready_timeout: float = 5.0,
        *,
        port: int = 0,
        data_size_limit: int = DATA_SIZE_DEFAULT,
        max_messages: int | None = None,
        max_bytes: int | None = None,
    ):
        self.mailbox = mailbox
        self.host = host
        self.ready_timeout = ready_timeout
        self.requested_port = port
        self.data_size_limit = data_size_limit
        self.handler = MailboxHandler(mailbox, max_messages=max_messages, max_bytes=max_bytes)
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
        """Start listening. On a free port, retries on another if the chosen one was taken
        meanwhile; on a given port, raises the ``OSError`` (e.g. address in use)."""
        if self._controller is not None:
            raise RuntimeError(f"the SMTP sink is already running on {self.host}:{self._port}")
        last_error: Exception | None = None
        for _ in range(_START_ATTEMPTS if self.requested_port == 0 else 1):
            port = self.requested_port or free_port(self.host)
            try:
                _probe(self.host, port)
            except OSError as error:
                last_error = error
                if self.requested_port:
                    raise
                continue
            controller = _BoundedController(
                self.handler,
                hostname=self.host,
                port=port,
                ready_timeout=self.ready_timeout,
                server_hostname=_SERVER_HOSTNAME,
                data_size_limit=self.data_size_limit,
            )
            try:
                controller.start()
            except OSError as error:  # the port was taken between probe and bind
                last_error = error
                _discard(controller)
                if self.requested_port:
                    raise
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


def _probe(host: str, port: int) -> None:
    """Raise the ``OSError`` binding ``host:port`` would raise now: aiosmtpd only reports
    a failed bind after its whole ``ready_timeout``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio binds
        probe.bind((host, port))


def _discard(controller: Controller) -> None:
    """Clean up after a failed start: stop its thread and close its event loop."""
    if not controller.loop.is_closed():
        controller.stop(no_assert=True)
        if not controller.loop.is_running() and not controller.loop.is_closed():
            controller.loop.close()
