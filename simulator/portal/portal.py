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
import logging
import secrets
import string
import threading
from collections.abc import Callable
from typing import Any

from simulator.mail.mailbox import Transport
from simulator.mail.messages import render_email
from simulator.portal.account import Account, AccountView
from simulator.portal.clock import Clock, SimulatedClock
from simulator.portal.forms import STATE, normalize_identifier
from simulator.portal.ledger import UnknownNameLedger
from simulator.portal.passwords import DEFAULT_HASH_ITERATIONS, PasswordHash
from simulator.portal.screens import Screen, directory_rows, directory_unknown_rows
from simulator.portal.session import Session
from specs.errors import RppError
from specs.model import FlowSet, Parameters, TransitionSpec

__all__ = ["OPEN_PORTAL", "Portal", "PortalUsageError"]

OPEN_PORTAL = "open_portal"
"""The trigger the flows take when a browser opens the portal's address (LOGIN-1's bookmark)."""

_log = logging.getLogger("rpp.portal")
_RECOVERY_WINDOW = dt.timedelta(hours=1)  # decision recovery-email-limit
_DECOY_ADDRESS = "nobody@rpp.invalid"  # RFC 2606: a name that cannot receive mail


class PortalUsageError(RppError):
    """A driver asked for something no producer could do on this screen (a test bug,
    not bad input): a button or field the screen does not have."""


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
        self.ledger = UnknownNameLedger(self.parameters, self.clock)
        self._decoy = PasswordHash.of(secrets.token_urlsafe(16), hash_iterations)
        # normalized address -> when recovery emails were sent to it in the last hour
        self._recovery_sent: dict[str, list[dt.datetime]] = {}
        self._acting: str | None = None  # the stored user name the current click acts for

    # -- accounts ---------------------------------------------------------------------------
    def register(
        self,
        user_name: str,
        agent_unique_id: str,
        email: str,
        password: str,
        home_state: str = "IL",
        state_farm: bool = False,
    ) -> Account:
        """Create an account (registration itself is out of the guide's scope)."""
        with self.lock:
            key = normalize_identifier(user_name)
            if key in self._accounts:
                raise ValueError(f"user name {user_name!r} is taken")
            account = self.account_class(
                self, user_name, agent_unique_id, email, password, home_state, state_farm
            )
            self._accounts[key] = account
            self._by_email.setdefault(normalize_identifier(email), []).append(account)
            return account

    def register_producer(self, producer: Any, password: str | None = None) -> Account:
        """Register a population producer (anything with the Producer fields),
        with ``password`` instead of the producer's own when given."""
        return self.register(
            producer.user_name,
            producer.agent_unique_id,
            producer.email,
            producer.password if password is None else password,
            producer.home_state,
            producer.state_farm,
        )

    def account_named(self, user_name: str) -> Account | None:
        return self._accounts.get(normalize_identifier(user_name))

    def accounts_at(self, email: str) -> list[Account]:
        return list(self._by_email.get(normalize_identifier(email), []))

    def view(self, user_name: str) -> AccountView | None:
        """The read-only view of the account named ``user_name`` (None if nobody has it):
        what testers observe instead of the account's internals."""
        with self.lock:
            account = self.account_named(user_name)
            return None if account is None else account.view()

    def on_fired(self, listener: Callable[[TransitionSpec], None]) -> None:
        """Call ``listener`` with each transition the machines take, in order."""
        self.listeners.append(listener)

    def accounts(self) -> list[Account]:
        return list(self._accounts.values())

    def unknown_failures(self, user_name: str) -> int:
        """Consecutive failed logins typed with this unknown user name (the ledger)."""
        return self.ledger.failures(user_name)

    def decoy_hash(self, password: str) -> None:
        """Spend one password hash on nothing, so that an unknown user name or a
        mismatching form costs what a real account costs (no enumeration by timing)."""
        self._decoy.matches(password)

    def recovery_allowed(self, address: str) -> bool:
        """Whether one more recovery email may go to ``address`` now (decision
        recovery-email-limit); when it may, it is counted."""
        limit = self.parameters.recovery_emails_per_hour
        if limit is None:
            return True
        now = self.clock.now()
        key = normalize_identifier(address)
        recent = [t for t in self._recovery_sent.get(key, []) if now - t < _RECOVERY_WINDOW]
        allowed = len(recent) < limit
        if allowed:
            recent.append(now)
        if recent:
            self._recovery_sent[key] = recent
        else:
            self._recovery_sent.pop(key, None)
        return allowed

    def decoy_email(self, kind: str, **fields: str | list[str]) -> None:
        """Make an email of ``kind`` and send it nowhere, so that a recovery request that
        matches nobody costs what one that emails a producer costs (no enumeration by
        timing: the served portal answers before it sends, not before it writes)."""
        render_email(self.flow_set.portal, kind, _DECOY_ADDRESS, self.clock.now(), **fields)

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

    def open_portal(self, session: Session) -> Screen:
        """Open the portal's address in this browser (a bookmark, LOGIN-1): the flows'
        :data:`OPEN_PORTAL` trigger from whatever screen it shows; what was typed and any
        message are gone; the screen that follows (the same one when no flow takes it)."""
        with self.lock:
            account = session.account
            self._acting = account.user_name if account is not None else None
            try:
                session.messages = ()
                session.machines.fire(OPEN_PORTAL)
            finally:
                self._acting = None
                session.form = {}
            return self.screen(session)

    def screen(self, session: Session) -> Screen:
        spec = self.flow_set.portal.screens[session.state]
        texts = self.flow_set.portal.texts
        rows = directory_rows(self.flow_set, session.state) if spec.directory else ()
        return Screen(
            name=session.state,
            title=spec.title,
            texts=tuple(line for key in spec.texts for line in texts[key].lines),
            messages=session.messages,
            fields=spec.fields,
            required=spec.required,
            buttons=spec.buttons,
            links=spec.links,
            menus=spec.menus,
            menu_links=tuple(
                (link, menu)
                for link in spec.links
                for menu, links in spec.menu_links.items()
                if link in links
            ),
            directory_states=self.flow_set.portal.producer_services.states
            if spec.directory
            else (),
            directory=rows,
            directory_unknown=directory_unknown_rows(self.flow_set, session.state)
            if spec.directory
            else (),
            chosen_state=session.chosen_state
            if STATE in spec.fields and session.chosen_state in self.parameters.states
            else None,
        )

    # -- exploration support ------------------------------------------------------------------
    def snapshot(self) -> dict[int, dict[str, Any]]:
        """The mutable state of every account, session-independent data and the clock."""
        with self.lock:
            saved: dict[int, dict[str, Any]] = {
                id(a): {**vars(a), "locked_for": list(a.locked_for)}
                for a in self._accounts.values()
            }
            saved[id(self)] = {
                "ledger": self.ledger.snapshot(),
                "recovery_sent": {k: list(v) for k, v in self._recovery_sent.items()},
            }
            if isinstance(self.clock, SimulatedClock):
                saved[id(self.clock)] = {"_now": self.clock.now()}
            return saved

    def restore(self, saved: dict[int, dict[str, Any]]) -> None:
        with self.lock:
            for account in self._accounts.values():
                vars(account).update(saved[id(account)])
                account.locked_for = list(account.locked_for)
            self.ledger.restore(saved[id(self)]["ledger"])
            self._recovery_sent = {
                k: list(v) for k, v in saved[id(self)].get("recovery_sent", {}).items()
            }
            if isinstance(self.clock, SimulatedClock):
                self.clock.set(saved[id(self.clock)]["_now"])
