"""The portal's emails as real :class:`email.message.EmailMessage` objects, and the
readers a producer uses on them.

Promises:

- :func:`render_email` builds the email of ``portal.yaml``'s ``emails.<kind>``
  letter for letter: To, From (``parameters.sender``), Subject, Date (from the
  ``sent_at`` argument, never the wall clock), a unique Message-ID in the
  ``rpp.example`` domain, and a plain
  text body made of the template's paragraphs joined by blank lines with their
  ``{placeholder}`` fields filled in.
- The readers (:func:`user_names_in`, :func:`temporary_password_in`) find a value
  the way a producer does: by the paragraph of ``portal.yaml`` that holds its
  placeholder. No email wording lives in this module; texts are never duplicated.
- Every missing piece raises a :class:`MissingEmailPart` (a ``ValueError``) that
  says what was missing and shows the email; a bad rendering request raises a
  plain ``ValueError`` saying what would be right.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import functools
import re
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parsedate_to_datetime

from specs.errors import RppError
from specs.model import EmailTemplate, PortalSpec

__all__ = [
    "MESSAGE_ID_DOMAIN",
    "USER_NAMES_SEPARATOR",
    "MissingEmailPart",
    "body_of",
    "body_text",
    "email_kind",
    "placeholders",
    "render_email",
    "sent_at_of",
    "temporary_password_in",
    "user_names_in",
]

MESSAGE_ID_DOMAIN = "rpp.example"
USER_NAMES_SEPARATOR = ", "  # portal.yaml: every user name linked to the address, joined by ", "

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class MissingEmailPart(RppError, ValueError):
    """An email lacks something a producer looks for (a header, a paragraph, a body)."""


def placeholders(text: str) -> list[str]:
    """The ``{name}`` placeholders of a template text, in order of appearance."""
    return _PLACEHOLDER.findall(text)


def _fill(text: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def _template(portal: PortalSpec, kind: str) -> EmailTemplate:
    try:
        return portal.emails[kind]
    except KeyError:
        known = ", ".join(sorted(portal.emails)) or "none"
        raise ValueError(
            f"no email template {kind!r} in {portal.path} (emails:); known kinds: {known}"
        ) from None


def _field_values(
    template: EmailTemplate, fields: Mapping[str, str | Sequence[str]]
) -> dict[str, str]:
    """The placeholder values as strings; a sequence is joined by ``USER_NAMES_SEPARATOR``."""
    texts = [template.subject.text, *(part.text for part in template.body)]
    needed = list(dict.fromkeys(name for text in texts for name in placeholders(text)))
    missing = [name for name in needed if name not in fields]
    unknown = sorted(set(fields) - set(needed))
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(unknown)}")
        raise ValueError(
            f"email {template.key!r} ({template.where}) takes the fields"
            f" {', '.join(needed) or '(none)'}: {'; '.join(problems)}"
        )
    values: dict[str, str] = {}
    for name in needed:
        given = fields[name]
        items = [given] if isinstance(given, str) else list(given)
        # Each value must read back unchanged: non-empty, trimmed, on one line, not split.
        bad = [
            item
            for item in items
            if not item
            or item != item.strip()
            or "\n" in item
            or "\r" in item
            or (not isinstance(given, str) and USER_NAMES_SEPARATOR.strip() in item)
        ]
        if not items or bad:
            raise ValueError(
                f"email {template.key!r}: field {name} needs non-empty one-line values"
                f" without surrounding spaces (a list's items without"
                f" {USER_NAMES_SEPARATOR.strip()!r}); got {given!r}"
            )
        values[name] = USER_NAMES_SEPARATOR.join(items)
    return values


def body_text(template: EmailTemplate, values: Mapping[str, str]) -> str:
    """The template's body paragraphs, placeholders filled, joined by blank lines."""
    return "\n\n".join(_fill(part.text, values) for part in template.body)


def render_email(
    portal: PortalSpec,
    kind: str,
    to: str,
    sent_at: dt.datetime,
    **fields: str | Sequence[str],
) -> EmailMessage:
    """The ``kind`` email of ``portal`` to ``to``, dated ``sent_at``.

    ``fields`` fill the template's placeholders (``user_names=...``,
    ``temporary_password=...``); a list of user names is joined by ``", "``.
    Raises ``ValueError`` for an unknown kind, an empty recipient, or fields that are
    missing, unknown or would not read back.
    """
    template = _template(portal, kind)
    if not to.strip():
        raise ValueError(f"email {kind!r}: the recipient address is empty")
    values = _field_values(template, fields)
    message = EmailMessage()
    message["To"] = _header("To", to.strip())
    message["From"] = _header("From", portal.parameters.sender)
    message["Subject"] = _header("Subject", _fill(template.subject.text, values))
    message["Date"] = _header("Date", format_datetime(sent_at))
    message["Message-ID"] = make_msgid(domain=MESSAGE_ID_DOMAIN)
    message.set_content(body_text(template, values) + "\n")
    return message


@functools.lru_cache(maxsize=4096)
def _header(name: str, value: str) -> object:
    """The parsed header, as the message's policy would make it: parsing an address
    is most of an email's cost, and the same recipients and subjects recur."""
    return email.policy.default.header_factory(name, value)


def _describe(message: EmailMessage) -> str:
    return (
        f"email {str(message.get('Subject', '(no subject)'))!r} to {message.get('To', '(nobody)')}"
    )


def body_of(message: EmailMessage) -> str:
    """The plain text body as a producer reads it (transfer encoding undone, ``\\n`` lines).

    Raises :class:`MissingEmailPart` when the email has no text/plain body.
    """
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        raise MissingEmailPart(f"{_describe(message)} has no plain text body")
    content = part.get_content() if part.get_payload() is not None else None
    if not isinstance(content, str):
        raise MissingEmailPart(f"{_describe(message)} has no plain text body")
    return content.replace("\r\n", "\n").rstrip("\n")


def email_kind(message: EmailMessage, portal: PortalSpec | None = None) -> str:
    """The template key of ``portal.yaml``'s ``emails`` the email was rendered from,
    recognised as a producer does: by its Subject (``rpp validate`` keeps the subjects
    of the templates distinct). No header only this portal sends is read, so the same
    reader works on any portal's mail.

    Raises :class:`MissingEmailPart` when the Subject is missing or no template's.
    """
    portal = portal if portal is not None else _shipped_portal()
    subject = " ".join(str(message.get("Subject", "")).split())
    for key, template in portal.emails.items():
        if " ".join(template.subject.text.split()) == subject:
            return key
    known = ", ".join(repr(t.subject.text) for t in portal.emails.values())
    raise MissingEmailPart(
        f"{_describe(message)} has the Subject {subject!r}, none of portal.yaml's ({known})"
    )


def sent_at_of(message: EmailMessage) -> dt.datetime:
    """When the email was sent: its Date header, as rendered from ``sent_at``.

    Raises :class:`MissingEmailPart` when the email has no readable Date.
    """
    date = message.get("Date")
    sent_at: dt.datetime | None = None
    if date is not None:
        try:
            sent_at = parsedate_to_datetime(str(date))
        except (TypeError, ValueError, IndexError):
            sent_at = None
    if sent_at is None:
        raise MissingEmailPart(f"{_describe(message)} has no readable Date header")
    return sent_at


@functools.cache
def _shipped_portal() -> PortalSpec:
    from specs.loader import load_flows  # only when a reader is called without a portal

    return load_flows().portal


@functools.lru_cache(maxsize=256)
def _paragraph_pattern(paragraph: str, name: str) -> re.Pattern[str]:
    """A line matching ``paragraph`` with ``{name}`` captured and other placeholders skipped."""
    pieces: list[str] = []
    position = 0
    captured = False
    for match in _PLACEHOLDER.finditer(paragraph):
        pieces.append(re.escape(paragraph[position : match.start()]))
        if match.group(1) == name and not captured:
            pieces.append(f"(?P<{name}>[^\\n]+?)")
            captured = True
        else:
            pieces.append("[^\\n]*?")
        position = match.end()
    pieces.append(re.escape(paragraph[position:]))
    return re.compile("^" + "".join(pieces) + "$", re.MULTILINE)


def _read_field(message: EmailMessage, name: str, portal: PortalSpec | None) -> str:
    portal = portal if portal is not None else _shipped_portal()
    paragraphs = list(
        dict.fromkeys(
            part.text
            for template in portal.emails.values()
            for part in template.body
            if name in placeholders(part.text)
        )
    )
    if not paragraphs:
        raise ValueError(f"no email body paragraph in {portal.path} holds {{{name}}}")
    body = body_of(message)
    for paragraph in paragraphs:
        found = _paragraph_pattern(paragraph, name).search(body)
        if found is not None:
            return found.group(name).strip()
    expected = " or ".join(repr(p) for p in paragraphs)
    raise MissingEmailPart(
        f"{_describe(message)} has no {name.replace('_', ' ')}: no line like {expected}."
        f" Its body:\n{body}"
    )


def user_names_in(message: EmailMessage, portal: PortalSpec | None = None) -> list[str]:
    """The user names the email lists, in its order (default portal: the shipped flows).

    Raises :class:`MissingEmailPart` when no line of the body is the template's
    ``{user_names}`` paragraph.
    """
    value = _read_field(message, "user_names", portal)
    return [name.strip() for name in value.split(USER_NAMES_SEPARATOR.strip())]


def temporary_password_in(message: EmailMessage, portal: PortalSpec | None = None) -> str:
    """The temporary password the email gives, exactly as written (case kept).

    Raises :class:`MissingEmailPart` when no line of the body is the template's
    ``{temporary_password}`` paragraph.
    """
    return _read_field(message, "temporary_password", portal)
