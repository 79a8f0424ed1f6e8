"""Part 2 of :mod:`benchmarks.http`: a load run on the served portal.

``sessions`` threads (50), each one browser (an :class:`HttpDriver`: its own httpx
client and cookies), do ``logins`` logins in all (5,000) for ``sessions * 10`` Faker
producers of :class:`~simulator.population.Population`, registered with the test API.
Each producer belongs to one thread, with every producer sharing its email address
(the population's sharing cells go whole to one thread), so a producer's attempts are
sequential and the newest reset email of an address is the one just asked for.

Each producer's attempts are planned beforehand from the seed: right passwords, wrong
passwords (three consecutive failures lock the account), password resets (Reset
Password? with the email, the temporary password read from the mailbox and used to
sign in, then Change Password, which unlocks) and username requests (Forgot User
Name?). While planning, the lock-out flow's rules (portal.yaml's lockout_threshold,
failures counted per account, a success or a completed reset sets them to zero, a
locked account refuses every password but the temporary one) predict what each login
shows (Welcome, the LOCK-1 text, the LOCK-2 text), how many lock-outs and unlocks
happen and how many emails each address gets.

Checks: no request error (a 4xx/5xx, a transport error, a page not as expected), every
login shows what the flows predict, the lock-outs and unlocks the portal fired
(``/test/fired``: ``lockout.lock``, ``lockout.unlock_by_reset``) and saw on screens
equal the prediction, and the mailbox holds exactly the predicted emails per address
and kind (none lost, none duplicated) with no Message-ID twice, neither held nor sent again
and ignored by the sink (its `/api/v1/info` `SMTPIgnored` count).

Latency of a login: ``log_in`` on the driver, i.e. the POST of the login form, the
303 and the GET of the page it redirects to, and reading that page (the client's
parsing is in it: 50 client threads share this process's GIL). Throughput: logins per
second of wall time from the moment every browser is open until the last thread ends
(resets and username requests run meanwhile, but only logins are counted).
"""

from __future__ import annotations

import os
import random
import statistics
import string
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.drivers.http import HttpDriver, HttpTarget
from simulator.drivers.protocol import (
    choose_state,
    log_in,
    submit_forgot_user_name,
    submit_reset_password,
    update_password,
)
from simulator.mail.mailbox import normalize_address
from simulator.mail.mailpit import MailpitReader
from simulator.mail.messages import email_kind, temporary_password_in
from simulator.population import SHARING_CELL, Population, Producer, derive_seed
from simulator.portal.screens import Screen
from specs.model import FlowSet, PortalSpec

if TYPE_CHECKING:  # benchmarks.http imports this module
    from benchmarks.http import RequestCounter

__all__ = ["cpu_seconds", "part_load"]

PRODUCERS_PER_SESSION = 10
MAIL_WAIT = 10.0  # seconds to wait for a reset email before calling it lost
_PLAN_TAG = 0x6C6F6164  # "load": keeps the plan's random streams apart

# Probabilities of the next action, by whether the producer's account is locked.
_UNLOCKED = (("right", 0.50), ("wrong", 0.38), ("reset", 0.07), ("username", 0.05))
_LOCKED = (("reset", 0.60), ("right", 0.20), ("wrong", 0.20))

WELCOME, FAILED, LOCKED = "Welcome", "LOCK-1 text", "LOCK-2 text"


@dataclass(frozen=True)
class Step:
    """One planned action of a producer and what the flows say its login shows."""

    kind: str  # right, wrong, reset, username
    expected: str = ""  # WELCOME, FAILED or LOCKED; "" for a username request
    password: str = ""  # wrong: the wrong password typed; reset: the new password


@dataclass
class Plan:
    producer: Producer
    steps: list[Step]
    lockouts: int
    unlocks: int


def _draw(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    r = rng.random()
    for kind, share in table:
        if r < share:
            return kind
        r -= share
    return table[-1][0]


def _password(rng: random.Random, length: int) -> str:
    """Letters and digits, a letter first and a digit last (policy-valid for 6..9)."""
    middle = "".join(rng.choices(string.ascii_letters + string.digits, k=length - 2))
    return rng.choice(string.ascii_letters) + middle + rng.choice(string.digits)


def plan(producer: Producer, logins: int, threshold: int, seed: int) -> Plan:
    """``producer``'s attempts, ``logins`` of them logins, with the flows' prediction."""
    rng = random.Random(derive_seed(seed, _PLAN_TAG, producer.index))
    failures, locked, lockouts, unlocks = 0, False, 0, 0
    current = producer.password
    steps: list[Step] = []
    done = 0
    while done < logins:
        kind = _draw(rng, _LOCKED if locked else _UNLOCKED)
        if kind == "right":
            steps.append(Step(kind, LOCKED if locked else WELCOME))
            failures = failures if locked else 0  # success-resets-failures
        elif kind == "wrong":
            wrong = _password(rng, 8)  # new passwords have 7 characters, temporary ones 9
            assert wrong != current
            if locked:  # refuse_locked_account: refused before it counts
                steps.append(Step(kind, LOCKED, wrong))
            else:
                failures += 1
                if failures >= threshold:  # lock_on_threshold_failure
                    locked, lockouts = True, lockouts + 1
                steps.append(Step(kind, LOCKED if locked else FAILED, wrong))
        elif kind == "reset":
            # The temporary password signs in, locked or not; Update Password unlocks.
            current = _password(rng, 7)
            steps.append(Step(kind, WELCOME, current))
            unlocks += locked
            failures, locked = 0, False
        else:
            steps.append(Step(kind))
        done += kind != "username"
    return Plan(producer, steps, lockouts, unlocks)


@dataclass
class Tally:
    """What one thread saw."""

    latencies: list[float] = field(default_factory=list)
    logins: int = 0
    checks: int = 0  # screens compared with the flows' prediction
    errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    seen_lockouts: int = 0
    resets: Counter[str] = field(default_factory=Counter)  # address -> reset requests
    usernames: Counter[str] = field(default_factory=Counter)  # address -> username requests


class Session:
    """One thread's browser, working through its producers' plans in turn."""

    def __init__(
        self, url: str, mailbox_url: str, portal: PortalSpec, plans: list[Plan], tally: Tally
    ) -> None:
        self.url, self.portal, self.plans, self.tally = url, portal, plans, tally
        self.driver = HttpDriver(url, portal)
        self.reader = MailpitReader(mailbox_url, portal=portal)
        self.texts = {
            portal.texts["login_failed"].text: FAILED,
            portal.texts["account_locked"].text: LOCKED,
        }
        self.password = {p.producer.index: p.producer.password for p in plans}
        self.seen_locked = dict.fromkeys(self.password, False)

    def outcome(self, screen: Screen) -> str:
        if screen.name == "welcome":
            return WELCOME
        shown = [self.texts.get(m, m) for m in screen.messages]
        if screen.name == "login_page" and len(shown) == 1 and shown[0] in (FAILED, LOCKED):
            return shown[0]
        return f"{screen.name} {list(screen.messages)!r}"

    def run(self, start: threading.Barrier) -> None:
        start.wait()
        cursors = [0] * len(self.plans)
        while True:
            pending = [i for i, p in enumerate(self.plans) if cursors[i] < len(p.steps)]
            if not pending:
                break
            for i in pending:
                plan = self.plans[i]
                step = plan.steps[cursors[i]]
                cursors[i] += 1
                try:
                    self.act(plan.producer, step)
                except Exception as error:  # a request error: note it, open a new browser
                    self.tally.errors.append(
                        f"{plan.producer.user_name} {step.kind}: {type(error).__name__}: {error}"
                    )
                    self.driver.close()
                    self.driver = HttpDriver(self.url, self.portal)
        self.driver.close()
        self.reader.close()

    def expect(self, what: str, want: str, got: str) -> None:
        self.tally.checks += 1
        if want != got:
            self.tally.mismatches.append(f"{what}: the flows say {want}, the portal showed {got}")

    def login(self, producer: Producer, password: str, step: Step) -> str:
        began = time.perf_counter()
        screen = log_in(self.driver, producer.user_name, password)
        self.tally.latencies.append(time.perf_counter() - began)
        self.tally.logins += 1
        got = self.outcome(screen)
        self.expect(f"{producer.user_name} {step.kind} login", step.expected, got)
        if got == LOCKED and not self.seen_locked[producer.index]:
            self.seen_locked[producer.index] = True
            self.tally.seen_lockouts += 1
        return got

    def act(self, producer: Producer, step: Step) -> None:
        driver = self.driver
        if driver.screen().name != "login_page":
            driver.close_browser()
        name = producer.user_name
        if step.kind in ("right", "wrong"):
            typed = self.password[producer.index] if step.kind == "right" else step.password
            if self.login(producer, typed, step) == WELCOME:
                driver.close_browser()
        elif step.kind == "reset":
            driver.click("Reset Password?")
            screen = submit_reset_password(driver, name, email=producer.email)
            self.expect(f"{name} reset request", "reset_request_submitted", screen.name)
            driver.click("OK")
            self.tally.resets[producer.email] += 1
            temporary = self.temporary_password(producer.email)
            if self.login(producer, temporary, step) == WELCOME:
                choose_state(driver, producer.home_state)
                driver.click("Edit Profile")
                screen = update_password(driver, temporary, step.password, step.password)
                self.expect(f"{name} Update Password", "password_updated", screen.name)
                if screen.name == "password_updated":
                    self.password[producer.index] = step.password
                    self.seen_locked[producer.index] = False
                driver.close_browser()
        else:
            driver.click("Forgot User Name?")
            screen = submit_forgot_user_name(driver, producer.agent_unique_id, producer.email)
            self.expect(f"{name} username request", "username_request_submitted", screen.name)
            driver.click("OK")
            self.tally.usernames[producer.email] += 1

    def temporary_password(self, address: str) -> str:
        """The newest reset email's temporary password, once the address has as many
        reset emails as were asked for (every sharer of the address is in this thread)."""
        wanted = self.tally.resets[address]
        subject = self.portal.emails["password_reset"].subject.text
        deadline = time.monotonic() + MAIL_WAIT
        while True:
            found = self.reader.search(to=address, subject=subject)
            if len(found) >= wanted:
                return temporary_password_in(found[-1], self.portal)
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{address}: {len(found)} reset email(s) after {MAIL_WAIT:.0f} s,"
                    f" {wanted} asked for (lost?)"
                )
            time.sleep(0.02)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def part_load(
    flow_set: FlowSet,
    url: str,
    mailbox_url: str,
    *,
    sessions: int,
    logins: int,
    seed: int,
    counter: RequestCounter,
    server_pid: int | None = None,
) -> None:
    """Run the load and print what it measured and the checks' results."""
    portal = flow_set.portal
    parameters = portal.parameters
    population = Population(seed, parameters)
    size = sessions * PRODUCERS_PER_SESSION
    producers = population.make(size)
    per, extra = divmod(logins, size)
    threshold = parameters.lockout_threshold
    plans = [plan(p, per + (p.index < extra), threshold, seed) for p in producers]
    # Whole sharing cells to one thread: every sharer of an address in the same thread.
    by_thread: list[list[Plan]] = [[] for _ in range(sessions)]
    for p in plans:
        by_thread[(p.producer.index // SHARING_CELL) % sessions].append(p)

    kinds = Counter(s.kind for p in plans for s in p.steps)
    want_lockouts = sum(p.lockouts for p in plans)
    want_unlocks = sum(p.unlocks for p in plans)
    print(
        f"\npart 2, load: {sessions} concurrent browsers (threads, one HttpDriver each),"
        f" {size} Faker producers ({len(by_thread[0])} per thread, address sharers together)"
    )
    print(
        f"  plan (seed {seed}): {kinds['right']} right-password, {kinds['wrong']}"
        f" wrong-password and {kinds['reset']} temporary-password logins"
        f" ({sum(kinds[k] for k in ('right', 'wrong', 'reset'))} in all);"
        f" {kinds['reset']} resets, {kinds['username']} username requests;"
        f" the flows predict {want_lockouts} lock-outs, {want_unlocks} unlocks by reset"
    )

    target = HttpTarget(url, mailbox_url, portal)  # resets the portal, empties the mailbox
    with MailpitReader(mailbox_url, portal=portal) as reader:
        ignored_before = reader.runtime_stats().get("SMTPIgnored", 0)
    began = time.perf_counter()
    for producer in producers:
        target.register(producer)
    registered = time.perf_counter() - began
    target.fired()  # forget what registration fired

    tallies = [Tally() for _ in range(sessions)]
    start = threading.Barrier(sessions + 1)
    with counter.counting() as counts:
        workers = [
            Session(url, mailbox_url, portal, by_thread[t], tallies[t]) for t in range(sessions)
        ]
        threads = [
            threading.Thread(target=w.run, args=(start,), name=f"load-{i}")
            for i, w in enumerate(workers)
        ]
        for thread in threads:
            thread.start()
        cpu_server = cpu_seconds(server_pid) if server_pid else None
        cpu_client = time.process_time()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        cpu_client = time.process_time() - cpu_client
        server_after = cpu_seconds(server_pid) if server_pid else None
        requests = dict(counts)
    fired = Counter(target.fired())

    latencies = sorted(x for t in tallies for x in t.latencies)
    done = sum(t.logins for t in tallies)
    errors = [e for t in tallies for e in t.errors]
    mismatches = [m for t in tallies for m in t.mismatches]
    checks = sum(t.checks for t in tallies)
    seen_lockouts = sum(t.seen_lockouts for t in tallies)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else []
    total_requests = sum(requests.values())
    print(
        f"  registered {size} producers over the test API in {registered:.1f} s;"
        f" load: {wall:.1f} s wall"
    )
    if cuts:
        print(
            f"  login latency (POST, 303, GET, page read; {len(latencies)} logins):"
            f" p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms,"
            f" max {latencies[-1] * 1000:.1f} ms"
        )
    print(
        f"  throughput: {done / wall:.0f} logins/s; {total_requests / wall:.0f} requests/s"
        f" ({total_requests} requests: "
        + ", ".join(f"{k} {v}" for k, v in sorted(requests.items()))
        + ")"
    )
    if cpu_server is not None and server_after is not None:
        print(
            f"  CPU during the load: server process {server_after - cpu_server:.1f} s,"
            f" this process ({sessions} clients) {cpu_client:.1f} s, of {wall:.1f} s wall on 2 cores"
        )

    # The mailbox: every email, by address and kind, against the requests made.
    with MailpitReader(mailbox_url, portal=portal) as reader:
        messages = reader.search()
        held = reader.count()
        # A repeated Message-ID is not filed twice by a sink: it counts it as ignored.
        ignored = reader.runtime_stats().get("SMTPIgnored", 0) - ignored_before
    got_mail: Counter[tuple[str, str]] = Counter()
    ids: Counter[str] = Counter()
    for message in messages:
        got_mail[(normalize_address(str(message.get("To", ""))), email_kind(message, portal))] += 1
        ids[str(message.get("Message-ID", ""))] += 1
    want_mail: Counter[tuple[str, str]] = Counter()
    for t in tallies:
        for address, n in t.resets.items():
            want_mail[(normalize_address(address), "password_reset")] += n
        for address, n in t.usernames.items():
            want_mail[(normalize_address(address), "username")] += n
    lost = sum((want_mail - got_mail).values())
    unexpected = sum((got_mail - want_mail).values())
    twice = sum(n - 1 for n in ids.values() if n > 1)

    def ok(good: bool) -> str:
        return "ok" if good else "FAILED"

    print("  checks:")
    print(f"    request errors: {len(errors)} [{ok(not errors)}]")
    for error in errors[:5]:
        print(f"      {error}")
    print(f"    logins done: {done} of {logins} [{ok(done == logins)}]")
    print(
        f"    screens as the flows predict: {checks - len(mismatches)} of {checks} agree (logins,"
        f" reset and username requests, Update Password),"
        f" {len(mismatches)} differ [{ok(not mismatches)}]"
    )
    for mismatch in mismatches[:5]:
        print(f"      {mismatch}")
    fired_locks, fired_unlocks = fired["lockout.lock"], fired["lockout.unlock_by_reset"]
    print(
        f"    lock-outs: predicted {want_lockouts}, fired by the portal {fired_locks},"
        f" seen on screens {seen_lockouts}"
        f" [{ok(want_lockouts == fired_locks == seen_lockouts)}]"
    )
    print(
        f"    unlocks by reset: predicted {want_unlocks}, fired by the portal {fired_unlocks}"
        f" [{ok(want_unlocks == fired_unlocks)}]"
    )
    print(
        f"    emails: {len(messages)} held ({held} by the API's count), {sum(want_mail.values())}"
        f" requested ({sum(n for (_, k), n in want_mail.items() if k == 'password_reset')}"
        f" reset, {sum(n for (_, k), n in want_mail.items() if k == 'username')} username)"
        f" to {len({a for a, _ in want_mail})} addresses; per address and kind:"
        f" {lost} lost, {unexpected} extra [{ok(not lost and not unexpected and held == len(messages))}]"
    )
    print(
        f"    Message-IDs: {len(ids)} distinct of {len(messages)}, {twice} duplicated held,"
        f" {ignored} sent again and ignored by the sink"
        f" [{ok(not twice and not ignored and '' not in ids)}]"
    )
    target.close()
