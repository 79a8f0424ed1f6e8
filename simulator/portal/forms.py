"""The portal's forms: the field labels of portal.yaml's screens and the checks of
what a producer typed (decision form-field-messages; decision identifiers-case)."""

from __future__ import annotations

import re

__all__ = [
    "AGENT_UNIQUE_ID",
    "CONFIRM_NEW_PASSWORD",
    "CURRENT_PASSWORD",
    "EMAIL",
    "FIELD_LABELS",
    "MESSAGE_FIELDS",
    "NEW_PASSWORD",
    "PASSWORD",
    "STATE",
    "USER_NAME",
    "field_errors",
    "is_agent_unique_id",
    "normalize_identifier",
]

# Field labels, exactly as the screens of portal.yaml name them (a test checks).
USER_NAME = "User Name"
PASSWORD = "Password"
AGENT_UNIQUE_ID = "Agent Unique ID"
EMAIL = "E-mail Address"
CURRENT_PASSWORD = "Current Password"
NEW_PASSWORD = "New Password"
CONFIRM_NEW_PASSWORD = "Confirm New Password"
STATE = "State"
FIELD_LABELS = (
    USER_NAME,
    PASSWORD,
    AGENT_UNIQUE_ID,
    EMAIL,
    CURRENT_PASSWORD,
    NEW_PASSWORD,
    CONFIRM_NEW_PASSWORD,
    STATE,
)

# The fields each message of portal.yaml is about (a page ties the message to them).
MESSAGE_FIELDS: dict[str, tuple[str, ...]] = {
    "login_failed": (USER_NAME, PASSWORD),
    "account_locked": (USER_NAME, PASSWORD),
    "user_name_required": (USER_NAME,),
    "agent_unique_id_required": (AGENT_UNIQUE_ID,),
    "agent_unique_id_malformed": (AGENT_UNIQUE_ID,),
    "email_required": (EMAIL,),
    "email_malformed": (EMAIL,),
    "reset_instruction": (EMAIL, AGENT_UNIQUE_ID),
    "change_password_fields_required": (CURRENT_PASSWORD, NEW_PASSWORD, CONFIRM_NEW_PASSWORD),
    "current_password_incorrect": (CURRENT_PASSWORD,),
    "new_password_policy": (NEW_PASSWORD,),
    "new_password_not_confirmed": (CONFIRM_NEW_PASSWORD,),
    "new_password_unchanged": (NEW_PASSWORD,),
}

_AGENT_UNIQUE_ID = re.compile(r"[0-9]{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalize_identifier(value: str) -> str:
    """User names and email addresses compare without case or surrounding spaces
    (decision identifiers-case)."""
    return value.strip().casefold()


def _well_formed_agent_unique_id(value: str) -> bool:
    return bool(_AGENT_UNIQUE_ID.fullmatch(value.strip()))


def is_agent_unique_id(value: str) -> bool:
    """Whether ``value`` is an Agent Unique ID as the forms accept one (nine digits)."""
    return _well_formed_agent_unique_id(value)


def _well_formed_email(value: str) -> bool:
    value = value.strip()
    return len(value) <= 254 and bool(_EMAIL.fullmatch(value))


def field_errors(screen: str, form: dict[str, str]) -> tuple[str, ...]:
    """The text keys of portal.yaml for each missing or malformed field of a form
    (decision form-field-messages), in the order of the form's fields."""
    errors: list[str] = []
    auid = form.get(AGENT_UNIQUE_ID, "").strip()
    email = form.get(EMAIL, "").strip()
    if screen == "forgot_user_name":
        if not auid:
            errors.append("agent_unique_id_required")
        elif not _well_formed_agent_unique_id(auid):
            errors.append("agent_unique_id_malformed")
        if not email:
            errors.append("email_required")
        elif not _well_formed_email(email):
            errors.append("email_malformed")
    elif screen == "reset_password":
        if not form.get(USER_NAME, "").strip():
            errors.append("user_name_required")
        if not email and not auid:
            errors.append("reset_instruction")
        if email and not _well_formed_email(email):
            errors.append("email_malformed")
        if auid and not _well_formed_agent_unique_id(auid):
            errors.append("agent_unique_id_malformed")
    return tuple(errors)
