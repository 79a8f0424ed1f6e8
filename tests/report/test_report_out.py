"""`rpp report --out` follows `rpp simulate --out`'s rule (issue 28): a new or empty
directory, or an earlier report (kept as OUT.previous); never `/`, never a directory of
other things (its index.html would be overwritten)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cli import main


def _refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["report", "--reports", "/nonexistent-reports", *args]) == 2
    captured = capsys.readouterr()
    assert "wrote" not in captured.out and "Traceback" not in captured.err
    return captured.err


def test_the_root_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--out /: the root directory" in _refused(capsys, "--out", "/")


def test_a_directory_of_other_things_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "index.html").write_text("<p>a team's own page</p>", encoding="utf-8")
    err = _refused(capsys, "--out", str(tmp_path))
    assert "neither empty nor an earlier report" in err
    assert (tmp_path / "index.html").read_text(encoding="utf-8") == "<p>a team's own page</p>"


def test_an_earlier_report_is_replaced_and_kept_as_previous(tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert main(["report", "--reports", str(tmp_path / "none"), "--out", str(out)]) == 0
    first = (out / "index.html").read_text(encoding="utf-8")
    assert main(["report", "--reports", str(tmp_path / "none"), "--out", str(out)]) == 0
    assert (out / "index.html").is_file()
    assert (tmp_path / "site.previous" / "index.html").read_text(encoding="utf-8") == first
