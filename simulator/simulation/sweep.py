"""Sweeps: one parameter varied over several values, each variant simulated in turn in
one process (start-up, the flows and the compiled loop paid for once).

``--sweep PARAM=V1,V2,...`` or ``PARAM=LOW..HIGH`` (whole steps) or
``PARAM=LOW..HIGH/STEP``: PARAM is a flow parameter the simulation depends on
(`SWEEPABLE_FLOW_PARAMETERS`, from flows/portal.yaml) or any number of the load
scenario, by its key (``mistype_rate``) or its dotted path (``behaviour.mistype_rate``,
``behaviour.after_lockout.give_up``). The result: ``sweep.csv`` (one row per value:
the headline figures), ``sweep.png`` (each figure against the value) and each
variant's own report in ``PARAM=VALUE/`` beside them.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from simulator.simulation.errors import SimulationError
from simulator.simulation.scenario import LoadScenario
from specs.model import FlowSet

__all__ = [
    "HEADLINES",
    "MAX_VARIANTS",
    "SWEEPABLE_FLOW_PARAMETERS",
    "Sweep",
    "SweepError",
    "apply",
    "headline_row",
    "parse_sweep",
    "sweepable",
    "write_sweep",
]

MAX_VARIANTS = 50
SWEEPABLE_FLOW_PARAMETERS = {
    "lockout_threshold": 1,
    "auto_unlock_after_minutes": 1,
    "temporary_password_valid_minutes": 1,
}
"""The flow parameters a simulation depends on, and the least value of each."""

HEADLINES = (
    ("lockouts", "lock-outs"),
    ("producer_services_calls", "Producer Services calls"),
    ("password_resets", "password resets requested"),
    ("emails_per_hour_at_peak", "emails per hour at the peak"),
)
"""The sweep's headline figures (``sweep.csv`` columns, ``sweep.png`` panels); the
calls per Producer Services number follow them in the table, one column each."""


class SweepError(SimulationError, ValueError):
    """A ``--sweep`` that names no sweepable parameter or gives bad values."""


@dataclass(frozen=True)
class Sweep:
    parameter: str  # as the user named it
    path: tuple[str, ...]  # ("flows", name) or the scenario's attribute path
    values: tuple[int | float, ...]

    def label(self, value: int | float) -> str:
        """The variant's directory name: ``PARAM=VALUE``."""
        return (
            f"{self.parameter}={value:g}"
            if isinstance(value, float)
            else f"{self.parameter}={value}"
        )


def _numbers(node: Any, prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    for item in dataclasses.fields(node):
        value = getattr(node, item.name)
        path = (*prefix, item.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            yield from _numbers(value, path)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield path, value


def sweepable(scenario: LoadScenario) -> dict[str, tuple[str, ...]]:
    """Every name ``--sweep`` accepts for ``scenario``: dotted paths, the flow
    parameters, and each scenario key that names one number only."""
    paths = [path for path, _ in _numbers(scenario, ())]
    names: dict[str, tuple[str, ...]] = {".".join(path): path for path in paths}
    leaves: dict[str, list[tuple[str, ...]]] = {}
    for path in paths:
        leaves.setdefault(path[-1], []).append(path)
    names.update({leaf: found[0] for leaf, found in leaves.items() if len(found) == 1})
    names.update({name: ("flows", name) for name in SWEEPABLE_FLOW_PARAMETERS})
    return names


def _value(text: str, integer: bool, where: str) -> int | float:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise SweepError(f"{where}: {text.strip()!r} is not a number") from None
    if not number.is_finite():
        raise SweepError(f"{where}: {text.strip()!r} is not a finite number")
    if integer:
        if number != number.to_integral_value():
            raise SweepError(f"{where}: {text.strip()!r} is not a whole number")
        return int(number)
    return float(number)


def parse_sweep(text: str, scenario: LoadScenario) -> Sweep:
    """``PARAM=V1,V2,...``, ``PARAM=LOW..HIGH`` or ``PARAM=LOW..HIGH/STEP`` for
    ``scenario``. Raises SweepError saying what is wrong and what would be right."""
    name, equals, values = text.partition("=")
    name = name.strip()
    where = f"--sweep {text}"
    if not equals or not name or not values.strip():
        raise SweepError(f"{where}: expected PARAM=V1,V2,... or PARAM=LOW..HIGH[/STEP]")
    names = sweepable(scenario)
    if name not in names:
        raise SweepError(
            f"{where}: {name!r} is neither a flow parameter the simulation uses"
            f" ({', '.join(SWEEPABLE_FLOW_PARAMETERS)}) nor a number of scenario"
            f" {scenario.name!r} (for example {', '.join(sorted(n for n in names if '.' in n)[:6])})"
        )
    path = names[name]
    integer = path[0] == "flows" or isinstance(_current(scenario, path), int)
    if ".." in values:
        low_text, _, rest = values.partition("..")
        high_text, _, step_text = rest.partition("/")
        low, high = _value(low_text, integer, where), _value(high_text, integer, where)
        step = _value(step_text, integer, where) if step_text.strip() else 1
        if step <= 0 or high < low:
            raise SweepError(f"{where}: a range goes up from LOW to HIGH by a positive STEP")
        count = int((Decimal(str(high)) - Decimal(str(low))) / Decimal(str(step))) + 1
        if count > MAX_VARIANTS:
            raise SweepError(f"{where}: {count} values; a sweep runs at most {MAX_VARIANTS}")
        found = [low + i * step for i in range(count)]
        chosen = tuple(round(v, 12) if isinstance(v, float) else v for v in found)
    else:
        chosen = tuple(_value(part, integer, where) for part in values.split(","))
    if len(set(chosen)) != len(chosen):
        raise SweepError(f"{where}: a value is given twice")
    if len(chosen) > MAX_VARIANTS:
        raise SweepError(f"{where}: {len(chosen)} values; a sweep runs at most {MAX_VARIANTS}")
    for value in chosen:
        _check_value(path, value, where)
    return Sweep(name, path, chosen)


def _current(scenario: LoadScenario, path: tuple[str, ...]) -> Any:
    node: Any = scenario
    for part in path:
        node = getattr(node, part)
    return node


def _check_value(path: tuple[str, ...], value: int | float, where: str) -> None:
    if path[0] == "flows":
        least = SWEEPABLE_FLOW_PARAMETERS[path[1]]
        if value < least:
            raise SweepError(f"{where}: {path[1]} is at least {least}, got {value}")
        return
    leaf = path[-1]
    if value < 0:
        raise SweepError(f"{where}: {leaf} cannot be negative, got {value}")
    if (leaf.endswith(("_rate", "_share", "_per_day"))) and value > 1:
        raise SweepError(f"{where}: {leaf} is a share from 0 to 1, got {value}")


def _replace(node: Any, path: tuple[str, ...], value: Any) -> Any:
    if len(path) == 1:
        return dataclasses.replace(node, **{path[0]: value})
    child = getattr(node, path[0])
    return dataclasses.replace(node, **{path[0]: _replace(child, path[1:], value)})


def apply(
    sweep: Sweep, value: int | float, flow_set: FlowSet, scenario: LoadScenario
) -> tuple[FlowSet, LoadScenario]:
    """The flows and the scenario of the variant with ``value``."""
    if sweep.path[0] == "flows":
        changes: dict[str, Any] = {sweep.path[1]: value}
        parameters = dataclasses.replace(flow_set.portal.parameters, **changes)
        portal = dataclasses.replace(flow_set.portal, parameters=parameters)
        return dataclasses.replace(flow_set, portal=portal), scenario
    current = _current(scenario, sweep.path)
    typed = float(value) if isinstance(current, float) else value
    return flow_set, _replace(scenario, sweep.path, typed)


def headline_row(summary: dict[str, Any], numbers: list[str]) -> dict[str, int]:
    """The headline figures of one variant's summary, then its calls per number."""
    calls = summary["producer_services_calls"]["by_number"]
    return {
        "lockouts": summary["lockouts"]["total"],
        "producer_services_calls": summary["producer_services_calls"]["total"],
        "password_resets": summary["password_resets"]["requested"],
        "emails_per_hour_at_peak": summary["busiest_hour"]["emails_sent"]["count"],
        **{f"calls {number}": calls.get(number, 0) for number in numbers},
    }


def write_sweep(
    sweep: Sweep, summaries: list[dict[str, Any]], title: str, directory: Path
) -> list[Path]:
    """``sweep.csv`` and ``sweep.png`` of the variants' summaries (in value order)."""
    numbers = sorted(
        {number for s in summaries for number in s["producer_services_calls"]["by_number"]}
    )
    rows = [headline_row(summary, numbers) for summary in summaries]
    table = directory / "sweep.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([sweep.parameter, *rows[0]])
        for value, row in zip(sweep.values, rows, strict=True):
            writer.writerow([f"{value:g}" if isinstance(value, float) else value, *row.values()])
    from simulator.simulation.sweep_plot import sweep_figure  # matplotlib only when drawing

    picture = directory / "sweep.png"
    sweep_figure(sweep.parameter, list(sweep.values), rows, HEADLINES, title).savefig(picture)
    return [table, picture]
