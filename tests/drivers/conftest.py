"""A portal served over real sockets for the drivers' tests: the shipped flows (or a
broken copy) with the test API and an embedded mailbox, as `rpp serve --test-api`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from specs import FlowSet
from tests.bdd.targets import serve as serving

__all__ = ["serving"]


@pytest.fixture(scope="module")
def served(flow_set: FlowSet) -> Iterator[tuple[str, str]]:
    with serving(flow_set) as urls:
        yield urls
