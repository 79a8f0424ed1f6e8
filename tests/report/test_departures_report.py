"""`rpp report` shows the departures of the last `rpp verify --json` and draws each on
its machine's diagram: the flows' expected transition in one colour, the transition
that shows what the portal did instead in a second (specs/report/departures.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specs.model import FlowSet
from specs.report.build import Inputs, build
from specs.report.departures import EXPECTED_COLOR, INSTEAD_COLOR, departure_drawing
from specs.report.inputs import ReportInputError, read_verify
from specs.report.page import render_page
from tests.report.fixtures import VERIFY

LOCKED = (
    "We're sorry, your account is now temporarily locked as a security precaution due to"
    " three unsuccessful login attempts. Please click Forgot Username and/or Reset Password"
    " for help."
)
WARNED = (
    "We're sorry, this Username/Password combination does not match your account"
    " information – please try again. After three attempts, your account will be"
    " temporarily locked for your protection. Please click Forgot Username and/or Reset"
    " Password for help."
)
# As `rpp verify --target flows:my-copy/ --json` wrote it for a copy with lockout_threshold: 4.
DEPARTURE = {
    "action": "log_in_wrong_password",
    "description": "log in with a wrong password",
    "actions": ["log_in_wrong_password", "log_in_unknown_user_name"],
    "from_state": "on Please Sign-In; 2 consecutive failures, not locked",
    "expected": {
        "transitions": ["login.lock_on_threshold_failure"],
        "screen": "Please Sign-In",
        "messages": [LOCKED],
        "emails": [],
    },
    "difference": "message 1: expected ...\n  (first difference at character 14: expected 'y'"
    " (LATIN SMALL LETTER Y), got 't' (LATIN SMALL LETTER T))",
    "got": {"screen": "Please Sign-In", "messages": [WARNED], "emails": []},
    "guide": ["LOCK-2"],
    "decisions": [],
    "witness": {
        "journey": "#3",
        "part": "lock-out",
        "variant": None,
        "producer": "someone1",
        "actions": ["log_in_wrong_password"] * 3,
        "step": 3,
    },
    "journeys": 1473,
    "states": 5,
    "parts": ["lock-out"],
}


def _verify_json(tmp_path: Path, departures: list[object]) -> Path:
    path = tmp_path / "verify.json"
    path.write_text(json.dumps({**VERIFY, "departures": departures}), encoding="utf-8")
    return path


def test_a_departure_is_drawn_expected_and_instead(flow_set: FlowSet, tmp_path: Path) -> None:
    record = read_verify(_verify_json(tmp_path, [DEPARTURE]))
    assert record is not None and len(record.departures) == 1
    drawing = departure_drawing(flow_set, record.departures[0])
    assert drawing is not None and drawing.machine == "login"
    assert drawing.expected == ("login.lock_on_threshold_failure",)
    assert drawing.instead == ("login.warn_on_failure",)
    page = render_page(build(flow_set, Inputs(verify=record, paths={"verify": str(tmp_path)})))
    section = page[page.index('id="verify-departures"') :]
    assert "1: log in with a wrong password (1473 journeys, 5 model states)" in section
    assert "on Please Sign-In; 2 consecutive failures, not locked" in section
    svg = section[section.index("<svg") : section.index("</svg>")]
    assert EXPECTED_COLOR in svg and INSTEAD_COLOR in svg


def test_a_report_without_departures_reads_as_before(tmp_path: Path) -> None:
    record = read_verify(_verify_json(tmp_path, []))
    assert record is not None and record.departures == []


def test_a_bad_departure_names_its_place(tmp_path: Path) -> None:
    bad = {**DEPARTURE, "journeys": "many"}
    with pytest.raises(ReportInputError, match=r"departures\[0\]\.journeys"):
        read_verify(_verify_json(tmp_path, [bad]))
