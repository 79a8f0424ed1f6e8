"""``rpp simulate --explain USER``: one producer's period, told step by step.

The producer is replayed on the real portal (its `transitions` machines, real
forms, real emails in a real mailbox) with the same draws as in the full
simulation, and the compiled engine's run of the same producer is checked against
it: the explanation is of what the load simulation counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from simulator.population import Population
from simulator.simulation.engine import run_shard
from simulator.simulation.errors import SimulationError
from simulator.simulation.plan import Plan
from simulator.simulation.reference import run_reference
from simulator.simulation.table import compile_table
from specs.model import FlowSet

__all__ = ["ProducerNotFound", "explain"]


class ProducerNotFound(SimulationError, LookupError):
    """No producer of the simulated population has that user name."""


def explain(
    flow_set: FlowSet,
    plan: Plan,
    user_name: str,
    write: Callable[[str], None] = print,
) -> bool:
    """Tell what ``user_name`` does and sees during the period; True when the compiled
    engine counted exactly what the real machines did. Raises ProducerNotFound."""
    population = Population(plan.seed, flow_set.portal.parameters, lines=plan.lines)
    producer = population.by_user_name(user_name.strip().casefold(), limit=plan.producers)
    if producer is None:
        raise ProducerNotFound(
            f"no producer named {user_name!r} among the {plan.producers:,} producers of seed"
            f" {plan.seed} (user names look like {population.producer(0).user_name!r})"
        )
    group = population.email_group(producer.index, limit=plan.producers)
    others = len(group) - 1
    write(
        f"{producer.user_name}: producer {producer.index} of {plan.producers:,} (seed {plan.seed}),"
        f" scenario {plan.scenario}, replayed on the real portal machines"
    )
    write(
        f"  {producer.first_name} {producer.last_name}, {producer.home_state},"
        f" {'a State Farm agent' if producer.state_farm else 'not a State Farm agent'},"
        f" lines: {', '.join(producer.lines)}; email {producer.email}"
        + (f" (shared with {others} other user name{'s' if others > 1 else ''})" if others else "")
    )

    def narrate(t: int, text: str) -> None:
        when = plan.start + dt.timedelta(seconds=t)
        write(f"{when:%a %Y-%m-%d %H:%M:%S}  {text}")

    told = run_reference(
        flow_set, plan, population, range(producer.index, producer.index + 1), group, narrate
    )
    counted = run_shard(
        plan, compile_table(flow_set), population, producer.index, producer.index + 1
    )
    c = told.counters
    if not c["visits"] and not c["attack_attempts"]:
        write("  does not visit the portal in this period, and no attacker tries the account")
    write(
        f"in all: {c['visits']} visit(s), {c['login_attempts']} login attempt(s)"
        + (f" and {c['attack_attempts']} by an attacker" if c["attack_attempts"] else "")
        + ","
        f" {c['lockouts_by_producer'] + c['lockouts_by_attack']} lock-out(s),"
        f" {c['emails_sent_username'] + c['emails_sent_password_reset']} email(s),"
        f" {c['calls_locked_out'] + c['calls_no_email']} call(s) to Producer Services;"
        f" account {'still locked' if c['accounts_still_locked'] else 'not locked'} at the end"
    )
    differences = told.same_as(counted)
    if differences:
        write(
            "the compiled simulation counted this producer DIFFERENTLY: " + "; ".join(differences)
        )
        return False
    write("the compiled simulation counted exactly this for the producer")
    return True
