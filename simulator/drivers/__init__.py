"""The drivers: the protocol every journey and step uses to act on a portal
(``protocol``), and its in-process implementation (``in_process``). HTTP and browser
drivers implement the same protocol."""

__all__ = ["MAIL_POLL_SECONDS", "MAIL_WAIT"]

MAIL_WAIT = 5.0
"""Seconds a reader waits for mail it expects from a portal behind a URL (a portal may
send its mail after it shows the page); it costs nothing when the mail is there."""

MAIL_POLL_SECONDS = 0.05
"""Seconds between two reads of a mailbox still waiting for that mail."""
