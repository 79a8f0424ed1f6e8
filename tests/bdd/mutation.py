"""The worker of ``rpp mutate``: one pytest session that runs the feature scenarios
against many mutants of the flows, one after another.

Loaded with ``-p tests.bdd.mutation --rpp-mutants JOB.json --rpp-mutant-results
OUT.json`` on ``tests/test_features.py`` (see :mod:`specs.mutation.run`). It replaces
pytest's run loop:

1. the baseline: every scenario against the unchanged flows, recording what each
   fired (the world's ``transitions_fired``), the screens those transitions led to,
   its tags and how long it took. A scenario that fails here stops the job: a score
   over failing features means nothing.
2. each mutant: its flows written to a directory of their own and loaded (a
   :class:`~specs.errors.SpecError` means the validator caught it); then only the
   scenarios that touch the mutated element (fired one of its transitions, saw one of
   its screens, or carry one of its guide IDs; all of them for a parameter) run
   against it, quickest first, until one fails (killed) or none is left (survived).

Each scenario runs through pytest's own protocol with every fixture set up afresh, so
the flows under test (``$RPP_FLOWS``) are the mutant's.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _pytest.runner import runtestprotocol
from pytest_bdd.parser import Feature, Scenario

from specs.errors import SpecError
from specs.loader import load_flows
from tests.bdd.world import FLOWS_ENV, WORLD, load_features_flows

FEATURES_MODULE = "tests.test_features"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rpp mutate")
    group.addoption("--rpp-mutants", default=None, help="a job of rpp mutate (JSON)")
    group.addoption("--rpp-mutant-results", default=None, help="where its results go (JSON)")


@dataclass
class _Baseline:
    item: pytest.Item
    name: str
    fired: frozenset[str]
    entered: frozenset[str]  # machine.state, the initial states included
    screens: frozenset[str]
    tags: frozenset[str]
    seconds: float


_NAME = pytest.StashKey[str]()


def pytest_bdd_before_scenario(
    request: pytest.FixtureRequest, feature: Feature, scenario: Scenario
) -> None:
    request.node.stash[_NAME] = f"{Path(feature.filename).name}: {scenario.name}"


def _name(item: pytest.Item) -> str:
    return item.stash.get(_NAME, item.nodeid)


def _run(item: pytest.Item) -> tuple[bool, str]:
    """Run ``item`` afresh; whether it passed, and its failure's first lines."""
    reports = runtestprotocol(item, nextitem=None, log=False)
    failed = [r for r in reports if r.failed]
    if not failed:
        return True, ""
    text = str(failed[0].longreprtext).strip().splitlines()
    return False, "\n".join(text[-3:])


def _write_flows(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")


def _baseline(items: list[pytest.Item], base: Path) -> list[_Baseline] | str:
    flow_set = load_features_flows(str(base))
    dest = {t.name: t.dest for t in flow_set.transitions()}
    machine = {t.name: t.machine for t in flow_set.transitions()}
    screens = flow_set.portal.screens
    start = frozenset(f.initial for f in flow_set.flows.values() if f.initial in screens)
    initial = frozenset(f"{f.machine}.{f.initial}" for f in flow_set.flows.values())
    out = []
    for item in items:
        began = time.perf_counter()
        passed, why = _run(item)
        if not passed:
            return f"{_name(item)} fails on the unchanged flows:\n{why}"
        world = item.stash.get(WORLD, None)
        fired = frozenset(world.transitions_fired() if world is not None else ())
        seen = start | {dest[n] for n in fired if dest.get(n) in screens}
        entered = initial | {f"{machine[n]}.{dest[n]}" for n in fired if n in dest}
        tags = frozenset(m.name for m in item.iter_markers())
        out.append(
            _Baseline(item, _name(item), fired, entered, seen, tags, time.perf_counter() - began)
        )
    return out


def _touching(mutant: dict[str, Any], runs: list[_Baseline]) -> list[_Baseline]:
    touches = mutant["touches"]
    if touches["everything"]:
        chosen = list(runs)
    else:
        transitions, screens = set(touches["transitions"]), set(touches["screens"])
        guide, states = set(touches["guide"]), set(touches.get("states", ()))
        chosen = [
            r
            for r in runs
            if r.fired & transitions or r.entered & states or r.screens & screens or r.tags & guide
        ]
    # Those that fired the mutated transitions first (likeliest to fail), quickest first.
    direct = set(touches["transitions"])
    return sorted(chosen, key=lambda r: (not r.fired & direct, r.seconds))


def _mutant(mutant: dict[str, Any], job: dict[str, Any], runs: list[_Baseline]) -> dict[str, Any]:
    files = dict(job["files"])
    text = files[mutant["file"]]
    files[mutant["file"]] = text[: mutant["start"]] + mutant["replacement"] + text[mutant["end"] :]
    directory = Path(job["work"]) / f"mutant-{os.getpid()}"
    shutil.rmtree(directory, ignore_errors=True)
    _write_flows(directory, files)
    result: dict[str, Any] = {"id": mutant["id"], "ran": 0}
    began = time.perf_counter()
    try:
        load_flows([directory])
    except SpecError as error:
        result.update(outcome="rejected", by=str(error).splitlines()[0])
        return result
    os.environ[FLOWS_ENV] = str(directory)
    try:
        for run in _touching(mutant, runs):
            result["ran"] += 1
            passed, why = _run(run.item)
            if not passed:
                result.update(outcome="killed", by=run.name, failure=why)
                break
        else:
            result.update(outcome="survived")
    finally:
        load_features_flows.cache_clear()
        result["seconds"] = round(time.perf_counter() - began, 3)
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    job_path = session.config.getoption("rpp_mutants")
    if not job_path:
        return None
    out = Path(session.config.getoption("rpp_mutant_results"))
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    items = [
        i
        for i in session.items
        if getattr(getattr(i, "module", None), "__name__", "") == FEATURES_MODULE
    ]
    base = Path(job["work"]) / f"base-{os.getpid()}"
    _write_flows(base, job["files"])
    os.environ[FLOWS_ENV] = str(base)
    runs = _baseline(items, base)
    if isinstance(runs, str):
        out.write_text(json.dumps({"error": runs}), encoding="utf-8")
        return True
    results = []
    for mutant in job["mutants"]:
        results.append(_mutant(mutant, job, runs))
        os.environ[FLOWS_ENV] = str(base)
        out.write_text(json.dumps({"results": results}), encoding="utf-8")  # progress kept
    out.write_text(json.dumps({"results": results, "scenarios": len(items)}), encoding="utf-8")
    return True
