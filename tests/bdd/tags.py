"""The feature files, their sections and the tags their scenarios may carry.

Every scenario carries its section's tag (on the Feature line: ``@lockout``), the
guide IDs it checks (``@LOCK-2``) and, where it checks a decision taken where the
guide is silent, ``@decision-<key>`` of ``portal.yaml``. Each tag is a pytest marker,
registered here so that ``--strict-markers`` rejects a misspelt one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_bdd.feature import get_features

from specs.model import FlowSet

__all__ = [
    "DECISION_TAG",
    "FEATURES_DIR",
    "SECTIONS",
    "ScenarioInfo",
    "register_markers",
    "scenario_count",
    "scenarios_in",
]

FEATURES_DIR = Path(__file__).resolve().parents[2] / "features"
DECISION_TAG = "decision-"

# Section tag -> (feature file, what it covers), in the order a producer meets them.
SECTIONS: dict[str, tuple[str, str]] = {
    "login": ("login.feature", "the guide's Login section (LOGIN-*)"),
    "lockout": ("lockout.feature", "the guide's account lock-outs (LOCK-*)"),
    "username_recovery": ("username_recovery.feature", "recovering a user name (USER-*)"),
    "password_reset": ("password_reset.feature", "resetting a password (RESET-*)"),
    "producer_services": ("producer_services.feature", "the Producer Services directory"),
}


def register_markers(config: pytest.Config, flow_set: FlowSet) -> None:
    """Register the section tags, each guide ID of GUIDE.md and each decision key."""
    for section, (file, what) in SECTIONS.items():
        config.addinivalue_line("markers", f"{section}: scenarios of {file}, {what}")
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


def scenarios_in(features_dir: Path = FEATURES_DIR) -> Iterator[ScenarioInfo]:
    """Every scenario of the section feature files, in the sections' order."""
    paths = [str(features_dir / file) for file, _ in SECTIONS.values()]
    by_file = {Path(f.filename).name: f for f in get_features(paths)}
    for file, _ in SECTIONS.values():
        feature = by_file[file]
        for template in feature.scenarios.values():
            rule_tags = template.rule.tags if template.rule is not None else set()
            rows = sum(len(list(examples.as_contexts())) for examples in template.examples)
            yield ScenarioInfo(
                file,
                template.name,
                template.line_number,
                frozenset(template.tags | feature.tags | rule_tags),
                rows,
            )


def scenario_count(features_dir: Path = FEATURES_DIR) -> int:
    """How many pytest items the features make (an outline makes one per example)."""
    return sum(max(1, s.examples) for s in scenarios_in(features_dir))
