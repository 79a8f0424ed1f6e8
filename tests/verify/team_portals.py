"""Portals a team might build from the guide alone, for testing verify's oracle by
authority (:mod:`simulator.verify.oracle`, `rpp verify --decisions`).

:data:`PRESENTATION` is the reference portal drawn and worded another way, in nothing
the guide fixes: a Help menu and a Log Out link beside what the guide shows, long
texts split over two lines, its own titles where the flows decided them, its own
validation messages, confirmations that keep the guide's words, emails without blank
lines, its own username-email subject. It must pass under ``guide`` and
fail under ``strict``. The other portals each add one departure from what the guide
fixes to it, which ``guide`` must catch.

Built as :mod:`tests.verify.broken_portals` builds its own: an edited copy of
portal.yaml's spec (its mail read with the shipped one), seen through a driver that
draws the screens its own way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

from simulator.drivers.in_process import InProcessDriver, InProcessTarget
from simulator.drivers.protocol import Target
from simulator.mail.mailbox import Mailbox
from simulator.portal.screens import Screen
from specs.loader import load_flows
from specs.model import FlowSet, Parameters, PortalSpec, TextPart
from tests.verify.broken_portals import _email_subject, _text, _text_lines

__all__ = [
    "GUIDE_TEXT_CHANGED",
    "PRESENTATION",
    "RECONSTRUCTED_WITHOUT_WORDS",
    "TEAM_MESSAGES",
    "TeamMaker",
    "drawn",
    "presentation",
]

TeamMaker = Callable[[FlowSet, Parameters], Target]
Edit = Callable[[PortalSpec], PortalSpec]

# The team's own validation messages (decision form-field-messages).
TEAM_MESSAGES = {
    "User Name is required.": "Please enter your User Name.",
    "E-mail Address is required.": "Please enter your e-mail address.",
    "Agent Unique ID is required.": "Please enter your Agent Unique ID.",
}
_TITLES = {  # where the flows decided the title, the team's own
    "welcome": "Your Portal",
    "state_selected": "Your Portal",
    "forgot_user_name": "Forget User Name ?",
}
_SIGNED_IN = {"welcome", "state_selected", "edit_profile", "password_updated"}


def _split(text: str) -> tuple[str, ...]:
    """A long text over two lines, as another page's markup breaks it."""
    if len(text) < 50:
        return (text,)
    middle = text.find(" ", len(text) // 2)
    return (text,) if middle < 0 else (text[:middle], text[middle + 1 :])


def drawn(screen: Screen) -> Screen:
    """The screen as the team's pages show it."""
    return replace(
        screen,
        title=_TITLES.get(screen.name, screen.title),
        texts=tuple(part for text in screen.texts for part in _split(text)),
        messages=tuple(TEAM_MESSAGES.get(m, m) for m in screen.messages),
        menus=(*screen.menus, "Help"),
        links=(*screen.links, "Log Out") if screen.name in _SIGNED_IN else screen.links,
    )


class _TeamDriver(InProcessDriver):
    def screen(self) -> Screen:
        return drawn(super().screen())

    def click(self, label: str) -> Screen:
        super().click(label)
        return self.screen()

    def open_portal(self) -> Screen:
        super().open_portal()
        return self.screen()

    def close_browser(self) -> Screen:
        super().close_browser()
        return self.screen()


class _TeamTarget(InProcessTarget):
    def open_browser(self) -> InProcessDriver:
        return _TeamDriver(self.portal)


def _without_blank_lines(portal: PortalSpec) -> PortalSpec:
    """Every email's body as one block of lines, no blank line between them."""
    emails = {}
    for key, template in portal.emails.items():
        text = "\n".join(part.text for part in template.body)
        emails[key] = replace(template, body=(TextPart(text, "quoted", None, None),))
    return replace(portal, emails=emails)


_PRESENTATION_EDITS: tuple[Edit, ...] = (
    # Reconstructed confirmations in the team's words, keeping the guide's (USER-5, RESET-5).
    _text_lines("username_request_submitted", "Your User Name has been emailed to you."),
    _text_lines(
        "reset_request_submitted", "A temporary password was sent to your email address on file."
    ),
    _email_subject("username", "Your RPP User Name"),
    _without_blank_lines,
)


def _team(*edits: Edit) -> TeamMaker:
    def make(flow_set: FlowSet, parameters: Parameters) -> Target:
        portal = flow_set.portal
        for edit in (*_PRESENTATION_EDITS, *edits):
            portal = edit(portal)
        return _TeamTarget(
            replace(flow_set, portal=portal), parameters, mailbox=Mailbox(portal=flow_set.portal)
        )

    return make


PRESENTATION = _team()
# One guide text changed (USER-8, SERVICES-1: quoted with the OCR's fix).
GUIDE_TEXT_CHANGED = _team(
    _text("assistance_heading", lambda line: line.replace("please contact", "contact"))
)
# RESET-5's confirmation without the guide's words "temporary password".
RECONSTRUCTED_WITHOUT_WORDS = _team(
    _text_lines("reset_request_submitted", "Check your inbox: we sent you an email.")
)


@functools.cache
def _shipped() -> FlowSet:
    return load_flows()


def presentation(parameters: Parameters) -> Target:
    """:data:`PRESENTATION` as ``rpp verify --target tests.verify.team_portals:presentation``
    takes it (a target factory)."""
    return PRESENTATION(_shipped(), parameters)
