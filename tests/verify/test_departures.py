"""Departures (simulator/verify/departures.py): the failing journeys of `rpp verify`
grouped into the distinct ways a portal departs from the flows, and each written as a
Gherkin scenario (simulator/verify/gherkin.py) that passes on the flows and fails on
the portal that departed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.verify.command import VerifyReport, load_target, verify
from simulator.verify.departures import describe_state
from simulator.verify.gherkin import FEATURE_FILE, emit_features
from simulator.verify.suite import Exploration
from specs import DEFAULT_FLOWS_DIR
from specs.model import FlowSet, Parameters
from tests.verify.broken_portals import BROKEN_PORTALS

ROOT = Path(__file__).resolve().parents[2]
RESET_SUBJECT = '      text: "Retail Producer Portal Password Reset"\n'


def _copy(tmp_path: Path, threshold: bool, subject: bool) -> Path:
    copy = tmp_path / "my-copy"
    shutil.copytree(DEFAULT_FLOWS_DIR, copy)
    portal = copy / "portal.yaml"
    text = portal.read_text(encoding="utf-8")
    if threshold:
        assert "lockout_threshold: 3 " in text
        text = text.replace("lockout_threshold: 3 ", "lockout_threshold: 4 ")
    if subject:
        assert text.count(RESET_SUBJECT) == 1
        text = text.replace(RESET_SUBJECT, RESET_SUBJECT.replace("Reset", "Reset Request"))
    portal.write_text(text, encoding="utf-8")
    return copy


def _parts(exploration: Exploration, *names: str) -> Exploration:
    return Exploration([p for p in exploration.parts if p.part.name in names], exploration.reached)


def _verify_copy(flow_set: FlowSet, exploration: Exploration, copy: Path) -> VerifyReport:
    # User names and the forms: small parts where both edits show (a test budget).
    return verify(
        flow_set,
        seed=1,
        make_target=load_target(f"flows:{copy}", flow_set),
        exploration=_parts(exploration, "user names", "forms"),
        target_name=f"flows:{copy}",
        workers=2,
    )


def test_a_state_reads_as_a_person_says_it(flow_set: FlowSet) -> None:
    key = ("login_page", "unlocked", 2, False, None, None, 0, False, None, False, 0)
    assert describe_state(key, flow_set) == "on Please Sign-In; 2 consecutive failures, not locked"
    key = ("login_page", "locked", 0, True, 10.0, None, 1, False, None, False, 0)
    assert describe_state(key, flow_set) == (
        "on Please Sign-In; locked; a temporary password emailed 10 minutes ago,"
        " the newest still valid"
    )


def test_one_edit_one_departure_per_effect_and_a_second_edit_adds_one(
    flow_set: FlowSet, exploration: Exploration, tmp_path: Path
) -> None:
    one = _verify_copy(flow_set, exploration, _copy(tmp_path / "a", True, False))
    assert 1 <= len(one.departures) <= 5, [d.description for d in one.departures]
    assert all("LOCK-2" in d.guide for d in one.departures)
    assert sum(d.journeys for d in one.departures) == len(one.failed)
    two = _verify_copy(flow_set, exploration, _copy(tmp_path / "b", True, True))
    assert len(two.departures) == len(one.departures) + 1
    new = [d for d in two.departures if "LOCK-2" not in d.guide]
    assert len(new) == 1 and "RESET-6" in new[0].guide
    assert new[0].expected_emails == ("Retail Producer Portal Password Reset",)
    assert new[0].first.got_emails == ("Retail Producer Portal Password Reset Request",)
    # Every failing journey is in exactly one departure, shown by its shortest witness.
    witnesses = {d.witness.number for d in two.departures}
    assert len(witnesses) == len(two.departures)
    as_json = json.dumps(two.as_dict()["departures"], ensure_ascii=False)
    again = _verify_copy(flow_set, exploration, _copy(tmp_path / "c", True, True))
    assert json.dumps(again.as_dict()["departures"], ensure_ascii=False) == as_json


def _features(directory: Path, flows: Path | None) -> subprocess.CompletedProcess[str]:
    """The emitted scenarios run by the features runner, as any features/ file is."""
    env = {**os.environ, "RPP_FEATURES": str(directory)}
    if flows is not None:
        env["RPP_FLOWS"] = str(flows)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_features.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_emitted_scenarios_pass_on_the_flows_and_fail_on_the_copy(
    flow_set: FlowSet, exploration: Exploration, tmp_path: Path
) -> None:
    copy = _copy(tmp_path, True, True)
    report = _verify_copy(flow_set, exploration, copy)
    written = emit_features(report.departures, flow_set, tmp_path / "emitted", seed=1)
    assert [p.name for p in written] == [FEATURE_FILE]
    text = written[0].read_text(encoding="utf-8")
    assert text.count("@departure ") == len(report.departures)
    assert "Background:" in text and "@RESET-6" in text and "@LOCK-2" in text
    shipped = _features(tmp_path / "emitted", None)
    assert shipped.returncode == 0, shipped.stdout[-3000:]
    assert f"{len(report.departures)} passed" in shipped.stdout
    departed = _features(tmp_path / "emitted", copy)
    assert departed.returncode == 1, departed.stdout[-3000:]
    assert f"{len(report.departures)} failed" in departed.stdout


# One broken portal, one behaviour: the departures it shows over the forms and the
# signed-in pages (the parts where each shows; a test budget).
DEPARTURE_COUNTS = {
    "temporary-password-lower-case": 1,
    "temporary-password-twelve-characters": 1,
    "email-sender": 2,  # the username email and the reset email
    "edit-profile-outside-account-menu": 1,
}


@pytest.mark.parametrize("portal_id", sorted(DEPARTURE_COUNTS))
def test_a_broken_portal_departs_in_as_many_ways_as_it_has_effects(
    portal_id: str, flow_set: FlowSet, exploration: Exploration
) -> None:
    portal = next(p for p in BROKEN_PORTALS if p.id == portal_id)

    def make(parameters: Parameters):  # type: ignore[no-untyped-def]
        return portal.make(flow_set, parameters)

    report = verify(
        flow_set,
        seed=1,
        make_target=make,
        exploration=_parts(exploration, "forms", "signed in"),
        workers=2,
    )
    counted = [(d.description, d.first.difference.splitlines()[0]) for d in report.departures]
    assert len(report.departures) == DEPARTURE_COUNTS[portal_id], counted
