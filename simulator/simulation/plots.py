"""The simulation's pictures: ``timeline.png``, ``lockout-minutes.png`` and ``emails.png``.

Each is built as a matplotlib :class:`~matplotlib.figure.Figure` on the Agg canvas
(no pyplot, no display) from the merged result only, so the pictures show exactly
what ``timeline.csv`` and ``summary.json`` count. Every plotted series carries the
name of the column or counter it shows as its ``gid``, so a reader (the tests) can
match it back to the data. Legends sit above their panel, outside the data area,
so they never hide a curve.

- ``timeline.png``: one step per row of ``timeline.csv`` (every hour or minute,
  the last included, drawn up to the period's end): sign-in attempts (and the
  attack's attempts when the scenario has an attack), lock-outs with the accounts
  locked at the end of each bin, unlocks in a panel of their own (drawn over the
  lock-outs, a minute's unlocks hid its lock-outs), username emails sent, reset emails
  sent with the emails lost (each kind its own panel, for the same reason), and calls. Each y axis names the one count it plots; times are simulated, in UTC.
- ``lockout-minutes.png``: how many minutes each lock-out lasted, ended ones and,
  stacked on them, those still locked at the end (minutes so far: a lower bound),
  with the median and 90th percentile of the ended ones and auto-unlock when on.
- ``emails.png``: emails by kind and where they ended: inbox, spam, lost, still queued.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, MultipleLocator

from simulator.simulation import results as r
from simulator.simulation.plan import Plan
from simulator.simulation.report import percentile, timeline_bins, timeline_rows
from simulator.simulation.results import ShardResult

__all__ = [
    "EMAIL_FOLDERS",
    "PLOT_FILES",
    "emails_figure",
    "lockout_minutes_figure",
    "plain_title",
    "timeline_figure",
    "write_plots",
]

PLOT_FILES = ("timeline.png", "lockout-minutes.png", "emails.png")

EMAIL_FOLDERS = {
    "inbox": "inbox",
    "spam": "spam",
    "lost": "lost",
    "queued": "still queued at the end",
}
"""Where an email can end (the counters' ``emails_<folder>_<kind>``) and its label."""

_Handle = Artist | tuple[Artist, ...]  # a legend entry (bars come as a tuple of patches)
_KIND_LABELS = {"username": "username emails", "password_reset": "password reset emails"}
_DPI = 100
_TITLE_WIDTH = 90  # characters on a line of a picture's title
# Bin widths (minutes) for the lock-out histogram, from which the smallest giving at
# most _MAX_BINS bins is taken: round numbers a reader can count in.
_WIDTHS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 360, 720, 1440)
_MAX_BINS = 60


def _new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _legend_above(ax: Axes, handles: list[_Handle] | None = None) -> None:
    """A legend just above ``ax``, three entries a row: outside the data area, never
    over a curve."""
    entries: list[_Handle] = list(ax.get_legend_handles_labels()[0]) if handles is None else handles
    ax.legend(
        handles=entries,
        loc="lower left",
        bbox_to_anchor=(0, 1.01),
        borderaxespad=0,
        ncols=min(len(entries), 3),  # wider rows could outgrow the figure
        frameon=False,
        fontsize="small",
    )


def _hour_step(hours: float) -> int:
    """Hours between x ticks: a divisor of a day giving at most 12 ticks."""
    for step in (1, 2, 3, 6, 12, 24):
        if hours / step <= 12:
            return step
    return 24 * max(1, round(hours / 24 / 12))


def plain_title(figure: Figure, title: str) -> None:
    """The figure's title as plain text: a scenario's name is never mathtext or TeX
    (``$...$`` is shown as written), and a long one is wrapped onto a few lines.
    (Not matplotlib's ``wrap=True``: it measures the lines as mathtext.)"""
    text = "\n".join(textwrap.wrap(title, _TITLE_WIDTH, max_lines=3, placeholder=" ..."))
    figure.suptitle(text, usetex=False, parse_math=False)


def timeline_figure(plan: Plan, merged: ShardResult, title: str) -> Figure:
    """The timeline (see the module docstring): six panels sharing simulated time."""
    header, rows = timeline_rows(plan, merged)
    column = {name: i for i, name in enumerate(header)}
    width, count = timeline_bins(plan)
    unit = "hour" if width == 60 else "minute"
    # Bin edges in hours: one more than rows, so the last bin is drawn to its end.
    edges = np.arange(count + 1) * width / 60

    def series(name: str) -> np.ndarray:
        return np.array([row[column[name]] for row in rows], dtype=np.int64)

    figure = _new_figure(11, 15)
    axes = figure.subplots(6, 1, sharex=True)

    def stairs(ax: Axes, name: str, label: str, color: str) -> None:
        ax.stairs(series(name), edges, label=label, color=color, gid=name, linewidth=1.3)

    signins, locks, unlocks, username_mail, reset_mail, calls = axes
    stairs(signins, "login_attempts", "producers' login attempts", "tab:blue")
    stairs(signins, "login_failures", "failed (wrong password)", "tab:olive")
    if plan.attack:
        stairs(signins, "attack_attempts", "attack's attempts (wrong passwords)", "tab:red")

    stairs(locks, "lockouts", f"lock-outs per {unit}", "tab:orange")
    stairs(unlocks, "unlocks", f"unlocks per {unit} (by reset or auto-unlock)", "tab:green")
    level = locks.twinx()
    # The level is the one at the end of each bin, so it is drawn at the bin's end.
    (line,) = level.plot(
        edges[1:],
        series("accounts_locked"),
        color="black",
        linewidth=1,
        label="accounts locked (right axis)",
        gid="accounts_locked",
    )
    level.set_ylabel("accounts locked")
    level.set_ylim(bottom=0)
    level.yaxis.set_major_locator(MaxNLocator(integer=True))
    handles, _ = locks.get_legend_handles_labels()
    _legend_above(locks, [*handles, line])

    stairs(username_mail, "username_emails", "username emails sent", "tab:purple")
    stairs(reset_mail, "password_reset_emails", "reset emails sent", "tab:cyan")
    stairs(reset_mail, "emails_lost", "emails lost (either kind)", "tab:gray")

    stairs(calls, "calls", "Producer Services calls", "tab:brown")
    start = plan.start.astimezone(dt.UTC)
    calls.set_xlabel(f"hours since {start:%a %Y-%m-%d %H:%M} UTC (simulated time)")
    calls.set_xlim(edges[0], edges[-1])
    calls.xaxis.set_major_locator(MultipleLocator(_hour_step(float(edges[-1]))))

    named = ("login attempts", "lock-outs", "unlocks", "username emails", "reset emails", "calls")
    for ax, what in zip(axes, named, strict=True):
        if ax is not locks:
            _legend_above(ax)
        ax.set_ylabel(f"{what} per {unit}")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    plain_title(figure, title)
    return figure


def _bin_width(longest_minutes: float) -> int:
    for width in _WIDTHS:
        if longest_minutes / width < _MAX_BINS:
            return width
    return _WIDTHS[-1] * (int(longest_minutes // (_WIDTHS[-1] * _MAX_BINS)) + 1)


def lockout_minutes_figure(plan: Plan, merged: ShardResult, title: str) -> Figure:
    """How long lock-outs lasted (see the module docstring), in bins of whole minutes."""
    ended = merged.lock_durations
    still = plan.end - merged.still_locked_since  # seconds locked so far, at the end
    longest = max(int(ended.max(initial=0)), int(still.max(initial=0))) / 60
    width = _bin_width(longest)
    count = int(longest // width) + 1
    edges = np.arange(count + 1) * width
    ended_counts = np.bincount(ended // (width * 60), minlength=count)
    still_counts = np.bincount(still // (width * 60), minlength=count)
    left = edges[:-1]

    figure = _new_figure(11, 5.5)
    ax = figure.subplots()
    ended_bars = ax.bar(
        left,
        ended_counts,
        width=width,
        align="edge",
        color="tab:blue",
        label=f"ended (reset or auto-unlock): {ended.size:,}",
        gid="ended",
    )
    still_bars = ax.bar(
        left,
        still_counts,
        width=width,
        align="edge",
        bottom=ended_counts,
        color="tab:orange",
        label=f"still locked at the end, minutes so far: {still.size:,}",
        gid="still_locked",
    )
    handles: list[_Handle] = [ended_bars, still_bars]
    for p, style in ((50, "--"), (90, ":")):
        value = percentile(ended, p)
        if value is not None:
            mark = ax.axvline(
                value / 60,
                color="black",
                linestyle=style,
                linewidth=1,
                label=f"ended, p{p}: {value / 60:,.1f} min",
            )
            handles.append(mark)
    if plan.auto_unlock_after >= 0:
        mark = ax.axvline(
            plan.auto_unlock_after / 60,
            color="tab:red",
            linewidth=1,
            label=f"auto-unlock after {plan.auto_unlock_after // 60} min",
        )
        handles.append(mark)
    if not ended.size and not still.size:
        ax.text(0.5, 0.5, "no lock-outs in this run", transform=ax.transAxes, ha="center")
    ax.set_xlim(0, edges[-1])
    # Set by hand: the stacked bars' bottoms are sticky edges that would stop the
    # autoscale margin, so the tallest bar would touch the frame.
    ax.set_ylim(0, max(1, int((ended_counts + still_counts).max())) * 1.05)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"minutes locked out (bins of {width} min)")
    ax.set_ylabel("lock-outs")
    ax.grid(alpha=0.3)
    _legend_above(ax, handles)
    plain_title(figure, title)
    return figure


def emails_figure(merged: ShardResult, title: str) -> Figure:
    """Emails by kind (a group of bars each) and where they ended (a bar per place),
    every bar labelled with its count."""
    c = merged.counters
    figure = _new_figure(11, 5)
    ax = figure.subplots()
    places = np.arange(len(EMAIL_FOLDERS))
    bar = 0.8 / len(r.MAIL_KINDS)
    for k, kind in enumerate(r.MAIL_KINDS):
        counts = [c[f"emails_{folder}_{kind}"] for folder in EMAIL_FOLDERS]
        bars = ax.bar(
            places + (k - (len(r.MAIL_KINDS) - 1) / 2) * bar,
            counts,
            width=bar,
            label=f"{_KIND_LABELS[kind]}: {c[f'emails_sent_{kind}']:,} sent",
            gid=kind,
        )
        ax.bar_label(bars, fmt="{:,.0f}", padding=2, fontsize="small")
    ax.set_xticks(places, list(EMAIL_FOLDERS.values()))
    ax.set_ylabel("emails")
    ax.set_ylim(0, max(1, ax.get_ylim()[1]) * 1.08)  # room for the counts above the bars
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3, axis="y")
    _legend_above(ax)
    plain_title(figure, title)
    return figure


def write_plots(plan: Plan, merged: ShardResult, title: str, out: Path) -> list[Path]:
    """Write `PLOT_FILES` into ``out``; the paths written."""
    figures = (
        timeline_figure(plan, merged, title),
        lockout_minutes_figure(plan, merged, title),
        emails_figure(merged, title),
    )
    paths = [out / name for name in PLOT_FILES]
    for figure, path in zip(figures, paths, strict=True):
        figure.savefig(path, dpi=_DPI)
    return paths
