"""Load-simulation scenarios: YAML files read with positions, checked as they load.

A scenario says how producers behave over a simulated period (arrivals by hour,
mistypes, forgotten user names, what they do after a lock-out, how email reaches
them, and optionally a credential-stuffing wave or a forced reset of every
password). The flows' own parameters (lock-out threshold, auto-unlock, temporary
password lifetime) are not part of a scenario: they come from ``flows/``.

Every problem in a file is collected and raised together as one
:class:`~specs.errors.SpecError`, each as ``file:line:column: message``.

One concern, the load-scenario schema, in one file: its length is one reader per
section of the schema, kept beside the dataclass it fills.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yaml.nodes import Node, SequenceNode

from simulator.simulation.errors import SimulationError
from specs.errors import SpecError, SpecProblem
from specs.loader import display_path
from specs.reader import Reader, kind

__all__ = [
    "FLOW_PARAMETERS",
    "MAX_HOURS",
    "SCENARIO_DIR",
    "AfterLockout",
    "Attack",
    "Behaviour",
    "Email",
    "ForcedReset",
    "LoadScenario",
    "Range",
    "UnknownScenario",
    "load_scenario",
    "resolve_scenario",
    "shipped_scenarios",
]

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
"""The shipped scenarios (package data beside this package)."""

FLOW_PARAMETERS = (
    "lockout_threshold",
    "auto_unlock_after_minutes",
    "temporary_password_valid_minutes",
    "temporary_password_length",
    "password_policy",
)
"""Keys that belong to flows/portal.yaml; a scenario naming one is told where they live."""

MAX_HOURS = 24 * 31
"""The longest period a scenario may simulate (31 days), and the limit of every duration."""
MAX_MINUTES = MAX_HOURS * 60
MAX_SECONDS = MAX_HOURS * 3600
MAX_WEIGHT = 1_000_000
"""The largest relative weight (an hour of arrivals, a choice after a lock-out)."""
MAX_NAME_CHARS = 200
"""A scenario's name is one line of plain text (it titles every picture) of at most this."""
MAX_DESCRIPTION_CHARS = 2000
EARLIEST_START = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST_END = dt.datetime(9998, 1, 1, tzinfo=dt.UTC)
"""A period lies within these, so every time a run computes (up to a period and its
longest durations past the end) stays inside what :mod:`datetime` can hold."""


class UnknownScenario(SimulationError, LookupError):
    """``--scenario`` is neither a shipped name nor an existing file."""


@dataclass(frozen=True)
class Range:
    """A closed interval; a uniform draw picks a value within it."""

    low: float
    high: float


@dataclass(frozen=True)
class AfterLockout:
    """Relative weights of what a producer does on seeing the lock-out message."""

    reset: float
    recover_user_name_first: float
    call_producer_services: float
    give_up: float


@dataclass(frozen=True)
class Behaviour:
    mistype_rate: float  # chance each password attempt is mistyped
    forgot_password_rate: float  # per visit: every attempt fails
    forgot_user_name_rate: float  # per visit: Forgot User Name? first
    after_lockout: AfterLockout
    give_up_at_most: int  # per visit; then another way out is chosen
    come_back_after_hours: Range
    retry_seconds: Range
    form_seconds: Range
    read_email_seconds: Range
    inbox_check_after_minutes: Range
    spam_check_after_minutes: Range
    call_minutes: Range
    change_password_seconds: Range
    max_calls: int  # per producer and period


@dataclass(frozen=True)
class Email:
    delivery_minimum_minutes: float
    delivery_mean_minutes: float
    # Drawn apart for each email, so the two may add past 1: a lost email is never
    # read, wherever it would have landed.
    spam_rate: float  # the email lands in the spam folder
    loss_rate: float  # fault: the email never arrives
    extra_delay_minutes: float  # fault: every email is this much later


@dataclass(frozen=True)
class Attack:
    """A credential-stuffing wave: wrong passwords tried against real user names."""

    start_hour: float
    hours: float
    target_share: float
    attempts_per_target: int
    spacing_seconds: int


@dataclass(frozen=True)
class ForcedReset:
    """Every password stops working at the start; some producers reset before trying."""

    proactive_reset_rate: float


@dataclass(frozen=True)
class LoadScenario:
    name: str
    description: str
    path: str
    start: dt.datetime
    hours: int
    visit_share_per_day: float
    by_hour: tuple[float, ...]
    behaviour: Behaviour
    email: Email
    attack: Attack | None
    forced_reset: ForcedReset | None
    timeline: str  # "minute" or "hour"


def shipped_scenarios() -> list[str]:
    """The names of the shipped scenarios (``simulator/scenarios/*.yaml``)."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def resolve_scenario(name_or_path: str) -> Path:
    """The file for a shipped scenario name or a path. Raises UnknownScenario."""
    shipped = SCENARIO_DIR / f"{name_or_path}.yaml"
    if "/" not in name_or_path and shipped.is_file():
        return shipped
    path = Path(name_or_path)
    if name_or_path.strip() and path.is_dir():
        raise UnknownScenario(f"scenario {name_or_path!r} is a directory; give a scenario file")
    if name_or_path.strip() and path.exists():
        return path  # a FIFO or a device is refused by the reader, naming what it is
    raise UnknownScenario(
        f"no scenario {name_or_path!r}: give a shipped name"
        f" ({', '.join(shipped_scenarios())}) or a YAML file"
    )


class _ScenarioReader(Reader):
    """The shared reader, pointing a flow parameter to where it belongs."""

    def __init__(self, name: str) -> None:
        super().__init__(name, "scenario file")

    def unknown_key(self, key: str, allowed: Sequence[str]) -> str:
        if key in FLOW_PARAMETERS:
            return f"'{key}' is a flow parameter: set it in flows/portal.yaml, not in a scenario"
        return super().unknown_key(key, allowed)

    def range(
        self, node: Node | None, what: str, default: tuple[float, float], high: float
    ) -> Range | None:
        """``[low, high]`` from 0 to ``high`` (``default`` when the key is absent)."""
        if node is None:
            return Range(*default)
        pair = self.pair(node, what, high)
        return None if pair is None else Range(*pair)


def _read_start(reader: _ScenarioReader, node: Node | None) -> dt.datetime | None:
    text = reader.string(node, "period.start")
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        assert node is not None
        reader.fail(node, f'period.start: expected a time like "2026-11-02T00:00", found {text!r}')
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _check_period(
    reader: _ScenarioReader, node: Node | None, start: dt.datetime, hours: float
) -> dt.datetime | None:
    """``start`` when the period lies between EARLIEST_START and LATEST_END."""
    assert node is not None
    # Subtract from the bound: start + hours may itself pass year 9999.
    if start < EARLIEST_START or start > LATEST_END - dt.timedelta(hours=hours):
        reader.fail(
            node,
            f"period.start: the period ({start.isoformat(' ', 'minutes')[:16]} and {hours:g}"
            " hours) must lie"
            f" between {EARLIEST_START:%Y-%m-%d} and {LATEST_END:%Y-%m-%d}",
        )
        return None
    return start


def _weights(reader: _ScenarioReader, node: Node | None, what: str) -> AfterLockout | None:
    if node is None:
        return None
    keys = ("reset", "recover_user_name_first", "call_producer_services", "give_up")
    found = reader.mapping(node, what, (), keys)
    if found is None:
        return None
    values = {
        k: reader.number(found.get(k), f"{what}.{k}", 0.0, MAX_WEIGHT, default=0.0) for k in keys
    }
    if any(v is None for v in values.values()):
        return None
    if sum(v or 0.0 for v in values.values()) <= 0:
        reader.fail(node, f"{what}: give at least one positive weight ({', '.join(keys)})")
        return None
    return AfterLockout(**{k: float(v or 0.0) for k, v in values.items()})


def _by_hour(reader: _ScenarioReader, node: Node | None) -> tuple[float, ...] | None:
    if node is None:
        return None
    if not isinstance(node, SequenceNode) or len(node.value) != 24:
        count = f" of {len(node.value)}" if isinstance(node, SequenceNode) else ""
        reader.fail(
            node,
            f"arrivals.by_hour: expected a list of 24 weights (hours 0..23), found {kind(node)}{count}",
        )
        return None
    weights = [
        reader.number(item, f"arrivals.by_hour[{i}]", 0.0, MAX_WEIGHT)
        for i, item in enumerate(node.value)
    ]
    if any(w is None for w in weights):
        return None
    if sum(w or 0.0 for w in weights) <= 0:
        reader.fail(node, "arrivals.by_hour: at least one hour needs a positive weight")
        return None
    return tuple(float(w or 0.0) for w in weights)


def _read(reader: _ScenarioReader, root: Node, stem: str) -> LoadScenario | None:
    top = reader.mapping(
        root,
        "scenario",
        ("period", "arrivals", "behaviour", "email"),
        ("name", "description", "attack", "forced_reset", "report"),
    )
    if top is None:
        return None
    name_node, description_node = top.get("name"), top.get("description")
    name = (
        stem if name_node is None else reader.text(name_node, "name", MAX_NAME_CHARS, one_line=True)
    )
    description = (
        ""
        if description_node is None
        else reader.text(description_node, "description", MAX_DESCRIPTION_CHARS)
    )

    start = hours = None
    period = (
        reader.mapping(top["period"], "period", ("start", "hours")) if "period" in top else None
    )
    if period is not None:
        start = _read_start(reader, period.get("start"))
        hours = reader.number(period.get("hours"), "period.hours", 1, MAX_HOURS, integer=True)
        if start is not None:
            start = _check_period(reader, period.get("start"), start, hours or 0)

    share = by_hour = None
    arrivals = (
        reader.mapping(top["arrivals"], "arrivals", ("visit_share_per_day", "by_hour"))
        if "arrivals" in top
        else None
    )
    if arrivals is not None:
        share = reader.rate(arrivals.get("visit_share_per_day"), "arrivals.visit_share_per_day")
        by_hour = _by_hour(reader, arrivals.get("by_hour"))

    def rate(default: float | None = None) -> Callable[[Node | None, str], float | None]:
        return lambda node, what: reader.rate(node, what, default)

    def span(
        default: tuple[float, float], high: float
    ) -> Callable[[Node | None, str], Range | None]:
        return lambda node, what: reader.range(node, what, default, high)

    def count(default: int) -> Callable[[Node | None, str], float | None]:
        return lambda node, what: reader.number(node, what, 0, 1000, integer=True, default=default)

    behaviour_fields: dict[str, Callable[[Node | None, str], Any]] = {
        "mistype_rate": rate(),
        "forgot_password_rate": rate(0.0),
        "forgot_user_name_rate": rate(),
        "after_lockout": lambda node, what: _weights(reader, node, what),
        "give_up_at_most": count(1),
        "come_back_after_hours": span((1.0, 8.0), MAX_HOURS),
        "retry_seconds": span((5.0, 30.0), MAX_SECONDS),
        "form_seconds": span((20.0, 90.0), MAX_SECONDS),
        "read_email_seconds": span((15.0, 60.0), MAX_SECONDS),
        "inbox_check_after_minutes": span((1.0, 4.0), MAX_MINUTES),
        "spam_check_after_minutes": span((5.0, 20.0), MAX_MINUTES),
        "call_minutes": span((4.0, 15.0), MAX_MINUTES),
        "change_password_seconds": span((60.0, 240.0), MAX_SECONDS),
        "max_calls": count(2),
    }
    behaviour_values = reader.section(
        top.get("behaviour"),
        "behaviour",
        behaviour_fields,
        ("mistype_rate", "forgot_user_name_rate", "after_lockout"),
    )
    behaviour = None
    if behaviour_values is not None:
        behaviour_values["give_up_at_most"] = int(behaviour_values["give_up_at_most"])
        behaviour_values["max_calls"] = int(behaviour_values["max_calls"])
        behaviour = Behaviour(**behaviour_values)

    email = None
    email_node = top.get("email")
    found = (
        reader.mapping(
            email_node,
            "email",
            ("delivery_minutes", "spam_rate"),
            ("loss_rate", "extra_delay_minutes"),
        )
        if email_node is not None
        else None
    )
    if found is not None:
        delivery = (
            reader.mapping(found["delivery_minutes"], "email.delivery_minutes", ("minimum", "mean"))
            if "delivery_minutes" in found
            else None
        )
        minimum = mean = None
        if delivery is not None:
            minimum = reader.number(
                delivery.get("minimum"), "email.delivery_minutes.minimum", 0.0, MAX_MINUTES
            )
            mean = reader.number(
                delivery.get("mean"), "email.delivery_minutes.mean", 0.0, MAX_MINUTES
            )
            if minimum is not None and mean is not None and mean < minimum:
                reader.fail(
                    delivery["mean"],
                    f"email.delivery_minutes.mean: {mean:g} is below the minimum {minimum:g}",
                )
                mean = None
        spam = reader.rate(found.get("spam_rate"), "email.spam_rate")
        loss = reader.rate(found.get("loss_rate"), "email.loss_rate", default=0.0)
        extra = reader.number(
            found.get("extra_delay_minutes"),
            "email.extra_delay_minutes",
            0.0,
            7 * 24 * 60,
            default=0.0,
        )
        if None not in (minimum, mean, spam, loss, extra):
            assert minimum is not None and mean is not None and spam is not None
            assert loss is not None and extra is not None
            email = Email(minimum, mean, spam, loss, extra)

    attack = None
    attack_values = reader.section(
        top.get("attack"),
        "attack",
        {
            "start_hour": lambda node, what: reader.number(node, what, 0.0, MAX_HOURS),
            "hours": lambda node, what: reader.number(node, what, 0.0, MAX_HOURS),
            "target_share": rate(),
            "attempts_per_target": lambda node, what: reader.number(
                node, what, 1, 1000, integer=True
            ),
            "spacing_seconds": lambda node, what: reader.number(
                node, what, 1, 86400, integer=True, default=20
            ),
        },
        ("start_hour", "hours", "target_share", "attempts_per_target"),
    )
    if attack_values is not None:
        attack_values["attempts_per_target"] = int(attack_values["attempts_per_target"])
        attack_values["spacing_seconds"] = int(attack_values["spacing_seconds"])
        attack = Attack(**attack_values)

    forced = None
    forced_values = reader.section(
        top.get("forced_reset"),
        "forced_reset",
        {"proactive_reset_rate": rate()},
        ("proactive_reset_rate",),
    )
    if forced_values is not None:
        forced = ForcedReset(**forced_values)

    timeline = "hour"
    report = reader.mapping(top["report"], "report", (), ("timeline",)) if "report" in top else None
    if report is not None and "timeline" in report:
        value = reader.string(report["timeline"], "report.timeline")
        if value is not None and value not in ("minute", "hour"):
            reader.fail(
                report["timeline"], f"report.timeline: expected minute or hour, found {value!r}"
            )
        elif value is not None:
            timeline = value

    if None in (name, description, start, hours, share, by_hour, behaviour, email):
        return None
    if ("attack" in top and attack is None) or ("forced_reset" in top and forced is None):
        return None
    assert name is not None and description is not None and start is not None
    assert hours is not None and share is not None and by_hour is not None
    assert behaviour is not None and email is not None
    return LoadScenario(
        name=name,
        description=description,
        path=reader.name,
        start=start,
        hours=int(hours),
        visit_share_per_day=share,
        by_hour=by_hour,
        behaviour=behaviour,
        email=email,
        attack=attack,
        forced_reset=forced,
        timeline=timeline,
    )


def load_scenario(name_or_path: str | Path, display: str | None = None) -> LoadScenario:
    """Load a shipped scenario by name, or a scenario file.

    Raises UnknownScenario when there is no such name or file, and SpecError
    (every problem, as ``file:line:column``) when the file is not a valid scenario.
    """
    path = name_or_path if isinstance(name_or_path, Path) else resolve_scenario(name_or_path)
    shown = display or display_path(path)
    reader = _ScenarioReader(shown)
    root = reader.compose(path)
    scenario = _read(reader, root, path.stem)
    if reader.problems or scenario is None:
        raise SpecError(reader.problems or [SpecProblem(shown, 1, 1, "not a valid scenario")])
    return scenario
