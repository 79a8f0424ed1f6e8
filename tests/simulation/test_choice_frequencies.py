"""Every choice a simulated producer, the mail or the attacker makes comes out as often
as the scenario's weights say: for every choice point (`results.CHOICES`), a
chi-square goodness-of-fit test of the tallied options against the probabilities the
plan's integer thresholds give, for the compiled loop and for the reference on the
real machines separately (the two share the draws, so their differential test cannot
see a choice drawn from the wrong number; this can).

False alarms: the draws are seeded, so each run is deterministic; over seeds, a correct
engine fails one test function with probability at most `FALSE_ALARM` (Bonferroni:
each point is tested at ``FALSE_ALARM / points``). A point without enough draws to
test (smallest expected count under `MIN_EXPECTED`) fails the test too, so no point
applicable to the scenario goes unchecked.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.stats import chisquare

from simulator.population import Population
from simulator.simulation import results as r
from simulator.simulation.draws import ONE
from simulator.simulation.engine import run_shard
from simulator.simulation.plan import Plan, build_plan
from simulator.simulation.reference import run_reference
from simulator.simulation.scenario import LoadScenario, load_scenario, shipped_scenarios
from simulator.simulation.table import compile_table
from specs.model import FlowSet

FALSE_ALARM = 1e-4
MIN_EXPECTED = 5.0


def _shares(cumulative: tuple[int, ...]) -> list[float]:
    return list(np.diff((0, *cumulative)) / ONE)


def _yes(threshold: int) -> list[float]:
    return [threshold / ONE, 1 - threshold / ONE]


def expected_shares(plan: Plan) -> dict[str, list[float]]:
    """Each choice point's option probabilities under ``plan``, for the points that
    apply to its scenario."""
    shares = {
        "visit_day": _yes(plan.visit_threshold),
        "visit_hour": _shares(plan.hour_cumulative),
        "forgot_password": _yes(plan.forgot_password_threshold),
        "forgot_user_name": _yes(plan.forgot_user_name_threshold),
        "mistype": _yes(plan.mistype_threshold),
        "after_lockout": _shares(plan.react_cumulative),
        "email_lost": _yes(plan.loss_threshold),
        "email_spam": _yes(plan.spam_threshold),
    }
    if plan.forced_reset:
        shares["proactive_reset"] = _yes(plan.proactive_reset_threshold)
    give_up = plan.react_cumulative[3] - plan.react_cumulative[2]
    if plan.react_cumulative_no_give_up is not None and give_up > 0:
        shares["after_lockout_fallback"] = _shares(plan.react_cumulative_no_give_up)
    if plan.attack:
        shares["attack_target"] = _yes(plan.attack_target_threshold)
    return shares


def tallies(counters: dict[str, int], point: str) -> list[int]:
    return [counters[f"chose_{point}_{option}"] for option in dict(r.CHOICES)[point]]


def misfits(counters: dict[str, int], plan: Plan, rare: tuple[str, ...] = ()) -> list[str]:
    """The choice points whose tallies do not fit ``plan``'s probabilities (empty
    when all do): a tally of an impossible option, too few draws to test (except for
    the ``rare`` points), or a chi-square p-value under ``FALSE_ALARM / points``."""
    shares = expected_shares(plan)
    alpha = FALSE_ALARM / len(shares)
    out = []
    for point in dict(r.CHOICES):
        observed = tallies(counters, point)
        if point not in shares:
            if sum(observed):
                out.append(f"{point}: {observed} tallied where the scenario has no such choice")
            continue
        p = shares[point]
        possible = [i for i, share in enumerate(p) if share > 0]
        impossible = [observed[i] for i in range(len(p)) if p[i] == 0]
        if any(impossible):
            out.append(f"{point}: options of weight 0 chosen {observed} (weights {p})")
            continue
        n = sum(observed)
        if len(possible) == 1:
            continue  # one way only: nothing to fit
        f_obs = np.array([observed[i] for i in possible], dtype=float)
        f_exp = n * np.array([p[i] for i in possible]) / sum(p[i] for i in possible)
        if f_exp.min() < MIN_EXPECTED:
            if point in rare:
                continue
            out.append(f"{point}: too few draws to test ({n}: expected counts {f_exp.round(1)})")
            continue
        p_value = chisquare(f_obs, f_exp).pvalue
        if p_value < alpha:
            out.append(
                f"{point}: chose {observed}, expected {f_exp.round(1).tolist()} of {n}"
                f" (chi-square p = {p_value:.2g} < {alpha:.2g})"
            )
    return out


def _engine_counters(
    flow_set: FlowSet, scenario: LoadScenario, producers: int, seed: int = 7
) -> tuple[Plan, dict[str, int]]:
    plan = build_plan(flow_set, scenario, seed, producers)
    population = Population(seed, flow_set.portal.parameters, lines=plan.lines)
    return plan, run_shard(plan, compile_table(flow_set), population, 0, producers).counters


# Producers per shipped scenario on the compiled loop: enough for every point that
# applies to have an expected count of at least MIN_EXPECTED per option (a 1-day
# scenario gives up twice in a visit rarely: normal-month supplies the fallback).
_PRODUCERS = {"normal-month": 100_000}


@pytest.mark.parametrize("name", shipped_scenarios())
def test_the_compiled_loop_chooses_as_often_as_each_shipped_scenario_says(
    flow_set: FlowSet, name: str
) -> None:
    scenario = load_scenario(name)
    plan, counters = _engine_counters(flow_set, scenario, _PRODUCERS.get(name, 400_000))
    # in one day the fallback (a second give-up within a visit) is drawn a few dozen
    # times at most: tested when there are enough, and by normal-month always
    rare = ("after_lockout_fallback",) if scenario.hours < 24 * 7 else ()
    problems = misfits(counters, plan, rare)
    assert not problems, "\n".join(problems)


def _dense(scenario: LoadScenario) -> LoadScenario:
    """normal-day's behaviour with every choice point reached often in a few hundred
    producers over a few days: everybody visits, mistypes half the time, gives up
    often (so the fallback is drawn), and email is lost now and then."""
    behaviour = scenario.behaviour
    after = dataclasses.replace(behaviour.after_lockout, give_up=0.5)
    return dataclasses.replace(
        scenario,
        hours=24 * 4,
        visit_share_per_day=0.9,
        behaviour=dataclasses.replace(
            behaviour,
            mistype_rate=0.5,
            forgot_password_rate=0.2,
            forgot_user_name_rate=0.2,
            after_lockout=after,
        ),
        email=dataclasses.replace(scenario.email, loss_rate=0.1, spam_rate=0.2),
    )


def test_the_reference_chooses_as_often_as_the_scenario_says(flow_set: FlowSet) -> None:
    scenario = _dense(load_scenario("normal-day"))
    producers = 600
    plan = build_plan(flow_set, scenario, 3, producers)
    population = Population(3, flow_set.portal.parameters, lines=plan.lines)
    counters = run_reference(flow_set, plan, population, range(producers)).counters
    problems = misfits(counters, plan)
    assert not problems, "\n".join(problems)
    # and the compiled loop, on the same producers, tallies the very same choices
    _, engine = _engine_counters(flow_set, scenario, producers, seed=3)
    assert {k: v for k, v in engine.items() if k.startswith("chose_")} == {
        k: v for k, v in counters.items() if k.startswith("chose_")
    }


def test_the_compiled_loop_chooses_as_often_as_the_dense_scenario_says(
    flow_set: FlowSet,
) -> None:
    plan, counters = _engine_counters(flow_set, _dense(load_scenario("normal-day")), 50_000)
    problems = misfits(counters, plan)
    assert not problems, "\n".join(problems)
