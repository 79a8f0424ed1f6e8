"""Time to load, validate and build every machine of the shipped flows.

Prints the median of repeated runs and, as a baseline measured in the same
process, the time of a plain ``yaml.safe_load`` of the same files, with the ratio
(the machines here are shared and noisy: compare ratios, not absolute times).
Run: ``make bench`` or ``.venv/bin/python benchmarks/load_flows.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import yaml

from benchmarks.timing import median_seconds
from specs import DEFAULT_FLOWS_DIR, load_flows
from specs.machines import FlowMachines


class _Model:
    """Answers every vocabulary name, so machines can be built without the portal."""

    state = ""

    def __getattr__(self, name: str) -> Callable[..., bool]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *a, **k: True


def load_validate_build() -> None:
    flow_set = load_flows()
    for model in flow_set.models:
        FlowMachines(flow_set, model, _Model())


def safe_load_only() -> None:
    for path in sorted(DEFAULT_FLOWS_DIR.glob("*.yaml")):
        yaml.safe_load(path.read_text(encoding="utf-8"))


def median_ms(fn: Callable[[], None], repeat: int = 21) -> float:
    return median_seconds(fn, repeat) * 1000


def main() -> None:
    full = median_ms(load_validate_build)
    base = median_ms(safe_load_only)
    print(f"load + validate + build all machines: {full:7.1f} ms (median of 21)")
    print(f"baseline yaml.safe_load of the files: {base:7.1f} ms (median of 21)")
    print(f"ratio: {full / base:.2f}x the bare YAML parse; budget 200 ms")


if __name__ == "__main__":
    main()
