"""Reading a form a browser posted to the served portal, within limits.

Promises:

- :func:`read_form` accepts only ``application/x-www-form-urlencoded`` (what the
  portal's forms send) and returns each posted name with its value, or raises
  :class:`FormRejected` with the status to answer, before anything is filled in:
  415 for another content type; 400 for a name sent twice, more than
  :data:`MAX_FIELDS` fields, or a value longer than :data:`MAX_FIELD_CHARS`
  characters. A body over :data:`MAX_BODY_BYTES` is refused with 413 by the
  body-limit middleware the app installs, before it is read in full.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from specs.errors import RppError

__all__ = ["MAX_BODY_BYTES", "MAX_FIELDS", "MAX_FIELD_CHARS", "FormRejected", "read_form"]

MAX_BODY_BYTES = 64 * 1024
MAX_FIELD_CHARS = 1024  # an e-mail address is at most 254; no field of the portal needs more
MAX_FIELDS = 32
# Percent-encoding takes up to 12 bytes for one 4-byte character, plus the name.
_MAX_ENCODED_PART = MAX_FIELD_CHARS * 12 + 256
_FORM_TYPE = "application/x-www-form-urlencoded"


class FormRejected(RppError):
    """A posted form the portal will not act on; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields by name; :class:`FormRejected` for a form out of bounds."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM_TYPE:
        raise FormRejected(415, f"forms are posted as {_FORM_TYPE}")
    try:
        form = await request.form(max_fields=MAX_FIELDS, max_part_size=_MAX_ENCODED_PART)
    except HTTPException as error:
        if error.status_code != 400:  # e.g. 413 from the body limit: answered as it is
            raise
        raise FormRejected(400, f"the form could not be read: {error.detail}") from None
    values: dict[str, str] = {}
    for name, value in form.multi_items():
        if not isinstance(value, str):
            raise FormRejected(400, "files are not accepted")
        if name in values:
            raise FormRejected(400, f"the form sent {name[:40]!r} more than once")
        if len(value) > MAX_FIELD_CHARS:
            raise FormRejected(
                400, f"the form's {name[:40]!r} is longer than {MAX_FIELD_CHARS} characters"
            )
        values[name] = value
    return values
