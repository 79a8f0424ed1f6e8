"""`rpp mutate --json FILE`: checked before any mutant runs, written whole."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parents[2]
SURVIVOR = "shows:login.yaml/warn_on_failure/shows"


def test_a_json_where_nothing_can_be_written_is_refused_before_any_mutant(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["mutate", "--json", "/proc/rpp-mutate.json"]) == 2
    captured = capsys.readouterr()
    assert "--json /proc/rpp-mutate.json: cannot write in /proc" in captured.err
    assert captured.out == ""


def test_the_json_replaces_an_earlier_one_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    features = tmp_path / "features"
    features.mkdir()
    shutil.copy(ROOT / "features" / "producer_services.feature", features)
    monkeypatch.setenv("RPP_FEATURES", str(features))
    report = tmp_path / "reports" / "mutate.json"
    report.parent.mkdir()
    report.write_text("an earlier, different report\n", encoding="utf-8")
    assert main(["mutate", "--mutant", SURVIVOR, "--json", str(report)]) == 0
    assert f"written: {report}" in capsys.readouterr().out
    written = json.loads(report.read_text(encoding="utf-8"))
    assert json.dumps(written).count(SURVIVOR) >= 1
    assert [p.name for p in report.parent.iterdir()] == ["mutate.json"]
