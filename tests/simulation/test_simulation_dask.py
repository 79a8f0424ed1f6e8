"""`rpp simulate --scheduler`: a Dask scheduler and worker on 127.0.0.1 give the same
report as the local run, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.cli import main

distributed = pytest.importorskip("distributed")


def test_a_dask_cluster_gives_the_same_summary_as_the_local_run(tmp_path: Path) -> None:
    args = ["simulate", "--producers", "8000", "--scenario", "credential-stuffing", "--seed", "4"]
    assert main([*args, "--workers", "1", "--out", str(tmp_path / "local")]) == 0
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        host="127.0.0.1",
        protocol="tcp://",
        scheduler_port=0,
        dashboard_address=None,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        assert main([*args, "--scheduler", address, "--out", str(tmp_path / "dask")]) == 0
    local = (tmp_path / "local" / "summary.json").read_bytes()
    remote = (tmp_path / "dask" / "summary.json").read_bytes()
    assert local == remote
    run = json.loads((tmp_path / "dask" / "run.json").read_text(encoding="utf-8"))
    assert run["scheduler"] == address
    assert json.loads(remote)["lockouts"]["by_attack"] > 0


def test_an_unreachable_scheduler_is_reported_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = main(
        [
            "simulate",
            "--producers",
            "100",
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
            "--out",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in err
    assert "Traceback" not in err
