"""The report's pictures: what ``timeline.png`` plots is ``timeline.csv``, row for
row with the last hour drawn to the period's end; every legend sits off the data and
off every label; ``lockout-minutes.png`` and ``emails.png`` are real PNGs showing the
summary's counts. The data are read back from the matplotlib Axes, never from the
inputs handed to the plotting code."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle, StepPatch
from matplotlib.transforms import Bbox
from PIL import Image

from simulator.simulation.plots import (
    EMAIL_FOLDERS,
    PLOT_FILES,
    emails_figure,
    lockout_minutes_figure,
    timeline_figure,
)
from simulator.simulation.run import Simulation, simulate, write_report
from simulator.simulation.scenario import load_scenario
from specs.model import FlowSet

PRODUCERS = 5000
TITLE = "a title"

# What each timeline panel plots (the timeline.csv column named by the artist's gid).
STEPS = {
    "login_attempts",
    "login_failures",
    "lockouts",
    "unlocks",
    "username_emails",
    "password_reset_emails",
    "emails_lost",
    "calls",
}
LEVELS = {"accounts_locked"}


@pytest.fixture(scope="module")
def reports(
    flow_set: FlowSet, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], tuple[Simulation, Path]]:
    """Simulate a shipped scenario once per module and write its report."""
    made: dict[str, tuple[Simulation, Path]] = {}

    def report(name: str) -> tuple[Simulation, Path]:
        if name not in made:
            simulation = simulate(flow_set, load_scenario(name), PRODUCERS, seed=5, workers=1)
            out = tmp_path_factory.mktemp(name)
            write_report(simulation, out)
            made[name] = (simulation, out)
        return made[name]

    return report


def _csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _plotted(figure: Figure) -> tuple[dict[str, StepPatch], dict[str, Line2D]]:
    """The timeline's step series and lines, by the CSV column each names as its gid."""
    steps: dict[str, StepPatch] = {}
    lines: dict[str, Line2D] = {}
    for ax in figure.axes:
        for patch in ax.patches:
            if isinstance(patch, StepPatch) and patch.get_gid():
                assert patch.get_gid() not in steps, f"{patch.get_gid()} plotted twice"
                steps[patch.get_gid()] = patch
        for line in ax.get_lines():
            if line.get_gid():
                lines[line.get_gid()] = line
    return steps, lines


# -- timeline.png plots timeline.csv -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "width"),
    [("credential-stuffing", 60), ("normal-day", 60), ("monday-peak", 1)],
)
def test_the_timeline_plots_timeline_csv_row_for_row_the_last_hour_included(
    reports: Callable[[str], tuple[Simulation, Path]], name: str, width: int
) -> None:
    simulation, out = reports(name)
    header, rows = _csv(out / "timeline.csv")
    hours = load_scenario(name).hours
    assert len(rows) == hours * 60 // width
    figure = timeline_figure(simulation.plan, simulation.merged, TITLE)
    steps, lines = _plotted(figure)

    expected = STEPS | ({"attack_attempts"} if name == "credential-stuffing" else set())
    assert set(steps) == expected
    # unlocks never drawn over lock-outs: each in its panel, whose axis names it, in UTC
    assert steps["lockouts"].axes is not steps["unlocks"].axes
    unit = "hour" if width == 60 else "minute"
    assert steps["lockouts"].axes.get_ylabel() == f"lock-outs per {unit}"
    assert steps["unlocks"].axes.get_ylabel() == f"unlocks per {unit}"
    assert " UTC (simulated time)" in figure.axes[-1].get_xlabel() or any(
        " UTC (simulated time)" in ax.get_xlabel() for ax in figure.axes
    )
    assert set(lines) == LEVELS
    assert (set(steps) | set(lines)) <= set(header)

    starts = [int(row["minute"]) / 60 for row in rows]
    edges = np.array([*starts, starts[-1] + width / 60])
    assert edges[-1] == hours  # the last bin is drawn to the end of the period
    for column, patch in steps.items():
        data = patch.get_data()
        csv_values = [int(row[column]) for row in rows]
        assert data.values.tolist() == csv_values, column
        assert np.array_equal(data.edges, edges), column
        assert patch.get_label() and not patch.get_label().startswith("_"), column
        left, right = patch.axes.get_xlim()
        assert left <= edges[0] and right >= edges[-1], f"{column}: {left}..{right} cuts bins"
        low, high = patch.axes.get_ylim()
        assert low <= 0 and high >= max(csv_values), f"{column}: {low}..{high} cuts steps"
    for column, line in lines.items():
        assert np.asarray(line.get_ydata()).tolist() == [int(row[column]) for row in rows]
        # A level counted at the end of each bin is drawn at the bin's end.
        assert np.array_equal(np.asarray(line.get_xdata()), edges[1:]), column
        low, high = line.axes.get_ylim()
        assert low <= 0 and high >= max(int(row[column]) for row in rows), column

    if name == "credential-stuffing":
        attack = [int(row["attack_attempts"]) for row in rows]
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert sum(attack) == summary["attack"]["attempts"] > 0


def test_timeline_png_is_the_figure_the_tests_read(
    reports: Callable[[str], tuple[Simulation, Path]],
) -> None:
    simulation, out = reports("credential-stuffing")
    drawn = io.BytesIO()
    timeline_figure(simulation.plan, simulation.merged, _title(simulation)).savefig(
        drawn, format="png", dpi=100
    )
    assert drawn.getvalue() == (out / "timeline.png").read_bytes()


def _title(simulation: Simulation) -> str:
    return (
        f"{simulation.scenario.name}: {simulation.plan.producers:,} producers,"
        f" seed {simulation.plan.seed}"
    )


# -- legends sit off the data -------------------------------------------------------------


def _area(a: Bbox, b: Bbox) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(0.0, width) * max(0.0, height)


def _crowding(figure: Figure) -> list[str]:
    """Every legend that covers a data area, a label, a tick label, a title, another
    legend, or leaves the figure (empty when none does); the figure has a legend."""
    figure.canvas.draw()  # lays the figure out as savefig does
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    legends = [ax.get_legend() for ax in figure.axes if ax.get_legend() is not None]
    assert legends, "the figure has no legend"
    others: list[tuple[str, Bbox]] = []
    for i, ax in enumerate(figure.axes):
        others.append((f"data area of axes {i}", ax.get_window_extent(renderer)))
        for axis in (ax.xaxis, ax.yaxis):
            box = axis.get_tightbbox(renderer)
            if box is not None:
                others.append((f"{axis.axis_name} axis of axes {i}", box))
        for text in (ax.title, *ax.texts):
            if text.get_visible() and text.get_text():
                others.append((f"text {text.get_text()!r}", text.get_window_extent(renderer)))
    for text in figure.texts:
        if text.get_visible() and text.get_text():
            others.append((f"text {text.get_text()!r}", text.get_window_extent(renderer)))
    boxes = [(legend, legend.get_window_extent(renderer)) for legend in legends]
    problems = []
    for n, (legend, box) in enumerate(boxes):
        labels = ", ".join(t.get_text() for t in legend.get_texts())
        if not figure.bbox.contains(box.x0, box.y0) or not figure.bbox.contains(box.x1, box.y1):
            problems.append(f"legend [{labels}] leaves the figure")
        neighbours = [(f"legend {m}", b) for m, (_, b) in enumerate(boxes) if m != n]
        for what, other in [*others, *neighbours]:
            if _area(box, other) > 0:
                problems.append(f"legend [{labels}] covers the {what}")
    return problems


def _figures(simulation: Simulation) -> list[Figure]:
    return [
        timeline_figure(simulation.plan, simulation.merged, TITLE),
        lockout_minutes_figure(simulation.plan, simulation.merged, TITLE),
        emails_figure(simulation.merged, TITLE),
    ]


@pytest.mark.parametrize("name", ["credential-stuffing", "monday-peak", "mail-outage"])
def test_no_legend_covers_data_or_labels(
    reports: Callable[[str], tuple[Simulation, Path]], name: str
) -> None:
    simulation, _ = reports(name)
    for figure in _figures(simulation):
        assert _crowding(figure) == []


def test_no_legend_covers_data_with_auto_unlock_on(flow_set: FlowSet) -> None:
    parameters = dataclasses.replace(flow_set.portal.parameters, auto_unlock_after_minutes=30)
    flows = dataclasses.replace(
        flow_set, portal=dataclasses.replace(flow_set.portal, parameters=parameters)
    )
    simulation = simulate(flows, load_scenario("monday-peak"), PRODUCERS, seed=5, workers=1)
    figure = lockout_minutes_figure(simulation.plan, simulation.merged, TITLE)
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "auto-unlock after 30 min" in labels
    assert _crowding(figure) == []


def test_a_legend_over_the_data_is_caught(
    reports: Callable[[str], tuple[Simulation, Path]],
) -> None:
    simulation, _ = reports("credential-stuffing")
    figure = timeline_figure(simulation.plan, simulation.merged, TITLE)
    figure.axes[0].legend(loc="upper left")  # where the legends used to be
    assert any("covers the data area of axes 0" in p for p in _crowding(figure))
    figure = emails_figure(simulation.merged, TITLE)
    figure.axes[0].legend(loc="upper center", bbox_to_anchor=(0.5, 0))  # over the ticks
    assert any("covers the x axis of axes 0" in p for p in _crowding(figure))


# -- the other pictures --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["credential-stuffing", "monday-peak"])
def test_every_picture_is_a_real_png(
    reports: Callable[[str], tuple[Simulation, Path]], name: str
) -> None:
    _, out = reports(name)
    for file in PLOT_FILES:
        with Image.open(out / file) as image:
            assert image.format == "PNG", file
            image.load()  # decodes every pixel: a truncated file fails here
            assert image.width >= 800 and image.height >= 400, (file, image.size)
            colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 20, f"{file} is nearly blank"


def _bars(figure: Figure) -> dict[str, list[Rectangle]]:
    bars: dict[str, list[Rectangle]] = {}
    for patch in figure.axes[0].patches:
        if isinstance(patch, Rectangle) and patch.get_gid():
            bars.setdefault(patch.get_gid(), []).append(patch)
    return bars


@pytest.mark.parametrize("name", ["credential-stuffing", "monday-peak"])
def test_lockout_minutes_counts_every_lockout_in_its_bin(
    reports: Callable[[str], tuple[Simulation, Path]], name: str
) -> None:
    simulation, out = reports(name)
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    lockouts = summary["lockouts"]
    bars = _bars(lockout_minutes_figure(simulation.plan, simulation.merged, TITLE))
    assert set(bars) == {"ended", "still_locked"}
    ended = [round(bar.get_height()) for bar in bars["ended"]]
    still = [round(bar.get_height()) for bar in bars["still_locked"]]
    assert sum(ended) == lockouts["ended_by_reset"] + lockouts["ended_by_auto_unlock"] > 0
    assert sum(still) == lockouts["accounts_still_locked_at_end"]
    # Bins of one width, side by side from 0, reaching past the longest lock-out.
    lefts = [bar.get_x() for bar in bars["ended"]]
    width = bars["ended"][0].get_width()
    assert lefts[0] == 0 and np.allclose(np.diff(lefts), width)
    longest = summary["time_locked_out_minutes"]["all_lockouts_counting_still_locked_to_the_end"]
    assert lefts[-1] + width > longest["max"]
    edges = [*lefts, lefts[-1] + width]
    counted, _ = np.histogram(simulation.merged.lock_durations / 60, bins=edges)
    assert ended == counted.tolist()
    # The still-locked bars stand on the ended ones.
    assert [bar.get_y() for bar in bars["still_locked"]] == ended


def test_emails_shows_every_kind_and_folder_of_the_summary(
    reports: Callable[[str], tuple[Simulation, Path]],
) -> None:
    simulation, out = reports("mail-outage")
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    by_kind = summary["emails"]["by_kind"]
    figure = emails_figure(simulation.merged, TITLE)
    bars = _bars(figure)
    assert set(bars) == set(by_kind)
    folders = {"inbox": "inbox", "spam": "spam", "lost": "lost", "queued": "queued_at_end"}
    assert list(folders) == list(EMAIL_FOLDERS)
    for kind, counts in by_kind.items():
        heights = [round(bar.get_height()) for bar in bars[kind]]
        assert heights == [counts[folders[f]] for f in EMAIL_FOLDERS], kind
        assert sum(heights) == counts["sent"] > 0
    assert sum(by_kind[kind]["lost"] for kind in by_kind) > 0  # the outage shows
    ticks = [label.get_text() for label in figure.axes[0].get_xticklabels()]
    assert ticks == list(EMAIL_FOLDERS.values())
    # Every bar carries its count, so a bar of 0 is still read as 0.
    written = sorted(text.get_text() for text in figure.axes[0].texts)
    expected = sorted(f"{counts[folders[f]]:,}" for counts in by_kind.values() for f in folders)
    assert written == expected
