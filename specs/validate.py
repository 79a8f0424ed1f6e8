"""Meaning checks over loaded flows: what the schema cannot see.

Each check returns problems; none raises. :func:`validate` runs them all:
states and names exist, guide IDs are real and all cited, every state is
reachable and has a way out, and no two transitions compete without a guard.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice

from specs.authority import GIVEN_SOURCES, SCREEN_ELEMENTS
from specs.errors import SpecProblem
from specs.model import FlowSet, FlowSpec, Parameters, TransitionSpec, Where

__all__ = ["SESSION_MODEL", "citations", "model_graph", "validate"]

SESSION_MODEL = "session"  # its states are the screens of portal.yaml


def _at(where: Where, message: str) -> SpecProblem:
    return SpecProblem(where.path, where.line, where.column, message)


def _listing(names: Iterable[str], limit: int = 40) -> str:
    """Names for a message, the first ``limit`` of them (a huge file must not make
    every message huge)."""
    shown = list(islice(names, limit + 1))
    if len(shown) <= limit:
        return ", ".join(shown)
    return ", ".join(shown[:limit]) + ", ..."


def validate(flow_set: FlowSet) -> list[SpecProblem]:
    problems: list[SpecProblem] = []
    for flow in flow_set.flows.values():
        problems.extend(_check_names(flow_set, flow))
    problems.extend(_check_guide_ids(flow_set))
    problems.extend(_check_clicks(flow_set))
    problems.extend(_check_menu_links(flow_set))
    problems.extend(_check_required_fields(flow_set))
    problems.extend(_check_state_farm_row(flow_set))
    problems.extend(_check_email_subjects(flow_set))
    problems.extend(_check_authorities(flow_set))
    for model in flow_set.models:
        # A transition to or from an unknown state would make every state after it
        # look unreachable: report the cause, not the echoes.
        if not any(_names_unknown_state(flow) for flow in flow_set.flows_of(model)):
            problems.extend(_check_model(flow_set, model))
    return problems


def _names_unknown_state(flow: FlowSpec) -> bool:
    return flow.initial not in flow.states or any(
        state not in flow.states for t in flow.transitions for state in (*t.sources, t.dest)
    )


def _check_names(flow_set: FlowSet, flow: FlowSpec) -> Iterator[SpecProblem]:
    portal = flow_set.portal
    vocab = portal.vocabulary
    states = _listing(flow.states)
    if flow.initial not in flow.states:
        yield _at(flow.where, f"initial state '{flow.initial}' is not among the states ({states})")
    if flow.model == SESSION_MODEL:
        for state in flow.states.values():
            if state.name not in portal.screens:
                yield _at(
                    state.where,
                    f"state '{state.name}' of a session flow must be a screen of portal.yaml"
                    f" (screens: {_listing(portal.screens)})",
                )
    seen: dict[str, TransitionSpec] = {}
    for t in flow.transitions:
        what = f"transition '{t.id}'"
        if t.id in seen:
            yield _at(t.where, f"{what}: id used twice (first at line {seen[t.id].where.line})")
        seen.setdefault(t.id, t)
        for source in t.sources:
            if source not in flow.states:
                yield _at(
                    t.where,
                    f"{what}: source '{source}' is not a state of {flow.machine} ({states})",
                )
        if t.dest not in flow.states:
            yield _at(
                t.where, f"{what}: dest '{t.dest}' is not a state of {flow.machine} ({states})"
            )
        for name in (*t.conditions, *t.unless):
            if name not in vocab.conditions:
                yield _at(
                    t.where,
                    f"{what}: condition '{name}' is not in the vocabulary"
                    f" (portal.yaml vocabulary.conditions: {_listing(sorted(vocab.conditions))})",
                )
        for name in (*t.before, *t.after):
            if name not in vocab.actions:
                yield _at(
                    t.where,
                    f"{what}: action '{name}' is not in the vocabulary"
                    f" (portal.yaml vocabulary.actions: {_listing(sorted(vocab.actions))})",
                )
        if t.shows is not None and t.shows not in portal.texts:
            yield _at(
                t.where, f"{what}: shows '{t.shows}', which is not a key of portal.yaml texts"
            )


def citations(flow_set: FlowSet) -> Iterator[tuple[str, Where, str]]:
    """Every (guide ID, where it is cited, by what)."""
    portal = flow_set.portal
    for flow in flow_set.flows.values():
        for t in flow.transitions:
            for gid in t.guide:
                yield gid, t.where, f"transition {t.name}"
        for s in flow.states.values():
            for gid in s.guide:
                yield gid, s.where, f"state {flow.machine}.{s.name}"
    for text in portal.texts.values():
        for gid in text.guide:
            yield gid, text.where, f"text {text.key}"
    for screen in portal.screens.values():
        for gid in screen.guide:
            yield gid, screen.where, f"screen {screen.name}"
    for email in portal.emails.values():
        for gid in email.guide:
            yield gid, email.where, f"email {email.key}"
    services = portal.producer_services
    where = Where(portal.path, 1, 1)
    for gid in services.guide:
        yield gid, where, "producer_services"
    for gid in services.state_farm_guide:
        rows = ", ".join(services.state_farm_row_on) or "no screen"
        yield gid, where, f"producer_services.state_farm (its row on {rows})"
    for deviation in portal.known_deviations:
        for gid in deviation.guide:
            yield gid, deviation.where, "known deviation"


def _check_guide_ids(flow_set: FlowSet) -> Iterator[SpecProblem]:
    cited: set[str] = set()
    for gid, where, what in citations(flow_set):
        if gid not in flow_set.guide_ids:
            yield _at(where, f"{what} cites '{gid}', which GUIDE.md does not define")
        cited.add(gid)
    for flow in flow_set.flows.values():
        for t in flow.transitions:
            if not t.guide:
                yield _at(t.where, f"transition '{t.id}' cites no guide ID; add guide: [ID, ...]")
    portal_where = Where(flow_set.portal.path, 1, 1)
    for gid in flow_set.guide_ids:
        if gid not in cited:
            yield _at(portal_where, f"guide ID {gid} is cited by no transition, text or data")


def _check_clicks(flow_set: FlowSet) -> Iterator[SpecProblem]:
    """Each button or link fires a trigger that a session flow takes from that screen,
    and it is one the screen shows."""
    graph = model_graph(flow_set, SESSION_MODEL)
    for screen in flow_set.portal.screens.values():
        shown = {*screen.buttons, *screen.links, *screen.menus, *screen.fields}
        taken = {t.trigger for t in graph.get(screen.name, [])}
        for label, trigger in screen.clicks.items():
            if label not in shown:
                yield _at(
                    screen.where,
                    f"screen '{screen.name}': clicks '{label}', which the screen does not show",
                )
            if trigger not in taken:
                yield _at(
                    screen.where,
                    f"screen '{screen.name}': '{label}' fires '{trigger}', which no session flow takes"
                    f" from '{screen.name}' (triggers there: {_listing(sorted(taken)) or 'none'})",
                )


def _check_menu_links(flow_set: FlowSet) -> Iterator[SpecProblem]:
    """Each menu of ``menu_links`` is one of the screen's menus, each of its links one of
    the screen's links, and no link is in two menus."""
    for screen in flow_set.portal.screens.values():
        seen: dict[str, str] = {}
        for menu, links in screen.menu_links.items():
            if menu not in screen.menus:
                yield _at(
                    screen.where,
                    f"screen '{screen.name}': menu_links names menu '{menu}', which the screen"
                    f" does not show (menus: {_listing(screen.menus) or 'none'})",
                )
            for link in links:
                if link not in screen.links:
                    yield _at(
                        screen.where,
                        f"screen '{screen.name}': menu '{menu}' holds '{link}', which is not"
                        f" one of the screen's links ({_listing(screen.links) or 'none'})",
                    )
                elif link in seen:
                    yield _at(
                        screen.where,
                        f"screen '{screen.name}': '{link}' is in two menus, '{seen[link]}'"
                        f" and '{menu}'",
                    )
                seen.setdefault(link, menu)


def _check_required_fields(flow_set: FlowSet) -> Iterator[SpecProblem]:
    """Each field a screen marks required is one of its fields."""
    for screen in flow_set.portal.screens.values():
        for label in screen.required:
            if label not in screen.fields:
                yield _at(
                    screen.where,
                    f"screen '{screen.name}': required names '{label}', which is not one of"
                    f" the screen's fields ({_listing(screen.fields) or 'none'})",
                )


def _check_state_farm_row(flow_set: FlowSet) -> Iterator[SpecProblem]:
    """The State Farm row is shown, or may be, only in a table a screen has, and a
    screen either has it or may have it."""
    portal = flow_set.portal
    services = portal.producer_services
    where = services.state_farm_where or Where(portal.path, 1, 1)
    for key, names in (
        ("row_on", services.state_farm_row_on),
        ("row_unknown_on", services.state_farm_row_unknown_on),
    ):
        for name in names:
            screen = portal.screens.get(name)
            if screen is None or not screen.directory:
                with_table = [s.name for s in portal.screens.values() if s.directory]
                yield _at(
                    where,
                    f"producer_services.state_farm.{key}: '{name}' is not a screen with the"
                    f" directory (screens with it: {_listing(with_table) or 'none'})",
                )
    for name in set(services.state_farm_row_on) & set(services.state_farm_row_unknown_on):
        yield _at(
            where,
            f"producer_services.state_farm: '{name}' is in row_on and row_unknown_on; a"
            " screen has the row, or may have it",
        )


def _check_email_subjects(flow_set: FlowSet) -> Iterator[SpecProblem]:
    """A producer tells the emails apart by their Subject, and so does every reader."""
    seen: dict[str, str] = {}
    for key, template in flow_set.portal.emails.items():
        subject = " ".join(template.subject.text.split())
        if subject in seen:
            yield _at(
                template.where,
                f"emails.{key}.subject: {template.subject.text!r} is also the subject of"
                f" emails.{seen[subject]}: a producer could not tell the two emails apart",
            )
        seen.setdefault(subject, key)


def _check_source(
    flow_set: FlowSet,
    where: Where,
    what: str,
    source: str,
    text: str,
    guide: tuple[str, ...],
    decision: str | None,
    words: tuple[str, ...],
) -> Iterator[SpecProblem]:
    """A text's authority: guide IDs for a given one, the guide's words for a reconstructed
    one, a known decision for a decided one; and nothing that belongs to another source."""
    decisions = flow_set.portal.decisions
    if source == "decided":
        if decision is None:
            yield _at(
                where,
                f"{what}: source decided names no decision; add decision: <id>, a key of"
                " portal.yaml decisions saying why",
            )
        elif decision not in decisions:
            yield _at(
                where,
                f"{what}: decision '{decision}' is not a key of portal.yaml decisions"
                f" ({_listing(sorted(decisions))})",
            )
    elif decision is not None:
        yield _at(
            where,
            f"{what}: decision '{decision}' on a {source} text; only a decided one names a decision",
        )
    if source == "reconstructed":
        if not words:
            yield _at(
                where,
                f"{what}: source reconstructed gives no words; add words: [...], the guide's"
                " own words the text keeps",
            )
        for word in words:
            if word not in text:
                yield _at(
                    where,
                    f"{what}: words: {word!r} is not in the text {text!r}",
                )
    elif words:
        yield _at(where, f"{what}: words on a {source} text; only a reconstructed one has them")
    if source in GIVEN_SOURCES and not guide:
        yield _at(where, f"{what}: a {source} text cites no guide ID; add guide: [ID, ...]")


def _check_authorities(flow_set: FlowSet) -> Iterator[SpecProblem]:
    """Every expectation has an authority (specs.authority): texts, email parts, screen
    elements the guide does not show, transitions' decisions, decisions' parameters."""
    portal = flow_set.portal
    decisions = portal.decisions
    known = _listing(sorted(decisions))
    for key, text in portal.texts.items():
        yield from _check_source(
            flow_set, text.where, f"text '{key}'", text.source, text.text, text.guide,
            text.decision, text.words,
        )  # fmt: skip
    for key, email in portal.emails.items():
        parts = [("subject", email.subject), *((f"body[{i}]", p) for i, p in enumerate(email.body))]
        for name, part in parts:
            if part.text_ref is not None:
                continue  # its text is checked as a text
            yield from _check_source(
                flow_set, part.where or email.where, f"emails.{key}.{name}", part.source,
                part.text, part.guide, part.decision, part.words,
            )  # fmt: skip
    for screen in portal.screens.values():
        labels = {
            *screen.fields, *screen.buttons, *screen.links, *screen.menus, *screen.texts,
            *(link for links in screen.menu_links.values() for link in links),
        }  # fmt: skip
        for element, decision in screen.decided.items():
            where = screen.decided_where.get(element, screen.where)
            if element not in SCREEN_ELEMENTS and element not in labels:
                yield _at(
                    where,
                    f"screen '{screen.name}': decided names '{element}', which is neither an"
                    f" element ({', '.join(SCREEN_ELEMENTS)}) nor a label the screen shows"
                    f" ({_listing(sorted(labels)) or 'none'})",
                )
            if decision not in decisions:
                yield _at(
                    where,
                    f"screen '{screen.name}': decided.{element}: '{decision}' is not a key of"
                    f" portal.yaml decisions ({known})",
                )
    for flow in flow_set.flows.values():
        for t in flow.transitions:
            for decision in t.decisions:
                if decision not in decisions:
                    yield _at(
                        t.where,
                        f"transition '{t.id}': decisions: '{decision}' is not a key of"
                        f" portal.yaml decisions ({known})",
                    )
    settable = {f.name for f in dataclasses.fields(Parameters) if f.type in ("bool", bool)}
    for decision_spec in decisions.values():
        parameter = decision_spec.parameter
        if parameter is not None and parameter not in settable:
            yield _at(
                decision_spec.where,
                f"decision '{decision_spec.key}': parameter '{parameter}' is not a parameter a"
                f" decision sets (true or false: {_listing(sorted(settable))})",
            )


def model_graph(flow_set: FlowSet, model: str) -> dict[str, list[TransitionSpec]]:
    """Outgoing transitions per state, over every flow of one model."""
    graph: dict[str, list[TransitionSpec]] = {}
    for flow in flow_set.flows_of(model):
        for state in flow.states:
            graph.setdefault(state, [])
        for t in flow.transitions:
            for source in t.sources:
                graph.setdefault(source, []).append(t)
    return graph


def _check_model(flow_set: FlowSet, model: str) -> Iterator[SpecProblem]:
    flows = flow_set.flows_of(model)
    initial = flows[0].initial
    for flow in flows[1:]:
        if flow.initial != initial:
            yield _at(
                flow.where,
                f"initial '{flow.initial}' differs from {flows[0].machine}'s '{initial}';"
                f" flows of the model '{model}' share one initial state",
            )
    graph = model_graph(flow_set, model)
    # Reachability from the initial state, guards ignored (they only narrow it).
    seen = {initial}
    queue = deque([initial])
    while queue:
        for t in graph.get(queue.popleft(), []):
            if t.dest not in seen:
                seen.add(t.dest)
                queue.append(t.dest)
    for flow in flows:
        for state in flow.states.values():
            if state.name not in seen:
                yield _at(
                    state.where,
                    f"state '{state.name}' is unreachable from the initial state '{initial}'",
                )
            elif not graph.get(state.name) and not state.final:
                yield _at(
                    state.where,
                    f"state '{state.name}' has no way out; add a transition from it or mark it final: true",
                )
    yield from _check_competition(graph)


def _check_competition(graph: dict[str, list[TransitionSpec]]) -> Iterator[SpecProblem]:
    """Transitions on one source and trigger must be told apart by their guards."""
    for source, outgoing in graph.items():
        by_trigger: dict[str, list[TransitionSpec]] = {}
        for t in outgoing:
            by_trigger.setdefault(t.trigger, []).append(t)
        for trigger, group in by_trigger.items():
            machines = {t.machine for t in group}
            if len(machines) > 1:
                names = _listing(t.name for t in group)
                yield _at(
                    group[-1].where,
                    f"trigger '{trigger}' from '{source}' is defined by more than one flow ({names});"
                    " one flow must own it",
                )
                continue
            for i, later in enumerate(group):
                for earlier in group[:i]:
                    if not earlier.conditions and not earlier.unless:
                        yield _at(
                            later.where,
                            f"transition '{later.id}' can never fire: '{earlier.id}' (line"
                            f" {earlier.where.line}) takes trigger '{trigger}' from '{source}'"
                            " with no guard; give it a condition or unless",
                        )
                        break
                    if set(earlier.conditions) == set(later.conditions) and set(
                        earlier.unless
                    ) == set(later.unless):
                        yield _at(
                            later.where,
                            f"transition '{later.id}' and '{earlier.id}' (line {earlier.where.line})"
                            f" take trigger '{trigger}' from '{source}' with the same guards"
                            f" {later.guard or '(none)'}; no guard tells them apart",
                        )
                        break
