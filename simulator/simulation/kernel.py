"""The compiled event loop of one shard: each account's events, one at a time, with numba.

Accounts share no state, so each one is run to its end before the next: its pending
events (at most three: the next step of its producer's visit, its next planned visit,
the attacker's next attempt) are applied in (time, kind) order, as the engine's
docstring (:mod:`simulator.simulation.engine`) describes. The cost of an event is a
few dozen machine instructions whatever the number of producers or days.

Everything here is numbers: the plan and the table come packed into arrays
(`pack`), each account's state is a small int64 array (``a[...]``), and the results
are added up into one array (``s``: the account's state, then the counters named by
`COUNTED`, the events per kind and the timeline's rows named by `RECORDED`), so each
handler takes two arrays, ``p`` and ``s``, whatever it reads or counts; the engine
turns them into a :class:`~simulator.simulation.results.ShardResult`. The draws are
:func:`simulator.simulation.draws.mix` compiled from its source, so the reference
(pure Python) and this loop cannot differ in how they mix; how a draw is taken from
a producer's stream, a range or a choice is a line each here (a test holds them to
`draws` for many inputs).

numba caches the machine code (``cache=True``) beside this file, or in the user's cache
directory when the package is read-only (``NUMBA_CACHE_DIR`` chooses another); the
cache is keyed on this file's source, so the constants the loop depends on are
literals here (a test holds them to `results` and `table`), not imported values; a
change to `draws.mix` must come with a change here (or a cleared cache) to be seen.

One concern, the per-event loop: one small function per producer action.
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from array import array
from collections.abc import Callable
from types import FunctionType, SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.simulation import draws

if TYPE_CHECKING:
    from simulator.simulation.plan import Plan
    from simulator.simulation.table import CompiledTable

__all__ = [
    "COUNTED",
    "KINDS",
    "NEVER",
    "RECORDED",
    "is_loaded",
    "loop",
    "pack",
    "prepare",
    "run_accounts",
]


def _private_cache_dir() -> str:
    """A directory of the temporary directory that only this user can write (numba's
    cache holds pickles: a directory someone else made is never used)."""
    path = os.path.join(tempfile.gettempdir(), f"rpp-numba-cache-{os.getuid()}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.lstat(path)
    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
        return path
    return tempfile.mkdtemp(prefix="rpp-numba-cache-")


def _find_cache() -> None:
    """numba caches beside this file, else in the user's cache directory; when it can
    write neither (a read-only install, a read-only or missing home), in a private
    directory of the temporary directory rather than refusing to run."""
    import numba
    from numba.core.caching import FunctionCache

    try:
        FunctionCache(draws.mix)  # what njit(cache=True) makes: raises when nowhere fits
    except RuntimeError:
        numba.config.CACHE_DIR = _private_cache_dir()
        # Worker processes started from here then use the same one (not a new one each).
        os.environ["NUMBA_CACHE_DIR"] = numba.config.CACHE_DIR


NEVER = 1 << 58
"""A pending event's key (time << 4 | kind) when there is none."""
_KIND_BITS = 4
_KIND_MASK = (1 << _KIND_BITS) - 1
_DAY = 86_400
_STEP = np.uint64(0xD1B54A32D192ED03)  # draws.STEP (a literal: see above; a test checks)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # draws.GOLDEN
_DELAY_BITS = 10  # log2 of plan.DELIVERY_QUANTILES: a 32-bit draw >> 22 picks a quantile
_TOP = np.uint64(32)

# Event kinds, in tie-breaking order (the numbers of `results`; a test checks).
ARRIVE, LOGIN, REACT, USERNAME_REQUEST, RESET_REQUEST = 1, 2, 3, 4, 5
CHECK_INBOX, CHECK_SPAM, CALL, CHANGE_PASSWORD, ATTACK, DELIVER = 6, 7, 8, 9, 10, 11
KINDS = 12
# Table events and outcome kinds (the numbers of `table`; a test checks).
CURRENT_PASSWORD, TEMPORARY_PASSWORD, WRONG_PASSWORD, AUTO_UNLOCK_DUE, PASSWORD_CHANGED = range(5)
NOTHING, SIGNED_IN, SIGNED_IN_TEMPORARY, FAILED, LOCKED_NOW, REFUSED_LOCKED = range(6)
_TABLE_EVENTS = 6
_USERNAME_MAIL, _RESET_MAIL = 0, 1
_REACT_RESET, _REACT_RECOVER, _REACT_CALL, _REACT_GIVE_UP = range(4)

# One account's state: slots of ``s`` (then the counters, the events, the timeline).
(
    A_CHAIN,  # the visit's next step (key)
    A_AUX,
    A_VISIT,  # the next planned visit (key)
    A_VISIT_DAY,
    A_VISIT_DAYS,  # bit d: a visit planned on day d
    A_ATTACK,  # the attacker's next attempt (key)
    A_ATTEMPT,
    A_ACCOUNT,  # the table's state
    A_LOCKED_AT,
    A_STEP,
    A_KNOWN,
    A_FORGOT_PASSWORD,
    A_USE_TEMPORARY,
    A_TEMPORARY_AT,
    A_MAIL_KIND,
    A_MAIL_AT,
    A_MAIL_SPAM,
    A_AFTER_MAIL,
    A_REPEAT,
    A_CALLS,
    A_GIVE_UPS,
    A_ENDED,  # lock-outs ended by the current event (at most two), their durations:
    A_ENDED_1,
    A_ENDED_2,
    _COUNTS,
) = range(25)

COUNTED = (
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
    "attack_attempts",
    "attack_targets",
    "gave_up_for_now",
    "emails_queued_username",
    "emails_queued_password_reset",
    "visits_in_progress",
    "accounts_still_locked",
    # each choice point's options (`results.CHOICES`; a test checks): chose_<point>_<option>
    *(
        f"chose_{point}_{option}"
        for point, options in (
            ("visit_day", ("visit", "stay_away")),
            ("visit_hour", tuple(f"{hour:02d}" for hour in range(24))),
            ("forgot_password", ("yes", "no")),
            ("forgot_user_name", ("yes", "no")),
            ("proactive_reset", ("yes", "no")),
            ("mistype", ("yes", "no")),
            (
                "after_lockout",
                ("reset", "recover_user_name_first", "call_producer_services", "give_up"),
            ),
            (
                "after_lockout_fallback",
                ("reset", "recover_user_name_first", "call_producer_services", "give_up"),
            ),
            ("email_lost", ("yes", "no")),
            ("email_spam", ("yes", "no")),
            ("attack_target", ("yes", "no")),
        )
        for option in options
    ),
)
"""The counters of `run_accounts`'s ``counts``, in this order (names of `results.COUNTERS`;
calls per reason and events per kind are counted apart)."""
(
    VISITS,
    VISITS_SIGNED_IN,
    VISITS_STOPPED,
    LOGIN_ATTEMPTS,
    LOGINS_SUCCEEDED,
    LOGINS_WITH_TEMPORARY_PASSWORD,
    LOGIN_FAILURES,
    LOGINS_REFUSED_LOCKED,
    LOCKOUTS_BY_PRODUCER,
    LOCKOUTS_BY_ATTACK,
    UNLOCKS_BY_RESET,
    UNLOCKS_BY_AUTO_UNLOCK,
    USERNAME_RECOVERIES,
    RESETS_REQUESTED,
    PASSWORDS_CHANGED,
    PASSWORD_CHANGES_REFUSED,
    EMAILS_SENT,  # + mail kind (username, password reset), and so on
    _,
    EMAILS_LOST,
    _,
    EMAILS_INBOX,
    _,
    EMAILS_SPAM,
    _,
    EMAILS_FOUND_IN_SPAM,
    ATTACK_ATTEMPTS,
    ATTACK_TARGETS,
    GAVE_UP_FOR_NOW,
    EMAILS_QUEUED,
    _,
    VISITS_IN_PROGRESS,
    ACCOUNTS_STILL_LOCKED,
) = range(_COUNTS, _COUNTS + COUNTED.index("chose_visit_day_visit"))
# the first option of each choice point (``yes`` before ``no``; +1 for ``no``)
CHOSE_VISIT_DAY = _COUNTS + COUNTED.index("chose_visit_day_visit")
CHOSE_VISIT_HOUR = _COUNTS + COUNTED.index("chose_visit_hour_00")
CHOSE_FORGOT_PASSWORD = _COUNTS + COUNTED.index("chose_forgot_password_yes")
CHOSE_FORGOT_USER_NAME = _COUNTS + COUNTED.index("chose_forgot_user_name_yes")
CHOSE_PROACTIVE_RESET = _COUNTS + COUNTED.index("chose_proactive_reset_yes")
CHOSE_MISTYPE = _COUNTS + COUNTED.index("chose_mistype_yes")
CHOSE_AFTER_LOCKOUT = _COUNTS + COUNTED.index("chose_after_lockout_reset")
CHOSE_FALLBACK = _COUNTS + COUNTED.index("chose_after_lockout_fallback_reset")
CHOSE_EMAIL_LOST = _COUNTS + COUNTED.index("chose_email_lost_yes")
CHOSE_EMAIL_SPAM = _COUNTS + COUNTED.index("chose_email_spam_yes")
CHOSE_ATTACK_TARGET = _COUNTS + COUNTED.index("chose_attack_target_yes")

RECORDED = (
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
"""The rows of `run_accounts`'s ``timeline`` (names of `results.METRICS`)."""
(
    ARRIVALS,
    T_LOGIN_ATTEMPTS,
    T_LOGIN_FAILURES,
    T_LOGINS_SUCCEEDED,
    T_LOCKOUTS,
    T_UNLOCKS,
    T_SENT,  # + mail kind
    _,
    T_TO_INBOX,
    T_TO_SPAM,
    T_LOST,
    T_CALLS,
    T_ATTACK_ATTEMPTS,
) = range(len(RECORDED))

_EVENTS = _COUNTS + len(COUNTED)
_TIMELINE = _EVENTS + KINDS

# The plan's numbers and tables (`pack`): slots of ``p``; the *_AT slots hold where a
# table starts in ``p``.
(
    P_END,
    P_DAYS,
    P_MINUTES,
    P_VISIT,
    P_MISTYPE,
    P_FORGOT_PASSWORD,
    P_FORGOT_USER_NAME,
    P_FORCED_RESET,
    P_PROACTIVE,
    P_GIVE_UP_AT_MOST,
    P_MAX_CALLS,
    P_HAS_FALLBACK,
    P_SPAM,
    P_LOSS,
    P_ATTACK,
    P_ATTACK_TARGET,
    P_ATTACK_START,
    P_ATTACK_WINDOW,
    P_ATTACK_ATTEMPTS,
    P_ATTACK_SPACING,
    P_LIFETIME,
    P_AUTO_UNLOCK,
    P_INITIAL,
    P_READ,  # (low, span) pairs from here on
    _,
    P_INBOX_CHECK,
    _,
    P_SPAM_CHECK,
    _,
    P_FORM,
    _,
    P_COME_BACK,
    _,
    P_CALL,
    _,
    P_HOURS_AT,  # 24 cumulative thresholds
    P_REACT_AT,  # 4
    P_FALLBACK_AT,  # 4
    P_DELAYS_AT,  # DELIVERY_QUANTILES seconds
    P_AFTER_LOGIN_AT,  # 3 rows (kind, low, span) of 12
    P_AFTER_REACT_AT,  # 3 rows of 5
    P_NEXT_STATE_AT,  # per (state, table event)
    P_OUTCOME_AT,  # per (state, table event)
    P_KIND_AT,  # per outcome
    P_LOCKS_AT,  # per outcome
    P_UNLOCKS_AT,  # per outcome
    P_LOCKED_AT,  # per state
    _P_SCALARS,
) = range(48)
_AFTER_LOGIN_CHOICES = 12
_AFTER_REACT_CHOICES = 5

# The loop's functions are written once, as plain Python: `loop` builds them either
# compiled by numba (each handler inlined into `run_accounts`) or as they are, on numpy
# scalars (the same arithmetic: uint64 wraps, int64 is exact), for runs too small to
# pay for importing numba and loading the machine code.
_FUNCTIONS: dict[str, tuple[Callable[..., Any], bool]] = {}


def _jit(function: Callable[..., Any]) -> Callable[..., Any]:
    """A handler of the loop (inlined where it is called, once compiled)."""
    _FUNCTIONS[function.__name__] = (function, True)
    return function


def _entry(function: Callable[..., Any]) -> Callable[..., Any]:
    """A function of the loop called from Python (compiled on its own)."""
    _FUNCTIONS[function.__name__] = (function, False)
    return function


_mix: Any = draws.mix  # numba-compiled in the compiled loop


class _PythonList(list[Any]):
    """numba's typed List, as the uncompiled loop uses it: a list."""

    @staticmethod
    def empty_list(item_type: object) -> list[Any]:
        return []


class _PythonNumbers:
    """What the uncompiled loop uses of numpy, on Python ints (far quicker than numpy
    scalars): uint64 as an int taken modulo 2**64, int64 as an int, int64 arrays as
    `array.array`."""

    @staticmethod
    def uint64(value: int) -> int:
        return int(value) & 0xFFFF_FFFF_FFFF_FFFF

    int64 = int

    @staticmethod
    def zeros(size: int, dtype: object = None) -> array[int]:
        return array("q", bytes(8 * int(size)))  # handed to numpy without a copy

    empty = zeros


# numba's typed List and types for the compiled loop; these stand-ins for the uncompiled
List: Any = _PythonList
types: Any = SimpleNamespace(int64=np.int64)


@_jit
def _draw(base: Any, step: Any, slot: Any) -> Any:
    """`draws.draw` of ``step``, ``slot`` from a producer's `draws.producer_base`."""
    return np.int64(_mix(np.uint64(base) + np.uint64(step) * _STEP + np.uint64(slot)) >> _TOP)


@_jit
def _base(key: Any, producer: Any) -> Any:
    """`draws.producer_base`."""
    return _mix(np.uint64(key) + np.uint64(producer) * _GOLDEN)


@_jit
def _uniform(value: Any, low: Any, span: Any) -> Any:
    """`draws.uniform` for low..low+span-1."""
    return low + np.int64((np.uint64(value) * np.uint64(span)) >> _TOP)


@_jit
def _choose(value: Any, p: Any, at: Any, size: Any) -> Any:
    """`draws.choose` from the ``size`` cumulative thresholds at ``p[at]``: how many
    are at or below ``value``."""
    i = 0
    while i < size and p[at + i] <= value:
        i += 1
    return i


def pack(plan: Plan, table: CompiledTable) -> tuple[np.ndarray, np.ndarray]:
    """The plan and the table as the arrays `run_accounts` reads: ``p`` and the keys."""
    # The loop indexes the delays with a draw's top bits and numba checks no bounds.
    if len(plan.delivery_delays) != 1 << _DELAY_BITS:
        raise ValueError(
            f"the loop picks one of {1 << _DELAY_BITS} delivery delays,"
            f" the plan has {len(plan.delivery_delays)}"
        )
    scalars = np.zeros(_P_SCALARS, dtype=np.int64)
    for at, value in (
        (P_END, plan.end),
        (P_DAYS, plan.days),
        (P_MINUTES, plan.minutes),
        (P_VISIT, plan.visit_threshold),
        (P_MISTYPE, plan.mistype_threshold),
        (P_FORGOT_PASSWORD, plan.forgot_password_threshold),
        (P_FORGOT_USER_NAME, plan.forgot_user_name_threshold),
        (P_FORCED_RESET, plan.forced_reset),
        (P_PROACTIVE, plan.proactive_reset_threshold),
        (P_GIVE_UP_AT_MOST, plan.give_up_at_most),
        (P_MAX_CALLS, plan.max_calls),
        (P_HAS_FALLBACK, plan.react_cumulative_no_give_up is not None),
        (P_SPAM, plan.spam_threshold),
        (P_LOSS, plan.loss_threshold),
        (P_ATTACK, plan.attack),
        (P_ATTACK_TARGET, plan.attack_target_threshold),
        (P_ATTACK_START, plan.attack_start),
        (P_ATTACK_WINDOW, plan.attack_window),
        (P_ATTACK_ATTEMPTS, plan.attack_attempts),
        (P_ATTACK_SPACING, plan.attack_spacing),
        (P_LIFETIME, plan.temporary_password_lifetime),
        (P_AUTO_UNLOCK, plan.auto_unlock_after),
        (P_INITIAL, table.initial),
    ):
        scalars[at] = value
    for at, (low, high) in (
        (P_READ, plan.read_email),
        (P_INBOX_CHECK, plan.inbox_check),
        (P_SPAM_CHECK, plan.spam_check),
        (P_FORM, plan.form),
        (P_COME_BACK, plan.come_back),
        (P_CALL, plan.call),
    ):
        scalars[at], scalars[at + 1] = low, high - low + 1
    # what follows a login, by outcome kind (+ 6 when a temporary password was typed),
    # and what follows a reaction to a lock-out (nothing, reset, recover, call, give up)
    none, retry, form = (0, (1, 1)), (LOGIN, plan.retry), (RESET_REQUEST, plan.form)
    change, react = (CHANGE_PASSWORD, plan.change_password), (REACT, plan.retry)
    after_login = {
        NOTHING: (none, none),
        SIGNED_IN: (none, none),
        SIGNED_IN_TEMPORARY: (change, change),
        FAILED: (retry, form),
        LOCKED_NOW: (react, react),
        REFUSED_LOCKED: (react, react),
    }
    after_react = [none, form, (USERNAME_REQUEST, plan.form), (CALL, plan.form)]
    tables = (
        (P_HOURS_AT, plan.hour_cumulative),
        (P_REACT_AT, plan.react_cumulative),
        (P_FALLBACK_AT, plan.react_cumulative_no_give_up or plan.react_cumulative),
        (P_DELAYS_AT, plan.delivery_delays),
        (
            P_AFTER_LOGIN_AT,
            _steps([after_login[k][temporary] for temporary in (0, 1) for k in range(6)]),
        ),
        (P_AFTER_REACT_AT, _steps([*after_react, (LOGIN, plan.come_back)])),
        (P_NEXT_STATE_AT, table.next_state),
        (P_OUTCOME_AT, table.outcome),
        (P_KIND_AT, table.kind),
        (P_LOCKS_AT, table.locks),
        (P_UNLOCKS_AT, table.unlocks),
        (P_LOCKED_AT, table.locked),
    )
    parts = [scalars]
    size = _P_SCALARS
    for at, values in tables:
        scalars[at] = size
        part = np.asarray(values).astype(np.int64).reshape(-1)
        parts.append(part)
        size += part.size
    keys = np.array([plan.visit_key, plan.attack_key, plan.step_key], dtype=np.uint64)
    return np.concatenate(parts), keys


def _steps(steps: list[tuple[int, tuple[int, int]]]) -> np.ndarray:
    """(kind, (low, high) seconds) choices as rows: kinds, lows, span sizes."""
    return np.array(
        [
            [kind for kind, _ in steps],
            [low for _, (low, _) in steps],
            [high - low + 1 for _, (low, high) in steps],
        ],
        dtype=np.int64,
    )


@_jit
def _record(s, p, row, t):
    s[_TIMELINE + row * p[P_MINUTES] + t // 60] += 1


# -- the account's table ----------------------------------------------------------------


@_jit
def _apply(s, p, t, event):
    """Step the compiled table; the outcome's kind."""
    cell = s[A_ACCOUNT] * _TABLE_EVENTS + event
    outcome = p[p[P_OUTCOME_AT] + cell]
    s[A_ACCOUNT] = p[p[P_NEXT_STATE_AT] + cell]
    if p[p[P_LOCKS_AT] + outcome]:
        s[A_LOCKED_AT] = t
        _record(s, p, T_LOCKOUTS, t)
    if p[p[P_UNLOCKS_AT] + outcome]:
        s[A_ENDED] += 1
        s[A_ENDED + s[A_ENDED]] = t - s[A_LOCKED_AT]
        s[A_LOCKED_AT] = -1
        _record(s, p, T_UNLOCKS, t)
        s[UNLOCKS_BY_AUTO_UNLOCK if event == AUTO_UNLOCK_DUE else UNLOCKS_BY_RESET] += 1
    return p[p[P_KIND_AT] + outcome]


@_jit
def _auto_unlock(s, p, t):
    after = p[P_AUTO_UNLOCK]
    if after >= 0 and p[p[P_LOCKED_AT] + s[A_ACCOUNT]] and t >= s[A_LOCKED_AT] + after:
        _apply(s, p, t, AUTO_UNLOCK_DUE)


# -- pending events ---------------------------------------------------------------------


@_jit
def _emit(s, t, kind, aux):
    s[A_CHAIN] = (t << _KIND_BITS) | kind
    s[A_AUX] = aux


@_jit
def _emit_choice(s, p, t, at, choices, choice, value):
    """The next step ``choice`` of the (kind, low, span) rows at ``p[at]`` (none where
    its kind is 0), after a delay drawn uniformly from its range."""
    kind = p[at + choice]
    if kind != 0:
        low, span = p[at + choices + choice], p[at + 2 * choices + choice]
        _emit(s, _uniform(value, t + low, span), kind, 0)


@_jit
def _plan_visit(s, p, first_day, visit_base):
    """The account's next planned visit on day ``first_day`` or later (if any)."""
    later = s[A_VISIT_DAYS] & ~((np.int64(1) << first_day) - 1)
    if later == 0:
        s[A_VISIT] = NEVER
        return
    day = 0
    while not (later >> day) & 1:
        day += 1
    hour = _choose(_draw(visit_base, day, 1), p, p[P_HOURS_AT], 24)
    s[CHOSE_VISIT_HOUR + hour] += 1
    t = day * _DAY + hour * 3600 + _uniform(_draw(visit_base, day, 2), 0, 3600)
    s[A_VISIT_DAY] = day
    s[A_VISIT] = (t << _KIND_BITS) | ARRIVE if t < p[P_END] else NEVER


# -- what producers and the mail do ----------------------------------------------------


@_jit
def _send(s, p, t, mail, origin):
    lost = _draw(origin, 0, 0) < p[P_LOSS]
    spam = _draw(origin, 0, 1) < p[P_SPAM]
    s[CHOSE_EMAIL_LOST + 1 - lost] += 1
    s[CHOSE_EMAIL_SPAM + 1 - spam] += 1
    at = t + p[p[P_DELAYS_AT] + (_draw(origin, 0, 2) >> (32 - _DELAY_BITS))]
    s[EMAILS_SENT + mail] += 1
    _record(s, p, T_SENT + mail, t)
    s[A_MAIL_KIND] = mail
    s[A_MAIL_SPAM] = spam
    if lost:
        s[EMAILS_LOST + mail] += 1
        _record(s, p, T_LOST, t)
        s[A_MAIL_AT] = -1
    else:
        s[A_MAIL_AT] = at
        # a delivery changes no account: counted when sent, delivered then or queued
        if at < p[P_END]:
            s[_EVENTS + DELIVER] += 1
            if spam:
                s[EMAILS_SPAM + mail] += 1
                _record(s, p, T_TO_SPAM, at)
            else:
                s[EMAILS_INBOX + mail] += 1
                _record(s, p, T_TO_INBOX, at)
        else:
            s[EMAILS_QUEUED + mail] += 1
    then = _uniform(_draw(origin, 0, 3), t + p[P_INBOX_CHECK], p[P_INBOX_CHECK + 1])
    _emit(s, then, CHECK_INBOX, 0)


@_jit
def _read(s, p, t, value):
    later = _uniform(value, t + p[P_READ], p[P_READ + 1])
    if s[A_MAIL_KIND] == _RESET_MAIL:
        s[A_USE_TEMPORARY] = 1
        _emit(s, later, LOGIN, 0)
    else:
        _emit(s, later, s[A_AFTER_MAIL], 0)


@_jit
def _arrive(s, p, t, origin):
    s[VISITS] += 1
    _record(s, p, ARRIVALS, t)
    s[A_GIVE_UPS] = 0
    s[A_USE_TEMPORARY] = 0
    forgot = _draw(origin, 0, 1) < p[P_FORGOT_PASSWORD]
    s[A_FORGOT_PASSWORD] = forgot
    s[CHOSE_FORGOT_PASSWORD + 1 - forgot] += 1
    proactive = False
    if p[P_FORCED_RESET] != 0 and s[A_KNOWN] == 0:
        proactive = _draw(origin, 0, 2) < p[P_PROACTIVE]
        s[CHOSE_PROACTIVE_RESET + 1 - proactive] += 1
    s[A_AFTER_MAIL] = RESET_REQUEST if proactive else LOGIN
    then = _uniform(_draw(origin, 0, 3), t + p[P_FORM], p[P_FORM + 1])
    forgot_user_name = _draw(origin, 0, 0) < p[P_FORGOT_USER_NAME]
    s[CHOSE_FORGOT_USER_NAME + 1 - forgot_user_name] += 1
    if forgot_user_name:
        _emit(s, then, USERNAME_REQUEST, 0)
    else:
        _emit(s, then, RESET_REQUEST if proactive else LOGIN, 0)


@_jit
def _log_in(s, p, t, origin):
    temporary = s[A_USE_TEMPORARY] != 0
    own = not temporary and s[A_FORGOT_PASSWORD] == 0  # they type the password they know
    mistyped = False
    if own:
        mistyped = _draw(origin, 0, 0) < p[P_MISTYPE]
        s[CHOSE_MISTYPE + 1 - mistyped] += 1
    if temporary and t < s[A_TEMPORARY_AT] + p[P_LIFETIME]:
        event = TEMPORARY_PASSWORD
    elif own and s[A_KNOWN] != 0 and not mistyped:
        event = CURRENT_PASSWORD
    else:
        event = WRONG_PASSWORD
    _auto_unlock(s, p, t)
    kind = _apply(s, p, t, event)
    s[A_USE_TEMPORARY] = 0
    s[LOGIN_ATTEMPTS] += 1
    _record(s, p, T_LOGIN_ATTEMPTS, t)
    if kind in (SIGNED_IN, SIGNED_IN_TEMPORARY):
        s[LOGINS_SUCCEEDED] += 1
        _record(s, p, T_LOGINS_SUCCEEDED, t)
    if kind == SIGNED_IN_TEMPORARY:
        s[LOGINS_WITH_TEMPORARY_PASSWORD] += 1
    elif kind in (FAILED, LOCKED_NOW):
        s[LOGIN_FAILURES] += 1
        _record(s, p, T_LOGIN_FAILURES, t)
        if kind == LOCKED_NOW:
            s[LOCKOUTS_BY_PRODUCER] += 1
    elif kind == REFUSED_LOCKED:
        s[LOGINS_REFUSED_LOCKED] += 1
    elif kind == SIGNED_IN:
        s[VISITS_SIGNED_IN] += 1
    choice = kind + 6 * temporary
    _emit_choice(s, p, t, p[P_AFTER_LOGIN_AT], _AFTER_LOGIN_CHOICES, choice, _draw(origin, 0, 1))


@_jit
def _react(s, p, t, origin):
    choice = _choose(_draw(origin, 0, 0), p, p[P_REACT_AT], 4)
    s[CHOSE_AFTER_LOCKOUT + choice] += 1
    if choice == _REACT_GIVE_UP and s[A_GIVE_UPS] >= p[P_GIVE_UP_AT_MOST]:
        if not p[P_HAS_FALLBACK]:
            s[VISITS_STOPPED] += 1
            return
        # another way out, drawn afresh: the first draw lies in the give-up band
        choice = _choose(_draw(origin, 0, 2), p, p[P_FALLBACK_AT], 4)
        s[CHOSE_FALLBACK + choice] += 1
    if choice == _REACT_RECOVER:
        s[A_AFTER_MAIL] = RESET_REQUEST
    elif choice == _REACT_CALL:
        if s[A_CALLS] >= p[P_MAX_CALLS]:
            choice = _REACT_RESET  # out of calls: straight to Reset Password?
        else:
            s[A_REPEAT] = RESET_REQUEST
    elif choice == _REACT_GIVE_UP:
        s[A_GIVE_UPS] += 1
        s[GAVE_UP_FOR_NOW] += 1
    at = p[P_AFTER_REACT_AT]
    _emit_choice(s, p, t, at, _AFTER_REACT_CHOICES, choice + 1, _draw(origin, 0, 1))


@_jit
def _check_inbox(s, p, t, origin):
    value = _draw(origin, 0, 0)
    at = s[A_MAIL_AT]
    if at >= 0 and s[A_MAIL_SPAM] == 0 and at <= t:
        _read(s, p, t, value)
    else:
        _emit(s, _uniform(value, t + p[P_SPAM_CHECK], p[P_SPAM_CHECK + 1]), CHECK_SPAM, 0)


@_jit
def _check_spam(s, p, t, aux, origin):
    value = _draw(origin, 0, 0)
    at = s[A_MAIL_AT]
    if at >= 0 and at <= t:
        if s[A_MAIL_SPAM]:
            s[EMAILS_FOUND_IN_SPAM] += 1
        _read(s, p, t, value)
    elif aux == 1:
        s[VISITS_STOPPED] += 1
    elif s[A_CALLS] < p[P_MAX_CALLS]:
        s[A_REPEAT] = RESET_REQUEST if s[A_MAIL_KIND] == _RESET_MAIL else USERNAME_REQUEST
        _emit(s, _uniform(value, t + p[P_FORM], p[P_FORM + 1]), CALL, 1)
    else:  # out of calls: one last look when they come back later, then they stop
        _emit(s, _uniform(value, t + p[P_COME_BACK], p[P_COME_BACK + 1]), CHECK_SPAM, 1)


@_jit
def _call(s, p, t, origin):
    s[A_CALLS] += 1
    _record(s, p, T_CALLS, t)
    _emit(s, _uniform(_draw(origin, 0, 0), t + p[P_CALL], p[P_CALL + 1]), s[A_REPEAT], 0)


@_jit
def _change_password(s, p, t):
    issued = s[A_TEMPORARY_AT]
    if issued >= 0 and t < issued + p[P_LIFETIME]:
        _apply(s, p, t, PASSWORD_CHANGED)  # Update Password completes the reset
        s[PASSWORDS_CHANGED] += 1
        s[A_KNOWN] = 1
        s[A_FORGOT_PASSWORD] = 0
        s[A_TEMPORARY_AT] = -1
    else:
        s[PASSWORD_CHANGES_REFUSED] += 1
    s[VISITS_SIGNED_IN] += 1


@_jit
def _attack(s, p, t):
    attempt = s[A_ATTEMPT] + 1
    s[A_ATTEMPT] = attempt
    then = t + p[P_ATTACK_SPACING]
    if attempt < p[P_ATTACK_ATTEMPTS] and then < p[P_END]:
        s[A_ATTACK] = (then << _KIND_BITS) | ATTACK
    else:
        s[A_ATTACK] = NEVER
    _auto_unlock(s, p, t)
    kind = _apply(s, p, t, WRONG_PASSWORD)
    s[ATTACK_ATTEMPTS] += 1
    _record(s, p, T_ATTACK_ATTEMPTS, t)
    if kind == LOCKED_NOW:
        s[LOCKOUTS_BY_ATTACK] += 1


# -- one account, then the shard --------------------------------------------------------


@_jit
def _start(s, p, producer, visit_base, attack_key):
    """The account's state before the period, its first visit and attack planned."""
    for slot in range(_COUNTS):
        s[slot] = 0
    s[A_CHAIN] = NEVER
    s[A_ATTACK] = NEVER
    s[A_ACCOUNT] = p[P_INITIAL]
    s[A_LOCKED_AT] = -1
    s[A_KNOWN] = p[P_FORCED_RESET] == 0
    s[A_TEMPORARY_AT] = -1
    s[A_MAIL_AT] = -1
    s[A_AFTER_MAIL] = LOGIN
    s[A_REPEAT] = RESET_REQUEST
    days = 0
    for day in range(p[P_DAYS]):
        visit = _draw(visit_base, day, 0) < p[P_VISIT]
        s[CHOSE_VISIT_DAY + 1 - visit] += 1
        if visit:
            days |= 1 << day
    s[A_VISIT_DAYS] = days
    _plan_visit(s, p, 0, visit_base)
    if p[P_ATTACK]:
        attacker = _base(attack_key, producer)
        target = _draw(attacker, 0, 0) < p[P_ATTACK_TARGET]
        s[CHOSE_ATTACK_TARGET + 1 - target] += 1
        if target:
            s[ATTACK_TARGETS] += 1
            t = _uniform(_draw(attacker, 0, 1), p[P_ATTACK_START], p[P_ATTACK_WINDOW])
            if t < p[P_END]:
                s[A_ATTACK] = (t << _KIND_BITS) | ATTACK


@_entry
def _run_accounts(start, stop, p, keys):
    """Run producers ``start``..``stop``-1 to the period's end. Returns the counts (by
    `COUNTED`), the events per kind, the timeline (rows `RECORDED`, per minute, flat),
    the ended lock-outs' durations, the lock start of the accounts locked at the end,
    and the calls: (producer, reason) pairs, flat."""
    minutes = p[P_MINUTES]
    s = np.zeros(_TIMELINE + len(RECORDED) * minutes, dtype=np.int64)
    durations = List.empty_list(types.int64)
    still_locked = List.empty_list(types.int64)
    calls = List.empty_list(types.int64)
    end_key = p[P_END] << _KIND_BITS
    for producer in range(start, stop):
        visit_base = _base(keys[0], producer)
        step_base = _base(keys[2], producer)
        _start(s, p, producer, visit_base, keys[1])
        while True:
            key = min(s[A_CHAIN], s[A_VISIT], s[A_ATTACK])
            if key >= end_key:
                break
            t = key >> _KIND_BITS
            kind = key & _KIND_MASK
            if key == s[A_VISIT]:
                _plan_visit(s, p, s[A_VISIT_DAY] + 1, visit_base)
                if s[A_CHAIN] != NEVER:
                    continue  # still in the last visit: this one is skipped
            s[_EVENTS + kind] += 1
            if kind == ATTACK:
                _attack(s, p, t)
            else:
                if kind != ARRIVE:
                    s[A_CHAIN] = NEVER
                aux = s[A_AUX]
                origin = step_base + np.uint64(s[A_STEP]) * _STEP
                s[A_STEP] += 1
                if kind == ARRIVE:
                    _arrive(s, p, t, origin)
                elif kind == LOGIN:
                    _log_in(s, p, t, origin)
                elif kind == REACT:
                    _react(s, p, t, origin)
                elif kind == USERNAME_REQUEST:
                    s[USERNAME_RECOVERIES] += 1
                    _send(s, p, t, _USERNAME_MAIL, origin)
                elif kind == RESET_REQUEST:
                    s[RESETS_REQUESTED] += 1
                    s[A_TEMPORARY_AT] = t
                    s[A_USE_TEMPORARY] = 0
                    _send(s, p, t, _RESET_MAIL, origin)
                elif kind == CHECK_INBOX:
                    _check_inbox(s, p, t, origin)
                elif kind == CHECK_SPAM:
                    _check_spam(s, p, t, aux, origin)
                elif kind == CALL:
                    calls.append(producer)
                    calls.append(aux)
                    _call(s, p, t, origin)
                elif kind == CHANGE_PASSWORD:
                    _change_password(s, p, t)
            if s[A_ENDED]:
                for i in range(s[A_ENDED]):
                    durations.append(s[A_ENDED_1 + i])
                s[A_ENDED] = 0
        # every step still pending is at or after the end: a visit in progress
        if s[A_CHAIN] != NEVER:
            s[VISITS_IN_PROGRESS] += 1
        if p[p[P_LOCKED_AT] + s[A_ACCOUNT]]:
            s[ACCOUNTS_STILL_LOCKED] += 1
            still_locked.append(s[A_LOCKED_AT])
    return (
        s[_COUNTS:_EVENTS],
        s[_EVENTS:_TIMELINE],
        s[_TIMELINE:],
        _array(durations),
        _array(still_locked),
        _array(calls),
    )


@_entry
def _array(values):
    out = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        out[i] = value
    return out


_LOOPS: dict[bool, SimpleNamespace] = {}
_LOOPS_LOCK = threading.Lock()


def _build(compiled: bool) -> SimpleNamespace:
    """The loop's functions bound to one another: numba dispatchers, or plain Python."""
    namespace = dict(globals())
    if not compiled:
        namespace.update(np=_PythonNumbers, _STEP=int(_STEP), _GOLDEN=int(_GOLDEN), _TOP=32)
    if compiled:
        from numba import njit, types
        from numba.typed import List

        _find_cache()
        namespace.update(types=types, List=List)
        namespace["_mix"] = njit(cache=True, nogil=True, inline="always")(draws.mix)
    for name, (function, inline) in _FUNCTIONS.items():
        bound = FunctionType(function.__code__, namespace, name, function.__defaults__)
        bound.__qualname__ = function.__qualname__
        bound.__module__ = function.__module__
        if compiled:
            options: dict[str, Any] = {"inline": "always"} if inline else {}
            bound = njit(cache=True, nogil=True, **options)(bound)
        namespace[name] = bound
    return SimpleNamespace(**{name: namespace[name] for name in (*_FUNCTIONS, "_mix")})


def loop(compiled: bool = True) -> SimpleNamespace:
    """The loop's functions (``run_accounts``, ``_draw``, ...), compiled or not; built
    once per process (compiled: numba is imported here, not before)."""
    with _LOOPS_LOCK:
        if compiled not in _LOOPS:
            _LOOPS[compiled] = _build(compiled)
        return _LOOPS[compiled]


def is_loaded() -> bool:
    """Whether this process has built (and so imported numba for) the compiled loop."""
    return True in _LOOPS


def run_accounts(
    start: int, stop: int, p: np.ndarray, keys: np.ndarray, compiled: bool = True
) -> tuple[np.ndarray, ...]:
    """Run producers ``start``..``stop``-1 to the period's end (see the loop's own
    `_run_accounts` above): on the compiled loop, or, when ``compiled`` is False, on the
    very same code uncompiled, on Python ints (the same result, at about 150 times the cost
    per event,
    without numba's import and load)."""
    if compiled:
        out = loop(True)._run_accounts(start, stop, p, keys)
    else:  # on Python ints: the same arithmetic (uint64 masked, as it wraps compiled)
        out = loop(False)._run_accounts(start, stop, p.tolist(), keys.tolist())
    counts, events, timeline, durations, still_locked, calls = (
        np.frombuffer(part, dtype=np.int64) if isinstance(part, array) else part for part in out
    )
    minutes = int(p[P_MINUTES])
    return (
        counts,
        events,
        timeline.reshape(len(RECORDED), minutes),
        durations,
        still_locked,
        calls.reshape(-1, 2),
    )


def prepare() -> None:
    """Load the compiled loop from numba's cache (or compile it, once, 7 to 8 s of CPU),
    so that the processes started next find it there instead of compiling it each."""
    run_accounts(0, 0, np.zeros(_P_SCALARS, dtype=np.int64), np.zeros(3, dtype=np.uint64))
