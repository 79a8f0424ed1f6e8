"""The guide's texts by name: a step may name a text of ``flows/portal.yaml`` by its key
(``the account_locked message``) or by the guide ID it carries (``the LOCK-1 message``)
instead of quoting it. The texts stay in portal.yaml; steps look them up here.

Each text is of one kind, read from the spec: a ``page text`` (a screen lists it), an
``email paragraph`` (an email's body refers to it) or a ``message`` (what a transition
``shows``, or a form's field message). A guide ID names a text when exactly one text of
the kind a step wants carries it (or, failing that, exactly one text at all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from specs.model import PortalSpec, Text

__all__ = [
    "EMAIL_PARAGRAPH",
    "MESSAGE",
    "PAGE_TEXT",
    "TEXT_REF",
    "NamedText",
    "named_texts",
    "resolve",
]

MESSAGE = "message"
PAGE_TEXT = "page text"
EMAIL_PARAGRAPH = "email paragraph"

# What a step template's ``{name:text_ref}`` field matches: a guide ID or a text's key.
TEXT_REF = r"[A-Z]+-\d+|[a-z][a-z0-9_]*"
_GUIDE_ID = re.compile(r"[A-Z]+-\d+")


@dataclass(frozen=True)
class NamedText:
    """A text of portal.yaml as steps name it."""

    key: str
    kind: str
    text: Text


def named_texts(portal: PortalSpec) -> list[NamedText]:
    """Every text of portal.yaml with its kind, in portal.yaml's order."""
    on_pages = {key for screen in portal.screens.values() for key in screen.texts}
    in_emails = {
        part.text_ref for email in portal.emails.values() for part in email.body if part.text_ref
    }
    out = []
    for key, text in portal.texts.items():
        kind = PAGE_TEXT if key in on_pages else EMAIL_PARAGRAPH if key in in_emails else MESSAGE
        out.append(NamedText(key, kind, text))
    return out


def _listing(texts: list[NamedText]) -> str:
    return ", ".join(f"{t.key} ({', '.join(t.text.guide)})" for t in texts) or "none"


def resolve(portal: PortalSpec, ref: str, kind: str) -> Text:
    """The text ``ref`` names (a key, or a guide ID naming one text of ``kind``); an
    AssertionError naming the candidates when it names none or several."""
    texts = named_texts(portal)
    if not _GUIDE_ID.fullmatch(ref):
        for named in texts:
            if named.key == ref:
                return named.text
        same_kind = [t for t in texts if t.kind == kind]
        raise AssertionError(
            f"no text of flows/portal.yaml is named {ref!r}; the {kind}s are: {_listing(same_kind)}"
            " (features/STEPS.md lists every text)"
        )
    carrying = [t for t in texts if ref in t.text.guide]
    of_kind = [t for t in carrying if t.kind == kind]
    for candidates in (of_kind, carrying):
        if len(candidates) == 1:
            return candidates[0].text
    if not carrying:
        raise AssertionError(
            f"no text of flows/portal.yaml carries the guide ID {ref}; name the text by its key"
            " (features/STEPS.md lists every text)"
        )
    raise AssertionError(
        f"the guide ID {ref} names several texts: {_listing(of_kind or carrying)};"
        " name the one meant by its key"
    )
