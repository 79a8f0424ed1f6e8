"""`rpp simulate`: every shipped scenario, the invariants, a hand calculation, the
same report for any number of workers, mail faults, and the compiled engine held to
the reference that drives each producer through the real portal machines."""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.cli import main
from simulator.population import AGENT_UNIQUE_ID_SPACE, Population, business_lines
from simulator.simulation.engine import run_shard
from simulator.simulation.plan import build_plan
from simulator.simulation.reference import run_reference
from simulator.simulation.report import check_invariants
from simulator.simulation.results import ShardResult, merge
from simulator.simulation.run import simulate
from simulator.simulation.scenario import LoadScenario, load_scenario, shipped_scenarios
from simulator.simulation.table import compile_table
from simulator.simulation.workers import progress_bar
from specs.model import FlowSet

SCENARIOS = ("normal-day", "monday-peak", "forced-reset", "credential-stuffing", "mail-outage")

# A scenario for hand calculations: everybody visits once, mistypes every password
# and, locked out, stops (no reset, no call, no coming back).
HAND = """\
name: hand
period: {start: "2026-11-03T00:00", hours: 24}
arrivals:
  visit_share_per_day: 1.0
  by_hour: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
behaviour:
  mistype_rate: MISTYPE
  forgot_user_name_rate: 0
  after_lockout: {give_up: 1}
  give_up_at_most: 0
email:
  delivery_minutes: {minimum: 0.1, mean: 1.0}
  spam_rate: 0
"""


def _flows_with(flow_set: FlowSet, **changes: Any) -> FlowSet:
    parameters = dataclasses.replace(flow_set.portal.parameters, **changes)
    portal = dataclasses.replace(flow_set.portal, parameters=parameters)
    return dataclasses.replace(flow_set, portal=portal)


def _hand(tmp_path: Path, mistype: float) -> LoadScenario:
    path = tmp_path / "hand.yaml"
    path.write_text(HAND.replace("MISTYPE", str(mistype)), encoding="utf-8")
    return load_scenario(str(path))


def _engine(
    flow_set: FlowSet, scenario: LoadScenario, producers: int, seed: int = 0
) -> ShardResult:
    plan = build_plan(flow_set, scenario, seed, producers)
    population = Population(seed, flow_set.portal.parameters, lines=plan.lines)
    return run_shard(plan, compile_table(flow_set), population, 0, producers)


def _rpp(*args: str) -> int:
    return main(["simulate", *args])


# -- the shipped scenarios -----------------------------------------------------------------


def test_the_four_required_scenarios_ship() -> None:
    assert set(SCENARIOS) <= set(shipped_scenarios())


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_shipped_scenario_runs_and_every_invariant_holds(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    code = _rpp("--producers", "3000", "--scenario", name, "--workers", "1", "--out", str(out))
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    assert "invariants: all 4 hold" in printed.out
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"]["name"] == name
    assert summary["producers"] == 3000
    assert all(check["holds"] for check in summary["invariants"].values()), summary["invariants"]
    assert summary["visits"]["started"] > 0
    assert summary["events_processed"]["total"] > summary["visits"]["started"]
    lines = (out / "timeline.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert header[:2] == ["start", "minute"] and "lockouts" in header and "calls" in header
    column = header.index("lockouts")
    assert sum(int(row.split(",")[column]) for row in lines[1:]) == summary["lockouts"]["total"]
    assert (out / "timeline.png").read_bytes().startswith(b"\x89PNG")
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["events"] == summary["events_processed"]["total"]
    # loading (or compiling) the loop is timed apart from the simulation
    assert run["loop_load_seconds"] >= 0 and run["simulation_seconds"] > 0


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_compiled_engine_counts_what_the_real_machines_do(flow_set: FlowSet, name: str) -> None:
    """The reference drives every producer through the real portal (its transitions
    machines, forms, emails and mailbox); the engine must count exactly the same."""
    scenario = load_scenario(name)
    size = 150 if name == "forced-reset" else 400  # three days of resets: the slow one
    for flows in (flow_set, _flows_with(flow_set, auto_unlock_after_minutes=30)):
        plan = build_plan(flows, scenario, 5, size)
        population = Population(5, flows.portal.parameters, lines=plan.lines)
        engine = run_shard(plan, compile_table(flows), population, 0, size)
        reference = run_reference(flows, plan, population, range(0, size))
        assert engine.same_as(reference) == []
        assert engine.counters["visits"] > 0


def test_scenarios_show_the_load_they_are_about(flow_set: FlowSet) -> None:
    normal = _engine(flow_set, load_scenario("normal-day"), 5000).counters
    peak = _engine(flow_set, load_scenario("monday-peak"), 5000).counters
    forced = _engine(flow_set, load_scenario("forced-reset"), 5000).counters
    attack = _engine(flow_set, load_scenario("credential-stuffing"), 5000).counters
    assert (
        peak["visits"] > normal["visits"]
        and peak["lockouts_by_producer"] > normal["lockouts_by_producer"]
    )
    assert forced["resets_requested"] > 10 * normal["resets_requested"]
    assert attack["lockouts_by_attack"] > 0 == normal["lockouts_by_attack"]
    assert attack["attack_attempts"] == 4 * attack["attack_targets"]


# -- hand calculations ------------------------------------------------------------------------


def test_everybody_who_mistypes_every_password_is_locked_after_the_flows_threshold(
    flow_set: FlowSet, tmp_path: Path
) -> None:
    """Mistype rate 1 and no way out: each of N producers visits once, fails
    `lockout_threshold` times (from flows/, not the scenario) and stays locked."""
    scenario = _hand(tmp_path, 1)
    n = 2000
    for threshold in (3, 5):
        c = _engine(_flows_with(flow_set, lockout_threshold=threshold), scenario, n).counters
        assert c["visits"] == n
        assert c["login_attempts"] == c["login_failures"] == threshold * n
        assert c["lockouts_by_producer"] == c["accounts_still_locked"] == n
        assert c["logins_succeeded"] == c["resets_requested"] == c["emails_sent_username"] == 0
        assert c["calls_locked_out"] + c["calls_no_email"] == 0
        assert c["visits_stopped"] == n


def test_lockouts_at_half_mistypes_match_the_geometric_law(
    flow_set: FlowSet, tmp_path: Path
) -> None:
    """Mistype rate 1/2, threshold 3: a visitor is locked with probability 1/8 and
    makes 1 + 1/2 + 1/4 attempts on average; the counts are within 4 sigma."""
    n = 20_000
    c = _engine(flow_set, _hand(tmp_path, 0.5), n).counters
    p = 1 / 8
    assert abs(c["lockouts_by_producer"] - n * p) < 4 * (n * p * (1 - p)) ** 0.5
    # attempts = 1 + X1 + X1*X2 (X Bernoulli 1/2): mean 7/4, variance 11/16 per visitor
    assert abs(c["login_attempts"] - 1.75 * n) < 4 * (n * 11 / 16) ** 0.5
    assert c["logins_succeeded"] + c["lockouts_by_producer"] == n


# -- one result, however it is split ----------------------------------------------------------


def test_the_result_does_not_depend_on_shards_or_bucket_width(flow_set: FlowSet) -> None:
    scenario = load_scenario("credential-stuffing")
    plan = build_plan(flow_set, scenario, 3, 6000)
    table = compile_table(flow_set)
    population = Population(3, flow_set.portal.parameters, lines=plan.lines)
    whole = run_shard(plan, table, population, 0, 6000)
    for bounds, width in (([0, 2500, 6000], 7), ([0, 1, 2999, 3000, 6000], 7000)):
        parts = [
            run_shard(plan, table, population, a, b, bucket_seconds=width)
            for a, b in itertools.pairwise(bounds)
        ]
        merged = merge(parts)
        assert merged.same_as(whole) == []
        assert all(check["holds"] for check in check_invariants(plan, merged).values())


def test_one_and_two_workers_write_the_same_summary(tmp_path: Path) -> None:
    written = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        assert (
            _rpp(
                "--producers",
                "6000",
                "--scenario",
                "monday-peak",
                "--seed",
                "9",
                "--workers",
                workers,
                "--out",
                str(out),
            )
            == 0
        )
        written.append((out / "summary.json").read_bytes())
        run = json.loads((out / "run.json").read_text(encoding="utf-8"))
        assert run["workers"] == int(workers)
    assert written[0] == written[1]


def test_another_seed_gives_another_day(tmp_path: Path) -> None:
    a = _rpp("--producers", "2000", "--seed", "1", "--workers", "1", "--out", str(tmp_path / "a"))
    b = _rpp("--producers", "2000", "--seed", "2", "--workers", "1", "--out", str(tmp_path / "b"))
    assert a == b == 0
    assert (tmp_path / "a" / "summary.json").read_bytes() != (
        tmp_path / "b" / "summary.json"
    ).read_bytes()


# -- invariants can fail ----------------------------------------------------------------------


def test_a_missing_email_or_lockout_breaks_the_invariants(flow_set: FlowSet) -> None:
    plan = build_plan(flow_set, load_scenario("mail-outage"), 0, 3000)
    result = merge([_engine(flow_set, load_scenario("mail-outage"), 3000)])
    assert all(check["holds"] for check in check_invariants(plan, result).values())
    for counter, invariant in (
        ("emails_queued_password_reset", "every_email_is_delivered_lost_or_queued"),
        ("emails_lost_username", "every_email_is_delivered_lost_or_queued"),
        ("accounts_still_locked", "every_lockout_ended_or_is_still_locked"),
        ("visits_in_progress", "every_visit_ended_or_is_in_progress"),
    ):
        broken = dataclasses.replace(
            result, counters={**result.counters, counter: result.counters[counter] + 1}
        )
        checks = check_invariants(plan, broken)
        assert not checks[invariant]["holds"], counter


def test_a_corrupted_shard_breaks_the_counts_even_when_the_totals_balance(
    flow_set: FlowSet,
) -> None:
    scenario = load_scenario("credential-stuffing")
    plan = build_plan(flow_set, scenario, 0, 3000)
    table = compile_table(flow_set)
    population = Population(0, flow_set.portal.parameters, lines=plan.lines)
    first, second = (run_shard(plan, table, population, a, b) for a, b in ((0, 1200), (1200, 3000)))
    assert check_invariants(plan, merge([first, second]))["counts_add_up_across_shards"]["holds"]
    for counter in ("visits", "login_attempts", "emails_sent_username", "attack_attempts"):
        # one shard counts a producer the other lost: the merged totals are unchanged
        plus = dataclasses.replace(
            first, counters={**first.counters, counter: first.counters[counter] + 1}
        )
        minus = dataclasses.replace(
            second, counters={**second.counters, counter: second.counters[counter] - 1}
        )
        merged = merge([plus, minus])
        assert merged.counters == merge([first, second]).counters
        check = check_invariants(plan, merged)["counts_add_up_across_shards"]
        assert not check["holds"], counter
        assert "shard 0..1199:" in check["detail"] and "shard 1200..2999:" in check["detail"]
        # one corrupted shard alone breaks it too
        alone = check_invariants(plan, merge([plus, second]))["counts_add_up_across_shards"]
        assert not alone["holds"] and "shard 0..1199:" in alone["detail"], counter


# -- mail faults (issue 6) --------------------------------------------------------------------


def test_lost_mail_sends_producers_to_spam_then_to_producer_services(tmp_path: Path) -> None:
    out = tmp_path / "lost"
    assert (
        _rpp(
            "--producers",
            "4000",
            "--scenario",
            "normal-day",
            "--workers",
            "1",
            "--mail-loss",
            "1",
            "--out",
            str(out),
        )
        == 0
    )
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["mail_faults"]["loss_rate"] == 1.0
    assert s["emails"]["sent"] == s["emails"]["by_folder"]["lost"] > 0
    assert s["emails"]["by_folder"]["inbox"] == s["emails"]["by_folder"]["spam"] == 0
    assert s["producer_services_calls"]["by_reason"]["no_email"] > 0
    assert s["lockouts"]["ended_by_reset"] == 0
    assert s["lockouts"]["accounts_still_locked_at_end"] == s["lockouts"]["total"] > 0
    assert all(check["holds"] for check in s["invariants"].values())


def test_delayed_mail_is_still_queued_at_the_end_and_counted(tmp_path: Path) -> None:
    out = tmp_path / "late"
    assert (
        _rpp(
            "--producers",
            "4000",
            "--scenario",
            "normal-day",
            "--workers",
            "1",
            "--mail-delay",
            "600",
            "--out",
            str(out),
        )
        == 0
    )
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    folders = s["emails"]["by_folder"]
    assert folders["queued_at_end"] > 0 and folders["lost"] == 0
    assert s["emails"]["sent"] == folders["inbox"] + folders["spam"] + folders["queued_at_end"]
    assert s["producer_services_calls"]["by_reason"]["no_email"] > 0
    assert all(check["holds"] for check in s["invariants"].values())


def test_calls_go_to_the_directory_numbers_and_illegible_ones_stay_unknown(
    flow_set: FlowSet, tmp_path: Path
) -> None:
    out = tmp_path / "calls"
    assert (
        _rpp(
            "--producers", "20000", "--scenario", "mail-outage", "--workers", "1", "--out", str(out)
        )
        == 0
    )
    calls = json.loads((out / "summary.json").read_text(encoding="utf-8"))[
        "producer_services_calls"
    ]
    directory = flow_set.portal.producer_services
    assert calls["by_number"][directory.state_farm_number] == calls["state_farm_agents"] > 0
    assert calls["by_number"]["unknown"] > 0  # Medicare Advantage and PDP cells are illegible
    for number, states in calls["by_number_state_line"].items():
        for state, lines in states.items():
            for line in lines:
                listed = directory.number(state, line) or "unknown"
                assert number in (listed, directory.state_farm_number), (number, state, line)
    assert sum(calls["by_number"].values()) == calls["total"] == sum(calls["by_state"].values())


# -- explain -----------------------------------------------------------------------------------


def test_explain_replays_one_producer_on_the_real_machines(
    tmp_path: Path, flow_set: FlowSet, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario_file = tmp_path / "hand.yaml"
    scenario_file.write_text(HAND.replace("MISTYPE", "1"), encoding="utf-8")
    user = (
        Population(
            0, flow_set.portal.parameters, lines=business_lines(flow_set.portal.producer_services)
        )
        .producer(7)
        .user_name
    )
    code = _rpp("--producers", "100", "--scenario", str(scenario_file), "--explain", user)
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("logs in with a wrong password") == 3
    assert "login.warn_on_failure, lockout.count_failure" in out
    assert "login.lock_on_threshold_failure, lockout.lock" in out
    assert flow_set.portal.texts["account_locked"].text[:60] in out
    assert "the compiled simulation counted exactly this for the producer" in out


def test_explain_shows_a_lost_email_leading_to_a_call(
    flow_set: FlowSet, capsys: pytest.CaptureFixture[str]
) -> None:
    population = Population(
        0, flow_set.portal.parameters, lines=business_lines(flow_set.portal.producer_services)
    )
    scenario = dataclasses.replace(
        load_scenario("normal-day"),
        email=dataclasses.replace(load_scenario("normal-day").email, loss_rate=1.0),
    )
    plan = build_plan(flow_set, scenario, 0, 3000)
    engine = run_shard(plan, compile_table(flow_set), population, 0, 3000)
    assert engine.counters["calls_no_email"] > 0
    for index in range(3000):  # the first producer who asked for an email
        one = run_shard(plan, compile_table(flow_set), population, index, index + 1)
        if one.counters["calls_no_email"]:
            break
    user = population.producer(index).user_name
    code = _rpp("--producers", "3000", "--mail-loss", "1", "--explain", user.upper())
    out = capsys.readouterr().out
    assert code == 0, out
    assert "email is lost on its way" in out
    assert "looks in spam too: no email, so calls Producer Services" in out
    assert "the compiled simulation counted exactly this" in out


def test_explaining_an_unknown_user_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert _rpp("--producers", "100", "--explain", "nobody") == 2
    assert "no producer named 'nobody' among the 100 producers" in capsys.readouterr().err


# -- options and the progress bar ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--producers", "0"], "--producers must be from 1"),
        (["--workers", "0"], "--workers must be from 1 to"),
        (["--mail-loss", "1.5"], "--mail-loss must be a rate from 0 to 1"),
        (["--scheduler", "127.0.0.1:8786"], "--scheduler must be a Dask scheduler's address"),
        (["--scenario", "no-such-day"], "no scenario 'no-such-day': give a shipped name"),
        (["--flows", "/no/such/flows"], "--flows /no/such/flows: no such directory"),
    ],
)
def test_bad_options_are_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _rpp(*args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("user", ["", "   "], ids=["empty", "blank"])
def test_explaining_no_user_name_is_a_usage_error(
    user: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _rpp("--producers", "100", "--explain", user) == 2
    captured = capsys.readouterr()
    assert "--explain needs a user name" in captured.err
    assert "simulated" not in captured.out  # refused, not a full run


def test_an_out_that_is_a_file_is_refused_before_simulating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "summary.txt"
    a_file.write_text("not a directory", encoding="utf-8")
    for out in (a_file, a_file / "report"):
        assert _rpp("--producers", "100", "--out", str(out)) == 2
        captured = capsys.readouterr()
        assert f"--out {out}: not a directory" in captured.err
        assert "simulated" not in captured.out and "Traceback" not in captured.err
    assert a_file.read_text(encoding="utf-8") == "not a directory"


def test_the_progress_bar_shows_only_on_a_terminal() -> None:
    quiet = io.StringIO()  # not a terminal
    bar = progress_bar(3, stream=quiet)
    bar.update()
    bar.close()
    assert quiet.getvalue() == ""
    shown = io.StringIO()
    bar = progress_bar(2, stream=shown, enabled=True)
    bar.update()
    bar.update()
    bar.close()
    assert "simulating: 100%" in shown.getvalue()
    assert "2/2" in shown.getvalue()


def test_simulate_reports_the_run_separately_from_the_summary(flow_set: FlowSet) -> None:
    simulation = simulate(flow_set, load_scenario("normal-day"), 2000, workers=1)
    assert "seconds" not in json.dumps(simulation.summary)
    assert simulation.run_info["peak_rss_bytes"]["total"] > 0
    assert simulation.invariants_hold


# -- the population's columns --------------------------------------------------------------------


@settings(max_examples=30, derandomize=True, deadline=None)
@given(st.lists(st.integers(0, AGENT_UNIQUE_ID_SPACE - 1), min_size=1, max_size=50))
def test_population_columns_equal_the_producers(indices: list[int]) -> None:
    from specs import load_flows

    flow_set = _FLOWS.get("f") or _FLOWS.setdefault("f", load_flows())
    lines = business_lines(flow_set.portal.producer_services)
    population = _POPULATIONS.get("p") or _POPULATIONS.setdefault(
        "p", Population(4, flow_set.portal.parameters, lines=lines)
    )
    columns = population.columns(np.array(indices))
    for k, index in enumerate(indices):
        producer = population.producer(index)
        assert flow_set.portal.parameters.states[columns.home_state[k]] == producer.home_state
        assert bool(columns.state_farm[k]) == producer.state_farm
        assert population.line_sets[columns.lines[k]] == producer.lines
        assert population.lines[columns.primary_line[k]] == producer.lines[0]


_FLOWS: dict[str, FlowSet] = {}
_POPULATIONS: dict[str, Population] = {}


def test_population_columns_refuse_indices_outside_the_id_space(flow_set: FlowSet) -> None:
    population = Population(0, flow_set.portal.parameters)
    with pytest.raises(IndexError):
        population.columns([AGENT_UNIQUE_ID_SPACE])
