"""`rpp verify`: run every explored journey with a fresh Faker producer on a portal
under test, through the driver only, and check every screen, message and email
against the spec (portal.yaml and the journeys' expectations).

A failure names the journey, the step and the difference. Exit 0 only when every
journey passed and every transition of every machine was reached.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from simulator.drivers.in_process import InProcessTarget
from simulator.drivers.protocol import Target
from simulator.mail.messages import (
    body_of,
    email_kind,
    render_email,
    sent_at_of,
    temporary_password_in,
    user_names_in,
)
from simulator.mail.reader import MailReader
from simulator.population import Population, Producer
from simulator.portal.screens import Screen
from simulator.verify.exploration import Exploration, explore, journey_group, variants
from simulator.verify.journeys import Journey, Knowledge, Step, action
from specs.errors import UsageError
from specs.loader import load_flows_dir
from specs.model import FlowSet, Parameters

__all__ = ["JourneyResult", "VerifyReport", "check_journey", "run", "verify"]

TargetMaker = Callable[[Parameters], Target]


@dataclass(frozen=True)
class JourneyResult:
    journey: Journey
    producer: str
    passed: bool
    failure: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            **self.journey.as_dict(),
            "producer": self.producer,
            "result": "passed" if self.passed else "failed",
            "failure": self.failure,
        }


@dataclass(frozen=True)
class VerifyReport:
    seed: int
    results: list[JourneyResult]
    transitions: list[str]
    unreached: list[str]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results) and not self.unreached

    def as_dict(self) -> dict[str, object]:
        return {
            "seed": self.seed,
            "passed": self.passed,
            "journeys": [r.as_dict() for r in self.results],
            "transitions": {
                "total": len(self.transitions),
                "reached": len(self.transitions) - len(self.unreached),
                "unreached": self.unreached,
            },
        }


class _Mismatch(Exception):
    pass


def _check_screen(flow_set: FlowSet, step: Step, screen: Screen) -> None:
    portal = flow_set.portal
    if screen.name != step.screen:
        raise _Mismatch(
            f"expected the {step.screen} screen, got {screen.name}\n{screen.describe()}"
        )
    spec = portal.screens[screen.name]
    texts = tuple(line for key in spec.texts for line in portal.texts[key].lines)
    for what, want, got in (
        ("title", spec.title, screen.title),
        ("texts", texts, screen.texts),
        ("fields", spec.fields, screen.fields),
        ("buttons", spec.buttons, screen.buttons),
        ("links", spec.links, screen.links),
    ):
        if want != got:
            raise _Mismatch(f"{screen.name} {what}: expected {want!r}, got {got!r}")
    messages = tuple(portal.texts[key].text for key in step.messages)
    if screen.messages != messages:
        raise _Mismatch(f"expected message(s) {list(messages)!r}, got {list(screen.messages)!r}")
    if spec.directory:
        services = portal.producer_services
        for row in screen.directory:
            line = next((ln for ln in services.lines.values() if ln.label == row.label), None)
            if line is None:
                continue
            for state, shown in zip(services.states, row.numbers, strict=True):
                number = line.cells[state].number
                if (shown is None) != (number is None) or (number and number not in (shown or "")):
                    raise _Mismatch(
                        f"Producer Services {row.label} {state}: expected {number!r}, got {shown!r}"
                    )


def _check_emails(
    flow_set: FlowSet,
    step: Step,
    new: list[EmailMessage],
    producer: Producer,
    group: list[Producer],
) -> None:
    kinds = tuple(email_kind(m, flow_set.portal) for m in new)
    if kinds != step.emails:
        raise _Mismatch(f"expected emails {list(step.emails)!r}, got {list(kinds)!r}")
    for message in new:
        to = str(message["To"]).strip().casefold()
        if to != producer.email.casefold():
            raise _Mismatch(f"email sent to {to}, not to the address on file {producer.email}")
        kind = email_kind(message, flow_set.portal)
        if kind == "username":
            names = user_names_in(message, flow_set.portal)
            linked = [p.user_name for p in group if p.email == producer.email]
            if sorted(names) != sorted(linked):
                raise _Mismatch(
                    f"username email lists {names!r}; the user names linked to"
                    f" {producer.email} are {linked!r}"
                )
            fields = {"user_names": ", ".join(names)}
        else:
            temporary = temporary_password_in(message, flow_set.portal)
            if not flow_set.portal.parameters.password_policy.accepts(temporary):
                raise _Mismatch("the temporary password breaks the password policy")
            fields = {"temporary_password": temporary}
        want = render_email(flow_set.portal, kind, producer.email, sent_at_of(message), **fields)
        for header in ("Subject", "From"):
            if str(message[header]) != str(want[header]):
                raise _Mismatch(
                    f"{kind} email {header}: expected {str(want[header])!r}, got {str(message[header])!r}"
                )
        if body_of(message) != body_of(want):
            raise _Mismatch(f"{kind} email body differs from portal.yaml:\n{body_of(message)}")


def check_journey(
    flow_set: FlowSet,
    journey: Journey,
    target: Target,
    group: list[Producer],
    parameters: Parameters,
) -> str | None:
    """Run ``journey`` on ``target``; None when it passed, else what differed where."""
    for producer in group:
        target.register(producer)
    producer = group[0]
    driver = target.open_browser()
    knowledge = Knowledge.of(producer, flow_set.portal)
    mailbox = target.mailbox
    for number, step in enumerate(journey.steps, 1):
        act = action(step.action)
        seen = len(mailbox.search())
        try:
            screen = act.run(driver, target, knowledge, parameters)
            _check_screen(flow_set, step, screen)
            _check_emails(flow_set, step, mailbox.search()[seen:], producer, group)
        except _Mismatch as mismatch:
            return _redact(
                f"step {number} ({act.description}): {mismatch}\n"
                f"mailbox:\n{mailbox.describe() or '(empty)'}",
                _secrets(flow_set, group, knowledge, mailbox),
            )
        except Exception as error:  # a broken portal may raise: that is a finding too
            return _redact(
                f"step {number} ({act.description}): the portal raised {error!r}",
                _secrets(flow_set, group, knowledge, mailbox),
            )
    return None


HIDDEN = "[password hidden]"


def _secrets(
    flow_set: FlowSet, group: list[Producer], knowledge: Knowledge, mailbox: MailReader
) -> set[str]:
    """Every password of the journey: the producers', the ones typed, the emailed ones."""
    found = {p.password for p in group}
    found |= {knowledge.password, knowledge.previous_password or ""}
    found |= {knowledge.temporary_password or "", knowledge.signed_in_with or ""}
    for message in mailbox.search(kind="password_reset"):
        try:
            found.add(temporary_password_in(message, flow_set.portal))
        except ValueError:  # a broken portal's email: nothing to hide in it
            continue
    found |= {s.swapcase() for s in found}  # the wrong-case login types this one
    return {s for s in found if s}


def _redact(text: str, secrets: set[str]) -> str:
    """A failure goes into reports and CI logs: no password may appear in it."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


def verify(
    flow_set: FlowSet,
    seed: int = 0,
    make_target: TargetMaker | None = None,
    exploration: Exploration | None = None,
    max_length: int | None = None,
) -> VerifyReport:
    """Explore the flows and run every journey against ``make_target`` (default: the
    in-process portal), each with fresh producers made from ``seed``."""
    exploration = exploration or explore(flow_set, max_length)
    maker: TargetMaker = make_target or (lambda p: InProcessTarget(flow_set, p))
    population = Population(seed, flow_set.portal.parameters)
    parameters_of = dict(variants(flow_set))
    results: list[JourneyResult] = []
    start = 0
    for journey in exploration.journeys:
        group = journey_group(population, start)
        start = group[-1].index + 1
        parameters = parameters_of[journey.variant]
        failure = check_journey(flow_set, journey, maker(parameters), group, parameters)
        results.append(JourneyResult(journey, group[0].user_name, failure is None, failure))
    names = [t.name for t in flow_set.transitions()]
    unreached = [n for n in names if n not in exploration.reached]
    return VerifyReport(seed, results, names, unreached)


def _table(report: VerifyReport) -> str:
    rows = [("journey", "steps", "guide IDs", "result")]
    for r in report.results:
        more = len(r.journey.covers) - 1
        rows.append(
            (
                r.journey.name + (f" (+{more})" if more > 0 else ""),
                str(len(r.journey.steps)),
                " ".join(r.journey.guide),
                "passed" if r.passed else "FAILED",
            )
        )
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        f"{row[0]:<{width[0]}}  {row[1]:>{width[1]}}  {row[2]:<{width[2]}}  {row[3]}"
        for row in rows
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """The ``rpp verify`` command."""
    if args.max_length is not None and not 1 <= args.max_length <= 8:
        raise UsageError(
            "--max-length takes 1 to 8 (the number of journeys grows fast: 6 takes ~40 s)"
        )
    if args.json and Path(args.json).is_dir():
        raise UsageError(f"--json {args.json}: is a directory; name a file")
    if args.json and not Path(args.json).parent.exists():
        raise UsageError(f"--json {args.json}: no such directory {Path(args.json).parent}")
    started = time.perf_counter()
    flow_set = load_flows_dir(args.flows, "--flows")
    report = verify(flow_set, seed=args.seed, max_length=args.max_length)
    print(_table(report))
    for r in report.results:
        if not r.passed:
            print(f"\nFAILED {r.journey.name} (producer {r.producer}):\n{r.failure}")
    total = len(report.transitions)
    reached = total - len(report.unreached)
    passed = sum(r.passed for r in report.results)
    print(
        f"\n{passed}/{len(report.results)} journeys passed; {reached}/{total} transitions"
        f" reached ({100 * reached / total:.0f}%) in {time.perf_counter() - started:.1f} s"
    )
    for name in report.unreached:
        print(f"unreached: {name}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return 0 if report.passed else 1
