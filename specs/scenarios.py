"""Which Gherkin scenarios check which guide ID, read from the feature files' tags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from specs.guide import ID_PATTERN

__all__ = ["DEFAULT_FEATURES_DIR", "scenarios_by_guide_id"]

DEFAULT_FEATURES_DIR = Path(__file__).resolve().parent.parent / "features"
_GUIDE_TAG = re.compile(rf"@({ID_PATTERN})$")


def _tags(node: dict[str, Any]) -> list[str]:
    return [t["name"] for t in node.get("tags", [])]


def scenarios_by_guide_id(features_dir: Path = DEFAULT_FEATURES_DIR) -> dict[str, list[str]]:
    """Guide ID -> ``file: scenario`` for every scenario tagged with it (feature, rule,
    scenario and examples tags all count). Feature files that fail to parse are
    skipped here; the feature run reports them."""
    from gherkin.parser import Parser  # only when tracing: keeps `rpp validate` fast
    from gherkin.token_scanner import TokenScanner

    out: dict[str, list[str]] = {}
    for path in sorted(features_dir.glob("*.feature")):
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
            name = f"{path.name}: {scenario['name']}"
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
