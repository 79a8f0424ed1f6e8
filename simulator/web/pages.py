"""The served portal's pages: one HTML page per :class:`~simulator.portal.screens.Screen`.

Promises (the HTML contract a driver and a person read):

- ``<title>`` and the one ``<h1>`` are the screen's title; ``<main data-screen=NAME>``.
- Menus, in order, in a ``<header class="topbar">`` before ``<main>`` (the top bar;
  the Account menu at its right, LOGIN-4): ``<nav aria-label=MENU>``; a menu holding
  links (the screen's ``menu_links`` in portal.yaml) is a dropdown,
  ``<details><summary>MENU</summary>`` over a list of its links (keyboard-operable as
  a disclosure: Enter or Space opens it, Escape closes it, /static/portal.js), each a
  control of the form outside it (``form="portal-form"``).
- Messages, in order: ``<div role="alert" id="messages" tabindex="-1">`` with one
  ``<p class="message" id="message-N">`` each; absent when there are none. After a
  refused submit the focus moves to it (/static/portal.js). A field a message is about
  (:data:`~simulator.portal.forms.MESSAGE_FIELDS`) has ``aria-invalid="true"`` and
  ``aria-describedby`` naming those messages' ids.
- Texts, in order: ``<section class="texts">`` with one ``<p class="text">`` per line.
- One ``<form method="post" action=ADDRESS id="portal-form">`` (the page's own
  address) holds the hidden ``csrf_token`` and ``screen``, the texts, the fields and
  the controls. Every control is
  ``<button type="submit" name="control" value=LABEL>LABEL</button>``; a link is the
  same with ``role="link" class="link"``; buttons in the screen's order, then the
  links no menu holds, in the screen's order. The first button the flows give a click
  is marked ``data-default`` (what Enter in a field presses, with /static/portal.js).
- Fields, in order: ``<label for=ID>LABEL</label>`` then the control with that id,
  named :func:`~simulator.web.contract.field_name` of the label, never pre-filled
  (passwords are never echoed). A field the screen marks required (``required`` in
  portal.yaml) has ``<span class="required" aria-hidden="true">*</span>`` right after
  its label and ``aria-required="true"`` on its control; not the ``required``
  attribute, which would let the browser refuse an empty field before the portal's
  own messages (decision form-field-messages). A label containing "Password" is a password input;
  "State" is a ``<select>`` of parameters.states after an empty "Select a state"
  option, the chosen state selected (``data-submit-control="State"``); choosing an
  option submits nothing (a key press only moves the choice): its own button,
  ``<button ... value="State" data-for=ID>Select</button>``, posts ``control=State``.
- The Producer Services directory: ``<table class="directory">``, an empty corner
  header then a ``<th scope="col">`` per state; a row per line with a
  ``<th scope="row">`` label and a cell per state (``data-state``): the number text
  exactly (each telephone number in a ``<span class="phone">``, never broken), or
  ``<td class="illegible">unknown</td>`` where the guide is illegible. On a narrow
  screen each row stacks its cells, so the page never scrolls sideways.
- Every text comes from the Screen (so from portal.yaml), HTML-escaped (Jinja2
  autoescape); the templates add only "Select a state", "Select" and "unknown".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from simulator.portal.forms import (
    AGENT_UNIQUE_ID,
    CONFIRM_NEW_PASSWORD,
    CURRENT_PASSWORD,
    EMAIL,
    MESSAGE_FIELDS,
    NEW_PASSWORD,
    PASSWORD,
    STATE,
    USER_NAME,
)
from simulator.portal.screens import Screen
from simulator.web.contract import (
    CONTROL_FIELD,
    CSRF_FIELD,
    SCREEN_FIELD,
    check_field_names,
    field_id,
    field_name,
    menu_of,
)
from specs.model import PortalSpec

__all__ = [
    "FORM_ID",
    "TEMPLATES_DIR",
    "ControlView",
    "FieldView",
    "MenuView",
    "MessageView",
    "PageRenderer",
    "phone_parts",
]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
FORM_ID = "portal-form"
# A telephone number as the guide writes them: "(888) 313-5526", "1-844-250-8201".
_PHONE = re.compile(r"\(\d{3}\) \d{3}-\d{4}|1-\d{3}-\d{3}-\d{4}")


def phone_parts(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (part, is a telephone number) pieces, in order: a page keeps each
    number on one line."""
    parts: list[tuple[str, bool]] = []
    at = 0
    for found in _PHONE.finditer(text):
        if found.start() > at:
            parts.append((text[at : found.start()], False))
        parts.append((found.group(), True))
        at = found.end()
    if at < len(text):
        parts.append((text[at:], False))
    return parts


# What a browser may offer to fill in (autocomplete tokens of the HTML standard).
_AUTOCOMPLETE = {
    USER_NAME: "username",
    PASSWORD: "current-password",
    CURRENT_PASSWORD: "current-password",
    NEW_PASSWORD: "new-password",
    CONFIRM_NEW_PASSWORD: "new-password",
    EMAIL: "email",
    AGENT_UNIQUE_ID: "off",
    STATE: "off",
}
_INPUTMODE = {EMAIL: "email", AGENT_UNIQUE_ID: "numeric"}


@dataclass(frozen=True)
class ControlView:
    """A button or link as the page shows it."""

    label: str
    link: bool = False
    default: bool = False


@dataclass(frozen=True)
class MenuView:
    name: str
    links: tuple[ControlView, ...]


@dataclass(frozen=True)
class MessageView:
    """A message as the page shows it: its text and the element id fields point to."""

    id: str
    text: str


@dataclass(frozen=True)
class FieldView:
    """A field as the page shows it: a text, password or select control."""

    label: str
    name: str
    id: str
    kind: str  # "text", "password" or "select"
    autocomplete: str
    inputmode: str | None = None
    submit_control: str | None = None  # a select that posts the form when chosen
    options: tuple[str, ...] = ()
    selected: str | None = None
    required: bool = False  # marked "*" (and aria-required)
    described_by: str = ""  # ids of the messages about this field (it is then invalid)


class PageRenderer:
    """Renders screens of one portal spec as HTML pages."""

    def __init__(self, portal: PortalSpec, states: Sequence[str]) -> None:
        check_field_names(portal)
        self.portal = portal
        self.states = tuple(states)
        # A message's text -> the fields it is about (simulator.portal.forms.MESSAGE_FIELDS).
        self._fields_of = {
            line: MESSAGE_FIELDS[key]
            for key, text in portal.texts.items()
            if key in MESSAGE_FIELDS
            for line in text.lines
        }
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.filters["phone_parts"] = phone_parts
        self._template = environment.get_template("page.html")

    def render(
        self,
        screen: Screen,
        *,
        csrf_token: str,
        chosen_state: str | None = None,
        address: str = "/",
    ) -> str:
        """The page of ``screen``, its form carrying ``csrf_token`` and posting to
        ``address`` (the page's own)."""
        spec = self.portal.screens.get(screen.name)
        clicks = spec.clicks if spec is not None else {}
        default = next((b for b in screen.buttons if b in clicks), None)
        buttons = tuple(ControlView(b, default=b == default) for b in screen.buttons)
        in_menus = {link: menu_of(link, spec) for link in screen.links}
        menus = tuple(
            MenuView(
                menu,
                tuple(
                    ControlView(link, link=True) for link in screen.links if in_menus[link] == menu
                ),
            )
            for menu in screen.menus
        )
        links = tuple(
            ControlView(link, link=True) for link in screen.links if in_menus[link] is None
        )
        messages = tuple(
            MessageView(f"message-{n}", text) for n, text in enumerate(screen.messages, 1)
        )
        described = {
            label: " ".join(m.id for m in messages if label in self._fields_of.get(m.text, ()))
            for label in screen.fields
        }
        fields = tuple(
            replace(
                self._field(label, label in clicks, chosen_state),
                described_by=described[label],
                required=label in screen.required,
            )
            for label in screen.fields
        )
        return self._template.render(
            screen=screen,
            messages=messages,
            form_id=FORM_ID,
            csrf_token=csrf_token,
            address=address,
            menus=menus,
            fields=fields,
            controls=buttons + links,
            control_field=CONTROL_FIELD,
            csrf_field=CSRF_FIELD,
            screen_field=SCREEN_FIELD,
        )

    def _field(self, label: str, submits: bool, chosen_state: str | None) -> FieldView:
        autocomplete = _AUTOCOMPLETE.get(label, "off")
        if label == STATE:
            return FieldView(
                label,
                field_name(label),
                field_id(label),
                "select",
                autocomplete,
                submit_control=label if submits else None,
                options=self.states,
                selected=chosen_state if chosen_state in self.states else None,
            )
        if "Password" in label:
            kind = "password"
            autocomplete = _AUTOCOMPLETE.get(label, "current-password")
        else:
            kind = "text"
        return FieldView(
            label, field_name(label), field_id(label), kind, autocomplete, _INPUTMODE.get(label)
        )
