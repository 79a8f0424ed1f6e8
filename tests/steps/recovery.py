"""Steps on Forgot User Name? (guide: Recover Your User Name)."""

from __future__ import annotations

from pytest_bdd import when

from simulator.drivers.protocol import submit_forgot_user_name
from tests.bdd.vocabulary import Template
from tests.bdd.world import World


@when(
    Template(
        "the producer submits Forgot User Name? with the Agent Unique ID {agent_unique_id:value}"
        " and the E-mail Address {email:value}"
    )
)
def submits_forgot_user_name(world: World, agent_unique_id: str, email: str) -> None:
    """Fills in both fields and clicks "Submit"."""
    world.needs_page("forgot_user_name")
    submit_forgot_user_name(world.browser, world.value(agent_unique_id), world.value(email))
