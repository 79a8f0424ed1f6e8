"""`specs.atomic`: a report is there whole, or the earlier one is, never a mix."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from specs import atomic


class Boom(Exception):
    pass


def test_a_file_is_replaced_whole_and_keeps_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    atomic.write_text(target, "first\n")
    atomic.write_text(target, "second\n")
    assert target.read_text(encoding="utf-8") == "second\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def test_a_failed_file_write_leaves_the_earlier_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("earlier\n", encoding="utf-8")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        atomic.write_text(target, "x" * 100_000)
    assert target.read_text(encoding="utf-8") == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def _report(directory: Path, run: str) -> None:
    for name in ("a.txt", "b.txt"):
        (directory / name).write_text(run, encoding="utf-8")


def _contents(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.iterdir())}


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_a_directory_takes_the_place_of_the_earlier_one_which_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target = tmp_path / "out"
    for run in ("one", "two", "three"):
        with atomic.staged_directory(target) as staging:
            assert staging.parent == tmp_path and staging.name.startswith("out.tmp-")
            _report(staging, run)
            assert not target.exists() or set(_contents(target).values()) != {run}
    assert _contents(target) == {"a.txt": "three", "b.txt": "three"}
    assert _contents(tmp_path / "out.previous") == {"a.txt": "two", "b.txt": "two"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out.previous"]


def test_a_failure_while_staging_leaves_the_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    _report(target, "earlier")
    with pytest.raises(Boom), atomic.staged_directory(target) as staging:
        _report(staging, "half")
        raise Boom
    assert _contents(target) == {"a.txt": "earlier", "b.txt": "earlier"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_an_empty_target_is_replaced_not_kept(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    with atomic.staged_directory(target) as staging:
        _report(staging, "new")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_temporary_of_a_dead_writer_is_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    dead = tmp_path / "out.tmp-999999999-abc"  # no such pid
    alive = tmp_path / f"out.tmp-{os.getppid()}-abc"
    for stale in (dead, alive):
        stale.mkdir()
        _report(stale, "stale")
    with atomic.staged_directory(tmp_path / "out") as staging:
        _report(staging, "new")
    assert not dead.exists() and alive.exists()
    shutil.rmtree(alive)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
