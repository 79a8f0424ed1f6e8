"""QA's second round, kept as a fixture (``tests/bdd/fixtures/qa_round2.feature``, not in
``features/``): 20 scenarios written from STEPS.md in the phrases QA uses (emails counted,
temporary passwords by their order, another producer with details, what a menu offers,
values with spaces in Examples cells) run beside the shipped features without a Python
change, in-process and over HTTP; a made-up step fails its scenario alone. Each run is
pytest in a subprocess on a copy of ``features/`` with the file added."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from specs.scenarios import FEATURES_ENV
from tests.bdd.tags import FEATURES_DIR

ROOT = Path(__file__).resolve().parents[2]
QA_FILE = Path(__file__).with_name("fixtures") / "qa_round2.feature"
CASES = 37  # the file's scenarios, an outline counting once per example row
TIMEOUT_SECONDS = 600
MADE_UP = "    And the producer waves at the Account menu\n"


def _run(features: Path, *args: str) -> str:
    env = {**os.environ, FEATURES_ENV: str(features)}
    for name in ("RPP_TARGET", "RPP_MAILBOX", "RPP_BROWSER"):
        env.pop(name, None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["tests/test_features.py", "-m", "qa_round2", "--scenarios-report"]
    command += [str(features.parent / "scenarios.json"), *args]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
    )
    return result.stdout + result.stderr


def _features(tmp_path: Path, text: str) -> Path:
    features = tmp_path / "features"
    shutil.copytree(FEATURES_DIR, features)
    (features / QA_FILE.name).write_text(text, encoding="utf-8")
    return features


@pytest.mark.parametrize("where", [(), ("--target", "serve")], ids=["in-process", "http"])
def test_every_case_of_the_qa_file_passes(tmp_path: Path, where: tuple[str, ...]) -> None:
    output = _run(_features(tmp_path, QA_FILE.read_text(encoding="utf-8")), *where)
    assert f"{CASES} passed" in output and "failed" not in output, output


def test_a_made_up_step_fails_its_scenario_alone(tmp_path: Path) -> None:
    text = QA_FILE.read_text(encoding="utf-8")
    anchor = '    Then the "Account" menu offers "Edit Profile"\n    When the producer chooses'
    assert anchor in text
    broken = text.replace(anchor, MADE_UP + anchor, 1)  # in the 3-row outline
    output = _run(_features(tmp_path, broken))
    assert f"3 failed, {CASES - 3} passed" in output, output
    failed = re.findall(r"^FAILED \S+::(\S+)", output, re.MULTILINE)
    assert {name.split("[")[0] for name in failed} == {
        "test_whichever_state_is_chosen_the_account_menu_offers_edit_profile"
    }, failed
    assert "no step definition matches And the producer waves at the Account menu" in output
    # The closest steps offered are about the menu.
    offered = output.split("closest steps of the catalogue", 1)[1].splitlines()[1:4]
    assert all("menu" in line for line in offered), offered
