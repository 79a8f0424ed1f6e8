"""A refused `rpp simulate` leaves nothing behind (issue 28): no empty `out/`, no
parents of `--out` made for a report that was never written."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cli import main


def test_a_refused_scenario_leaves_no_out_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text("name: bad\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["simulate", "--producers", "10", "--scenario", "bad.yaml"]) == 1
    assert main(["simulate", "--producers", "10", "--scenario", "bad.yaml", "--out", "a/b"]) == 1
    assert "invalid" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]
