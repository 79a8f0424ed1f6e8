"""What `rpp verify` refuses before the first journey (issue 28): a report path that is
not a regular file, a negative count, an adapter that fails on import, a target that is
not a target factory, a mailbox that cannot be read. Each is a usage error (exit 2) in one
line, never a traceback, never a suite run to its end failing every journey."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.drivers.in_process import InProcessTarget
from simulator.verify.command import check_target
from specs.errors import UsageError
from specs.model import FlowSet, Parameters


def _refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["verify", *args]) == 2
    captured = capsys.readouterr()
    assert "journeys passed" not in captured.out and "Traceback" not in captured.err
    return captured.err


def test_a_fifo_is_never_replaced_by_the_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    err = _refused(capsys, "--json", str(fifo))
    assert f"--json {fifo}: is a FIFO, not a regular file" in err
    assert fifo.is_fifo()


def test_a_device_node_is_never_replaced_by_the_json(capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(capsys, "--json", "/dev/null")
    assert "--json /dev/null: is a character device, not a regular file" in err
    assert Path("/dev/null").is_char_device()


def test_a_negative_show_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--show takes 0 or more" in _refused(capsys, "--show", "-5")


def test_an_adapter_that_fails_on_import_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "team_adapter_raises.py").write_text(
        'raise RuntimeError("PORTAL_URL is not set")\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    err = _refused(capsys, "--target", "team_adapter_raises:make")
    assert "importing team_adapter_raises raised RuntimeError: PORTAL_URL is not set" in err
    assert len(err.strip().splitlines()) == 1


def test_a_callable_that_is_no_target_factory_is_refused_up_front(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = _refused(capsys, "--target", "os:system")
    assert "--target os:system: called with the flows' parameters" in err
    assert "raised TypeError" in err


def test_a_factory_whose_target_lacks_the_protocol_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = _refused(capsys, "--target", "copy:copy")
    assert "made a Parameters, which lacks mailbox, register, open_browser, advance_clock" in err


class _Unreadable:
    def messages(self, address: str) -> list[object]:
        raise ConnectionRefusedError(111, "Connection refused")


def test_a_mailbox_that_cannot_be_read_is_refused_once(flow_set: FlowSet) -> None:
    def make(parameters: Parameters) -> InProcessTarget:
        target = InProcessTarget(flow_set, parameters)
        target.mailbox = _Unreadable()  # type: ignore[assignment]
        return target

    with pytest.raises(
        UsageError, match="the portal or its mailbox does not answer: ConnectionRefusedError"
    ):
        check_target("team:make", make, flow_set.portal.parameters)


def test_the_reference_is_a_target(flow_set: FlowSet) -> None:
    check_target("ok", lambda p: InProcessTarget(flow_set, p), flow_set.portal.parameters)


def test_a_portal_url_where_nothing_answers_is_refused_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Port 9 (discard) on loopback: nothing listens there on a test machine.
    err = _refused(capsys, "--target", "http://127.0.0.1:9", "--mailbox", "http://127.0.0.1:9")
    assert "--target http://127.0.0.1:9:" in err
    assert len(err.strip().splitlines()) == 1
