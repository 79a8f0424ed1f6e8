"""The names the served pages and the posted forms share (the HTML contract's vocabulary).

Promises:

- :func:`field_name` turns a field label of portal.yaml into the form's ``name``
  (``"E-mail Address"`` -> ``"e_mail_address"``), :func:`field_id` into its element
  id; :func:`check_field_names` proves at start-up that no two fields of a screen
  share a name and that none is one of the reserved names below.
- Every form posts ``control`` (the label of the button or link clicked),
  ``csrf_token`` and ``screen`` (the screen the page showed, so a stale page from
  another tab is recognised even when both screens have a button of that label).
- :func:`screen_address` is the address of each screen's page: the portal's address
  ``/`` (:data:`PORTAL_ADDRESS`, LOGIN-1's bookmark) for Please Sign-In, the session
  flows' first screen; ``/`` and the screen's name in kebab case for every other
  (``forgot_user_name`` -> ``/forgot-user-name``), so each page has its own address.
- :func:`menu_of` says which menu of a screen holds a link, from the screen's
  ``menu_links`` in portal.yaml (RESET-8: "Account menu -> Edit Profile"). A link in
  no menu is shown with the screen's other controls.
"""

from __future__ import annotations

import re

from specs.model import PortalSpec, ScreenSpec

__all__ = [
    "CONTROL_FIELD",
    "CSRF_FIELD",
    "PORTAL_ADDRESS",
    "RESERVED_NAMES",
    "SCREEN_FIELD",
    "check_field_names",
    "field_id",
    "field_name",
    "menu_of",
    "screen_address",
]

CONTROL_FIELD = "control"
CSRF_FIELD = "csrf_token"
SCREEN_FIELD = "screen"
RESERVED_NAMES = frozenset({CONTROL_FIELD, CSRF_FIELD, SCREEN_FIELD})
PORTAL_ADDRESS = "/"

_NOT_NAME = re.compile(r"[^a-z0-9]+")


def field_name(label: str) -> str:
    """The form name of a field: its label lower-cased, each run of other characters
    an underscore (``"Agent Unique ID"`` -> ``"agent_unique_id"``)."""
    return _NOT_NAME.sub("_", label.lower()).strip("_")


def screen_address(screen: str, sign_in: str) -> str:
    """The address of ``screen``'s page; ``sign_in`` is the screen a browser starts on
    (Please Sign-In), whose address is the portal's."""
    if screen == sign_in:
        return PORTAL_ADDRESS
    return PORTAL_ADDRESS + _NOT_NAME.sub("-", screen.lower()).strip("-")


def field_id(label: str) -> str:
    """The element id of a field's control, which its ``<label for>`` names."""
    return "field-" + field_name(label).replace("_", "-")


def menu_of(link: str, screen: ScreenSpec | None) -> str | None:
    """The menu of ``screen`` that holds ``link`` (its ``menu_links`` in portal.yaml), or
    None when it is in none of them."""
    if screen is None:
        return None
    for menu, links in screen.menu_links.items():
        if link in links and menu in screen.menus:
            return menu
    return None


def check_field_names(portal: PortalSpec) -> None:
    """Raise ``ValueError`` naming the screen when two of its fields would post under
    one name, or a field would post under a reserved name or no name at all."""
    for screen in portal.screens.values():
        seen: dict[str, str] = {}
        for label in screen.fields:
            name = field_name(label)
            if not name or name in RESERVED_NAMES:
                raise ValueError(
                    f"screen {screen.name}: field {label!r} would post as {name!r},"
                    f" which is {'empty' if not name else 'reserved'}"
                )
            if name in seen:
                raise ValueError(
                    f"screen {screen.name}: fields {seen[name]!r} and {label!r} would both"
                    f" post as {name!r}"
                )
            seen[name] = label
