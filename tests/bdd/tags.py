"""The feature files, their sections and the tags their scenarios may carry.

The feature files are every ``*.feature`` under ``features/`` (or ``$RPP_FEATURES``),
subfolders included (:func:`feature_paths`): the five sections of the guide, in the
order a producer meets them, then any other file, by path. Every scenario carries its
section's tag (on the Feature line: ``@lockout``); a file that is not one of the
sections gets a section marker from its file name (``newcomer.feature``:
``newcomer``), written there or not. Scenarios also carry the guide IDs they check
(``@LOCK-2``) and, where they check a decision taken where the guide is silent,
``@decision-<key>`` of ``portal.yaml``. Each tag is a pytest marker, registered here
so that ``--strict-markers`` rejects a misspelt one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_bdd.feature import get_features
from pytest_bdd.parser import Feature

from specs.model import FlowSet
from specs.scenarios import FEATURES_ENV, feature_files, features_dir

__all__ = [
    "DECISION_TAG",
    "FEATURES_DIR",
    "FEATURES_ENV",
    "SECTIONS",
    "ScenarioInfo",
    "feature_paths",
    "features_dir",
    "parse_feature",
    "register_markers",
    "relative_name",
    "scenario_count",
    "scenarios_in",
    "section_of",
]

FEATURES_DIR = Path(__file__).resolve().parents[2] / "features"  # the shipped ones
DECISION_TAG = "decision-"

# Section tag -> (feature file, what it covers), in the order a producer meets them.
SECTIONS: dict[str, tuple[str, str]] = {
    "login": ("login.feature", "the guide's Login section (LOGIN-*)"),
    "lockout": ("lockout.feature", "the guide's account lock-outs (LOCK-*)"),
    "username_recovery": ("username_recovery.feature", "recovering a user name (USER-*)"),
    "password_reset": ("password_reset.feature", "resetting a password (RESET-*)"),
    "producer_services": ("producer_services.feature", "the Producer Services directory"),
}


def feature_paths(directory: Path | None = None) -> list[Path]:
    """Every feature file under ``directory`` (default: :func:`features_dir`): the
    sections' files in their order, then the others by path."""
    directory = features_dir() if directory is None else directory
    found = feature_files(directory)
    order = {file: index for index, (file, _) in enumerate(SECTIONS.values())}
    return sorted(
        found,
        key=lambda path: (order.get(relative_name(path, directory), len(order)), path),
    )


def relative_name(path: Path, directory: Path | None = None) -> str:
    """How reports name a feature file: its path relative to the features directory."""
    directory = features_dir() if directory is None else directory
    try:
        return path.resolve().relative_to(directory.resolve()).as_posix()
    except ValueError:
        return path.name


def section_of(relative: str) -> str:
    """The section marker of a feature file (named relative to the features directory):
    its section tag, or for another file a marker made of its file name."""
    for section, (file, _) in SECTIONS.items():
        if file == relative:
            return section
    stem = Path(relative).name.removesuffix(".feature")
    return re.sub(r"[^A-Za-z0-9_]+", "_", stem).strip("_") or "feature"


def parse_feature(path: Path) -> Feature:
    """The feature of one file, as pytest-bdd reads it (raises on a Gherkin error)."""
    [feature] = get_features([str(path)])
    return feature


def register_markers(config: pytest.Config, flow_set: FlowSet) -> None:
    """Register the section tags (the five sections, and the marker of every other
    feature file), each guide ID of GUIDE.md and each decision key."""
    for section, (file, what) in SECTIONS.items():
        config.addinivalue_line("markers", f"{section}: scenarios of {file}, {what}")
    directory = features_dir()
    if directory.is_dir():
        for path in feature_paths(directory):
            relative = relative_name(path, directory)
            section = section_of(relative)
            if section not in SECTIONS:
                config.addinivalue_line("markers", f"{section}: scenarios of {relative}")
    # `rpp verify --emit-features` tags each scenario it writes (simulator/verify/gherkin.py).
    config.addinivalue_line("markers", "departure: a departure `rpp verify` found, as a scenario")
    for guide_id, text in flow_set.guide_ids.items():
        config.addinivalue_line("markers", f"{guide_id}: scenarios checking {text[:60]}")
    for key, decision in flow_set.portal.decisions.items():
        config.addinivalue_line(
            "markers", f"{DECISION_TAG}{key}: scenarios checking {decision.question}"
        )


@dataclass(frozen=True)
class ScenarioInfo:
    """A scenario (or outline) of a feature file, with every tag it carries."""

    file: str
    name: str
    line: int
    tags: frozenset[str]
    examples: int  # rows of its Examples tables; 0 for a plain scenario

    @property
    def display(self) -> str:
        """How reports name it: ``lockout.feature: The third failure locks``."""
        return f"{self.file}: {self.name}"


def scenarios_in(directory: Path | None = None) -> Iterator[ScenarioInfo]:
    """Every scenario of the feature files (default: :func:`features_dir`), in
    :func:`feature_paths` order; each carries its file's section marker. A file that
    does not parse is left out (it does not run: the feature run fails naming it)."""
    directory = features_dir() if directory is None else directory
    for path in feature_paths(directory):
        try:
            feature = parse_feature(path)
        except Exception:
            continue
        file = relative_name(path, directory)
        section = section_of(file)
        for template in feature.scenarios.values():
            rule_tags = template.rule.tags if template.rule is not None else set()
            rows = sum(len(list(examples.as_contexts())) for examples in template.examples)
            yield ScenarioInfo(
                file,
                template.name,
                template.line_number,
                frozenset(template.tags | feature.tags | rule_tags | {section}),
                rows,
            )


def scenario_count(directory: Path | None = None) -> int:
    """How many pytest items the features make (an outline makes one per example)."""
    return sum(max(1, s.examples) for s in scenarios_in(directory))
