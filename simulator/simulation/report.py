"""The simulation's report: summary.json and timeline.csv, and the end-of-run
invariants (the pictures are drawn by `simulator.simulation.plots`).

``summary.json`` depends only on the flows, the scenario, the seed and the number
of producers (never on shards, workers or the machine): keys are sorted, floats
are rounded to fixed decimals, and percentiles are exact nearest-rank values of the
merged, sorted durations, so two runs with the same inputs give the same bytes.
How long a run took and how much memory it used go to ``run.json`` instead.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from simulator.simulation import results as r
from simulator.simulation.plan import Plan
from simulator.simulation.results import CALL_REASONS, METRICS, ShardResult
from simulator.simulation.scenario import LoadScenario
from specs.model import Parameters

__all__ = [
    "Invariant",
    "check_invariants",
    "percentile",
    "summarise",
    "timeline_bins",
    "timeline_rows",
    "write_summary",
    "write_timeline_csv",
]

Invariant = dict[str, Any]


def percentile(sorted_values: np.ndarray, p: float) -> int | None:
    """The nearest-rank ``p``-th percentile of ascending values (None when empty)."""
    if not sorted_values.size:
        return None
    rank = max(1, math.ceil(p / 100 * sorted_values.size))
    return int(sorted_values[rank - 1])


def _minutes(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 2)


def _durations(values: np.ndarray) -> dict[str, Any]:
    return {
        "count": int(values.size),
        "p50": _minutes(percentile(values, 50)),
        "p90": _minutes(percentile(values, 90)),
        "p99": _minutes(percentile(values, 99)),
        "max": _minutes(int(values[-1]) if values.size else None),
    }


def _check(holds: bool, detail: str) -> Invariant:
    return {"holds": bool(holds), "detail": detail}


def check_invariants(plan: Plan, merged: ShardResult) -> dict[str, Invariant]:
    """The end-of-run invariants, each with whether it holds and the numbers behind it."""
    c = merged.counters
    out: dict[str, Invariant] = {}

    parts = []
    emails_ok = True
    for kind in r.MAIL_KINDS:
        sent = c[f"emails_sent_{kind}"]
        where = [c[f"emails_{folder}_{kind}"] for folder in ("inbox", "spam", "lost", "queued")]
        emails_ok &= sent == sum(where)
        parts.append(
            f"{kind}: {sent} sent = {where[0]} inbox + {where[1]} spam + {where[2]} lost"
            f" + {where[3]} still queued"
        )
    deliveries = sum(c[f"emails_{f}_{k}"] for f in ("inbox", "spam") for k in r.MAIL_KINDS)
    emails_ok &= deliveries == c["events_deliver_email"]
    out["every_email_is_delivered_lost_or_queued"] = _check(emails_ok, "; ".join(parts))

    lockouts = c["lockouts_by_producer"] + c["lockouts_by_attack"]
    unlocks = c["unlocks_by_reset"] + c["unlocks_by_auto_unlock"]
    still = c["accounts_still_locked"]
    out["every_lockout_ended_or_is_still_locked"] = _check(
        lockouts == unlocks + still
        and merged.lock_durations.size == unlocks
        and merged.still_locked_since.size == still
        and bool((merged.lock_durations >= 0).all()),
        f"{lockouts} lock-outs = {c['unlocks_by_reset']} ended by a reset"
        f" + {c['unlocks_by_auto_unlock']} ended by auto-unlock + {still} still locked",
    )

    visits = c["visits"]
    ended = c["visits_signed_in"] + c["visits_stopped"] + c["visits_in_progress"]
    out["every_visit_ended_or_is_in_progress"] = _check(
        visits == ended,
        f"{visits} visits = {c['visits_signed_in']} signed in + {c['visits_stopped']} stopped"
        f" + {c['visits_in_progress']} in progress at the end",
    )

    covered = [(start, stop) for start, stop, _ in merged.shards]
    contiguous = all(a[1] == b[0] for a, b in itertools.pairwise(covered))
    cover_ok = (
        bool(covered) and covered[0][0] == 0 and covered[-1][1] == plan.producers and contiguous
    )
    # Each shard's own counters must balance: events counted by kind against what those
    # events did (a compensating error between two shards cancels out in the totals).
    unbalanced = [
        f"shard {start}..{stop - 1}: {', '.join(problems)}"
        for start, stop, counters in merged.shards
        if (problems := _unbalanced(counters))
    ]
    series = dict(zip(METRICS, merged.timeline.sum(axis=1).tolist(), strict=True))
    cross = {
        "visits": (series["arrivals"], visits),
        "login attempts": (series["login_attempts"], c["login_attempts"]),
        "login failures": (series["login_failures"], c["login_failures"]),
        "lock-outs": (series["lockouts"], lockouts),
        "unlocks": (series["unlocks"], unlocks),
        "username emails": (series["username_emails"], c["emails_sent_username"]),
        "reset emails": (series["password_reset_emails"], c["emails_sent_password_reset"]),
        "calls": (series["calls"], c["calls_locked_out"] + c["calls_no_email"]),
        "calls by number": (
            int(merged.calls.sum()),
            c["calls_locked_out"] + c["calls_no_email"],
        ),
        "attack attempts": (series["attack_attempts"], c["attack_attempts"]),
        "log-in events": (c["events_log_in"], c["login_attempts"]),
        "arrive events": (c["events_arrive"], visits),
    }
    wrong = [f"{name} {a} != {b}" for name, (a, b) in cross.items() if a != b]
    out["counts_add_up_across_shards"] = _check(
        cover_ok and not unbalanced and not wrong,
        f"the shards cover producers 0..{plan.producers - 1}"
        + (" exactly once" if cover_ok else " NOT exactly once")
        + (
            "; every shard's events agree with its counters"
            if not unbalanced
            else "; " + "; ".join(unbalanced)
        )
        + (
            "; timeline, calls and events agree with the counters"
            if not wrong
            else "; " + ", ".join(wrong)
        ),
    )
    return out


def _unbalanced(c: dict[str, int]) -> list[str]:
    """What does not balance in one shard's counters (empty when all of it does)."""
    checks = {
        "arrive events != visits": c["events_arrive"] == c["visits"],
        "log-in events != login attempts": c["events_log_in"] == c["login_attempts"],
        "attack events != attack attempts": c["events_attack_attempt"] == c["attack_attempts"],
        "visits != signed in + stopped + in progress": c["visits"]
        == c["visits_signed_in"] + c["visits_stopped"] + c["visits_in_progress"],
        "delivery events != emails to inbox + spam": c["events_deliver_email"]
        == sum(c[f"emails_{f}_{k}"] for f in ("inbox", "spam") for k in r.MAIL_KINDS),
        "lock-outs != unlocks + still locked": c["lockouts_by_producer"] + c["lockouts_by_attack"]
        == c["unlocks_by_reset"] + c["unlocks_by_auto_unlock"] + c["accounts_still_locked"],
    }
    for kind in r.MAIL_KINDS:
        checks[f"{kind} emails sent != inbox + spam + lost + queued"] = c[
            f"emails_sent_{kind}"
        ] == sum(c[f"emails_{folder}_{kind}"] for folder in ("inbox", "spam", "lost", "queued"))
    return [what for what, holds in checks.items() if not holds]


def _by_hour_peak(plan: Plan, merged: ShardResult, metrics: tuple[str, ...]) -> dict[str, Any]:
    hours = -(-plan.minutes // 60)
    padded = np.zeros((len(METRICS), hours * 60), dtype=np.int64)
    padded[:, : plan.minutes] = merged.timeline
    per_hour = padded.reshape(len(METRICS), hours, 60).sum(axis=2)
    total = per_hour[[METRICS.index(m) for m in metrics]].sum(axis=0)
    hour = int(total.argmax())
    return {
        "count": int(total[hour]),
        "hour_starting": (plan.start + dt.timedelta(hours=hour)).isoformat(),
    }


def summarise(
    plan: Plan, scenario: LoadScenario, parameters: Parameters, merged: ShardResult
) -> dict[str, Any]:
    """The summary as a JSON-ready dict (see `write_summary`)."""
    c = merged.counters
    calls_by_number: dict[str, int] = {}
    by_state: dict[str, int] = {}
    by_line: dict[str, int] = {}
    detail: dict[str, dict[str, dict[str, int]]] = {}
    state_farm_calls = 0
    per_category = merged.calls.sum(axis=0)
    for category in np.flatnonzero(per_category).tolist():
        count = int(per_category[category])
        state, state_farm, line = plan.category_parts(category)
        number = plan.call_numbers[category]
        calls_by_number[number] = calls_by_number.get(number, 0) + count
        by_state[state] = by_state.get(state, 0) + count
        by_line[line] = by_line.get(line, 0) + count
        cell = detail.setdefault(number, {}).setdefault(state, {})
        cell[line] = cell.get(line, 0) + count
        state_farm_calls += count if state_farm else 0
    emails_by_kind = {
        kind: {
            "sent": c[f"emails_sent_{kind}"],
            "inbox": c[f"emails_inbox_{kind}"],
            "spam": c[f"emails_spam_{kind}"],
            "lost": c[f"emails_lost_{kind}"],
            "queued_at_end": c[f"emails_queued_{kind}"],
        }
        for kind in r.MAIL_KINDS
    }
    folders = {
        folder: sum(emails_by_kind[k][folder] for k in r.MAIL_KINDS)
        for folder in ("inbox", "spam", "lost", "queued_at_end")
    }
    everyone_locked = np.sort(
        np.concatenate([merged.lock_durations, plan.end - merged.still_locked_since])
    )
    events = {name: c[f"events_{name}"] for name in r.EVENT_KINDS.values()}
    return {
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "start": plan.start.isoformat(),
            "hours": scenario.hours,
        },
        "producers": plan.producers,
        "seed": plan.seed,
        "flows": {
            "lockout_threshold": parameters.lockout_threshold,
            "auto_unlock_after_minutes": parameters.auto_unlock_after_minutes,
            "temporary_password_valid_minutes": parameters.temporary_password_valid_minutes,
        },
        "mail_faults": {
            "loss_rate": scenario.email.loss_rate,
            "extra_delay_minutes": scenario.email.extra_delay_minutes,
        },
        "visits": {
            "started": c["visits"],
            "signed_in": c["visits_signed_in"],
            "stopped_without_signing_in": c["visits_stopped"],
            "in_progress_at_end": c["visits_in_progress"],
        },
        "logins": {
            "attempts": c["login_attempts"],
            "succeeded": c["logins_succeeded"],
            "with_temporary_password": c["logins_with_temporary_password"],
            "failed": c["login_failures"],
            "refused_while_locked": c["logins_refused_locked"],
        },
        "lockouts": {
            "total": c["lockouts_by_producer"] + c["lockouts_by_attack"],
            "by_producers_mistyping": c["lockouts_by_producer"],
            "by_attack": c["lockouts_by_attack"],
            "ended_by_reset": c["unlocks_by_reset"],
            "ended_by_auto_unlock": c["unlocks_by_auto_unlock"],
            "accounts_still_locked_at_end": c["accounts_still_locked"],
        },
        "time_locked_out_minutes": {
            "ended_lockouts": _durations(merged.lock_durations),
            "all_lockouts_counting_still_locked_to_the_end": _durations(everyone_locked),
        },
        "username_recoveries": c["username_recoveries"],
        "password_resets": {
            "requested": c["resets_requested"],
            "completed": c["logins_with_temporary_password"],
            "passwords_changed": c["passwords_changed"],
            "password_changes_refused": c["password_changes_refused"],
        },
        "emails": {
            "sent": sum(emails_by_kind[k]["sent"] for k in r.MAIL_KINDS),
            "by_kind": emails_by_kind,
            "by_folder": folders,
            "found_in_spam_by_producers": c["emails_found_in_spam"],
        },
        "producer_services_calls": {
            "total": c["calls_locked_out"] + c["calls_no_email"],
            "by_reason": {reason: c[f"calls_{reason}"] for reason in CALL_REASONS},
            "by_number": calls_by_number,
            "by_state": by_state,
            "by_line": by_line,
            "by_number_state_line": detail,
            "state_farm_agents": state_farm_calls,
        },
        "attack": {
            "accounts_targeted": c["attack_targets"],
            "attempts": c["attack_attempts"],
            "lockouts": c["lockouts_by_attack"],
        },
        "busiest_hour": {
            "lockouts": _by_hour_peak(plan, merged, ("lockouts",)),
            "emails_sent": _by_hour_peak(
                plan, merged, ("username_emails", "password_reset_emails")
            ),
            "producer_services_calls": _by_hour_peak(plan, merged, ("calls",)),
        },
        "gave_up_for_now": c["gave_up_for_now"],
        "events_processed": {"total": sum(events.values()), "by_kind": events},
        "invariants": check_invariants(plan, merged),
    }


def write_summary(summary: dict[str, Any], path: Path) -> None:
    """summary.json: sorted keys, two-space indent, UTF-8, a final newline."""
    path.write_text(
        json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def timeline_bins(plan: Plan) -> tuple[int, int]:
    """The timeline's bin width in minutes (60 or 1) and its number of bins."""
    width = 60 if plan.timeline == "hour" else 1
    return width, -(-plan.minutes // width)


def timeline_rows(plan: Plan, merged: ShardResult) -> tuple[list[str], list[list[Any]]]:
    """The timeline table: a row per minute or hour (the scenario's ``report.timeline``)."""
    width, count = timeline_bins(plan)
    padded = np.zeros((len(METRICS), count * width), dtype=np.int64)
    padded[:, : plan.minutes] = merged.timeline
    binned = padded.reshape(len(METRICS), count, width).sum(axis=2)
    level = np.cumsum(padded[METRICS.index("lockouts")] - padded[METRICS.index("unlocks")]).reshape(
        count, width
    )[:, -1]
    header = ["start", "minute", *METRICS, "accounts_locked"]
    rows = []
    for i in range(count):
        start = plan.start + dt.timedelta(minutes=i * width)
        rows.append([start.isoformat(), i * width, *binned[:, i].tolist(), int(level[i])])
    return header, rows


def write_timeline_csv(plan: Plan, merged: ShardResult, path: Path) -> None:
    header, rows = timeline_rows(plan, merged)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
