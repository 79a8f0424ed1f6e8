"""A failing feature step reports the useful part first: the feature file and line, the
step as written, and what differs; the step definition's place comes after, and the
Python traceback only for an error that is not an assertion (a bug in a step or a
driver), below all that. Registered by ``tests/bdd/binding.py``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
from pluggy import Result
from pytest_bdd.parser import Feature, Scenario, Step

__all__ = ["headline", "pytest_bdd_step_error", "pytest_runtest_makereport"]

_FAILURE = pytest.StashKey[tuple[str, BaseException]]()


def _shown(path: str | Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _definition(step_func: Callable[..., Any], root: Path) -> str:
    try:
        source = inspect.getsourcefile(step_func)
        line = step_func.__code__.co_firstlineno
    except (TypeError, AttributeError):
        return ""
    return f"{_shown(source, root)}:{line} {step_func.__name__}" if source else ""


def headline(where: str, step: Step, exception: BaseException) -> str:
    """``lockout.feature:12: Then ...`` and then what went wrong, notes included."""
    if isinstance(exception, AssertionError):
        what = str(exception)
    else:
        what = f"{type(exception).__name__}: {exception}"
    notes = "".join(f"\n{note}" for note in getattr(exception, "__notes__", ()))
    return f"{where}: {step.keyword} {step.name}\n{what}{notes}"


def pytest_bdd_step_error(
    request: pytest.FixtureRequest,
    feature: Feature,
    scenario: Scenario,
    step: Step,
    step_func: Callable[..., Any],
    exception: BaseException,
) -> None:
    root = request.config.rootpath
    where = f"{_shown(feature.filename, root)}:{step.line_number}"
    text = headline(where, step, exception)
    definition = _definition(step_func, root)
    if definition:
        text += f"\n\n(step definition: {definition})"
    request.node.stash[_FAILURE] = (text, exception)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    failure = item.stash.get(_FAILURE, None)
    if failure is None or not report.failed or report.when != "call":
        return
    text, exception = failure
    if not isinstance(exception, AssertionError):
        text += "\n\nPython traceback:\n" + report.longreprtext
    report.longrepr = text
