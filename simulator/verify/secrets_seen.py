"""The secrets a verify run sees, found and masked by value.

A portal's reset email may give the temporary password in its own words. It is found,
in this order:

1. the target's own reader, when it declares one (``Target.temporary_password(message)``,
   docs: the driver protocol): what it returns is the password (None: the email gives none);
2. the flows' line (``Temporary Password: {temporary_password}``), as the reference writes it;
3. the one word of the email that the flows' templates and texts never use, that names
   no producer of the journey, and that has the form of a temporary password: letters
   and digits, ``temporary_password_length`` characters (letters mixed with digits
   preferred).

Every secret found, and every producer password, is then hidden by value, in any case,
from whatever verify prints or writes (:func:`mask`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from email.message import EmailMessage

from simulator.mail.messages import (
    MissingEmailPart,
    body_of,
    email_kind,
    temporary_password_in,
)
from specs.model import Parameters, PortalSpec

__all__ = ["HIDDEN", "TemporaryPasswordReader", "mask", "temporary_password_reader"]

HIDDEN = "[password hidden]"

TemporaryPasswordReader = Callable[[EmailMessage], str | None]
"""The temporary password an email gives, or None when it gives none."""

_WORD = re.compile(r"[^\s]+")
_PUNCTUATION = ".,;:!?\"'()[]{}<>*«»“”‘’"


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret, in any case, replaced by :data:`HIDDEN` (the longest
    first, so a password is never half hidden by a shorter one inside it)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = re.sub(re.escape(secret), HIDDEN, text, flags=re.IGNORECASE)
    return text


def temporary_password_reader(
    portal: PortalSpec,
    parameters: Parameters,
    target: object | None = None,
    known: Callable[[], Iterable[str]] = tuple,
) -> TemporaryPasswordReader:
    """A reader of the temporary password in an email of ``target`` (see the module's
    order); ``known()``: the journey's own values (user names, Agent Unique IDs,
    addresses), never taken for a password."""
    declared = getattr(target, "temporary_password", None)
    if callable(declared):

        def by_target(message: EmailMessage) -> str | None:
            found = declared(message)
            return str(found) if found else None

        return by_target
    vocabulary: list[frozenset[str]] = []  # made on first need: most emails never need it

    def read(message: EmailMessage) -> str | None:
        try:
            kind: str | None = email_kind(message, portal)
        except MissingEmailPart:
            kind = None  # a subject of the team's own: the body decides
        if kind not in (None, "password_reset"):
            return None
        try:
            return temporary_password_in(message, portal)
        except MissingEmailPart:
            pass
        try:
            body = body_of(message)
        except MissingEmailPart:
            return None
        if not vocabulary:
            vocabulary.append(_vocabulary(portal))
        return _by_form(body, vocabulary[0], parameters, {k.casefold() for k in known()})

    return read


def _vocabulary(portal: PortalSpec) -> frozenset[str]:
    """Every word of the flows' emails and texts, case folded."""
    texts = [part.text for email in portal.emails.values() for part in email.body]
    texts += [email.subject.text for email in portal.emails.values()]
    texts += [line for text in portal.texts.values() for line in text.lines]
    return frozenset(_words(" ".join(texts)))


def _words(text: str) -> list[str]:
    return [w.strip(_PUNCTUATION).casefold() for w in _WORD.findall(text)]


def _by_form(
    body: str, vocabulary: frozenset[str], parameters: Parameters, known: set[str]
) -> str | None:
    words = [w.strip(_PUNCTUATION) for w in _WORD.findall(body)]
    fits = [
        w
        for w in words
        if len(w) == parameters.temporary_password_length
        and w.isascii()
        and w.isalnum()
        and w.casefold() not in vocabulary
        and w.casefold() not in known
    ]
    mixed = [w for w in fits if any(c.isdigit() for c in w) and any(c.isalpha() for c in w)]
    chosen = mixed or fits
    return chosen[0] if chosen else None
