"""The coverage gate: which transitions the features fired and which guide IDs and
decisions their passing scenarios check.

While the features run, each scenario's world records every transition fired. When
the whole feature set ran (not a subset chosen with ``-m``, ``-k`` or a node ID), the
run ends with, per machine, the transitions fired out of the total, and per guide ID
and decision the scenarios that passed; the run fails, naming them, when a
transition, a guide ID or a decision is left uncovered. It writes
``reports/scenarios.json`` (guide ID -> passing scenarios) and, beside it,
``reports/transitions.json`` (each transition, ``machine.id``, -> the passing scenarios
that fired it; ``[]`` for one none fired), which `rpp report` colours the diagrams with;
``reports/`` is the folder of the first report asked for, when one is
(:func:`tests.bdd.targets.reports_dir`). A failing scenario's report gets the page the
producer saw and the mailbox's contents; in Chromium (``--browser``), a failing step also
saves the page as ``screens/failed-<scenario>.png`` there, names that file in the failure
message, and the reports embed it (tests/bdd/reports.py).

The transitions fired come from the in-process portal's listener, or, on a served
portal (``--target``), from its test API: the gate means the same in every mode, as
long as the served portal runs the flows the features load (``--target serve`` does).
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from pluggy import Result
from pytest_bdd.parser import Feature, Scenario, Step

from simulator.drivers.http import DriverError
from specs.model import FlowSet
from tests.bdd.reports import SCREENSHOT
from tests.bdd.tags import DECISION_TAG, relative_name, scenario_count
from tests.bdd.targets import TargetChoice, reports_dir, scenario_slug
from tests.bdd.world import WORLD, features_flows_dir, guide_not_read, load_features_flows

__all__ = [
    "FEATURES_MODULE",
    "SCENARIOS_REPORT",
    "TRANSITIONS_REPORT",
    "GateResult",
    "gate",
    "scenarios_by_transition",
]

FEATURES_MODULE = "tests.test_features"
SCENARIOS_REPORT = "scenarios.json"  # in reports_dir, unless --scenarios-report says
TRANSITIONS_REPORT = "transitions.json"  # written beside the scenarios report

_SCENARIO = pytest.StashKey[tuple[str, frozenset[str]]]()
_FAILED_STEP = pytest.StashKey[str]()


@dataclass
class GateResult:
    """The gate's verdict: what it prints, and what is left uncovered."""

    lines: list[str]
    uncovered_transitions: list[str]
    uncovered_guide_ids: list[str]
    uncovered_decisions: list[str]
    scenarios_by_guide_id: dict[str, list[str]]

    @property
    def passed(self) -> bool:
        return not (
            self.uncovered_transitions or self.uncovered_guide_ids or self.uncovered_decisions
        )

    def problems(self) -> list[str]:
        out = []
        if self.uncovered_transitions:
            out.append(f"transitions never fired: {', '.join(self.uncovered_transitions)}")
        if self.uncovered_guide_ids:
            out.append(
                f"guide IDs no passing scenario checks: {', '.join(self.uncovered_guide_ids)}"
            )
        if self.uncovered_decisions:
            out.append(
                f"decisions no passing scenario checks: {', '.join(self.uncovered_decisions)}"
            )
        return out


def gate(
    flow_set: FlowSet, fired: Iterable[str], passed: Mapping[str, Iterable[str]]
) -> GateResult:
    """Judge a feature run: ``fired`` holds ``machine.id`` of each transition fired by a
    passing scenario, ``passed`` maps each tag to the passing scenarios carrying it."""
    fired = set(fired)
    lines = ["transitions fired, per machine:"]
    uncovered: list[str] = []
    for machine, flow in flow_set.flows.items():
        names = [t.name for t in flow.transitions]
        missing = [n for n in names if n not in fired]
        uncovered += missing
        done = len(names) - len(missing)
        lines.append(
            f"  {machine}: {done}/{len(names)}"
            + (f"  MISSING: {', '.join(missing)}" if missing else "")
        )
    total = len(flow_set.transitions())
    lines.append(f"  all machines: {total - len(uncovered)}/{total}")

    by_id: dict[str, list[str]] = {}
    lines.append("guide IDs, with the scenarios that passed:")
    for guide_id in flow_set.guide_ids:
        names = sorted(set(passed.get(guide_id, ())))
        by_id[guide_id] = names
        lines.append(f"  {guide_id} ({len(names)}): {'; '.join(names) or 'NONE'}")
    missing_ids = [g for g, names in by_id.items() if not names]
    lines.append(f"  guide IDs covered: {len(by_id) - len(missing_ids)}/{len(by_id)}")

    missing_decisions = [
        key for key in flow_set.portal.decisions if not list(passed.get(DECISION_TAG + key, ()))
    ]
    covered = len(flow_set.portal.decisions) - len(missing_decisions)
    lines.append(f"decisions covered: {covered}/{len(flow_set.portal.decisions)}")
    return GateResult(lines, uncovered, missing_ids, missing_decisions, by_id)


def scenarios_by_transition(
    flow_set: FlowSet, fired_by: Mapping[str, Iterable[str]]
) -> dict[str, list[str]]:
    """Each transition of ``flow_set`` (``machine.id``, in file order) -> the passing
    scenarios that fired it, sorted and without repeats (an outline's examples share a
    name); ``fired_by`` maps a transition to those scenarios, as the run met them."""
    return {t.name: sorted(set(fired_by.get(t.name, ()))) for t in flow_set.transitions()}


@dataclass
class _FeatureRun:
    flow_set: FlowSet
    expected: int
    selected: int = 0
    ran: int = 0
    fired: set[str] = field(default_factory=set)
    fired_by: dict[str, list[str]] = field(default_factory=dict)  # transition -> scenarios
    passed: dict[str, list[str]] = field(default_factory=dict)
    result: GateResult | None = None
    note: str | None = None
    # Passing scenarios whose transitions fired could not be read (from a served portal).
    unread: list[str] = field(default_factory=list)


_RUN = pytest.StashKey[_FeatureRun]()


def _is_feature_item(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return module is not None and module.__name__ == FEATURES_MODULE


def pytest_collection_finish(session: pytest.Session) -> None:
    items = [item for item in session.items if _is_feature_item(item)]
    selected = len(items)
    if not selected:
        return
    if all(item.get_closest_marker("departure") for item in items):
        return  # `rpp verify --emit-features` scenarios: regression tests, not the guide's coverage
    flow_set = load_features_flows(str(features_flows_dir()))
    session.config.stash[_RUN] = _FeatureRun(flow_set, _expected(session), selected)


def _expected(session: pytest.Session) -> int:
    """The items a run of every feature selects: what the binding made (a scenario with an
    undefined step is one of them: it ran, and failed)."""
    from tests.bdd.binding import expected_items  # a plugin of its own, imported by pytest

    for item in session.items:
        if _is_feature_item(item):
            bound = getattr(getattr(item, "module", None), "BOUND", None)
            if bound is not None:
                return expected_items(bound)
    return scenario_count()


def pytest_bdd_before_scenario(
    request: pytest.FixtureRequest, feature: Feature, scenario: Scenario
) -> None:
    rule_tags = scenario.rule.tags if scenario.rule is not None else set()
    tags = frozenset(scenario.tags | feature.tags | rule_tags)
    name = f"{relative_name(Path(feature.filename))}: {scenario.name}"
    request.node.stash[_SCENARIO] = (name, tags)


def pytest_bdd_step_error(
    request: pytest.FixtureRequest,
    feature: Feature,
    scenario: Scenario,
    step: Step,
    exception: BaseException,
) -> None:
    where = f"{relative_name(Path(feature.filename))}:{step.line_number}"
    failed = f"{step.keyword} {step.name}  ({where})"
    world = request.node.stash.get(WORLD, None)
    if world is not None:
        callspec = getattr(request.node, "callspec", None)
        name = f"failed-{scenario_slug(scenario.name, callspec.id if callspec else None)}.png"
        try:
            shot = world.screenshot(reports_dir(request.config) / "screens" / name)
        except Exception as error:  # the step's failure is the news, not the camera's
            exception.add_note(f"(no screenshot of the page: {error})")
        else:
            if shot is not None:
                request.node.stash[SCREENSHOT] = shot
                shown = _shown_path(shot, request.config.rootpath)
                exception.add_note(f"screenshot of the page the producer saw: {shown}")
                failed += f"\nscreenshot: {shown}"
    request.node.stash[_FAILED_STEP] = failed


def _shown_path(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    run = item.config.stash.get(_RUN, None)
    if run is not None and report.when == "call" and _is_feature_item(item):
        run.ran += 1  # a scenario that failed before its first step (undefined) ran too
    world = item.stash.get(WORLD, None)
    if world is None:
        return
    if report.failed:
        failed_step = item.stash.get(_FAILED_STEP, None)
        step = f"The step that failed: {failed_step}\n\n" if failed_step else ""
        report.sections.append(("what the producer saw, and the mailbox", step + world.describe()))
    if run is None or report.when != "call":
        return
    scenario = item.stash.get(_SCENARIO, None)
    if report.passed and scenario is not None and world.reads_transitions:
        name, tags = scenario
        try:
            fired = set(world.transitions_fired())
            run.fired.update(fired)
            for transition in fired:
                run.fired_by.setdefault(transition, []).append(name)
        except (httpx.HTTPError, DriverError) as error:  # the served portal's test API
            run.unread.append(name)
            report.sections.append(("coverage gate", f"transitions fired not read: {error}"))
        for tag in tags:
            run.passed.setdefault(tag, []).append(name)


def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.stash.get(_RUN, None)
    if run is None:
        return
    choice = TargetChoice.of(session.config)
    if choice.is_factory:
        run.note = (
            f"coverage gate skipped: the team's target {choice.target} cannot tell which"
            " transitions fired (the driver protocol gives none)"
        )
        return
    if run.selected != run.expected:
        run.note = (
            f"coverage gate skipped: {run.selected} of the {run.expected} feature scenarios"
            " were selected (run them all for the gate)"
        )
        return
    if run.ran != run.selected:
        run.note = f"coverage gate skipped: {run.ran} of {run.selected} scenarios ran"
        return
    if run.unread:
        run.note = (
            f"COVERAGE GATE FAILED: the transitions fired by {len(run.unread)} scenario(s)"
            f" could not be read from the served portal, first: {run.unread[0]}"
        )
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    run.result = gate(run.flow_set, run.fired, run.passed)
    report = _scenarios_report(session.config)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        json.dumps(run.result.scenarios_by_guide_id, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    by_transition = scenarios_by_transition(run.flow_set, run.fired_by)
    report.with_name(TRANSITIONS_REPORT).write_text(
        json.dumps(by_transition, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    if not run.result.passed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    run = terminalreporter.config.stash.get(_RUN, None)
    if run is None:
        return
    if run.note is not None:
        terminalreporter.write_line(run.note)
        return
    if run.result is None:
        return
    terminalreporter.section("feature coverage gate")
    terminalreporter.write_line(f"flows: {features_flows_dir()}")
    if guide_not_read(run.flow_set):
        terminalreporter.write_line(
            "guide IDs: those the flows cite (the guide was not read: set RPP_GUIDE to check"
            " them against GUIDE.md)",
            yellow=True,
        )
    for line in run.result.lines:
        terminalreporter.write_line(line)
    written = _shown_path(_scenarios_report(terminalreporter.config), Path.cwd())
    terminalreporter.write_line(f"scenarios by guide ID written to {written}")
    beside = Path(written).with_name(TRANSITIONS_REPORT)
    terminalreporter.write_line(f"scenarios by transition written to {beside}")
    if run.result.passed:
        terminalreporter.write_line("coverage gate passed", green=True, bold=True)
    else:
        for problem in run.result.problems():
            terminalreporter.write_line(f"COVERAGE GATE FAILED: {problem}", red=True, bold=True)


def _scenarios_report(config: pytest.Config) -> Path:
    given = config.getoption("scenarios_report", None)
    if given:
        return config.rootpath / str(given)
    return reports_dir(config) / SCENARIOS_REPORT


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--scenarios-report",
        default=None,
        metavar="PATH",
        help="where the feature coverage gate writes guide ID -> passing scenarios (JSON;"
        " relative to the rootdir; default: scenarios.json beside --cucumber-report,"
        " --junitxml or --html, else reports/scenarios.json)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # pytest-bdd's --cucumberjson writes its file without making the folder.
    path = getattr(config.option, "cucumber_json_path", None)
    if path:
        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
