"""`rpp simulate`'s planner options: ``--days``, ``--sweep``, ``--no-pictures``, the
loop and the workers chosen for the run's size, and where the time went (run.json)."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from simulator.cli import main
from simulator.simulation import run as run_module
from simulator.simulation.run import simulate, write_report
from simulator.simulation.scenario import load_scenario
from simulator.simulation.sweep import SweepError, parse_sweep
from specs.model import FlowSet


def _rpp(*args: str) -> int:
    return main(["simulate", *args])


def _summary(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_days_sets_the_period_and_normal_month_is_its_30_day_copy(tmp_path: Path) -> None:
    common = ("--producers", "300", "--no-pictures", "--seed", "4")
    assert _rpp(*common, "--days", "30", "--out", str(tmp_path / "days")) == 0
    assert _rpp(*common, "--scenario", "normal-month", "--out", str(tmp_path / "month")) == 0
    days, month = _summary(tmp_path / "days"), _summary(tmp_path / "month")
    assert days["scenario"]["hours"] == month["scenario"]["hours"] == 720
    for key in ("visits", "logins", "lockouts", "emails", "producer_services_calls"):
        assert days[key] == month[key], key
    assert not (tmp_path / "days" / "timeline.png").exists()  # --no-pictures


@pytest.mark.parametrize("days", ["0", "32", "-1"])
def test_days_out_of_range_is_a_usage_error(
    days: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _rpp("--days", days, "--out", str(tmp_path / "x")) == 2
    assert "--days must be from 1 to 31" in capsys.readouterr().err


def test_the_uncompiled_and_compiled_loops_write_the_same_summary(
    flow_set: FlowSet, tmp_path: Path
) -> None:
    scenario = load_scenario("credential-stuffing")
    written = []
    for compiled in (False, True):
        simulation = simulate(flow_set, scenario, 700, 11, compiled=compiled)
        assert simulation.compiled is compiled
        write_report(simulation, tmp_path / str(compiled), pictures=False)
        written.append((tmp_path / str(compiled) / "summary.json").read_bytes())
    assert written[0] == written[1]


def test_a_small_run_is_uncompiled_a_large_one_compiled(flow_set: FlowSet) -> None:
    small = simulate(flow_set, load_scenario("normal-day"), 1000, workers=None)
    assert not small.compiled and small.workers == 1
    large = simulate(flow_set, load_scenario("normal-day"), 100_000, workers=None)
    assert large.compiled
    assert large.run_info["loop"] == "compiled"


def test_the_default_workers_follow_the_estimated_events_and_the_free_cpus(
    flow_set: FlowSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One worker below `EVENTS_PER_EXTRA_WORKER` events, more above it while CPUs are
    free, and never more than the CPUs free."""
    scenario = load_scenario("normal-day")
    monkeypatch.setattr(run_module, "free_cpus", lambda: (2, "2 of 2 CPUs free (load 0.0)"))
    small = simulate(flow_set, scenario, 20_000, workers=None, compiled=True)
    assert small.workers == 1
    assert small.workers_chosen is not None
    assert small.workers_chosen.startswith("1 worker (about 0.")
    assert "2 of 2 CPUs free" in small.workers_chosen
    monkeypatch.setattr(run_module, "EVENTS_PER_EXTRA_WORKER", 5_000)
    busy = simulate(flow_set, scenario, 20_000, workers=None, compiled=True)
    assert busy.workers == 2
    assert busy.run_info["workers_chosen"].startswith("2 workers")
    monkeypatch.setattr(run_module, "free_cpus", lambda: (1, "1 of 2 CPUs free (load 1.2)"))
    assert simulate(flow_set, scenario, 20_000, workers=None, compiled=True).workers == 1
    uncompiled = simulate(flow_set, scenario, 20_000, workers=None)
    assert not uncompiled.compiled and uncompiled.workers == 1
    assert small.summary == busy.summary


def test_run_json_says_where_the_time_went(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _rpp("--producers", "500", "--out", str(tmp_path / "r")) == 0
    run = json.loads((tmp_path / "r" / "run.json").read_text(encoding="utf-8"))
    seconds = run["seconds"]
    for phase in (
        "starting_python_and_imports",
        "options_flows_and_scenario",
        "plan_and_table",
        "simulating",
        "writing_summary_and_timeline",
        "importing_matplotlib",
        "drawing_pictures",
    ):
        assert phase in seconds, phase
    assert run["loop"] == "uncompiled"
    assert run["workers_chosen"].startswith("1 worker")
    assert "1 worker (a small run: this process), loop uncompiled" in capsys.readouterr().out


def test_a_sweep_writes_a_table_a_picture_and_each_variants_report(
    flow_set: FlowSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep"
    code = _rpp(
        "--producers", "1500", "--seed", "2", "--sweep", "lockout_threshold=2..4", "--out", str(out)
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "swept lockout_threshold over 2, 3, 4" in printed
    rows = list(csv.DictReader((out / "sweep.csv").open(encoding="utf-8")))
    assert [row["lockout_threshold"] for row in rows] == ["2", "3", "4"]
    lockouts = [int(row["lockouts"]) for row in rows]
    assert lockouts[0] > lockouts[2]  # more attempts allowed, fewer lock-outs
    assert (out / "sweep.png").stat().st_size > 10_000
    # each variant is the run of its flows, byte for byte
    for row in rows:
        variant = out / f"lockout_threshold={row['lockout_threshold']}"
        threshold = int(row["lockout_threshold"])
        parameters = dataclasses.replace(flow_set.portal.parameters, lockout_threshold=threshold)
        flows = dataclasses.replace(
            flow_set, portal=dataclasses.replace(flow_set.portal, parameters=parameters)
        )
        alone = simulate(flows, load_scenario("normal-day"), 1500, 2)
        write_report(alone, tmp_path / f"alone{threshold}", pictures=False)
        assert (variant / "summary.json").read_bytes() == (
            tmp_path / f"alone{threshold}" / "summary.json"
        ).read_bytes()
        assert int(row["lockouts"]) == _summary(variant)["lockouts"]["total"]
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["sweep"] == {"parameter": "lockout_threshold", "values": [2, 3, 4]}
    # an earlier sweep is a report: a second one replaces it, keeping it as .previous
    assert _rpp("--producers", "300", "--sweep", "mistype_rate=0.1,0.3", "--out", str(out)) == 0
    assert (out / "mistype_rate=0.3" / "summary.json").is_file()
    assert (tmp_path / "sweep.previous" / "sweep.csv").is_file()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lockout_threshold", "expected PARAM=V1,V2,..."),
        ("nothing=1,2", "'nothing' is neither a flow parameter"),
        ("lockout_threshold=0,3", "lockout_threshold is at least 1"),
        ("lockout_threshold=3.5", "is not a whole number"),
        ("mistype_rate=0.1,1.5", "mistype_rate is a share from 0 to 1"),
        ("mistype_rate=x", "'x' is not a number"),
        ("mistype_rate=0.1,0.1", "a value is given twice"),
        ("lockout_threshold=1..1000", "a sweep runs at most 50"),
        ("lockout_threshold=5..3", "a range goes up from LOW to HIGH"),
    ],
)
def test_a_bad_sweep_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(SweepError, match=message.replace(".", r"\.").replace("(", r"\(")):
        parse_sweep(text, load_scenario("normal-day"))


def test_a_sweep_reaches_scenario_numbers_by_key_or_path() -> None:
    scenario = load_scenario("normal-day")
    assert parse_sweep("give_up=0,0.5", scenario).path == ("behaviour", "after_lockout", "give_up")
    sweep = parse_sweep("behaviour.max_calls=0..4/2", scenario)
    assert sweep.values == (0, 2, 4)
    assert parse_sweep("spam_rate=0.05..0.15/0.05", scenario).values == (0.05, 0.1, 0.15)


def test_a_bad_sweep_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _rpp("--sweep", "colour=1,2", "--out", str(tmp_path / "x")) == 2
    assert "rpp simulate: --sweep colour=1,2: 'colour' is neither" in capsys.readouterr().err
