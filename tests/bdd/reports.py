"""The features' reports for people and for CI, from one run (registered by
``tests/conftest.py``):

- JUnit (``--junitxml``): one test case per scenario, an outline's per example row,
  named by the scenario's title (an example: ``title (example 2: IL)``) with the
  feature's name as its ``classname``, so Jenkins and GitLab list scenarios by feature,
  not Python functions; a feature file that cannot run is one case named after it.
- pytest-html (``--html``): titled for the run (where the features ran), each feature
  row named ``feature › scenario``, and a failing step's screenshot (Chromium) embedded
  as a PNG (with ``--self-contained-html``, inside the page itself).
- No password in clear: in every report, the failure, its sections (the page, the
  mailbox dump) and captured output have each password and temporary password the
  scenario's world knows, in any case, replaced by ``[password hidden]``, as
  ``rpp verify --json`` does (the Cucumber report masks its own: tests/bdd/cucumber.py).

Where the reports go: each where its option says; the screenshots and the coverage
gate's JSON beside the first report asked for (:func:`tests.bdd.targets.reports_dir`).
"""

from __future__ import annotations

import base64
from collections.abc import Generator, Iterable
from pathlib import Path

import pytest
from pluggy import Result
from pytest_bdd.scenario import scenario_wrapper_template_registry

from tests.bdd.binding import UNRUNNABLE, BoundFile, shown_path
from tests.bdd.targets import TargetChoice
from tests.bdd.world import WORLD

__all__ = ["HIDDEN", "SCREENSHOT", "mask", "scenario_title"]

HIDDEN = "[password hidden]"
SCREENSHOT = pytest.StashKey[Path]()
"""The screenshot of the page a failing step left (Chromium): the reports embed it."""
_EXAMPLE = "_pytest_bdd_example"
_FEATURES_MODULE = "tests.test_features"
_TITLE = pytest.StashKey[tuple[str, str]]()  # (feature, scenario title) of an item
_CONFIG: list[pytest.Config] = []  # pytest-html's title hook is given no config


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret (as given, in capitals, in small letters, each letter's
    case swapped) replaced by :data:`HIDDEN`, the longest first."""
    variants = {
        variant
        for secret in secrets
        if secret
        for variant in (secret, secret.upper(), secret.lower(), secret.swapcase())
    }
    for secret in sorted(variants, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


def scenario_title(item: pytest.Item) -> tuple[str, str] | None:
    """(feature name, scenario title) of a feature test: an outline's example adds its
    row, ``title (example 2: IL)``; a file that cannot run is named after the file."""
    function = getattr(item, "function", None)
    if function is None or getattr(getattr(item, "module", None), "__name__", "") != (
        _FEATURES_MODULE
    ):
        return None
    bound = getattr(function, UNRUNNABLE, None)
    if isinstance(bound, BoundFile):
        return (shown_path(bound.path), f"{bound.path.name} cannot run")
    template = scenario_wrapper_template_registry.get(function)
    if template is None:
        return None
    title = template.name
    callspec = getattr(item, "callspec", None)
    if callspec is not None and _EXAMPLE in callspec.params:
        row = callspec.indices[_EXAMPLE] + 1
        values = ", ".join(str(v) for v in callspec.params[_EXAMPLE].values())
        title = f"{title} (example {row}: {values})"
    return (template.feature.name, title)


def _secrets(item: pytest.Item) -> set[str]:
    world = item.stash.get(WORLD, None)
    return world.secrets() if world is not None else set()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Name the item's JUnit test case by its scenario, before any of its reports."""
    names = scenario_title(item)
    if names is None:
        return
    item.stash[_TITLE] = names
    # pytest's own record_xml_attribute does this through the same reporter, for a test
    # that asks; a scenario's test asks for nothing, so the hook does it.
    from _pytest.junitxml import xml_key

    xml = item.config.stash.get(xml_key, None)
    if xml is not None:
        reporter = xml.node_reporter(item.nodeid)
        reporter.add_attribute("classname", names[0])
        reporter.add_attribute("name", names[1])


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Result[pytest.TestReport], None]:
    """Last of all (the other plugins have added their sections): mask the secrets, name
    the row, embed the screenshot."""
    outcome = yield
    report = outcome.get_result()
    names = item.stash.get(_TITLE, None)
    if names is not None:
        report.rpp_title = f"{names[0]} › {names[1]}"  # type: ignore[attr-defined]
    if report.failed or report.sections:
        secrets = _secrets(item)
        if secrets:
            text = report.longreprtext
            masked = mask(text, secrets)
            if masked != text:
                report.longrepr = masked
            report.sections = [(key, mask(value, secrets)) for key, value in report.sections]
    shot = item.stash.get(SCREENSHOT, None)
    if shot is not None and report.when == "call" and report.failed and shot.is_file():
        try:
            from pytest_html import extras
        except ImportError:  # pragma: no cover - a dev dependency
            return
        data = base64.b64encode(shot.read_bytes()).decode("ascii")
        report.extras = [  # type: ignore[attr-defined]
            *getattr(report, "extras", []),
            extras.png(data, "the page the producer saw"),
        ]


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG[:] = [config]


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: object) -> None:
    where = TargetChoice.of(_CONFIG[0]).describe() if _CONFIG else "in-process"
    report.title = f"rpp-flows: tests and features ({where})"  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    title = getattr(report, "rpp_title", None)
    if title is not None and len(cells) > 1:
        from html import escape

        phase = "" if report.when == "call" else f" ({report.when})"
        cells[1] = f'<td class="col-testId">{escape(title + phase)}</td>'
