"""Every feature file under the features directory runs, without Python changes: a new
file written from features/STEPS.md is bound, marked with its file name, counted by the
coverage gate and listed by `rpp trace`; a file that cannot run fails naming its file
and line. Each case runs pytest on a copy of features/ (``$RPP_FEATURES``) in a
subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from specs.scenarios import FEATURES_ENV, feature_trace, scenarios_by_guide_id
from tests.bdd.binding import EXAMPLES_HINT
from tests.bdd.cucumber import SCHEMA_FILE
from tests.bdd.tags import FEATURES_DIR, scenario_count

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 300

NEWCOMER = """\
Feature: A newcomer's first login
  Background:
    Given a registered producer:
      | User Name | Password |
      | newcomer1 | Newbie19 |

  @LOGIN-1
  Scenario: A newcomer sees the login page
    When the producer opens the portal
    Then the producer sees the "Please Sign-In" page
"""

UNKNOWN_STEP = """\
Feature: A newcomer who flies

  @LOGIN-1
  Scenario: A newcomer flies to the moon
    When the producer opens the portal
    And the producer flies to the moon

  @LOGIN-1
  Scenario: A newcomer reads the menu
    Given a registered producer
    And the producer has signed in with their password
    When the producer selects the state "IL"
    Then the "Account" menu lists "Edit Profile"

  @LOGIN-1
  Scenario: A newcomer sees the login page
    When the producer opens the portal
    Then the producer sees the "Please Sign-In" page
"""

BROKEN_SYNTAX = """\
Feature: Broken
  Scenario: One
    When the producer opens the portal
  Scenario Outline without a colon
"""


@pytest.fixture
def features_copy(tmp_path: Path) -> Path:
    target = tmp_path / "features"
    shutil.copytree(FEATURES_DIR, target)
    return target


def _pytest(features: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, FEATURES_ENV: str(features)}
    for name in ("RPP_TARGET", "RPP_MAILBOX", "RPP_BROWSER"):  # in-process, whatever the caller
        env.pop(name, None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    report = str(features.parent / "scenarios.json")
    return subprocess.run(
        [*command, "tests/test_features.py", "--scenarios-report", report, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )


def test_a_new_feature_file_runs_with_its_marker_and_counts_in_the_gate(
    features_copy: Path,
) -> None:
    (features_copy / "more").mkdir()
    (features_copy / "more" / "newcomer.feature").write_text(NEWCOMER, encoding="utf-8")
    expected = scenario_count(features_copy)
    assert expected == scenario_count(FEATURES_DIR) + 1

    alone = _pytest(features_copy, "-m", "newcomer")
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert "1 passed" in alone.stdout

    everything = _pytest(features_copy)
    out = everything.stdout + everything.stderr
    assert everything.returncode == 0, out
    assert f"{expected} passed" in out
    assert "coverage gate passed" in out
    assert "more/newcomer.feature: A newcomer sees the login page" in (
        features_copy.parent / "scenarios.json"
    ).read_text(encoding="utf-8")

    # `rpp trace` lists it, as the run ran it.
    traced = scenarios_by_guide_id(features_copy)["LOGIN-1"]
    assert "more/newcomer.feature: A newcomer sees the login page" in traced


def test_the_sections_keep_their_markers(features_copy: Path) -> None:
    (features_copy / "newcomer.feature").write_text(NEWCOMER, encoding="utf-8")
    result = _pytest(features_copy, "-m", "lockout", "--collect-only")
    assert result.returncode == 0, result.stdout + result.stderr
    lockout = sum(1 for line in result.stdout.splitlines() if "::test_" in line)
    assert lockout > 0
    assert "a_newcomer_sees" not in result.stdout


def _cucumber(path: Path) -> list[dict[str, Any]]:
    document: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(document)
    return document


def test_a_scenario_with_an_unknown_step_fails_alone_and_its_neighbours_run(
    features_copy: Path,
) -> None:
    (features_copy / "flying.feature").write_text(UNKNOWN_STEP, encoding="utf-8")
    report = features_copy.parent / "cucumber.json"
    result = _pytest(features_copy, "-m", "flying", "--cucumber-report", str(report))
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "2 failed, 1 passed" in out
    assert "flying.feature:6: no step definition matches And the producer flies to the moon" in out
    assert "closest steps of the catalogue (features/STEPS.md" in out
    assert "When the producer opens the portal" in out  # a suggestion
    # The suggestions for an unknown menu step are the menu steps, first.
    menu = out[out.index('menu lists "Edit Profile"') :].splitlines()[2:5]
    assert all("menu" in line for line in menu), menu

    # In the Cucumber report: the neighbour passed, the unknown steps undefined, nothing run
    # before them.
    [feature] = _cucumber(report)
    assert feature["uri"].endswith("flying.feature") and feature["name"] == "A newcomer who flies"
    flies, menu_element, login_page = feature["elements"]
    assert flies["name"] == "A newcomer flies to the moon"
    assert [s["result"]["status"] for s in flies["steps"]] == ["skipped", "undefined"]
    assert [s["result"]["status"] for s in menu_element["steps"]][-1] == "undefined"
    assert {s["result"]["status"] for s in login_page["steps"]} == {"passed"}

    # `rpp trace` lists the file: the neighbour as checking LOGIN-1, the others undefined.
    found = feature_trace(features_copy)
    assert "flying.feature: A newcomer sees the login page" in found.scenarios["LOGIN-1"]
    assert "flying.feature: A newcomer flies to the moon" in found.undefined_scenarios["LOGIN-1"]
    assert [str(s) for s in found.undefined_steps] == [
        "flying.feature:6: the producer flies to the moon",
        'flying.feature:13: the "Account" menu lists "Edit Profile"',
    ]
    strict = _trace(features_copy, "--strict")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "UNDEFINED (does not run): flying.feature: A newcomer flies to the moon" in strict.stdout
    assert "flying.feature:6: the producer flies to the moon" in strict.stderr
    assert _trace(features_copy).returncode == 0


def _trace(features: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`rpp trace` on ``features``."""
    command = [sys.executable, "-m", "simulator.cli", "trace", *args]
    env = {**os.environ, FEATURES_ENV: str(features)}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_the_gate_counts_what_ran_beside_an_undefined_scenario(features_copy: Path) -> None:
    (features_copy / "flying.feature").write_text(UNKNOWN_STEP, encoding="utf-8")
    result = _pytest(features_copy)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert f"2 failed, {scenario_count(FEATURES_DIR) + 1} passed" in out
    assert "coverage gate passed" in out  # judged on what ran, not skipped


def test_a_gherkin_syntax_error_fails_naming_the_file_and_line(features_copy: Path) -> None:
    (features_copy / "broken.feature").write_text(BROKEN_SYNTAX, encoding="utf-8")
    report = features_copy.parent / "cucumber.json"
    result = _pytest(features_copy, "--cucumber-report", str(report))
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "broken.feature:4: Gherkin syntax error" in out
    assert f"{scenario_count(FEATURES_DIR)} passed" in out  # the other files still ran
    # Not bound, so not traced either; in the Cucumber report, after the others, failed.
    traced = {name for names in scenarios_by_guide_id(features_copy).values() for name in names}
    assert not any(name.startswith("broken.feature") for name in traced)
    *ran, broken = _cucumber(report)
    assert len(ran) == 5 and broken["uri"].endswith("broken.feature")
    assert broken["name"] == "Broken"
    [element] = broken["elements"]
    assert element["name"] == "broken.feature cannot run" and element["steps"] == []
    assert "Gherkin syntax error" in element["before"][0]["result"]["error_message"]


UNQUOTED_CELL = """\
Feature: A password with a space

  @LOGIN-2
  Scenario Outline: A password typed with a space inside
    Given a registered producer
    When the producer opens the portal
    And the producer logs in with <password>
    Then the page shows the LOCK-1 message

    Examples:
      | password    |
      | Camp 2019   |
      | "Camp 2019" |
"""


def test_an_unquoted_examples_cell_fails_its_row_alone_saying_how_to_quote(
    features_copy: Path,
) -> None:
    (features_copy / "spaced.feature").write_text(UNQUOTED_CELL, encoding="utf-8")
    result = _pytest(features_copy, "-m", "spaced")
    out = result.stdout + result.stderr
    assert "1 failed, 1 passed" in out, out
    assert (
        "FAILED tests/test_features.py::test_a_password_typed_with_a_space_inside[Camp 2019]" in out
    )
    assert "When the producer logs in with {password:value}" in out  # the closest step
    assert EXAMPLES_HINT in out
