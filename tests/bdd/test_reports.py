"""The reports' promises (tests/bdd/reports.py, tests/bdd/cucumber.py): JUnit test cases
named by scenario and grouped by feature, outlines expanded, a failed check said once
without a traceback, no password or temporary password in clear in any report, the
failing step's screenshot embedded, and every file where the options say. Each case runs
pytest on a small features directory of its own (``$RPP_FEATURES``) in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import jsonschema

from specs.scenarios import FEATURES_ENV
from tests.bdd.cucumber import SCHEMA_FILE
from tests.bdd.reports import HIDDEN, mask

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 300

REPORTED = """\
Feature: Reported
  Background:
    Given a registered producer:
      | User Name | Password | E-mail Address      |
      | reported1 | Kept2019 | kept@example.com    |

  @LOGIN-1
  Scenario Outline: A state is chosen
    Given the producer has signed in with their password
    When the producer selects the state "<state>"
    Then the "Account" menu offers "Edit Profile"

    Examples:
      | state |
      | IL    |
      | TX    |

  @RESET-6
  Scenario: The email says what it does not
    Given the producer has requested a password reset
    When the producer logs in with the temporary password
    Then the producer receives an email with the subject "Retail Producer Portal Password Reset"
    And the email says "A paragraph no email has"

  @LOGIN-1
  Scenario: A step nobody wrote
    When the producer opens the portal
    And the producer dances on the login page
"""

SCREENSHOT = """\
Feature: Seen in Chromium
  @LOGIN-1
  Scenario: The wrong page is expected
    Given a registered producer
    When the producer opens the portal
    Then the producer sees the "Welcome" page
"""

# A temporary password as the reset email gives it, unless masked.
TEMPORARY = re.compile(r"Temporary Password: (?!\[password hidden\])\S+")


def _run(tmp_path: Path, feature: str, *args: str) -> tuple[Path, str]:
    """pytest on ``feature`` alone, every report asked for under ``tmp_path/out``."""
    features = tmp_path / "features"
    features.mkdir()
    (features / "reported.feature").write_text(feature, encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, FEATURES_ENV: str(features)}
    for name in ("RPP_TARGET", "RPP_MAILBOX", "RPP_BROWSER"):
        env.pop(name, None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["tests/test_features.py", "--cucumber-report", str(out / "cucumber.json")]
    command += ["--junitxml", str(out / "junit.xml"), "--html", str(out / "report.html")]
    command += ["--self-contained-html", *args]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
    )
    return out, result.stdout + result.stderr


def _cucumber(out: Path) -> list[dict[str, Any]]:
    document: list[dict[str, Any]] = json.loads((out / "cucumber.json").read_text("utf-8"))
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(document)
    return document


def _checkout_reports() -> dict[Path, int]:
    """Every file of the checkout's reports/ with its modification time."""
    folder = ROOT / "reports"
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_mask_hides_a_secret_in_every_case() -> None:
    text = (
        "Temporary Password: aB3dE6gH9 / AB3DE6GH9 / ab3de6gh9 / Ab3De6Gh9 / AB3de6gh9 / Kept2019"
    )
    masked = mask(text, {"aB3dE6gH9", "Kept2019"})
    assert (
        masked
        == f"Temporary Password: {HIDDEN} / {HIDDEN} / {HIDDEN} / {HIDDEN} / AB3de6gh9 / {HIDDEN}"
    )


def test_the_reports_name_scenarios_expand_outlines_and_keep_secrets(tmp_path: Path) -> None:
    before = _checkout_reports()
    out, output = _run(tmp_path, REPORTED)
    assert "2 failed, 2 passed" in output, output

    # Every report where the options say; nothing new in the checkout's reports/.
    written = sorted(p.name for p in out.iterdir())
    reports = ["cucumber.json", "junit.xml", "report.html", "scenarios.json", "transitions.json"]
    assert written == reports, written
    assert _checkout_reports() == before

    # JUnit: one test case per scenario and example row, by title, the feature as class.
    cases = ElementTree.parse(out / "junit.xml").getroot().iter("testcase")
    names = [(case.get("classname"), case.get("name")) for case in cases]
    assert names == [
        ("Reported", "A state is chosen (example 1: IL)"),
        ("Reported", "A state is chosen (example 2: TX)"),
        ("Reported", "The email says what it does not"),
        ("Reported", "A step nobody wrote"),
    ]

    # Cucumber: one element per example row; the failed check said once, no traceback;
    # the undefined step undefined, nothing before it run.
    document = _cucumber(out)
    scenarios = [e for e in document[0]["elements"] if e["type"] == "scenario"]
    assert [e["id"].rsplit(";", 1)[-1] for e in scenarios[:2]] == ["2", "3"]
    failed = [s for e in scenarios for s in e["steps"] if s["result"]["status"] == "failed"]
    [message] = [s["result"]["error_message"] for s in failed]
    assert message.count("A paragraph no email has") == 1, message
    assert "Traceback" not in message and 'File "' not in message
    background, undefined = document[0]["elements"][-2:]
    assert [s["result"]["status"] for s in background["steps"]] == ["skipped"]
    assert [s["result"]["status"] for s in undefined["steps"]] == ["skipped", "undefined"]

    # No temporary password in clear anywhere, the mailbox dumps included; the
    # registered password only where the feature file itself writes it (its table).
    junit = (out / "junit.xml").read_text("utf-8")
    html = (out / "report.html").read_text("utf-8")
    cucumber = (out / "cucumber.json").read_text("utf-8")
    for text in (junit, html, cucumber, output):
        assert not TEMPORARY.search(text), TEMPORARY.search(text)
    assert "Temporary Password: [password hidden]" in junit
    assert "Kept2019" not in junit and "Kept2019" not in html
    assert "Kept2019" not in message

    # pytest-html: titled for the run, rows named "feature › scenario".
    assert "rpp-flows: tests and features (in-process)" in html
    # (the rows are JSON inside the page, so "›" is written \u203a there)
    assert "Reported \\u203a The email says what it does not" in html


def test_a_failing_step_s_screenshot_is_embedded(tmp_path: Path) -> None:
    before = _checkout_reports()
    out, output = _run(tmp_path, SCREENSHOT, "--target", "serve", "--browser")
    assert "1 failed" in output, output
    shots = sorted(p.name for p in (out / "screens").glob("failed-*.png"))
    assert shots == ["failed-the-wrong-page-is-expected.png"], output
    assert _checkout_reports() == before  # the screens went beside the reports

    html = (out / "report.html").read_text("utf-8")
    assert "data:image/png;base64," in html
    document = _cucumber(out)
    [element] = [e for e in document[0]["elements"] if e["type"] == "scenario"]
    failed = element["steps"][-1]
    assert failed["result"]["status"] == "failed"
    [embedding] = failed["embeddings"]
    assert embedding["mime_type"] == "image/png" and embedding["data"].startswith("iVBOR")
