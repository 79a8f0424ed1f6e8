"""The fake mailbox the portal's emails land in, and the transports that carry them.

Promises:

- Thread-safe: one lock guards every read and write, so any number of threads may
  deliver and read at once.
- Addresses are compared trimmed and case-insensitively (``" Jessica@Example.COM"``
  is ``"jessica@example.com"``); ``"Name <addr>"`` forms are accepted too.
- Each address has an ``inbox`` and a ``spam`` folder: the guide tells a producer who
  cannot find the email to check the spam or junk folder (USER-7).
- :meth:`Mailbox.deliver` files a message under each of its To addresses (or the
  envelope recipients given). A message whose Message-ID an address already holds is
  not filed there again and is counted in :attr:`Mailbox.duplicates_refused`;
  nothing else is ever dropped, and a message with no recipient is an error, not a
  silent loss.
- Reading never changes the mailbox; :meth:`Mailbox.describe` is a readable dump for
  test failure messages.
- A :class:`Transport` sends a message: :class:`MailboxTransport` files it directly,
  :class:`SmtpTransport` speaks real SMTP (e.g. to :class:`simulator.mail.smtp_sink.SmtpSink`).
"""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Protocol, runtime_checkable

from simulator.mail.messages import MissingEmailPart, body_of, email_kind
from specs.errors import RppError
from specs.model import PortalSpec

__all__ = [
    "FOLDERS",
    "Filed",
    "Mailbox",
    "MailboxTransport",
    "NoSuchMessage",
    "SmtpTransport",
    "Transport",
    "normalize_address",
]

FOLDERS = ("inbox", "spam")

SpamRule = Callable[[EmailMessage], bool]


class NoSuchMessage(RppError, LookupError):
    """The mailbox holds no message matching what was asked for (the dump says what it holds)."""


def normalize_address(address: str) -> str:
    """The key an address is filed under: its addr-spec, trimmed and lower-cased."""
    spec = parseaddr(address.strip())[1] or address
    return spec.strip().lower()


def _check_folder(name: str) -> str:
    if name not in FOLDERS:
        raise ValueError(f"no folder {name!r}: a mailbox has {' and '.join(FOLDERS)}")
    return name


@dataclass(frozen=True)
class Filed:
    """One message filed under one address, ``sequence`` counting deliveries from 1."""

    sequence: int
    address: str
    folder: str
    message: EmailMessage


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
        self._seen: set[tuple[str, str]] = set()  # (address, Message-ID)
        self._duplicates_refused = 0

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
        message_id = str(message.get("Message-ID", "")).strip()
        filed = 0
        with self._lock:
            for address in addresses:
                if message_id:
                    if (address, message_id) in self._seen:
                        self._duplicates_refused += 1
                        continue
                    self._seen.add((address, message_id))
                entry = Filed(len(self._filed) + 1, address, folder, message)
                self._filed.append(entry)
                self._by_address.setdefault(address, []).append(entry)
                filed += 1
        return filed

    # --- reading -----------------------------------------------------------------

    @property
    def duplicates_refused(self) -> int:
        """How many filings were refused because the address already held that Message-ID."""
        with self._lock:
            return self._duplicates_refused

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
                message = entry.message
                lines.append(
                    f"  #{entry.sequence} [{entry.folder}] To: {message.get('To', '')}"
                    f" | Subject: {message.get('Subject', '')}"
                )
                try:
                    text = [line for line in body_of(message).splitlines() if line.strip()]
                except MissingEmailPart:
                    text = ["(no plain text body)"]
                for line in text[:body_lines]:
                    lines.append(f"      {line[:110]}{'…' if len(line) > 110 else ''}")
        return "\n".join(lines)


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
