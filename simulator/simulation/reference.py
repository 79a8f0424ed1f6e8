"""The reference simulation: each producer driven through the real portal.

Every producer of the range gets an account in a :class:`~simulator.portal.portal.Portal`
(its own `transitions` machine for the lock-out flow) and, when they visit, a
browser session (machines for the login, username-recovery and reset flows). They
type into the real forms, read the real emails from a real
:class:`~simulator.mail.mailbox.Mailbox`, and the portal's machines decide every screen.
One clock and one heap of events (time, then a delivered email before a producer's
action before an attacker's attempt).

The producers' choices come from the same counter-based draws as the compiled
engine's, in the same order, so the two must produce the same counts: this is the
naive baseline the benchmark times, what ``rpp simulate --explain`` narrates, and
the reference the tests hold the engine to.

One concern, the reference loop: one handler per producer action, mirroring the
engine's handler for handler so that the two can be read side by side.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage

import numpy as np

from simulator.drivers.in_process import InProcessDriver
from simulator.drivers.protocol import (
    choose_state,
    log_in,
    submit_forgot_user_name,
    submit_reset_password,
    update_password,
)
from simulator.mail.mailbox import Mailbox
from simulator.mail.messages import email_kind, temporary_password_in
from simulator.population import Population, Producer
from simulator.portal.account import Account
from simulator.portal.clock import SimulatedClock
from simulator.portal.portal import Portal
from simulator.portal.screens import Screen
from simulator.portal.session import Session
from simulator.simulation import results as r
from simulator.simulation.draws import choose, draw, uniform
from simulator.simulation.errors import SimulationError
from simulator.simulation.plan import Plan
from simulator.simulation.results import METRICS, ShardResult
from specs.model import FlowSet, TransitionSpec

__all__ = ["Narrate", "ReferenceMismatch", "run_reference"]

Narrate = Callable[[int, str], None]

_RANK = {r.DELIVER: 0, r.ATTACK: 2}  # every other kind: 1
_REACT_RESET, _REACT_RECOVER, _REACT_CALL, _REACT_GIVE_UP = range(4)
_HASH_ITERATIONS = 1  # only salted hashes are kept either way; the cost is not simulated


class ReferenceMismatch(SimulationError, RuntimeError):
    """The portal did something the simulated producer cannot follow (a bug)."""


@dataclass
class _Agent:
    index: int
    producer: Producer
    account: Account
    password: str
    visit_times: list[int]
    step: int = 0
    knows_password: bool = True
    forgot_password: bool = False
    use_temporary: bool = False
    temporary: str | None = None
    session: Session | None = None
    mail: EmailMessage | None = None
    mail_lost: bool = False
    after_mail: int = r.LOGIN
    repeat: int = r.RESET_REQUEST
    calls: int = 0
    give_ups: int = 0
    changes: int = 0


@dataclass(order=True)
class _Event:
    t: int
    rank: int
    who: int
    seq: int
    kind: int = field(compare=False)
    aux: int = field(compare=False, default=0)
    message: EmailMessage | None = field(compare=False, default=None)


class _Reference:
    def __init__(
        self,
        flow_set: FlowSet,
        plan: Plan,
        population: Population,
        acting: range,
        registered: Iterable[int],
        narrate: Narrate | None,
    ) -> None:
        self.flow_set = flow_set
        self.plan = plan
        self.narrate = narrate
        self.clock = SimulatedClock(plan.start)
        self.portal = Portal(flow_set, self, clock=self.clock, hash_iterations=_HASH_ITERATIONS)
        self.mailbox = Mailbox(portal=flow_set.portal)
        self.outbox: list[EmailMessage] = []
        self.fired: list[TransitionSpec] = []
        self.portal.on_fired(self.fired.append)
        self.texts = flow_set.portal.texts
        self.login_screen = "login_page"
        self.account_machine = flow_set.flows_of("account")[0].machine
        self.queue: list[_Event] = []
        self.seq = itertools.count()
        self.counts = dict.fromkeys(r.COUNTERS, 0)
        self.series: list[list[int]] = [[] for _ in METRICS]
        self.durations: list[int] = []
        self.still_locked: list[int] = []
        self.calls = np.zeros((len(r.CALL_REASONS), len(plan.call_numbers)), dtype=np.int64)
        self.acting = acting
        self.agents: dict[int, _Agent] = {}
        for index in sorted({*registered, *acting}):
            producer = population.producer(index)
            # A forced reset voids every password from the start: nobody knows the new one.
            void = f"void{index}" if plan.forced_reset else None
            account = self.portal.register_producer(producer, password=void)
            if index in acting:
                self.agents[index] = _Agent(
                    index,
                    producer,
                    account,
                    producer.password,
                    self._visit_times(index),
                    knows_password=not plan.forced_reset,
                )
        self.attacker = self.portal.open_session()

    # -- the portal's transport ------------------------------------------------------------

    def send(self, message: EmailMessage) -> None:
        self.outbox.append(message)

    # -- helpers -------------------------------------------------------------------------

    def tell(self, t: int, text: str) -> None:
        if self.narrate is not None:
            self.narrate(t, text)

    def chose(self, point: str, option: str | int | bool) -> None:
        """Tally a choice (`results.CHOICES`): an option's index, a yes/no, or its name."""
        if isinstance(option, bool):
            option = int(not option)
        if isinstance(option, int):
            option = dict(r.CHOICES)[point][option]
        self.counts[f"chose_{point}_{option}"] += 1

    def _visit_times(self, index: int) -> list[int]:
        plan = self.plan
        times = []
        for day in range(plan.days):
            visit = draw(plan.visit_key, index, day, 0) < plan.visit_threshold
            self.chose("visit_day", visit)
            if not visit:
                continue
            hour = choose(draw(plan.visit_key, index, day, 1), plan.hour_cumulative)
            self.chose("visit_hour", hour)
            second = uniform(draw(plan.visit_key, index, day, 2), 0, 3599)
            t = day * 86_400 + hour * 3600 + second
            if t < plan.end:
                times.append(t)
        return times

    def schedule(
        self, t: int, who: int, kind: int, aux: int = 0, message: EmailMessage | None = None
    ) -> None:
        heapq.heappush(
            self.queue, _Event(t, _RANK.get(kind, 1), who, next(self.seq), kind, aux, message)
        )

    def record(self, metric: str, t: int) -> None:
        self.series[METRICS.index(metric)].append(t)

    def at(self, t: int) -> None:
        self.clock.set(self.plan.start + dt.timedelta(seconds=t))

    def session_on_login_page(self, agent: _Agent) -> Session:
        if agent.session is None or agent.session.state != self.login_screen:
            agent.session = self.portal.open_session()
        return agent.session

    def fire(self, act: Callable[[], Screen]) -> tuple[Screen, list[TransitionSpec]]:
        self.fired.clear()
        screen = act()
        return screen, list(self.fired)

    def account_effects(
        self, t: int, fired: list[TransitionSpec], account: Account
    ) -> tuple[bool, bool]:
        """Record lock-outs and unlocks among ``fired``; (locked now, failure counted)."""
        locks = counted = False
        for spec in fired:
            if spec.machine != self.account_machine:
                continue
            if "lock_account" in spec.after:
                locks = True
                self.record("lockouts", t)
            if "count_failure" in spec.after:
                counted = True
            if "unlock_account" in spec.after:
                self.record("unlocks", t)
                self.durations.append(int(account.locked_for[-1].total_seconds()))
                auto = spec.trigger == "check_auto_unlock"
                self.counts["unlocks_by_auto_unlock" if auto else "unlocks_by_reset"] += 1
        return locks, counted

    def message_shown(self, screen: Screen) -> str | None:
        for key in ("login_failed", "account_locked"):
            if self.texts[key].text in screen.messages:
                return key
        return None

    def take_email(self, t: int, agent: _Agent, kind: str) -> EmailMessage:
        sent = self.outbox[:]
        self.outbox.clear()
        if len(sent) != 1 or email_kind(sent[0], self.flow_set.portal) != kind:
            raise ReferenceMismatch(
                f"producer {agent.index} at {t}s: expected one {kind} email, the portal sent {len(sent)}"
            )
        return sent[0]

    def end_visit(self, t: int, agent: _Agent, signed_in: bool) -> None:
        self.counts["visits_signed_in" if signed_in else "visits_stopped"] += 1
        agent.session = None
        following = next((v for v in agent.visit_times if v > t), None)
        if following is not None:
            self.schedule(following, agent.index, r.ARRIVE)

    # -- run ------------------------------------------------------------------------------

    def run(self) -> ShardResult:
        plan = self.plan
        for index, agent in self.agents.items():
            if agent.visit_times:
                self.schedule(agent.visit_times[0], index, r.ARRIVE)
            target = draw(plan.attack_key, index, 0, 0) < plan.attack_target_threshold
            if plan.attack:
                self.chose("attack_target", target)
            if plan.attack and target:
                self.counts["attack_targets"] += 1
                offset = uniform(draw(plan.attack_key, index, 0, 1), 0, plan.attack_window - 1)
                for attempt in range(plan.attack_attempts):
                    t = plan.attack_start + offset + attempt * plan.attack_spacing
                    if t < plan.end:
                        self.schedule(t, index, r.ATTACK, attempt)
        handlers: dict[int, Callable[[int, _Agent, int, list[int]], None]] = {
            r.ARRIVE: self.arrive,
            r.LOGIN: self.log_in,
            r.REACT: self.react,
            r.USERNAME_REQUEST: self.request_user_name,
            r.RESET_REQUEST: self.request_reset,
            r.CHECK_INBOX: self.check_inbox,
            r.CHECK_SPAM: self.check_spam,
            r.CALL: self.call,
            r.CHANGE_PASSWORD: self.change_password,
        }
        while self.queue and self.queue[0].t < plan.end:
            event = heapq.heappop(self.queue)
            self.counts[f"events_{r.EVENT_KINDS[event.kind]}"] += 1
            if event.kind == r.DELIVER:
                self.deliver(event)
                continue
            agent = self.agents[event.who]
            if event.kind == r.ATTACK:
                self.attack(event.t, agent, event.aux)
                continue
            d = [draw(plan.step_key, agent.index, agent.step, slot) for slot in range(4)]
            agent.step += 1
            handlers[event.kind](event.t, agent, event.aux, d)
        return self.finish()

    # -- what producers, attackers and the mail do ----------------------------------------

    def deliver(self, event: _Event) -> None:
        assert event.message is not None
        spam = bool(event.aux & 1)
        kind = email_kind(event.message, self.flow_set.portal)
        self.mailbox.deliver(event.message, "spam" if spam else "inbox")
        self.counts[f"emails_{'spam' if spam else 'inbox'}_{kind}"] += 1
        self.record("emails_to_spam" if spam else "emails_to_inbox", event.t)

    def arrive(self, t: int, agent: _Agent, aux: int, d: list[int]) -> None:
        plan = self.plan
        self.counts["visits"] += 1
        self.record("arrivals", t)
        agent.give_ups = 0
        agent.use_temporary = False
        agent.session = None
        agent.forgot_password = d[1] < plan.forgot_password_threshold
        self.chose("forgot_password", agent.forgot_password)
        proactive = False
        if plan.forced_reset and not agent.knows_password:
            proactive = d[2] < plan.proactive_reset_threshold
            self.chose("proactive_reset", proactive)
        forgot_user_name = d[0] < plan.forgot_user_name_threshold
        self.chose("forgot_user_name", forgot_user_name)
        agent.after_mail = r.RESET_REQUEST if proactive else r.LOGIN
        then = t + uniform(d[3], *plan.form)
        kind = r.USERNAME_REQUEST if forgot_user_name else r.RESET_REQUEST if proactive else r.LOGIN
        self.tell(
            t,
            "opens the portal in a fresh browser"
            + (", has forgotten the user name" if forgot_user_name else "")
            + (", has forgotten the password" if agent.forgot_password else "")
            + (", knows every password must be reset" if proactive else ""),
        )
        self.schedule(then, agent.index, kind)

    def log_in(self, t: int, agent: _Agent, aux: int, d: list[int]) -> None:
        plan = self.plan
        temporary = agent.use_temporary
        if not temporary and not agent.forgot_password:  # they type the password they know
            self.chose("mistype", d[0] < plan.mistype_threshold)
        if temporary:
            typed, what = agent.temporary or "", "the emailed temporary password"
        elif agent.knows_password and not agent.forgot_password and d[0] >= plan.mistype_threshold:
            typed, what = agent.password, "the right password"
        elif (
            not agent.knows_password
            and not agent.forgot_password
            and d[0] >= plan.mistype_threshold
        ):
            typed, what = agent.password, "the old password (void since the forced reset)"
        else:
            typed, what = agent.password + "x", "a wrong password"
        self.at(t)
        session = self.session_on_login_page(agent)

        browser = InProcessDriver(self.portal, session)
        screen, fired = self.fire(lambda: log_in(browser, agent.producer.user_name, typed))
        agent.use_temporary = False
        locks, counted = self.account_effects(t, fired, agent.account)
        shown = self.message_shown(screen)
        self.counts["login_attempts"] += 1
        self.record("login_attempts", t)
        self.tell(t, f"logs in with {what}: {self._describe(screen, fired)}")
        if counted:
            self.counts["login_failures"] += 1
            self.record("login_failures", t)
        if locks:
            self.counts["lockouts_by_producer"] += 1
        if screen.name != self.login_screen:
            self.counts["logins_succeeded"] += 1
            self.record("logins_succeeded", t)
            if temporary:
                self.counts["logins_with_temporary_password"] += 1
                self.schedule(
                    t + uniform(d[1], *plan.change_password), agent.index, r.CHANGE_PASSWORD
                )
            else:
                self.end_visit(t, agent, True)
        elif shown == "login_failed":
            if temporary:
                self.schedule(t + uniform(d[1], *plan.form), agent.index, r.RESET_REQUEST)
            else:
                self.schedule(t + uniform(d[1], *plan.retry), agent.index, r.LOGIN)
        elif shown == "account_locked":
            if not locks:
                self.counts["logins_refused_locked"] += 1
            self.schedule(t + uniform(d[1], *plan.retry), agent.index, r.REACT)
        else:
            raise ReferenceMismatch(f"producer {agent.index} at {t}s: {screen.describe()}")

    def react(self, t: int, agent: _Agent, aux: int, d: list[int]) -> None:
        plan = self.plan
        choice = choose(d[0], plan.react_cumulative)
        self.chose("after_lockout", choice)
        if choice == _REACT_GIVE_UP and agent.give_ups >= plan.give_up_at_most:
            if plan.react_cumulative_no_give_up is None:
                self.tell(t, "gives up for now, with no other way out")
                self.end_visit(t, agent, False)
                return
            # another way out, drawn afresh: d[0] lies in the give-up band
            choice = choose(d[2], plan.react_cumulative_no_give_up)
            self.chose("after_lockout_fallback", choice)
        then = t + uniform(d[1], *plan.form)
        if choice == _REACT_RECOVER:
            agent.after_mail = r.RESET_REQUEST
            self.tell(t, "decides to recover the user name first, then reset the password")
            self.schedule(then, agent.index, r.USERNAME_REQUEST)
        elif choice == _REACT_RESET or (choice == _REACT_CALL and agent.calls >= plan.max_calls):
            self.tell(t, "decides to reset the password")
            self.schedule(then, agent.index, r.RESET_REQUEST)
        elif choice == _REACT_CALL:
            agent.repeat = r.RESET_REQUEST
            self.tell(t, "decides to call Producer Services")
            self.schedule(then, agent.index, r.CALL, 0)
        else:
            agent.give_ups += 1
            self.counts["gave_up_for_now"] += 1
            later = t + uniform(d[1], *plan.come_back)
            self.tell(t, f"gives up and will come back in {(later - t) / 3600:.1f} h")
            agent.session = None
            self.schedule(later, agent.index, r.LOGIN)

    def _send(self, t: int, agent: _Agent, kind: str, d: list[int]) -> None:
        plan = self.plan
        message = self.take_email(t, agent, kind)
        lost = d[0] < plan.loss_threshold
        spam = d[1] < plan.spam_threshold
        self.chose("email_lost", lost)
        self.chose("email_spam", spam)
        at = t + plan.delivery_delays[d[2] >> 22]
        self.counts[f"emails_sent_{kind}"] += 1
        self.record("username_emails" if kind == "username" else "password_reset_emails", t)
        agent.mail = message
        agent.mail_lost = lost
        if lost:
            self.counts[f"emails_lost_{kind}"] += 1
            self.record("emails_lost", t)
            self.tell(t, f"  the {kind} email is lost on its way")
        else:
            folder = "spam" if spam else "inbox"
            self.tell(t, f"  the {kind} email will reach the {folder} folder after {at - t} s")
            mail = 0 if kind == "username" else 1
            self.schedule(at, agent.index, r.DELIVER, mail * 2 + int(spam), message)
        self.schedule(t + uniform(d[3], *plan.inbox_check), agent.index, r.CHECK_INBOX)

    def request_user_name(self, t: int, agent: _Agent, aux: int, d: list[int]) -> None:
        self.at(t)
        session = self.session_on_login_page(agent)
        producer = agent.producer

        browser = InProcessDriver(self.portal, session)

        def submit() -> Screen:
            browser.click("Forgot User Name?")
            return submit_forgot_user_name(browser, producer.agent_unique_id, producer.email)

        screen, fired = self.fire(submit)
        self.counts["username_recoveries"] += 1
        self.tell(t, f"submits Forgot User Name?: {self._describe(screen, fired)}")
        self._send(t, agent, "username", d)
        browser.click("OK")

    def request_reset(self, t: int, agent: _Agent, aux: int, d: list[int]) -> None:
        self.at(t)
        session = self.session_on_login_page(agent)
        producer = agent.producer

        browser = InProcessDriver(self.portal, session)

        def submit() -> Screen:
            browser.click("Reset Password?")
            return submit_reset_password(browser, producer.user_name, producer.email)

        screen, fired = self.fire(submit)
        self.counts["resets_requested"] += 1
        agent.use_temporary = False
        self.tell(t, f"submits Reset Password?: {self._describe(screen, fired)}")
        self._send(t, agent, "password_reset", d)
        browser.click("OK")

    def _has(self, agent: _Agent, folders: tuple[str, ...]) -> str | None:
        if agent.mail is None or agent.mail_lost:
            return None
        for folder in folders:
            if any(m is agent.mail for m in self.mailbox.folder(agent.producer.email, folder)):
                return folder
        return None

    def read(self, t: int, agent: _Agent, d0: int, folder: str) -> None:
        assert agent.mail is not None
        later = t + uniform(d0, *self.plan.read_email)
        if email_kind(agent.mail, self.flow_set.portal) == "password_reset":
            agent.use_temporary = True
            agent.temporary = temporary_password_in(agent.mail, self.flow_set.portal)
            self.tell(t, f"finds the reset email in the {folder} folder")
            self.schedule(later, agent.index, r.LOGIN)
        else:
            self.tell(t, f"finds the user name email in the {folder} folder")
            self.schedule(later, agent.index, agent.after_mail)

    def check_inbox(self, t: int, agent: _Agent, aux: int, d: list[int]) -> None:
        if self._has(agent, ("inbox",)):
            self.read(t, agent, d[0], "inbox")
            return
        self.tell(t, "looks in the inbox: nothing yet")
        self.schedule(t + uniform(d[0], *self.plan.spam_check), agent.index, r.CHECK_SPAM)

    def check_spam(self, t: int, agent: _Agent, aux: int, d: list[int]) -> None:
        folder = self._has(agent, ("spam", "inbox"))
        if folder is not None:
            if folder == "spam":
                self.counts["emails_found_in_spam"] += 1
            self.read(t, agent, d[0], folder)
            return
        if aux == 1:
            self.tell(t, "looks once more, finds no email: gives up for this visit")
            self.end_visit(t, agent, False)
        elif agent.calls < self.plan.max_calls:
            assert agent.mail is not None
            agent.repeat = (
                r.RESET_REQUEST
                if email_kind(agent.mail, self.flow_set.portal) == "password_reset"
                else r.USERNAME_REQUEST
            )
            self.tell(t, "looks in spam too: no email, so calls Producer Services")
            self.schedule(t + uniform(d[0], *self.plan.form), agent.index, r.CALL, 1)
        else:
            later = t + uniform(d[0], *self.plan.come_back)
            self.tell(
                t,
                f"no email and {agent.calls} calls made: will look again in {(later - t) / 3600:.1f} h",
            )
            self.schedule(later, agent.index, r.CHECK_SPAM, 1)

    def call(self, t: int, agent: _Agent, aux: int, d: list[int]) -> None:
        plan = self.plan
        producer = agent.producer
        agent.calls += 1
        self.record("calls", t)
        line = producer.lines[0]
        category = plan.category(
            plan.states.index(producer.home_state), producer.state_farm, plan.lines.index(line)
        )
        self.calls[aux, category] += 1
        self.counts[f"calls_{r.CALL_REASONS[aux]}"] += 1
        directory = self.flow_set.portal.producer_services
        number = directory.for_producer(producer.home_state, line, producer.state_farm)
        self.tell(
            t,
            f"calls Producer Services at {number or 'an illegible number (unknown)'}"
            f" ({producer.home_state}, {line}{', State Farm' if producer.state_farm else ''};"
            f" {'locked out' if aux == 0 else 'no email'})",
        )
        later = t + uniform(d[0], *plan.call)
        self.schedule(later, agent.index, agent.repeat)

    def change_password(self, t: int, agent: _Agent, aux: int, d: list[int]) -> None:
        self.at(t)
        session = agent.session
        if session is None:
            raise ReferenceMismatch(f"producer {agent.index} at {t}s: not signed in to change")
        agent.changes += 1
        new = f"N{agent.changes:02d}{agent.index % 100_000:05d}x"

        browser = InProcessDriver(self.portal, session)

        def change() -> Screen:
            choose_state(browser, agent.producer.home_state)
            browser.click("Edit Profile")
            return update_password(browser, agent.temporary or "", new, new)

        screen, fired = self.fire(change)
        self.account_effects(t, fired, agent.account)  # Update Password completes the reset
        self.tell(t, f"changes the password: {self._describe(screen, fired)}")
        if screen.name == "password_updated":
            self.counts["passwords_changed"] += 1
            agent.password = new
            agent.knows_password = True
            agent.forgot_password = False
            agent.temporary = None
        else:
            self.counts["password_changes_refused"] += 1
        self.end_visit(t, agent, True)

    def attack(self, t: int, agent: _Agent, attempt: int) -> None:
        self.at(t)
        session = self.attacker
        if session.state != self.login_screen:
            session = self.attacker = self.portal.open_session()

        browser = InProcessDriver(self.portal, session)
        guess = f"Guess{attempt:03d}"
        screen, fired = self.fire(lambda: log_in(browser, agent.producer.user_name, guess))
        locks, _ = self.account_effects(t, fired, agent.account)
        self.counts["attack_attempts"] += 1
        self.record("attack_attempts", t)
        if locks:
            self.counts["lockouts_by_attack"] += 1
        self.tell(t, f"an attacker tries a guessed password: {self._describe(screen, fired)}")

    def _describe(self, screen: Screen, fired: list[TransitionSpec]) -> str:
        shown = f' "{screen.messages[0][:70]}…"' if screen.messages else ""
        return f"{screen.title}{shown} [{', '.join(t.name for t in fired) or 'no transition'}]"

    # -- the end --------------------------------------------------------------------------

    def finish(self) -> ShardResult:
        plan = self.plan
        result = ShardResult.empty(
            self.acting.start, self.acting.stop, plan.minutes, len(plan.call_numbers)
        )
        counts = self.counts
        for event in self.queue:
            if event.kind == r.DELIVER:
                counts[f"emails_queued_{r.MAIL_KINDS[event.aux >> 1]}"] += 1
            elif event.kind != r.ATTACK:
                counts["visits_in_progress"] += 1
        locked_since = []
        for agent in self.agents.values():
            if agent.account.locked:
                assert agent.account.locked_at is not None
                locked_since.append(int((agent.account.locked_at - plan.start).total_seconds()))
        counts["accounts_still_locked"] = len(locked_since)
        result.counters = counts
        for i, times in enumerate(self.series):
            if times:
                result.timeline[i] = np.bincount(
                    np.array(times, dtype=np.int64) // 60, minlength=plan.minutes
                )
        result.calls = self.calls
        result.lock_durations = np.sort(np.array(self.durations, dtype=np.int64))
        result.still_locked_since = np.sort(np.array(locked_since, dtype=np.int64))
        return result


def run_reference(
    flow_set: FlowSet,
    plan: Plan,
    population: Population,
    acting: range,
    registered: Iterable[int] = (),
    narrate: Narrate | None = None,
) -> ShardResult:
    """Simulate producers ``acting`` on a real portal (``registered`` producers have
    accounts too but do nothing: e.g. those sharing an acting producer's address).

    ``narrate(t, text)`` hears, in simulated order, what each producer does and sees.
    Raises ReferenceMismatch when the portal answers what no producer could follow.
    """
    return _Reference(flow_set, plan, population, acting, registered, narrate).run()
