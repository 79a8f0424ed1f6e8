"""Load simulation: many producers logging in, locking out and recovering.

Layers, each importing only the ones before it:
``scenario`` (YAML in) -> ``draws``, ``plan`` (integers) -> ``table`` (the login and
lock-out flows compiled) -> ``results`` -> ``kernel`` (the per-event loop, compiled
with numba) -> ``engine`` (one shard) and
``reference`` (the real portal machines, one producer at a time) -> ``report`` ->
``workers`` (processes or Dask) -> ``run`` -> ``sweep`` (with ``sweep_plot``) ->
``sweep_run``, ``explain``, ``cli``. The loop is built compiled only when a run needs
it: a small run takes the same loop uncompiled and never imports numba.

Heavy imports (numpy, numba, matplotlib, dask) stay inside this package, so that
``rpp validate`` never pays for them; numba, matplotlib and tqdm are imported only by
the runs that use them.
"""

from simulator.simulation.scenario import LoadScenario, load_scenario, shipped_scenarios

__all__ = ["LoadScenario", "load_scenario", "shipped_scenarios"]
