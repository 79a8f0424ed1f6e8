"""Time to make producers with `simulator.population`, against plain Faker calls.

Prints the median of repeated runs of ``Population.make(200_000)`` and, as a
baseline measured in the same process, the cost of the four Faker calls a naive
generator would make per producer (``first_name``, ``last_name``, ``email``,
``user_name``) for 2,000 producers, each in µs per producer, with the ratio (the
machines here are shared and noisy: compare ratios, not absolute times). The
budget is about 10 µs per producer, so a million producers take about 10 s.
Run: ``.venv/bin/python benchmarks/population.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from faker import Faker

from benchmarks.timing import median_seconds
from simulator.population import Population
from specs import load_flows

PRODUCERS = 200_000
FAKER_PRODUCERS = 2_000
REPEAT = 5
BUDGET_US = 10.0


def plain_faker(fake: Faker) -> Callable[[], object]:
    def run() -> object:
        return [
            (fake.first_name(), fake.last_name(), fake.email(), fake.user_name())
            for _ in range(FAKER_PRODUCERS)
        ]

    return run


def main() -> None:
    parameters = load_flows().portal.parameters
    build = median_seconds(lambda: Population(1, parameters))
    population = Population(1, parameters)
    ours = median_seconds(lambda: population.make(PRODUCERS)) / PRODUCERS * 1e6
    fake = Faker()
    fake.seed_instance(1)
    base = median_seconds(plain_faker(fake)) / FAKER_PRODUCERS * 1e6
    print(f"Population(...) build (Faker pools): {build * 1000:8.1f} ms (median of {REPEAT})")
    print(
        f"Population.make({PRODUCERS:,}):        {ours:8.2f} µs per producer"
        f" (median of {REPEAT}; budget {BUDGET_US:g} µs)"
    )
    print(
        f"baseline plain Faker, 4 calls:       {base:8.2f} µs per producer"
        f" ({FAKER_PRODUCERS:,} producers, median of {REPEAT})"
    )
    print(f"ratio: plain Faker costs {base / ours:.1f}x as much per producer")
    print(f"projected 1,000,000 producers: {ours:.1f} s")


if __name__ == "__main__":
    main()
