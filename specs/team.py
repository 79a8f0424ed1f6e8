"""A team's decisions file: how a team's own portal reads what the guide leaves open.

`rpp verify --decisions FILE` checks a portal against the guide, plus the team's
decisions (README: "A team's own portal")::

    behaviour:          # readings of silent behaviour: set the flows' parameters
      empty-login-counts: false
    texts:              # the team's own decided texts, checked exactly
      user_name_required: "Please enter your User Name."
    accepted:           # triaged departures: listed as accepted, never silently
      - departure: "<text the departure's difference contains>"
        why: "..."
        who: "qa-lead@team.example"

Every mistake is a :class:`~specs.errors.SpecError` naming ``file:line:column``: an
unknown key, an unknown decision or one the flows cannot read another way (without a
``parameter:``), a text key that is not a decided text of the flows, an acceptance
without its why or who.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from specs.errors import SpecError, SpecProblem
from specs.model import FlowSet, PortalSpec, TransitionSpec
from specs.yamlsource import compose_file, scalar_value

__all__ = ["Acceptance", "TeamDecisions", "load_decisions"]

_Problem = Callable[[Node, str], None]  # records a problem at a node
_SECTIONS = ("behaviour", "texts", "accepted")
_ACCEPTANCE_KEYS = ("departure", "why", "who")


@dataclass(frozen=True)
class Acceptance:
    """A departure a team triaged and accepts: a difference whose text contains
    ``departure`` is listed as accepted and does not fail the run."""

    departure: str
    why: str
    who: str
    where: str  # file:line, for the listing

    def as_dict(self) -> dict[str, str]:
        return {"departure": self.departure, "why": self.why, "who": self.who, "where": self.where}


@dataclass(frozen=True)
class TeamDecisions:
    """A decisions file, checked against the flows it reads."""

    path: str
    behaviour: Mapping[str, object]  # decision id -> the team's reading
    parameters: Mapping[str, object]  # the flows' parameter each reading sets -> value
    texts: Mapping[str, str]  # a decided text's key -> the team's text
    accepted: tuple[Acceptance, ...] = ()

    def apply(self, flow_set: FlowSet) -> FlowSet:
        """``flow_set`` with the team's parameters and decided texts: the suite verify
        builds from it expects the team's readings and wording."""
        portal = flow_set.portal
        texts = dict(portal.texts)
        for key, text in self.texts.items():
            texts[key] = replace(texts[key], lines=tuple(text.splitlines()) or (text,))
        parameters = replace(portal.parameters, **self.parameters)  # type: ignore[arg-type]
        # A variant explores other parameter values, never another reading than the team's:
        # the team's portal reads the silent behaviour one way in every variant.
        variants = tuple(
            replace(
                v, parameters={k: x for k, x in v.parameters.items() if k not in self.parameters}
            )
            for v in portal.variants
        )
        # A transition that fires only under the reading the team did not choose is not
        # its portal's to walk (it would stay unreached and fail the run).
        flows = {
            name: replace(flow, transitions=tuple(t for t in flow.transitions if self.reads(t)))
            for name, flow in flow_set.flows.items()
        }
        return replace(
            flow_set,
            portal=replace(portal, texts=texts, parameters=parameters, variants=variants),
            flows=flows,
        )

    def reads(self, transition: TransitionSpec) -> bool:
        """Whether ``transition`` can fire under the team's readings (a behaviour guard is
        the name of the parameter it reads)."""
        return not any(
            (guard in transition.conditions and value is False)
            or (guard in transition.unless and value is True)
            for guard, value in self.parameters.items()
        )

    @property
    def team_lines(self) -> tuple[str, ...]:
        """Every line of the team's texts (the oracle checks them exactly)."""
        return tuple(line for text in self.texts.values() for line in text.splitlines())


def load_decisions(path: Path, portal: PortalSpec) -> TeamDecisions:
    """Read a team's decisions file and check it against ``portal``'s decisions,
    parameters and texts; a SpecError lists every problem with file:line:column."""
    name = str(path)
    root = compose_file(path, name, "decisions file")
    problems: list[SpecProblem] = []

    def problem(node: Node, message: str) -> None:
        problems.append(
            SpecProblem(name, node.start_mark.line + 1, node.start_mark.column + 1, message)
        )

    behaviour: dict[str, object] = {}
    parameters: dict[str, object] = {}
    texts: dict[str, str] = {}
    accepted: list[Acceptance] = []
    if isinstance(root, ScalarNode) and scalar_value(root) is None:
        raise SpecError([SpecProblem(name, 1, 1, "the decisions file is empty")])
    if not isinstance(root, MappingNode):
        problem(root, f"expected a mapping with {', '.join(_SECTIONS)}")
        raise SpecError(problems)
    known_parameters = {f.name: f for f in fields(portal.parameters)}
    for key_node, value in root.value:
        section = scalar_value(key_node)
        if section not in _SECTIONS:
            problem(
                key_node, f"unknown section {section!r}; the sections are {', '.join(_SECTIONS)}"
            )
        elif section == "behaviour":
            for decision_node, reading in _mapping(value, "behaviour", problem):
                decision = scalar_value(decision_node)
                spec = portal.decisions.get(str(decision))
                parameter = getattr(spec, "parameter", None)
                if spec is None:
                    problem(
                        decision_node, f"unknown decision {decision!r} (portal.yaml decisions:)"
                    )
                elif parameter is None or parameter not in known_parameters:
                    problem(
                        decision_node,
                        f"decision {decision!r} has no parameter: it is not a behaviour the"
                        " flows can read another way",
                    )
                elif not isinstance(reading, ScalarNode) or not isinstance(
                    scalar_value(reading), bool
                ):
                    problem(reading, f"decision {decision!r}: give true or false")
                else:
                    behaviour[str(decision)] = scalar_value(reading)
                    parameters[str(parameter)] = scalar_value(reading)
        elif section == "texts":
            for key, text in _mapping(value, "texts", problem):
                text_key = str(scalar_value(key))
                spec_text = portal.texts.get(text_key)
                if spec_text is None:
                    problem(key, f"unknown text key {text_key!r} (portal.yaml texts:)")
                elif spec_text.source != "decided":
                    problem(
                        key,
                        f"text {text_key!r} is given by the guide ({spec_text.source}):"
                        " only a decided text may be the team's own",
                    )
                elif not isinstance(text, ScalarNode) or not str(scalar_value(text) or "").strip():
                    problem(text, f"text {text_key!r}: give the team's text")
                else:
                    texts[text_key] = str(scalar_value(text))
        else:
            accepted += _acceptances(value, name, problem)
    if problems:
        raise SpecError(problems)
    return TeamDecisions(name, behaviour, parameters, texts, tuple(accepted))


def _mapping(node: Node, section: str, problem: _Problem) -> list[tuple[ScalarNode, Node]]:
    if not isinstance(node, MappingNode):
        problem(node, f"{section}: expected a mapping")
        return []
    return [(k, v) for k, v in node.value if isinstance(k, ScalarNode)]


def _acceptances(node: Node, name: str, problem: _Problem) -> list[Acceptance]:
    if not isinstance(node, SequenceNode):
        problem(node, "accepted: expected a list of departure, why and who")
        return []
    out = []
    for item in node.value:
        if not isinstance(item, MappingNode):
            problem(item, "an acceptance: expected departure, why and who")
            continue
        given: dict[str, str] = {}
        for key, value in item.value:
            label = scalar_value(key)
            if label not in _ACCEPTANCE_KEYS:
                problem(key, f"unknown key {label!r}; an acceptance has departure, why and who")
            elif isinstance(value, ScalarNode) and str(scalar_value(value) or "").strip():
                given[str(label)] = str(scalar_value(value))
        missing = [k for k in _ACCEPTANCE_KEYS if k not in given]
        if missing:
            problem(item, f"an acceptance without {' and '.join(missing)}: say what, why and who")
            continue
        where = f"{name}:{item.start_mark.line + 1}"
        out.append(Acceptance(given["departure"], given["why"], given["who"], where))
    return out
