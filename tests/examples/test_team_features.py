"""The features run on a team's target as verify does (issue 32, item 8): ``pytest
tests/test_features.py --target examples.team_portal.adapter:make --decisions ...``
passes on the example portal, skipping only what its target cannot give or reads
otherwise, and fails a lock-out scenario on the copy whose lock-out is off by one."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from examples.team_portal.portal import DECISIONS

ROOT = Path(__file__).resolve().parents[2]
TARGET = "examples.team_portal.adapter"
# JUnit names a scenario by its title (tests/bdd/reports.py).
LOCKOUT_SCENARIO = (
    "The first and second failures warn, the third consecutive failure locks the account"
)


@dataclass(frozen=True)
class FeatureRun:
    returncode: int
    output: str
    outcomes: dict[str, str]  # scenario title -> passed, failed or skipped
    skipped: dict[str, str]  # scenario title -> the reason given

    def named(self, outcome: str) -> list[str]:
        return [name for name, got in self.outcomes.items() if got == outcome]


def _features(factory: str, tmp_path: Path) -> FeatureRun:
    """The features on the example's ``factory`` with its decisions file, in a child
    pytest (its reports beside its JUnit XML, in ``tmp_path``)."""
    junit = tmp_path / "features.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=line",
         "tests/test_features.py", "--target", f"{TARGET}:{factory}",
         "--decisions", str(DECISIONS.relative_to(ROOT)), f"--junitxml={junit}"],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    outcomes: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "")
        outcome = "passed"
        for child in case:
            if child.tag == "skipped":
                outcome = "skipped"
                skipped[name] = child.get("message", "")
            elif child.tag in ("failure", "error"):
                outcome = "failed"
        outcomes[name] = outcome
    return FeatureRun(done.returncode, done.stdout + done.stderr, outcomes, skipped)


def test_the_features_pass_on_the_example_portal_skipping_only_with_a_reason(
    tmp_path: Path,
) -> None:
    run = _features("make", tmp_path)
    assert run.returncode == 0, run.output[-4000:]
    assert not run.named("failed")
    assert len(run.named("passed")) >= 150, run.output[-2000:]
    # Every skip names what the team's target lacks or the reading the team chose.
    for name, reason in run.skipped.items():
        assert "the team's target" in reason or "the team reads it as" in reason, (name, reason)
    reasons = "\n".join(run.skipped.values())
    assert "empty-login-counts" in reasons and "wrong-current-password-counts" in reasons
    assert "spam folder" in reasons
    assert "coverage gate skipped: the team's target" in run.output


def test_a_lockout_off_by_one_fails_the_lockout_scenario(tmp_path: Path) -> None:
    run = _features("make_lockout_off_by_one", tmp_path)
    assert run.returncode == 1, run.output[-4000:]
    assert LOCKOUT_SCENARIO in run.named("failed"), run.output[-4000:]


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--target", f"{TARGET}:nosuch"], f"{TARGET} has no callable 'nosuch'"),
        (["--target", "nosuch_module:make"], "cannot import nosuch_module"),
        (["--decisions", "examples/team_portal/decisions.yaml"], "goes with --target MODULE"),
        (["--target", f"{TARGET}:make", "--decisions", "nosuch.yaml"], "nosuch.yaml: no such"),
        (["--target", f"{TARGET}:make", "--decisions", "BAD"], "has no parameter"),
    ],
)
def test_a_wrong_option_is_a_usage_error_before_any_scenario(
    tmp_path: Path, options: list[str], said: str
) -> None:
    bad = tmp_path / "decisions.yaml"
    bad.write_text("behaviour:\n  welcome-page-content: false\n", encoding="utf-8")
    options = [str(bad) if option == "BAD" else option for option in options]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_features.py",
         *options],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout[-2000:] + done.stderr
    assert said in done.stderr
