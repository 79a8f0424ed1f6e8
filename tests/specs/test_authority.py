"""Every expectation of the flows carries its authority (specs/authority.py), and
`rpp validate` refuses one without, at file:line:column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.cli import main
from specs.authority import Authority, line_authorities, of_email_part, of_screen, of_text
from specs.model import FlowSet

PORTAL = "portal.yaml"
LOGIN = "login.yaml"


def _edit(flows: Path, name: str, old: str, new: str) -> None:
    path = flows / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# (case id, file, old, new, the line the problem is at (a phrase of it), the message's phrase)
REFUSALS = [
    (
        "decided-without-decision",
        PORTAL,
        '    source: decided\n    decision: form-field-messages\n    text: "User Name is required."',
        '    source: decided\n    text: "User Name is required."',
        "  user_name_required:",
        "text 'user_name_required': source decided names no decision",
    ),
    (
        "decided-unknown-decision",
        PORTAL,
        '    decision: form-field-messages\n    text: "User Name is required."',
        '    decision: field-messages\n    text: "User Name is required."',
        "  user_name_required:",
        "text 'user_name_required': decision 'field-messages' is not a key of portal.yaml decisions",
    ),
    (
        "decision-on-quoted-text",
        PORTAL,
        '    source: quoted\n    text: "You can:"',
        '    source: quoted\n    decision: welcome-page-content\n    text: "You can:"',
        "  welcome_you_can:",
        "decision 'welcome-page-content' on a quoted text",
    ),
    (
        "reconstructed-without-words",
        PORTAL,
        '    words: ["Your User Nam"]\n',
        "",
        "  username_request_submitted:",
        "text 'username_request_submitted': source reconstructed gives no words",
    ),
    (
        "reconstructed-word-not-in-text",
        PORTAL,
        '    words: ["Your User Nam"]\n',
        '    words: ["Your User Nan"]\n',
        "  username_request_submitted:",
        "words: 'Your User Nan' is not in the text",
    ),
    (
        "quoted-text-without-guide",
        PORTAL,
        "  welcome_you_can:\n    guide: [LOGIN-3]",
        "  welcome_you_can:\n    guide: []",
        "  welcome_you_can:",
        "a quoted text cites no guide ID",
    ),
    (
        "email-part-decided-without-decision",
        PORTAL,
        "      source: decided\n      decision: username-email-subject\n",
        "      source: decided\n",
        "      source: decided",
        "emails.username.subject: source decided names no decision",
    ),
    (
        "email-part-unknown-decision",
        PORTAL,
        "        decision: temporary-password-line\n",
        "        decision: temporary-password-first\n",
        "      - source: decided",
        "emails.password_reset.body[0]: decision 'temporary-password-first' is not a key",
    ),
    (
        "screen-decided-unknown-element",
        PORTAL,
        "    decided: {title: forgot-user-name-heading}",
        "    decided: {heading: forgot-user-name-heading}",
        "    decided: {heading",
        "screen 'forgot_user_name': decided names 'heading', which is neither an element",
    ),
    (
        "screen-decided-unknown-decision",
        PORTAL,
        "    decided: {title: reset-confirmation-title}",
        "    decided: {title: reset-confirmation-heading}",
        "    decided: {title: reset-confirmation-heading}",
        "decided.title: 'reset-confirmation-heading' is not a key of portal.yaml decisions",
    ),
    (
        "transition-unknown-decision",
        LOGIN,
        "    decisions: [locked-login-message]",
        "    decisions: [locked-message]",
        "  - id: refuse_locked_account",
        "transition 'refuse_locked_account': decisions: 'locked-message' is not a key",
    ),
    (
        "decision-unknown-parameter",
        PORTAL,
        "    parameter: empty_login_counts\n",
        "    parameter: empty_logins_count\n",
        "  empty-login-counts:",
        "decision 'empty-login-counts': parameter 'empty_logins_count' is not a parameter",
    ),
]


@pytest.mark.parametrize(
    ("case", "name", "old", "new", "at", "phrase"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_validate_refuses_an_expectation_without_authority(
    case: str,
    name: str,
    old: str,
    new: str,
    at: str,
    phrase: str,
    flows_copy: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _edit(flows_copy, name, old, new)
    lines = (flows_copy / name).read_text(encoding="utf-8").splitlines()
    line = [i + 1 for i, text in enumerate(lines) if text.startswith(at)][
        -1
    ]  # texts: after screens:
    assert main(["validate", str(flows_copy)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    located = [ln for ln in err.splitlines() if re.search(rf"{re.escape(name)}:{line}:\d+: ", ln)]
    assert any(phrase in ln for ln in located), f"{phrase!r} at {name}:{line} not in:\n{err}"


def test_the_shipped_flows_give_every_expectation_an_authority(flow_set: FlowSet) -> None:
    portal = flow_set.portal
    kinds = {key: of_text(portal, key).kind for key in portal.texts}
    assert kinds["login_failed"] == "guide"
    assert kinds["assistance_heading"] == "guide"  # ocr_corrected
    assert of_text(portal, "username_request_submitted") == Authority(
        "reconstructed", ("USER-5",), words=("Your User Nam",)
    )
    reset = of_text(portal, "reset_request_submitted")
    assert reset.kind == "reconstructed" and "temporary password" in reset.words
    assert of_text(portal, "user_name_required").decision == "form-field-messages"
    assert of_text(portal, "login_fields_required").decision == "empty-login-counts"
    for key, text in portal.texts.items():
        authority = of_text(portal, key)
        assert (authority.kind == "decided") == (text.source == "decided"), key
        assert authority.kind != "decided" or authority.decision in portal.decisions, key
        assert all(word in text.text for word in authority.words), key


def test_screen_elements_are_given_unless_decided(flow_set: FlowSet) -> None:
    portal = flow_set.portal
    assert of_screen(portal, "login_page", "menus").describe() == "guide LOGIN-1, LOGIN-3"
    assert of_screen(portal, "welcome", "title").describe() == "decision welcome-page-content"
    assert of_screen(portal, "welcome", "fields", "State").kind == "guide"
    assert of_screen(portal, "state_selected", "menus", "Menu").decision == ("welcome-page-content")
    assert of_screen(portal, "state_selected", "menus", "Account").kind == "guide"
    assert of_screen(portal, "forgot_user_name", "title").decision == "forgot-user-name-heading"
    assert of_screen(portal, "forgot_user_name", "fields").kind == "guide"
    assert of_screen(portal, "reset_request_submitted", "title").decision == (
        "reset-confirmation-title"
    )
    assert of_screen(portal, "username_request_submitted", "title").kind == "guide"


def test_email_parts_and_lines(flow_set: FlowSet) -> None:
    portal = flow_set.portal
    username, reset = portal.emails["username"], portal.emails["password_reset"]
    assert of_email_part(portal, username.subject).describe() == "decision username-email-subject"
    assert of_email_part(portal, reset.subject).describe() == (
        "guide RESET-6, RESET-7, RESET-12, LOCK-4, LOCK-5"
    )
    assert of_email_part(portal, reset.body[0]).decision == "temporary-password-line"
    assert of_email_part(portal, reset.body[-1]).describe() == "guide USER-6, RESET-6"  # text_ref
    lines = line_authorities(portal)
    assert lines["Download forms"].guide == ("LOGIN-3",)  # one line of a multi-line text
    assert lines["User Name is required."].describe() == "decision form-field-messages"
    assert lines[portal.texts["username_request_submitted"].text].describe() == (
        "reconstructed from USER-5"
    )
