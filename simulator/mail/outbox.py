"""An outbox: the mail a served portal sends, sent once the portal's lock is released,
and kept and retried when the mail relay refuses it.

Promises:

- :class:`Outbox` is a :class:`~simulator.mail.mailbox.Transport`. Inside
  ``with outbox.collecting():`` a message given to :meth:`Outbox.send` is only
  collected (the portal calls ``send`` under its lock); when the block ends, after
  the caller has released that lock, the collected messages are sent in order through
  the real transport. Outside such a block ``send`` sends at once. So no SMTP
  conversation ever runs while the portal is locked.
- A message the transport refuses or cannot reach (``smtplib.SMTPException``,
  ``OSError``, anything it raises) is never dropped and never turns the producer's
  click into an error: it waits in the outbox (in order, behind any already waiting)
  and a background thread retries the oldest after 1, 2, 5, 10, 30 and then every 60
  seconds, until it goes or :meth:`Outbox.clear` / :meth:`Outbox.close`. Each failure
  and each recovery is logged.
- The outbox holds at most ``max_waiting`` messages: :attr:`Outbox.full` says so, and
  the served portal then answers 503 to a click *before* acting on it, so nothing is
  changed whose email could not be kept (decision: back-pressure rather than loss).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.message import EmailMessage

from simulator.mail.mailbox import Transport

__all__ = ["RETRY_SECONDS", "Outbox"]

RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # the last repeats

_log = logging.getLogger("rpp.outbox")


def _about(message: EmailMessage) -> str:
    return f"{message.get('Subject', '(no subject)')!s} to {message.get('To', '?')!s}"


class Outbox:
    """Sends through ``transport`` outside the portal's lock; keeps and retries what the
    transport refuses (see the module's promises)."""

    def __init__(
        self,
        transport: Transport,
        *,
        max_waiting: int = 1_000,
        retry_seconds: Sequence[float] = RETRY_SECONDS,
    ) -> None:
        if max_waiting < 1 or not retry_seconds or min(retry_seconds) <= 0:
            raise ValueError("max_waiting must be at least 1 and every retry delay positive")
        self.transport = transport
        self.max_waiting = max_waiting
        self.retry_seconds = tuple(retry_seconds)
        self._local = threading.local()
        self._waiting: deque[EmailMessage] = deque()
        self._changed = threading.Condition()
        self._closed = False
        self._retrier: threading.Thread | None = None

    # --- the Transport protocol -----------------------------------------------------

    def send(self, message: EmailMessage) -> None:
        collected: list[EmailMessage] | None = getattr(self._local, "collected", None)
        if collected is not None:
            collected.append(message)
        else:
            self._send_or_keep([message])

    @contextmanager
    def collecting(self) -> Iterator[None]:
        """Collect what is sent in this block (on this thread); send it when it ends."""
        if getattr(self._local, "collected", None) is not None:
            raise RuntimeError("Outbox.collecting() does not nest")
        collected: list[EmailMessage] = []
        self._local.collected = collected
        try:
            yield
        finally:
            self._local.collected = None
            self._send_or_keep(collected)

    # --- state ----------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """How many messages wait for the relay."""
        with self._changed:
            return len(self._waiting)

    @property
    def full(self) -> bool:
        """Whether the outbox holds ``max_waiting`` messages (clicks get 503)."""
        return self.waiting >= self.max_waiting

    def clear(self) -> int:
        """Forget the waiting messages (the portal started afresh); returns how many."""
        with self._changed:
            dropped = len(self._waiting)
            self._waiting.clear()
        if dropped:
            _log.warning("outbox cleared: %d waiting emails will not be sent", dropped)
        return dropped

    def close(self) -> None:
        """Stop retrying (joins the retry thread); what still waits is logged as unsent."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            retrier, self._retrier = self._retrier, None
        if retrier is not None:
            retrier.join()
        if self.waiting:
            _log.error("outbox closed with %d emails unsent", self.waiting)

    # --- sending --------------------------------------------------------------------

    def _send_or_keep(self, messages: list[EmailMessage]) -> None:
        if not messages:
            return
        with self._changed:
            behind = bool(self._waiting)
            if behind:  # keep the order: these go after those already waiting
                self._waiting.extend(messages)
                return
        for index, message in enumerate(messages):
            if not self._try(message):
                self._keep(messages[index:])
                return

    def _try(self, message: EmailMessage) -> bool:
        try:
            self.transport.send(message)
        except Exception as error:  # any failure of the relay: keep the message
            _log.warning("could not send %s: %r; kept for a retry", _about(message), error)
            return False
        return True

    def _keep(self, messages: list[EmailMessage]) -> None:
        with self._changed:
            self._waiting.extend(messages)
            if self._retrier is None and not self._closed:
                self._retrier = threading.Thread(
                    target=self._retry, name="rpp-outbox-retry", daemon=True
                )
                self._retrier.start()
            self._changed.notify_all()

    def _retry(self) -> None:
        attempt = 0
        while True:
            delay = self.retry_seconds[min(attempt, len(self.retry_seconds) - 1)]
            with self._changed:
                self._changed.wait_for(lambda: self._closed, timeout=delay)
                if self._closed:
                    return
            if self._drain():
                attempt = 0
                with self._changed:  # sleep until something waits again
                    self._changed.wait_for(lambda: self._closed or bool(self._waiting))
            else:
                attempt += 1

    def _drain(self) -> bool:
        """Send the waiting messages, oldest first; whether none is left."""
        while True:
            with self._changed:
                if self._closed:
                    return False
                if not self._waiting:
                    return True
                message = self._waiting[0]
            if not self._try(message):
                return False
            with self._changed:
                if self._waiting and self._waiting[0] is message:
                    self._waiting.popleft()
                left = len(self._waiting)
            _log.info("sent %s on a retry; %d still waiting", _about(message), left)
