"""The compiled loop's own pieces: its constants are those of `results` and `table`
(numba's cache is keyed on kernel.py alone, so they are literals there), its draws are
`draws`' for many inputs, and it runs where the package cannot be written."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator.simulation import draws, kernel, table
from simulator.simulation import results as r
from simulator.simulation.plan import DELIVERY_QUANTILES, build_plan, cumulative
from simulator.simulation.scenario import load_scenario, shipped_scenarios
from simulator.simulation.table import compile_table
from specs.model import FlowSet

ROOT = Path(__file__).resolve().parents[2]


def test_the_loops_constants_are_those_of_results_and_table() -> None:
    kinds = {name: getattr(kernel, name) for name in ("ARRIVE", "LOGIN", "REACT", "ATTACK")}
    assert kinds == {name: getattr(r, name) for name in kinds}
    for name in (
        "USERNAME_REQUEST",
        "RESET_REQUEST",
        "CHECK_INBOX",
        "CHECK_SPAM",
        "CALL",
        "CHANGE_PASSWORD",
        "DELIVER",
    ):
        assert getattr(kernel, name) == getattr(r, name), name
    assert max(r.EVENT_KINDS) + 1 == kernel.KINDS
    assert (int(kernel._STEP), int(kernel._GOLDEN)) == (draws.STEP, draws.GOLDEN)
    assert 1 << kernel._DELAY_BITS == DELIVERY_QUANTILES
    for name in (
        "CURRENT_PASSWORD",
        "TEMPORARY_PASSWORD",
        "WRONG_PASSWORD",
        "AUTO_UNLOCK_DUE",
        "PASSWORD_CHANGED",
        "NOTHING",
        "SIGNED_IN",
        "SIGNED_IN_TEMPORARY",
        "FAILED",
        "LOCKED_NOW",
        "REFUSED_LOCKED",
    ):
        assert getattr(kernel, name) == getattr(table, name), name
    assert len(table.EVENTS) == kernel._TABLE_EVENTS
    assert sorted(kernel.RECORDED) == sorted(r.METRICS)
    calls = {f"calls_{reason}" for reason in r.CALL_REASONS}
    events = {f"events_{name}" for name in r.EVENT_KINDS.values()}
    assert sorted(kernel.COUNTED) == sorted(set(r.COUNTERS) - calls - events)
    # each counter's slot is the one its name gives (the names are unpacked in order)
    for at, name in enumerate(kernel.COUNTED, kernel._COUNTS):
        slot = getattr(kernel, name.upper(), None)
        assert slot in (None, at), name  # None: the second kind of mail of a pair
    # counters and rows that the loop adds up per kind of mail sit side by side
    for at, name in (
        (kernel.EMAILS_SENT, "emails_sent_"),
        (kernel.EMAILS_LOST, "emails_lost_"),
        (kernel.EMAILS_INBOX, "emails_inbox_"),
        (kernel.EMAILS_SPAM, "emails_spam_"),
        (kernel.EMAILS_QUEUED, "emails_queued_"),
    ):
        for mail, kind in enumerate(r.MAIL_KINDS):
            assert kernel.COUNTED[at - kernel._COUNTS + mail] == name + kind
    assert kernel.RECORDED[kernel.T_SENT : kernel.T_SENT + 2] == (
        "username_emails",
        "password_reset_emails",
    )


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "uncompiled"])
def test_the_loops_draws_are_those_of_draws(compiled: bool) -> None:
    loop = kernel.loop(compiled)
    with np.errstate(over="ignore"):  # numpy warns where uint64 wraps; numba does not
        _draws_agree(loop)


def _draws_agree(loop: Any) -> None:
    rng = random.Random(14)
    for _ in range(3000):
        key = rng.getrandbits(64)
        producer = rng.randrange(10**9)
        step = rng.randrange(1 << 20)
        slot = rng.randrange(8)
        base = loop._base(np.uint64(key), producer)
        assert int(base) == draws.producer_base(key, producer)
        value = loop._draw(np.uint64(base), step, slot)
        assert value == draws.draw(key, producer, step, slot)
        low = rng.randrange(1 << 22)
        high = low + rng.choice((0, 1, 59, 3599, rng.randrange(1 << 31)))
        assert loop._uniform(value, low, high - low + 1) == draws.uniform(value, low, high)
    for _ in range(300):
        weights = tuple(rng.choice((0.0, rng.random())) for _ in range(rng.randrange(1, 25)))
        if not sum(weights):
            continue
        thresholds = cumulative(weights)
        p = np.array((7, *thresholds), dtype=np.int64)
        for value in (
            0,
            draws.ONE - 1,
            *thresholds[:-1],
            *(rng.randrange(draws.ONE) for _ in range(20)),
        ):
            assert loop._choose(value, p, 1, len(thresholds)) == draws.choose(value, thresholds)


def test_the_loop_runs_where_neither_the_package_nor_the_home_can_be_written(
    tmp_path: Path,
) -> None:
    """numba would refuse to cache anywhere; the loop then caches in a private
    directory of the temporary directory. (Run as a user who cannot write there.)"""
    home = tmp_path / "home"
    home.mkdir()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    code = (
        "import numba, sys\n"
        "from numba.core import caching\n"
        "real = caching.FunctionCache\n"
        "def refuse(function):\n"  # what numba does when it can write nowhere
        "    if not numba.config.CACHE_DIR:\n"
        "        raise RuntimeError('cannot cache function: no locator available')\n"
        "    return real(function)\n"
        "caching.FunctionCache = refuse\n"
        "from simulator.simulation import kernel\n"
        "kernel._find_cache()\n"  # what building the compiled loop does first
        "print(numba.config.CACHE_DIR)\n"
    )
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(scratch)}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    where = Path(done.stdout.strip())
    assert where.parent == scratch
    assert where.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("name", shipped_scenarios())
def test_the_uncompiled_loop_gives_the_compiled_loops_result(flow_set: FlowSet, name: str) -> None:
    """A small run takes the loop uncompiled (no numba to import and load): the very
    same code, so the very same result, array for array."""
    plan = build_plan(flow_set, load_scenario(name), 5, 300)
    packed = kernel.pack(plan, compile_table(flow_set))
    compiled = kernel.run_accounts(0, 300, *packed, compiled=True)
    uncompiled = kernel.run_accounts(0, 300, *packed, compiled=False)
    assert int(compiled[1].sum()) > 100  # events happened
    for mine, theirs in zip(uncompiled, compiled, strict=True):
        assert mine.dtype == theirs.dtype
        assert np.array_equal(mine, theirs)


def test_the_compiled_loop_is_built_only_when_asked_for() -> None:
    """`rpp simulate` of a small population never imports numba."""
    code = (
        "import sys\n"
        "from simulator.cli import main\n"
        "code = main(['simulate', '--producers', '200', '--no-pictures', '--out', sys.argv[1]])\n"
        "print(code, 'numba' in sys.modules, 'matplotlib' in sys.modules)\n"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-c", code, f"{out}/report"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 False False"
