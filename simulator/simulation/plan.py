"""A scenario and the flows' parameters, turned into the integers a run needs.

The :class:`Plan` is what every shard gets (it pickles small): times in whole
seconds from the period start, probabilities as thresholds on 32-bit draws,
choices as cumulative thresholds, the email delivery delays as a quantile table,
and the Producer Services number of every (state, State Farm, line) a caller can
have, from the flows' directory. Both the compiled engine and the reference on the
real machines read only this, so they cannot disagree about the scenario.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from simulator.population import business_lines, derive_seed
from simulator.simulation.draws import ONE, threshold
from simulator.simulation.scenario import LoadScenario, Range
from specs.model import FlowSet

__all__ = [
    "DELIVERY_QUANTILES",
    "NO_CALL_NUMBER",
    "Plan",
    "build_plan",
    "cumulative",
]

DELIVERY_QUANTILES = 1024
"""Entries of the email delivery delay table (a draw's top 10 bits pick one)."""

NO_CALL_NUMBER = "unknown"
"""How a call is reported when the directory cell is illegible (never invented)."""

_SIMULATION_TAG = 0x73696D  # "sim": keeps these streams apart from the population's
DAY = 86_400


def cumulative(weights: tuple[float, ...]) -> tuple[int, ...]:
    """Integer thresholds (the last is ONE) choosing index k with weight k's share."""
    total = sum(weights)
    if total <= 0:
        raise ValueError("weights must have a positive sum")
    out: list[int] = []
    running = 0.0
    for weight in weights[:-1]:
        running += weight
        out.append(min(ONE, round(running / total * ONE)))
    out.append(ONE)
    return tuple(out)


def _seconds(span: Range, unit: int) -> tuple[int, int]:
    low = max(1, round(span.low * unit))
    return low, max(low, round(span.high * unit))


@dataclass(frozen=True)
class Plan:
    """Everything a shard needs to simulate its producers (see the module docstring)."""

    scenario: str
    seed: int
    producers: int
    start: dt.datetime
    end: int  # seconds: the period's length
    days: int
    visit_key: int
    attack_key: int
    step_key: int
    visit_threshold: int
    hour_cumulative: tuple[int, ...]  # 24
    mistype_threshold: int
    forgot_password_threshold: int
    forgot_user_name_threshold: int
    forced_reset: bool
    proactive_reset_threshold: int
    react_cumulative: tuple[int, ...]  # reset, recover first, call, give up
    react_cumulative_no_give_up: tuple[int, ...] | None
    give_up_at_most: int
    max_calls: int
    retry: tuple[int, int]
    form: tuple[int, int]
    come_back: tuple[int, int]
    read_email: tuple[int, int]
    inbox_check: tuple[int, int]
    spam_check: tuple[int, int]
    call: tuple[int, int]
    change_password: tuple[int, int]
    spam_threshold: int
    loss_threshold: int
    delivery_delays: tuple[int, ...]  # DELIVERY_QUANTILES seconds, extra delay included
    attack: bool
    attack_target_threshold: int
    attack_start: int
    attack_window: int
    attack_attempts: int
    attack_spacing: int
    temporary_password_lifetime: int  # seconds (flows)
    auto_unlock_after: int  # seconds, -1 when off (flows)
    lockout_threshold: int  # (flows) for the report; the table holds its effect
    states: tuple[str, ...]
    lines: tuple[str, ...]
    call_numbers: tuple[str, ...]  # per category (state, State Farm, line)
    timeline: str

    @property
    def minutes(self) -> int:
        return -(-self.end // 60)

    def category(self, state: int, state_farm: bool, line: int) -> int:
        """The call category of a producer (index into `call_numbers`)."""
        return (state * 2 + int(state_farm)) * len(self.lines) + line

    def category_parts(self, category: int) -> tuple[str, bool, str]:
        """(state, State Farm, line) of a category."""
        rest, line = divmod(category, len(self.lines))
        state, state_farm = divmod(rest, 2)
        return self.states[state], bool(state_farm), self.lines[line]


def build_plan(flow_set: FlowSet, scenario: LoadScenario, seed: int, producers: int) -> Plan:
    """The plan for ``producers`` producers of ``seed`` under ``scenario`` and the flows."""
    parameters = flow_set.portal.parameters
    directory = flow_set.portal.producer_services
    behaviour = scenario.behaviour
    email = scenario.email
    end = scenario.hours * 3600
    weights = scenario.behaviour.after_lockout
    react = (
        weights.reset,
        weights.recover_user_name_first,
        weights.call_producer_services,
        weights.give_up,
    )
    without_give_up = (*react[:3], 0.0)
    extra = round(email.extra_delay_minutes * 60)
    delays = tuple(
        round(
            60
            * (
                email.delivery_minimum_minutes
                + (email.delivery_mean_minutes - email.delivery_minimum_minutes)
                * -math.log1p(-(i + 0.5) / DELIVERY_QUANTILES)
            )
        )
        + extra
        for i in range(DELIVERY_QUANTILES)
    )
    lines = business_lines(directory)
    numbers = []
    for state in parameters.states:
        for state_farm in (False, True):
            for line in lines:
                number = (
                    directory.for_producer(state, line, state_farm)
                    if state in directory.states
                    else None
                )
                numbers.append(number or NO_CALL_NUMBER)
    attack = scenario.attack
    auto = parameters.auto_unlock_after_minutes
    return Plan(
        scenario=scenario.name,
        seed=seed,
        producers=producers,
        start=scenario.start,
        end=end,
        days=-(-end // DAY),
        visit_key=derive_seed(seed, _SIMULATION_TAG, 1),
        attack_key=derive_seed(seed, _SIMULATION_TAG, 2),
        step_key=derive_seed(seed, _SIMULATION_TAG, 3),
        visit_threshold=threshold(scenario.visit_share_per_day),
        hour_cumulative=cumulative(scenario.by_hour),
        mistype_threshold=threshold(behaviour.mistype_rate),
        forgot_password_threshold=threshold(behaviour.forgot_password_rate),
        forgot_user_name_threshold=threshold(behaviour.forgot_user_name_rate),
        forced_reset=scenario.forced_reset is not None,
        proactive_reset_threshold=threshold(
            scenario.forced_reset.proactive_reset_rate if scenario.forced_reset else 0.0
        ),
        react_cumulative=cumulative(react),
        react_cumulative_no_give_up=cumulative(without_give_up)
        if sum(without_give_up) > 0
        else None,
        give_up_at_most=behaviour.give_up_at_most,
        max_calls=behaviour.max_calls,
        retry=_seconds(behaviour.retry_seconds, 1),
        form=_seconds(behaviour.form_seconds, 1),
        come_back=_seconds(behaviour.come_back_after_hours, 3600),
        read_email=_seconds(behaviour.read_email_seconds, 1),
        inbox_check=_seconds(behaviour.inbox_check_after_minutes, 60),
        spam_check=_seconds(behaviour.spam_check_after_minutes, 60),
        call=_seconds(behaviour.call_minutes, 60),
        change_password=_seconds(behaviour.change_password_seconds, 1),
        spam_threshold=threshold(email.spam_rate),
        loss_threshold=threshold(email.loss_rate),
        delivery_delays=delays,
        attack=attack is not None and attack.target_share > 0,
        attack_target_threshold=threshold(attack.target_share) if attack else 0,
        attack_start=round(attack.start_hour * 3600) if attack else 0,
        attack_window=max(1, round(attack.hours * 3600)) if attack else 1,
        attack_attempts=attack.attempts_per_target if attack else 0,
        attack_spacing=attack.spacing_seconds if attack else 1,
        temporary_password_lifetime=parameters.temporary_password_valid_minutes * 60,
        auto_unlock_after=-1 if auto is None else auto * 60,
        lockout_threshold=parameters.lockout_threshold,
        states=parameters.states,
        lines=lines,
        call_numbers=tuple(numbers),
        timeline=scenario.timeline,
    )
