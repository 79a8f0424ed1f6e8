"""What `rpp report` reads besides the flows, each file optional: the last `rpp verify
--json`, the last feature run (Cucumber JSON), the coverage gate's two reports, the last
`rpp mutate --json` and the last simulation's directory.

Each reader returns None when its file is absent, and raises :class:`ReportInputError`
naming the file and the place in it (``journeys[3].result``) when the file is there but
not what was expected; only the fields the report shows are checked, so a writer may add
keys without breaking it.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from specs.errors import RppError

__all__ = [
    "PLOT_ORDER",
    "DepartureRecord",
    "ExtraActionRecord",
    "ExtraActionsRecord",
    "FeatureRun",
    "JourneyRecord",
    "MutantRecord",
    "MutationRecord",
    "ReportInputError",
    "ScenarioRecord",
    "SimulationRecord",
    "VerifyModel",
    "VerifyRecord",
    "read_features",
    "read_mutation",
    "read_names_by_key",
    "read_simulation",
    "read_verify",
]

# The simulation's pictures in the order the report shows them (others follow by name).
PLOT_ORDER = ("timeline.png", "lockout-minutes.png", "emails.png")


T = TypeVar("T")


class ReportInputError(RppError):
    """A file the report reads is not what its writer writes: which file, where, what."""


class _Reader:
    """Typed access to parsed JSON that names the file and the place of a mismatch."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, expected: str, found: object) -> ReportInputError:
        shown = type(found).__name__ if not isinstance(found, str | int | float) else repr(found)
        place = f" {where}:" if where else ""
        return ReportInputError(f"{self.path}:{place} expected {expected}, found {shown[:80]}")

    def load(self) -> Any:
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise ReportInputError(f"{self.path}: not UTF-8 text ({error.reason})") from None
        except OSError as error:
            raise ReportInputError(f"{self.path}: cannot read it ({error.strerror})") from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ReportInputError(
                f"{self.path}:{error.lineno}:{error.colno}: not JSON ({error.msg})"
            ) from None

    def mapping(self, value: object, where: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "an object", value)
        return value

    def items(self, value: object, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, "a list", value)
        return value

    def key(self, value: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in value:
            place = f"{where}." if where else ""
            raise ReportInputError(f"{self.path}: {place}{key}: missing")
        return value[key]

    def string(self, value: Mapping[str, Any], key: str, where: str) -> str:
        found = self.key(value, key, where)
        if not isinstance(found, str):
            raise self.fail(_at(where, key), "a string", found)
        return found

    def optional_string(self, value: Mapping[str, Any], key: str, where: str) -> str | None:
        found = value.get(key)
        if found is not None and not isinstance(found, str):
            raise self.fail(_at(where, key), "a string or null", found)
        return found

    def integer(self, value: Mapping[str, Any], key: str, where: str) -> int:
        found = self.key(value, key, where)
        if isinstance(found, bool) or not isinstance(found, int):
            raise self.fail(_at(where, key), "a whole number", found)
        return found

    def strings(self, value: object, where: str) -> list[str]:
        out = self.items(value, where)
        for index, item in enumerate(out):
            if not isinstance(item, str):
                raise self.fail(f"{where}[{index}]", "a string", item)
        return out

    def each(
        self, value: Mapping[str, Any], key: str, where: str, optional: bool = False
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Each object of the list at ``key`` with its place (``journeys[3]``); an
        ``optional`` list may be absent (none)."""
        place = _at(where, key)
        found = value.get(key, []) if optional else self.key(value, key, where)
        for index, item in enumerate(self.items(found, place)):
            yield f"{place}[{index}]", self.mapping(item, f"{place}[{index}]")

    def record(self, kind: type[T], value: Mapping[str, Any], where: str) -> T:
        """A ``kind`` (a dataclass of str, int, ``str | None`` and ``list[str]`` fields,
        each read from the key of its name or of its metadata's ``key``) from ``value``."""
        types = typing.get_type_hints(kind)
        read: dict[str, object] = {}
        for f in dataclasses.fields(kind):  # type: ignore[arg-type]
            key, hint = f.metadata.get("key", f.name), types[f.name]
            if hint is str:
                read[f.name] = self.string(value, key, where)
            elif hint is int:
                read[f.name] = self.integer(value, key, where)
            elif hint == str | None:
                read[f.name] = self.optional_string(value, key, where)
            elif hint == list[str]:
                read[f.name] = self.strings(self.key(value, key, where), _at(where, key))
            else:
                raise TypeError(f"{kind.__name__}.{f.name}: {hint} is not read")
        return kind(**read)


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def read_names_by_key(path: Path) -> dict[str, list[str]] | None:
    """A JSON object of lists of names: the gate's ``scenarios.json`` (guide ID ->
    passing scenarios) or ``transitions.json`` (transition -> passing scenarios)."""
    if not path.is_file():
        return None
    reader = _Reader(path)
    data = reader.mapping(reader.load(), "")
    return {key: reader.strings(names, key) for key, names in data.items()}


# -- rpp verify --json ----------------------------------------------------------------


@dataclass(frozen=True)
class VerifyModel:
    part: str
    checks: str | None  # the guide IDs and decisions the part checks, in words
    variant: str | None
    states: int
    inputs: int
    complete_for: str
    journeys: int
    steps: int


@dataclass(frozen=True)
class JourneyRecord:
    name: str
    part: str
    actions: list[str]
    covers: list[str]
    guide: list[str]
    passed: bool
    failure: str | None

    @property
    def failed_step(self) -> int | None:
        """The number of the step a failure names (``step 3 (...)``), when it names one."""
        if not self.failure or not self.failure.startswith("step "):
            return None
        number = self.failure.removeprefix("step ").split(" ", 1)[0]
        return int(number) if number.isdigit() else None


@dataclass(frozen=True)
class DepartureRecord:
    """One departure of ``rpp verify --json`` (simulator/verify/departures.py)."""

    description: str
    actions: list[str]
    from_state: str
    transitions: list[str]  # the flows' transitions expected
    expected_screen: str
    expected_messages: list[str]
    expected_emails: list[str]
    got_screen: str
    got_messages: list[str]
    got_emails: list[str]
    difference: str
    guide: list[str]
    decisions: list[str]
    witness: str  # the journey's name
    witness_actions: list[str]
    journeys: int
    states: int


@dataclass(frozen=True)
class DecidedRecord:
    """A decision the portal makes differently (``decisions_differ`` of the JSON)."""

    decision: str
    what: str
    flows: str  # what the flows decided
    portal: str  # what the portal did
    journeys: int


@dataclass(frozen=True)
class AcceptedRecord:
    """A departure the team's decisions file accepts (``accepted`` of the JSON)."""

    departure: str
    why: str
    who: str
    where: str
    differences: list[str]
    journeys: int


@dataclass(frozen=True)
class ExtraActionRecord:
    """One check of an action the target declares beyond the guide's, from one signed-in
    screen (``extra_actions.checks`` of the JSON: simulator/verify/extra_actions.py)."""

    action: str
    label: str
    screen: str = field(metadata={"key": "from"})
    result: str  # passed or failed
    failures: list[str]

    @property
    def passed(self) -> bool:
        return self.result == "passed"


@dataclass(frozen=True)
class ExtraActionsRecord:
    """``extra_actions`` of the JSON: every check, and the declared actions verify knows
    no rule for (name -> label)."""

    checks: list[ExtraActionRecord]
    unchecked: dict[str, str]

    @property
    def failed(self) -> list[ExtraActionRecord]:
        return [c for c in self.checks if not c.passed]


@dataclass(frozen=True)
class VerifyRecord:
    seed: int
    target: str
    models: list[VerifyModel]
    journeys: list[JourneyRecord]
    transitions_total: int
    unreached: list[str]
    departures: list[DepartureRecord] = field(default_factory=list)
    decisions: str = "strict"  # what the portal was held to: strict, guide or a file
    decisions_differ: list[DecidedRecord] = field(default_factory=list)
    accepted: list[AcceptedRecord] = field(default_factory=list)
    extra_actions: ExtraActionsRecord | None = None  # only a target's run checks them

    @property
    def failed(self) -> list[JourneyRecord]:
        return [j for j in self.journeys if not j.passed]


def read_verify(path: Path) -> VerifyRecord | None:
    """``rpp verify --json``'s report (:meth:`simulator.verify.command.VerifyReport.as_dict`)."""
    if not path.is_file():
        return None
    r = _Reader(path)
    data = r.mapping(r.load(), "")
    models = [r.record(VerifyModel, m, where) for where, m in r.each(data, "models", "")]
    journeys = [_journey(r, j, where) for where, j in r.each(data, "journeys", "")]
    transitions = r.mapping(r.key(data, "transitions", ""), "transitions")
    departures = [_departure(r, d, where) for where, d in r.each(data, "departures", "", True)]
    decided = [
        r.record(DecidedRecord, d, where) for where, d in r.each(data, "decisions_differ", "", True)
    ]
    accepted = [
        r.record(AcceptedRecord, a, where) for where, a in r.each(data, "accepted", "", True)
    ]
    extra = data.get("extra_actions")
    return VerifyRecord(
        r.integer(data, "seed", ""),
        r.string(data, "target", ""),
        models,
        journeys,
        r.integer(transitions, "total", "transitions"),
        r.strings(r.key(transitions, "unreached", "transitions"), "transitions.unreached"),
        departures,
        r.optional_string(data, "decisions", "") or "strict",
        decided,
        accepted,
        None if extra is None else _extra_actions(r, r.mapping(extra, "extra_actions")),
    )


def _journey(r: _Reader, j: Mapping[str, Any], where: str) -> JourneyRecord:
    result = r.string(j, "result", where)
    if result not in ("passed", "failed"):
        raise r.fail(f"{where}.result", "passed or failed", result)
    return JourneyRecord(
        r.string(j, "name", where),
        r.string(j, "part", where),
        r.strings(r.key(j, "actions", where), f"{where}.actions"),
        r.strings(r.key(j, "covers", where), f"{where}.covers"),
        r.strings(j.get("guide", []), f"{where}.guide"),
        result == "passed",
        r.optional_string(j, "failure", where),
    )


def _extra_actions(r: _Reader, data: Mapping[str, Any]) -> ExtraActionsRecord:
    checks = []
    for where, c in r.each(data, "checks", "extra_actions"):
        check = r.record(ExtraActionRecord, c, where)
        if check.result not in ("passed", "failed"):
            raise r.fail(f"{where}.result", "passed or failed", check.result)
        checks.append(check)
    unchecked = r.mapping(data.get("unchecked", {}), "extra_actions.unchecked")
    for name in unchecked:
        r.string(unchecked, name, "extra_actions.unchecked")
    return ExtraActionsRecord(checks, dict(unchecked))


def _departure(r: _Reader, d: Mapping[str, Any], where: str) -> DepartureRecord:
    want = r.mapping(r.key(d, "expected", where), f"{where}.expected")
    got = r.mapping(r.key(d, "got", where), f"{where}.got")
    witness = r.mapping(r.key(d, "witness", where), f"{where}.witness")
    return DepartureRecord(
        r.string(d, "description", where),
        r.strings(r.key(d, "actions", where), f"{where}.actions"),
        r.string(d, "from_state", where),
        r.strings(r.key(want, "transitions", f"{where}.expected"), f"{where}.expected.transitions"),
        r.string(want, "screen", f"{where}.expected"),
        r.strings(r.key(want, "messages", f"{where}.expected"), f"{where}.expected.messages"),
        r.strings(r.key(want, "emails", f"{where}.expected"), f"{where}.expected.emails"),
        r.string(got, "screen", f"{where}.got"),
        r.strings(r.key(got, "messages", f"{where}.got"), f"{where}.got.messages"),
        r.strings(r.key(got, "emails", f"{where}.got"), f"{where}.got.emails"),
        r.string(d, "difference", where),
        r.strings(r.key(d, "guide", where), f"{where}.guide"),
        r.strings(r.key(d, "decisions", where), f"{where}.decisions"),
        r.string(witness, "journey", f"{where}.witness"),
        r.strings(r.key(witness, "actions", f"{where}.witness"), f"{where}.witness.actions"),
        r.integer(d, "journeys", where),
        r.integer(d, "states", where),
    )


# -- the last feature run: Cucumber JSON ----------------------------------------------


@dataclass(frozen=True)
class ScenarioRecord:
    """One scenario element of Cucumber JSON (one example of an outline)."""

    name: str  # "file: scenario", as the coverage gate names it
    line: int
    tags: list[str]  # without the @
    status: str  # passed, failed, skipped
    failed_step: str | None = None  # "Then ... (line 12): error"


@dataclass
class FeatureRun:
    scenarios: list[ScenarioRecord] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for s in self.scenarios if s.status == status)

    def results_by_name(self) -> dict[str, str]:
        """Scenario name -> its result, an outline failed when any of its examples did."""
        out: dict[str, str] = {}
        rank = {"failed": 2, "skipped": 1, "passed": 0}
        for s in self.scenarios:
            if rank.get(s.status, 2) >= rank.get(out.get(s.name, "passed"), 2):
                out[s.name] = s.status
        return out


def _feature_name(uri: str, features_prefix: str) -> str:
    """A Cucumber ``uri`` (relative to the rootdir) as the gate names the file (relative
    to the features directory)."""
    return uri.removeprefix(features_prefix) if features_prefix else uri


def _status(r: _Reader, element: Mapping[str, Any], where: str) -> tuple[str, str | None]:
    statuses: list[str] = []
    failed: str | None = None
    for kind in ("before", "steps", "after"):
        for index, step in enumerate(r.items(element.get(kind, []), f"{where}.{kind}")):
            place = f"{where}.{kind}[{index}]"
            s = r.mapping(step, place)
            result = r.mapping(r.key(s, "result", place), f"{place}.result")
            status = r.string(result, "status", f"{place}.result")
            statuses.append(status)
            if status in ("failed", "undefined") and failed is None:
                words = f"{s.get('keyword', '')}{s.get('name', '')}".strip() or f"the {kind} hook"
                line = f" (line {s['line']})" if isinstance(s.get("line"), int) else ""
                error = str(result.get("error_message") or status).strip()
                failed = f"{words}{line}: {error.splitlines()[0] if error else status}"
    if failed is not None:
        return "failed", failed
    if statuses and all(s == "passed" for s in statuses):
        return "passed", None
    return "skipped", None


def read_features(path: Path, features_prefix: str = "features/") -> FeatureRun | None:
    """The Cucumber JSON of the last feature run (``--cucumber-report``): every scenario
    element, its tags and its result (failed when a step or hook failed or is undefined,
    passed when every step passed, else skipped)."""
    if not path.is_file():
        return None
    r = _Reader(path)
    run = FeatureRun()
    for f_index, item in enumerate(r.items(r.load(), "")):
        where = f"[{f_index}]"
        feature = r.mapping(item, where)
        uri = _feature_name(r.string(feature, "uri", where), features_prefix)
        for e_index, element in enumerate(r.items(feature.get("elements", []), f"{where}")):
            place = f"{where}.elements[{e_index}]"
            e = r.mapping(element, place)
            if e.get("type", "scenario") != "scenario":
                continue
            tags = [
                r.string(r.mapping(t, f"{place}.tags"), "name", f"{place}.tags").lstrip("@")
                for t in r.items(e.get("tags", []), f"{place}.tags")
            ]
            status, failed = _status(r, e, place)
            line = e.get("line", 0)
            run.scenarios.append(
                ScenarioRecord(
                    f"{uri}: {r.string(e, 'name', place)}",
                    line if isinstance(line, int) else 0,
                    tags,
                    status,
                    failed,
                )
            )
    return run


# -- rpp mutate --json ----------------------------------------------------------------


@dataclass(frozen=True)
class MutantRecord:
    id: str
    operator: str
    edit: str
    guide: list[str]
    outcome: str
    reason: str | None


@dataclass(frozen=True)
class MutationRecord:
    scenarios: int
    seconds: float
    operators: dict[str, dict[str, Any]]
    mutants: list[MutantRecord]

    def count(self, outcome: str) -> int:
        return sum(1 for m in self.mutants if m.outcome == outcome)

    @property
    def score(self) -> float:
        """(rejected + killed) / (mutants - equivalent), as `rpp mutate` scores."""
        judged = len(self.mutants) - self.count("equivalent")
        caught = self.count("rejected") + self.count("killed")
        return caught / judged if judged else 1.0


MUTANT_OUTCOMES = ("rejected", "killed", "survived", "equivalent", "not run")
OPERATOR_COUNTS = ("generated", "rejected", "killed", "survived", "equivalent")


def read_mutation(path: Path) -> MutationRecord | None:
    """``rpp mutate --json``'s report (:meth:`specs.mutation.run.MutationRun.as_dict`)."""
    if not path.is_file():
        return None
    r = _Reader(path)
    data = r.mapping(r.load(), "")
    mutants = []
    for where, m in r.each(data, "mutants", ""):
        outcome = r.string(m, "outcome", where)
        if outcome not in MUTANT_OUTCOMES:
            raise r.fail(f"{where}.outcome", " or ".join(MUTANT_OUTCOMES), outcome)
        mutants.append(
            MutantRecord(
                r.string(m, "id", where),
                r.string(m, "operator", where),
                r.string(m, "edit", where),
                r.strings(m.get("guide", []), f"{where}.guide"),
                outcome,
                r.optional_string(m, "reason", where),
            )
        )
    operators = r.mapping(r.key(data, "operators", ""), "operators")
    table: dict[str, dict[str, Any]] = {}
    for name, item in operators.items():
        row = r.mapping(item, f"operators.{name}")
        table[name] = {key: r.integer(row, key, f"operators.{name}") for key in OPERATOR_COUNTS}
        score = row.get("score")
        table[name]["score"] = score if isinstance(score, int | float) else None
    seconds = data.get("seconds", 0)
    return MutationRecord(
        r.integer(data, "scenarios", ""),
        float(seconds) if isinstance(seconds, int | float) else 0.0,
        table,
        mutants,
    )


# -- rpp simulate --out DIR -----------------------------------------------------------


@dataclass(frozen=True)
class SimulationRecord:
    directory: Path
    summary: Mapping[str, Any]
    plots: list[Path]

    @property
    def scenario(self) -> str:
        scenario = self.summary.get("scenario")
        return str(scenario.get("name", "?")) if isinstance(scenario, dict) else "?"


def read_simulation(directory: Path) -> SimulationRecord | None:
    """A simulation's report directory: its ``summary.json`` and its PNG pictures."""
    summary_path = directory / "summary.json"
    if not summary_path.is_file():
        return None
    r = _Reader(summary_path)
    summary = r.mapping(r.load(), "")
    for key in ("producers", "seed"):
        r.integer(summary, key, "")
    for key in ("scenario", "logins", "lockouts", "emails", "invariants"):
        r.mapping(r.key(summary, key, ""), key)
    order = {name: index for index, name in enumerate(PLOT_ORDER)}
    plots = sorted(directory.glob("*.png"), key=lambda p: (order.get(p.name, len(order)), p.name))
    for plot in plots:
        if not plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n":
            raise ReportInputError(f"{plot}: not a PNG picture")
    return SimulationRecord(directory, summary, plots)
