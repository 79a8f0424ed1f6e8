"""Which Gherkin scenarios check which guide ID, read from the feature files' tags.

The feature files are every ``*.feature`` under the features directory, recursively
(:func:`feature_files`): the same files the test run binds (``tests/test_features.py``),
so `rpp trace` names the scenarios that run. ``$RPP_FEATURES`` names another directory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from specs.guide import ID_PATTERN

__all__ = [
    "DEFAULT_FEATURES_DIR",
    "FEATURES_ENV",
    "feature_files",
    "features_dir",
    "scenarios_by_guide_id",
]

DEFAULT_FEATURES_DIR = Path(__file__).resolve().parent.parent / "features"
FEATURES_ENV = "RPP_FEATURES"
_GUIDE_TAG = re.compile(rf"@({ID_PATTERN})$")


def _tags(node: dict[str, Any]) -> list[str]:
    return [t["name"] for t in node.get("tags", [])]


def features_dir() -> Path:
    """The feature files' directory: ``$RPP_FEATURES``, else the shipped ``features/``."""
    return Path(os.environ.get(FEATURES_ENV) or DEFAULT_FEATURES_DIR)


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


def scenarios_by_guide_id(features_dir: Path = DEFAULT_FEATURES_DIR) -> dict[str, list[str]]:
    """Guide ID -> ``file: scenario`` for every scenario tagged with it (feature, rule,
    scenario and examples tags all count); ``file`` is the path relative to
    ``features_dir``. Feature files that fail to parse are skipped here (they do not
    run: the feature run fails naming them)."""
    from gherkin.parser import Parser  # only when tracing: keeps `rpp validate` fast
    from gherkin.token_scanner import TokenScanner

    out: dict[str, list[str]] = {}
    for path in feature_files(features_dir):
        try:
            document = Parser().parse(TokenScanner(path.read_text(encoding="utf-8")))
        except Exception:  # a broken feature file is the test run's to report
            continue
        feature: dict[str, Any] = dict(document.get("feature") or {})
        for child in _children(feature, _tags(feature)):
            scenario, inherited = child
            tags = [*inherited, *_tags(scenario)]
            for examples in scenario.get("examples", []):
                tags.extend(_tags(examples))
            name = f"{path.relative_to(features_dir).as_posix()}: {scenario['name']}"
            for tag in dict.fromkeys(tags):
                match = _GUIDE_TAG.match(tag)
                if match:
                    out.setdefault(match.group(1), []).append(name)
    return out


def _children(node: dict[str, Any], inherited: list[str]) -> list[tuple[dict[str, Any], list[str]]]:
    found: list[tuple[dict[str, Any], list[str]]] = []
    for child in node.get("children", []):
        if "scenario" in child:
            found.append((child["scenario"], inherited))
        elif "rule" in child:
            rule = child["rule"]
            found.extend(_children(rule, [*inherited, *_tags(rule)]))
    return found
