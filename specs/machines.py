"""Build `transitions` machines from flow specs and drive a model with them.

A machine is built ``Machine(**machine_config(flow))``-style with
``auto_transitions=False``; guards and actions are vocabulary names that
`transitions` resolves on the model. :class:`FlowMachines` runs every flow of one
model (e.g. the login, username-recovery and reset flows of a browser session)
on one model object whose ``state`` they share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from transitions import Machine

from specs.errors import RppError
from specs.model import FlowSet, FlowSpec, TransitionSpec

__all__ = ["FlowMachines", "MissingVocabulary", "build_machine", "machine_config"]

Fired = Callable[[TransitionSpec], None]


class MissingVocabulary(RppError, TypeError):
    """A model lacks a guard or action that the flows name."""


def machine_config(flow: FlowSpec) -> dict[str, Any]:
    """The keyword arguments for ``transitions.Machine`` (without the model)."""
    return {
        "states": list(flow.states),
        "initial": flow.initial,
        "auto_transitions": False,
        "transitions": [
            {
                "trigger": t.trigger,
                "source": list(t.sources),
                "dest": t.dest,
                "conditions": list(t.conditions),
                "unless": list(t.unless),
                "before": list(t.before),
                "after": list(t.after),
            }
            for t in flow.transitions
        ],
    }


def _vocabulary_used(flow: FlowSpec) -> set[str]:
    return {n for t in flow.transitions for n in (*t.conditions, *t.unless, *t.before, *t.after)}


def _check_vocabulary(flow: FlowSpec, model: object) -> None:
    missing = sorted(n for n in _vocabulary_used(flow) if not callable(getattr(model, n, None)))
    if missing:
        raise MissingVocabulary(
            f"{type(model).__name__} does not implement {', '.join(missing)} (used by {flow.path})"
        )


def build_machine(
    flow: FlowSpec,
    model: object,
    on_fired: Fired | None = None,
    machine_class: type[Machine] = Machine,
    **extra: Any,
) -> Machine:
    """A machine for ``flow`` driving ``model``; ``on_fired`` hears each transition taken.

    Raises MissingVocabulary if the model lacks a name the flow uses, so a gap
    shows when the machine is built, not when a trigger first fires.
    """
    _check_vocabulary(flow, model)
    config = machine_config(flow)
    if on_fired is not None:
        for spec, transition in zip(flow.transitions, config["transitions"], strict=True):
            transition["after"] = [_announce(on_fired, spec), *transition["after"]]
    config.update(extra)
    return machine_class(model=model, **config)


def _announce(on_fired: Fired, spec: TransitionSpec) -> Callable[..., None]:
    def announce(*_: Any, **__: Any) -> None:
        on_fired(spec)

    return announce


class _View:
    """What one machine sees of a shared model: the model's ``state`` and names."""

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)

    @property
    def state(self) -> str:
        return self._target.state  # type: ignore[no-any-return]

    @state.setter
    def state(self, value: str) -> None:
        self._target.state = value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class FlowMachines:
    """Every flow of one model driving one model object (its ``state`` attribute)."""

    def __init__(
        self, flow_set: FlowSet, model_name: str, model: Any, on_fired: Fired | None = None
    ):
        self.model = model
        self.last: TransitionSpec | None = None
        self._on_fired = on_fired
        flows = flow_set.flows_of(model_name)
        model.state = flows[0].initial
        # Each flow's machine is built when one of its triggers first fires: a session
        # that only logs in never pays for the reset's machine.
        self._owner: dict[tuple[str, str], FlowSpec] = {}
        self._views: dict[str, _View] = {}
        for flow in flows:
            _check_vocabulary(flow, model)
            for t in flow.transitions:
                for source in t.sources:
                    self._owner[(source, t.trigger)] = flow

    def _fired(self, spec: TransitionSpec) -> None:
        self.last = spec
        if self._on_fired is not None:
            self._on_fired(spec)

    def can(self, trigger: str) -> bool:
        """True when some flow takes ``trigger`` from the model's current state."""
        return (self.model.state, trigger) in self._owner

    def fire(self, trigger: str) -> TransitionSpec | None:
        """Fire ``trigger``; the transition taken, or None if no flow takes it here or
        no guard held."""
        flow = self._owner.get((self.model.state, trigger))
        if flow is None:
            return None
        view = self._views.get(flow.machine)
        if view is None:
            view = self._views[flow.machine] = _View(self.model)
            build_machine(flow, view, self._fired, initial=self.model.state)
        self.last = None
        getattr(view, trigger)()
        return self.last
