"""``--cucumber-report PATH``: the features' run as Cucumber JSON, valid against the
Cucumber JSON schema (``tests/bdd/cucumber-jvm.schema.json``: ``schemas/cucumber-jvm.json``
of https://github.com/cucumber/cucumber-json-schema at commit
afe437263a750780fbc82c4322de5006a92e05b4, release v0.2.1, MIT licence, unchanged).

pytest-bdd's own ``--cucumberjson`` (alias ``--cucumber-json``) breaks that schema (tags without ``@``, no data
tables or doc strings, no step locations); this plugin writes the report from
pytest-bdd's hooks instead:

- a feature per feature file that ran (``uri`` relative to the rootdir, ``id``,
  ``line``, ``keyword``, ``name``, ``description``, ``tags`` as ``@tag``);
- per scenario (per example of an outline) a ``background`` element when the feature
  or rule has a Background, then the ``scenario`` element, with ``id``
  (``feature;scenario``, ``;;<row>`` for an example), ``start_timestamp`` and the tags
  it carries (feature, rule, scenario and examples tags);
- per step its ``keyword`` as written (``And ``), ``line``, ``name``, ``rows``
  (``{"cells": [...]}``) or ``doc_string``, ``match.location`` (the step definition's
  ``file:line``) and ``result``: ``passed``, ``failed`` (with ``error_message``),
  ``undefined`` (no step definition: the scenario's steps are not run, so the steps
  before it are ``skipped``), or ``skipped`` (after a failure, or when the test was
  skipped); ``duration`` in nanoseconds. A failed check's ``error_message`` says what
  differs, once, without a traceback (an error that is not a failed check keeps it);
  passwords and temporary passwords are masked as in the other reports
  (tests/bdd/reports.py); in Chromium the failing step carries the page's screenshot as
  an ``embeddings`` PNG.

A failure outside the steps (a fixture's setup or teardown) is a failed ``before`` or
``after`` hook of the scenario.

A feature file that cannot run (a Gherkin syntax error, an unregistered tag:
``tests/bdd/binding.py``) is in the report too, as failed: each of its scenarios with a
failed ``before`` hook holding the problem, its unknown steps ``undefined`` and the
others ``skipped``; a file that does not parse is one failed element named after it.
"""

from __future__ import annotations

import base64
import inspect
import json
import re
import time
import traceback
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pluggy import Result
from pytest_bdd.parser import Feature, Scenario, Step
from pytest_bdd.scenario import scenario_wrapper_template_registry

from tests.bdd.binding import UNRUNNABLE, BoundFile, step_matches
from tests.bdd.reports import SCREENSHOT, mask
from tests.bdd.tags import parse_feature
from tests.bdd.world import WORLD

__all__ = ["SCHEMA_FILE", "CucumberJsonReport"]

SCHEMA_FILE = Path(__file__).with_name("cucumber-jvm.schema.json")
_EXAMPLE = "_pytest_bdd_example"


def _slug(name: str) -> str:
    return re.sub(r"\s+", "-", name.strip().lower()) or "-"


def _tags(tags: set[str] | frozenset[str]) -> list[dict[str, str]]:
    return [{"name": f"@{tag}"} for tag in sorted(tags)]


def _keyword(keyword: str) -> str:
    return keyword.strip() + " "


def _location(func: Any, root: Path) -> str | None:
    try:
        source = inspect.getsourcefile(func)
        line = func.__code__.co_firstlineno
    except (TypeError, AttributeError):
        return None
    if source is None:
        return None
    path = Path(source).resolve()
    try:
        shown = path.relative_to(root).as_posix()
    except ValueError:
        shown = str(path)
    return f"{shown}:{line}"


@dataclass
class _StepRecord:
    step: Step
    background: bool
    status: str | None = None
    started: int = 0
    duration: int = 0
    error: str | None = None
    location: str | None = None
    embeddings: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _ElementRecord:
    feature: Feature
    scenario: Scenario
    example_row: int | None
    started: str
    steps: list[_StepRecord]
    before: list[dict[str, Any]] = field(default_factory=list)
    after: list[dict[str, Any]] = field(default_factory=list)


def _error_message(exception: BaseException) -> str:
    """What went wrong: for a failed check what differs, once; for another error, then
    the traceback."""
    head = str(exception) if isinstance(exception, AssertionError) else repr(exception)
    notes = "".join(f"\n{note}" for note in getattr(exception, "__notes__", ()))
    if isinstance(exception, AssertionError):
        return f"{head}{notes}".strip() or "the check failed"
    trace = "".join(traceback.format_exception(exception)).rstrip()
    return f"{head}{notes}\n\n{trace}".strip() or type(exception).__name__


class CucumberJsonReport:
    """Collects the scenarios as they run and writes the report at the end."""

    def __init__(self, path: Path, root: Path) -> None:
        self.path = path
        self.root = root
        self.elements: list[_ElementRecord] = []
        self._by_item: dict[str, _ElementRecord] = {}
        self._lines: dict[str, list[str]] = {}
        self.unrunnable: list[BoundFile] = []

    # -- recording ---------------------------------------------------------------------

    def _start(self, item: pytest.Item, feature: Feature, scenario: Scenario) -> _ElementRecord:
        background = len(feature.background.steps) if feature.background else 0
        if scenario.rule is not None and scenario.rule.background is not None:
            background += len(scenario.rule.background.steps)
        callspec = getattr(item, "callspec", None)
        row: int | None = None
        if callspec is not None and _EXAMPLE in callspec.indices:
            row = callspec.indices[_EXAMPLE] + 2  # the header is row 1
        started = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        steps = [_StepRecord(s, i < background) for i, s in enumerate(scenario.steps)]
        record = _ElementRecord(feature, scenario, row, started, steps)
        self._by_item[item.nodeid] = record
        self.elements.append(record)
        return record

    def _step(self, request: pytest.FixtureRequest, step: Step) -> _StepRecord | None:
        record = self._by_item.get(request.node.nodeid)
        if record is None:
            return None
        for step_record in record.steps:
            if step_record.step is step:
                return step_record
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_bdd_before_scenario(
        self, request: pytest.FixtureRequest, feature: Feature, scenario: Scenario
    ) -> None:
        self._start(request.node, feature, scenario)

    def pytest_bdd_before_step(
        self, request: pytest.FixtureRequest, step: Step, step_func: Any
    ) -> None:
        record = self._step(request, step)
        if record is not None:
            record.started = time.perf_counter_ns()
            record.location = _location(step_func, self.root)

    def pytest_bdd_after_step(self, request: pytest.FixtureRequest, step: Step) -> None:
        record = self._step(request, step)
        if record is not None:
            record.status = "passed"
            record.duration = time.perf_counter_ns() - record.started

    def pytest_bdd_step_error(
        self, request: pytest.FixtureRequest, step: Step, exception: BaseException
    ) -> None:
        record = self._step(request, step)
        if record is not None:
            record.status = "failed"
            record.duration = time.perf_counter_ns() - record.started
            record.error = _error_message(exception)

    def pytest_bdd_step_func_lookup_error(
        self, request: pytest.FixtureRequest, step: Step, exception: BaseException
    ) -> None:
        record = self._step(request, step)
        if record is not None:
            record.status = "undefined"
            record.error = _error_message(exception)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Result[pytest.TestReport], None]:
        outcome = yield
        report = outcome.get_result()
        record = self._by_item.get(item.nodeid)
        if not report.failed:
            return
        if record is not None and report.when == "call":
            self._finish_failed(item, record)
        bound = getattr(getattr(item, "function", None), UNRUNNABLE, None)
        if isinstance(bound, BoundFile) and report.when == "call":
            self.unrunnable.append(bound)
            return
        if report.when == "setup" and record is None:
            record = self._from_item(item)
            if record is not None:
                record.before.append(self._hook("failed", report.longreprtext))
            return
        if record is None:
            return
        in_a_step = any(s.status in ("failed", "undefined") for s in record.steps)
        if report.when == "teardown" or (report.when == "call" and not in_a_step):
            record.after.append(self._hook("failed", report.longreprtext))

    def _finish_failed(self, item: pytest.Item, record: _ElementRecord) -> None:
        """Mask the secrets in the failed steps' messages; embed the screenshot."""
        world = item.stash.get(WORLD, None)
        secrets = world.secrets() if world is not None else set()
        failed = [s for s in record.steps if s.status == "failed"]
        for step in record.steps:
            if step.error is not None and secrets:
                step.error = mask(step.error, secrets)
        shot = item.stash.get(SCREENSHOT, None)
        if failed and shot is not None and shot.is_file():
            data = base64.b64encode(shot.read_bytes()).decode("ascii")
            failed[0].embeddings.append({"mime_type": "image/png", "data": data, "name": shot.name})

    def _hook(self, status: str, message: str) -> dict[str, Any]:
        result: dict[str, Any] = {"status": status, "duration": 0}
        if status == "failed":
            result["error_message"] = message or "failed"
        return {"match": {"location": "pytest fixture"}, "result": result}

    def _from_item(self, item: pytest.Item) -> _ElementRecord | None:
        """A scenario whose fixtures failed before pytest-bdd started it."""
        function = getattr(item, "function", None)
        template = scenario_wrapper_template_registry.get(function) if function else None
        if template is None:
            return None
        callspec = getattr(item, "callspec", None)
        context = callspec.params.get(_EXAMPLE, {}) if callspec is not None else {}
        return self._start(item, template.feature, template.render(context))

    # -- writing -----------------------------------------------------------------------

    def _uri(self, feature: Feature) -> str:
        path = Path(feature.filename).resolve()
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def _file_lines(self, feature: Feature) -> list[str]:
        lines = self._lines.get(feature.filename)
        if lines is None:
            lines = Path(feature.filename).read_text(encoding="utf-8").splitlines()
            self._lines[feature.filename] = lines
        return lines

    def _feature_tags(self, feature: Feature) -> list[dict[str, Any]]:
        """The Feature line's tags, each with where it is written (the schema's
        ``JvmLocationTag``): on the tag lines just above the Feature line."""
        lines = self._file_lines(feature)
        found: dict[str, dict[str, int]] = {}
        number = feature.line_number - 1
        while number >= 1 and lines[number - 1].lstrip().startswith(("@", "#")):
            text = lines[number - 1]
            for match in re.finditer(r"@(\S+)", text.split("#", 1)[0]):
                found.setdefault(match.group(1), {"line": number, "column": match.start() + 1})
            number -= 1
        return [
            {
                "name": f"@{tag}",
                "type": "Tag",
                "location": found.get(tag, {"line": feature.line_number, "column": 1}),
            }
            for tag in sorted(feature.tags)
        ]

    def _doc_string_line(self, feature: Feature, step: Step) -> int:
        lines = self._file_lines(feature)
        for number in range(step.line_number + 1, len(lines) + 1):
            if lines[number - 1].lstrip().startswith(('"""', "```")):
                return number
        return step.line_number + 1

    def _step_json(self, feature: Feature, record: _StepRecord) -> dict[str, Any]:
        step = record.step
        out: dict[str, Any] = {
            "keyword": _keyword(step.keyword),
            "line": step.line_number,
            "name": step.name,
        }
        if step.datatable is not None:
            out["rows"] = [{"cells": [c.value for c in row.cells]} for row in step.datatable.rows]
        if step.docstring is not None:
            out["doc_string"] = {
                "line": self._doc_string_line(feature, step),
                "value": step.docstring,
            }
        if record.location is not None:
            out["match"] = {"location": record.location}
        result: dict[str, Any] = {"status": record.status or "skipped"}
        if record.status in ("passed", "failed"):
            result["duration"] = record.duration
        if record.error is not None and record.status in ("failed", "undefined"):
            result["error_message"] = record.error
        out["result"] = result
        if record.embeddings:
            out["embeddings"] = record.embeddings
        return out

    def _elements(self, record: _ElementRecord, feature_id: str) -> list[dict[str, Any]]:
        feature, scenario = record.feature, record.scenario
        out: list[dict[str, Any]] = []
        background = [s for s in record.steps if s.background]
        if background:
            line = feature.background.line_number if feature.background else 0
            if not line and scenario.rule is not None and scenario.rule.background:
                line = scenario.rule.background.line_number
            out.append(
                {
                    "line": line,
                    "type": "background",
                    "keyword": "Background",
                    "name": "",
                    "description": "",
                    "steps": [self._step_json(feature, s) for s in background],
                }
            )
        scenario_id = f"{feature_id};{_slug(scenario.name)}"
        if record.example_row is not None:
            scenario_id += f";;{record.example_row}"
        rule_tags = scenario.rule.tags if scenario.rule is not None else set()
        element: dict[str, Any] = {
            "id": scenario_id,
            "line": scenario.line_number,
            "type": "scenario",
            "keyword": scenario.keyword.strip(),
            "name": scenario.name,
            "description": scenario.description or "",
            "start_timestamp": record.started,
            "tags": _tags(scenario.tags | feature.tags | rule_tags),
            "steps": [self._step_json(feature, s) for s in record.steps if not s.background],
        }
        if record.before:
            element["before"] = record.before
        if record.after:
            element["after"] = record.after
        out.append(element)
        return out

    def document(self) -> list[dict[str, Any]]:
        """The report: one feature per file that ran, its elements in run order, then
        each file that could not run, as failed."""
        features: dict[str, dict[str, Any]] = {}
        for record in self.elements:
            feature = record.feature
            entry = features.get(feature.filename)
            if entry is None:
                entry = {
                    "uri": self._uri(feature),
                    "id": _slug(feature.name),
                    "line": feature.line_number,
                    "keyword": feature.keyword.strip(),
                    "name": feature.name,
                    "description": feature.description or "",
                    "tags": self._feature_tags(feature),
                    "elements": [],
                }
                features[feature.filename] = entry
            entry["elements"].extend(self._elements(record, entry["id"]))
        return [*features.values(), *(self._unrunnable_json(b) for b in self.unrunnable)]

    def _unrunnable_json(self, bound: BoundFile) -> dict[str, Any]:
        """A file that cannot run, as a feature whose scenarios all failed."""
        problem = bound.problem or "cannot run"
        failed = [self._hook("failed", problem)]
        uri = self._uri_of(bound.path)
        try:
            feature = parse_feature(bound.path)
        except Exception:
            text = bound.path.read_text(encoding="utf-8", errors="replace")
            match = re.search(r"^\s*Feature:[ \t]*(.*)$", text, re.MULTILINE)
            name = match.group(1).strip() if match else bound.path.name
            return {
                "uri": uri,
                "id": _slug(name),
                "line": 1,
                "keyword": "Feature",
                "name": name,
                "description": "",
                "elements": [
                    {
                        "id": f"{_slug(name)};cannot-run",
                        "line": 1,
                        "type": "scenario",
                        "keyword": "Scenario",
                        "name": f"{bound.path.name} cannot run",
                        "description": "",
                        "steps": [],
                        "before": failed,
                    }
                ],
            }
        feature_id = _slug(feature.name)
        elements = []
        for template in feature.scenarios.values():
            contexts = [c for ex in template.examples for c in ex.as_contexts()] or [{}]
            scenario = template.render(contexts[0])
            steps = []
            for step in scenario.steps:
                record = _StepRecord(step, background=False)
                if not step_matches(step):
                    record.status = "undefined"
                    record.error = f"no step definition matches {step.keyword} {step.name}"
                steps.append(self._step_json(feature, record))
            rule_tags = scenario.rule.tags if scenario.rule is not None else set()
            elements.append(
                {
                    "id": f"{feature_id};{_slug(scenario.name)}",
                    "line": scenario.line_number,
                    "type": "scenario",
                    "keyword": scenario.keyword.strip(),
                    "name": scenario.name,
                    "description": scenario.description or "",
                    "tags": _tags(scenario.tags | feature.tags | rule_tags),
                    "steps": steps,
                    "before": failed,
                }
            )
        return {
            "uri": uri,
            "id": feature_id,
            "line": feature.line_number,
            "keyword": feature.keyword.strip(),
            "name": feature.name,
            "description": feature.description or "",
            "tags": self._feature_tags(feature),
            "elements": elements,
        }

    def _uri_of(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path.resolve())

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(
            json.dumps(self.document(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.write_line(f"cucumber JSON report written to {self.path}")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rpp-features")
    group.addoption(
        "--cucumber-report",
        dest="rpp_cucumber_report",
        metavar="PATH",
        help="write the features' run as Cucumber JSON valid against the Cucumber JSON"
        " schema (tests/bdd/cucumber-jvm.schema.json); relative to the rootdir",
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("rpp_cucumber_report", None)
    if not path:
        return
    root = config.rootpath.resolve()
    target = Path(path).expanduser()
    target = target if target.is_absolute() else root / target
    config.pluginmanager.register(CucumberJsonReport(target, root), "rpp-cucumber-json")
