"""`rpp trace` and `rpp paths` on the shipped flows (`rpp diagram`: test_diagram.py)."""

from __future__ import annotations

import json

import pytest

from simulator.cli import main
from specs import FlowSet
from specs.trace import trace


def test_every_guide_id_is_traced(flow_set: FlowSet) -> None:
    entries = trace(flow_set)
    assert [e.guide_id for e in entries] == list(flow_set.guide_ids)
    untraced = [e.guide_id for e in entries if not e.implemented_by]
    assert not untraced, f"untraced guide IDs: {untraced}"
    # and every transition cites at least one ID
    assert all(t.guide for t in flow_set.transitions())


def test_trace_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    lock2 = next(e for e in data if e["id"] == "LOCK-2")
    assert "transition login.lock_on_threshold_failure" in lock2["implemented_by"]
    assert "text account_locked" in lock2["implemented_by"]


def test_paths_cover_every_transition(
    flow_set: FlowSet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["paths", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    listed = {(p["machine"], p["transition"]) for p in data}
    assert listed == {(t.machine, t.id) for t in flow_set.transitions()}
    edit = next(p for p in data if p["transition"] == "update_password")
    triggers = [s["trigger"] for s in edit["steps"]]
    assert triggers == [
        "submit_login",
        "select_state",
        "click_edit_profile",
        "click_update_password",
    ]
