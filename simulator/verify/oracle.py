"""Verify's oracle: what a portal's screen and emails must show at a step, by authority.

Every difference of a step is returned as a :class:`Difference` (what, expected, got,
the expectation's authority), not only the first. Two modes:

* ``strict``: the flows' screens and emails exactly (the project's own portal, the
  corpus, `rpp mutate` and CI); the texts are today's failure texts.
* ``guide``: what the guide fixes. Texts the guide gives must be contained in the page
  (whitespace-normalized, however the page splits them), reconstructed texts must
  contain the guide's words, screens by containment (a top bar, a panel, more text or
  a Log Out the guide does not mention are no failure), emails by the guide's lines in
  order (whitespace and blank lines not compared). Where the flows decided what the
  guide leaves open, a portal that differs is not failed: the difference is kept
  (``failing=False``) for the run's "decisions this portal makes differently". A
  team's own decided texts (:mod:`specs.team`) are checked exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from simulator.portal.screens import DirectoryRow, Screen
from simulator.verify.model import EmailSeen
from specs.authority import Authority, line_authorities, of_email_part, of_screen
from specs.model import EmailTemplate, PortalSpec

__all__ = [
    "MODES",
    "Difference",
    "Oracle",
    "first_difference",
    "normalized",
    "strict_screen",
]

MODES = ("strict", "guide")


@dataclass(frozen=True)
class Difference:
    """One way a step's screen or emails differ from the flows'.

    ``text`` is the difference as a failure prints it; ``failing`` is False for a
    decided element a portal may word its own way (guide mode); ``accepted`` names the
    team's acceptance it matched (:class:`specs.team.Acceptance`)."""

    what: str  # "message", "text", "the title", "email 1 Subject", "button" ...
    expected: str
    got: str
    authority: Authority
    text: str
    failing: bool = True
    accepted: str | None = field(default=None, compare=False)

    @property
    def decision(self) -> str | None:
        return self.authority.decision

    @property
    def guide(self) -> tuple[str, ...]:
        return self.authority.guide

    def as_dict(self) -> dict[str, object]:
        return {
            "what": self.what,
            "expected": self.expected,
            "got": self.got,
            "authority": self.authority.kind,
            "decision": self.authority.decision,
            "guide": list(self.authority.guide),
        }


def first_difference(want: str, got: str) -> str:
    """Where two texts part: the position, and each side's character there with its
    Unicode name (a hyphen for an en dash is otherwise hard to see)."""
    for i, (a, b) in enumerate(zip(want, got, strict=False)):
        if a != b:
            return (
                f"first difference at character {i + 1}: expected {a!r} ({_name(a)}),"
                f" got {b!r} ({_name(b)})"
            )
    shorter, longer = ("got", want) if len(got) < len(want) else ("expected", got)
    return f"{shorter} stops at character {min(len(want), len(got))} of {len(longer)}"


def _name(character: str) -> str:
    return unicodedata.name(character, f"U+{ord(character):04X}")


def normalized(text: str) -> str:
    """``text`` with every run of whitespace (line breaks, blank lines) one space."""
    return " ".join(text.split())


# How the model masks a temporary password of another form (model.temporary_password_mask).
_TEMPORARY_FORM = re.compile(r"\{temporary_password: ([^}]*)\}")
# A value the model put in place of what the portal showed: a producer's detail, a state.
_PLACEHOLDER = re.compile(r"\{[a-z_.]+(?: [a-z ]+)?\}")


_GUIDE = Authority("guide")
_TEAM = "team"  # a team's own decided text: checked exactly (specs.team)


class Oracle:
    """The comparisons of one run: ``mode`` (one of :data:`MODES`) over the flows'
    ``portal``; ``team_texts``: the lines of a team's own decided texts, which are
    checked exactly (and so fail, not differ, in guide mode)."""

    def __init__(
        self, portal: PortalSpec | None, mode: str = "strict", team_texts: Iterable[str] = ()
    ) -> None:
        if mode not in MODES or (portal is None and mode != "strict"):
            raise ValueError(f"oracle mode {mode!r}: one of {', '.join(MODES)}, given the flows")
        self.portal = portal
        self.mode = mode
        self.team_texts = frozenset(normalized(t) for t in team_texts)
        self._lines = line_authorities(portal) if portal is not None else {}
        self._known = frozenset(normalized(line) for line in self._lines)
        self._templates = {t.subject.text: t for t in portal.emails.values()} if portal else {}

    @property
    def _flows(self) -> PortalSpec:
        assert self.portal is not None  # guide mode is always given the flows
        return self.portal

    # -- screens -------------------------------------------------------------------

    def screens(self, want: Screen, got: Screen) -> list[Difference]:
        """Every difference of ``got`` from the flows' ``want``, in the order a producer
        reads the page."""
        if want == got:  # the same screen: nothing differs, under any authority
            return []
        if self.mode == "strict":
            return strict_screen(want, got)
        if want.name != got.name:
            return [_other_screen(want, got)]
        return self._guide_screen(want, got)

    def _guide_screen(self, want: Screen, got: Screen) -> list[Difference]:
        out: list[Difference] = []
        name = want.name
        if normalized(want.title) != normalized(got.title):
            authority = of_screen(self._flows, name, "title")
            text = f"the title: expected {want.title!r}, got {got.title!r} ({_describe(authority)})"
            out.append(self._judged("the title", want.title, got.title, authority, text))
        out += self._messages(want, got)
        out += self._texts(want, got)
        for element, what, a, b in (
            ("fields", "field", want.fields, got.fields),
            ("fields", 'field marked required "*"', want.required, got.required),
            ("buttons", "button", want.buttons, got.buttons),
            ("links", "link", want.links, got.links),
            ("menus", "menu", want.menus, got.menus),
        ):
            shown = {normalized(x) for x in b}
            for label in a:
                if normalized(label) in shown:
                    continue
                authority = of_screen(self._flows, name, element, label)
                text = (
                    f"{what} {label!r} is not on the page ({_describe(authority)}); it shows"
                    f" {list(b)!r}"
                )
                out.append(self._judged(what, label, ", ".join(b), authority, text))
        held = set(got.menu_links)
        for link, menu in want.menu_links:
            if (link, menu) not in held:
                authority = of_screen(self._flows, name, "menu_links", link)
                text = (
                    f"the menus' links: expected {link!r} in the {menu} menu, got"
                    f" {_in_menus(got)} ({_describe(authority)})"
                )
                out.append(
                    self._judged(
                        "the menus' links", f"{link} in {menu}", _in_menus(got), authority, text
                    )
                )
        out += _chosen_state(want, got)
        if want.directory_states != got.directory_states:
            out += _lines("Producer Services column", want.directory_states, got.directory_states)
        out += _directory(want, got, ordered=False)
        return out

    def _judged(
        self, what: str, expected: str, got: str, authority: Authority, text: str
    ) -> Difference:
        """A difference, not failing when what the flows expect there is decided."""
        decided = authority.kind == "decided" and normalized(expected) not in self.team_texts
        return Difference(what, expected, got, authority, text, failing=not decided)

    def _authority(self, screen: str, element: str, line: str) -> Authority:
        """A line's authority on ``screen``: the screen's decision for the whole element
        (welcome's texts), else the text's own, a team's text checked exactly."""
        whole = of_screen(self._flows, screen, element)
        if whole.kind == "decided":
            return whole
        authority = self._lines.get(line, _GUIDE)
        if authority.kind == "decided" and normalized(line) in self.team_texts:
            return replace(authority, kind=_TEAM)
        return authority

    def _messages(self, want: Screen, got: Screen) -> list[Difference]:
        """Each message the flows show must be among the portal's messages: a guide's
        letter for letter, a reconstructed one by the guide's words; a decided one
        worded otherwise differs, one the portal does not show in its place fails."""
        page = normalized(" ".join(got.messages))
        unmatched: list[tuple[str, Authority]] = []
        matched: list[str] = []
        for message in want.messages:
            authority = self._authority(want.name, "texts", message)
            if _contains(page, message, authority):
                matched.append(normalized(message))
            else:
                unmatched.append((message, authority))
        # The portal's messages none of the flows' accounts for (a message split in
        # two is accounted for by the one it is part of).
        others = [m for m in got.messages if not any(normalized(m) in shown for shown in matched)]
        # A text of the flows' own shown instead (LOCK-1 where the flows refuse an empty
        # form) is another behaviour, not another wording: it takes no decided message's place.
        theirs = [m for m in others if normalized(m) not in self._known]
        out: list[Difference] = []
        decided = [m for m, a in unmatched if a.kind == "decided"]
        # One message of the portal's own for each the flows decided: in order, one for
        # one; else (one message for several fields) all of them for each.
        instead = dict(zip(decided, theirs, strict=True)) if len(decided) == len(theirs) else {}
        for message, authority in unmatched:
            if authority.kind == "decided" and theirs:
                shown = instead.get(message, " / ".join(theirs))
                text = (
                    f"message: the flows decided {message!r}, the portal shows"
                    f" {shown!r} ({_describe(authority)})"
                )
                out.append(self._judged("message", message, shown, authority, text))
                continue
            text = f"message: expected {message!r} ({_describe(authority)})\n  got {list(got.messages)!r}"
            out.append(Difference("message", message, " / ".join(got.messages), authority, text))
        if others and not want.messages:
            text = f"message: expected none, got {others!r}"
            out.append(Difference("message", "", " / ".join(others), _GUIDE, text))
        return out

    def _texts(self, want: Screen, got: Screen) -> list[Difference]:
        """Each text the flows show must be on the page (title, messages and texts,
        however split); more text is no failure."""
        page = normalized(" ".join((got.title, *got.messages, *got.texts)))
        out: list[Difference] = []
        for line in want.texts:
            authority = self._authority(want.name, "texts", line)
            if _contains(page, line, authority):
                continue
            text = f"text: expected {line!r} on the page ({_describe(authority)})\n  got {list(got.texts)!r}"
            out.append(self._judged("text", line, " / ".join(got.texts), authority, text))
        return out

    # -- emails --------------------------------------------------------------------

    def emails(self, want: Sequence[EmailSeen], got: Sequence[EmailSeen]) -> list[Difference]:
        """Every difference of the emails a step caused from the flows' (their number
        first: other emails are not compared line by line)."""
        if tuple(want) == tuple(got):
            return []
        if len(want) != len(got):
            text = (
                f"expected {len(want)} email(s) {[e.subject for e in want]!r},"
                f" got {len(got)} {[e.subject for e in got]!r}"
            )
            return [
                Difference(
                    "the emails",
                    ", ".join(e.subject for e in want),
                    ", ".join(e.subject for e in got),
                    _GUIDE,
                    text,
                )
            ]
        out: list[Difference] = []
        for number, (a, b) in enumerate(zip(want, got, strict=True), 1):
            out += self._email(number, a, b)
        return out

    def _email(self, number: int, a: EmailSeen, b: EmailSeen) -> list[Difference]:
        template = self._templates.get(a.subject)
        out: list[Difference] = []
        for what, x, y, authority in (
            ("From", a.sender, b.sender, self._sender()),
            ("To", a.to, b.to, _GUIDE),
            ("Subject", a.subject, b.subject, self._subject(template)),
        ):
            same = x == y if self.mode == "strict" else normalized(x) == normalized(y)
            if not same:
                text = f"email {number} {what}: expected {x!r}, got {y!r}"
                if self.mode == "strict":
                    out.append(Difference(f"email {number} {what}", x, y, authority, text))
                else:
                    text += f" ({_describe(authority)})"
                    out.append(self._judged(f"email {number} {what}", x, y, authority, text))
        form = _TEMPORARY_FORM.search(b.body)
        if a.body != b.body and form is not None and form.group(0) not in a.body:
            text = (
                f"email {number} ({a.subject}): the temporary password's form:"
                f" {form.group(1)} (decision temporary-password-rules)"
            )
            decision = Authority("decided", decision="temporary-password-rules")
            out.append(
                Difference(f"email {number} temporary password", "", form.group(1), decision, text)
            )
        elif self.mode == "strict" and a.body != b.body:
            text = (
                f"email {number} ({a.subject}) body: {first_difference(a.body, b.body)}"
                f"\n--- expected\n{a.body}\n--- got\n{b.body}"
            )
            out.append(Difference(f"email {number} body", a.body, b.body, _GUIDE, text))
        elif self.mode == "guide":
            out += self._guide_body(number, a, b, template)
        return out

    def _sender(self) -> Authority:
        decision = "email-sender"
        if self.portal is not None and decision in self.portal.decisions:
            return Authority("decided", decision=decision)
        return _GUIDE

    def _subject(self, template: EmailTemplate | None) -> Authority:
        if template is None or self.portal is None:
            return _GUIDE
        return of_email_part(self.portal, template.subject)

    def _guide_body(
        self, number: int, a: EmailSeen, b: EmailSeen, template: EmailTemplate | None
    ) -> list[Difference]:
        """The flows' lines in the portal's email, in order, whitespace not compared:
        a guide's line letter for letter, a reconstructed one by its words; a decided
        line may be worded otherwise, but the values it gives (the temporary password,
        the user names) must be in the email."""
        paragraphs = [p for p in a.body.split("\n\n") if p.strip()]
        if template is not None and len(template.body) == len(paragraphs):
            authorities = [of_email_part(self._flows, part) for part in template.body]
        else:
            authorities = [_GUIDE] * len(paragraphs)
        body = normalized(b.body)
        where = f"email {number} ({a.subject})"
        at = 0
        out: list[Difference] = []
        for line, authority in zip(paragraphs, authorities, strict=True):
            wanted = normalized(line)
            if authority.kind == "decided" and wanted in self.team_texts:
                authority = replace(authority, kind=_TEAM)
            found = body.find(wanted, at)
            if found >= 0:
                at = found + len(wanted)
                continue
            if authority.kind == "reconstructed" and _contains(body, line, authority):
                continue
            if authority.kind == "decided":
                values = [v for v in _PLACEHOLDER.findall(line) if v not in body]
                if values:
                    text = (
                        f"{where}: {', '.join(values)} is not in the email ({_describe(authority)})"
                    )
                    out.append(Difference(f"email {number} body", line, "", authority, text))
                else:
                    text = f"{where}: the flows decided the line {line!r} ({_describe(authority)})"
                    out.append(
                        self._judged(
                            f"email {number} body", line, "worded otherwise", authority, text
                        )
                    )
                continue
            earlier = body.find(wanted)
            said = "out of order" if earlier >= 0 else "missing"
            text = (
                f"{where}: the line {line!r} is {said} ({_describe(authority)})\n--- got\n{b.body}"
            )
            out.append(Difference(f"email {number} body", line, said, authority, text))
        return out


def strict_screen(want: Screen, got: Screen) -> list[Difference]:
    """Whole screens, exactly: every difference, in the order a producer reads (another
    screen, or another title, is one difference)."""
    if want.name != got.name or want.title != got.title:
        return [_other_screen(want, got)]
    out = _lines("message", want.messages, got.messages)
    out += _lines("text", want.texts, got.texts)
    for what, a, b in (
        ("field", want.fields, got.fields),
        ('field marked required "*"', want.required, got.required),
        ("button", want.buttons, got.buttons),
        ("link", want.links, got.links),
        ("menu item", want.menus, got.menus),
        ("Producer Services column", want.directory_states, got.directory_states),
    ):
        out += _lines(what, a, b)
    if want.menu_links != got.menu_links:
        text = f"the menus' links: expected {_in_menus(want)}, got {_in_menus(got)}"
        out.append(Difference("the menus' links", _in_menus(want), _in_menus(got), _GUIDE, text))
    out += _chosen_state(want, got)
    out += _directory(want, got, ordered=True)
    return out


def _other_screen(want: Screen, got: Screen) -> Difference:
    text = (
        f"expected the {want.name} screen ({want.title!r}), got {got.name}"
        f" ({got.title!r})\n{got.describe()}"
    )
    return Difference("the screen", want.name, got.name, _GUIDE, text)


def _describe(authority: Authority) -> str:
    """The authority as a failure names it ("guide LOGIN-1", "decision ...")."""
    if authority.kind == _TEAM:
        return "the team's text"
    return authority.describe() if authority.guide or authority.kind != "guide" else "the guide"


def _contains(page: str, line: str, authority: Authority) -> bool:
    """Whether the normalized ``page`` shows ``line``: a reconstructed text by the
    guide's words (any case), any other letter for letter."""
    if normalized(line) in page:
        return True
    if authority.kind == "reconstructed" and authority.words:
        folded = page.casefold()
        return all(normalized(w).casefold() in folded for w in authority.words)
    return False


def _lines(what: str, want: tuple[str, ...], got: tuple[str, ...]) -> list[Difference]:
    """Lists compared exactly: each differing position, or what is missing and
    unexpected when their lengths differ."""
    if want == got:
        return []
    out = []
    if len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            if a != b:
                text = f"{what} {i + 1}: expected {a!r}\n  got {b!r}\n  ({first_difference(a, b)})"
                out.append(Difference(what, a, b, _GUIDE, text))
        return out
    missing = [x for x in want if x not in got]
    extra = [x for x in got if x not in want]
    for i, (a, b) in enumerate(zip(want, got, strict=False)):
        if a != b:
            text = f"{what} {i + 1}: expected {a!r}\n  got {b!r}\n  ({first_difference(a, b)})"
            out.append(Difference(what, a, b, _GUIDE, text))
            break
    text = (
        f"{what}: expected {len(want)}, got {len(got)}"
        + (f"; missing {missing!r}" if missing else "")
        + (f"; unexpected {extra!r}" if extra else "")
    )
    out.append(Difference(what, ", ".join(want), ", ".join(got), _GUIDE, text))
    return out


def _in_menus(screen: Screen) -> str:
    """Which menu holds which link, as a person reads it (Screen.menu_links)."""
    held = [f"{link!r} in the {menu} menu" for link, menu in screen.menu_links]
    return ", ".join(held) or "no link in a menu"


def _chosen_state(want: Screen, got: Screen) -> list[Difference]:
    if want.chosen_state == got.chosen_state:
        return []
    a, b = want.chosen_state or "no state", got.chosen_state or "no state"
    text = f"the State field: expected {a} chosen, got {b}"
    return [Difference("the State field", a, b, Authority("guide", ("LOGIN-4",)), text)]


def _unknown(cell: str | None) -> str:
    return "unknown" if cell is None else repr(cell)


_SERVICES = Authority("guide", ("SERVICES-1",))


def _directory(want: Screen, got: Screen, ordered: bool) -> list[Difference]:
    """The Producer Services table (SERVICES-1): every row the flows give, its cells;
    a row the guide may hide (decision reset-form-state-farm-row) shown or not."""
    want_rows = {row.label: row for row in want.directory}
    got_rows = {row.label: row for row in got.directory}
    maybe = {row.label: row for row in want.directory_unknown if row.label not in want_rows}
    out: list[Difference] = []

    def differ(what: str, expected: str, shown: str, text: str) -> None:
        out.append(Difference(what, expected, shown, _SERVICES, text))

    for label, row in want_rows.items():
        if label not in got_rows:
            differ(
                "Producer Services", label, "", f"Producer Services: the row {label!r} is missing"
            )
            continue
        out += _cells(want.directory_states, row, got_rows[label])
    for label, row in maybe.items():
        if label in got_rows:
            out += _cells(want.directory_states, row, got_rows[label])
    extra = [label for label in got_rows if label not in want_rows and label not in maybe]
    if extra:
        differ(
            "Producer Services",
            "",
            ", ".join(extra),
            f"Producer Services: unexpected row(s) {extra!r}",
        )
    rows = [r.label for r in got.directory if r.label not in maybe]
    if ordered and not out and [r.label for r in want.directory] != rows:
        differ("Producer Services", "", "", "Producer Services: the rows are in another order")
    return out


def _cells(states: tuple[str, ...], want: DirectoryRow, got: DirectoryRow) -> list[Difference]:
    out = []
    for column, cell, shown in zip(states, want.numbers, got.numbers, strict=False):
        if cell != shown:
            text = (
                f"Producer Services {want.label!r} {column}: the directory gives"
                f" {_unknown(shown)}, expected {_unknown(cell)}"
            )
            out.append(
                Difference(
                    f"Producer Services {column}", _unknown(cell), _unknown(shown), _SERVICES, text
                )
            )
    if len(want.numbers) != len(got.numbers):
        text = f"Producer Services {want.label!r}: {len(got.numbers)} cells"
        out.append(
            Difference(
                "Producer Services", str(len(want.numbers)), str(len(got.numbers)), _SERVICES, text
            )
        )
    return out
