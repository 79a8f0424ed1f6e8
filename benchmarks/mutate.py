"""Time of ``rpp mutate`` over every operator, against the issue's 5-minute budget.

Baseline, measured in the same process: one plain run of every feature scenario on
the unchanged flows (a pytest process of ``tests/test_features.py``), so the ratio
says how many whole feature runs the mutation run costs (it runs only the scenarios
touching each mutant, until one fails). The machines here are shared and noisy:
compare ratios, not absolute times.
Run: ``.venv/bin/python -m benchmarks.mutate`` (``--workers N``, default the cores).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from specs import DEFAULT_FLOWS_DIR
from specs.mutation.run import FEATURES_TEST, ROOT, render, run

BUDGET_SECONDS = 300


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mutate")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(FEATURES_TEST)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    baseline = time.perf_counter() - start
    outcome = run(DEFAULT_FLOWS_DIR, workers=args.workers)
    for line in render(outcome)[:15]:
        print(line)
    print(
        f"\nrpp mutate: {outcome.seconds:.1f} s for {len(outcome.mutants)} mutants"
        f" ({outcome.workers} workers); one plain feature run: {baseline:.1f} s;"
        f" ratio {outcome.seconds / baseline:.1f}x;"
        f" budget {BUDGET_SECONDS} s: {'met' if outcome.seconds <= BUDGET_SECONDS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
