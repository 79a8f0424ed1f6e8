"""Turn flow files into spec objects, checking their shape (schema) as they load.

Checks here are about form: keys known and not duplicated, values of the right
type. Meaning (states, reachability, vocabulary, guide IDs) is checked by
:mod:`specs.validate`, which :func:`load_flows` runs last. Every problem in every
file is collected before :class:`~specs.errors.SpecError` is raised.

One concern, the schema of the flow files: one reader per section of portal.yaml
and of a flow file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from specs.errors import SpecError, SpecProblem, UsageError
from specs.guide import default_guide_path, read_guide_ids
from specs.model import (
    Cell,
    Decision,
    Deviation,
    EmailTemplate,
    FlowSet,
    FlowSpec,
    Parameters,
    PasswordPolicy,
    PortalSpec,
    ProducerServices,
    ScreenSpec,
    ServiceLine,
    StateSpec,
    Text,
    TextPart,
    TransitionSpec,
    Variant,
    Vocabulary,
)
from specs.reader import Reader, kind
from specs.yamlsource import scalar_value

__all__ = [
    "DEFAULT_FLOWS_DIR",
    "GUIDE_NOT_READ",
    "PARAMETER_BOUNDS",
    "PORTAL_FILE",
    "collect_files",
    "display_path",
    "load_flows",
    "load_flows_dir",
]

# A guide ID's description when the guide could not be read (load_flows(guide_optional=True)).
GUIDE_NOT_READ = "(the guide was not read: set RPP_GUIDE to its GUIDE.md)"

DEFAULT_FLOWS_DIR = Path(__file__).resolve().parent.parent / "flows"
PORTAL_FILE = "portal.yaml"
TEXT_SOURCES = ("quoted", "ocr_corrected", "reconstructed", "decided")


# -- flow files ---------------------------------------------------------------------------

_FLOW_KEYS = ("machine", "model", "initial", "states", "transitions")
_STATE_KEYS = ("guide", "description", "final")
_TRANSITION_REQUIRED = ("id", "trigger", "source", "dest", "guide")
_TRANSITION_OPTIONAL = (
    "conditions",
    "unless",
    "before",
    "after",
    "shows",
    "note",
    "decisions",
)


def _read_flow(reader: Reader, root: Node, stem: str) -> FlowSpec | None:
    top = reader.mapping(root, "flow", _FLOW_KEYS)
    if top is None:
        return None
    machine = reader.string(top.get("machine"), "machine")
    if machine and machine != stem:
        reader.fail(
            top["machine"], f"machine: '{machine}' must match the file name ('{stem}.yaml')"
        )
    model = reader.string(top.get("model"), "model")
    initial = reader.string(top.get("initial"), "initial")
    states: dict[str, StateSpec] = {}
    state_entries = reader.entries(top["states"], "states") if "states" in top else None
    for name, (key_node, value) in (state_entries or {}).items():
        what = f"state '{name}'"
        fields = reader.mapping(value, what, ("description",), ("guide", "final"))
        if fields is None:
            continue
        states[name] = StateSpec(
            name=name,
            guide=reader.names(fields.get("guide"), f"{what}: guide"),
            description=reader.string(fields.get("description"), f"{what}: description") or "",
            final=reader.boolean(fields.get("final"), f"{what}: final"),
            where=reader.where(key_node),
        )
    if initial and state_entries is not None and initial not in state_entries:
        # Here rather than in validate, which knows only the flow's position.
        reader.fail(
            top["initial"],
            f"initial: '{initial}' is not one of the states"
            f" ({', '.join(islice(state_entries, 40))}{', ...' if len(state_entries) > 40 else ''})",
        )
    transitions: list[TransitionSpec] = []
    items = top.get("transitions")
    if items is not None and not isinstance(items, SequenceNode):
        reader.fail(items, f"transitions: expected a list, found {kind(items)}")
    elif items is not None:
        for index, item in enumerate(items.value):
            t = _read_transition(reader, item, index, machine or stem)
            if t is not None:
                transitions.append(t)
    if not machine or not model or not initial:
        return None
    return FlowSpec(
        path=reader.name,
        machine=machine,
        model=model,
        initial=initial,
        states=states,
        transitions=tuple(transitions),
        where=reader.where(root),
    )


def _peek_id(node: Node) -> str | None:
    """The transition's id, if it has a plain one, to name it in every message."""
    if not isinstance(node, MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value == "id" and isinstance(value, ScalarNode):
            found = scalar_value(value)
            return found if isinstance(found, str) and found.strip() else None
    return None


def _read_transition(reader: Reader, node: Node, index: int, machine: str) -> TransitionSpec | None:
    what = f"transitions[{index}]"
    named = _peek_id(node)
    if named:
        what = f"transition '{named}'"
    fields = reader.mapping(node, what, _TRANSITION_REQUIRED, _TRANSITION_OPTIONAL)
    if fields is None:
        return None
    tid = reader.string(fields.get("id"), f"{what}: id")
    if tid:
        what = f"transition '{tid}'"
    trigger = reader.string(fields.get("trigger"), f"{what}: trigger")
    sources = reader.names(fields.get("source"), f"{what}: source", allow_single=True)
    dest = reader.string(fields.get("dest"), f"{what}: dest")
    guide = reader.names(fields.get("guide"), f"{what}: guide")
    if "guide" in fields and not guide:
        reader.fail(fields["guide"], f"{what}: guide: cite at least one guide ID, e.g. [LOCK-2]")
    if not (tid and trigger and sources and dest):
        return None
    return TransitionSpec(
        machine=machine,
        id=tid,
        trigger=trigger,
        sources=sources,
        dest=dest,
        conditions=reader.names(fields.get("conditions"), f"{what}: conditions"),
        unless=reader.names(fields.get("unless"), f"{what}: unless"),
        before=reader.names(fields.get("before"), f"{what}: before"),
        after=reader.names(fields.get("after"), f"{what}: after"),
        shows=reader.optional_string(fields.get("shows"), f"{what}: shows"),
        guide=guide,
        note=reader.optional_string(fields.get("note"), f"{what}: note"),
        where=reader.where(node),
        decisions=reader.names(fields.get("decisions"), f"{what}: decisions"),
    )


# -- portal.yaml --------------------------------------------------------------------------

_PORTAL_KEYS = (
    "parameters",
    "verification_variants",
    "screens",
    "texts",
    "emails",
    "producer_services",
    "vocabulary",
    "decisions",
    "known_deviations",
)
_PARAMETER_KEYS = (
    "lockout_threshold",
    "auto_unlock_after_minutes",
    "temporary_password_valid_minutes",
    "temporary_password_length",
    "password_policy",
    "states",
    "sender",
)
_BEHAVIOUR_PARAMETERS = ("empty_login_counts", "wrong_current_password_counts")
"""The readings of a silent guide a decision sets (``parameter:``): booleans, true as shipped."""
_OPTIONAL_PARAMETER_KEYS = (
    "temporary_password_case_sensitive",
    "recovery_emails_per_hour",
    *_BEHAVIOUR_PARAMETERS,
)
PARAMETER_BOUNDS: dict[str, tuple[int, int]] = {
    "lockout_threshold": (1, 100),
    "auto_unlock_after_minutes": (1, 525_600),
    "temporary_password_valid_minutes": (1, 525_600),
    "recovery_emails_per_hour": (1, 100),
    "temporary_password_length": (1, 64),
    "password_policy.min_length": (1, 64),
    "password_policy.max_length": (1, 64),
}
"""Every whole-number parameter's lowest and highest value, checked where it is read
(in ``parameters`` and in each verification variant): a hundred failures before a
lock-out, a year (525,600 minutes) for a duration, 64 characters for a password. The
guide's values sit well inside; a value past them would overflow the clock arithmetic
of `rpp verify` and `rpp simulate` instead of being refused with its place."""
MAX_SENDER_CHARS = 200
_SCALAR_PARAMETERS = (
    "lockout_threshold",
    "auto_unlock_after_minutes",
    "temporary_password_valid_minutes",
    "temporary_password_length",
    "sender",
    "temporary_password_case_sensitive",
    *_BEHAVIOUR_PARAMETERS,
)
"""The parameters a verification variant may change (not the policy or the states)."""


def _is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, ScalarNode) and scalar_value(node) is None)


def _whole(reader: Reader, key: str, node: Node | None, what: str) -> int | None:
    """A whole-number parameter within its :data:`PARAMETER_BOUNDS`."""
    return reader.integer(node, what, *PARAMETER_BOUNDS[key])


def _read_scalar_parameter(reader: Reader, key: str, node: Node | None, what: str) -> object:
    """One parameter a variant may change, read as in ``parameters``; ``None`` when
    refused, or when null means "off" (``auto_unlock_after_minutes``)."""
    if key == "auto_unlock_after_minutes" and _is_null(node):
        return None
    if key in PARAMETER_BOUNDS:
        return _whole(reader, key, node, what)
    if key == "sender":
        return reader.text(node, what, MAX_SENDER_CHARS, one_line=True)
    return reader.boolean(node, what, default=True)


def _read_parameters(reader: Reader, node: Node) -> Parameters | None:
    p = reader.mapping(node, "parameters", _PARAMETER_KEYS, _OPTIONAL_PARAMETER_KEYS)
    if p is None:
        return None
    policy_fields = (
        reader.mapping(
            p["password_policy"],
            "parameters.password_policy",
            ("min_length", "max_length", "allowed"),
        )
        if "password_policy" in p
        else None
    )
    policy = None
    if policy_fields is not None:
        low = reader.integer(
            policy_fields.get("min_length"),
            "password_policy.min_length",
            *PARAMETER_BOUNDS["password_policy.min_length"],
        )
        high = reader.integer(
            policy_fields.get("max_length"),
            "password_policy.max_length",
            *PARAMETER_BOUNDS["password_policy.max_length"],
        )
        allowed = reader.string(policy_fields.get("allowed"), "password_policy.allowed")
        if allowed and allowed != "letters_and_digits":
            reader.fail(
                policy_fields["allowed"], "password_policy.allowed: expected letters_and_digits"
            )
        if low is not None and high is not None and low > high:
            reader.fail(
                policy_fields["min_length"], "password_policy: min_length exceeds max_length"
            )
        if low is not None and high is not None and allowed:
            policy = PasswordPolicy(low, high, allowed)
    auto = p.get("auto_unlock_after_minutes")
    auto_value = (
        None
        if _is_null(auto)
        else _whole(
            reader, "auto_unlock_after_minutes", auto, "parameters.auto_unlock_after_minutes"
        )
    )
    threshold, valid, length = (
        _whole(reader, key, p.get(key), f"parameters.{key}")
        for key in (
            "lockout_threshold",
            "temporary_password_valid_minutes",
            "temporary_password_length",
        )
    )
    states = reader.names(p.get("states"), "parameters.states")
    sender = reader.text(p.get("sender"), "parameters.sender", MAX_SENDER_CHARS, one_line=True)
    case_sensitive = reader.boolean(
        p.get("temporary_password_case_sensitive"),
        "parameters.temporary_password_case_sensitive",
        default=True,
    )
    if policy and length is not None and not policy.min_length <= length <= policy.max_length:
        reader.fail(
            p["temporary_password_length"],
            f"parameters.temporary_password_length: {length} breaks the password policy"
            f" ({policy.min_length}-{policy.max_length}); temporary passwords must satisfy it",
        )
    recovery = p.get("recovery_emails_per_hour")
    recovery_limit = (
        None
        if _is_null(recovery)
        else _whole(
            reader,
            "recovery_emails_per_hour",
            recovery,
            "parameters.recovery_emails_per_hour",
        )
    )
    behaviour = {
        key: reader.boolean(p.get(key), f"parameters.{key}", default=True)
        for key in _BEHAVIOUR_PARAMETERS
    }
    if None in (policy, threshold, valid, length, sender) or not states:
        return None
    assert policy and threshold and valid and length and sender
    return Parameters(
        threshold,
        auto_value,
        valid,
        length,
        policy,
        states,
        sender,
        case_sensitive,
        recovery_limit,
        **behaviour,
    )


def _read_text(reader: Reader, key: str, node: Node, key_node: Node) -> Text | None:
    what = f"text '{key}'"
    f = reader.mapping(
        node, what, ("guide", "source"), ("text", "lines", "note", "decision", "words")
    )
    if f is None:
        return None
    source = reader.string(f.get("source"), f"{what}: source")
    if source and source not in TEXT_SOURCES:
        reader.fail(f["source"], f"{what}: source: expected one of {', '.join(TEXT_SOURCES)}")
    if ("text" in f) == ("lines" in f):
        reader.fail(node, f"{what}: give exactly one of 'text' or 'lines'")
        return None
    lines = reader.names(f["lines"], f"{what}: lines") if "lines" in f else ()
    if "text" in f:
        single = reader.string(f["text"], f"{what}: text")
        lines = (single,) if single else ()
    if not lines or not source:
        return None
    return Text(
        key=key,
        guide=reader.names(f.get("guide"), f"{what}: guide"),
        source=source,
        lines=lines,
        note=reader.optional_string(f.get("note"), f"{what}: note"),
        where=reader.where(key_node),
        decision=reader.optional_string(f.get("decision"), f"{what}: decision"),
        words=reader.names(f.get("words"), f"{what}: words"),
    )


def _read_part(
    reader: Reader, node: Node, what: str, texts: dict[str, Text], guide: tuple[str, ...]
) -> TextPart | None:
    """A subject or body paragraph; ``guide``: its email's guide IDs."""
    f = reader.mapping(node, what, (), ("text", "source", "note", "text_ref", "decision", "words"))
    if f is None:
        return None
    if "text_ref" in f:
        if set(f) - {"text_ref"}:
            reader.fail(
                node, f"{what}: text_ref stands alone; the referenced text has its own source"
            )
        ref = reader.string(f["text_ref"], f"{what}: text_ref")
        if ref and ref not in texts:
            reader.fail(f["text_ref"], f"{what}: text_ref '{ref}' is not a key of texts")
            return None
        if not ref:
            return None
        referred = texts[ref]
        return TextPart(
            referred.text,
            referred.source,
            None,
            ref,
            decision=referred.decision,
            words=referred.words,
            guide=referred.guide,
            where=reader.where(node),
        )
    text = reader.string(f.get("text"), f"{what}: text")
    source = reader.string(f.get("source"), f"{what}: source")
    if "text" not in f or "source" not in f:
        reader.fail(node, f"{what}: expected 'text' and 'source' (or a lone 'text_ref')")
    if source and source not in TEXT_SOURCES:
        reader.fail(f["source"], f"{what}: source: expected one of {', '.join(TEXT_SOURCES)}")
    if not text or not source:
        return None
    return TextPart(
        text,
        source,
        reader.optional_string(f.get("note"), f"{what}: note"),
        None,
        decision=reader.optional_string(f.get("decision"), f"{what}: decision"),
        words=reader.names(f.get("words"), f"{what}: words"),
        guide=guide,
        where=reader.where(node),
    )


def _read_screen(reader: Reader, name: str, node: Node, key_node: Node) -> ScreenSpec | None:
    what = f"screen '{name}'"
    f = reader.mapping(
        node,
        what,
        ("guide", "title"),
        (
            "fields",
            "required",
            "buttons",
            "links",
            "menus",
            "menu_links",
            "texts",
            "directory",
            "clicks",
            "decided",
        ),
    )
    if f is None:
        return None
    title = reader.string(f.get("title"), f"{what}: title")
    menu_links: dict[str, tuple[str, ...]] = {}
    menu_entries = (
        reader.entries(f["menu_links"], f"{what}: menu_links") if "menu_links" in f else None
    )
    for menu, (_, links_node) in (menu_entries or {}).items():
        menu_links[menu] = reader.names(links_node, f"{what}: menu_links.{menu}")
    clicks: dict[str, str] = {}
    click_entries = reader.entries(f["clicks"], f"{what}: clicks") if "clicks" in f else None
    for label, (_, trigger_node) in (click_entries or {}).items():
        trigger = reader.string(trigger_node, f"{what}: clicks.{label}")
        if trigger:
            clicks[label] = trigger
    decided: dict[str, str] = {}
    decided_where = {}
    decided_entries = reader.entries(f["decided"], f"{what}: decided") if "decided" in f else None
    for element, (element_node, decision_node) in (decided_entries or {}).items():
        decision = reader.string(decision_node, f"{what}: decided.{element}")
        if decision:
            decided[element] = decision
            decided_where[element] = reader.where(element_node)
    if not title:
        return None
    return ScreenSpec(
        name=name,
        guide=reader.names(f.get("guide"), f"{what}: guide"),
        title=title,
        fields=reader.names(f.get("fields"), f"{what}: fields"),
        buttons=reader.names(f.get("buttons"), f"{what}: buttons"),
        links=reader.names(f.get("links"), f"{what}: links"),
        menus=reader.names(f.get("menus"), f"{what}: menus"),
        texts=reader.names(f.get("texts"), f"{what}: texts"),
        directory=reader.boolean(f.get("directory"), f"{what}: directory"),
        clicks=clicks,
        where=reader.where(key_node),
        menu_links=menu_links,
        required=reader.names(f.get("required"), f"{what}: required"),
        decided=decided,
        decided_where=decided_where,
    )


def _read_directory(reader: Reader, node: Node) -> ProducerServices | None:
    f = reader.mapping(node, "producer_services", ("guide", "states", "lines", "state_farm"))
    if f is None:
        return None
    states = reader.names(f.get("states"), "producer_services.states")
    known_states = set(states)
    lines: dict[str, ServiceLine] = {}
    for key, (_, line_node) in (
        (reader.entries(f["lines"], "producer_services.lines") or {}).items()
        if "lines" in f
        else ()
    ):
        what = f"producer_services.lines.{key}"
        lf = reader.mapping(line_node, what, ("label", "numbers"))
        if lf is None:
            continue
        cells: dict[str, Cell] = {}
        for state, (state_key, cell_node) in (
            (reader.entries(lf["numbers"], f"{what}.numbers") or {}).items()
            if "numbers" in lf
            else ()
        ):
            cw = f"{what}.numbers.{state}"
            if state not in known_states:
                reader.fail(state_key, f"{cw}: '{state}' is not one of producer_services.states")
            if isinstance(cell_node, MappingNode):
                cf = reader.mapping(cell_node, cw, ("number", "shown"))
                if cf is None:
                    continue
                cells[state] = Cell(
                    number=reader.string(cf.get("number"), f"{cw}.number"),
                    shown=reader.string(cf.get("shown"), f"{cw}.shown"),
                )
            else:
                cells[state] = Cell(number=reader.optional_string(cell_node, cw))
        for state in states:
            if state not in cells and "numbers" in lf:
                reader.fail(
                    lf["numbers"],
                    f"{what}.numbers: no cell for {state}; write null if it is unknown",
                )
        label = reader.string(lf.get("label"), f"{what}.label")
        if label:
            lines[key] = ServiceLine(key, label, cells)
    sf = (
        reader.mapping(
            f["state_farm"],
            "producer_services.state_farm",
            ("guide", "label", "number"),
            ("row_on", "row_unknown_on"),
        )
        if "state_farm" in f
        else None
    )
    if sf is None:
        return None
    label = reader.string(sf.get("label"), "state_farm.label")
    number = reader.string(sf.get("number"), "state_farm.number")
    if not (label and number and states):
        return None
    return ProducerServices(
        guide=reader.names(f.get("guide"), "producer_services.guide"),
        states=states,
        lines=lines,
        state_farm_label=label,
        state_farm_number=number,
        state_farm_guide=reader.names(sf.get("guide"), "state_farm.guide"),
        state_farm_row_on=reader.names(sf.get("row_on"), "state_farm.row_on"),
        state_farm_where=reader.where(sf.get("row_on") or f["state_farm"]),
        state_farm_row_unknown_on=reader.names(
            sf.get("row_unknown_on"), "state_farm.row_unknown_on"
        ),
    )


def _read_portal(reader: Reader, root: Node) -> PortalSpec | None:
    top = reader.mapping(root, "portal", _PORTAL_KEYS)
    if top is None:
        return None
    parameters = _read_parameters(reader, top["parameters"]) if "parameters" in top else None

    variants: list[Variant] = []
    vnode = top.get("verification_variants")
    if vnode is not None and not isinstance(vnode, SequenceNode):
        reader.fail(vnode, f"verification_variants: expected a list, found {kind(vnode)}")
    elif vnode is not None:
        for i, item in enumerate(vnode.value):
            vf = reader.mapping(item, f"verification_variants[{i}]", ("name", "parameters"))
            if vf is None:
                continue
            name = reader.string(vf.get("name"), f"verification_variants[{i}].name")
            overrides: dict[str, object] = {}
            for key, (key_node, value) in (
                (reader.entries(vf["parameters"], f"variant '{name}' parameters") or {}).items()
                if "parameters" in vf
                else ()
            ):
                if key not in _SCALAR_PARAMETERS:
                    reader.fail(key_node, f"variant '{name}': '{key}' is not a scalar parameter")
                    continue
                read = _read_scalar_parameter(reader, key, value, f"variant '{name}' {key}")
                if parameters is not None and read == getattr(parameters, key):
                    # A variant is there to walk what the shipped values never reach: one
                    # that repeats them leaves that reading unwalked, and verify's
                    # "unreached" would not say why.
                    typed = value.value if isinstance(value, ScalarNode) else read
                    reader.fail(
                        value,
                        f"variant '{name}': {key} is {typed} as in parameters, so the"
                        " variant reads nothing other there: give it the other value, or drop it",
                    )
                    continue
                if read is not None or key == "auto_unlock_after_minutes":
                    overrides[key] = read
            if name:
                variants.append(Variant(name, overrides))

    texts: dict[str, Text] = {}
    for key, (key_node, node) in (
        (reader.entries(top["texts"], "texts") or {}).items() if "texts" in top else ()
    ):
        text = _read_text(reader, key, node, key_node)
        if text:
            texts[key] = text

    screens: dict[str, ScreenSpec] = {}
    for key, (key_node, node) in (
        (reader.entries(top["screens"], "screens") or {}).items() if "screens" in top else ()
    ):
        screen = _read_screen(reader, key, node, key_node)
        if screen:
            screens[key] = screen
            for ref in screen.texts:
                if ref not in texts:
                    reader.fail(key_node, f"screen '{key}': text '{ref}' is not a key of texts")

    emails: dict[str, EmailTemplate] = {}
    for key, (key_node, node) in (
        (reader.entries(top["emails"], "emails") or {}).items() if "emails" in top else ()
    ):
        what = f"email '{key}'"
        ef = reader.mapping(node, what, ("guide", "subject", "body"))
        if ef is None:
            continue
        email_guide = reader.names(ef.get("guide"), f"{what}: guide")
        subject = (
            _read_part(reader, ef["subject"], f"{what}: subject", texts, email_guide)
            if "subject" in ef
            else None
        )
        body: list[TextPart] = []
        bnode = ef.get("body")
        if bnode is not None and not isinstance(bnode, SequenceNode):
            reader.fail(bnode, f"{what}: body: expected a list of paragraphs, found {kind(bnode)}")
        elif bnode is not None:
            for i, item in enumerate(bnode.value):
                part = _read_part(reader, item, f"{what}: body[{i}]", texts, email_guide)
                if part:
                    body.append(part)
        if subject and body:
            emails[key] = EmailTemplate(
                key,
                email_guide,
                subject,
                tuple(body),
                reader.where(key_node),
            )

    directory = (
        _read_directory(reader, top["producer_services"]) if "producer_services" in top else None
    )

    vocabulary = None
    vf = (
        reader.mapping(top["vocabulary"], "vocabulary", ("conditions", "actions"))
        if "vocabulary" in top
        else None
    )
    if vf is not None:
        groups: dict[str, dict[str, str]] = {}
        for group in ("conditions", "actions"):
            groups[group] = {}
            for name, (_, doc) in (
                (reader.entries(vf[group], f"vocabulary.{group}") or {}).items()
                if group in vf
                else ()
            ):
                groups[group][name] = reader.string(doc, f"vocabulary.{group}.{name}") or ""
        vocabulary = Vocabulary(groups["conditions"], groups["actions"])

    decisions: dict[str, Decision] = {}
    for key, (key_node, node) in (
        (reader.entries(top["decisions"], "decisions") or {}).items() if "decisions" in top else ()
    ):
        what = f"decision '{key}'"
        df = reader.mapping(node, what, ("question", "decision", "rationale"), ("parameter",))
        if df is None:
            continue
        q = reader.string(df.get("question"), f"{what}: question")
        d = reader.string(df.get("decision"), f"{what}: decision")
        r = reader.string(df.get("rationale"), f"{what}: rationale")
        if q and d and r:
            parameter = reader.optional_string(df.get("parameter"), f"{what}: parameter")
            decisions[key] = Decision(key, q, d, r, reader.where(key_node), parameter)

    deviations: list[Deviation] = []
    dnode = top.get("known_deviations")
    if dnode is not None and not isinstance(dnode, SequenceNode):
        reader.fail(dnode, f"known_deviations: expected a list, found {kind(dnode)}")
    elif dnode is not None:
        for i, item in enumerate(dnode.value):
            what = f"known_deviations[{i}]"
            xf = reader.mapping(item, what, ("guide", "what", "current_practice"))
            if xf is None:
                continue
            w = reader.string(xf.get("what"), f"{what}.what")
            c = reader.string(xf.get("current_practice"), f"{what}.current_practice")
            if w and c:
                deviations.append(
                    Deviation(
                        reader.names(xf.get("guide"), f"{what}.guide"), w, c, reader.where(item)
                    )
                )

    if parameters is None or directory is None or vocabulary is None:
        return None
    return PortalSpec(
        path=reader.name,
        parameters=parameters,
        variants=tuple(variants),
        screens=screens,
        texts=texts,
        emails=emails,
        producer_services=directory,
        vocabulary=vocabulary,
        decisions=decisions,
        known_deviations=tuple(deviations),
    )


# -- putting it together ------------------------------------------------------------------


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Flow files to validate together: each PATH (a file, or a directory's ``*.yaml``),
    completed by the other files beside the first one, so a lone file is checked in
    the context of its siblings. A given file stands in for a sibling of the same name."""
    given: list[Path] = []
    for path in paths:
        if path.is_dir():
            given.extend(sorted(path.glob("*.yaml")))
        else:
            given.append(path)
    if not given:
        return []
    names = {p.name for p in given}
    siblings = [p for p in sorted(given[0].parent.glob("*.yaml")) if p.name not in names]
    return [*given, *siblings]


def load_flows_dir(directory: str | Path, option: str = "flows") -> FlowSet:
    """The flows of one directory; a UsageError naming ``option`` when it is not one."""
    path = Path(directory)
    if not path.is_dir():
        raise UsageError(f"{option} {directory}: no such directory")
    return load_flows([path])


def load_flows(
    paths: Sequence[Path] | Path | None = None,
    guide_path: Path | None = None,
    display_root: Path | None = None,
    guide_optional: bool = False,
) -> FlowSet:
    """Load and validate flow files (default: the shipped ``flows/``).

    ``guide_optional``: when the guide cannot be read, the guide IDs are those the flows
    cite, each described by :data:`GUIDE_NOT_READ` (nothing is checked against GUIDE.md).

    Raises :class:`SpecError` listing every problem, each as ``file:line:column``.
    """
    from specs.validate import validate  # validate builds on the loaded objects

    if paths is None:
        paths = [DEFAULT_FLOWS_DIR]
    elif isinstance(paths, Path):
        paths = [paths]
    files = collect_files(paths)
    problems: list[SpecProblem] = []

    guide = guide_path or default_guide_path()
    guide_ids: dict[str, str] | None
    try:
        guide_ids = read_guide_ids(guide)
    except OSError as error:
        if guide_optional:
            guide_ids = None
        else:
            raise SpecError(
                [
                    SpecProblem(
                        str(guide),
                        1,
                        1,
                        f"cannot read the guide's ID list: {error.strerror}; set RPP_GUIDE",
                    )
                ]
            ) from None

    if not files:
        shown = ", ".join(str(p) for p in paths)
        raise SpecError([SpecProblem(shown, 1, 1, "no flow files (*.yaml) found")])

    portal: PortalSpec | None = None
    portal_seen = False
    flows: dict[str, FlowSpec] = {}
    for file in files:
        name = display_path(file, display_root)
        reader = Reader(name, "flow file")
        try:
            root = reader.compose(file)
        except SpecError as error:
            problems.extend(error.problems)
            if file.name == PORTAL_FILE:
                portal_seen = True
            continue
        if file.name == PORTAL_FILE:
            portal_seen = True
            portal = _read_portal(reader, root)
        else:
            flow = _read_flow(reader, root, file.stem)
            if flow is not None:
                if flow.machine in flows:
                    reader.fail(
                        root,
                        f"machine '{flow.machine}' is defined twice (also in {flows[flow.machine].path})",
                    )
                else:
                    flows[flow.machine] = flow
        problems.extend(reader.problems)
    if not portal_seen:
        raise SpecError(
            [
                *problems,
                SpecProblem(
                    display_path(files[0].parent, display_root),
                    1,
                    1,
                    f"no {PORTAL_FILE} beside the flows; it holds their texts, parameters and vocabulary",
                ),
            ]
        )
    if problems or portal is None:
        raise SpecError(
            problems or [SpecProblem(PORTAL_FILE, 1, 1, "portal.yaml could not be read")]
        )
    flow_set = FlowSet(portal=portal, flows=flows, guide_ids=guide_ids or {})
    if guide_ids is None:
        from specs.validate import citations

        cited = {gid: GUIDE_NOT_READ for gid, _, _ in citations(flow_set)}
        flow_set = dataclasses.replace(flow_set, guide_ids=dict(sorted(cited.items())))
    problems.extend(validate(flow_set))
    if problems:
        raise SpecError(problems)
    return flow_set


def display_path(path: Path, root: Path | None = None) -> str:
    """``path`` as a message shows it: relative to ``root``, else to the working
    directory, else as given."""
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
