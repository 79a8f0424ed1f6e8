"""`rpp report` shows the checks of the actions a target declares beyond the guide's
(``extra_actions`` of `rpp verify --json`): each check's result from each signed-in
screen, what a failed one broke, and the declared actions verify knows no rule for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markupsafe import escape

from simulator.verify.extra_actions import ROUTES, check_extra_actions
from specs.model import FlowSet
from specs.report.inputs import ReportInputError, read_verify
from tests.report.fixtures import VERIFY, verify_page
from tests.verify import reworded_portals


def _section(page: str) -> str:
    return page[page.index('id="verify-extra-actions"') : page.index('id="verify-departures"')]


def test_a_log_out_that_keeps_the_session_is_shown_failing_from_every_screen(
    flow_set: FlowSet, tmp_path: Path
) -> None:
    # What verify writes for a target whose Log Out keeps the session, and a Print it
    # declares too (verify knows no rule for it).
    extra = check_extra_actions(
        flow_set,
        reworded_portals.log_out_keeps_session,
        declared={"log_out": "Log Out", "print_page": "Print"},
    )
    assert len(extra.failed) == len(ROUTES)
    section = _section(verify_page(flow_set, tmp_path, extra_actions=extra.as_dict()))
    assert '<span data-figure="extra-actions-passed">0</span>' in section
    assert f'<span data-figure="extra-actions-total">{len(ROUTES)}</span>' in section
    assert section.count('<tr data-result="failed">') == len(ROUTES)
    for check in extra.failed:
        assert f"log_out (&ldquo;Log Out&rdquo;) from the {check.screen} screen" in section
        for failure in check.failures:
            assert f'<pre class="failure">{escape(failure)}</pre>' in section
    assert "print_page (&ldquo;Print&rdquo;): not checked, verify knows no rule for it" in section


def test_a_log_out_that_signs_out_is_shown_passing(flow_set: FlowSet, tmp_path: Path) -> None:
    extra = check_extra_actions(flow_set, reworded_portals.with_log_out)
    section = _section(verify_page(flow_set, tmp_path, extra_actions=extra.as_dict()))
    assert f'<span data-figure="extra-actions-passed">{len(ROUTES)}</span>' in section
    assert section.count('<tr data-result="passed">') == len(ROUTES)
    assert 'class="entry extra-action"' not in section and "not checked" not in section


def test_a_run_without_extra_actions_shows_no_such_part(flow_set: FlowSet, tmp_path: Path) -> None:
    assert 'id="verify-extra-actions"' not in verify_page(flow_set, tmp_path)  # the reference's run


def test_a_malformed_check_is_named(tmp_path: Path) -> None:
    check = {"action": "log_out", "label": "Log Out", "result": "failed", "failures": []}
    for extra, where in (
        ({"checks": [check]}, r"extra_actions\.checks\[0\]\.from: missing"),
        ({"checks": [{**check, "from": "welcome", "result": "maybe"}]}, "passed or failed"),
        ({"checks": [], "unchecked": {"print_page": 3}}, r"extra_actions\.unchecked\.print_page"),
    ):
        path = tmp_path / "verify.json"
        path.write_text(json.dumps({**VERIFY, "extra_actions": extra}), encoding="utf-8")
        with pytest.raises(ReportInputError, match=where):
            read_verify(path)
