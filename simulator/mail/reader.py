"""What a tester reads mail with: a small protocol, so the journeys, `rpp verify` and
the step definitions read the in-process :class:`~simulator.mail.mailbox.Mailbox`, an
SMTP sink's, or a team's real Mailpit over HTTP in the same way.

A reader only reads: the portal under test sends, the tester looks. Emails are told
apart by their Subject (:func:`simulator.mail.messages.email_kind`), never by a header
only one portal sends.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol, runtime_checkable

__all__ = ["MailReader"]


@runtime_checkable
class MailReader(Protocol):
    """The mail a producer can read, per address, in delivery order."""

    def messages(self, address: str) -> list[EmailMessage]:
        """Every message of ``address`` (inbox and spam), oldest first."""
        ...

    def search(
        self, to: str | None = None, subject: str | None = None, kind: str | None = None
    ) -> list[EmailMessage]:
        """Messages matching every criterion given (``kind``: a template key of
        ``portal.yaml``'s emails, recognised by the Subject), oldest first."""
        ...

    def folder(self, address: str, name: str) -> list[EmailMessage]:
        """The messages of ``address`` in the folder ``name`` (``inbox`` or ``spam``)."""
        ...

    def describe(self, address: str | None = None, body_lines: int = 3) -> str:
        """A readable dump for failure messages."""
        ...
