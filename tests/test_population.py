"""The simulator's producers: deterministic, unique, policy-valid, and the shared
email addresses the username email (USER-6) has to list."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.population import (
    AGENT_UNIQUE_ID_SPACE,
    LINES,
    SHARING_CELL,
    Population,
    Producer,
    business_lines,
    derive_seed,
)
from specs import FlowSet
from specs.model import Parameters, PasswordPolicy

SEED = 20240501
MANY = 200_000  # a multiple of SHARING_CELL, so every sharing group is whole
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def parameters(flow_set: FlowSet) -> Parameters:
    return flow_set.portal.parameters


@pytest.fixture(scope="module")
def population(parameters: Parameters) -> Population:
    return Population(SEED, parameters)


@pytest.fixture(scope="module")
def many(population: Population) -> list[Producer]:
    return population.make(MANY)


def _in_another_process(code: str, hash_seed: str) -> str:
    """Run ``code`` in a fresh interpreter with its own str hashing; return its stdout."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# -- determinism ------------------------------------------------------------------------


def test_same_seed_makes_the_same_producers(parameters: Parameters, many: list[Producer]) -> None:
    again = Population(SEED, parameters).make(2_000)
    assert again == many[:2_000]


def test_same_producer_in_another_process(population: Population) -> None:
    code = (
        "from specs import load_flows\n"
        "from simulator.population import Population, derive_seed\n"
        f"p = Population({SEED}, load_flows().portal.parameters)\n"
        "print(repr(p.producer(123_456)), derive_seed(7, 1, 2))\n"
    )
    first = _in_another_process(code, "1")
    second = _in_another_process(code, "2")
    assert first == second
    assert first == f"{population.producer(123_456)!r} {derive_seed(7, 1, 2)}"


def test_different_seeds_make_different_producers(parameters: Parameters) -> None:
    one = Population(1, parameters).make(500)
    two = Population(2, parameters).make(500)
    assert all(a != b for a, b in zip(one, two, strict=True))
    assert not any(a.agent_unique_id == b.agent_unique_id for a, b in zip(one, two, strict=True))
    assert sum(a.user_name == b.user_name for a, b in zip(one, two, strict=True)) < 5


def test_producer_in_any_order_equals_make(population: Population, many: list[Producer]) -> None:
    for index in [*range(999, -1, -1), 150_001, 199_999, 54_321]:
        assert population.producer(index) == many[index], f"producer({index})"


@pytest.mark.parametrize(("count", "size"), [(1, 1_000), (4, 1_000), (7, 1_003), (16, 5), (3, 0)])
def test_shards_concatenate_to_make(population: Population, count: int, size: int) -> None:
    shards = [population.shard(k, count, size) for k in range(count)]
    assert [p for shard in shards for p in shard] == population.make(size)
    # No shared address spans two shards, so each worker can answer USER-6 alone.
    owner = {p.email: k for k, shard in enumerate(shards) for p in shard}
    assert all(owner[p.email] == k for k, shard in enumerate(shards) for p in shard)


def test_shard_ranges_are_balanced() -> None:
    sizes = [len(Population.shard_range(k, 8, 1_000_000)) for k in range(8)]
    assert sum(sizes) == 1_000_000
    assert max(sizes) - min(sizes) <= SHARING_CELL


def test_derive_seed_is_stable_and_separates_its_parts() -> None:
    assert derive_seed(1, 2) == derive_seed(1, 2)
    seeds = {derive_seed(1), derive_seed(1, 2), derive_seed(2, 1), derive_seed(1, 2, 0)}
    assert len(seeds) == 4
    assert all(0 <= s < 2**64 for s in seeds)
    with pytest.raises(TypeError, match="ints"):
        derive_seed(1, "2")  # type: ignore[arg-type]


# -- identities -------------------------------------------------------------------------


def test_user_names_are_unique_lower_case_letters_and_digits(many: list[Producer]) -> None:
    names = [p.user_name for p in many]
    duplicates = [n for n, c in Counter(names).items() if c > 1]
    assert not duplicates, duplicates[:10]
    bad = [n for n in names if not (n.isascii() and n.isalnum() and n == n.lower())]
    assert not bad, bad[:10]


def test_agent_unique_ids_are_unique_nine_digits_some_with_leading_zeros(
    many: list[Producer],
) -> None:
    ids = [p.agent_unique_id for p in many]
    assert len(set(ids)) == len(ids)
    bad = [i for i in ids if not (len(i) == 9 and i.isascii() and i.isdigit())]
    assert not bad, bad[:10]
    assert sum(i.startswith("0") for i in ids) > MANY // 20  # like USER-2's 000600492


def test_every_password_meets_the_policy(parameters: Parameters, many: list[Producer]) -> None:
    policy = parameters.password_policy
    bad = [p.password for p in many if not policy.accepts(p.password)]
    assert not bad, bad[:10]
    unmixed = [
        p.password
        for p in many
        if not (any(c.isdigit() for c in p.password) and any(c.isalpha() for c in p.password))
    ]
    assert not unmixed, unmixed[:10]
    lengths = Counter(len(p.password) for p in many)
    assert set(lengths) == set(range(policy.min_length, policy.max_length + 1))
    assert any(p.password != p.password.lower() for p in many[:100])  # case varies


def test_passwords_follow_another_policy(parameters: Parameters) -> None:
    policy = PasswordPolicy(min_length=12, max_length=30, allowed="letters_and_digits")
    population = Population(SEED, dataclasses.replace(parameters, password_policy=policy))
    passwords = [p.password for p in population.make(2_000)]
    assert all(policy.accepts(password) for password in passwords)
    assert max(map(len, passwords)) == 30


def test_a_policy_it_cannot_meet_is_refused(parameters: Parameters) -> None:
    symbols = PasswordPolicy(min_length=6, max_length=9, allowed="anything")
    with pytest.raises(ValueError, match="letters_and_digits"):
        Population(SEED, dataclasses.replace(parameters, password_policy=symbols))


def test_states_lines_and_state_farm(parameters: Parameters, many: list[Producer]) -> None:
    states = Counter(p.home_state for p in many)
    assert set(states) == set(parameters.states)
    assert min(states.values()) > MANY // len(parameters.states) // 2
    assert all(p.lines and set(p.lines) <= set(LINES) for p in many)
    assert all(list(p.lines) == sorted(p.lines, key=LINES.index) for p in many)
    assert set(Counter(line for p in many for line in p.lines)) == set(LINES)
    state_farm = sum(p.state_farm for p in many) / MANY
    assert 0.05 < state_farm < 0.15, state_farm


def test_lines_are_the_directory_rows_collapsed(flow_set: FlowSet) -> None:
    assert business_lines(flow_set.portal.producer_services) == LINES


def test_names_and_emails_look_like_the_portal_expects(many: list[Producer]) -> None:
    for p in many[:5_000]:
        assert p.first_name and p.last_name
        local, _, domain = p.email.partition("@")
        assert local and "." in domain and "@" not in domain, p.email
        assert p.email == p.email.lower() and p.email.isascii(), p.email


def test_out_of_range_indices_are_refused(population: Population) -> None:
    with pytest.raises(IndexError, match="nine digits"):
        population.producer(-1)
    with pytest.raises(IndexError, match="nine digits"):
        population.producer(AGENT_UNIQUE_ID_SPACE)
    with pytest.raises(ValueError, match="count"):
        population.shard(3, 3, 100)
    assert population.make(0) == []


# -- shared addresses (USER-6) ----------------------------------------------------------


def test_some_addresses_are_shared_by_two_or_three_never_more(many: list[Producer]) -> None:
    sharers = Counter(Counter(p.email for p in many).values())
    assert set(sharers) == {1, 2, 3}, sharers
    addresses = sum(sharers.values())
    assert 0.05 < sharers[2] / addresses < 0.15, sharers
    assert 0.002 < sharers[3] / addresses < 0.03, sharers


def test_user_names_for_agrees_with_a_brute_force_scan(
    population: Population, many: list[Producer]
) -> None:
    by_email: defaultdict[str, list[str]] = defaultdict(list)
    for p in many:
        by_email[p.email].append(p.user_name)
    for email, names in by_email.items():
        assert population.user_names_for(email, limit=MANY) == tuple(names), email
        if len(names) > 1:
            assert population.user_names_for(email) == tuple(names), email


def test_sharing_stops_at_the_population_size(population: Population, many: list[Producer]) -> None:
    trio = next(p.index for p in many if len(population.email_group(p.index)) == 3)
    email = many[trio].email
    assert population.sharing(email) == (trio, trio + 1, trio + 2)
    assert population.sharing(email, limit=trio + 2) == (trio, trio + 1)
    assert population.sharing(email, limit=trio) == ()


@pytest.mark.parametrize(
    "email",
    [
        "",
        "nobody",
        "nobody@example.com",
        "jessica.camp@gmail.com",
        "a9zzzzzzzzzzzz@x.com",
        "a9" + "1" * 5_000 + "@x.com",  # longer than int() parses: must not raise
    ],
)
def test_unknown_addresses_have_no_user_names(population: Population, email: str) -> None:
    assert population.user_names_for(email) == ()


def test_a_forged_address_has_no_user_names(population: Population, many: list[Producer]) -> None:
    email = many[42].email
    local, _, domain = email.partition("@")
    assert population.user_names_for(f"{local}@other{domain}") == ()
    assert population.user_names_for(email.upper()) == ()  # addresses are made lower case


# -- any index, any seed ----------------------------------------------------------------


@pytest.fixture(scope="module")
def populations(parameters: Parameters) -> dict[int, Population]:
    """A few seeds for the property tests (building a Population calls Faker)."""
    return {seed: Population(seed, parameters) for seed in range(3)}


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2),
    index=st.integers(min_value=0, max_value=AGENT_UNIQUE_ID_SPACE - 1),
)
def test_any_producer_can_be_found_again(
    populations: dict[int, Population], parameters: Parameters, seed: int, index: int
) -> None:
    population = populations[seed]
    producer = population.producer(index)
    assert parameters.password_policy.accepts(producer.password)
    assert producer.home_state in parameters.states
    assert population.by_user_name(producer.user_name) == producer
    assert population.by_agent_unique_id(producer.agent_unique_id) == producer
    assert index in population.sharing(producer.email)
    assert producer.user_name in population.user_names_for(producer.email)
    assert population.by_user_name(producer.user_name, limit=index) is None
    assert population.by_user_name(producer.user_name.upper()) is None


@settings(deadline=None)
@given(text=st.text(max_size=24) | st.from_regex(r"[a-z.]{1,8}[0-9][0-9a-z]{1,7}@[a-z.]{1,9}"))
def test_look_ups_of_arbitrary_text_never_fail(population: Population, text: str) -> None:
    found = population.by_user_name(text)
    assert found is None or found.user_name == text
    by_id = population.by_agent_unique_id(text)
    assert by_id is None or by_id.agent_unique_id == text
    assert all(population.producer(i).email == text for i in population.sharing(text))
