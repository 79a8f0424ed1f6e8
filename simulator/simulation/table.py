"""The login and lock-out flows compiled into a transition table for the hot loop.

The `transitions` machines are the source of truth; this module reads the same
FlowSpecs and interprets them the way `transitions` runs them (the first transition
of the trigger whose conditions hold and whose ``unless`` guards do not fires; the
``after`` actions run once the state has changed; an action that tells the account
machine something fires that machine's trigger at once). The guards and actions are
given their meaning from the flows' vocabulary (portal.yaml), in terms of a small
abstract account: its lock-out state and its consecutive failure count.

An event of the table is one login attempt from the Please Sign-In page, described
by what the typed password is for the account (its current password, its valid
temporary password, or anything else), the auto-unlock check the portal makes
before a locked account's login when the auto-unlock time has passed, or an Update
Password click on Change Password by a signed-in session (every field right, which
completes the reset; or a wrong Current Password, which counts as a failure). Reachable
account states are found breadth first from the lockout flow's initial state.

A flow that uses a guard or action this compiler does not know raises
:class:`TableCompileError` naming the transition, so the table can never silently
drift from the machines (the differential tests check that it does not).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulator.portal.session import TELLS_ACCOUNT
from simulator.simulation.errors import SimulationError
from specs.model import FlowSet, FlowSpec, Parameters, TransitionSpec

__all__ = [
    "AUTO_UNLOCK_DUE",
    "CURRENT_PASSWORD",
    "EVENTS",
    "FAILED",
    "LOCKED_NOW",
    "NOTHING",
    "OUTCOME_KINDS",
    "PASSWORD_CHANGED",
    "REFUSED_LOCKED",
    "SIGNED_IN",
    "SIGNED_IN_TEMPORARY",
    "TEMPORARY_PASSWORD",
    "WRONG_CURRENT_PASSWORD",
    "WRONG_PASSWORD",
    "AccountState",
    "CompiledTable",
    "Outcome",
    "TableCompileError",
    "compile_table",
]

# Table events (columns).
CURRENT_PASSWORD = 0
TEMPORARY_PASSWORD = 1
WRONG_PASSWORD = 2
AUTO_UNLOCK_DUE = 3
PASSWORD_CHANGED = 4
WRONG_CURRENT_PASSWORD = 5
EVENTS = (
    "log_in_current_password",
    "log_in_temporary_password",
    "log_in_wrong_password",
    "auto_unlock_due",
    "update_password",
    "update_password_wrong_current_password",
)

# What the producer sees, in the simulation's terms.
NOTHING = 0
SIGNED_IN = 1
SIGNED_IN_TEMPORARY = 2
FAILED = 3
LOCKED_NOW = 4
REFUSED_LOCKED = 5
OUTCOME_KINDS = (
    "nothing",
    "signed_in",
    "signed_in_temporary",
    "failed",
    "locked_now",
    "refused_locked",
)

LOGIN_TRIGGER = "submit_login"
UPDATE_PASSWORD_TRIGGER = "click_update_password"
AUTO_UNLOCK_TRIGGER = "check_auto_unlock"
MAX_STATES = 10_000

# Session actions that tell the account nothing.
_SESSION_ONLY = frozenset({"change_password", "sign_out", "remember_temporary_sign_in"})


# Change Password's other guards: the simulation's producers fill the form right.
_CHANGE_RIGHT = frozenset(
    {
        "change_password_fields_given",
        "new_password_meets_policy",
        "new_password_confirmed",
        "new_password_differs",
    }
)


# Guards that read a behavioural parameter (a decision's `parameter:`): its value.
_PARAMETER_GUARDS = frozenset({"empty_login_counts", "wrong_current_password_counts"})


class TableCompileError(SimulationError, ValueError):
    """The flows use something the compiled table cannot express."""


@dataclass(frozen=True, order=True)
class AccountState:
    """The abstract account: lock-out state and consecutive failures."""

    lockout: str
    failures: int

    def __str__(self) -> str:
        return f"{self.lockout}/{self.failures}"


@dataclass(frozen=True)
class Outcome:
    """What one table event does: the transitions fired, in order (``machine.id``),
    the screen the session is on after it, the text key shown, and its kind."""

    fired: tuple[str, ...]
    screen: str
    shows: str | None
    kind: int
    locks: bool
    unlocks: bool


@dataclass(frozen=True)
class CompiledTable:
    """``next_state[s * len(EVENTS) + e]`` and ``outcome[...]`` for state s, event e."""

    states: tuple[AccountState, ...]
    initial: int
    next_state: np.ndarray  # int16, flat
    outcome: np.ndarray  # int16, flat, index into outcomes
    outcomes: tuple[Outcome, ...]
    kind: np.ndarray  # int8 per outcome
    locks: np.ndarray  # bool per outcome
    unlocks: np.ndarray  # bool per outcome
    locked: np.ndarray  # bool per state
    login_screen: str

    def step(self, state: int, event: int) -> tuple[int, Outcome]:
        """The next state and the outcome of ``event`` in ``state``."""
        cell = state * len(EVENTS) + event
        return int(self.next_state[cell]), self.outcomes[int(self.outcome[cell])]

    def index(self, lockout: str, failures: int) -> int:
        """The index of an account state; KeyError if the flows cannot reach it."""
        return self.states.index(AccountState(lockout, failures))


@dataclass(frozen=True)
class _Facts:
    password: int  # CURRENT_PASSWORD, TEMPORARY_PASSWORD or WRONG_PASSWORD
    auto_unlock_due: bool


class _Interpreter:
    """Runs the session flows' submit_login and the account flow, symbolically."""

    def __init__(self, flow_set: FlowSet, parameters: Parameters) -> None:
        self.threshold = parameters.lockout_threshold
        self.parameters = parameters
        accounts = flow_set.flows_of("account")
        sessions = flow_set.flows_of("session")
        if len(accounts) != 1:
            raise TableCompileError(
                f"expected one flow of model 'account' (the lock-out), found {len(accounts)}"
            )
        self.account_flow: FlowSpec = accounts[0]
        self.session_flows = sessions
        self.locked_states = {
            t.dest for t in self.account_flow.transitions if "lock_account" in t.after
        }
        if not self.locked_states:
            raise TableCompileError(
                f"{self.account_flow.path}: no transition runs lock_account, so no state is 'locked'"
            )
        owners = [f for f in sessions for t in f.transitions if t.trigger == LOGIN_TRIGGER]
        if not owners:
            raise TableCompileError(f"no session flow has the trigger {LOGIN_TRIGGER}")
        self.login_flow = owners[0]
        self.login_screen = next(
            s for t in self.login_flow.transitions if t.trigger == LOGIN_TRIGGER for s in t.sources
        )
        updates = [
            (f, s)
            for f in sessions
            for t in f.transitions
            if t.trigger == UPDATE_PASSWORD_TRIGGER
            for s in t.sources
        ]
        if not updates:
            raise TableCompileError(f"no session flow has the trigger {UPDATE_PASSWORD_TRIGGER}")
        self.update_flow, self.update_screen = updates[0]

    @staticmethod
    def _first(
        flow: FlowSpec, state: str, trigger: str, holds: Callable[[TransitionSpec, str], bool]
    ) -> TransitionSpec | None:
        for t in flow.transitions:
            if t.trigger != trigger or state not in t.sources:
                continue
            if all(holds(t, c) for c in t.conditions) and not any(holds(t, u) for u in t.unless):
                return t
        return None

    def _account_guard(
        self, account: AccountState, facts: _Facts
    ) -> Callable[[TransitionSpec, str], bool]:
        def holds(t: TransitionSpec, name: str) -> bool:
            if name == "failure_reaches_lockout_threshold":
                return account.failures + 1 >= self.threshold
            if name == "auto_unlock_due":
                return facts.auto_unlock_due
            raise TableCompileError(
                f"{t.where}: {t.name} uses the guard '{name}', which the compiled table does not model"
            )

        return holds

    def _session_guard(
        self, account: AccountState, facts: _Facts
    ) -> Callable[[TransitionSpec, str], bool]:
        locked = account.lockout in self.locked_states

        def holds(t: TransitionSpec, name: str) -> bool:
            if name == "temporary_password_accepted":
                return facts.password == TEMPORARY_PASSWORD
            if name == "account_locked":
                return locked
            if name == "credentials_accepted":
                return not locked and facts.password == CURRENT_PASSWORD
            if name == "failure_reaches_lockout_threshold":
                return account.failures + 1 >= self.threshold
            if name == "login_fields_given":
                return True  # the simulation's producers type both
            if name in _PARAMETER_GUARDS:
                return bool(getattr(self.parameters, name))
            if name == "session_ended":
                return False  # one session per producer
            if name == "current_password_correct":
                return facts.password != WRONG_CURRENT_PASSWORD
            if name in _CHANGE_RIGHT:
                return True  # the simulation's producers fill the form right
            raise TableCompileError(
                f"{t.where}: {t.name} uses the guard '{name}', which the compiled table does not model"
            )

        return holds

    def tell_account(
        self, account: AccountState, trigger: str, facts: _Facts, fired: list[TransitionSpec]
    ) -> AccountState:
        t = self._first(
            self.account_flow, account.lockout, trigger, self._account_guard(account, facts)
        )
        if t is None:
            return account
        fired.append(t)
        failures = account.failures
        for action in (*t.before, *t.after):
            if action == "count_failure":
                failures += 1
            elif action == "reset_failure_count":
                failures = 0
            elif action not in ("lock_account", "unlock_account"):
                raise TableCompileError(
                    f"{t.where}: {t.name} runs '{action}', which the compiled table does not model"
                )
        return AccountState(t.dest, failures)

    def run(self, account: AccountState, event: int) -> tuple[AccountState, Outcome]:
        fired: list[TransitionSpec] = []
        screen = self.login_screen
        shows = None
        if event == AUTO_UNLOCK_DUE:
            after = self.tell_account(
                account, AUTO_UNLOCK_TRIGGER, _Facts(WRONG_PASSWORD, True), fired
            )
        else:
            facts = _Facts(event, False)
            flow, screen, trigger = (
                (self.update_flow, self.update_screen, UPDATE_PASSWORD_TRIGGER)
                if event in (PASSWORD_CHANGED, WRONG_CURRENT_PASSWORD)
                else (self.login_flow, self.login_screen, LOGIN_TRIGGER)
            )
            t = self._first(flow, screen, trigger, self._session_guard(account, facts))
            after = account
            if t is not None:
                fired.append(t)
                screen = t.dest
                shows = t.shows
                for action in (*t.before, *t.after):
                    if action in _SESSION_ONLY:
                        continue
                    told = TELLS_ACCOUNT.get(action)
                    if told is None:
                        raise TableCompileError(
                            f"{t.where}: {t.name} runs '{action}', which the compiled table does not model"
                        )
                    after = self.tell_account(after, told, facts, fired)
        return after, self._outcome(fired, screen, shows)

    def _outcome(self, fired: list[TransitionSpec], screen: str, shows: str | None) -> Outcome:
        account_fired = [t for t in fired if t.machine == self.account_flow.machine]
        session_fired = [t for t in fired if t.machine != self.account_flow.machine]
        locks = any("lock_account" in t.after for t in account_fired)
        unlocks = any("unlock_account" in t.after for t in account_fired)
        counted = any("count_failure" in t.after for t in account_fired)
        temporary = any("temporary_password_accepted" in t.conditions for t in session_fired)
        if locks:
            kind = LOCKED_NOW
        elif screen != self.login_screen:
            kind = SIGNED_IN_TEMPORARY if temporary else SIGNED_IN
        elif counted:
            kind = FAILED
        elif session_fired:
            kind = REFUSED_LOCKED
        else:
            kind = NOTHING
        return Outcome(tuple(t.name for t in fired), screen, shows, kind, locks, unlocks)


def compile_table(flow_set: FlowSet, parameters: Parameters | None = None) -> CompiledTable:
    """Compile the login attempt and the lock-out flow under ``parameters`` (default:
    the flows' own). Raises TableCompileError for flows the table cannot express."""
    interpreter = _Interpreter(flow_set, parameters or flow_set.portal.parameters)
    start = AccountState(interpreter.account_flow.initial, 0)
    states = [start]
    seen = {start: 0}
    queue = deque([start])
    cells: dict[tuple[int, int], tuple[AccountState, Outcome]] = {}
    while queue:
        state = queue.popleft()
        for event in range(len(EVENTS)):
            after, outcome = interpreter.run(state, event)
            cells[(seen[state], event)] = (after, outcome)
            if after not in seen:
                if len(states) >= MAX_STATES:
                    raise TableCompileError(
                        f"more than {MAX_STATES} account states: the failure count never locks"
                    )
                seen[after] = len(states)
                states.append(after)
                queue.append(after)
    outcomes: dict[Outcome, int] = {}
    next_state = np.zeros(len(states) * len(EVENTS), dtype=np.int16)
    outcome_of = np.zeros(len(states) * len(EVENTS), dtype=np.int16)
    for (s, e), (after, result) in cells.items():
        next_state[s * len(EVENTS) + e] = seen[after]
        outcome_of[s * len(EVENTS) + e] = outcomes.setdefault(result, len(outcomes))
    ordered = tuple(sorted(outcomes, key=outcomes.__getitem__))
    return CompiledTable(
        states=tuple(states),
        initial=0,
        next_state=next_state,
        outcome=outcome_of,
        outcomes=ordered,
        kind=np.array([o.kind for o in ordered], dtype=np.int8),
        locks=np.array([o.locks for o in ordered], dtype=bool),
        unlocks=np.array([o.unlocks for o in ordered], dtype=bool),
        locked=np.array([s.lockout in interpreter.locked_states for s in states], dtype=bool),
        login_screen=interpreter.login_screen,
    )
