"""``rpp mutate``: the mutants of the flows run against the features, in parallel.

Promises:

- :func:`run` makes every mutant of :mod:`specs.mutation.operators` (or of the
  operators asked for), splits them over ``workers`` pytest processes of
  ``tests/test_features.py`` with the :mod:`tests.bdd.mutation` worker plugin, and
  gathers each mutant's outcome: ``rejected`` (the validator caught it), ``killed``
  (a scenario failed: which), ``survived``, or ``equivalent`` (a survivor listed in the
  equivalents file with its reason).
- :func:`render` prints per operator: generated, rejected, killed, survived,
  equivalent and the score ((rejected + killed) / (generated - equivalent)); then each
  survivor with its edit and the guide IDs it touches. :attr:`MutationRun.unexplained`
  are the survivors not listed as equivalent (``--check`` fails on them), and
  :attr:`MutationRun.stale` the listed mutants that are no longer survivors.
- The equivalents file is YAML: a list of ``{id: ..., reason: ...}``, read as the flow
  files are (bounded, a regular file only); a malformed file is a
  :class:`~specs.errors.SpecError` (``file:line:column``) or a
  :class:`~specs.errors.UsageError` naming it and the entry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from specs.errors import RppError, SpecError, UsageError
from specs.mutation.operators import OPERATORS, Mutant, mutants
from specs.yamlsource import compose_file, scalar_value

__all__ = ["EQUIVALENTS_FILE", "MutationRun", "load_equivalents", "render", "run"]

ROOT = Path(__file__).resolve().parents[2]
FEATURES_TEST = ROOT / "tests" / "test_features.py"
EQUIVALENTS_FILE = ROOT / "features" / "equivalent-mutants.yaml"


@dataclass
class MutationRun:
    mutants: list[Mutant]
    results: dict[str, dict[str, Any]]
    equivalents: dict[str, str]
    scenarios: int
    seconds: float
    workers: int
    stale: list[str] = field(default_factory=list)

    def outcome(self, mutant: Mutant) -> str:
        outcome = str(self.results.get(mutant.id, {}).get("outcome", "not run"))
        if outcome == "survived" and mutant.id in self.equivalents:
            return "equivalent"
        return outcome

    @property
    def unexplained(self) -> list[Mutant]:
        return [m for m in self.mutants if self.outcome(m) == "survived"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenarios": self.scenarios,
            "seconds": round(self.seconds, 1),
            "workers": self.workers,
            "operators": _table(self),
            "mutants": [
                {
                    "id": m.id,
                    "operator": m.operator,
                    "file": m.edit.file,
                    "edit": m.description,
                    "guide": list(m.guide),
                    "outcome": self.outcome(m),
                    **{
                        k: v
                        for k, v in self.results.get(m.id, {}).items()
                        if k not in ("id", "outcome")
                    },
                    **({"reason": self.equivalents[m.id]} if m.id in self.equivalents else {}),
                }
                for m in self.mutants
            ],
            "stale_equivalents": self.stale,
        }


def _plain(node: Node) -> Any:
    """A composed node as plain Python lists, dicts and scalars (bounded by yamlsource:
    at most 20,000 values, 64 levels deep)."""
    if isinstance(node, SequenceNode):
        return [_plain(item) for item in node.value]
    if isinstance(node, MappingNode):
        # A list or mapping as a key would be unhashable: its tag stands for it.
        return {
            _plain(key) if isinstance(key, ScalarNode) else key.tag: _plain(value)
            for key, value in node.value
        }
    assert isinstance(node, ScalarNode)
    return scalar_value(node)


def load_equivalents(path: Path) -> dict[str, str]:
    """The equivalent mutants listed in ``path`` (id -> reason); none when it is absent
    or empty. Read as the flow files are (:mod:`specs.yamlsource`: a regular file,
    bounded, no aliases, no YAML 1.1 surprises): its YAML problems are a SpecError
    with ``file:line:column``, a wrong shape a UsageError naming the entry."""
    if not path.exists():
        return {}
    try:
        data = _plain(compose_file(path, str(path), document="mutants file"))
    except SpecError as error:
        if len(error.problems) == 1 and error.problems[0].message.startswith("the file is empty"):
            return {}
        raise
    if data is None:
        return {}
    if not isinstance(data, list):
        raise UsageError(f"{path}: expected a list of {{id: ..., reason: ...}}")
    out: dict[str, str] = {}
    for n, entry in enumerate(data, 1):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("id"), str)
            and isinstance(entry.get("reason"), str)
            and entry["reason"].strip()
        ):
            raise UsageError(f"{path}: entry {n}: expected an id and a one-line reason")
        out[entry["id"]] = entry["reason"].strip()
    return out


def _job(mutant: Mutant) -> dict[str, Any]:
    t = mutant.touches
    return {
        "id": mutant.id,
        "file": mutant.edit.file,
        "start": mutant.edit.start,
        "end": mutant.edit.end,
        "replacement": mutant.edit.replacement,
        "touches": {
            "transitions": sorted(t.transitions),
            "states": sorted(t.states),
            "screens": sorted(t.screens),
            "guide": sorted(t.guide),
            "everything": t.everything,
        },
    }


def run(
    flows: Path,
    *,
    workers: int | None = None,
    operators: Sequence[str] = (),
    equivalents_file: Path = EQUIVALENTS_FILE,
    features: Path | None = None,
    only: Sequence[str] = (),
) -> MutationRun:
    """Every mutant of ``flows`` against the features (see the module's promises)."""
    unknown = sorted(set(operators) - set(OPERATORS))
    if unknown:
        raise UsageError(f"no operator {', '.join(unknown)} (operators: {', '.join(OPERATORS)})")
    if not FEATURES_TEST.exists():
        raise UsageError(f"rpp mutate runs the features of a checkout: no {FEATURES_TEST}")
    equivalents = load_equivalents(equivalents_file)
    began = time.perf_counter()
    _, texts, found = mutants(flows)
    chosen = [
        m
        for m in found
        if (not operators or m.operator in operators)
        and (not only or any(m.id.startswith(prefix) for prefix in only))
    ]
    if only and not chosen:
        raise UsageError(f"no mutant's id starts with {' or '.join(only)}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if workers is not None and workers > 4 * (cores or 1):
        raise UsageError(f"--workers {workers}: at most 4 per core ({4 * (cores or 1)} here)")
    workers = max(1, min(workers or cores or 1, len(chosen) or 1))
    results: dict[str, dict[str, Any]] = {}
    scenarios = 0
    with tempfile.TemporaryDirectory(prefix="rpp-mutate-") as work:
        shares = [chosen[i::workers] for i in range(workers)]
        processes = []
        for n, share in enumerate(shares):
            job = Path(work) / f"job-{n}.json"
            job.write_text(
                json.dumps({"work": work, "files": texts, "mutants": [_job(m) for m in share]}),
                encoding="utf-8",
            )
            out = Path(work) / f"results-{n}.json"
            log = (Path(work) / f"log-{n}.txt").open("w", encoding="utf-8")
            env = {**os.environ}
            if features is not None:
                env["RPP_FEATURES"] = str(features)
            command = [
                sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                "-p", "tests.bdd.mutation", str(FEATURES_TEST.relative_to(ROOT)),
                "--rpp-mutants", str(job), "--rpp-mutant-results", str(out),
                # A worker's coverage gate judges its own runs: never reports/'s files.
                "--scenarios-report", str(Path(work) / f"scenarios-{n}.json"),
            ]  # fmt: skip
            processes.append(
                (
                    subprocess.Popen(
                        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env
                    ),
                    out,
                    log,
                )
            )
        try:
            for (process, out, log), share in zip(processes, shares, strict=True):
                process.wait()
                log.close()
                data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
                if "error" in data:
                    raise RppError(
                        f"the features do not pass on the unchanged flows: {data['error']}"
                    )
                done = {r["id"] for r in data.get("results", ())}
                # The exit status is pytest's (the coverage gate may judge a partial
                # feature set); the job is done when every mutant has its result.
                if "scenarios" not in data or len(done) < len(share):
                    tail = Path(log.name).read_text(encoding="utf-8").strip().splitlines()[-15:]
                    raise RppError(
                        f"a mutation worker ended (exit {process.returncode}) after"
                        f" {len(done)} of its {len(share)} mutants:\n" + "\n".join(tail)
                    )
                scenarios = max(scenarios, int(data["scenarios"]))
                for result in data["results"]:
                    results[result["id"]] = result
        finally:  # on an error or Ctrl-C, no worker outlives the run
            for process, _, log in processes:
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
                log.close()
    outcome = MutationRun(
        chosen, results, equivalents, scenarios, time.perf_counter() - began, workers
    )
    survivors = {m.id for m in chosen if results.get(m.id, {}).get("outcome") == "survived"}
    if not operators and not only:
        outcome.stale = sorted(set(equivalents) - survivors)
    return outcome


def _table(run: MutationRun) -> dict[str, dict[str, Any]]:
    table: dict[str, Counter[str]] = {}
    for m in run.mutants:
        table.setdefault(m.operator, Counter())[run.outcome(m)] += 1
    out = {}
    for operator, counts in table.items():
        generated = sum(counts.values())
        caught = counts["rejected"] + counts["killed"]
        judged = generated - counts["equivalent"]
        out[operator] = {
            "generated": generated,
            "rejected": counts["rejected"],
            "killed": counts["killed"],
            "survived": counts["survived"],
            "equivalent": counts["equivalent"],
            "score": round(caught / judged, 3) if judged else 1.0,
        }
    return out


def render(run: MutationRun) -> list[str]:
    """The report of ``run``, line by line."""
    table = _table(run)
    lines = [
        f"{len(run.mutants)} mutants of the flows against {run.scenarios} scenarios,"
        f" {run.workers} workers, {run.seconds:.0f} s",
        f"{'operator':<16} {'generated':>9} {'rejected':>9} {'killed':>7} {'survived':>9}"
        f" {'equivalent':>11} {'score':>6}",
    ]
    total: Counter[str] = Counter()
    for operator in OPERATORS:
        row = table.get(operator)
        if row is None:
            continue
        total.update({k: v for k, v in row.items() if k != "score"})
        lines.append(
            f"{operator:<16} {row['generated']:>9} {row['rejected']:>9} {row['killed']:>7}"
            f" {row['survived']:>9} {row['equivalent']:>11} {row['score']:>6.0%}"
        )
    judged = total["generated"] - total["equivalent"]
    score = (total["rejected"] + total["killed"]) / judged if judged else 1.0
    lines.append(
        f"{'all':<16} {total['generated']:>9} {total['rejected']:>9} {total['killed']:>7}"
        f" {total['survived']:>9} {total['equivalent']:>11} {score:>6.0%}"
    )
    survivors = run.unexplained
    if survivors:
        lines.append("")
        lines.append(f"{len(survivors)} survivors (no scenario fails; not listed as equivalent):")
        for m in survivors:
            ran = run.results.get(m.id, {}).get("ran", 0)
            lines.append(f"  {m.id}")
            lines.append(f"      {m.description}")
            lines.append(
                f"      guide: {', '.join(m.guide) or '-'}; {ran} scenarios touching it ran"
            )
    if run.stale:
        lines.append("")
        lines.append("listed as equivalent but no longer surviving (remove them from the file):")
        lines.extend(f"  {i}" for i in run.stale)
    return lines
