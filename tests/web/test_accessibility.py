"""The served portal in Chromium as people with assistive technology and the keyboard use
it: axe-core's WCAG 2.1 A and AA rules on every screen (an exception only with its reason
in tests/web/axe-exceptions.yaml), keyboard-only walks of login, reset and Change
Password, and the directory on a 375 px wide phone."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.drivers import MAIL_POLL_SECONDS
from simulator.drivers.browser import BrowserDriver, BrowserTarget, launch
from simulator.drivers.protocol import choose_state, log_in, submit_reset_password
from simulator.mail.messages import temporary_password_in
from simulator.population import Population, Producer
from specs import FlowSet
from tests.bdd.targets import serve

pytestmark = pytest.mark.skipif(
    not (os.environ.get("RPP_CHROMIUM") or shutil.which("chromium")),
    reason="no Chromium here (make test installs Debian's chromium)",
)

EXCEPTIONS_FILE = Path(__file__).with_name("axe-exceptions.yaml")
WCAG_21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE_WIDTH = 375
MAX_TABS = 40  # more Tab presses than any page has stops: a control never reached fails


@pytest.fixture(scope="module")
def served(flow_set: FlowSet) -> Iterator[tuple[str, str]]:
    with serve(flow_set) as urls:
        yield urls


@pytest.fixture
def target(flow_set: FlowSet, served: tuple[str, str]) -> Iterator[BrowserTarget]:
    url, mailbox = served
    target = BrowserTarget(url, mailbox, flow_set.portal)
    yield target
    target.close()


@pytest.fixture
def producer(flow_set: FlowSet, target: BrowserTarget) -> Producer:
    producer = Population(22, flow_set.portal.parameters).producer(0)
    target.register(producer)
    return producer


def exceptions() -> dict[str, str]:
    """Rule id -> the reason the portal is excused from it."""
    loaded = yaml.safe_load(EXCEPTIONS_FILE.read_text(encoding="utf-8")) or {}
    assert isinstance(loaded, dict), f"{EXCEPTIONS_FILE}: expected rule-id: reason pairs"
    for rule, reason in loaded.items():
        assert isinstance(reason, str) and reason.strip(), (
            f"{EXCEPTIONS_FILE}: {rule} has no reason"
        )
    return loaded


def violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on ``page`` not excused, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_21_A_AA}, "resultTypes": ["violations"]}
    found = Axe().run(page, options=options).response["violations"]
    excused = exceptions()
    return [
        f"{v['id']} ({v['impact']}): {v['help']}; on {', '.join(n['html'] for n in v['nodes'][:3])}"
        for v in found
        if v["id"] not in excused
    ]


def every_screen(window: BrowserDriver, producer: Producer) -> Iterator[str]:
    """Walk ``window`` through every screen of the portal, with and without messages,
    yielding a description at each."""
    yield "Please Sign-In"
    log_in(window, producer.user_name, "Wrong0000")
    yield "Please Sign-In with the LOCK-1 message"
    window.click("Forgot User Name?")
    yield "Forgot User Name?"
    window.click("Submit")
    yield "Forgot User Name? with its field messages"
    window.fill("Agent Unique ID", producer.agent_unique_id)
    window.fill("E-mail Address", producer.email)
    window.click("Submit")
    yield "Request Submitted (user name)"
    window.open_portal()
    window.click("Reset Password?")
    yield "Reset Password?"
    window.click("Submit")
    yield "Reset Password? with its field messages"
    submit_reset_password(window, "nobody", "nobody@example.com")
    yield "Request Submitted (password)"
    window.open_portal()
    log_in(window, producer.user_name, producer.password)
    yield "Welcome"
    choose_state(window, producer.home_state)
    yield "Welcome with a state chosen"
    window.page.get_by_text("Account", exact=True).click()
    yield "Welcome with the Account menu open"
    window.click("Edit Profile")
    yield "Change Password"
    window.click("Update Password")
    yield "Change Password with its message"
    new = "Walk2026"
    window.fill("Current Password", producer.password)
    window.fill("New Password", new)
    window.fill("Confirm New Password", new)
    window.click("Update Password")
    yield "Password Update"


def test_every_screen_passes_axe_cores_wcag_21_a_and_aa_rules(
    flow_set: FlowSet, target: BrowserTarget, producer: Producer
) -> None:
    window = target.open_browser()
    seen: set[str] = set()
    problems: list[str] = []
    for where in every_screen(window, producer):
        seen.add(window.screen().name)
        problems += [f"{where}: {line}" for line in violations(window.page)]
    assert seen == set(flow_set.portal.screens), "the walk visits every screen"
    assert not problems, "\n".join(problems)


def test_axe_finds_what_an_inaccessible_page_breaks() -> None:
    """The check can fail: a field without a label and an image without a text are found."""
    context = launch().new_context()
    try:
        page = context.new_page()
        page.set_content(
            '<html lang="en"><head><title>Broken</title></head><body><main>'
            '<input type="text" name="user"><img src="data:,"></main></body></html>'
        )
        found = " ".join(violations(page))
        assert "label" in found and "image-alt" in found, found
    finally:
        context.close()


def test_the_exceptions_file_gives_a_reason_for_each_exception() -> None:
    assert all(reason.strip() for reason in exceptions().values())


# -- the keyboard alone -------------------------------------------------------------------

_FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return "";
  if (e.labels && e.labels.length) return e.labels[0].textContent.trim();
  return (e.textContent || "").trim();
}"""


def tab_to(page: Any, name: str) -> None:
    """Press Tab until the control named ``name`` (its label or text) has the focus."""
    for _ in range(MAX_TABS):
        if page.evaluate(_FOCUSED) == name:
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{MAX_TABS} presses of Tab never reached {name!r} on {page.url}")


def mail_to(target: BrowserTarget, address: str) -> list[Any]:
    """The mail at ``address``, waiting up to the target's mail_wait for the first."""
    deadline = time.monotonic() + target.mail_wait
    while not (found := target.mailbox.search(to=address)) and time.monotonic() < deadline:
        time.sleep(MAIL_POLL_SECONDS)
    return found


def press_enter(page: Any) -> str:
    """Press Enter on what has the focus, wait for the page it loads; its path."""
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return str(page.url).split("/", 3)[-1]


def keyboard_sign_in(page: Any, user_name: str, password: str) -> str:
    tab_to(page, "User Name")
    page.keyboard.type(user_name)
    tab_to(page, "Password")
    page.keyboard.type(password)
    return press_enter(page)


def test_a_keyboard_alone_signs_in_chooses_a_state_and_opens_edit_profile(
    target: BrowserTarget, producer: Producer
) -> None:
    page = target.open_browser().page
    assert keyboard_sign_in(page, producer.user_name, producer.password) == "welcome"
    tab_to(page, "State")
    page.keyboard.press("ArrowDown")  # moves the choice, submits nothing
    page.keyboard.type(producer.home_state)
    assert page.url.endswith("/welcome")
    assert page.locator("select").input_value() == producer.home_state
    tab_to(page, "Select")
    assert press_enter(page) == "state-selected"
    tab_to(page, "Account")
    page.keyboard.press("Enter")  # opens the dropdown
    assert page.locator("details.dropdown").evaluate("menu => menu.open")
    tab_to(page, "Edit Profile")
    assert press_enter(page) == "edit-profile"


def test_a_keyboard_alone_changes_the_password_after_a_refusal(
    target: BrowserTarget, producer: Producer
) -> None:
    window = target.open_browser()
    log_in(window, producer.user_name, producer.password)
    choose_state(window, producer.home_state)
    window.click("Edit Profile")
    page = window.page
    tab_to(page, "Current Password")
    page.keyboard.type("Wrong0000")
    assert press_enter(page) == "edit-profile"
    assert page.evaluate("document.activeElement.id") == "messages", "the focus is on the message"
    assert page.locator("#field-current-password").get_attribute("aria-invalid") == "true"
    new = "Keys2026"
    for label, typed in (
        ("Current Password", producer.password),
        ("New Password", new),
        ("Confirm New Password", new),
    ):
        tab_to(page, label)
        page.keyboard.type(typed)
    assert press_enter(page) == "password-updated"
    tab_to(page, "Back to Profile Page")
    assert press_enter(page) == "edit-profile"


def test_a_keyboard_alone_resets_the_password_and_signs_in_with_the_temporary_one(
    flow_set: FlowSet, target: BrowserTarget, producer: Producer
) -> None:
    page = target.open_browser().page
    tab_to(page, "Reset Password?")
    assert press_enter(page) == "reset-password"
    tab_to(page, "User Name")
    page.keyboard.type(producer.user_name)
    tab_to(page, "E-mail Address")
    page.keyboard.type(producer.email)
    assert press_enter(page) == "reset-request-submitted"
    tab_to(page, "OK")
    assert press_enter(page) == ""
    (message,) = mail_to(target, producer.email)
    temporary = temporary_password_in(message, flow_set.portal)
    assert keyboard_sign_in(page, producer.user_name, temporary) == "welcome"


# -- a phone ------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["Forgot User Name?", "Reset Password?"])
def test_the_directory_reads_on_a_phone_without_sideways_scrolling(
    target: BrowserTarget, form: str
) -> None:
    window = target.open_browser()
    page = window.page
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    window.click(form)
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(overflow) <= 0, "the page scrolls sideways"
    lines = page.locator("span.phone").evaluate_all(
        "spans => spans.map(s => s.getClientRects().length)"
    )
    assert lines and set(lines) == {1}, "a telephone number broken over two lines"
    # The check can fail: the same table laid out as a table is wider than the phone.
    page.evaluate(
        """() => { const t = document.querySelector('table.directory');
        t.style.display = 'table'; t.tHead.style.cssText = 'display: table-header-group';
        t.tBodies[0].style.display = 'table-row-group';
        t.querySelectorAll('tr').forEach(r => r.style.display = 'table-row');
        t.querySelectorAll('th, td').forEach(c => c.style.display = 'table-cell'); }"""
    )
    assert page.evaluate(overflow) > 0
