"""Which Gherkin scenarios check which guide ID, read from the feature files' tags.

The feature files are every ``*.feature`` under the features directory, recursively
(:func:`feature_files`): the same files the test run binds (``tests/test_features.py``),
so `rpp trace` names the scenarios that run. ``$RPP_FEATURES`` names another directory.

A file runs if it parses; a scenario of it passes only if every step of it matches a
step definition (a scenario with an unknown step fails alone, Cucumber's "undefined").
The step definitions are Python of ``tests/steps``, which ``specs`` does not import, so
their patterns are read from ``features/steps.json`` (:data:`STEP_CATALOGUE`, written
with ``features/STEPS.md`` by ``python -m tests.bdd.catalog``, and checked current by a
test). :func:`feature_trace` lists every scenario, the undefined steps apart, and the
files that do not parse.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specs.guide import ID_PATTERN

__all__ = [
    "DEFAULT_FEATURES_DIR",
    "FEATURES_ENV",
    "STEP_CATALOGUE",
    "FeatureTrace",
    "UndefinedStep",
    "feature_files",
    "feature_trace",
    "features_dir",
    "scenarios_by_guide_id",
    "step_patterns",
    "unknown_steps",
]

DEFAULT_FEATURES_DIR = Path(__file__).resolve().parent.parent / "features"
FEATURES_ENV = "RPP_FEATURES"
STEP_CATALOGUE = DEFAULT_FEATURES_DIR / "steps.json"
_GUIDE_TAG = re.compile(rf"@({ID_PATTERN})$")
_KINDS = {"Context": "given", "Action": "when", "Outcome": "then"}
_PARAMETER = re.compile(r"<([^<>]+)>")


def _tags(node: dict[str, Any]) -> list[str]:
    return [t["name"] for t in node.get("tags", [])]


def features_dir() -> Path:
    """The feature files' directory: ``$RPP_FEATURES`` (made absolute: pytest-bdd reads a
    feature relative to the directory of the module binding it), else the shipped
    ``features/``."""
    return Path(os.environ.get(FEATURES_ENV) or DEFAULT_FEATURES_DIR).absolute()


def feature_files(directory: Path) -> list[Path]:
    """Every ``*.feature`` file under ``directory`` (subfolders included, hidden ones not),
    sorted by their path relative to it."""
    found = [
        path
        for path in directory.rglob("*.feature")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(directory).parts)
    ]
    return sorted(found, key=lambda path: path.relative_to(directory).as_posix())


def step_patterns(catalogue: Path = STEP_CATALOGUE) -> dict[str, list[re.Pattern[str]]] | None:
    """Step kind (given, when, then) -> the step definitions' patterns; None when the
    catalogue is missing or unreadable (then no file is left out for its steps)."""
    try:
        data = json.loads(catalogue.read_text(encoding="utf-8"))
        out: dict[str, list[re.Pattern[str]]] = {}
        for entry in data["steps"]:
            out.setdefault(str(entry["kind"]), []).append(re.compile(str(entry["pattern"])))
    except (OSError, ValueError, KeyError, TypeError, re.error):
        return None
    return out


def _example_rows(scenario: dict[str, Any]) -> list[dict[str, str]]:
    """Each row of an outline's examples as ``{column: value}``; ``[{}]`` for a scenario."""
    rows: list[dict[str, str]] = []
    for examples in scenario.get("examples", []):
        header = examples.get("tableHeader")
        if header is None:
            continue
        names = [cell["value"] for cell in header["cells"]]
        for row in examples.get("tableBody", []):
            values = [cell["value"] for cell in row["cells"]]
            rows.append(dict(zip(names, values, strict=False)))
    return rows or [{}]


def _filled(text: str, values: dict[str, str]) -> str:
    return _PARAMETER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def _rendered_steps(
    node: dict[str, Any], backgrounds: tuple[dict[str, Any], ...] = ()
) -> Iterator[tuple[int, str, str]]:
    """(line, kind, text) of every step as it runs: backgrounds included, each outline
    step once per row of its examples, ``And``/``But`` taking the kind before them."""
    children = node.get("children", [])
    backgrounds += tuple(c["background"] for c in children if "background" in c)
    for child in children:
        if "rule" in child:
            yield from _rendered_steps(child["rule"], backgrounds)
        elif "scenario" in child:
            scenario = child["scenario"]
            steps = [s for b in backgrounds for s in b.get("steps", [])]
            steps += scenario.get("steps", [])
            for values in _example_rows(scenario):
                kind = "given"
                for step in steps:
                    kind = _KINDS.get(step.get("keywordType", ""), kind)
                    yield step["location"]["line"], kind, _filled(step["text"], values)


def unknown_steps(
    feature: dict[str, Any], patterns: dict[str, list[re.Pattern[str]]]
) -> list[tuple[int, str]]:
    """(line, text) of each step of a parsed feature that no step definition matches."""
    return [
        (line, text)
        for line, kind, text in _rendered_steps(feature)
        if not any(p.fullmatch(text) for p in patterns.get(kind, ()))
    ]


@dataclass(frozen=True)
class UndefinedStep:
    """A step of a scenario that no step definition matches: the scenario fails alone."""

    scenario: str  # ``file: scenario``
    where: str  # ``file:line``
    text: str  # the step as written, after its keyword

    def __str__(self) -> str:
        return f"{self.where}: {self.text}"


@dataclass
class FeatureTrace:
    """What the feature files check: guide ID -> ``file: scenario`` for the scenarios whose
    every step is defined; the same for the scenarios with an undefined step; each
    undefined step; and the files that do not parse (with why)."""

    scenarios: dict[str, list[str]] = field(default_factory=dict)
    undefined_scenarios: dict[str, list[str]] = field(default_factory=dict)
    undefined_steps: list[UndefinedStep] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when every scenario of every file can run."""
        return not (self.undefined_steps or self.unreadable)


def feature_trace(
    features_dir: Path = DEFAULT_FEATURES_DIR, catalogue: Path = STEP_CATALOGUE
) -> FeatureTrace:
    """Every scenario of every feature file under ``features_dir``, by the guide IDs it is
    tagged with (feature, rule, scenario and examples tags all count); ``file`` is the path
    relative to ``features_dir``. A scenario with a step no step definition of
    ``catalogue`` matches is listed apart, with that step."""
    from gherkin.parser import Parser  # only when tracing: keeps `rpp validate` fast
    from gherkin.token_scanner import TokenScanner

    patterns = step_patterns(catalogue)
    out = FeatureTrace()
    for path in feature_files(features_dir):
        file = path.relative_to(features_dir).as_posix()
        try:
            document = Parser().parse(TokenScanner(path.read_text(encoding="utf-8")))
        except Exception as error:  # the test run fails naming it too
            out.unreadable.append(f"{file}: {' '.join(str(error).split())}")
            continue
        feature: dict[str, Any] = dict(document.get("feature") or {})
        backgrounds = tuple(
            c["background"] for c in feature.get("children", []) if "background" in c
        )
        for scenario, inherited, rule_backgrounds in _children(feature, _tags(feature)):
            tags = [*inherited, *_tags(scenario)]
            for examples in scenario.get("examples", []):
                tags.extend(_tags(examples))
            name = f"{file}: {scenario['name']}"
            undefined = []
            if patterns is not None:
                node = {"children": [*({"background": b} for b in backgrounds + rule_backgrounds)]}
                node["children"].append({"scenario": scenario})
                for line, text in dict.fromkeys(unknown_steps(node, patterns)):
                    undefined.append(UndefinedStep(name, f"{file}:{line}", text))
            out.undefined_steps.extend(undefined)
            listing = out.undefined_scenarios if undefined else out.scenarios
            for tag in dict.fromkeys(tags):
                match = _GUIDE_TAG.match(tag)
                if match:
                    listing.setdefault(match.group(1), []).append(name)
    return out


def scenarios_by_guide_id(
    features_dir: Path = DEFAULT_FEATURES_DIR, catalogue: Path = STEP_CATALOGUE
) -> dict[str, list[str]]:
    """Guide ID -> ``file: scenario`` for every scenario tagged with it whose every step is
    defined (:func:`feature_trace`); files that do not parse are skipped (they do not run:
    the feature run fails naming them)."""
    return feature_trace(features_dir, catalogue).scenarios


def _children(
    node: dict[str, Any],
    inherited: list[str],
    backgrounds: tuple[dict[str, Any], ...] = (),
) -> list[tuple[dict[str, Any], list[str], tuple[dict[str, Any], ...]]]:
    """Each scenario under ``node`` with the tags it inherits and the backgrounds of the
    rules around it."""
    found: list[tuple[dict[str, Any], list[str], tuple[dict[str, Any], ...]]] = []
    for child in node.get("children", []):
        if "scenario" in child:
            found.append((child["scenario"], inherited, backgrounds))
        elif "rule" in child:
            rule = child["rule"]
            own = tuple(c["background"] for c in rule.get("children", []) if "background" in c)
            found.extend(_children(rule, [*inherited, *_tags(rule)], backgrounds + own))
    return found
