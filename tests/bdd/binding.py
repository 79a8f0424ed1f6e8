"""Binds every feature file to pytest: each scenario of every ``*.feature`` under the
features directory (``features/`` or ``$RPP_FEATURES``; :func:`tests.bdd.tags.feature_paths`)
becomes a test of ``tests/test_features.py``, with its file's section marker
(``pytest -m lockout``; ``newcomer.feature``: ``-m newcomer``).

A file that cannot run is not left out silently: it becomes one failing test,
``test_feature_file_<name>``, whose message names the file, the line and why: a
Gherkin syntax error, a tag that is not a registered marker, or a step no step
definition matches (with the closest steps of the catalogue, ``features/STEPS.md``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_bdd import scenario
from pytest_bdd.exceptions import GherkinParseError
from pytest_bdd.parser import Feature, Scenario, Step
from pytest_bdd.scenario import get_python_name_generator
from pytest_bdd.steps import step_function_context_registry

from tests.bdd.tags import (
    feature_paths,
    features_dir,
    parse_feature,
    relative_name,
    section_of,
)

__all__ = [
    "STEPS_DOC",
    "UNRUNNABLE",
    "BoundFile",
    "bind",
    "closest_steps",
    "shown_path",
    "step_matches",
    "unknown_steps",
]

STEPS_DOC = "features/STEPS.md"
SUGGESTIONS = 3
# The attribute of a file's failing test holding its BoundFile (the Cucumber report
# lists the file as failed from it).
UNRUNNABLE = "rpp_unrunnable_feature"

# A failing step reports the useful part first (registered with this plugin).
pytest_plugins = ["tests.bdd.failures"]


@dataclass(frozen=True)
class BoundFile:
    """One feature file as bound: its tests' names, or why it cannot run."""

    path: Path
    section: str
    tests: tuple[str, ...]
    problem: str | None = None


def shown_path(path: Path) -> str:
    """A feature file as messages name it: relative to the working directory if inside."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def step_matches(step: Step) -> bool:
    """True when a step definition matches ``step``."""
    for context in step_function_context_registry.values():
        if context.type not in (None, step.type):
            continue
        if context.parser.is_matching(step.name):
            return True
    return False


def _rendered(feature: Feature) -> Iterable[tuple[Scenario, Step]]:
    """Every step as it runs: backgrounds included, each outline with each example."""
    for template in feature.scenarios.values():
        contexts = [c for ex in template.examples for c in ex.as_contexts()] or [{}]
        seen: set[tuple[int, str]] = set()
        for context in contexts:
            rendered = template.render(context)
            for step in rendered.steps:
                key = (step.line_number, step.name)
                if key not in seen:
                    seen.add(key)
                    yield rendered, step


def closest_steps(step: Step, limit: int = SUGGESTIONS) -> list[str]:
    """The step patterns of the catalogue most like ``step``, as STEPS.md writes them."""
    from tests.bdd.catalog import steps

    scored: list[tuple[float, str]] = []
    for definition in steps():
        ratio = difflib.SequenceMatcher(None, step.name, definition.template).ratio()
        if definition.kind == step.type:
            ratio += 0.05
        scored.append((ratio, f"{definition.kind.capitalize()} {definition.template}"))
    scored.sort(key=lambda item: -item[0])
    return [text for _, text in scored[:limit]]


def unknown_steps(feature: Feature, shown: str) -> list[str]:
    """A message for each step of ``feature`` no step definition matches."""
    problems = []
    for template, step in _rendered(feature):
        if step_matches(step):
            continue
        suggestions = "\n".join(f"      {text}" for text in closest_steps(step))
        problems.append(
            f"{shown}:{step.line_number}: no step definition matches"
            f" {step.keyword} {step.name}  (scenario {template.name!r})\n"
            f"    closest steps of the catalogue ({STEPS_DOC} lists them all):\n{suggestions}"
        )
    return problems


def _failing(bound: BoundFile, doc: str) -> Callable[[], None]:
    problem = bound.problem or "cannot run"

    def test_feature_file() -> None:
        pytest.fail(problem, pytrace=False)

    test_feature_file.__doc__ = doc
    setattr(test_feature_file, UNRUNNABLE, bound)
    section = bound.section
    marked: Callable[[], None] = getattr(pytest.mark, section)(test_feature_file)
    return marked


def _unique(name: str, namespace: dict[str, object], staged: dict[str, object]) -> str:
    for candidate in get_python_name_generator(name):
        if candidate not in namespace and candidate not in staged:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def _bind_file(path: Path, relative: str, section: str, namespace: dict[str, object]) -> BoundFile:
    shown = shown_path(path)
    try:
        feature = parse_feature(path)
    except GherkinParseError as error:
        return _problem(
            path,
            section,
            f"{shown}:{error.line}: Gherkin syntax error: {error.message}\n"
            f"    the line: {error.line_content.strip()}",
            namespace,
        )
    except Exception as error:
        return _problem(path, section, f"{shown}: cannot be read: {error}", namespace)
    problems = unknown_steps(feature, shown)
    if problems:
        return _problem(path, section, "\n".join(problems), namespace)
    staged: dict[str, object] = {}
    try:
        for name, template in feature.scenarios.items():

            def _scenario() -> None:
                pass  # the steps are the test

            test = scenario(str(path), name, features_base_dir=str(path.parent))(_scenario)
            rule_tags = template.rule.tags if template.rule is not None else set()
            if section not in template.tags | feature.tags | rule_tags:
                test = getattr(pytest.mark, section)(test)
            staged[_unique(name, namespace, staged)] = test
    except (Exception, pytest.fail.Exception) as error:
        # A tag that is no registered marker (--strict-markers), most likely.
        line = f":{template.line_number}" if "template" in locals() else ""
        return _problem(path, section, f"{shown}{line}: {error}", namespace)
    namespace.update(staged)
    return BoundFile(path, section, tuple(staged))


def _problem(path: Path, section: str, problem: str, namespace: dict[str, object]) -> BoundFile:
    stem = re.sub(r"[^a-z0-9]+", "_", relative_name(path).lower()).strip("_")
    name = _unique(f"feature_file_{stem}", namespace, {})
    bound = BoundFile(path, section, (name,), problem)
    namespace[name] = _failing(bound, f"{shown_path(path)} cannot run")
    return bound


def bind(namespace: dict[str, object], directory: Path | None = None) -> list[BoundFile]:
    """Bind every scenario of every feature file under ``directory`` (default:
    :func:`tests.bdd.tags.features_dir`) into ``namespace`` (a test module's globals)."""
    directory = features_dir() if directory is None else directory
    if not directory.is_dir():
        raise pytest.UsageError(f"the features directory {directory} does not exist")
    bound = []
    for path in feature_paths(directory):
        relative = relative_name(path, directory)
        bound.append(_bind_file(path, relative, section_of(relative), namespace))
    return bound


def pytest_bdd_step_func_lookup_error(
    request: pytest.FixtureRequest,
    feature: Feature,
    scenario: Scenario,
    step: Step,
    exception: Exception,
) -> None:
    """A step found unknown only when it runs (bound above, so rare): say where and what
    comes closest."""
    where = f"{shown_path(Path(feature.filename))}:{step.line_number}"
    exception.add_note(f"{where}: no step definition matches {step.keyword} {step.name}")
    exception.add_note(
        f"closest steps of the catalogue ({STEPS_DOC} lists them all): "
        + "; ".join(closest_steps(step))
    )
