"""The portal driven from many threads: the same end state as a sequential run.

8 threads x 1,000 wrong-password attempts, on one account and spread over 1,000
accounts, must leave every failure count, lock and screen count exactly as the same
attempts made one after another (no lost update); concurrent password resets must
file every email exactly once, in the fake mailbox and over the SMTP sink.

To make a missing lock show rather than hide behind the GIL's long time slices, the
accounts yield the processor between reading and writing their failure count (as
slower model code would), and the thread switch interval is shortened while threads
run. The sequential runs use the same accounts.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simulator.drivers.in_process import InProcessDriver
from simulator.drivers.protocol import log_in, submit_reset_password
from simulator.mail.mailbox import Mailbox, MailboxTransport, Transport
from simulator.mail.messages import email_kind, render_email, temporary_password_in
from simulator.mail.smtp_sink import SmtpSink
from simulator.portal.account import Account
from simulator.portal.clock import EPOCH
from simulator.portal.passwords import HARNESS_HASH_ITERATIONS
from simulator.portal.portal import Portal
from specs import FlowSet

THREADS = 8
ATTEMPTS = 1_000  # per thread
WRONG = "Wrong123"
PASSWORD = "Secret77"


@pytest.fixture
def busy_switching() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


class YieldingAccount(Account):
    """An account whose read-then-write of its failure count lets other threads run."""

    def failure_reaches_lockout_threshold(self) -> bool:
        seen = self.failed_attempts
        time.sleep(0)
        return seen + 1 >= self.portal.parameters.lockout_threshold

    def count_failure(self) -> None:
        seen = self.failed_attempts
        time.sleep(0)
        self.failed_attempts = seen + 1


def _portal(flow_set: FlowSet, threshold: int, transport: Transport | None = None) -> Portal:
    parameters = dataclasses.replace(flow_set.portal.parameters, lockout_threshold=threshold)
    return Portal(
        flow_set,
        transport or MailboxTransport(Mailbox()),
        parameters=parameters,
        # The hashing cost is not what is tested here; 8 x 2 x 8,000 hashes add up.
        hash_iterations=HARNESS_HASH_ITERATIONS // 100,
        account_class=YieldingAccount,
    )


def _register(portal: Portal, count: int) -> list[str]:
    names = [f"agent{i:04d}" for i in range(count)]
    for i, name in enumerate(names):
        portal.register(name, f"{600_000_000 + i:09d}", f"{name}@example.com", PASSWORD)
    return names


def _in_threads(work: Callable[[int], Counter[str]]) -> Counter[str]:
    """Run ``work(thread_number)`` in THREADS threads started together; their counts summed."""
    start = threading.Barrier(THREADS)
    results: list[Counter[str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        try:
            start.wait()
            counted = work(number)
            with lock:
                results.append(counted)
        except BaseException as error:  # surfaced by the assertion below
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hangs"
    assert not errors, errors
    return sum(results, Counter())


def _wrong_passwords(
    portal: Portal, plan: Callable[[int], list[str]]
) -> Callable[[int], Counter[str]]:
    """Work for thread ``n``: a wrong password for each user name of ``plan(n)``; the
    messages it saw, counted."""

    def work(number: int) -> Counter[str]:
        driver = InProcessDriver(portal)
        seen: Counter[str] = Counter()
        for user in plan(number):
            screen = log_in(driver, user, WRONG)
            seen[" ".join(screen.messages)] += 1
        return seen

    return work


def _directory(portal: Portal) -> dict[str, tuple[Any, ...]]:
    return {
        a.user_name: (a.failed_attempts, a.state, a.locked_at is not None, len(a.locked_for))
        for a in portal.accounts()
    }


@pytest.mark.parametrize("threshold", [3, THREADS * ATTEMPTS])
@pytest.mark.usefixtures("busy_switching")
def test_threads_hammering_one_account_lose_no_update(flow_set: FlowSet, threshold: int) -> None:
    """With the shipped threshold the account locks at the third failure and refuses
    the rest; with a threshold of 8,000 every one of the 8,000 failures must count."""

    def plan(number: int) -> list[str]:
        return ["agent0000"] * ATTEMPTS

    threaded = _portal(flow_set, threshold)
    _register(threaded, 1)
    seen_threaded = _in_threads(_wrong_passwords(threaded, plan))

    sequential = _portal(flow_set, threshold)
    _register(sequential, 1)
    work = _wrong_passwords(sequential, plan)
    seen_sequential = sum((work(n) for n in range(THREADS)), Counter())

    assert _directory(threaded) == _directory(sequential)
    assert seen_threaded == seen_sequential
    (account,) = threaded.accounts()
    total = THREADS * ATTEMPTS
    assert account.failed_attempts == min(total, threshold)
    assert account.locked == (total >= threshold)
    texts = flow_set.portal.texts
    warned = min(total, threshold - 1)
    assert (
        seen_threaded
        == Counter(
            {texts["login_failed"].text: warned, texts["account_locked"].text: total - warned}
        )
        - Counter()
    )  # (drops a zero count)


@pytest.mark.usefixtures("busy_switching")
def test_threads_over_a_thousand_accounts_lose_no_update(flow_set: FlowSet) -> None:
    """Each thread tries every one of 1,000 accounts once, in its own order: each
    account gets 8 wrong passwords, concurrently, and a threshold of 5 locks it."""
    threshold = 5
    names = [f"agent{i:04d}" for i in range(ATTEMPTS)]

    def plan(number: int) -> list[str]:
        order = list(names)
        random.Random(number).shuffle(order)
        return order

    threaded = _portal(flow_set, threshold)
    _register(threaded, ATTEMPTS)
    seen_threaded = _in_threads(_wrong_passwords(threaded, plan))

    sequential = _portal(flow_set, threshold)
    _register(sequential, ATTEMPTS)
    work = _wrong_passwords(sequential, plan)
    seen_sequential = sum((work(n) for n in range(THREADS)), Counter())

    assert _directory(threaded) == _directory(sequential)
    assert seen_threaded == seen_sequential
    assert {state for state in _directory(threaded).values()} == {(threshold, "locked", True, 0)}


RESETS_PER_THREAD = 25


def _concurrent_resets(portal: Portal, names: list[str]) -> None:
    """Each thread asks for a reset for its own share of the accounts, all at once."""

    def work(number: int) -> Counter[str]:
        driver = InProcessDriver(portal)
        for name in names[number::THREADS]:
            driver.click("Reset Password?")
            submit_reset_password(driver, name, f"{name}@example.com")
            driver.click("OK")
        return Counter()

    _in_threads(work)


def _check_every_reset_email(portal: Portal, mailbox: Mailbox, names: list[str]) -> None:
    assert mailbox.count() == len(names), mailbox.describe()
    assert mailbox.duplicates_refused == 0
    ids = [str(m["Message-ID"]) for m in mailbox.search()]
    assert len(set(ids)) == len(ids)
    assert portal.emails_sent == {"password_reset": len(names)}
    for name in names:
        (message,) = mailbox.messages(f"{name}@example.com")
        assert email_kind(message) == "password_reset"
        # The email holds the password stored for this account, not another thread's.
        temporary = temporary_password_in(message)
        assert log_in(InProcessDriver(portal), name, temporary).name == "welcome"


@pytest.mark.usefixtures("busy_switching")
def test_concurrent_resets_file_every_email_exactly_once(flow_set: FlowSet) -> None:
    mailbox = Mailbox()
    portal = _portal(flow_set, 3, MailboxTransport(mailbox))
    names = _register(portal, THREADS * RESETS_PER_THREAD)
    _concurrent_resets(portal, names)
    _check_every_reset_email(portal, mailbox, names)


def test_concurrent_resets_over_smtp_file_every_email_exactly_once(flow_set: FlowSet) -> None:
    mailbox = Mailbox()
    with SmtpSink(mailbox) as sink:
        portal = _portal(flow_set, 3, sink.transport())
        names = _register(portal, THREADS * RESETS_PER_THREAD)
        _concurrent_resets(portal, names)
        assert sink.handler.received == len(names)
    _check_every_reset_email(portal, mailbox, names)


@pytest.mark.parametrize("over", ["mailbox", "smtp"])
@pytest.mark.usefixtures("busy_switching")
def test_concurrent_sends_lose_and_duplicate_nothing(flow_set: FlowSet, over: str) -> None:
    """The transports themselves, without the portal's lock: 8 threads sending at once."""
    mailbox = Mailbox()
    batches = [
        [
            render_email(
                flow_set.portal,
                "password_reset" if i % 2 else "username",
                f"agent{(n * RESETS_PER_THREAD + i) % 50:04d}@example.com",  # shared inboxes
                EPOCH,
                **({"temporary_password": f"Abc{n}x{i}"} if i % 2 else {"user_names": f"agent{i}"}),
            )
            for i in range(RESETS_PER_THREAD)
        ]
        for n in range(THREADS)
    ]

    def send_all(transport: Transport) -> None:
        def work(number: int) -> Counter[str]:
            for message in batches[number]:
                transport.send(message)
            return Counter()

        _in_threads(work)

    if over == "smtp":
        with SmtpSink(mailbox) as sink:
            send_all(sink.transport())
    else:
        send_all(MailboxTransport(mailbox))
    sent = sorted(str(m["Message-ID"]) for batch in batches for m in batch)
    received = sorted(str(m["Message-ID"]) for m in mailbox.search())
    assert received == sent, mailbox.describe()
    assert mailbox.count() == len(sent) and mailbox.duplicates_refused == 0
