"""`rpp verify`: the conformance suite of the flows, run on a portal under test.

For each part of the guide, the model of the flows over the part's actions
(:mod:`simulator.verify.model`) gives a Wp-method suite (:mod:`simulator.verify.suite`);
every journey runs on a fresh portal with fresh Faker producers, through the driver
protocol only, and every step's whole screen and every email it causes are compared
exactly with the model's. A failure names the journey, the step, what came before and
the first difference. Exit 0 only when every journey passed and the models walked
every transition of the flows.

``--target`` picks the portal under test: ``reference`` (the flows' own portal),
``flows:DIR`` (the portal built from other flows: a behavioural diff of a proposed
change) or ``MODULE:CALLABLE`` (a factory ``CALLABLE(parameters) -> Target``, e.g. an
adapter to another portal).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from simulator.drivers import MAIL_WAIT
from simulator.drivers.http import HttpTarget
from simulator.drivers.in_process import InProcessTarget
from simulator.drivers.protocol import Target
from simulator.population import Population, Producer
from simulator.portal.portal import PortalUsageError
from simulator.portal.screens import Screen
from simulator.verify.departures import Departure, FirstDifference, departures_of, format_departure
from simulator.verify.differently import (
    AcceptedDeparture,
    DecidedDifference,
    accepted_of,
    decided_of,
    format_noted,
)
from simulator.verify.extra_actions import check_extra_actions, format_extra_actions
from simulator.verify.gherkin import emit_features
from simulator.verify.journeys import PARTS, Journey, action
from simulator.verify.model import (
    HOME_STATE,
    OTHER_OFFERED_STATE,
    ConformanceModel,
    Observation,
    Output,
    Probe,
    roles,
)
from simulator.verify.oracle import Difference, Oracle, first_difference
from simulator.verify.secrets_seen import mask
from simulator.verify.suite import (
    Exploration,
    PartModel,
    explore,
    imap_in_processes,
    journey_group,
    map_in_processes,
    outsider_after,
    variants,
)
from simulator.verify.walks import (
    WalksReport,
    format_walk_departure,
    run_walks,
    walk_departures,
)
from specs import atomic
from specs.errors import UsageError
from specs.loader import display_path, load_flows_dir
from specs.model import FlowSet, Parameters
from specs.team import Acceptance, TeamDecisions, load_decisions

__all__ = [
    "JourneyResult",
    "VerifyReport",
    "check_journey",
    "check_journey_at",
    "check_target",
    "compare_observation",
    "first_difference",
    "load_target",
    "run",
    "verify",
]

TargetMaker = Callable[[Parameters], Target]


@dataclass(frozen=True)
class JourneyResult:
    journey: Journey
    producer: str
    passed: bool
    failure: str | None = None
    first: FirstDifference | None = None  # where it first differed, when it failed
    # What did not fail it: decided differences (guide mode), a team's acceptances.
    noted: tuple[Difference, ...] = ()

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
    target: str
    parts: list[PartModel]
    results: list[JourneyResult]
    transitions: list[str]
    unreached: list[str]
    departures: list[Departure] = field(default_factory=list)
    decisions: str = "strict"  # what the portal was held to (--decisions)
    decided: list[DecidedDifference] = field(default_factory=list)
    accepted: list[AcceptedDeparture] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results) and not self.unreached

    @property
    def failed(self) -> list[JourneyResult]:
        return [r for r in self.results if not r.passed]

    @property
    def walked(self) -> list[str]:
        """The transitions of the flows walked by steps the portal matched (a failing
        journey's steps before its first difference), in the flows' order."""
        seen: set[str] = set()
        for r in self.results:
            matched = len(r.journey.steps) if r.passed else (r.first.step - 1 if r.first else 0)
            for step in r.journey.steps[: max(0, matched)]:
                seen.update(step.transitions)
        return [name for name in self.transitions if name in seen]

    def as_dict(self) -> dict[str, object]:
        return {
            "seed": self.seed,
            "target": self.target,
            "passed": self.passed,
            "models": [p.as_dict() for p in self.parts],
            "decisions": self.decisions,
            "departures": [d.as_dict() for d in self.departures],
            "decisions_differ": [d.as_dict() for d in self.decided],
            "accepted": [a.as_dict() for a in self.accepted],
            "journeys": [r.as_dict() for r in self.results],
            "transitions": {
                "total": len(self.transitions),
                "reached": len(self.transitions) - len(self.unreached),
                "walked": len(self.walked),
                "unreached": self.unreached,
            },
        }


class _Mismatch(Exception):
    """The step's failing differences (their texts, one after another)."""

    def __init__(self, text: str, differences: tuple[Difference, ...] = ()) -> None:
        super().__init__(text)
        self.differences = differences


def _judge(differences: list[Difference], noted: list[Difference] | None, run: _Judging) -> None:
    """Raise the step's failing differences (every one, the first first); keep the
    decided ones and those a team accepted in ``noted``."""
    failing = []
    for difference in differences:
        accepted = run.accepted_by(difference) if difference.failing else None
        if accepted is not None:
            difference = replace(difference, accepted=accepted)
        if difference.failing and accepted is None:
            failing.append(difference)
        elif noted is not None:
            noted.append(difference)
    if failing:
        raise _Mismatch("\n".join(d.text for d in failing), tuple(failing))


@dataclass(frozen=True)
class _Judging:
    """How a run judges a step: its oracle and a team's acceptances."""

    oracle: Oracle
    acceptances: tuple[Acceptance, ...] = ()

    def accepted_by(self, difference: Difference) -> str | None:
        for acceptance in self.acceptances:
            if acceptance.departure in difference.text:
                return acceptance.departure
        return None


class _MailMismatch(_Mismatch):
    """The mail read at a step differs, and it was last read steps before."""


def check_journey_at(
    flow_set: FlowSet,
    journey: Journey,
    target: Target,
    group: list[Producer],
    outsider: Producer,
    parameters: Parameters,
    initial: Screen,
    again: Callable[[], Target] | None = None,
    judging: _Judging | None = None,
    noted: list[Difference] | None = None,
) -> tuple[str | None, FirstDifference | None]:
    """Run ``journey`` on ``target``: (None, None) when it passed, else what differed
    where and the first differing step.

    A target whose mail is costly to read (``target.defer_mail_reads``, a portal behind
    a URL) has it read only after a step that should send some and after the last step,
    given ``again`` (a maker of a fresh target): mail nobody expects is then caught at
    the next read, and the journey runs again on ``again()`` reading the mail after
    every step, to name the step that sent it. Any other target has its mail read after
    every step.

    ``judging``: the oracle (default: the flows' screens and emails exactly); the
    differences it does not fail on (decided, or accepted by a team) go to ``noted``."""
    judging = judging or _Judging(Oracle(flow_set.portal))
    kept: list[Difference] = []

    def run(on: Target, every_step: bool) -> tuple[str | None, bool, FirstDifference | None]:
        kept.clear()
        return _run_journey(
            flow_set, journey, on, group, outsider, parameters, initial, every_step, judging, kept
        )

    def done(
        result: tuple[str | None, FirstDifference | None],
    ) -> tuple[str | None, FirstDifference | None]:
        if noted is not None:
            noted.extend(kept)
        return result

    defer = again is not None and bool(getattr(target, "defer_mail_reads", False))
    failure, deferred, first = run(target, every_step=not defer)
    if not deferred or again is None:
        return done((failure, first))
    try:
        second = again()
    except Exception as error:  # the portal could not even be set up: a finding too
        return done(
            (f"{failure}\n  (run again to name the step: the portal raised {error!r})", first)
        )
    named, _, named_first = run(second, every_step=True)
    if named is None:
        return done(
            (
                f"{failure}\n  (run again reading the mail after every step, the journey"
                " passed: the portal's mail is not the same from one run to the next)",
                first,
            )
        )
    return done((named, named_first))


def check_journey(*args: Any, **kwargs: Any) -> str | None:
    """:func:`check_journey_at`'s failure only: None when the journey passed."""
    failure: str | None = check_journey_at(*args, **kwargs)[0]
    return failure


def _run_journey(
    flow_set: FlowSet,
    journey: Journey,
    target: Target,
    group: list[Producer],
    outsider: Producer,
    parameters: Parameters,
    initial: Screen,
    every_step: bool,
    judging: _Judging,
    noted: list[Difference],
) -> tuple[str | None, bool, FirstDifference | None]:
    """The failure (None when the journey passed), whether it is a mail difference
    found at a read that follows unread steps, and the first differing step."""
    probe: Probe | None = None
    got: object = None  # what the step being checked showed
    secrets = {p.password for p in (*group, outsider)}
    values = _values(group, outsider)
    number, description = 0, "opening the portal"
    unread = 0  # steps done since the mail was last read
    try:
        probe = Probe(target, group, outsider, parameters, flow_set)
        oracle = judging.oracle
        _judge(oracle.screens(initial, probe.screen), noted, judging)
        steps = list(zip(journey.steps, journey.expected, strict=True))
        for number, (step, want) in enumerate(steps, 1):
            act = action(step.action)
            description = act.description
            assert isinstance(want, Observation)
            read = every_step or bool(want.emails) or number == len(steps)
            got = None
            got = probe.step(step.action, read_mail=read, expect=len(want.emails))
            if not isinstance(got, Observation):
                raise _Mismatch(f"the producer cannot {description} on {probe.screen.name}")
            screen = oracle.screens(want.screen, got.screen)
            if not read:
                _judge(screen, noted, judging)
                unread += 1
                continue
            try:
                # Every difference of the step: its screen's and its emails'.
                _judge(screen + oracle.emails(want.emails, got.emails), noted, judging)
            except _Mismatch as mismatch:
                # Fewer emails than this step sends: its own are missing, whatever came
                # before. More, or others: some may be from the steps not read.
                if unread and len(got.emails) >= len(want.emails):
                    raise _MailMismatch(
                        f"{mismatch} (in the mail of steps {number - unread} to {number})",
                        mismatch.differences,
                    ) from None
                raise
            unread = 0
    except _Mismatch as mismatch:
        failure = _failure(journey, number, description, str(mismatch), probe, secrets, values)
        every = tuple(d.text for d in mismatch.differences)
        first = _first(number, str(mismatch), got, probe, secrets, every)
        return failure, isinstance(mismatch, _MailMismatch), first
    except PortalUsageError as error:  # the screen lacks what the step needs
        difference = (
            f"the journey could not be taken: the producer cannot {description} here: {error}"
        )
        failure = _failure(journey, number, description, difference, probe, secrets, values)
        return failure, False, _first(number, difference, got, probe, secrets)
    except Exception as error:  # a broken portal may raise: that is a finding too
        difference = f"the portal raised {error!r}"
        failure = _failure(journey, number, description, difference, probe, secrets, values)
        return failure, False, _first(number, difference, got, probe, secrets)
    finally:
        close = getattr(target, "close", None)
        if callable(close):
            close()
        noted[:] = _redacted(noted, secrets, probe)
    return None, False, None


def _redacted(noted: list[Difference], secrets: set[str], probe: Probe | None) -> list[Difference]:
    """The differences a passing step kept, with no password in them."""
    secrets = set(secrets) | (probe.secrets if probe is not None else set())
    return [
        replace(
            d,
            expected=_redact(d.expected, secrets),
            got=_redact(d.got, secrets),
            text=_redact(d.text, secrets),
        )
        for d in noted
    ]


def _first(
    number: int,
    difference: str,
    got: object,
    probe: Probe | None,
    secrets: set[str],
    every: tuple[str, ...] = (),
) -> FirstDifference:
    """The first differing step as a departure groups it (passwords redacted, the
    producers' details kept as their roles)."""
    secrets = set(secrets) | (probe.secrets if probe is not None else set())
    if isinstance(got, Observation):
        return FirstDifference(
            number,
            _redact(difference, secrets),
            got.screen.title,
            tuple(_redact(m, secrets) for m in got.screen.messages),
            tuple(_redact(e.subject, secrets) for e in got.emails),
            tuple(_redact(text, secrets) for text in every),
        )
    screen = probe.screen.title if probe is not None and got is not None else ""
    return FirstDifference(
        number,
        _redact(difference, secrets),
        screen,
        differences=tuple(_redact(text, secrets) for text in every),
    )


def _failure(
    journey: Journey,
    number: int,
    description: str,
    difference: str,
    probe: Probe | None,
    secrets: set[str],
    values: dict[str, str] | None = None,
) -> str:
    """A journey's failure as its reader needs it: the step, what differed, the steps
    before and the flows' transitions; the producers' details as they were (``values``:
    each role placeholder of the model and its value), every password hidden."""
    before = [s.action for s in journey.steps[: max(0, number - 1)]]
    walks = journey.steps[number - 1].transitions if number else ()
    text = (
        f"step {number} ({description}): {difference}"
        + (f"\n  after: {', '.join(before)}" if before else "")
        + (f"\n  the flows: {', '.join(walks)}" if walks else "")
    )
    values = dict(values or {})
    if probe is not None and probe.screen.chosen_state:  # the state the portal showed
        values[OTHER_OFFERED_STATE] = probe.screen.chosen_state
    for role, value in values.items():
        text = text.replace(role, value)
    return _redact(text, set(secrets) | (probe.secrets if probe is not None else set()))


def _values(group: list[Producer], outsider: Producer) -> dict[str, str]:
    """Each role placeholder of the model (:func:`simulator.verify.model.roles`) and the
    value it stood for on this journey."""
    values = {HOME_STATE: group[0].home_state}
    values.update({role: value for value, role in roles(group, outsider)})
    return values


SCREENSHOTS = Path("reports/screens")  # where a browser run saves each screen it visits


def _redact(text: str, secrets: set[str]) -> str:
    """A failure goes into reports and CI logs: no password may appear in it, in any
    case (the temporary password in the wrong case a journey typed, too)."""
    return mask(text, secrets)


def verify(
    flow_set: FlowSet,
    seed: int = 0,
    make_target: TargetMaker | None = None,
    exploration: Exploration | None = None,
    extra_states: int | None = None,
    target_name: str = "reference",
    workers: int = 1,
    stop_after: int | None = None,
    decisions: str | TeamDecisions = "strict",
) -> VerifyReport:
    """Run every journey of the suite against ``make_target`` (default: the reference
    portal of ``flow_set``), each with fresh producers made from ``seed``, in
    ``workers`` processes. The report does not depend on ``workers``. ``stop_after``:
    stop once that many journeys failed (the report then holds the journeys up to the
    last of those). ``decisions``: "strict" (the flows exactly), "guide" (what the guide
    fixes, decided elements listed when they differ) or a team's decisions (guide, with
    its readings, texts and acceptances; an ``exploration`` given must then be built
    from ``decisions.apply(flow_set)``): see :mod:`simulator.verify.oracle`."""
    team = decisions if isinstance(decisions, TeamDecisions) else None
    if team is not None:
        flow_set = team.apply(flow_set)
    mode = "strict" if decisions == "strict" else "guide"
    judging = _Judging(_oracle(flow_set, decisions), team.accepted if team else ())
    exploration = exploration or explore(flow_set, extra_states, workers)
    # The reference is checked for its behaviour, not its hashing cost: one iteration.
    maker: TargetMaker = make_target or (lambda p: InProcessTarget(flow_set, p, hash_iterations=1))
    journeys = exploration.journeys
    groups = _groups(seed, flow_set.portal.parameters, len(journeys))
    _RUN.clear()
    _RUN.update(
        flow_set=flow_set,
        maker=maker,
        journeys=journeys,
        groups=groups,
        parameters=dict(variants(flow_set)),
        initial={p.model.variant: p.model.initial_screen for p in exploration.parts},
        judging=judging,
    )
    size = max(1, -(-len(journeys) // (4 * max(1, workers))))
    chunks = [(i, min(i + size, len(journeys))) for i in range(0, len(journeys), size)]
    if stop_after is None:
        failures = [f for chunk in map_in_processes(_run_chunk, chunks, workers) for f in chunk]
    else:
        # Small chunks in order, shortest journeys first, until enough have failed.
        failures = []
        small = [(i, min(i + 16, len(journeys))) for i in range(0, len(journeys), 16)]
        for chunk in imap_in_processes(_run_chunk, small, workers):
            failures += chunk
            failed = [i for i, f in enumerate(failures) if f[0] is not None]
            if len(failed) >= stop_after:
                last = failed[stop_after - 1] + 1
                failures = failures[:last]
                journeys, groups = journeys[:last], groups[:last]
                break
    _RUN.clear()
    results = [
        JourneyResult(journey, group[0].user_name, failure is None, failure, first, noted)
        for journey, (group, _), (failure, first, noted) in zip(
            journeys, groups, failures, strict=True
        )
    ]
    names = [t.name for t in flow_set.transitions()]
    unreached = [n for n in names if n not in exploration.reached]
    models = {(p.part.name, p.model.variant): p.model for p in exploration.parts}
    departures = departures_of(results, models, flow_set)
    noted = [r.noted for r in results]
    return VerifyReport(
        seed,
        target_name,
        exploration.parts,
        results,
        names,
        unreached,
        departures,
        team.path if team else mode,
        decided_of(noted),
        accepted_of(noted, judging.acceptances),
    )


@functools.lru_cache(maxsize=4)
def _groups(
    seed: int, parameters: Parameters, count: int
) -> tuple[tuple[list[Producer], Producer], ...]:
    """The producers of journeys 1 to ``count``: each one's group and outsider, from
    ``seed`` alone (kept: a test run verifies many portals with one seed, and making
    12,000 groups takes a second)."""
    population = Population(seed, parameters)
    groups: list[tuple[list[Producer], Producer]] = []
    start = 0
    for _ in range(count):
        group = journey_group(population, start)
        outsider = outsider_after(population, group)
        start = outsider.index + 1
        groups.append((group, outsider))
    return tuple(groups)


# What the journeys of one run share; set before the worker processes fork.
_RUN: dict[str, Any] = {}


_Run = tuple[str | None, FirstDifference | None, tuple[Difference, ...]]


def _run_chunk(bounds: tuple[int, int]) -> list[_Run]:
    flow_set: FlowSet = _RUN["flow_set"]
    out: list[_Run] = []
    for index in range(*bounds):
        journey: Journey = _RUN["journeys"][index]
        group, outsider = _RUN["groups"][index]
        parameters = _RUN["parameters"][journey.variant]
        initial = _RUN["initial"][journey.variant]
        try:
            target = _RUN["maker"](parameters)
        except Exception as error:  # the portal could not even be set up: a finding too
            difference = f"the portal raised {error!r}"
            out.append(
                (f"step 0 (opening the portal): {difference}", FirstDifference(0, difference), ())
            )
            continue
        noted: list[Difference] = []
        failure, first = check_journey_at(
            flow_set,
            journey,
            target,
            group,
            outsider,
            parameters,
            initial,
            again=functools.partial(_RUN["maker"], parameters),
            judging=_RUN["judging"],
            noted=noted,
        )
        out.append((failure, first, tuple(noted)))
    return out


def is_url(spec: str) -> bool:
    return spec.startswith(("http://", "https://"))


def load_target(
    spec: str,
    flow_set: FlowSet,
    mailbox: str | None = None,
    browser: bool = False,
    mail_wait: float = MAIL_WAIT,
) -> TargetMaker | None:
    """``reference`` (None: the flows' own portal), ``flows:DIR``, ``MODULE:CALLABLE``, or
    the URL of a portal served with a test API (its mail read at ``mailbox``, waiting up
    to ``mail_wait`` seconds for mail that is due; in headless Chromium when
    ``browser``)."""
    if is_url(spec):
        return _url_target(spec, flow_set, mailbox, browser, mail_wait)
    if browser or mailbox:
        raise UsageError("--mailbox and --browser go with --target http://HOST:PORT")
    if spec == "reference":
        return None
    if spec.startswith("flows:"):
        other = load_flows_dir(spec.removeprefix("flows:"), "--target flows:")
        overrides = {v.name: v.parameters for v in flow_set.portal.variants}
        base = flow_set.portal.parameters

        def make(parameters: Parameters) -> Target:
            # The same variant of the other flows: their parameters, the variant's changes.
            changed = {
                name: value
                for values in overrides.values()
                for name, value in values.items()
                if getattr(parameters, name) != getattr(base, name)
            }
            return InProcessTarget(other, replace(other.portal.parameters, **changed))  # type: ignore[arg-type]

        return make
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise UsageError(f"--target {spec}: expected reference, flows:DIR or MODULE:CALLABLE")
    sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise UsageError(f"--target {spec}: cannot import {module_name}: {error}") from None
    except Exception as error:  # the adapter's own code failed as it was imported
        raise UsageError(
            f"--target {spec}: importing {module_name} raised {_one_line(error)}"
        ) from None
    finally:
        sys.path.pop(0)
    factory = getattr(module, name, None)
    if not callable(factory):
        raise UsageError(f"--target {spec}: {module_name} has no callable {name!r}")
    return factory  # type: ignore[no-any-return]


TARGET_METHODS = ("register", "open_browser", "advance_clock")
"""What a target must offer beside its ``mailbox`` (the protocol's Target)."""


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def check_target(spec: str, make: TargetMaker, parameters: Parameters) -> None:
    """Make one target before the first journey and refuse, as a usage error, a maker
    that is not a target factory (it raises when called with the flows' parameters, or
    what it makes lacks the protocol's methods) or a target whose mailbox cannot be
    read. A portal that fails later, journey by journey, is a finding instead."""
    try:
        target = make(parameters)
    except Exception as error:
        raise UsageError(
            f"--target {spec}: called with the flows' parameters (as every journey calls"
            f" it) it raised {_one_line(error)}; a target factory takes the Parameters and"
            " returns a Target (README: the driver protocol)"
        ) from None
    try:
        missing = [m for m in TARGET_METHODS if not callable(getattr(target, m, None))]
        if "mailbox" not in dir(target):
            missing.insert(0, "mailbox")
        if missing:
            raise UsageError(
                f"--target {spec}: made a {type(target).__name__}, which lacks"
                f" {', '.join(missing)} of the driver protocol's Target"
                " (mailbox, register, open_browser, advance_clock)"
            )
        target.mailbox.messages("mailbox-check@example.invalid")
    except UsageError:
        raise
    except Exception as error:  # a portal or a mailbox that does not answer
        raise UsageError(
            f"--target {spec}: the portal or its mailbox does not answer: {_one_line(error)}"
        ) from None
    finally:
        close = getattr(target, "close", None)
        if callable(close):
            try:
                close()
            except Exception as error:  # e.g. a served portal that does not answer
                raise UsageError(f"--target {spec}: {_one_line(error)}") from None


def _url_target(
    url: str, flow_set: FlowSet, mailbox: str | None, browser: bool, mail_wait: float
) -> TargetMaker:
    if not mailbox or not is_url(mailbox):
        raise UsageError(
            f"--target {url}: give --mailbox http://HOST:PORT, the portal's mail API"
            " (`rpp mailbox`, or the one `rpp serve` prints, or a team's Mailpit)"
        )
    known = variants(flow_set)

    def make(parameters: Parameters) -> Target:
        variant = next(name for name, p in known if p == parameters)
        target: HttpTarget
        if browser:
            from simulator.drivers.browser import BrowserTarget

            target = BrowserTarget(
                url, mailbox, flow_set.portal, variant=variant, screens=SCREENSHOTS
            )
        else:
            target = HttpTarget(url, mailbox, flow_set.portal, variant=variant)
        target.mail_wait = mail_wait
        return target

    return make


def _summary(report: VerifyReport) -> str:
    """Each part's model and suite, one row each; "only here": its states and transitions
    that no other part's model builds (when every part was built)."""
    rows = [
        ("part", "variant", "states", "only here", "inputs", "complete up to", "journeys", "steps")
    ]
    for p in report.parts:
        n = p.model.minimal.num_states
        rows.append(
            (
                p.part.name,
                p.model.variant or "-",
                str(n),
                "-" if p.alone is None else "/".join(map(str, p.alone)),
                str(len(p.part.inputs)),
                f"{n + p.extra_states} states",
                str(len(p.journeys)),
                str(sum(len(j.steps) for j in p.journeys)),
            )
        )
    width = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    table = [
        "  ".join(
            cell.ljust(width[i]) if i < 2 else cell.rjust(width[i]) for i, cell in enumerate(row)
        )
        for row in rows
    ]
    if any(p.alone is not None for p in report.parts):
        table.append(
            "only here: states/transitions of the model in no other part's model of the"
            " variant (a state: the screen, the account and what the producer knows)"
        )
    elif report.parts:
        table.append("only here: - (--part builds only the parts asked for: none to compare)")
    return "\n".join(table)


def _totals(report: VerifyReport, parts: list[str] | None = None) -> str:
    """Journeys passed, steps, and the transitions of the flows walked: only those of
    steps the portal matched count (a portal failing every journey at its first step
    walked none)."""
    results, failed = report.results, report.failed
    steps = sum(len(r.journey.steps) for r in results)
    only = " (by the parts asked for)" if parts else ""
    return (
        f"{len(results) - len(failed)}/{len(results)} journeys passed ({steps} steps);"
        f" {len(report.walked)}/{len(report.transitions)} transitions of the flows walked{only}"
    )


def run(args: argparse.Namespace) -> int:
    """The ``rpp verify`` command."""
    if args.extra_states is not None and not 0 <= args.extra_states <= 2:
        raise UsageError(
            "--extra-states takes 0 to 2 (the suite grows by the number of actions per"
            " extra state: 1 takes minutes, 2 hours)"
        )
    if args.json and not Path(args.json).parent.exists():
        raise UsageError(f"--json {args.json}: no such directory {Path(args.json).parent}")
    refusal = atomic.file_refusal(Path(args.json)) if args.json else None
    if refusal:
        raise UsageError(f"--json {args.json}: {refusal}")
    if not 0 <= args.walks <= 100_000:
        raise UsageError(f"--walks takes 0 to 100000, got {args.walks}")
    if not 0 <= args.budget <= 86_400:
        raise UsageError(f"--budget takes 0 to 86400 seconds (0: no limit), got {args.budget:g}")
    if args.show is not None and args.show < 0:
        raise UsageError(f"--show takes 0 or more (departures to print), got {args.show}")
    if (
        args.emit_features
        and Path(args.emit_features).exists()
        and not Path(args.emit_features).is_dir()
    ):
        raise UsageError(f"--emit-features {args.emit_features}: is a file; name a directory")
    if args.max_failures is not None and args.max_failures < 1:
        raise UsageError("--max-failures takes 1 or more")
    if not 0 <= args.workers <= (os.cpu_count() or 1) * 4:
        raise UsageError(f"--workers takes 1 to {(os.cpu_count() or 1) * 4} (0: the default)")
    started = time.perf_counter()
    flow_set = load_flows_dir(args.flows, "--flows")
    mail_wait = MAIL_WAIT if args.mail_wait is None else args.mail_wait
    if args.mail_wait is not None and not is_url(args.target):
        raise UsageError("--mail-wait goes with --target http://HOST:PORT")
    if not 0 <= mail_wait <= 600:
        raise UsageError("--mail-wait takes 0 to 600 seconds")
    decisions = _decisions(args.decisions, args.target, flow_set)
    if isinstance(decisions, TeamDecisions):  # the suite of the team's readings and texts
        flow_set = decisions.apply(flow_set)
    make_target = load_target(args.target, flow_set, args.mailbox, args.browser, mail_wait)
    if make_target is not None:
        check_target(args.target, make_target, flow_set.portal.parameters)
    workers = args.workers or min(2, os.cpu_count() or 1)
    if args.part:
        known = {part.name for part in PARTS}
        unknown = [name for name in args.part if name not in known]
        if unknown:
            raise UsageError(f"--part {unknown[0]!r}: the parts are {', '.join(sorted(known))}")
    # Only the parts asked for are modelled (a part's model takes seconds to build).
    exploration = explore(flow_set, args.extra_states, workers, part_names=args.part)
    report = verify(
        flow_set,
        seed=args.seed,
        make_target=make_target,
        exploration=exploration,
        target_name=args.target,
        # A served portal is one portal: its journeys run one after another.
        workers=1 if is_url(args.target) else workers,
        stop_after=args.max_failures,
        decisions=decisions,
    )
    print(
        f"rpp verify: {args.target} against the flows of {display_path(Path(args.flows))}"
        + _held_to(decisions)
    )
    departures = report.departures
    copy = args.target.startswith("flows:")
    ways = f"{len(departures)} way{'s' if len(departures) != 1 else ''}"
    if copy:
        print(f"the copy departs from the shipped flows in {ways}")
    elif departures:
        print(f"the portal departs from the flows in {ways}")
    sides = ("shipped", "copy") if copy else ("the flows", "the portal")
    shown = departures if args.show is None else departures[: args.show]
    for number, departure in enumerate(shown, 1):
        print()
        print(format_departure(number, departure, *sides))
    if len(departures) > len(shown):
        print(f"\n... and {len(departures) - len(shown)} more departures (--show N, --json)")
    if departures:
        print()
    noted = format_noted(report.decided, report.accepted, len(report.results))
    if noted:
        print(noted)
        print()
    print(_summary(report))
    if args.emit_features:
        written = emit_features(departures, flow_set, Path(args.emit_features), args.seed)
        print(f"features: {len(written)} scenario file(s) in {args.emit_features}")
    print(f"\n{_totals(report, args.part)}; {time.perf_counter() - started:.1f} s")
    if args.part:  # the other parts' transitions are not this run's to walk
        report = replace(report, unreached=[])
    for name in report.unreached:
        print(f"unreached: {name}")
    extra = check_extra_actions(flow_set, make_target, args.seed) if make_target else None
    for line in format_extra_actions(extra) if extra else []:
        print(line)
    walked = _walk(args, flow_set, make_target, workers, decisions, exploration.composed())
    if args.json:
        data = report.as_dict()
        if extra is not None:
            data["extra_actions"] = extra.as_dict()
        if walked is not None:
            data["walks"] = walked.as_dict()
        # Whole or not at all: a temporary file beside it, then renamed onto it.
        atomic.write_text(Path(args.json), json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        print(f"report: {args.json}")
    extra_passed = extra is None or not extra.failed
    return 0 if report.passed and extra_passed and (walked is None or not walked.failed) else 1


def _decisions(given: str | None, target: str, flow_set: FlowSet) -> str | TeamDecisions:
    """``--decisions``: strict by default for the flows' own portals (reference,
    flows:DIR), guide for a team's (MODULE:CALLABLE, a URL); else a decisions file."""
    if given is None:
        return "strict" if target == "reference" or target.startswith("flows:") else "guide"
    if given in ("strict", "guide"):
        return given
    path = Path(given)
    if not path.is_file():
        raise UsageError(
            f"--decisions {given}: no such file (give guide, strict or a team's decisions file)"
        )
    return load_decisions(path, flow_set.portal)


def _oracle(flow_set: FlowSet, decisions: str | TeamDecisions) -> Oracle:
    if isinstance(decisions, TeamDecisions):
        return Oracle(flow_set.portal, "guide", decisions.team_lines)
    return Oracle(flow_set.portal, decisions)


def _held_to(decisions: str | TeamDecisions) -> str:
    if isinstance(decisions, TeamDecisions):
        return f", with the team's decisions of {decisions.path}"
    if decisions == "guide":
        return ", by what the guide fixes (--decisions guide)"
    return ""


def compare_observation(
    want: Observation,
    got: Output,
    oracle: Oracle | None = None,
    acceptances: tuple[Acceptance, ...] = (),
) -> None:
    """Raises an AssertionError saying every difference of ``got`` from ``want`` (the
    whole screen, then the emails) that ``oracle`` (default: strict) fails and no
    acceptance of a team accepts, as a journey's step is compared."""
    assert isinstance(got, Observation)
    judging = _Judging(_STRICT if oracle is None else oracle, acceptances)
    failing = [
        d
        for d in judging.oracle.screens(want.screen, got.screen)
        + judging.oracle.emails(want.emails, got.emails)
        if d.failing and judging.accepted_by(d) is None
    ]
    if failing:
        raise AssertionError("\n".join(d.text for d in failing))


_STRICT = Oracle(None)


def _walk(
    args: argparse.Namespace,
    flow_set: FlowSet,
    make_target: TargetMaker | None,
    workers: int,
    decisions: str | TeamDecisions = "strict",
    model: tuple[str, ConformanceModel] | None = None,
) -> WalksReport | None:
    """The walks after the suite (None when ``--walks 0``), printed; with ``model``,
    heading for its transitions and pairs, and what of them they covered."""
    if args.walks == 0:
        return None
    maker: TargetMaker = make_target or (lambda p: InProcessTarget(flow_set, p, hash_iterations=1))
    walked = run_walks(
        flow_set,
        args.seed,
        maker,
        compare_observation
        if decisions == "strict"
        else functools.partial(
            compare_observation,
            oracle=_oracle(flow_set, decisions),
            acceptances=decisions.accepted if isinstance(decisions, TeamDecisions) else (),
        ),
        args.walks,
        budget=args.budget or None,
        workers=1 if is_url(args.target) else workers,
        model=model,
    )
    steps = sum(r.taken for r in walked.results)
    spent = f" (the {args.budget:g} s budget ended the run)" if walked.budget_spent else ""
    covered = "" if walked.model is None else f"; {walked.model}"
    print(
        f"{len(walked.results)}/{walked.asked} random walks of seed {args.seed} run{spent},"
        f" {steps} steps in lockstep with the flows; {len(walked.failed)} failed{covered}"
    )
    # Failed walks as departures: shrunk, grouped as the suite's are, each replayable.
    blocks = walk_departures(walked.failed, flow_set)
    shown = blocks if args.show is None else blocks[: args.show]
    for number, (departure, same) in enumerate(shown, 1):
        secrets = {p.password for r in same for p in (*r.walk.group, r.walk.outsider)}
        print()
        sides = ("shipped", "copy") if args.target.startswith("flows:") else ()
        print(_redact(format_walk_departure(number, departure, same, *sides), secrets))
    if len(blocks) > len(shown):
        print(f"\n... and {len(blocks) - len(shown)} more ways walks failed (--show N, --json)")
    return walked
