"""Mutants of the flows: the slips an analyst makes, each one edit of one YAML file.

Promises:

- :func:`mutants` reads a flows directory (the YAML text and the validated
  :class:`~specs.model.FlowSet`) and returns every mutant of the operators in
  :data:`OPERATORS`, in file order. Each is one textual edit of one file (the rest of
  the file byte for byte as it was), so an analyst can apply it and see it.
- A mutant's ``id`` names the edit itself, never a line number: the operator, the
  file, the element's path by its names (``login.yaml/warn_on_failure/shows``,
  ``portal.yaml/texts/login_failed``) and the change (``-> login_page``, ``word 3``).
  It is stable when other lines move.
- Each mutant says what it touches (:class:`Touches`): the transitions whose firing
  it may change (a guard, order or dest change touches every transition of the same
  source and trigger, and every scenario that entered that source state, since a
  scenario there may have tried the trigger and fired nothing), the screens whose
  rendering it changes, the guide IDs of the element, or everything (a parameter, and
  a text used by no screen, transition or email of the spec, such as a form's field
  errors). The runner picks the scenarios that fired, entered, saw or are tagged
  with one of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from specs.loader import load_flows
from specs.model import FlowSet, TransitionSpec

__all__ = ["OPERATORS", "Edit", "Mutant", "Touches", "apply", "mutants"]

OPERATORS: dict[str, str] = {
    "parameter": "a numeric parameter one more or one less",
    "guard-dropped": "a guard dropped from conditions or unless",
    "guard-moved": "a guard moved between conditions and unless",
    "action-dropped": "an action dropped from before or after",
    "dest": "a transition's dest changed to another state",
    "swap": "two adjacent transitions of one source and trigger swapped (unless a guard"
    " one requires the other forbids: then the swap changes nothing)",
    "shows": "a transition shows another message",
    "text-character": "one character of a text, email or directory cell changed",
    "text-word": "one word of a text, email or directory cell dropped",
    "text-sentence": "one sentence of a text or email dropped",
    "screen-dropped": "a screen's field, required-field marker, button, link, menu or text dropped",
}


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` of ``file`` (a name in the flows directory)."""

    file: str
    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Touches:
    transitions: frozenset[str] = frozenset()  # machine.id
    states: frozenset[str] = frozenset()  # machine.state: a scenario that entered it
    screens: frozenset[str] = frozenset()
    guide: frozenset[str] = frozenset()
    everything: bool = False


@dataclass(frozen=True)
class Mutant:
    id: str
    operator: str
    edit: Edit
    description: str  # the edit, for people: was -> now
    touches: Touches = field(default_factory=Touches)

    @property
    def guide(self) -> tuple[str, ...]:
        return tuple(sorted(self.touches.guide))


def apply(texts: dict[str, str], edit: Edit) -> str:
    """The text of ``edit.file`` after the edit."""
    text = texts[edit.file]
    return text[: edit.start] + edit.replacement + text[edit.end :]


# --- YAML nodes ----------------------------------------------------------------------


def _get(node: Node, key: str) -> tuple[ScalarNode, Node] | None:
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return k, v
    return None


def _items(node: Node) -> list[tuple[ScalarNode, Node]]:
    if not isinstance(node, MappingNode):
        return []
    return [(k, v) for k, v in node.value if isinstance(k, ScalarNode)]


def _span(node: Node, text: str) -> tuple[int, int]:
    """Where ``node`` is in ``text``: a block collection's end mark lies past the line
    break and indentation that follow it, so the end is its last non-blank character."""
    return node.start_mark.index, len(text[: node.end_mark.index].rstrip())


def _around(old: str, new: str, width: int = 24) -> str:
    """``old -> new`` shown around their first difference."""
    i = next((n for n, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), None)
    i = min(len(old), len(new)) if i is None else i
    start = max(0, i - width)

    def cut(value: str) -> str:
        shown = value[start : i + width]
        return ("…" if start else "") + shown + ("…" if i + width < len(value) else "")

    return f"{cut(old)!r} -> {cut(new)!r}"


def _line_of(text: str, key: ScalarNode, value: Node) -> tuple[int, int]:
    """The whole lines from ``key`` to the end of ``value`` (with the line break)."""
    start = text.rfind("\n", 0, key.start_mark.index) + 1
    end = text.find("\n", len(text[: value.end_mark.index].rstrip()))
    return start, len(text) if end < 0 else end + 1


def _flow_list(names: list[str]) -> str:
    return "[" + ", ".join(names) + "]"


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _exclusive(a: TransitionSpec, b: TransitionSpec) -> bool:
    """Whether ``a`` and ``b`` can never both be enabled: a guard one requires, the
    other forbids."""
    return bool(set(a.conditions) & set(b.unless) or set(a.unless) & set(b.conditions))


# --- text changes ----------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z]{2,}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*])")


def _changed_character(value: str) -> tuple[str, str] | None:
    """A letter in the middle of ``value`` in the other case, or a digit one up."""
    middle = len(value) // 2
    order = sorted(range(len(value)), key=lambda i: abs(i - middle))
    for i in order:
        c = value[i]
        if c.isdigit():
            return value[:i] + str((int(c) + 1) % 10) + value[i + 1 :], f"character {i + 1}"
        if c.isalpha() and c.swapcase() != c:
            return value[:i] + c.swapcase() + value[i + 1 :], f"character {i + 1}"
    return None


def _dropped_word(value: str) -> tuple[str, str] | None:
    words = list(_WORD.finditer(value))
    if len(words) < 2:
        return None
    n = len(words) // 2
    word = words[n]
    start, end = word.start(), word.end()
    if end < len(value) and value[end] == " ":
        end += 1
    elif start > 0 and value[start - 1] == " ":
        start -= 1
    return value[:start] + value[end:], f"word {n + 1} ({word.group()!r})"


def _dropped_sentence(value: str) -> tuple[str, str] | None:
    sentences = _SENTENCE_END.split(value)
    if len(sentences) < 2:
        return None
    return " ".join(sentences[:-1]), f"last of {len(sentences)} sentences"


_TEXT_CHANGES = (
    ("text-character", _changed_character),
    ("text-word", _dropped_word),
    ("text-sentence", _dropped_sentence),
)


# --- the generator -----------------------------------------------------------------------


class _Maker:
    def __init__(self, directory: Path, flow_set: FlowSet) -> None:
        self.directory = directory
        self.flow_set = flow_set
        self.texts = {
            p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.yaml"))
        }
        composed = {n: yaml.compose(t, Loader=yaml.SafeLoader) for n, t in self.texts.items()}
        self.roots: dict[str, Node] = {n: r for n, r in composed.items() if r is not None}
        self.out: list[Mutant] = []
        self._ids: set[str] = set()
        transitions = flow_set.transitions()
        self.by_name = {t.name: t for t in transitions}
        self.screens_showing: dict[str, set[str]] = {}
        for screen in flow_set.portal.screens.values():
            for key in screen.texts:
                self.screens_showing.setdefault(key, set()).add(screen.name)
        self.shown_by: dict[str, set[str]] = {}
        for t in transitions:
            if t.shows:
                self.shown_by.setdefault(t.shows, set()).add(t.name)
        mailing = {
            name
            for name, description in flow_set.portal.vocabulary.actions.items()
            if "email" in description.lower()
        }
        self.mailing_transitions = frozenset(
            t.name for t in transitions if mailing & {*t.before, *t.after}
        )
        self.emailed_texts = frozenset(
            part.text_ref
            for template in flow_set.portal.emails.values()
            for part in (template.subject, *template.body)
            if part.text_ref
        )
        self.directory_screens = frozenset(
            s.name for s in flow_set.portal.screens.values() if s.directory
        )

    def add(
        self, operator: str, path: str, change: str, edit: Edit, description: str, touches: Touches
    ) -> None:
        mutant_id = f"{operator}:{path}:{change}"
        if mutant_id in self._ids:  # the same edit reached twice: keep the first
            return
        self._ids.add(mutant_id)
        self.out.append(Mutant(mutant_id, operator, edit, description, touches))

    # -- transitions ---------------------------------------------------------------

    def sources(self, t: TransitionSpec) -> frozenset[str]:
        return frozenset(f"{t.machine}.{source}" for source in t.sources)

    def siblings(self, t: TransitionSpec) -> frozenset[str]:
        return frozenset(
            o.name
            for o in self.flow_set.flows[t.machine].transitions
            if o.trigger == t.trigger and set(o.sources) & set(t.sources)
        )

    def flows(self) -> None:
        for file, root in self.roots.items():
            machine_node = _get(root, "machine")
            transitions = _get(root, "transitions")
            if machine_node is None or transitions is None:
                continue
            machine = str(machine_node[1].value)
            flow = self.flow_set.flows[machine]
            items = transitions[1].value if isinstance(transitions[1], SequenceNode) else []
            specs = {t.id: t for t in flow.transitions}
            previous: tuple[Node, TransitionSpec] | None = None
            for item in items:
                id_node = _get(item, "id")
                if id_node is None or id_node[1].value not in specs:
                    continue
                spec = specs[id_node[1].value]
                self.transition(file, item, spec, list(flow.states))
                if (
                    previous is not None
                    and previous[1].trigger == spec.trigger
                    and set(previous[1].sources) & set(spec.sources)
                ):
                    self.swap(file, previous, (item, spec))
                previous = (item, spec)

    def transition(self, file: str, item: Node, t: TransitionSpec, states: list[str]) -> None:
        path = f"{file}/{t.id}"
        guide = frozenset(t.guide)
        own = Touches(transitions=self.siblings(t), states=self.sources(t), guide=guide)
        # guards: dropped, and moved to the other list; actions: dropped
        for key, other in (("conditions", "unless"), ("unless", "conditions")):
            for name, names in self.dropped(file, item, f"{path}/{key}", key, "guard-dropped", own):
                self.moved_guard(file, item, t, key, other, name, names, own)
        for key in ("before", "after"):
            action = Touches(transitions=frozenset({t.name}), guide=guide)
            list(self.dropped(file, item, f"{path}/{key}", key, "action-dropped", action))
        dest = _get(item, "dest")
        if dest is not None:
            others = [s for s in states if s != t.dest]
            if others:
                after = states.index(t.dest) if t.dest in states else -1
                new = next((s for s in states[after + 1 :] + states if s != t.dest), others[0])
                start, end = _span(dest[1], self.texts[file])
                self.add(
                    "dest",
                    f"{path}/dest",
                    f"-> {new}",
                    Edit(file, start, end, new),
                    f"dest: {t.dest} -> {new}",
                    Touches(
                        transitions=frozenset({t.name}),
                        screens=frozenset({t.dest, new}),
                        guide=guide,
                    ),
                )
        shows = _get(item, "shows")
        if shows is not None and t.shows:
            messages = sorted(self.shown_by)
            message: str | None = next(
                (m for m in messages[messages.index(t.shows) + 1 :] + messages if m != t.shows),
                None,
            )
            if message is not None:
                new = message
                start, end = _span(shows[1], self.texts[file])
                self.add(
                    "shows",
                    f"{path}/shows",
                    f"-> {new}",
                    Edit(file, start, end, new),
                    f"shows: {t.shows} -> {new}",
                    Touches(transitions=frozenset({t.name}), guide=guide),
                )

    def dropped(
        self, file: str, item: Node, path: str, key: str, operator: str, touches: Touches
    ) -> Iterator[tuple[str, list[str]]]:
        """One mutant per name of the flow list ``key`` of ``item``, that name dropped;
        yields each name with the list it was in."""
        found = _get(item, key)
        if found is None or not isinstance(found[1], SequenceNode):
            return
        names = [str(n.value) for n in found[1].value]
        start, end = _span(found[1], self.texts[file])
        for name in names:
            rest = [n for n in names if n != name]
            self.add(
                operator,
                path,
                name,
                Edit(file, start, end, _flow_list(rest)),
                f"{key}: {_flow_list(names)} -> {_flow_list(rest)}",
                touches,
            )
            yield name, names

    def moved_guard(
        self,
        file: str,
        item: Node,
        t: TransitionSpec,
        key: str,
        other: str,
        name: str,
        names: list[str],
        touches: Touches,
    ) -> None:
        """``name`` leaves ``key`` for ``other``: one edit of the text from the first of the
        two lists to the end of the second (or of ``key``'s line, adding ``other``)."""
        text = self.texts[file]
        rest = [n for n in names if n != name]
        here_key, here = _get(item, key)  # type: ignore[misc]
        there = _get(item, other)
        if there is not None and isinstance(there[1], SequenceNode):
            there_names = [str(n.value) for n in there[1].value]
            spans = sorted(
                [
                    (_span(here, self.texts[file]), _flow_list(rest)),
                    (_span(there[1], self.texts[file]), _flow_list([*there_names, name])),
                ]
            )
            (a_start, a_end), a_new = spans[0]
            (b_start, b_end), b_new = spans[1]
            replacement = a_new + text[a_end:b_start] + b_new
            edit = Edit(file, a_start, b_end, replacement)
            now = f"{key}: {_flow_list(rest)}, {other}: {_flow_list([*there_names, name])}"
        else:
            line_start, line_end = _line_of(text, here_key, here)
            indent = " " * here_key.start_mark.column
            kept = f"{indent}{key}: {_flow_list(rest)}\n" if rest else ""
            edit = Edit(
                file, line_start, line_end, f"{kept}{indent}{other}: {_flow_list([name])}\n"
            )
            now = (f"{key}: {_flow_list(rest)}, " if rest else "") + f"{other}: [{name}]"
        self.add(
            "guard-moved",
            f"{file}/{t.id}/{key}",
            f"{name} -> {other}",
            edit,
            f"{key}: {_flow_list(names)} -> {now}",
            touches,
        )

    def swap(
        self, file: str, first: tuple[Node, TransitionSpec], second: tuple[Node, TransitionSpec]
    ) -> None:
        if _exclusive(first[1], second[1]):
            return  # at most one of the two can fire: their order changes nothing
        text = self.texts[file]
        (a, a_spec), (b, b_spec) = first, second
        a_start = a.start_mark.index
        b_start = b.start_mark.index
        # Each item's text up to the last non-blank character before the next item.
        before_b = text[:b_start].rstrip(" ")  # ends with the "-" of b's item
        a_end = len(before_b.removesuffix("-").rstrip())
        b_end = len(text[: b.end_mark.index].rstrip())
        a_text, b_text = text[a_start:a_end], text[b_start:b_end]
        between = text[a_end:b_start]
        self.add(
            "swap",
            f"{file}/{a_spec.id}",
            f"<-> {b_spec.id}",
            Edit(file, a_start, b_end, b_text + between + a_text),
            f"{a_spec.id} and {b_spec.id} (both {a_spec.trigger} from {'/'.join(a_spec.sources)}) swapped",
            Touches(
                transitions=self.siblings(a_spec) | self.siblings(b_spec),
                states=self.sources(a_spec) | self.sources(b_spec),
                guide=frozenset(a_spec.guide) | frozenset(b_spec.guide),
            ),
        )

    # -- portal.yaml -------------------------------------------------------------

    def portal(self) -> None:
        file = Path(self.flow_set.portal.path).name
        root = self.roots.get(file)
        if root is None:
            return
        parameters = _get(root, "parameters")
        if parameters is not None:
            self.parameters(file, parameters[1], "parameters")
        screens = _get(root, "screens")
        if screens is not None:
            for key, node in _items(screens[1]):
                self.screen(file, key.value, node)
        texts = _get(root, "texts")
        if texts is not None:
            for key, node in _items(texts[1]):
                spec = self.flow_set.portal.texts.get(key.value)
                transitions = set(self.shown_by.get(key.value, set()))
                if key.value in self.emailed_texts:
                    transitions |= self.mailing_transitions
                showing = self.screens_showing.get(key.value, set())
                touches = Touches(
                    transitions=frozenset(transitions),
                    screens=frozenset(showing),
                    guide=frozenset(spec.guide if spec else ()),
                    # Used by no screen, transition or email of the spec (a form's field
                    # errors, chosen in code): every scenario.
                    everything=not transitions and not showing,
                )
                self.text_values(file, f"{file}/texts/{key.value}", node, touches)
        emails = _get(root, "emails")
        if emails is not None:
            for key, node in _items(emails[1]):
                template = self.flow_set.portal.emails.get(key.value)
                touches = Touches(
                    transitions=self.mailing_transitions,
                    guide=frozenset(template.guide if template else ()),
                )
                subject = _get(node, "subject")
                if subject is not None:
                    self.text_values(
                        file, f"{file}/emails/{key.value}/subject", subject[1], touches
                    )
                body = _get(node, "body")
                if body is not None and isinstance(body[1], SequenceNode):
                    for n, part in enumerate(body[1].value, 1):
                        self.text_values(file, f"{file}/emails/{key.value}/body/{n}", part, touches)
        services = _get(root, "producer_services")
        if services is not None:
            self.services(file, services[1])

    def parameters(self, file: str, node: Node, path: str) -> None:
        for key, value in _items(node):
            here = f"{path}/{key.value}"
            if isinstance(value, MappingNode):
                self.parameters(file, value, here)
                continue
            if not (isinstance(value, ScalarNode) and value.tag.endswith(":int")):
                continue
            number = int(value.value)
            start, end = _span(value, self.texts[file])
            for delta in (1, -1):
                self.add(
                    "parameter",
                    f"{file}/{here}",
                    f"{delta:+d}",
                    Edit(file, start, end, str(number + delta)),
                    f"{key.value}: {number} -> {number + delta}",
                    Touches(everything=True),
                )

    def screen(self, file: str, name: str, node: Node) -> None:
        spec = self.flow_set.portal.screens.get(name)
        touches = Touches(screens=frozenset({name}), guide=frozenset(spec.guide if spec else ()))
        for key in ("fields", "required", "buttons", "links", "menus", "texts"):
            found = _get(node, key)
            if found is None or not isinstance(found[1], SequenceNode):
                continue
            values = [str(n.value) for n in found[1].value]
            start, end = _span(found[1], self.texts[file])
            for value in values:
                rest = [v for v in values if v != value]
                shown = ", ".join(_quoted(v) if key != "texts" else v for v in rest)
                self.add(
                    "screen-dropped",
                    f"{file}/screens/{name}/{key}",
                    value,
                    Edit(file, start, end, f"[{shown}]"),
                    f"{name} {key}: {value!r} dropped",
                    touches,
                )

    def text_values(self, file: str, path: str, node: Node, touches: Touches) -> None:
        """Every quoted text under ``node`` (a ``text:``, or each of its ``lines``)."""
        if isinstance(node, ScalarNode):
            self.text_changes(file, path, node, touches)
            return
        for key in ("text", "label"):
            found = _get(node, key)
            if found is not None and isinstance(found[1], ScalarNode):
                self.text_changes(file, path, found[1], touches)
        lines = _get(node, "lines")
        if lines is not None and isinstance(lines[1], SequenceNode):
            for n, line in enumerate(lines[1].value, 1):
                if isinstance(line, ScalarNode):
                    self.text_changes(file, f"{path}/line {n}", line, touches)

    def text_changes(
        self, file: str, path: str, node: ScalarNode, touches: Touches, sentences: bool = True
    ) -> None:
        value = str(node.value)
        if not value or node.tag.endswith((":int", ":null", ":bool")):
            return
        start, end = _span(node, self.texts[file])
        for operator, change in _TEXT_CHANGES:
            if operator == "text-sentence" and not sentences:
                continue
            changed = change(value)
            if changed is None:
                continue
            new, where = changed
            self.add(
                operator,
                path,
                where,
                Edit(file, start, end, _quoted(new)),
                _around(value, new),
                touches,
            )

    def services(self, file: str, node: Node) -> None:
        spec = self.flow_set.portal.producer_services
        touches = Touches(screens=self.directory_screens, guide=frozenset(spec.guide))
        lines = _get(node, "lines")
        for line_key, line in _items(lines[1]) if lines is not None else []:
            label = _get(line, "label")
            if label is not None and isinstance(label[1], ScalarNode):
                self.text_changes(
                    file,
                    f"{file}/producer_services/{line_key.value}/label",
                    label[1],
                    touches,
                    sentences=False,
                )
            numbers = _get(line, "numbers")
            for us_state, cell in _items(numbers[1]) if numbers is not None else []:
                path = f"{file}/producer_services/{line_key.value}/{us_state.value}"
                for part in ("number", "shown"):
                    found = _get(cell, part)
                    if found is not None and isinstance(found[1], ScalarNode):
                        self.text_changes(
                            file, f"{path}/{part}", found[1], touches, sentences=False
                        )
                if isinstance(cell, ScalarNode):
                    self.text_changes(file, path, cell, touches, sentences=False)
        state_farm = _get(node, "state_farm")
        if state_farm is not None:
            label = _get(state_farm[1], "label")
            if label is not None and isinstance(label[1], ScalarNode):
                self.text_changes(
                    file,
                    f"{file}/producer_services/state_farm/label",
                    label[1],
                    touches,
                    sentences=False,
                )


def mutants(directory: Path) -> tuple[FlowSet, dict[str, str], list[Mutant]]:
    """The flows of ``directory``, their files' texts, and every mutant of them."""
    flow_set = load_flows([directory])
    maker = _Maker(directory, flow_set)
    maker.flows()
    maker.portal()
    return flow_set, maker.texts, maker.out
