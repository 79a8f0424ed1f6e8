"""The fake mailbox the portal's emails land in, and the transports that carry them.

Promises:

- Thread-safe: one lock guards every read and write, so any number of threads may
  deliver and read at once.
- Addresses are compared trimmed and case-insensitively (``" Jessica@Example.COM"``
  is ``"jessica@example.com"``); ``"Name <addr>"`` forms are accepted too.
- Each address has an ``inbox`` and a ``spam`` folder: the guide tells a producer who
  cannot find the email to check the spam or junk folder (USER-7).
- :meth:`Mailbox.deliver` files a message under each of its To addresses (or the
  envelope recipients given). A message an address already holds (the same
  Message-ID and the same content: a sender's retry) is not filed there again and is
  counted in :attr:`Mailbox.duplicates_refused`; a repeated Message-ID with other
  content is filed (as Mailpit keeps it); nothing else is ever dropped, and a message with no recipient is an error, not a
  silent loss.
- Reading never changes the mailbox (only :meth:`Mailbox.mark_read` flags a message
  as read, for the HTTP inbox); :meth:`Mailbox.describe` is a readable dump for test
  failure messages.
- Each delivery that files at least one copy is a :class:`Delivery` with a stable ID
  (never reused, even after deletion) that names it in the HTTP read API
  (:mod:`simulator.mail.http_api`); :meth:`Mailbox.delete` and :meth:`Mailbox.clear`
  remove deliveries with every copy they filed, after which the same Message-ID may be
  filed again. :meth:`Mailbox.receive` files a message received over SMTP with its raw
  source, and refuses it with :class:`MailboxFull`, filing nothing, when the mailbox
  already holds its maximum number of deliveries or its raw sources would pass the
  maximum number of bytes.
- :meth:`Mailbox.move` files deliveries in the other folder with every copy they filed,
  as a provider's spam filter or a person moves mail (the HTTP API's ``spam`` tag). A
  moved delivery is a new :class:`Delivery` object (one held from before keeps its old
  folder); its ID, sequence and read flag stay.
- A :class:`Transport` sends a message: :class:`MailboxTransport` files it directly,
  :class:`SmtpTransport` speaks real SMTP (e.g. to :class:`simulator.mail.smtp_sink.SmtpSink`).
"""

from __future__ import annotations

import datetime as dt
import email.policy
import hashlib
import smtplib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Protocol, runtime_checkable

from simulator.mail.messages import MissingEmailPart, body_of, email_kind
from specs.errors import RppError
from specs.model import PortalSpec

__all__ = [
    "FOLDERS",
    "Delivery",
    "Filed",
    "Mailbox",
    "MailboxFull",
    "MailboxTransport",
    "NoSuchMessage",
    "SmtpTransport",
    "Transport",
    "describe_message",
    "normalize_address",
]

FOLDERS = ("inbox", "spam")

SpamRule = Callable[[EmailMessage], bool]


class NoSuchMessage(RppError, LookupError):
    """The mailbox holds no message matching what was asked for (the dump says what it holds)."""


class MailboxFull(RppError):
    """The mailbox holds its maximum number of deliveries: the message was not filed."""


def normalize_address(address: str) -> str:
    """The key an address is filed under: its addr-spec, trimmed and lower-cased."""
    spec = parseaddr(address.strip())[1] or address
    return spec.strip().lower()


def _digest(message: EmailMessage, raw: bytes | None) -> str:
    """What tells a sender's retry from another message under the same Message-ID: a
    digest of its raw source (or, without one, of the message as it serialises)."""
    if raw is None:
        try:
            raw = message.as_bytes()
        except Exception:  # a message that cannot serialise is told apart from every other
            return f"unserialisable-{id(message)}"
    return hashlib.sha256(raw).hexdigest()


def _message_id(message: EmailMessage) -> str:
    """The message's Message-ID, trimmed ("" when it has none); ``ValueError`` naming
    the header when it is malformed (the header parser raises e.g. IndexError on ``<>``)."""
    try:
        return str(message.get("Message-ID", "")).strip()
    except Exception:
        raise ValueError("the Message-ID header is malformed; correct it or leave it out") from None


def _check_folder(name: str) -> str:
    if name not in FOLDERS:
        raise ValueError(f"no folder {name!r}: a mailbox has {' and '.join(FOLDERS)}")
    return name


@dataclass(frozen=True)
class Filed:
    """One message filed under one address, ``sequence`` counting filings from 1;
    ``delivery`` is the ID of the :class:`Delivery` that filed it."""

    sequence: int
    address: str
    folder: str
    message: EmailMessage
    delivery: str = ""


# The raw source of a message that did not arrive over SMTP: RFC 5322 lines end in CRLF.
_WIRE_POLICY = email.policy.SMTP


@dataclass(frozen=True, eq=False)
class Delivery:
    """One message as it was delivered: filed under ``addresses`` (in delivery order) in
    ``folder``. ``id`` names it for good; ``sequence`` counts deliveries from 1;
    ``received_at`` and ``raw`` are known when it came over SMTP."""

    id: str
    sequence: int
    message: EmailMessage
    folder: str
    addresses: tuple[str, ...]
    received_at: dt.datetime | None = None
    raw: bytes | None = None

    def source(self) -> bytes:
        """The RFC 5322 source: as received, else the message serialized with CRLF lines."""
        if self.raw is not None:
            return self.raw
        return self.message.as_bytes(policy=_WIRE_POLICY)


class Mailbox:
    """Every address's inbox and spam folder. ``spam_for`` picks spam when no folder is
    given; ``portal`` is the spec whose email subjects ``kind=`` searches recognise
    (the shipped ``portal.yaml`` when not given)."""

    def __init__(self, spam_for: SpamRule | None = None, portal: PortalSpec | None = None) -> None:
        self._spam_for = spam_for
        self._portal = portal
        self._lock = threading.Lock()
        self._filed: list[Filed] = []
        self._by_address: dict[str, list[Filed]] = {}
        self._seen: set[tuple[str, str, str]] = set()  # (address, Message-ID, content digest)
        self._duplicates_refused = 0
        self._deliveries: dict[str, Delivery] = {}  # by ID, in delivery order
        self._read: set[str] = set()  # IDs of deliveries opened in the HTTP inbox
        self._filings = 0  # counters, never wound back: sequences and IDs are not reused
        self._delivery_count = 0
        self._held_bytes = 0  # the raw sources of the deliveries held
        self._accepted_bytes = 0  # counters of everything ever filed or deleted
        self._deleted = 0

    # --- writing -----------------------------------------------------------------

    def deliver(
        self,
        message: EmailMessage,
        folder: str | None = None,
        *,
        recipients: Iterable[str] | None = None,
    ) -> int:
        """File ``message`` for each recipient; returns how many copies were filed.

        ``recipients`` (e.g. SMTP ``RCPT TO``) default to the To addresses. ``folder``
        defaults to ``spam`` when ``spam_for(message)`` says so, else ``inbox``.
        Raises ``ValueError`` for an unknown folder or a message with no recipient.
        """
        delivery = self._file(message, folder, recipients)
        return 0 if delivery is None else len(delivery.addresses)

    def receive(
        self,
        message: EmailMessage,
        *,
        recipients: Iterable[str],
        raw: bytes | None = None,
        received_at: dt.datetime | None = None,
        max_messages: int | None = None,
        max_bytes: int | None = None,
    ) -> Delivery | None:
        """File a message received over SMTP (``recipients``: its ``RCPT TO``), keeping its
        ``raw`` source and when it was received, as :meth:`deliver` files any message.

        Returns the :class:`Delivery`, or ``None`` when every recipient already held it
        (its Message-ID with the same content). Raises :class:`MailboxFull`, filing nothing, when ``max_messages``
        deliveries are held or the raw sources held would pass ``max_bytes``;
        ``ValueError`` as :meth:`deliver` does.
        """
        return self._file(
            message,
            None,
            recipients,
            raw=raw,
            received_at=received_at,
            max_messages=max_messages,
            max_bytes=max_bytes,
        )

    def _file(
        self,
        message: EmailMessage,
        folder: str | None,
        recipients: Iterable[str] | None,
        *,
        raw: bytes | None = None,
        received_at: dt.datetime | None = None,
        max_messages: int | None = None,
        max_bytes: int | None = None,
    ) -> Delivery | None:
        if folder is None:
            # The rule is caller code: run it outside the lock.
            spam = self._spam_for is not None and self._spam_for(message)
            folder = "spam" if spam else "inbox"
        _check_folder(folder)
        if recipients is None:
            recipients = [spec for _, spec in getaddresses(message.get_all("To", []))]
        addresses = list(dict.fromkeys(normalize_address(r) for r in recipients if r.strip()))
        if not addresses:
            raise ValueError(
                f"cannot deliver email {str(message.get('Subject', '(no subject)'))!r}:"
                f" it has no recipient (To: {message.get('To')!r})"
            )
        message_id = _message_id(message)
        digest = _digest(message, raw) if message_id else ""
        with self._lock:
            new = [
                a for a in addresses if not message_id or (a, message_id, digest) not in self._seen
            ]
            if new and max_messages is not None and len(self._deliveries) >= max_messages:
                raise MailboxFull(
                    f"the mailbox holds its maximum of {max_messages} messages:"
                    " delete some to make room"
                )
            size = len(raw) if raw is not None else 0
            if new and max_bytes is not None and self._held_bytes + size > max_bytes:
                raise MailboxFull(
                    f"the mailbox holds {self._held_bytes:,} bytes of mail; this message"
                    f" ({size:,} bytes) would pass its maximum of {max_bytes:,}:"
                    " delete some to make room"
                )
            self._duplicates_refused += len(addresses) - len(new)
            if not new:
                return None
            self._delivery_count += 1
            delivery = Delivery(
                str(self._delivery_count),
                self._delivery_count,
                message,
                folder,
                tuple(new),
                received_at,
                raw,
            )
            self._deliveries[delivery.id] = delivery
            self._held_bytes += size
            self._accepted_bytes += size
            for address in new:
                if message_id:
                    self._seen.add((address, message_id, digest))
                self._filings += 1
                entry = Filed(self._filings, address, folder, message, delivery.id)
                self._filed.append(entry)
                self._by_address.setdefault(address, []).append(entry)
        return delivery

    def delete(self, ids: Iterable[str]) -> int:
        """Remove the deliveries ``ids`` name (unknown IDs are ignored) with every copy
        they filed; returns how many were removed. Their Message-IDs may be filed again."""
        with self._lock:
            gone = {i for i in ids if i in self._deliveries}
            if not gone:
                return 0
            self._deleted += len(gone)
            for delivery_id in gone:
                delivery = self._deliveries.pop(delivery_id)
                self._held_bytes -= len(delivery.raw) if delivery.raw is not None else 0
                self._read.discard(delivery_id)
                message_id = _message_id(delivery.message)
                if message_id:
                    digest = _digest(delivery.message, delivery.raw)
                    for address in delivery.addresses:
                        self._seen.discard((address, message_id, digest))
            self._filed = [entry for entry in self._filed if entry.delivery not in gone]
            for address in list(self._by_address):
                kept = [e for e in self._by_address[address] if e.delivery not in gone]
                if kept:
                    self._by_address[address] = kept
                else:
                    del self._by_address[address]
            return len(gone)

    def clear(self) -> int:
        """Remove every delivery; returns how many there were."""
        with self._lock:
            removed = len(self._deliveries)
            self._deleted += removed
            self._filed.clear()
            self._by_address.clear()
            self._seen.clear()
            self._deliveries.clear()
            self._read.clear()
            self._held_bytes = 0
            return removed

    def mark_read(self, delivery_id: str) -> None:
        """Flag a delivery as read (opened in the HTTP inbox); unknown IDs are ignored."""
        with self._lock:
            if delivery_id in self._deliveries:
                self._read.add(delivery_id)

    def move(self, ids: Iterable[str], folder: str) -> int:
        """File the deliveries ``ids`` name in ``folder`` (``inbox`` or ``spam``), every
        copy they filed with them; returns how many changed folder. Unknown IDs are
        ignored; ``ValueError`` for an unknown folder."""
        _check_folder(folder)
        with self._lock:
            moved = {
                i for i in ids if i in self._deliveries and self._deliveries[i].folder != folder
            }
            if not moved:
                return 0
            for delivery_id in moved:  # assigning an existing key keeps delivery order
                self._deliveries[delivery_id] = replace(
                    self._deliveries[delivery_id], folder=folder
                )
            refiled: dict[int, Filed] = {}
            for entry in self._filed:
                if entry.delivery in moved:
                    refiled[entry.sequence] = replace(entry, folder=folder)
            self._filed = [refiled.get(e.sequence, e) for e in self._filed]
            for address, entries in self._by_address.items():
                self._by_address[address] = [refiled.get(e.sequence, e) for e in entries]
            return len(moved)

    # --- reading -----------------------------------------------------------------

    @property
    def duplicates_refused(self) -> int:
        """How many filings were refused because the address already held that message
        (its Message-ID with the same content)."""
        with self._lock:
            return self._duplicates_refused

    def deliveries(self, address: str | None = None) -> list[Delivery]:
        """Every delivery (that filed a copy for ``address``, when given), oldest first."""
        with self._lock:
            if address is None:
                return list(self._deliveries.values())
            entries = self._by_address.get(normalize_address(address), [])
            return [self._deliveries[i] for i in dict.fromkeys(e.delivery for e in entries)]

    def delivery(self, delivery_id: str) -> Delivery:
        """The delivery ``delivery_id`` names; :class:`NoSuchMessage` when there is none."""
        with self._lock:
            found = self._deliveries.get(delivery_id)
        if found is None:
            raise NoSuchMessage(f"no message with ID {delivery_id!r} in the mailbox")
        return found

    def stats(self) -> dict[str, int]:
        """Counters since the mailbox was made: ``accepted`` deliveries and their raw
        ``accepted_bytes``, ``ignored`` filings of a message (Message-ID and content) the address already held,
        ``deleted`` deliveries; and the ``held`` deliveries and ``held_bytes`` now."""
        with self._lock:
            return {
                "accepted": self._delivery_count,
                "accepted_bytes": self._accepted_bytes,
                "ignored": self._duplicates_refused,
                "deleted": self._deleted,
                "held": len(self._deliveries),
                "held_bytes": self._held_bytes,
            }

    def held_bytes(self) -> int:
        """The bytes of the raw sources held (messages received over SMTP)."""
        with self._lock:
            return self._held_bytes

    def delivery_count(self) -> int:
        """How many deliveries are held (a message to three addresses is one delivery)."""
        with self._lock:
            return len(self._deliveries)

    def is_read(self, delivery_id: str) -> bool:
        """Whether the delivery was opened in the HTTP inbox (see :meth:`mark_read`)."""
        with self._lock:
            return delivery_id in self._read

    def unread_count(self) -> int:
        """How many deliveries were never opened in the HTTP inbox."""
        with self._lock:
            return len(self._deliveries) - len(self._read)

    def addresses(self) -> list[str]:
        """Every address holding mail, in order of first delivery."""
        with self._lock:
            return list(self._by_address)

    def filed(self, address: str | None = None) -> list[Filed]:
        """Every filing (of ``address``, or all), in delivery order."""
        with self._lock:
            if address is None:
                return list(self._filed)
            return list(self._by_address.get(normalize_address(address), []))

    def folder(self, address: str, name: str) -> list[EmailMessage]:
        """The messages in one folder (``inbox`` or ``spam``) of ``address``, oldest first."""
        _check_folder(name)
        return [entry.message for entry in self.filed(address) if entry.folder == name]

    def messages(self, address: str) -> list[EmailMessage]:
        """Every message of ``address``, both folders, in delivery order."""
        return [entry.message for entry in self.filed(address)]

    def search(
        self, to: str | None = None, subject: str | None = None, kind: str | None = None
    ) -> list[EmailMessage]:
        """Messages matching every criterion given, each once, in delivery order.

        ``to`` is an address (any case), ``subject`` the exact Subject, ``kind`` the
        template key of ``portal.yaml``'s emails, recognised by the Subject.
        """
        found: list[EmailMessage] = []
        seen: set[int] = set()
        for entry in self.filed(to):
            message = entry.message
            if id(message) in seen:
                continue
            if subject is not None and str(message.get("Subject", "")) != subject:
                continue
            if kind is not None and not self._is_kind(message, kind):
                continue
            seen.add(id(message))
            found.append(message)
        return found

    def _is_kind(self, message: EmailMessage, kind: str) -> bool:
        try:
            return email_kind(message, self._portal) == kind
        except MissingEmailPart:
            return False

    def latest(self, address: str, kind: str | None = None) -> EmailMessage:
        """The newest message of ``address`` (either folder), of ``kind`` if given.

        Raises :class:`NoSuchMessage` with the mailbox's contents when there is none.
        """
        found = self.search(to=address, kind=kind)
        if not found:
            what = f"{kind!r} email" if kind is not None else "email"
            raise NoSuchMessage(f"no {what} for {normalize_address(address)}\n{self.describe()}")
        return found[-1]

    def count(self, address: str | None = None, folder: str | None = None) -> int:
        """How many messages are filed (for ``address``, in ``folder``, when given)."""
        if folder is not None:
            _check_folder(folder)
        key = normalize_address(address) if address is not None else None
        with self._lock:
            entries = self._filed if key is None else self._by_address.get(key, [])
            if folder is None:
                return len(entries)
            return sum(1 for entry in entries if entry.folder == folder)

    def __len__(self) -> int:
        return self.count()

    def describe(self, address: str | None = None, body_lines: int = 3) -> str:
        """A readable dump: per address, each message's folder, To, Subject and first lines."""
        entries = self.filed(address)
        refused = self.duplicates_refused
        who = f" for {normalize_address(address)}" if address is not None else ""
        if not entries:
            holders = ", ".join(self.addresses()) or "nobody"
            return f"mailbox{who}: empty (mail is held for: {holders})"
        lines = [f"mailbox{who}: {len(entries)} message(s), {refused} duplicate(s) refused"]
        by_address: dict[str, list[Filed]] = {}
        for entry in entries:
            by_address.setdefault(entry.address, []).append(entry)
        for holder, held in by_address.items():
            lines.append(f"{holder}:")
            for entry in held:
                lines += describe_message(
                    entry.message, f"#{entry.sequence}", entry.folder, body_lines
                )
        return "\n".join(lines)


def describe_message(message: EmailMessage, label: str, folder: str, body_lines: int) -> list[str]:
    """A message as failure messages show it: its label, folder, To and Subject, and
    the first ``body_lines`` non-blank lines of its text."""
    lines = [
        f"  {label} [{folder}] To: {message.get('To', '')} | Subject: {message.get('Subject', '')}"
    ]
    try:
        text = [line for line in body_of(message).splitlines() if line.strip()]
    except MissingEmailPart:
        text = ["(no plain text body)"]
    lines += [f"      {line[:110]}{'…' if len(line) > 110 else ''}" for line in text[:body_lines]]
    return lines


@runtime_checkable
class Transport(Protocol):
    """Something that sends an email on its way."""

    def send(self, message: EmailMessage) -> None: ...


class MailboxTransport:
    """Files each message straight into a :class:`Mailbox` (no network)."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    def send(self, message: EmailMessage) -> None:
        self.mailbox.deliver(message)


class SmtpTransport:
    """Sends each message over real SMTP (one connection per message, so thread-safe).

    Raises ``smtplib.SMTPException`` (or ``OSError``) when the server refuses any
    recipient or cannot be reached: a message is never dropped silently.
    """

    def __init__(
        self, host: str, port: int, timeout: float = 10.0, local_hostname: str = "localhost"
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        # Given, so smtplib does not look up this machine's FQDN (slow without DNS).
        self.local_hostname = local_hostname

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(
            self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
        ) as smtp:
            refused = smtp.send_message(message)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
