"""`rpp mutate`: the operators' edits, their stable ids, and a run that kills, lets
survive, and checks a survivor against the equivalents file."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from simulator.cli import main
from specs import DEFAULT_FLOWS_DIR
from specs.errors import UsageError
from specs.mutation.operators import OPERATORS, apply, mutants
from specs.mutation.run import load_equivalents, render, run

ROOT = Path(__file__).resolve().parents[2]


def test_every_operator_makes_mutants_each_one_edit_of_one_file() -> None:
    _, texts, found = mutants(DEFAULT_FLOWS_DIR)
    assert set(Counter(m.operator for m in found)) == set(OPERATORS)
    assert len({m.id for m in found}) == len(found), "ids are unique"
    for m in found:
        changed = apply(texts, m.edit)
        assert changed != texts[m.edit.file], m.id
        yaml.safe_load(changed)  # still YAML: the validator judges the rest
        assert m.description and (
            m.touches.everything or m.touches.transitions or m.touches.screens or m.touches.guide
        ), m.id


def test_ids_do_not_move_when_lines_do(tmp_path: Path) -> None:
    moved = tmp_path / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, moved)
    for name in ("login.yaml", "portal.yaml"):
        path = moved / name
        path.write_text("# a comment an analyst added\n\n" + path.read_text())
    _, _, before = mutants(DEFAULT_FLOWS_DIR)
    _, _, after = mutants(moved)
    assert [m.id for m in before] == [m.id for m in after]


def test_a_swap_of_transitions_that_exclude_each_other_is_not_made() -> None:
    _, _, found = mutants(DEFAULT_FLOWS_DIR)
    swaps = {m.id for m in found if m.operator == "swap"}
    # lock requires failure_reaches_lockout_threshold, count_failure forbids it.
    assert not any(i.startswith("swap:lockout.yaml/count_failure") for i in swaps)
    assert "swap:login.yaml/refuse_locked_account:<-> sign_in" in swaps


def test_equivalents_file_errors_name_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "equivalent.yaml"
    path.write_text("- id: x\n  reason: fine\n- id: y\n")
    with pytest.raises(UsageError, match="entry 2"):
        load_equivalents(path)
    assert load_equivalents(tmp_path / "absent.yaml") == {}


KILLED = "text-character:portal.yaml/producer_services/major_medical/IL"
SURVIVOR = "shows:login.yaml/warn_on_failure/shows"


def test_a_run_kills_lets_survive_and_checks_the_equivalents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    features = tmp_path / "features"
    features.mkdir()
    shutil.copy(ROOT / "features" / "producer_services.feature", features)
    equivalents = tmp_path / "equivalent.yaml"
    gate_report = ROOT / "reports" / "scenarios.json"
    before = gate_report.read_bytes() if gate_report.exists() else None
    outcome = run(
        DEFAULT_FLOWS_DIR,
        workers=2,
        only=[KILLED, SURVIVOR],
        equivalents_file=equivalents,
        features=features,
    )
    after = gate_report.read_bytes() if gate_report.exists() else None
    assert after == before, "a mutation worker's coverage gate wrote reports/scenarios.json"
    by_id = {m.id: outcome.outcome(m) for m in outcome.mutants}
    [killed] = [i for i in by_id if i.startswith(KILLED)]
    [survivor] = [i for i in by_id if i.startswith(SURVIVOR)]
    assert by_id == {killed: "killed", survivor: "survived"}
    assert outcome.results[killed]["by"].startswith("producer_services.feature: The number")
    report = "\n".join(render(outcome))
    assert survivor in report and "LOCK-1" in report
    # --check fails on the survivor until it is listed with a reason.
    argv = ["mutate", "--mutant", SURVIVOR, "--equivalents", str(equivalents), "--check"]
    monkey = pytest.MonkeyPatch()
    monkey.setenv("RPP_FEATURES", str(features))
    try:
        assert main(argv) == 1
        assert "not listed" in capsys.readouterr().out
        equivalents.write_text(f"- id: '{survivor}'\n  reason: these features never log in\n")
        assert main(argv) == 0
        assert "equivalent" in capsys.readouterr().out
    finally:
        monkey.undo()


def test_edits_of_block_style_lists_keep_the_lines_around_them(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, flows)
    login = flows / "login.yaml"
    text = login.read_text()
    flow_style = "    conditions: [account_locked]\n    shows: account_locked\n"
    assert flow_style in text
    login.write_text(
        text.replace(
            flow_style, "    conditions:\n      - account_locked\n    shows: account_locked\n"
        )
    )
    _, texts, found = mutants(flows)
    by_id = {m.id: m for m in found}
    dropped = by_id["guard-dropped:login.yaml/refuse_locked_account/conditions:account_locked"]
    moved = by_id[
        "guard-moved:login.yaml/refuse_locked_account/conditions:account_locked -> unless"
    ]
    for mutant, conditions, unless in ((dropped, [], None), (moved, None, ["account_locked"])):
        data = yaml.safe_load(apply(texts, mutant.edit))
        [t] = [t for t in data["transitions"] if t["id"] == "refuse_locked_account"]
        assert t.get("conditions") == conditions and t.get("unless") == unless, mutant.id
        assert t["shows"] == "account_locked", f"{mutant.id} lost the next line"
