"""`rpp report` shows what the last `rpp verify --json` held the portal to, the decisions
the portal makes differently (``decisions_differ``) and the departures a team accepted
(``accepted``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specs.model import FlowSet
from specs.report.inputs import ReportInputError, read_verify
from tests.report.fixtures import VERIFY, verify_page

DECIDED = {
    "decision": "username-email-subject",
    "what": "email Subject",
    "flows": "Retail Producer Portal User Name",
    "portal": "Your RPP User Name",
    "journeys": 352,
}
ACCEPTED = {
    "departure": "'If you need assistance, please contact Producer Services at:'",
    "why": "our forms say contact; triaged in QA-12",
    "who": "qa-lead@team.example",
    "where": "decisions.yaml:2",
    "differences": ["text: expected 'If you need assistance, ...' on the page"],
    "journeys": 7,
}


def test_the_decisions_the_portal_makes_differently_are_shown(
    flow_set: FlowSet, tmp_path: Path
) -> None:
    page = verify_page(
        flow_set,
        tmp_path,
        decisions="guide",
        decisions_differ=[DECIDED],
        accepted=[ACCEPTED],
    )
    section = page[page.index('id="verify-decided"') : page.index('id="verify-departures"')]
    assert "held to: guide (what the guide fixes" in section
    assert 'href="#decision-username-email-subject"' in section
    assert "email Subject (352 journeys)" in section
    assert "the portal: &ldquo;Your RPP User Name&rdquo;" in section
    assert "why: our forms say contact; triaged in QA-12" in section
    assert "who: qa-lead@team.example" in section
    assert 'id="decision-username-email-subject"' in page  # the link's target


def test_a_strict_run_says_so_and_lists_none(flow_set: FlowSet, tmp_path: Path) -> None:
    page = verify_page(flow_set, tmp_path)  # an older verify.json: no decisions keys
    section = page[page.index('id="verify-decided"') : page.index('id="verify-departures"')]
    assert "held to: strict" in section and "<p>none.</p>" in section
    assert 'id="verify-accepted"' not in page


def test_a_malformed_entry_is_named(flow_set: FlowSet, tmp_path: Path) -> None:
    path = tmp_path / "verify.json"
    path.write_text(
        json.dumps({**VERIFY, "decisions_differ": [{**DECIDED, "journeys": "many"}]}),
        encoding="utf-8",
    )
    with pytest.raises(ReportInputError, match=r"decisions_differ\[0\]"):
        read_verify(path)
