"""The unknown-name ledger: consecutive failed logins typed with a user name nobody
has, so that its screens follow a real account's (decision unknown-user-name).

It keeps keyed digests of what was typed, never the text itself (a password typed as
a user name must not be kept), and locks nothing.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from simulator.portal.clock import Clock
from simulator.portal.forms import normalize_identifier
from specs.model import Parameters

__all__ = ["UnknownNameLedger"]


class UnknownNameLedger:
    """Failure counts per typed unknown user name, keyed by an HMAC digest."""

    def __init__(self, parameters: Parameters, clock: Clock) -> None:
        self.parameters = parameters
        self.clock = clock
        # keyed digest of the typed name -> (consecutive failures, when it reached the threshold)
        self._failures: dict[bytes, tuple[int, dt.datetime | None]] = {}
        self._secret = secrets.token_bytes(32)

    def failures(self, user_name: str) -> int:
        """Consecutive failed logins typed with this unknown user name. Like a real
        account's lock, the count lapses once the auto-unlock time has passed, so the
        screens never tell a real name from an unknown one."""
        key = self._digest(user_name)
        count, locked_at = self._failures.get(key, (0, None))
        minutes = self.parameters.auto_unlock_after_minutes
        if (
            locked_at is not None
            and minutes is not None
            and self.clock.now() >= locked_at + dt.timedelta(minutes=minutes)
        ):
            del self._failures[key]
            return 0
        return count

    def count_failure(self, user_name: str) -> None:
        key = self._digest(user_name)
        count = self.failures(user_name) + 1
        _, locked_at = self._failures.get(key, (0, None))
        if count >= self.parameters.lockout_threshold and locked_at is None:
            locked_at = self.clock.now()
        self._failures[key] = (count, locked_at)

    def snapshot(self) -> dict[bytes, tuple[int, dt.datetime | None]]:
        return dict(self._failures)

    def restore(self, saved: dict[bytes, tuple[int, dt.datetime | None]]) -> None:
        self._failures = dict(saved)

    def _digest(self, user_name: str) -> bytes:
        # Keyed, so the ledger holds nothing a reader could turn back into what was typed.
        typed = normalize_identifier(user_name).encode("utf-8", "surrogatepass")
        return hmac.digest(self._secret, typed, "sha256")
