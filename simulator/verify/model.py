"""The conformance model: the flows composed into one deterministic Mealy machine of
what a producer observes, built by running the reference portal of the flows.

- **Inputs** are the producer actions of :data:`simulator.verify.journeys.ALPHABET`.
  An action the producer's screen does not offer (or that needs something the
  producer does not know yet, such as a temporary password) is *disabled*: its output
  is :data:`DISABLED` and nothing happens. Since a target's screen has matched the
  model's before every step, the same action is disabled on both.
- **Outputs** are :class:`Observation` values: the whole screen the action leads to
  (title, texts, messages, fields, buttons, links, menus, directory headers and every
  cell) and every email it causes (recipient, subject and body, exactly), with the
  producers' own details and the temporary password replaced by role placeholders so
  that any journey group gives the same outputs.
- **States** are keyed by everything that changes future behaviour, read from the
  reference through its public surface only (:meth:`Portal.view`, the unknown-name
  ledger) and from what the producer knows: the screen of the producer's browser, the
  account's lock and consecutive failures, the temporary passwords emailed and whether
  the newest is still valid, the time since each timer of the flows started (capped at
  its parameter), the password history the producer knows, how the browser signed in.
  :func:`build_model` reaches every state by running its access word on a fresh
  reference, so no state is ever copied; two words with one key but different outputs raise
  :class:`ModelError` (a key too coarse would make the model wrong, never silently).

The reference is the flows' own ``transitions`` machines (:mod:`simulator.portal`):
edit a flow and the model changes with it. The target is a black box reached only
through the driver protocol.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from email.message import EmailMessage

from simulator.drivers import MAIL_POLL_SECONDS
from simulator.drivers.in_process import InProcessTarget
from simulator.drivers.protocol import Target
from simulator.mail.messages import MissingEmailPart, body_of
from simulator.population import Producer
from simulator.portal.screens import Screen
from simulator.verify.journeys import ALPHABET, UNKNOWN_USER_NAME, Action, Knowledge, action
from simulator.verify.secrets_seen import temporary_password_reader
from simulator.verify.wmethod import MealyMachine
from specs.errors import RppError
from specs.model import FlowSet, Parameters, TransitionSpec

__all__ = [
    "DISABLED",
    "HOME_STATE",
    "OTHER_OFFERED_STATE",
    "TEMPORARY_PASSWORD",
    "ConformanceModel",
    "EmailSeen",
    "ModelError",
    "Observation",
    "Output",
    "Probe",
    "build_model",
    "roles",
    "state_key",
    "temporary_password_mask",
]

DISABLED = "-"
TEMPORARY_PASSWORD = "{temporary_password}"
HOME_STATE = "{producer.home_state}"
OTHER_OFFERED_STATE = "{another state offered}"
MAIL_WAITS_EXPIRED = 3  # waits in a row without the mail, after which none is waited for
_EXPIRED = [0]  # in this process: reads in a row that expected mail and did not get it


class ModelError(RppError):
    """The flows cannot be composed into a deterministic model over the alphabet."""


@dataclass(frozen=True)
class EmailSeen:
    """One email as the producer reads it, producers' details as role placeholders."""

    sender: str
    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class Observation:
    """What one action shows: the screen it leads to and the emails it causes."""

    screen: Screen
    emails: tuple[EmailSeen, ...] = ()


Output = Observation | str  # an Observation, or DISABLED


class Probe:
    """One journey on a target: the producer's browser, what they know, and the
    observation of each action. Touches the target only through the driver protocol."""

    def __init__(
        self,
        target: Target,
        group: Sequence[Producer],
        outsider: Producer,
        parameters: Parameters,
        flow_set: FlowSet,
    ) -> None:
        for producer in (*group, outsider):
            target.register(producer)
        self.target = target
        self.parameters = parameters
        self.driver = target.open_browser()
        self.screen = self.driver.screen()
        self.knowledge = Knowledge.of(group[0], flow_set.portal, tuple(group), outsider)
        self._roles = roles(group, outsider)
        self._passwords = {p.password for p in (*group, outsider)}
        self._found: set[str] = set()  # temporary passwords of any email, whoever it was to
        details = [v for p in (*group, outsider) for v in (p.user_name, p.agent_unique_id)]
        self._find = temporary_password_reader(flow_set.portal, parameters, target, lambda: details)
        self._seen = len(target.mailbox.search())

    @property
    def secrets(self) -> set[str]:
        """Every password of the journey: the producers', those made or typed as theirs,
        and every temporary password an email gave (to be masked wherever verify writes)."""
        return self._passwords | self._found | self.knowledge.secrets

    def enabled(self, key: str | Action) -> bool:
        """Whether the producer can do ``key`` (an action of the alphabet, or any
        :class:`Action`, such as the walks' long waits) now."""
        act = key if isinstance(key, Action) else action(key)
        return self.screen.name in act.screens and act.needs(self.knowledge, self.parameters)

    def step(self, key: str | Action, read_mail: bool = True, expect: int = 0) -> Output:
        """Do ``key``; the observation holds the mail that arrived since the last read
        when ``read_mail`` (waiting up to the target's ``mail_wait`` seconds for
        ``expect`` emails), else none (it is read at a later step)."""
        if not self.enabled(key):
            return DISABLED
        act = key if isinstance(key, Action) else action(key)
        screen = act.run(self.driver, self.target, self.knowledge, self.parameters)
        if not act.elsewhere:
            self.screen = screen
        emails = self.read_mail(expect) if read_mail else ()
        return Observation(self._screen(screen), emails)

    def read_mail(self, expect: int = 0) -> tuple[EmailSeen, ...]:
        """The emails that arrived since the last read, oldest first; the producer reads
        theirs. A portal may send mail after its page is shown: while fewer than
        ``expect`` arrived, the mailbox is asked again for up to the target's
        ``mail_wait`` seconds (an email later than that, or one nobody expects that
        comes after the read, is seen at the next read). After
        :data:`MAIL_WAITS_EXPIRED` waits in a row ended without the mail, this process
        stops waiting until a read finds all the mail it expects (a mailbox that never
        gets the portal's mail would otherwise cost every journey the wait)."""
        mail = self.target.mailbox.search()
        wait = float(getattr(self.target, "mail_wait", 0.0) or 0.0)
        if _EXPIRED[0] >= MAIL_WAITS_EXPIRED:
            wait = 0.0
        if len(mail) - self._seen < expect and wait > 0:
            deadline = time.monotonic() + wait
            while len(mail) - self._seen < expect and time.monotonic() < deadline:
                time.sleep(MAIL_POLL_SECONDS)
                mail = self.target.mailbox.search()
        if expect and wait > 0:
            _EXPIRED[0] = _EXPIRED[0] + 1 if len(mail) - self._seen < expect else 0
        elif expect and len(mail) - self._seen >= expect:
            _EXPIRED[0] = 0
        new, self._seen = mail[self._seen :], len(mail)
        found = {id(m): self._temporary_password(m) for m in new}  # each email read once
        self.knowledge.read(new, lambda m: found[id(m)])
        return tuple(self._email(m, found[id(m)]) for m in new)

    def _temporary_password(self, message: EmailMessage) -> str | None:
        """The temporary password ``message`` gives, to anyone (None: none read)."""
        try:
            found = self._find(message)
        except Exception:  # an email nobody can read a password in: compared as it is
            return None
        if found:
            self._found.add(found)
        return found

    def _screen(self, screen: Screen) -> Screen:
        """The screen with the chosen state as a role: journeys' producers live in
        different states, so the producer's own state, another state offered, or none
        (or a state not offered, as it is) is compared."""
        chosen = screen.chosen_state
        if chosen == self.knowledge.producer.home_state:
            return replace(screen, chosen_state=HOME_STATE)
        if chosen in self.parameters.states:
            return replace(screen, chosen_state=OTHER_OFFERED_STATE)
        return screen

    def _email(self, message: EmailMessage, found: str | None) -> EmailSeen:
        try:
            body = body_of(message)
        except MissingEmailPart:
            body = "(no plain text body)"
        temporary = {*self.knowledge.temporary_passwords, *([found] if found else [])}
        for secret in sorted(temporary, key=len, reverse=True):
            body = body.replace(secret, temporary_password_mask(secret, self.parameters))
        return EmailSeen(
            str(message.get("From", "")),
            self._abstract(str(message.get("To", ""))),
            str(message.get("Subject", "")),
            self._abstract(body),
        )

    def _abstract(self, text: str) -> str:
        for value, role in self._roles:
            text = text.replace(value, role)
        return text


def temporary_password_mask(temporary: str, parameters: Parameters) -> str:
    """What stands for a temporary password in an email as the model reads it:
    :data:`TEMPORARY_PASSWORD` when it has the flows' form (temporary_password_length
    characters, letters and digits the policy accepts, upper and lower case and a digit
    when it is case-sensitive: decision temporary-password-rules), else a mask saying
    how its form differs, so that the email's comparison fails on it."""
    problems = []
    if len(temporary) != parameters.temporary_password_length:
        problems.append(f"{len(temporary)} characters, not {parameters.temporary_password_length}")
    if not (temporary.isascii() and temporary.isalnum()):
        problems.append("not only letters and digits")
    elif not parameters.password_policy.accepts(temporary):
        problems.append("not a password the policy accepts")
    if parameters.temporary_password_case_sensitive and not (
        any(c.islower() for c in temporary)
        and any(c.isupper() for c in temporary)
        and any(c.isdigit() for c in temporary)
    ):
        problems.append("not mixing upper case, lower case and digits")
    if not problems:
        return TEMPORARY_PASSWORD
    return "{temporary_password: " + "; ".join(problems) + "}"


def roles(group: Sequence[Producer], outsider: Producer) -> list[tuple[str, str]]:
    """Each producer's details and the placeholder that stands for them, longest first."""
    pairs: list[tuple[str, str]] = []
    for who, producer in [
        *((f"producer{i}" if i else "producer", p) for i, p in enumerate(group)),
        ("outsider", outsider),
    ]:
        pairs += [
            (producer.email, f"{{{who}.email}}"),
            (producer.user_name, f"{{{who}.user_name}}"),
            (producer.agent_unique_id, f"{{{who}.agent_unique_id}}"),
        ]
    return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)


@dataclass
class ConformanceModel:
    """The composed machine of one parameter variant, and what its steps fire."""

    variant: str | None
    parameters: Parameters
    machine: MealyMachine[int, str, Output]  # explored: states numbered by discovery
    minimal: MealyMachine[int, str, Output]
    fired: dict[tuple[int, str], tuple[str, ...]]  # transitions of the flows per step
    initial_screen: Screen
    # Each explored state's key (:meth:`_Reference.key`), by state number: what a
    # departure's report says of the state it was reached from.
    keys: tuple[Hashable, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.machine.inputs

    def expected(self, word: Sequence[str]) -> tuple[Output, ...]:
        return self.machine.run(word)

    def fired_by(self, word: Sequence[str]) -> list[tuple[str, ...]]:
        """The transitions of the flows each step of ``word`` fires on the reference."""
        state = self.machine.initial
        out: list[tuple[str, ...]] = []
        for a in word:
            out.append(self.fired.get((state, a), ()))
            state = self.machine.transitions[(state, a)][0]
        return out


class _Reference:
    """A fresh reference portal of the flows with one journey group on it."""

    def __init__(
        self,
        flow_set: FlowSet,
        parameters: Parameters,
        group: Sequence[Producer],
        outsider: Producer,
    ) -> None:
        # The reference is not under test for its hashing: one iteration is enough.
        self.target = InProcessTarget(flow_set, parameters, hash_iterations=1)
        self.fired: list[TransitionSpec] = []
        self.target.portal.on_fired(self.fired.append)
        self.probe = Probe(self.target, group, outsider, parameters, flow_set)
        self.parameters = parameters

    def key(self) -> Hashable:
        """Everything of this state that can change what the producer sees later."""
        return state_key(self.target, self.probe, self.parameters)


def state_key(target: InProcessTarget, probe: Probe, parameters: Parameters) -> Hashable:
    """Everything of the state ``probe``'s producer stands in on ``target``, a reference
    portal of the flows, that can change what the producer sees later: the model's key.
    Role-based, so a journey with other producers (a random walk's) is in a model state
    when its key is among the model's ``keys``."""
    view = target.portal.view(probe.knowledge.producer.user_name)
    assert view is not None
    k = probe.knowledge
    p = parameters
    lifetime = p.temporary_password_valid_minutes
    age = None
    if view.temporary_password_valid and view.temporary_password_age is not None:
        age = min(view.temporary_password_age.total_seconds() / 60, lifetime)
    locked = None
    if view.locked_since is not None and p.auto_unlock_after_minutes is not None:
        locked = min(view.locked_since.total_seconds() / 60, p.auto_unlock_after_minutes)
    signed_in = (
        None
        if k.signed_in_with is None
        else "temporary"
        if k.signed_in_with == k.temporary_password
        # A reset in another browser since: the session's password is no longer emailed.
        else "older temporary"
        if k.signed_in_with in k.temporary_passwords
        else "password"
    )
    unknown = target.portal.unknown_failures(UNKNOWN_USER_NAME)
    return (
        probe.screen.name,
        view.lockout_state,
        view.failed_attempts,
        view.temporary_password_valid,
        age,
        locked,
        min(len(k.temporary_passwords), 2),
        k.previous_password is not None,
        signed_in,
        k.signed_in_before_change,
        min(unknown, p.lockout_threshold),
    )


def build_model(
    flow_set: FlowSet,
    variant: str | None,
    parameters: Parameters,
    group: Sequence[Producer],
    outsider: Producer,
    inputs: Sequence[str] | None = None,
    max_states: int = 5_000,
    progress: Callable[[int], None] | None = None,
) -> ConformanceModel:
    """Explore the reference breadth first over ``inputs`` (default: the whole
    alphabet), each state's inputs but one on a fresh reference replaying its access
    word, into a Mealy machine and its minimal form."""
    inputs = tuple(inputs) if inputs is not None else tuple(a.key for a in ALPHABET)

    def fresh() -> _Reference:
        return _Reference(flow_set, parameters, group, outsider)

    first = fresh()
    initial_screen = first.probe.screen  # before the exploration takes it further
    keys: dict[Hashable, int] = {first.key(): 0}
    # The reference that found each state still waiting to be explored, already there:
    # one replay of its access word fewer (each goes on only from a fresh replay).
    found: dict[int, _Reference] = {0: first}
    access: dict[int, tuple[str, ...]] = {0: ()}
    transitions: dict[tuple[int, str], tuple[int, Output]] = {}
    fired: dict[tuple[int, str], tuple[str, ...]] = {}
    queue = deque([0])
    # A word that reaches a known key must go on as that state does: it takes one more
    # enabled input (a different one each time) on the same reference, to be compared
    # with the known state's transition once every state is explored.
    merges: list[tuple[tuple[str, ...], int, str, Output]] = []
    while queue:
        state = queue.popleft()
        word = access[state]
        here = found.pop(state)
        enabled_here = [a for a in inputs if here.probe.enabled(a)]
        for a in inputs:
            if a not in enabled_here:
                transitions[(state, a)] = (state, DISABLED)
        for n, a in enumerate(enabled_here):
            there = here  # the first input goes on the reference already there
            if n > 0:
                there = fresh()
                for b in word:
                    there.probe.step(b)
            there.fired.clear()
            out = there.probe.step(a)
            key = there.key()
            if key in keys:
                enabled = [b for b in inputs if there.probe.enabled(b)]
                if enabled:
                    b = enabled[len(merges) % len(enabled)]
                    merges.append(((*word, a), keys[key], b, there.probe.step(b)))
            else:
                if len(keys) >= max_states:
                    raise ModelError(
                        f"the composed flows have more than {max_states} states over the"
                        " alphabet: a timer or counter without a bound?"
                    )
                keys[key] = len(keys)
                access[keys[key]] = (*word, a)
                queue.append(keys[key])
                found[keys[key]] = there
            transitions[(state, a)] = (keys[key], out)
            fired[(state, a)] = tuple(t.name for t in there.fired)
        if progress is not None:
            progress(len(keys))
    for word, state, b, out in merges:
        if out != transitions[(state, b)][1]:
            raise ModelError(
                f"{list(word)} and {b!r} after it: the reference shows something else than"
                f" in the state it was taken for; the model's state key misses something"
            )
    machine = MealyMachine.explore(0, inputs, transitions, max_states=max_states)
    return ConformanceModel(
        variant,
        parameters,
        machine,
        machine.minimize(),
        fired,
        initial_screen,
        tuple(sorted(keys, key=keys.__getitem__)),
    )
