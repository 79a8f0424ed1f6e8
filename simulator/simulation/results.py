"""What one shard of a simulation hands back, and how shards add up.

Both the compiled engine and the reference on the real machines fill a
:class:`ShardResult` with the same named counters, per-minute timeline, calls per
category and lock-out durations, so their results can be compared field for field
and any number of shards merged into one (sums, and durations sorted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ARRIVE",
    "ATTACK",
    "CALL",
    "CALL_REASONS",
    "CHANGE_PASSWORD",
    "CHECK_INBOX",
    "CHECK_SPAM",
    "CHOICES",
    "COUNTERS",
    "DELIVER",
    "EVENT_KINDS",
    "LOGIN",
    "MAIL_KINDS",
    "METRICS",
    "REACT",
    "RESET_REQUEST",
    "USERNAME_REQUEST",
    "Merger",
    "ShardResult",
    "merge",
]

# Event kinds of the simulation (the engine's and the reference's, with these numbers).
ARRIVE = 1
LOGIN = 2
REACT = 3
USERNAME_REQUEST = 4
RESET_REQUEST = 5
CHECK_INBOX = 6
CHECK_SPAM = 7
CALL = 8
CHANGE_PASSWORD = 9
ATTACK = 10
DELIVER = 11
EVENT_KINDS = {
    ARRIVE: "arrive",
    LOGIN: "log_in",
    REACT: "react_to_lockout",
    USERNAME_REQUEST: "submit_forgot_user_name",
    RESET_REQUEST: "submit_reset_password",
    CHECK_INBOX: "check_inbox",
    CHECK_SPAM: "check_spam",
    CALL: "call_producer_services",
    CHANGE_PASSWORD: "change_password",
    ATTACK: "attack_attempt",
    DELIVER: "deliver_email",
}

MAIL_KINDS = ("username", "password_reset")

_OUTCOMES = ("yes", "no")
_WAYS_OUT = ("reset", "recover_user_name_first", "call_producer_services", "give_up")
CHOICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("visit_day", ("visit", "stay_away")),
    ("visit_hour", tuple(f"{hour:02d}" for hour in range(24))),
    ("forgot_password", _OUTCOMES),
    ("forgot_user_name", _OUTCOMES),
    ("proactive_reset", _OUTCOMES),
    ("mistype", _OUTCOMES),
    ("after_lockout", _WAYS_OUT),
    ("after_lockout_fallback", _WAYS_OUT),
    ("email_lost", _OUTCOMES),
    ("email_spam", _OUTCOMES),
    ("attack_target", _OUTCOMES),
)
"""Every choice point of a load scenario and its options, in draw order: each choice a
producer, the mail or the attacker makes is tallied as ``chose_<point>_<option>``
(the fallback is the way out taken after giving up as often as the scenario allows),
so a test can hold the frequencies to the scenario's weights."""
CALL_REASONS = ("locked_out", "no_email")

COUNTERS = (
    "visits",
    "visits_signed_in",
    "visits_stopped",
    "login_attempts",
    "logins_succeeded",
    "logins_with_temporary_password",
    "login_failures",
    "logins_refused_locked",
    "lockouts_by_producer",
    "lockouts_by_attack",
    "unlocks_by_reset",
    "unlocks_by_auto_unlock",
    "username_recoveries",
    "resets_requested",
    "passwords_changed",
    "password_changes_refused",
    "emails_sent_username",
    "emails_sent_password_reset",
    "emails_lost_username",
    "emails_lost_password_reset",
    "emails_inbox_username",
    "emails_inbox_password_reset",
    "emails_spam_username",
    "emails_spam_password_reset",
    "emails_found_in_spam",
    "calls_locked_out",
    "calls_no_email",
    "attack_attempts",
    "attack_targets",
    "gave_up_for_now",
    # at the end of the period
    "emails_queued_username",
    "emails_queued_password_reset",
    "visits_in_progress",
    "accounts_still_locked",
    *(f"events_{name}" for name in EVENT_KINDS.values()),
    *(f"chose_{point}_{option}" for point, options in CHOICES for option in options),
)

METRICS = (
    "arrivals",
    "login_attempts",
    "login_failures",
    "logins_succeeded",
    "lockouts",
    "unlocks",
    "username_emails",
    "password_reset_emails",
    "emails_to_inbox",
    "emails_to_spam",
    "emails_lost",
    "calls",
    "attack_attempts",
)
"""The timeline's per-minute series (rows of `ShardResult.timeline`)."""


@dataclass
class ShardResult:
    """One shard's counts: producers ``start``..``stop``-1."""

    start: int
    stop: int
    counters: dict[str, int]
    timeline: np.ndarray  # int64 [len(METRICS), minutes]
    calls: np.ndarray  # int64 [len(CALL_REASONS), categories]
    lock_durations: np.ndarray  # int64 seconds of ended lock-outs, sorted
    still_locked_since: (
        np.ndarray
    )  # int64 lock start (seconds) of accounts locked at the end, sorted
    shards: list[tuple[int, int, dict[str, int]]] = field(default_factory=list)

    @classmethod
    def empty(cls, start: int, stop: int, minutes: int, categories: int) -> ShardResult:
        return cls(
            start,
            stop,
            dict.fromkeys(COUNTERS, 0),
            np.zeros((len(METRICS), minutes), dtype=np.int64),
            np.zeros((len(CALL_REASONS), categories), dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
        )

    def same_as(self, other: ShardResult) -> list[str]:
        """What differs from ``other`` (empty when the two are equal)."""
        out = [
            f"{name}: {self.counters[name]} != {other.counters[name]}"
            for name in COUNTERS
            if self.counters[name] != other.counters[name]
        ]
        for what in ("timeline", "calls", "lock_durations", "still_locked_since"):
            mine, theirs = getattr(self, what), getattr(other, what)
            if mine.shape != theirs.shape or not np.array_equal(mine, theirs):
                out.append(f"{what} differs")
        return out


class Merger:
    """Shards added up as they arrive, in any order: the counters, timeline and calls
    are summed in place (one of each, however many shards), the lock-out durations
    kept until `result` sorts them together."""

    def __init__(self) -> None:
        self._total: ShardResult | None = None
        self._durations: list[np.ndarray] = []
        self._still_locked: list[np.ndarray] = []

    def add(self, result: ShardResult) -> None:
        if self._total is None:
            self._total = ShardResult.empty(
                result.start, result.stop, result.timeline.shape[1], result.calls.shape[1]
            )
        total = self._total
        for name in COUNTERS:
            total.counters[name] += result.counters[name]
        total.timeline += result.timeline
        total.calls += result.calls
        total.shards.append((result.start, result.stop, dict(result.counters)))
        total.start = min(total.start, result.start)
        total.stop = max(total.stop, result.stop)
        self._durations.append(result.lock_durations)
        self._still_locked.append(result.still_locked_since)

    def result(self) -> ShardResult:
        """The merged result; `ShardResult.shards` in producer order."""
        if self._total is None:
            raise ValueError("no shard results to merge")
        total = self._total
        total.shards.sort(key=lambda shard: shard[0])
        total.lock_durations = np.sort(np.concatenate(self._durations))
        total.still_locked_since = np.sort(np.concatenate(self._still_locked))
        self._durations = [total.lock_durations]
        self._still_locked = [total.still_locked_since]
        return total


def merge(results: Sequence[ShardResult]) -> ShardResult:
    """The shards added up, in producer order; `ShardResult.shards` keeps each shard's
    range and counters so the report can check that they add up."""
    merger = Merger()
    for result in sorted(results, key=lambda r: r.start):
        merger.add(result)
    return merger.result()
