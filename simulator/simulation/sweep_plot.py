"""``sweep.png``: each headline figure of a sweep against the swept value, one panel
each, every point labelled with its count (matplotlib, Agg, no pyplot)."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator

from simulator.simulation.plots import plain_title

__all__ = ["TOP_NUMBERS", "sweep_figure"]

TOP_NUMBERS = 4
"""Producer Services numbers drawn beside the calls' total: the busiest ones."""
_DPI = 100


def sweep_figure(
    parameter: str,
    values: list[int | float],
    rows: list[dict[str, int]],
    headlines: tuple[tuple[str, str], ...],
    title: str,
) -> Figure:
    """One panel per headline (its count at each value), the busiest numbers' calls
    beside the calls' total."""
    figure = Figure(figsize=(11, 7.5), layout="constrained", dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 2).ravel()
    numbers = [key for key in rows[0] if key.startswith("calls ")]
    busiest = sorted(numbers, key=lambda key: -sum(row[key] for row in rows))[:TOP_NUMBERS]
    for ax, (key, label) in zip(axes, headlines, strict=True):
        counts = [row[key] for row in rows]
        ax.plot(
            values,
            counts,
            marker="o",
            color="C0",
            label="total" if key.endswith("calls") else label,
        )
        for x, y in zip(values, counts, strict=True):
            ax.annotate(
                f"{y:,}",
                (x, y),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize="small",
            )
        if key == "producer_services_calls":
            for index, number in enumerate(busiest, start=1):
                ax.plot(
                    values,
                    [row[number] for row in rows],
                    marker=".",
                    linewidth=1,
                    color=f"C{index}",
                    label=number.removeprefix("calls "),
                )
            ax.legend(
                loc="lower left",
                bbox_to_anchor=(0, 1.01),
                borderaxespad=0,
                ncols=3,
                frameon=False,
                fontsize="small",
            )
        ax.set_ylabel(label)
        ax.set_xlabel(parameter)
        ax.xaxis.set_major_locator(FixedLocator(values))
        ax.set_ylim(bottom=0, top=max(1, *counts) * 1.15)
        ax.grid(alpha=0.3)
    plain_title(figure, title)
    return figure
