"""Typed, immutable spec objects: what the YAML says, after the schema check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "Cell",
    "Decision",
    "Deviation",
    "EmailTemplate",
    "FlowSet",
    "FlowSpec",
    "Parameters",
    "PasswordPolicy",
    "PortalSpec",
    "ProducerServices",
    "ScreenSpec",
    "ServiceLine",
    "StateSpec",
    "Text",
    "TextPart",
    "TransitionSpec",
    "Variant",
    "Vocabulary",
    "Where",
]


@dataclass(frozen=True)
class Where:
    """A position in a flow file (1-based)."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int
    max_length: int
    allowed: str  # "letters_and_digits"

    def accepts(self, password: str) -> bool:
        """True when ``password`` has an allowed length and only ASCII letters/digits."""
        return (
            self.min_length <= len(password) <= self.max_length
            and password.isascii()
            and password.isalnum()
        )


@dataclass(frozen=True)
class Parameters:
    lockout_threshold: int
    auto_unlock_after_minutes: int | None
    temporary_password_valid_minutes: int
    temporary_password_length: int
    password_policy: PasswordPolicy
    states: tuple[str, ...]
    sender: str
    # RESET-6: the temporary password is case-sensitive; optional in portal.yaml.
    temporary_password_case_sensitive: bool = True
    # Decision recovery-email-limit: at most this many recovery emails to one address
    # in any 60 minutes (None: no limit); optional in portal.yaml.
    recovery_emails_per_hour: int | None = None
    # Decision empty-login-counts: an empty User Name or Password is a failed attempt
    # (false: refused with login_fields_required, not counted); optional in portal.yaml.
    empty_login_counts: bool = True
    # Decision wrong-current-password-counts: a wrong Current Password counts toward the
    # lock-out (false: current_password_incorrect, nothing counted); optional in portal.yaml.
    wrong_current_password_counts: bool = True


@dataclass(frozen=True)
class Variant:
    """Parameter values `rpp verify` also explores."""

    name: str
    parameters: Mapping[str, object]


@dataclass(frozen=True)
class Text:
    key: str
    guide: tuple[str, ...]
    source: str
    lines: tuple[str, ...]
    note: str | None
    where: Where
    # Decided texts: the decision (a key of portal.yaml `decisions`) that words them.
    decision: str | None = None
    # Reconstructed texts: the guide's own words the text keeps (each in the text).
    words: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class ScreenSpec:
    name: str
    guide: tuple[str, ...]
    title: str
    fields: tuple[str, ...]
    buttons: tuple[str, ...]
    links: tuple[str, ...]
    menus: tuple[str, ...]
    texts: tuple[str, ...]
    directory: bool
    clicks: Mapping[str, str]  # button/link label -> trigger
    where: Where
    menu_links: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # menu -> its links
    # The fields the screen marks required with "*" (USER-8, RESET-2, RESET-9).
    required: tuple[str, ...] = ()
    # What the guide does not show: element ("title", "texts", ... or a label) -> decision.
    decided: Mapping[str, str] = field(default_factory=dict)
    decided_where: Mapping[str, Where] = field(default_factory=dict)


@dataclass(frozen=True)
class TextPart:
    """A subject or body paragraph of an email template (``{name}`` placeholders)."""

    text: str
    source: str
    note: str | None
    text_ref: str | None
    decision: str | None = None  # decided parts: the decision that words them
    words: tuple[str, ...] = ()  # reconstructed parts: the guide's words they keep
    guide: tuple[str, ...] = ()  # the guide IDs behind it (its text's, or its email's)
    where: Where | None = None


@dataclass(frozen=True)
class EmailTemplate:
    key: str
    guide: tuple[str, ...]
    subject: TextPart
    body: tuple[TextPart, ...]
    where: Where


@dataclass(frozen=True)
class Cell:
    """A directory cell: a number (None when illegible) and the date shown beside it
    ("prior to May 1, 2019"), which says which business it serves, not when to call."""

    number: str | None
    shown: str | None = None

    @property
    def text(self) -> str | None:
        """The cell as the table shows it: the number and its date; None when illegible."""
        if self.number is None:
            return None
        return " ".join(filter(None, (self.number, self.shown)))


@dataclass(frozen=True)
class ServiceLine:
    key: str
    label: str
    cells: Mapping[str, Cell]


@dataclass(frozen=True)
class ProducerServices:
    guide: tuple[str, ...]
    states: tuple[str, ...]
    lines: Mapping[str, ServiceLine]
    state_farm_label: str
    state_farm_number: str
    state_farm_guide: tuple[str, ...]
    # The screens whose table has the State Farm row (its cells illegible: unknown).
    state_farm_row_on: tuple[str, ...] = ()
    state_farm_where: Where | None = None
    # The screens whose table may or may not have it: the screenshot is cut off above it.
    state_farm_row_unknown_on: tuple[str, ...] = ()

    def number(self, us_state: str, line: str) -> str | None:
        """The number of the directory row ``line`` for ``us_state``; None when unknown."""
        return self.lines[line].cells[us_state].number

    def for_producer(self, us_state: str, line: str, state_farm: bool) -> str | None:
        """The number a producer calls: State Farm agents have their own (SERVICES-2)."""
        return self.state_farm_number if state_farm else self.number(us_state, line)


@dataclass(frozen=True)
class Decision:
    key: str
    question: str
    decision: str
    rationale: str
    where: Where
    # A behavioural reading of a silent guide: the parameter (of `parameters`) it sets.
    parameter: str | None = None


@dataclass(frozen=True)
class Deviation:
    guide: tuple[str, ...]
    what: str
    current_practice: str
    where: Where


@dataclass(frozen=True)
class Vocabulary:
    conditions: Mapping[str, str]
    actions: Mapping[str, str]


@dataclass(frozen=True)
class PortalSpec:
    """portal.yaml: what the flows share."""

    path: str
    parameters: Parameters
    variants: tuple[Variant, ...]
    screens: Mapping[str, ScreenSpec]
    texts: Mapping[str, Text]
    emails: Mapping[str, EmailTemplate]
    producer_services: ProducerServices
    vocabulary: Vocabulary
    decisions: Mapping[str, Decision]
    known_deviations: tuple[Deviation, ...]


@dataclass(frozen=True)
class StateSpec:
    name: str
    guide: tuple[str, ...]
    description: str
    final: bool
    where: Where


@dataclass(frozen=True)
class TransitionSpec:
    machine: str
    id: str
    trigger: str
    sources: tuple[str, ...]
    dest: str
    conditions: tuple[str, ...]
    unless: tuple[str, ...]
    before: tuple[str, ...]
    after: tuple[str, ...]
    shows: str | None
    guide: tuple[str, ...]
    note: str | None
    where: Where
    decisions: tuple[str, ...] = ()  # the decisions (portal.yaml) the behaviour rests on

    @property
    def name(self) -> str:
        """``machine.id``: how reports name a transition."""
        return f"{self.machine}.{self.id}"

    @property
    def guard(self) -> str:
        """The guards as one readable string, e.g. ``[a, not b]``."""
        parts = [*self.conditions, *(f"not {u}" for u in self.unless)]
        return f"[{', '.join(parts)}]" if parts else ""


@dataclass(frozen=True)
class FlowSpec:
    """One flow file: one `transitions` machine."""

    path: str
    machine: str
    model: str
    initial: str
    states: Mapping[str, StateSpec]
    transitions: tuple[TransitionSpec, ...]
    where: Where


@dataclass(frozen=True)
class FlowSet:
    """Every flow and portal.yaml, validated together against the guide's IDs."""

    portal: PortalSpec
    flows: Mapping[str, FlowSpec]
    guide_ids: Mapping[str, str] = field(default_factory=dict)

    def flows_of(self, model: str) -> list[FlowSpec]:
        return [f for f in self.flows.values() if f.model == model]

    @property
    def models(self) -> list[str]:
        return sorted({f.model for f in self.flows.values()})

    def transitions(self) -> list[TransitionSpec]:
        return [t for f in self.flows.values() for t in f.transitions]
