"""Departures: the distinct ways a portal behaves differently from the flows.

Every failing journey of `rpp verify` is traced to its first differing step
(:class:`FirstDifference`): the state of the flows' model before it, the action, what
the flows show and send there and what the portal did. Failing journeys are grouped
into :class:`Departure` values: the same action leading to the same kind of
difference (the flows' transitions expected, the screen or email the portal gave
instead), whatever model state it was reached from. Each keeps its shortest witness
journey, how many journeys and model states show it, the flows' transitions with
their guide IDs and the decisions involved, and the first difference.

The order is stable (shortest witness first, then its journey number), so a report
is the same, byte for byte, for one seed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from simulator.verify.journeys import Action, Journey, Step, action
from simulator.verify.model import ConformanceModel, Observation
from specs.model import FlowSet

__all__ = [
    "Departure",
    "FirstDifference",
    "build_departure",
    "departures_of",
    "describe_state",
    "format_departure",
]


@dataclass(frozen=True)
class FirstDifference:
    """Where a journey first parted from the flows: its step (1-based; 0 when the portal
    could not be opened), the difference (redacted, Unicode names as the report gives
    them) and what the portal showed and sent there."""

    step: int
    difference: str
    got_screen: str = ""  # the title of the page the portal showed ("" when none)
    got_messages: tuple[str, ...] = ()
    got_emails: tuple[str, ...] = ()  # the subjects of the emails it sent
    # Every difference of the step, the first first (``difference`` holds them all).
    differences: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "difference": self.difference,
            "differences": list(self.differences or (self.difference,)),
            "got": {
                "screen": self.got_screen,
                "messages": list(self.got_messages),
                "emails": list(self.got_emails),
            },
        }


class _Result(Protocol):
    """What a departure needs of a journey's result (command.JourneyResult)."""

    @property
    def journey(self) -> Journey: ...

    @property
    def producer(self) -> str: ...

    @property
    def first(self) -> FirstDifference | None: ...


@dataclass(frozen=True)
class Departure:
    """One distinct way the portal departs from the flows."""

    action: str  # the action's key (journeys.ALPHABET)
    description: str  # what the producer does, in the guide's words
    actions: tuple[str, ...]  # every action that led to it, the witness's first
    transitions: tuple[str, ...]  # the flows' transitions expected at the step
    guide: tuple[str, ...]  # their guide IDs (and the action's)
    decisions: tuple[str, ...]  # the decisions of portal.yaml involved
    expected_screen: str  # the title of the page the flows show
    expected_messages: tuple[str, ...]
    expected_emails: tuple[str, ...]
    first: FirstDifference  # the witness's
    witness: Journey  # the shortest journey that shows it
    producer: str  # the witness's producer
    state: str  # the model state the witness's step starts from, as a person reads it
    journeys: int  # how many failing journeys show it
    states: int  # from how many model states (part, variant, state)
    parts: tuple[str, ...] = field(default=())

    @property
    def number_of_steps(self) -> int:
        return self.first.step

    def as_dict(self) -> dict[str, object]:
        return {
            "action": self.action,
            "description": self.description,
            "actions": list(self.actions),
            "from_state": self.state,
            "expected": {
                "transitions": list(self.transitions),
                "screen": self.expected_screen,
                "messages": list(self.expected_messages),
                "emails": list(self.expected_emails),
            },
            **{k: v for k, v in self.first.as_dict().items() if k != "step"},
            "guide": list(self.guide),
            "decisions": list(self.decisions),
            "witness": {
                "journey": self.witness.name,
                "part": self.witness.part,
                "variant": self.witness.variant,
                "producer": self.producer,
                "actions": [s.action for s in self.witness.steps[: self.first.step]],
                "step": self.first.step,
            },
            "journeys": self.journeys,
            "states": self.states,
            "parts": list(self.parts),
        }


_MAIL_OF_STEPS = re.compile(r" \(in the mail of steps \d+ to \d+\)")
_GUIDE_ID = re.compile(r"\b[A-Z]+-\d+\b")


def _kind(first: FirstDifference) -> tuple[Hashable, ...]:
    """The kind of a difference: what the portal gave instead, and where it parted
    first (the first line of the difference, without the journey's step numbers)."""
    line = _MAIL_OF_STEPS.sub("", first.difference.splitlines()[0] if first.difference else "")
    return (first.got_screen, first.got_messages, first.got_emails, line)


def describe_state(key: Hashable, flow_set: FlowSet) -> str:
    """A model state's key (:meth:`simulator.verify.model._Reference.key`) as a person
    reads it, e.g. "on Please Sign-In; 2 consecutive failures, not locked"."""
    if not isinstance(key, tuple) or len(key) < 11:
        return "the portal just opened"
    (
        screen,
        lockout_state,
        failures,
        temporary_valid,
        age,
        locked_minutes,
        temporaries,
        has_previous,
        signed_in,
        before_change,
        unknown,
    ) = key[:11]
    spec = flow_set.portal.screens.get(str(screen))
    parts = [f"on {spec.title if spec else screen}"]
    locked = str(lockout_state) == "locked"
    count = f"{failures} consecutive failure{'s' if failures != 1 else ''}"
    if locked:
        lock = "locked"
        if locked_minutes is not None:
            lock += f" for {_minutes(locked_minutes)}"
        parts.append(lock if not failures else f"{lock}, {count}")
    else:
        parts.append(f"{count}, not locked" if failures else "no failures, not locked")
    if temporaries:
        many = "a temporary password" if temporaries == 1 else "two or more temporary passwords"
        if temporary_valid and age is not None:
            parts.append(f"{many} emailed {_minutes(age)} ago, the newest still valid")
        elif temporaries:
            parts.append(f"{many} emailed, none valid")
    if has_previous:
        parts.append("the password changed once")
    if signed_in == "temporary":
        parts.append("signed in with the temporary password")
    elif signed_in == "password":
        parts.append("signed in")
    if before_change:
        parts.append("signed in before a change in another browser")
    if unknown:
        parts.append(f"{unknown} failure{'s' if unknown != 1 else ''} of the unknown user name")
    return "; ".join(parts)


def _minutes(value: object) -> str:
    minutes = float(value)  # type: ignore[arg-type]
    shown = f"{minutes:g}"
    return f"{shown} minute{'s' if minutes != 1 else ''}"


def _expected(result: _Result, first: FirstDifference) -> tuple[Hashable, ...]:
    """What the flows show and send at the first differing step."""
    if not first.step:
        return ()
    want = result.journey.expected[first.step - 1]
    assert isinstance(want, Observation)
    return (want.screen.name, want.screen.messages, tuple(e.subject for e in want.emails))


def departures_of(
    results: Iterable[_Result],
    models: dict[tuple[str, str | None], ConformanceModel],
    flow_set: FlowSet,
) -> list[Departure]:
    """The departures of the failed ``results``, shortest witness first. Two failures
    are one departure when the flows expect the same there (page, messages, emails)
    and the portal gave the same instead, parting at the same place, whichever action
    and model state led to it. ``models``: each part's (name, variant) model, to say
    the state a step starts from."""
    groups: dict[tuple[Hashable, ...], list[tuple[_Result, FirstDifference]]] = {}
    for result in results:
        first = result.first
        if first is None:
            continue
        key = (*_expected(result, first), *_kind(first))
        groups.setdefault(key, []).append((result, first))
    out = [_departure(members, models, flow_set) for members in groups.values()]
    return sorted(out, key=lambda d: (d.first.step, d.witness.number, d.action))


def _departure(
    members: Sequence[tuple[_Result, FirstDifference]],
    models: dict[tuple[str, str | None], ConformanceModel],
    flow_set: FlowSet,
) -> Departure:
    witness, first = min(
        members, key=lambda m: (m[1].step, len(m[0].journey.steps), m[0].journey.number)
    )
    journey = witness.journey
    states: set[tuple[str, str | None, int]] = set()
    for result, found in members:
        model = models.get((result.journey.part, result.journey.variant))
        if model is None:
            continue
        word = [s.action for s in result.journey.steps[: max(0, found.step - 1)]]
        states.add((result.journey.part, result.journey.variant, model.machine.reach(word)))
    state = "the portal just opened"
    model = models.get((journey.part, journey.variant))
    if model is not None and model.keys:
        before = model.machine.reach([s.action for s in journey.steps[: max(0, first.step - 1)]])
        state = describe_state(model.keys[before], flow_set)
    parts = tuple(sorted({m[0].journey.part for m in members}))
    # Every member's differing step (none when the portal could not be opened).
    steps = [m[0].journey.steps[m[1].step - 1] for m in members] if first.step else []
    return build_departure(
        journey, first, steps, flow_set, witness.producer, state, len(members), len(states), parts
    )


def build_departure(
    witness: Journey,
    first: FirstDifference,
    steps: Sequence[Step],
    flow_set: FlowSet,
    producer: str,
    state: str,
    journeys: int,
    states: int,
    parts: tuple[str, ...],
    actions: Callable[[str], Action] = action,
) -> Departure:
    """The departure ``witness`` shows at ``first``: ``steps`` are the differing steps of
    every failing journey it stands for (the witness's among them), ``actions`` the
    actions by key. The flows' transitions are those every step fires; their guide IDs
    and decisions (``decisions:`` of the flows), and the action's (its source) when one
    action shows it."""
    if not first.step:
        return Departure(
            "open the portal", "open the portal", (), (), (), (), "", (), (), first,
            witness, producer, state, journeys, states, parts,
        )  # fmt: skip
    counts: dict[str, int] = {}
    for s in steps:
        counts[s.action] = counts.get(s.action, 0) + 1
    step = witness.steps[first.step - 1]
    keys = tuple(sorted(counts, key=lambda a: (a != step.action, -counts[a], a)))
    # The transitions every member's step fires: what the flows expect there, without
    # what a second browser or an earlier page happened to fire beside it.
    common = [t for t in step.transitions if all(t in s.transitions for s in steps)]
    transitions = tuple(common or step.transitions)
    specs = {t.name: t for t in flow_set.transitions()}
    guide: dict[str, None] = {}
    involved: set[str] = set()
    for name in transitions:
        spec = specs.get(name)
        if spec is not None:
            guide.update(dict.fromkeys(spec.guide))
            involved.update(spec.decisions)
    if len(keys) == 1:  # an action's source is plain text: its IDs and decisions by name
        source = actions(keys[0]).source
        guide.update(dict.fromkeys(_GUIDE_ID.findall(source)))
        involved.update(
            k for k in flow_set.portal.decisions if re.search(rf"\b{re.escape(k)}\b", source)
        )
    decisions = tuple(k for k in flow_set.portal.decisions if k in involved)
    want = witness.expected[first.step - 1]
    assert isinstance(want, Observation)
    return Departure(
        action=step.action,
        description=actions(step.action).description,
        actions=keys,
        transitions=transitions,
        guide=tuple(guide),
        decisions=decisions,
        expected_screen=want.screen.title,
        expected_messages=want.screen.messages,
        expected_emails=tuple(e.subject for e in want.emails),
        first=first,
        witness=witness,
        producer=producer,
        state=state,
        journeys=journeys,
        states=states,
        parts=parts,
    )


def _shown(screen: str, messages: Sequence[str], emails: Sequence[str]) -> str:
    text = screen or "no page"
    if messages:
        text += ", " + "; ".join(f"message {m!r}" for m in messages)
    else:
        text += ", no message"
    if emails:
        text += ", " + "; ".join(f"email {s!r}" for s in emails)
    else:
        text += ", no email"
    return text


def format_departure(
    number: int, departure: Departure, expected: str = "the flows", got: str = "the portal"
) -> str:
    """One departure as `rpp verify` prints it: ``expected``/``got`` name the two sides
    ("shipped"/"copy" for a copy of the flows)."""
    d = departure
    journeys = f"{d.journeys} journey{'s' if d.journeys != 1 else ''}"
    states = f"{d.states} model state{'s' if d.states != 1 else ''}"
    lines = [f"DEPARTURE {number}: {d.description} ({journeys}, {states})"]
    lines.append(f"  from: {d.state}")
    if len(d.actions) > 1:
        lines.append(f"  other actions showing it: {', '.join(d.actions[1:])}")
    if d.transitions:
        lines.append(f"  the flows: {', '.join(d.transitions)}")
    if d.guide or d.decisions:
        lines.append(
            "  guide: "
            + ", ".join(d.guide or ("-",))
            + (f"; decisions: {', '.join(d.decisions)}" if d.decisions else "")
        )
    lines.append(
        f"  {expected}: {_shown(d.expected_screen, d.expected_messages, d.expected_emails)}"
    )
    lines.append(f"  {got}: {_shown(d.first.got_screen, d.first.got_messages, d.first.got_emails)}")
    every = d.first.differences or (d.first.difference,)
    difference = every[0].splitlines()
    lines += [
        f"  {line}" if i == 0 else f"    {line.strip()}" for i, line in enumerate(difference[:4])
    ]
    if len(every) > 1:  # the whole triage of the step, one line each
        lines.append(f"  and {len(every) - 1} more difference(s) at this step:")
        lines += [f"  {other.splitlines()[0]}" for other in every[1:]]
    actions = [s.action for s in d.witness.steps[: d.first.step]]
    lines.append(
        f"  witness: journey {d.witness.name} ({d.witness.part}; producer {d.producer}):"
        f" {', '.join(actions)}"
    )
    return "\n".join(lines)
