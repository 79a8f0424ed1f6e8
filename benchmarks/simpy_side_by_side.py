"""`rpp simulate` side by side with SimPy: the same load scenario written as an
idiomatic SimPy model, its counts held to rpp's (tests/simulation/test_simpy_model.py),
and both timed as whole processes.

The model (`simulate_simpy`) is written from the scenario's and the flows' rules, not
from rpp's code: one SimPy process per producer who visits at all, walking through
each planned visit (log in, mistype, lock out, reset, recover the user name, call
Producer Services, give up and come back; emails delivered after a delay, to the inbox
or spam, or lost), the account's lock-out state in the producer's own variables
(`lockout_threshold` consecutive failures lock it; a completed password reset, or
auto-unlock when the flows turn it on, unlocks it), one `random.Random` for every
draw. It models what the shipped ``normal-day`` scenario and its 30-day copy
``normal-month`` use (no attack, no forced reset).

The table: for each size, ``rpp simulate --no-pictures`` (the loop and workers it
chooses), ``rpp simulate --workers 1 --no-pictures``, ``rpp simulate`` with its
default pictures and report, and ``python -m benchmarks.simpy_side_by_side
--simpy N DAYS`` are each run as a separate process from this one, one after the other
(wall time, end to end: interpreter start to exit, and the CPU seconds of each
process, which a busy machine distorts less), and printed with their ratios to SimPy. SimPy is not run where its time, extrapolated from its largest run of the same
days (linearly in producers: its per-event cost does not fall with size), passes 5
minutes; its time is then that extrapolation, marked ``~``. The machine is shared and
noisy: compare the ratios, which are taken in the same run.

Run: ``.venv/bin/python -m benchmarks.simpy_side_by_side`` (``--sizes 1000x1,100000x30``
chooses the rows; ``--large`` adds 10,000,000 x 30 days; ``--sweep`` then times
``--sweep lockout_threshold=3,4,5`` over 100,000 x 30 days against one run with its
pictures).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import simpy

from simulator.simulation.scenario import LoadScenario, load_scenario
from specs import load_flows
from specs.model import Parameters

ROOT = Path(__file__).resolve().parents[1]
SIMPY_LIMIT_SECONDS = 300.0
SIZES = ((1_000, 1), (1_000, 30), (100_000, 1), (100_000, 30), (1_000_000, 1), (1_000_000, 30))
LARGE = (10_000_000, 30)

COUNTS = (
    "visits",
    "login_attempts",
    "login_failures",
    "lockouts",
    "logins_refused_locked",
    "unlocks_by_reset",
    "username_recoveries",
    "resets_requested",
    "passwords_changed",
    "emails_sent",
    "emails_lost",
    "emails_found_in_spam",
    "calls_locked_out",
    "calls_no_email",
    "gave_up_for_now",
    "visits_signed_in",
)
"""What the SimPy model counts, named as rpp's summary names them (`rpp_counts`)."""


@dataclass
class _Account:
    """One producer's account and what the producer knows and carries between visits."""

    failures: int = 0
    locked_at: float | None = None
    temporary_issued: float | None = None
    calls: int = 0


class Model:
    """The scenario's producers on one SimPy environment (see the module docstring)."""

    def __init__(
        self, scenario: LoadScenario, parameters: Parameters, producers: int, seed: int
    ) -> None:
        self.env = simpy.Environment()
        self.rng = random.Random(seed)
        self.scenario = scenario
        self.behaviour = scenario.behaviour
        self.end = scenario.hours * 3600
        self.threshold = parameters.lockout_threshold
        auto = parameters.auto_unlock_after_minutes
        self.auto_unlock = None if auto is None else auto * 60
        self.lifetime = parameters.temporary_password_valid_minutes * 60
        self.counts: Counter[str] = Counter()
        self.producers = producers
        weights = scenario.by_hour
        self.hours = list(range(24))
        self.hour_weights = list(weights)
        after = self.behaviour.after_lockout
        self.ways = ("reset", "recover", "call", "give_up")
        self.way_weights = (
            after.reset,
            after.recover_user_name_first,
            after.call_producer_services,
            after.give_up,
        )

    # -- draws ------------------------------------------------------------------------

    def chance(self, rate: float) -> bool:
        return self.rng.random() < rate

    def seconds(self, low: float, high: float, unit: float = 1.0) -> float:
        return self.rng.uniform(low * unit, high * unit)

    def delivery_delay(self) -> float:
        email = self.scenario.email
        mean = email.delivery_mean_minutes - email.delivery_minimum_minutes
        minutes = email.delivery_minimum_minutes + self.rng.expovariate(1 / mean) if mean else 0.0
        return (minutes + email.extra_delay_minutes) * 60

    # -- the account (the lock-out flow's rules) ----------------------------------------

    def unlock_if_due(self, account: _Account) -> None:
        if (
            account.locked_at is not None
            and self.auto_unlock is not None
            and self.env.now >= account.locked_at + self.auto_unlock
        ):
            account.locked_at = None
            account.failures = 0

    def log_in(self, account: _Account, right: bool, temporary: bool) -> str:
        """The portal's answer: signed_in, signed_in_temporary, failed, locked_now or
        refused_locked."""
        self.unlock_if_due(account)
        self.counts["login_attempts"] += 1
        valid_temporary = (
            temporary
            and account.temporary_issued is not None
            and self.env.now < account.temporary_issued + self.lifetime
        )
        if valid_temporary:
            if account.locked_at is None:
                account.failures = 0
            return "signed_in_temporary"
        if account.locked_at is not None:
            self.counts["logins_refused_locked"] += 1
            return "refused_locked"
        if right:
            account.failures = 0
            return "signed_in"
        self.counts["login_failures"] += 1
        account.failures += 1
        if account.failures >= self.threshold:
            account.locked_at = self.env.now
            self.counts["lockouts"] += 1
            return "locked_now"
        return "failed"

    def change_password(self, account: _Account) -> None:
        issued = account.temporary_issued
        if issued is not None and self.env.now < issued + self.lifetime:
            self.counts["passwords_changed"] += 1
            if account.locked_at is not None:
                self.counts["unlocks_by_reset"] += 1
            account.locked_at = None
            account.failures = 0
            account.temporary_issued = None

    # -- a producer ---------------------------------------------------------------------

    def producer(self, visits: list[float]):  # type: ignore[no-untyped-def]
        """One producer's period: each planned visit, unless still busy with the last."""
        account = _Account()
        for at in visits:
            if at < self.env.now:
                continue  # still in the last visit at that instant: skipped
            yield self.env.timeout(at - self.env.now)
            yield from self.visit(account)

    def send(self, kind: str) -> simpy.Event | None:
        """An email of ``kind`` on its way: an event that fires as it lands (None: lost);
        its value is the folder."""
        self.counts["emails_sent"] += 1
        if kind == "username":
            self.counts["username_recoveries"] += 1
        else:
            self.counts["resets_requested"] += 1
        if self.chance(self.scenario.email.loss_rate):
            self.counts["emails_lost"] += 1
            return None
        folder = "spam" if self.chance(self.scenario.email.spam_rate) else "inbox"
        return self.env.timeout(self.delivery_delay(), value=folder)

    def visit(self, account: _Account):  # type: ignore[no-untyped-def]
        b = self.behaviour
        env = self.env
        self.counts["visits"] += 1
        forgot_password = self.chance(b.forgot_password_rate)
        give_ups = 0
        after_mail = "log_in"
        step = "username" if self.chance(b.forgot_user_name_rate) else "log_in"
        yield env.timeout(self.seconds(b.form_seconds.low, b.form_seconds.high))
        temporary = False
        while True:
            if step == "log_in":
                typed_right = (
                    not temporary and not forgot_password and not self.chance(b.mistype_rate)
                )
                answer = self.log_in(account, typed_right, temporary)
                if answer == "signed_in":
                    self.counts["visits_signed_in"] += 1
                    return
                if answer == "signed_in_temporary":
                    yield env.timeout(
                        self.seconds(b.change_password_seconds.low, b.change_password_seconds.high)
                    )
                    self.change_password(account)
                    forgot_password = False
                    self.counts["visits_signed_in"] += 1
                    return
                if answer == "failed" and temporary:
                    temporary = False
                    step = "reset"
                    yield env.timeout(self.seconds(b.form_seconds.low, b.form_seconds.high))
                    continue
                temporary = False
                yield env.timeout(self.seconds(b.retry_seconds.low, b.retry_seconds.high))
                step = "log_in" if answer == "failed" else "react"
            elif step == "react":
                way = self.rng.choices(self.ways, self.way_weights)[0]
                if way == "give_up" and give_ups >= b.give_up_at_most:
                    if not any(self.way_weights[:3]):
                        return  # no other way out: the visit stops
                    way = self.rng.choices(self.ways[:3], self.way_weights[:3])[0]
                if way == "call" and account.calls >= b.max_calls:
                    way = "reset"
                if way == "give_up":
                    give_ups += 1
                    self.counts["gave_up_for_now"] += 1
                    yield env.timeout(
                        self.seconds(
                            b.come_back_after_hours.low, b.come_back_after_hours.high, 3600
                        )
                    )
                    step = "log_in"
                    continue
                yield env.timeout(self.seconds(b.form_seconds.low, b.form_seconds.high))
                if way == "recover":
                    after_mail = "reset"
                    step = "username"
                elif way == "reset":
                    step = "reset"
                else:
                    yield from self.call(account, "calls_locked_out")
                    step = "reset"
            elif step in ("username", "reset"):
                if step == "reset":
                    account.temporary_issued = env.now
                    temporary = False
                mail = self.send(step)
                found = yield from self.look_for(mail, account)
                if found == "stop":
                    return  # no email after one last look: the visit stops
                if found == "call":
                    yield env.timeout(self.seconds(b.form_seconds.low, b.form_seconds.high))
                    yield from self.call(account, "calls_no_email")
                    continue  # the same request again
                yield env.timeout(self.seconds(b.read_email_seconds.low, b.read_email_seconds.high))
                if step == "reset":
                    temporary = True
                    step = "log_in"
                else:
                    step = after_mail

    def look_for(self, mail: simpy.Event | None, account: _Account):  # type: ignore[no-untyped-def]
        """Inbox, then spam: "found"; not there, "call" while calls are left, else one
        last look later: "found" or "stop"."""
        b = self.behaviour
        env = self.env
        yield env.timeout(
            self.seconds(b.inbox_check_after_minutes.low, b.inbox_check_after_minutes.high, 60)
        )
        if mail is not None and mail.processed and mail.value == "inbox":
            return "found"
        yield env.timeout(
            self.seconds(b.spam_check_after_minutes.low, b.spam_check_after_minutes.high, 60)
        )
        if self.landed(mail):
            return "found"
        if account.calls < b.max_calls:
            return "call"
        yield env.timeout(
            self.seconds(b.come_back_after_hours.low, b.come_back_after_hours.high, 3600)
        )
        return "found" if self.landed(mail) else "stop"

    def landed(self, mail: simpy.Event | None) -> bool:
        """Whether ``mail`` is in a folder by now (one found in spam is counted)."""
        if mail is None or not mail.processed:
            return False
        if mail.value == "spam":
            self.counts["emails_found_in_spam"] += 1
        return True

    def call(self, account: _Account, reason: str):  # type: ignore[no-untyped-def]
        account.calls += 1
        self.counts[reason] += 1
        yield self.env.timeout(
            self.seconds(self.behaviour.call_minutes.low, self.behaviour.call_minutes.high, 60)
        )

    # -- the period ---------------------------------------------------------------------

    def plan_visits(self) -> list[float]:
        visits = []
        for day in range(math.ceil(self.end / 86_400)):
            if self.chance(self.scenario.visit_share_per_day):
                hour = self.rng.choices(self.hours, self.hour_weights)[0]
                at = day * 86_400 + hour * 3600 + self.rng.uniform(0, 3600)
                if at < self.end:
                    visits.append(at)
        return visits

    def run(self) -> Counter[str]:
        for _ in range(self.producers):
            visits = self.plan_visits()
            if visits:
                self.env.process(self.producer(visits))
        self.env.run(until=self.end)
        return self.counts


def simulate_simpy(
    scenario: LoadScenario, parameters: Parameters, producers: int, seed: int = 0
) -> dict[str, int]:
    """The SimPy model's counts (`COUNTS`) for ``producers`` producers of ``seed``."""
    counts = Model(scenario, parameters, producers, seed).run()
    return {name: counts[name] for name in COUNTS}


def rpp_counts(counters: dict[str, int]) -> dict[str, int]:
    """rpp's counters (a `ShardResult`'s) under the names of `COUNTS`."""
    both = ("username", "password_reset")
    return {
        "visits": counters["visits"],
        "login_attempts": counters["login_attempts"],
        "login_failures": counters["login_failures"],
        "lockouts": counters["lockouts_by_producer"],
        "logins_refused_locked": counters["logins_refused_locked"],
        "unlocks_by_reset": counters["unlocks_by_reset"],
        "username_recoveries": counters["username_recoveries"],
        "resets_requested": counters["resets_requested"],
        "passwords_changed": counters["passwords_changed"],
        "emails_sent": sum(counters[f"emails_sent_{kind}"] for kind in both),
        "emails_lost": sum(counters[f"emails_lost_{kind}"] for kind in both),
        "emails_found_in_spam": counters["emails_found_in_spam"],
        "calls_locked_out": counters["calls_locked_out"],
        "calls_no_email": counters["calls_no_email"],
        "gave_up_for_now": counters["gave_up_for_now"],
        "visits_signed_in": counters["visits_signed_in"],
    }


# -- the side-by-side table ------------------------------------------------------------


def scenario_for(days: int) -> LoadScenario:
    """normal-day over ``days`` days (30: normal-month, as ``rpp simulate --days``)."""
    return dataclasses.replace(load_scenario("normal-day"), hours=days * 24)


CPU: list[float] = []  # the CPU seconds (user + system) of each process timed, in order


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str]) -> float:
    """The wall seconds of ``command`` as its own process (its CPU seconds go to `CPU`)."""
    cpu = _cpu()
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    CPU.append(_cpu() - cpu)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def _rpp(producers: int, days: int, out: Path, *options: str) -> float:
    rpp = [sys.executable, "-m", "simulator.cli", "simulate"]
    return _timed(
        [
            *rpp,
            "--producers",
            str(producers),
            "--scenario",
            "normal-day",
            "--days",
            str(days),
            "--out",
            str(out),
            *options,
        ]
    )


def _simpy(producers: int, days: int) -> float:
    return _timed(
        [
            sys.executable,
            "-m",
            "benchmarks.simpy_side_by_side",
            "--simpy",
            str(producers),
            str(days),
        ]
    )


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        producers, _, days = part.partition("x")
        sizes.append((int(producers), int(days)))
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simpy", nargs=2, type=int, metavar=("PRODUCERS", "DAYS"))
    parser.add_argument("--sizes", type=_parse_sizes, default=list(SIZES))
    parser.add_argument("--large", action="store_true", help="add 10,000,000 x 30 days")
    parser.add_argument(
        "--sweep", action="store_true", help="time a sweep of 3 thresholds against one run"
    )
    args = parser.parse_args(argv)
    if args.simpy:  # one SimPy run, as its own process: the counts, as JSON
        producers, days = args.simpy
        scenario = scenario_for(days)
        parameters = load_flows().portal.parameters
        print(json.dumps(simulate_simpy(scenario, parameters, producers)))
        return 0
    sizes = [*args.sizes, *([LARGE] if args.large else [])]
    print(
        "whole-process wall seconds, run one after the other from this process; ratios are"
        " SimPy's time over rpp's (above 1: rpp is faster)"
    )
    header = (
        "producers x days",
        "SimPy",
        "rpp no pictures",
        "ratio",
        "rpp --workers 1",
        "rpp default report",
        "ratio",
    )
    print(" | ".join(header))
    largest: dict[int, tuple[int, float]] = {}  # days -> (producers, SimPy seconds)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "report"
        for producers, days in sizes:
            known = largest.get(days)
            predicted = known[1] * producers / known[0] if known else 0.0
            if predicted > SIMPY_LIMIT_SECONDS:
                simpy_seconds, shown, simpy_cpu = predicted, f"~{predicted:,.0f}", math.nan
            else:
                simpy_seconds = _simpy(producers, days)
                simpy_cpu = CPU[-1]
                shown = f"{simpy_seconds:.2f}"
                largest[days] = (producers, simpy_seconds)
            bare = _rpp(producers, days, out, "--no-pictures")
            bare_cpu = CPU[-1]
            one = _rpp(producers, days, out, "--no-pictures", "--workers", "1")
            full = _rpp(producers, days, out)
            full_cpu = CPU[-1]
            print(
                f"{producers:,} x {days} | {shown} | {bare:.2f} | {simpy_seconds / bare:.1f}x"
                f" | {one:.2f} | {full:.2f} | {simpy_seconds / full:.1f}x"
                f" | CPU s: SimPy {simpy_cpu:.2f}, rpp no pictures {bare_cpu:.2f}"
                f" ({simpy_cpu / bare_cpu:.1f}x), with pictures {full_cpu:.2f}",
                flush=True,
            )
        if args.sweep:
            single = _rpp(100_000, 30, out)
            sweep = _rpp(100_000, 30, out, "--sweep", "lockout_threshold=3,4,5")
            print(
                f"sweep of lockout_threshold=3,4,5 over 100,000 x 30: {sweep:.2f} s against"
                f" {single:.2f} s for one run with its pictures: {sweep / single:.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
