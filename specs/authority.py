"""The authority of every expectation of the flows: the guide, the guide's description, or
a decision of portal.yaml where the guide is silent.

- **guide**: a text with ``source: quoted`` or ``ocr_corrected``, or a screen element the
  screen's ``guide:`` IDs give; the portal must show it letter for letter.
- **reconstructed**: ``source: reconstructed``, rebuilt from the guide's description; its
  ``words:`` are the guide's own words the portal's text must contain.
- **decided**: ``source: decided`` with ``decision:``, or a screen element its ``decided:``
  map names; the portal may decide otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.model import PortalSpec, ScreenSpec, Text, TextPart

__all__ = [
    "GIVEN_SOURCES",
    "SCREEN_ELEMENTS",
    "Authority",
    "line_authorities",
    "of_email_part",
    "of_screen",
    "of_text",
]

GUIDE = "guide"
RECONSTRUCTED = "reconstructed"
DECIDED = "decided"
GIVEN_SOURCES = ("quoted", "ocr_corrected")

SCREEN_ELEMENTS = ("title", "texts", "menus", "fields", "buttons", "links", "menu_links")
"""What a screen's ``decided:`` may name besides one label the screen shows."""


@dataclass(frozen=True)
class Authority:
    """Why the flows expect what they expect."""

    kind: str  # GUIDE | RECONSTRUCTED | DECIDED
    guide: tuple[str, ...] = ()  # guide IDs
    decision: str | None = None  # decided: the decision's id
    words: tuple[str, ...] = ()  # reconstructed: the guide's words the text must contain

    def describe(self) -> str:
        """One line for a reader: "guide LOGIN-1", "reconstructed from USER-5",
        "decision welcome-page-content"."""
        if self.kind == DECIDED:
            return f"decision {self.decision}"
        ids = ", ".join(self.guide) or "the guide"
        if self.kind == RECONSTRUCTED:
            return f"reconstructed from {ids}"
        return f"guide {ids}"


def _of(
    source: str, guide: tuple[str, ...], decision: str | None, words: tuple[str, ...]
) -> Authority:
    if source == "decided":
        return Authority(DECIDED, guide, decision)
    if source == "reconstructed":
        return Authority(RECONSTRUCTED, guide, words=words)
    return Authority(GUIDE, guide)


def of_text(portal: PortalSpec, key: str) -> Authority:
    """The authority of the ``texts:`` entry ``key`` (KeyError when there is none)."""
    text: Text = portal.texts[key]
    return _of(text.source, text.guide, text.decision, text.words)


def of_screen(portal: PortalSpec, screen: str, element: str, label: str | None = None) -> Authority:
    """The authority of one element of ``screen`` ("title", "texts", "menus", "fields",
    "buttons", "links", "menu_links"), or of one ``label`` shown there: its ``decided:``
    decision (the label's before the element's), else the screen's guide IDs."""
    spec: ScreenSpec = portal.screens[screen]
    decision = spec.decided.get(label) if label is not None else None
    decision = decision or spec.decided.get(element)
    if decision is not None:
        return Authority(DECIDED, spec.guide, decision)
    return Authority(GUIDE, spec.guide)


def of_email_part(portal: PortalSpec, part: TextPart) -> Authority:
    """The authority of an email's subject or body paragraph (a ``text_ref`` part: its text's)."""
    if part.text_ref is not None and part.text_ref in portal.texts:
        return of_text(portal, part.text_ref)
    return _of(part.source, part.guide, part.decision, part.words)


def line_authorities(portal: PortalSpec) -> dict[str, Authority]:
    """Every rendered line of ``texts:`` (each line of a multi-line text) -> its authority.
    Where two texts share a line, the guide's authority wins over a reconstruction or a
    decision (the line is then the guide's, whatever else uses it)."""
    rank = {GUIDE: 0, RECONSTRUCTED: 1, DECIDED: 2}
    out: dict[str, Authority] = {}
    for key, text in portal.texts.items():
        authority = of_text(portal, key)
        for line in text.lines:
            known = out.get(line)
            if known is None or rank[authority.kind] < rank[known.kind]:
                out[line] = authority
    return out
