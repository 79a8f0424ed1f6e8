"""An outbox: the mail a served portal sends, queued in the order the portal made it,
sent once the portal's lock is released, and kept and retried while the mail relay
is unreachable or refuses it for now.

Promises:

- :class:`Outbox` is a :class:`~simulator.mail.mailbox.Transport`. :meth:`Outbox.send`
  only queues the message (the portal calls it under its lock, so the queue holds the
  emails in the order of the clicks that made them). Inside ``with
  outbox.collecting():`` the queue is sent when the block ends (after the caller has
  released the portal's lock); outside such a block ``send`` sends at once. One
  thread sends at a time, oldest first, so emails leave in the order they were made
  and no SMTP conversation runs while the portal is locked. When ``collecting()``
  ends, this thread's emails have been handed to the relay or are waiting in the
  outbox; ``collecting(send=False)`` leaves them queued until :meth:`Outbox.flush`
  (the served portal answers first and sends after, so the time of its answer does
  not tell whether an email was made).
- :meth:`Outbox.forget_collected` takes back what the current ``collecting()`` block
  of this thread queued and has not sent (a click that failed half-way sends nothing).
- A temporary failure (the relay unreachable, a 4xx reply, anything else it raises)
  never drops a message and never turns the producer's click into an error: it waits
  (with everything behind it) and a background thread retries the oldest after 1, 2,
  5, 10, 30 and then every 60 seconds. A permanent refusal (a 5xx reply for the
  message, or for every recipient) cannot succeed on a retry: the message is logged as
  undeliverable, counted in :attr:`Outbox.undeliverable`, and the rest go on, as a
  mail server bounces one message and delivers the others.
- :attr:`Outbox.full` says when ``max_waiting`` messages wait; the served portal then
  answers 503 to a click *before* acting on it (back-pressure rather than loss). The
  bound is checked before a click, so concurrent clicks may take it a few over.
- :meth:`Outbox.clear` forgets the waiting mail (the portal started afresh): what was
  queued before it is never sent afterwards. :meth:`Outbox.close` stops the retries;
  what still waits then is logged as unsent.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.message import EmailMessage

from simulator.mail.mailbox import Transport

__all__ = ["RETRY_SECONDS", "Outbox", "is_permanent"]

RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # the last repeats

_log = logging.getLogger("rpp.outbox")


def _about(message: EmailMessage) -> str:
    return f"{message.get('Subject', '(no subject)')!s} to {message.get('To', '?')!s}"


def is_permanent(error: BaseException) -> bool:
    """Whether a relay's refusal is final (5xx for the message or every recipient)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


class Outbox:
    """Queues what the portal sends; sends it outside the portal's lock, in order, and
    retries what the relay refuses for now (see the module's promises)."""

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
        self.undeliverable = 0
        self._local = threading.local()
        self._queue: deque[tuple[int, EmailMessage]] = deque()  # (generation, message)
        self._generation = 0
        self._stuck = False  # the oldest message failed for now: wait for the retrier
        self._changed = threading.Condition()
        self._sending = threading.Lock()  # one sender at a time, oldest first
        self._closed = False
        self._retrier: threading.Thread | None = None

    # --- the Transport protocol -----------------------------------------------------

    def send(self, message: EmailMessage) -> None:
        with self._changed:
            self._queue.append((self._generation, message))
        if not getattr(self._local, "collecting", False):
            self._flush()
        else:
            self._local.collected.append(message)

    def forget_collected(self) -> int:
        """Take back what this thread queued in its current ``collecting()`` block (the
        click that made it failed half-way); returns how many are no longer sent."""
        collected = getattr(self._local, "collected", [])
        with self._changed:
            kept = [(g, m) for g, m in self._queue if not any(m is c for c in collected)]
            dropped = len(self._queue) - len(kept)
            self._queue = deque(kept)
        collected.clear()
        return dropped

    @contextmanager
    def collecting(self, *, send: bool = True) -> Iterator[None]:
        """Queue what is sent in this block (on this thread); send it when it ends, or,
        with ``send=False``, leave it queued for the caller's :meth:`flush`."""
        if getattr(self._local, "collecting", False):
            raise RuntimeError("Outbox.collecting() does not nest")
        self._local.collecting = True
        self._local.collected = []
        try:
            yield
        finally:
            self._local.collecting = False
            if send:
                self._flush()

    def flush(self) -> None:
        """Send what waits now, oldest first (unless the oldest waits for a retry)."""
        self._flush()

    # --- state ----------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """How many messages wait to be sent."""
        with self._changed:
            return len(self._queue)

    @property
    def full(self) -> bool:
        """Whether ``max_waiting`` messages wait (clicks get 503)."""
        return self.waiting >= self.max_waiting

    def clear(self) -> int:
        """Forget the waiting messages (the portal started afresh); returns how many."""
        with self._changed:
            dropped = len(self._queue)
            self._queue.clear()
            self._generation += 1
            self._stuck = False
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

    def _flush(self) -> None:
        """Send what waits, oldest first, unless the oldest is waiting for a retry."""
        with self._changed:
            if self._stuck or not self._queue:
                return
        self._drain()

    def _drain(self) -> bool:
        """Send the queue in order until it is empty (True) or the relay fails for now."""
        with self._sending:
            while True:
                with self._changed:
                    if not self._queue:
                        self._stuck = False
                        return True
                    message = self._queue[0][1]
                try:
                    self.transport.send(message)
                except Exception as error:  # any failure of the relay
                    if not is_permanent(error):
                        _log.warning(
                            "could not send %s: %r; kept for a retry", _about(message), error
                        )
                        self._wait_for_retry()
                        return False
                    _log.error("undeliverable, not retried: %s: %r", _about(message), error)
                    with self._changed:
                        self.undeliverable += 1
                with self._changed:
                    if self._queue and self._queue[0][1] is message:
                        self._queue.popleft()

    def _wait_for_retry(self) -> None:
        with self._changed:
            self._stuck = True
            if self._closed:
                _log.error("outbox closed: %d emails unsent", len(self._queue))
                return
            if self._retrier is None:
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
                if not self._stuck:  # sent meanwhile, or cleared
                    attempt = 0
                    self._changed.wait_for(lambda: self._closed or self._stuck)
                    continue
            attempt = 0 if self._drain() else attempt + 1
