"""Binds every feature file to pytest: each scenario of every ``*.feature`` under the
features directory (``features/`` or ``$RPP_FEATURES``; :func:`tests.bdd.tags.feature_paths`)
becomes a test of ``tests/test_features.py``, with its file's section marker
(``pytest -m lockout``; ``newcomer.feature``: ``-m newcomer``).

A scenario with a step no step definition matches fails alone, before any of its
steps runs (Cucumber's "undefined"): its message names the file, the line, the step and
the closest steps of the catalogue (``features/STEPS.md``); every other scenario of its
file runs. A file that cannot run at all is not left out silently: it becomes one
failing test, ``test_feature_file_<name>``, whose message names the file, the line and
why: a Gherkin syntax error, or a tag that is not a registered marker.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_bdd import scenario
from pytest_bdd.exceptions import GherkinParseError, StepDefinitionNotFoundError
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
    "EXAMPLES_HINT",
    "STEPS_DOC",
    "UNRUNNABLE",
    "BoundFile",
    "bind",
    "closest_steps",
    "expected_items",
    "shown_path",
    "step_matches",
    "undefined_message",
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
    items: int = 1  # the pytest items its tests make (an outline: one per example)


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


# Words that say what a step is about: a suggestion sharing them ranks first, so an
# unknown menu step is offered the menu steps, not "the account is locked".
_KEY_WORDS = frozenset(
    [
        "menu",
        "menus",
        "field",
        "fields",
        "email",
        "emails",
        "page",
        "pages",
        "button",
        "buttons",
        "link",
        "links",
        "message",
        "messages",
        "password",
        "temporary",
        "directory",
        "state",
        "browser",
        "reset",
        "registered",
        "subject",
        "locked",
    ]
)
_WORD = re.compile(r"[a-z]+")
_QUOTED_OR_FIELD = re.compile(r'"[^"]*"|\{\w+(?::([^}]*))?\}|<[^>]*>')


def _words(text: str) -> set[str]:
    """The words of a step or a template: quotes and fields left out, but the words a
    ``{kind:a|b}`` field offers kept."""

    def keep_choices(match: re.Match[str]) -> str:
        choices = match.group(1) or ""
        return f" {choices.replace('|', ' ')} " if "|" in choices else " "

    return set(_WORD.findall(_QUOTED_OR_FIELD.sub(keep_choices, text.lower())))


def _likeness(step: str, template: str) -> float:
    """0..1: how alike the letters are, and how many of the words that matter are shared."""
    ratio = difflib.SequenceMatcher(None, step, template).ratio()
    wanted, offered = _words(step) & _KEY_WORDS, _words(template) & _KEY_WORDS
    if not wanted:
        return 0.5 * ratio
    shared = len(wanted & offered) / len(wanted | offered)
    # A step sharing none of the words that matter comes after every one that shares some.
    return 0.4 * ratio + 0.6 * shared + (0.5 if shared else 0.0)


def closest_steps(step: Step, limit: int = SUGGESTIONS) -> list[str]:
    """The step patterns of the catalogue most like ``step``, as STEPS.md writes them:
    alike in letters, and above all in the words that say what a step is about (menu,
    field, email, page...)."""
    from tests.bdd.catalog import steps

    scored: list[tuple[float, str]] = []
    for definition in steps():
        likeness = _likeness(step.name, definition.template)
        if definition.kind == step.type:
            likeness += 0.05
        scored.append((likeness, f"{definition.kind.capitalize()} {definition.template}"))
    scored.sort(key=lambda item: -item[0])
    return [text for _, text in scored[:limit]]


def undefined_message(shown: str, scenario: str, step: Step) -> str:
    """What an undefined step's scenario reports: where, the step, the closest steps."""
    suggestions = "\n".join(f"      {text}" for text in closest_steps(step))
    return (
        f"{shown}:{step.line_number}: no step definition matches"
        f" {step.keyword} {step.name}  (scenario {scenario!r}: undefined, not run)\n"
        f"    closest steps of the catalogue ({STEPS_DOC} lists them all):\n{suggestions}"
    )


def unknown_steps(feature: Feature, shown: str) -> list[str]:
    """A message for each step of ``feature`` no step definition matches."""
    return [
        undefined_message(shown, template.name, step)
        for template, step in _rendered(feature)
        if not step_matches(step)
    ]


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
    staged: dict[str, object] = {}
    items = 0
    try:
        for name, template in feature.scenarios.items():

            def _scenario() -> None:
                pass  # the steps are the test

            test = scenario(str(path), name, features_base_dir=str(path.parent))(_scenario)
            rule_tags = template.rule.tags if template.rule is not None else set()
            if section not in template.tags | feature.tags | rule_tags:
                test = getattr(pytest.mark, section)(test)
            staged[_unique(name, namespace, staged)] = test
            items += max(1, sum(len(list(ex.as_contexts())) for ex in template.examples))
    except (Exception, pytest.fail.Exception) as error:
        # A tag that is no registered marker (--strict-markers), most likely.
        line = f":{template.line_number}" if "template" in locals() else ""
        return _problem(path, section, f"{shown}{line}: {error}", namespace)
    namespace.update(staged)
    return BoundFile(path, section, tuple(staged), items=items)


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


def expected_items(bound: Iterable[BoundFile]) -> int:
    """How many pytest items the bound files make: what a run of every feature selects."""
    return sum(b.items for b in bound)


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_scenario(
    request: pytest.FixtureRequest, feature: Feature, scenario: Scenario
) -> None:
    """A scenario with an undefined step fails before any of its steps runs, naming each
    undefined step (the reports mark them ``undefined``) and the closest steps."""
    unknown = [step for step in scenario.steps if not step_matches(step)]
    if not unknown:
        return
    shown = shown_path(Path(feature.filename))
    for step in unknown:
        request.config.hook.pytest_bdd_step_func_lookup_error(
            request=request,
            feature=feature,
            scenario=scenario,
            step=step,
            exception=StepDefinitionNotFoundError(f"undefined step: {step.keyword} {step.name}"),
        )
    message = "\n".join(undefined_message(shown, scenario.name, step) for step in unknown)
    if _from_examples(request, unknown):
        message += f"\n    {EXAMPLES_HINT}"
    pytest.fail(message, pytrace=False)


EXAMPLES_HINT = (
    'an Examples cell keeps a value\'s quotes (| "Qa 2019ab" |) or is a value phrase'
    " (| their password |, | nothing |), with <column> unquoted in the step"
)


def _from_examples(request: pytest.FixtureRequest, steps: list[Step]) -> bool:
    """True when one of ``steps`` is written with an Examples ``<column>``."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    function = getattr(request.node, "function", None)
    template = scenario_wrapper_template_registry.get(function) if function else None
    if template is None:
        return False
    lines = {step.line_number for step in steps}
    return any("<" in step.name for step in template.steps if step.line_number in lines)


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
