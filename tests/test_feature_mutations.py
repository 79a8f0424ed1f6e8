"""The features catch mistaken edits of the flows, and the coverage gate fails a run.

Each mistake is made in a copy of the flows; the features of the section it touches
then run against the copy (``RPP_FLOWS``) in a subprocess, several at once, and must
fail, naming the scenario that checks the broken behaviour. The unchanged copy must
pass the same sections, so a failure is the mistake's doing.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from specs import DEFAULT_FLOWS_DIR, FlowSet, SpecError, load_flows
from specs.guide import default_guide_path
from tests.bdd.tags import scenarios_in
from tests.bdd.world import FLOWS_ENV

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Mistake:
    file: str
    old: str
    new: str
    sections: str  # a -m expression
    caught_by: str  # a test name the failure must name
    took: Callable[[FlowSet], bool]  # the copy loads and says what the mistake meant


# Two adjacent Change Password refusals of password_reset.yaml, their guards swapped.
_SWAP = (
    "    unless: [new_password_{first}]\n    shows: new_password_{first_shows}\n"
    "    guide: [RESET-10]\n  - id: refuse_unconfirmed_password\n"
    "    trigger: click_update_password\n    source: edit_profile\n    dest: edit_profile\n"
    "    unless: [new_password_{second}]\n    shows: new_password_{second_shows}\n"
)

MISTAKES: dict[str, Mistake] = {
    "lock-out threshold 3 -> 4": Mistake(
        "portal.yaml",
        "  lockout_threshold: 3 ",
        "  lockout_threshold: 4 ",
        "lockout",
        "test_the_first_and_second_failures_warn_the_third_consecutive_failure_locks_the_account",
        lambda f: f.portal.parameters.lockout_threshold == 4,
    ),
    "a word of the LOCK-2 message": Mistake(
        "portal.yaml",
        "locked as a security precaution",
        "locked as a safety precaution",
        "lockout",
        "test_a_locked_account_refuses_even_the_right_password_attempt_after_attempt",
        lambda f: "safety precaution" in f.portal.texts["account_locked"].text,
    ),
    "temporary password compared without case": Mistake(
        "portal.yaml",
        "temporary_password_case_sensitive: true",
        "temporary_password_case_sensitive: false",
        "password_reset",
        "test_the_temporary_password_is_casesensitive[upper case]",
        lambda f: not f.portal.parameters.temporary_password_case_sensitive,
    ),
    "the reset email's subject": Mistake(
        "portal.yaml",
        'text: "Retail Producer Portal Password Reset"',
        'text: "Retail Producer Portal Password Reset Request"',
        "password_reset",
        "test_the_temporary_password_is_nine_letters_and_digits",
        lambda f: f.portal.emails["password_reset"].subject.text.endswith("Request"),
    ),
    "a temporary-password sign-in unlocks a locked account": Mistake(
        "lockout.yaml",
        "    source: locked\n    dest: locked\n    after: [reset_failure_count]",
        "    source: locked\n    dest: unlocked\n    after: [reset_failure_count]",
        "lockout",
        "test_a_locked_account_accepts_the_temporary_password_but_stays_locked_until_update_password_completes_the_reset",
        lambda f: any(
            t.id == "temporary_sign_in_while_locked" and t.dest == "unlocked"
            for t in f.flows["lockout"].transitions
        ),
    ),
    "a temporary-password sign-in keeps the failure count": Mistake(
        "lockout.yaml",
        "    source: locked\n    dest: locked\n    after: [reset_failure_count]",
        "    source: locked\n    dest: locked\n    after: []",
        "password_reset",
        "test_signed_in_to_a_locked_account_with_the_temporary_password_wrong_current_passwords_still_end_the_session",
        lambda f: any(
            t.id == "temporary_sign_in_while_locked" and not t.after
            for t in f.flows["lockout"].transitions
        ),
    ),
    "Change Password checks the confirmation before the policy": Mistake(
        "password_reset.yaml",
        _SWAP.format(
            first="meets_policy",
            first_shows="policy",
            second="confirmed",
            second_shows="not_confirmed",
        ),
        _SWAP.format(
            first="confirmed",
            first_shows="not_confirmed",
            second="meets_policy",
            second_shows="policy",
        ),
        "password_reset",
        "test_with_two_mistakes_at_once_change_password_shows_the_message_of_the_first_in_the_forms_order",
        lambda f: (
            [t.shows for t in f.flows["password_reset"].transitions].index("new_password_policy")
            > [t.shows for t in f.flows["password_reset"].transitions].index(
                "new_password_not_confirmed"
            )
        ),
    ),
    "no Menu once a state is chosen": Mistake(
        "portal.yaml",
        '    decided: {title: welcome-page-content, "Menu": welcome-page-content}'
        "   # LOGIN-4 gives the Account menu only\n"
        '    menus: ["Menu", "Account"]\n    links: ["Edit Profile"]',
        "    decided: {title: welcome-page-content}\n"
        '    menus: ["Account"]\n    links: ["Edit Profile"]',
        "login",
        "test_once_signed_in_the_producer_selects_a_state_and_finds_edit_profile_in_the_account_menu",
        lambda f: f.portal.screens["state_selected"].menus == ("Account",),
    ),
}

# A transition no scenario fires, citing a guide ID no scenario checks: the gate's case.
NEVER_FIRED = """
  - id: never_fired
    trigger: check_auto_unlock
    source: unlocked
    dest: unlocked
    conditions: [auto_unlock_due]
    guide: [LOCK-9]
"""
EXTRA_GUIDE_ID = "- LOCK-9: A behaviour the features do not check.\n"


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(DEFAULT_FLOWS_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name}: expected {old!r} once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _run_features(
    flows: Path, *args: str, guide: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, FLOWS_ENV: str(flows)}
    if guide is not None:
        env["RPP_GUIDE"] = str(guide)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/test_features.py",
        "-q",
        "-rf",
        "--tb=short",
        "-p",
        "no:cacheprovider",
        # Faster start: the steps raise their own messages, and hypothesis has no part here.
        "--assert=plain",
        "-p",
        "no:hypothesispytest",
        *args,
    ]
    return subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every run this module judges, made at once (bounded by the CPUs)."""
    tmp_path = tmp_path_factory.mktemp("mistakes")
    jobs: dict[str, Callable[[], subprocess.CompletedProcess[str]]] = {}
    for index, (name, mistake) in enumerate(MISTAKES.items()):
        flows = _copy(tmp_path, f"mistake{index}")
        _edit(flows / mistake.file, mistake.old, mistake.new)
        assert mistake.took(load_flows([flows])), f"{name}: the edit did not take"
        jobs[name] = functools.partial(_run_features, flows, "-m", mistake.sections)

    unchanged = _copy(tmp_path, "unchanged")
    sections = " or ".join(sorted({m.sections for m in MISTAKES.values()}))
    jobs["unchanged"] = functools.partial(_run_features, unchanged, "-m", sections)

    gated = _copy(tmp_path, "gated")
    guide = tmp_path / "GUIDE.md"
    shutil.copy(default_guide_path(), guide)
    _edit(guide, "## Recover your user name", EXTRA_GUIDE_ID + "\n## Recover your user name")
    with (gated / "lockout.yaml").open("a", encoding="utf-8") as lockout:
        lockout.write(NEVER_FIRED)
    assert "lockout.never_fired" in {t.name for t in load_flows([gated], guide).transitions()}
    report = tmp_path / "scenarios.json"
    jobs["gated"] = functools.partial(
        _run_features, gated, f"--scenarios-report={report}", guide=guide
    )

    workers = max(1, min(len(jobs), os.cpu_count() or 1, 4))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def _output(run: subprocess.CompletedProcess[str]) -> str:
    return run.stdout + run.stderr


def test_unchanged_copy_passes(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    run = runs["unchanged"]
    assert run.returncode == 0, _output(run)
    # -m selects exactly the sections' scenarios, and a subset gets no coverage verdict
    sections = {m.sections for m in MISTAKES.values()}
    expected = sum(max(1, s.examples) for s in scenarios_in() if s.tags & sections)
    assert f"{expected} passed" in run.stdout.splitlines()[-1], run.stdout
    assert "coverage gate skipped" in run.stdout


@pytest.mark.parametrize("name", list(MISTAKES))
def test_mistake_fails_the_features(
    name: str, runs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    run = runs[name]
    out = _output(run)
    assert run.returncode == 1, f"{name}: the features did not fail\n{out}"
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED ")]
    assert any(MISTAKES[name].caught_by in line for line in failed), out
    # the failure shows the producer's page and the mailbox
    assert "what the producer saw, and the mailbox" in out and "The mailbox:" in out


def test_gate_fails_a_run_that_leaves_a_transition_or_guide_id_uncovered(
    runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    run = runs["gated"]
    out = _output(run)
    assert run.returncode == 1, out
    assert " failed" not in run.stdout.splitlines()[-1], out  # every scenario passed
    assert "lockout: 8/9  MISSING: lockout.never_fired" in out
    assert "COVERAGE GATE FAILED: transitions never fired: lockout.never_fired" in out
    assert "COVERAGE GATE FAILED: guide IDs no passing scenario checks: LOCK-9" in out
    # The gate's transitions report, which `rpp report` colours the diagrams with.
    prefix = "scenarios by transition written to "
    written = next(line for line in out.splitlines() if line.startswith(prefix))
    by_transition = json.loads(Path(written.removeprefix(prefix)).read_text(encoding="utf-8"))
    assert by_transition["lockout.never_fired"] == []
    assert (
        "lockout.feature: The first and second failures warn, the third consecutive failure locks the account"
        in (by_transition["lockout.lock"])
    ), by_transition["lockout.lock"]


def test_case_sensitivity_parameter_is_optional_and_boolean(flows_copy: Path) -> None:
    """The knob the case mistake flips: true when left out (RESET-6), and only true or false."""
    portal = flows_copy / "portal.yaml"
    _edit(portal, "  temporary_password_case_sensitive: true", "")
    assert load_flows([flows_copy]).portal.parameters.temporary_password_case_sensitive
    _edit(portal, "  sender:", "  temporary_password_case_sensitive: sometimes\n  sender:")
    with pytest.raises(SpecError) as caught:
        load_flows([flows_copy])
    message = str(caught.value)
    assert "parameters.temporary_password_case_sensitive: expected true or false" in message
    assert "portal.yaml:" in message
