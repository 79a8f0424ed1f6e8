"""``--cucumber-report PATH`` (tests/bdd/cucumber.py) writes Cucumber JSON valid against
the Cucumber JSON schema (tests/bdd/cucumber-jvm.schema.json, from
cucumber/cucumber-json-schema), for the features as shipped and for a run with a failing
step. Each run is pytest on tests/test_features.py in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema

from specs.scenarios import FEATURES_ENV
from tests.bdd.cucumber import SCHEMA_FILE
from tests.bdd.tags import FEATURES_DIR, scenario_count

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 300

FAILING = """\
@oops
Feature: A step that fails
  Background:
    Given a registered producer:
      | User Name | Password |
      | oops1     | Oops2019 |

  @LOGIN-1
  Scenario: The producer expects the wrong page
    When the producer opens the portal
    Then the producer sees the "Nowhere" page
    And the page shows no message
"""


def _run(report: Path, *args: str, features: Path | None = None) -> list[dict[str, Any]]:
    env = {**os.environ}
    for name in ("RPP_TARGET", "RPP_MAILBOX", "RPP_BROWSER", FEATURES_ENV):
        env.pop(name, None)
    if features is not None:
        env[FEATURES_ENV] = str(features)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["tests/test_features.py", "--scenarios-report", str(report.with_suffix(".gate"))]
    result = subprocess.run(
        [*command, "--cucumber-report", str(report), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert report.exists(), result.stdout + result.stderr
    document: list[dict[str, Any]] = json.loads(report.read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(document)
    return document


def _steps(document: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for feature in document:
        for element in feature["elements"]:
            yield from element["steps"]


def test_the_shipped_features_make_a_valid_report(tmp_path: Path) -> None:
    document = _run(tmp_path / "cucumber.json")
    assert [f["uri"] for f in document] == [
        "features/login.feature",
        "features/lockout.feature",
        "features/username_recovery.feature",
        "features/password_reset.feature",
        "features/producer_services.feature",
    ]
    scenarios = [e for f in document for e in f["elements"] if e["type"] == "scenario"]
    assert len(scenarios) == scenario_count(FEATURES_DIR)
    tags = [t["name"] for f in document for t in f["tags"]]
    tags += [t["name"] for e in scenarios for t in e["tags"]]
    assert tags and all(tag.startswith("@") for tag in tags)
    assert {"@lockout", "@LOCK-2"} <= set(tags)
    assert all(e["id"].startswith(e["id"].split(";")[0] + ";") for e in scenarios)
    assert any(";;" in e["id"] for e in scenarios)  # an outline's example
    steps = list(_steps(document))
    assert all(s["result"]["status"] == "passed" for s in steps)
    assert all(isinstance(s["result"]["duration"], int) for s in steps)
    assert all(s["match"]["location"].startswith("tests/steps/") for s in steps)
    assert all(s["keyword"] in ("Given ", "When ", "Then ", "And ", "But ") for s in steps)
    table = next(s for s in steps if "rows" in s)
    assert table["rows"][0]["cells"][0] == "User Name"
    doc = next(s for s in steps if "doc_string" in s)
    assert doc["doc_string"]["line"] > doc["line"] and doc["doc_string"]["value"]


def test_a_failing_step_is_failed_and_the_next_ones_skipped(tmp_path: Path) -> None:
    features = tmp_path / "features"
    shutil.copytree(FEATURES_DIR, features)
    (features / "oops.feature").write_text(FAILING, encoding="utf-8")
    document = _run(tmp_path / "cucumber.json", "-m", "oops", features=features)
    [feature] = document
    assert feature["tags"] == [
        {"name": "@oops", "type": "Tag", "location": {"line": 1, "column": 1}}
    ]
    background, scenario = feature["elements"]
    assert background["type"] == "background" and background["line"] == 3
    assert [s["result"]["status"] for s in background["steps"]] == ["passed"]
    results = [s["result"] for s in scenario["steps"]]
    assert [r["status"] for r in results] == ["passed", "failed", "skipped"]
    assert "Nowhere" in results[1]["error_message"]
