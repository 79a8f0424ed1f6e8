"""A mailbox as a portal that sends its mail a moment after it shows the page: the
tests of waiting for late mail (`rpp verify`'s and the features') use it."""

from __future__ import annotations

import time
from typing import Any

LATE_SECONDS = 0.2


class LateMailbox:
    """Wraps a mailbox: each message is listed only :data:`LATE_SECONDS` after it was
    first asked for."""

    def __init__(self, mailbox: Any) -> None:
        self._mailbox = mailbox
        self._first_asked: dict[int, float] = {}

    def _late(self, held: list[Any]) -> list[Any]:
        now = time.monotonic()
        for message in held:
            self._first_asked.setdefault(id(message), now)
        return [m for m in held if now - self._first_asked[id(m)] >= LATE_SECONDS]

    def messages(self, address: str) -> list[Any]:
        return self._late(self._mailbox.messages(address))

    def search(self, *args: Any, **kwargs: Any) -> list[Any]:
        return self._late(self._mailbox.search(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._mailbox, name)
