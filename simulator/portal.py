"""The executable Retail Producer Portal, run by the `transitions` machines of the flows.

A :class:`Portal` holds producer accounts (the lockout flow's model) and browser
sessions (the model of the login, username-recovery and reset flows). The guards
and actions the flows name are methods of :class:`Session` and :class:`Account`;
the machines decide which transition fires. Passwords are kept only as salted
PBKDF2 hashes; temporary passwords come from :mod:`secrets`. Time comes from an
injected clock. Every screen a producer sees is a :class:`Screen` value whose
texts come from ``portal.yaml``.

No user enumeration, by screens or by work: an unknown user name costs the same
password hashes as a known one (a decoy hash stands in), the unknown-name ledger
keeps keyed digests, not what was typed (a password typed as a user name must not
be kept), and the event log (logger ``rpp.portal``, INFO) names transitions and
the stored user names of known accounts only, never typed input or passwords.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.clock import Clock, SimulatedClock
from simulator.emails import render_email
from simulator.mailbox import Transport
from specs.machines import FlowMachines
from specs.model import FlowSet, Parameters, TransitionSpec

__all__ = [
    "DEFAULT_HASH_ITERATIONS",
    "HARNESS_HASH_ITERATIONS",
    "Account",
    "DirectoryRow",
    "Portal",
    "PortalUsageError",
    "Screen",
    "Session",
    "field_errors",
    "normalize_identifier",
]

# The PBKDF2 cost is a deployment setting, not flow behaviour: a stand-alone portal
# uses a production-like cost; the harness (verify, features, explorer) a low one so
# thousands of logins stay fast. Either way only salted hashes are stored.
DEFAULT_HASH_ITERATIONS = 100_000
HARNESS_HASH_ITERATIONS = 1_000

# Field labels, exactly as the screens of portal.yaml name them (a test checks).
USER_NAME = "User Name"
PASSWORD = "Password"
AGENT_UNIQUE_ID = "Agent Unique ID"
EMAIL = "E-mail Address"
CURRENT_PASSWORD = "Current Password"
NEW_PASSWORD = "New Password"
CONFIRM_NEW_PASSWORD = "Confirm New Password"
STATE = "State"
FIELD_LABELS = (
    USER_NAME,
    PASSWORD,
    AGENT_UNIQUE_ID,
    EMAIL,
    CURRENT_PASSWORD,
    NEW_PASSWORD,
    CONFIRM_NEW_PASSWORD,
    STATE,
)

_log = logging.getLogger("rpp.portal")

_AGENT_UNIQUE_ID = re.compile(r"[0-9]{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class PortalUsageError(Exception):
    """A driver asked for something no producer could do on this screen (a test bug,
    not bad input): a button or field the screen does not have."""


def normalize_identifier(value: str) -> str:
    """User names and email addresses compare without case or surrounding spaces
    (decision identifiers-case)."""
    return value.strip().casefold()


def _well_formed_agent_unique_id(value: str) -> bool:
    return bool(_AGENT_UNIQUE_ID.fullmatch(value.strip()))


def _well_formed_email(value: str) -> bool:
    value = value.strip()
    return len(value) <= 254 and bool(_EMAIL.fullmatch(value))


def field_errors(screen: str, form: dict[str, str]) -> tuple[str, ...]:
    """The text keys of portal.yaml for each missing or malformed field of a form
    (decision form-field-messages), in the order of the form's fields."""
    errors: list[str] = []
    auid = form.get(AGENT_UNIQUE_ID, "").strip()
    email = form.get(EMAIL, "").strip()
    if screen == "forgot_user_name":
        if not auid:
            errors.append("agent_unique_id_required")
        elif not _well_formed_agent_unique_id(auid):
            errors.append("agent_unique_id_malformed")
        if not email:
            errors.append("email_required")
        elif not _well_formed_email(email):
            errors.append("email_malformed")
    elif screen == "reset_password":
        if not form.get(USER_NAME, "").strip():
            errors.append("user_name_required")
        if not email and not auid:
            errors.append("reset_instruction")
        if email and not _well_formed_email(email):
            errors.append("email_malformed")
        if auid and not _well_formed_agent_unique_id(auid):
            errors.append("agent_unique_id_malformed")
    return tuple(errors)


@dataclass(frozen=True)
class PasswordHash:
    """A salted PBKDF2-SHA256 hash; the password itself is never kept."""

    salt: bytes
    digest: bytes
    iterations: int

    @classmethod
    def of(cls, password: str, iterations: int) -> PasswordHash:
        salt = secrets.token_bytes(16)
        return cls(salt, _pbkdf2(password, salt, iterations), iterations)

    def matches(self, password: str) -> bool:
        return hmac.compare_digest(self.digest, _pbkdf2(password, self.salt, self.iterations))

    def __repr__(self) -> str:
        return "PasswordHash(<hidden>)"


def _pbkdf2(password: str, salt: bytes, iterations: int) -> bytes:
    # surrogatepass: any str a form can carry hashes; it just never matches.
    return hashlib.pbkdf2_hmac(
        "sha256", password.encode("utf-8", "surrogatepass"), salt, iterations
    )


@dataclass(frozen=True)
class DirectoryRow:
    """A row of the Producer Services table a form shows; None where illegible."""

    label: str
    numbers: tuple[str | None, ...]  # in the guide's state order


@dataclass(frozen=True)
class Screen:
    """What a producer sees: the screen's name, its texts and any messages."""

    name: str
    title: str
    texts: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    buttons: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    menus: tuple[str, ...] = ()
    directory_states: tuple[str, ...] = ()
    directory: tuple[DirectoryRow, ...] = ()

    def describe(self) -> str:
        """A readable dump, for failure messages."""
        lines = [f"[{self.name}] {self.title}"]
        lines += [f"  ! {m}" for m in self.messages]
        lines += [f"  {t}" for t in self.texts]
        if self.fields:
            lines.append(f"  fields: {', '.join(self.fields)}")
        controls = [*self.buttons, *self.links]
        if controls:
            lines.append(f"  buttons/links: {', '.join(controls)}")
        return "\n".join(lines)


def _directory_rows(flow_set: FlowSet, screen: str) -> tuple[DirectoryRow, ...]:
    """The Producer Services table a form shows (USER-8, SERVICES-1/2): every line with
    its cells' dates, and the State Farm row, whose cells are illegible, on the screens
    that have it."""
    services = flow_set.portal.producer_services
    rows = [
        DirectoryRow(line.label, tuple(line.cells[s].text for s in services.states))
        for line in services.lines.values()
    ]
    if screen in services.state_farm_row_on:
        rows.append(DirectoryRow(services.state_farm_label, (None,) * len(services.states)))
    return tuple(rows)


class Account:
    """A producer's account: the lockout flow's model."""

    def __init__(
        self,
        portal: Portal,
        user_name: str,
        agent_unique_id: str,
        email: str,
        password: str,
        state: str = "IL",
        state_farm: bool = False,
    ) -> None:
        self.portal = portal
        self.user_name = user_name
        self.agent_unique_id = agent_unique_id
        self.email = email
        self.home_state = state
        self.state_farm = state_farm
        self.password = PasswordHash.of(password, portal.hash_iterations)
        self.temporary: PasswordHash | None = None
        self.temporary_issued_at: dt.datetime | None = None
        self.failed_attempts = 0
        self.password_changes = 0  # sessions signed in before a change are ended
        self.locked_at: dt.datetime | None = None
        self.locked_for: list[dt.timedelta] = []
        self.state = ""
        self.machines = FlowMachines(portal.flow_set, "account", self, portal.fired)

    def __repr__(self) -> str:
        return f"Account({self.user_name!r}, {self.state}, failed_attempts={self.failed_attempts})"

    @property
    def locked(self) -> bool:
        return self.state == "locked"

    def temporary_valid(self) -> bool:
        if self.temporary is None or self.temporary_issued_at is None:
            return False
        lifetime = dt.timedelta(minutes=self.portal.parameters.temporary_password_valid_minutes)
        return self.portal.clock.now() < self.temporary_issued_at + lifetime

    def _temporary_form(self, password: str) -> str:
        """RESET-6: a temporary password is matched with case unless
        parameters.temporary_password_case_sensitive is false."""
        if self.portal.parameters.temporary_password_case_sensitive:
            return password
        return password.casefold()

    def store_temporary_password(self, temporary: str) -> None:
        """Keep the hash of a newly emailed temporary password (voiding any older one)."""
        self.temporary = PasswordHash.of(
            self._temporary_form(temporary), self.portal.hash_iterations
        )
        self.temporary_issued_at = self.portal.clock.now()

    def temporary_matches(self, password: str) -> bool:
        return (
            self.temporary_valid()
            and self.temporary is not None
            and self.temporary.matches(self._temporary_form(password))
        )

    # -- guards (vocabulary.conditions) ---------------------------------------------------
    def failure_reaches_lockout_threshold(self) -> bool:
        return self.failed_attempts + 1 >= self.portal.parameters.lockout_threshold

    def auto_unlock_due(self) -> bool:
        minutes = self.portal.parameters.auto_unlock_after_minutes
        if minutes is None or self.locked_at is None:
            return False
        return self.portal.clock.now() >= self.locked_at + dt.timedelta(minutes=minutes)

    # -- actions (vocabulary.actions) -----------------------------------------------------
    def count_failure(self) -> None:
        self.failed_attempts += 1

    def reset_failure_count(self) -> None:
        self.failed_attempts = 0

    def lock_account(self) -> None:
        self.locked_at = self.portal.clock.now()

    def unlock_account(self) -> None:
        if self.locked_at is not None:
            self.locked_for.append(self.portal.clock.now() - self.locked_at)
        self.locked_at = None


class Session:
    """A browser session: the model of the login, username-recovery and reset flows.

    ``state`` is the screen; ``form`` holds what the producer typed on it.
    """

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.form: dict[str, str] = {}
        self.messages: tuple[str, ...] = ()
        self.account: Account | None = None  # signed in as
        self.signed_in_at_change = 0  # the account's password_changes when signed in
        self.chosen_state: str | None = None
        self.state = ""
        self.machines = FlowMachines(portal.flow_set, "session", self, portal.fired)

    def _typed(self, label: str) -> str:
        return self.form.get(label, "")

    def _typed_account(self) -> Account | None:
        return self.portal.account_named(self._typed(USER_NAME))

    def _subject(self) -> Account | None:
        """The account a password check is about: the signed-in one, else the typed one."""
        return self.account if self.account is not None else self._typed_account()

    def _ledger_key(self) -> str:
        """The typed user name; the portal keeps only a keyed digest of it."""
        return self._typed(USER_NAME)

    # -- guards (vocabulary.conditions) ---------------------------------------------------
    def temporary_password_accepted(self) -> bool:
        account = self._typed_account()
        typed = self._typed(PASSWORD)
        if account is None or not account.temporary_valid():
            self.portal.decoy_hash(typed)  # as long as checking a real temporary password
            return False
        return account.temporary_matches(typed)

    def account_locked(self) -> bool:
        account = self._typed_account()
        if account is not None:
            return account.locked
        return self.portal.unknown_failures(self._ledger_key()) >= self._threshold()

    def credentials_accepted(self) -> bool:
        account = self._typed_account()
        typed = self._typed(PASSWORD)
        if account is None:
            self.portal.decoy_hash(typed)  # as long as checking a real password
            return False
        return account.password.matches(typed) and not account.locked

    def failure_reaches_lockout_threshold(self) -> bool:
        account = self._subject()
        if account is not None:
            return account.failure_reaches_lockout_threshold()
        return self.portal.unknown_failures(self._ledger_key()) + 1 >= self._threshold()

    def session_ended(self) -> bool:
        account = self.account
        return account is not None and account.password_changes != self.signed_in_at_change

    def state_offered(self) -> bool:
        return self._typed(STATE).strip().upper() in self.portal.parameters.states

    def username_form_valid(self) -> bool:
        return not field_errors("forgot_user_name", self.form)

    def reset_form_valid(self) -> bool:
        return not field_errors("reset_password", self.form)

    def change_password_fields_given(self) -> bool:
        return all(self._typed(f) for f in (CURRENT_PASSWORD, NEW_PASSWORD, CONFIRM_NEW_PASSWORD))

    def current_password_correct(self) -> bool:
        account = self.account
        current = self._typed(CURRENT_PASSWORD)
        return account is not None and (
            account.password.matches(current) or account.temporary_matches(current)
        )

    def new_password_meets_policy(self) -> bool:
        return self.portal.parameters.password_policy.accepts(self._typed(NEW_PASSWORD))

    def new_password_confirmed(self) -> bool:
        return hmac.compare_digest(
            self._typed(NEW_PASSWORD).encode("utf-8", "surrogatepass"),
            self._typed(CONFIRM_NEW_PASSWORD).encode("utf-8", "surrogatepass"),
        )

    def new_password_differs(self) -> bool:
        new = self._typed(NEW_PASSWORD)
        account = self.account
        return (
            new != self._typed(CURRENT_PASSWORD)
            and account is not None
            and not account.password.matches(new)
        )

    def _threshold(self) -> int:
        return self.portal.parameters.lockout_threshold

    # -- actions (vocabulary.actions) -----------------------------------------------------
    def record_login_success(self) -> None:
        account = self._typed_account()
        assert account is not None
        account.machines.fire("succeed_login")
        self.account = account
        self.signed_in_at_change = account.password_changes

    def record_login_failure(self) -> None:
        account = self._subject()
        if account is None:
            self.portal.count_unknown_failure(self._ledger_key())
        else:
            account.machines.fire("fail_login")

    def sign_out(self) -> None:
        self.account = None
        self.chosen_state = None

    def remember_state(self) -> None:
        self.chosen_state = self._typed(STATE).strip().upper()

    def show_field_errors(self) -> None:
        texts = self.portal.flow_set.portal.texts
        self.messages = tuple(texts[key].text for key in field_errors(self.state, self.form))

    def send_username_email(self) -> None:
        auid = self._typed(AGENT_UNIQUE_ID).strip()
        email = normalize_identifier(self._typed(EMAIL))
        linked = self.portal.accounts_at(email)
        if any(a.agent_unique_id == auid for a in linked):
            self.portal.send("username", linked[0].email, user_names=[a.user_name for a in linked])

    def issue_temporary_password(self) -> None:
        account = self._typed_account()
        email = self._typed(EMAIL).strip()
        auid = self._typed(AGENT_UNIQUE_ID).strip()
        if (
            account is None
            or (email and normalize_identifier(email) != normalize_identifier(account.email))
            or (auid and auid != account.agent_unique_id)
        ):
            self.portal.decoy_hash("")  # as long as hashing a new temporary password
            return
        temporary = self.portal.new_temporary_password()
        account.store_temporary_password(temporary)
        self.portal.send("password_reset", account.email, temporary_password=temporary)

    def change_password(self) -> None:
        account = self.account
        assert account is not None
        account.password = PasswordHash.of(self._typed(NEW_PASSWORD), self.portal.hash_iterations)
        account.temporary = None
        account.temporary_issued_at = None
        account.password_changes += 1
        self.signed_in_at_change = account.password_changes

    def complete_password_reset(self) -> None:
        account = self.account
        assert account is not None
        account.machines.fire("complete_password_reset")


class Portal:
    """The portal: accounts, sessions, and the machines that run them.

    Safe to drive from many threads: each producer action runs under one lock.
    """

    def __init__(
        self,
        flow_set: FlowSet,
        transport: Transport,
        clock: Clock | None = None,
        parameters: Parameters | None = None,
        hash_iterations: int = DEFAULT_HASH_ITERATIONS,
        session_class: type[Session] = Session,
        account_class: type[Account] = Account,
    ) -> None:
        self.flow_set = flow_set
        self.transport = transport
        self.clock: Clock = clock or SimulatedClock()
        self.parameters = parameters or flow_set.portal.parameters
        self.hash_iterations = hash_iterations
        self.session_class = session_class
        self.account_class = account_class
        self.lock = threading.RLock()
        self.listeners: list[Callable[[TransitionSpec], None]] = []
        self.emails_sent: dict[str, int] = {}
        self._accounts: dict[str, Account] = {}
        self._by_email: dict[str, list[Account]] = {}
        # keyed digest of the typed name -> (consecutive failures, when it reached the threshold)
        self._unknown_failures: dict[bytes, tuple[int, dt.datetime | None]] = {}
        self._ledger_secret = secrets.token_bytes(32)
        self._decoy = PasswordHash.of(secrets.token_urlsafe(16), hash_iterations)
        self._acting: str | None = None  # the stored user name the current click acts for

    # -- accounts ---------------------------------------------------------------------------
    def register(
        self,
        user_name: str,
        agent_unique_id: str,
        email: str,
        password: str,
        state: str = "IL",
        state_farm: bool = False,
    ) -> Account:
        """Create an account (registration itself is out of the guide's scope)."""
        with self.lock:
            key = normalize_identifier(user_name)
            if key in self._accounts:
                raise ValueError(f"user name {user_name!r} is taken")
            account = self.account_class(
                self, user_name, agent_unique_id, email, password, state, state_farm
            )
            self._accounts[key] = account
            self._by_email.setdefault(normalize_identifier(email), []).append(account)
            return account

    def register_producer(self, producer: Any) -> Account:
        """Register a population producer (anything with the Producer fields)."""
        return self.register(
            producer.user_name,
            producer.agent_unique_id,
            producer.email,
            producer.password,
            producer.state,
            producer.state_farm,
        )

    def account_named(self, user_name: str) -> Account | None:
        return self._accounts.get(normalize_identifier(user_name))

    def accounts_at(self, email: str) -> list[Account]:
        return list(self._by_email.get(normalize_identifier(email), []))

    def accounts(self) -> list[Account]:
        return list(self._accounts.values())

    def unknown_failures(self, user_name: str) -> int:
        """Consecutive failed logins typed with this unknown user name. Like a real
        account's lock, the count lapses once the auto-unlock time has passed, so the
        screens never tell a real name from an unknown one (decision unknown-user-name)."""
        key = self._ledger_digest(user_name)
        count, locked_at = self._unknown_failures.get(key, (0, None))
        minutes = self.parameters.auto_unlock_after_minutes
        if (
            locked_at is not None
            and minutes is not None
            and self.clock.now() >= locked_at + dt.timedelta(minutes=minutes)
        ):
            del self._unknown_failures[key]
            return 0
        return count

    def count_unknown_failure(self, user_name: str) -> None:
        key = self._ledger_digest(user_name)
        count = self.unknown_failures(user_name) + 1
        _, locked_at = self._unknown_failures.get(key, (0, None))
        if count >= self.parameters.lockout_threshold and locked_at is None:
            locked_at = self.clock.now()
        self._unknown_failures[key] = (count, locked_at)

    def _ledger_digest(self, user_name: str) -> bytes:
        # Keyed, so the ledger holds nothing a reader could turn back into what was typed.
        typed = normalize_identifier(user_name).encode("utf-8", "surrogatepass")
        return hmac.digest(self._ledger_secret, typed, "sha256")

    def decoy_hash(self, password: str) -> None:
        """Spend one password hash on nothing, so that an unknown user name or a
        mismatching form costs what a real account costs (no enumeration by timing)."""
        self._decoy.matches(password)

    # -- machinery ------------------------------------------------------------------------
    def fired(self, spec: TransitionSpec) -> None:
        _log.info("%s user=%s", spec.name, self._acting or "-")
        for listener in self.listeners:
            listener(spec)

    def new_temporary_password(self) -> str:
        """Random from `secrets`, satisfying the policy, with upper and lower case letters
        and a digit so that its case matters."""
        alphabet = string.ascii_letters + string.digits
        length = self.parameters.temporary_password_length
        policy = self.parameters.password_policy
        while True:
            candidate = "".join(secrets.choice(alphabet) for _ in range(length))
            if (
                policy.accepts(candidate)
                and any(c.islower() for c in candidate)
                and any(c.isupper() for c in candidate)
                and any(c.isdigit() for c in candidate)
            ):
                return candidate

    def send(self, kind: str, to: str, **fields: str | list[str]) -> None:
        message = render_email(self.flow_set.portal, kind, to, self.clock.now(), **fields)
        self.emails_sent[kind] = self.emails_sent.get(kind, 0) + 1
        self.transport.send(message)

    # -- sessions ---------------------------------------------------------------------------
    def open_session(self) -> Session:
        """A fresh browser session on the login page (also: browser closed, cache cleared)."""
        with self.lock:
            return self.session_class(self)

    def fill(self, session: Session, label: str, value: str) -> None:
        with self.lock:
            spec = self.flow_set.portal.screens[session.state]
            if label not in spec.fields:
                raise PortalUsageError(
                    f"the {spec.title} screen has no field {label!r} (fields: {', '.join(spec.fields) or 'none'})"
                )
            session.form[label] = value

    def click(self, session: Session, label: str) -> Screen:
        """Click a button or link; the screen that follows."""
        with self.lock:
            spec = self.flow_set.portal.screens[session.state]
            trigger = spec.clicks.get(label)
            if trigger is None:
                controls = ", ".join(spec.clicks) or "none"
                raise PortalUsageError(
                    f"the {spec.title} screen has no {label!r} to click (it has: {controls})"
                )
            typed = session._typed_account()
            acting = session.account or typed
            self._acting = acting.user_name if acting is not None else None
            try:
                if trigger == "submit_login" and typed is not None and typed.locked:
                    typed.machines.fire("check_auto_unlock")
                session.messages = ()
                fired = session.machines.fire(trigger)
                if fired is not None and fired.shows:
                    session.messages = (self.flow_set.portal.texts[fired.shows].text,)
            finally:
                self._acting = None
                session.form = {}  # what was typed (passwords too) is not kept
            return self.screen(session)

    def screen(self, session: Session) -> Screen:
        spec = self.flow_set.portal.screens[session.state]
        texts = self.flow_set.portal.texts
        rows = _directory_rows(self.flow_set, session.state) if spec.directory else ()
        return Screen(
            name=session.state,
            title=spec.title,
            texts=tuple(line for key in spec.texts for line in texts[key].lines),
            messages=session.messages,
            fields=spec.fields,
            buttons=spec.buttons,
            links=spec.links,
            menus=spec.menus,
            directory_states=self.flow_set.portal.producer_services.states
            if spec.directory
            else (),
            directory=rows,
        )

    # -- exploration support ------------------------------------------------------------------
    def snapshot(self) -> dict[int, dict[str, Any]]:
        """The mutable state of every account, session-independent data and the clock."""
        with self.lock:
            saved: dict[int, dict[str, Any]] = {
                id(a): {**vars(a), "locked_for": list(a.locked_for)}
                for a in self._accounts.values()
            }
            saved[id(self)] = {"_unknown_failures": dict(self._unknown_failures)}
            if isinstance(self.clock, SimulatedClock):
                saved[id(self.clock)] = {"_now": self.clock.now()}
            return saved

    def restore(self, saved: dict[int, dict[str, Any]]) -> None:
        with self.lock:
            for account in self._accounts.values():
                vars(account).update(saved[id(account)])
                account.locked_for = list(account.locked_for)
            self._unknown_failures = dict(saved[id(self)]["_unknown_failures"])
            if isinstance(self.clock, SimulatedClock):
                self.clock.set(saved[id(self.clock)]["_now"])
