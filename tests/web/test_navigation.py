"""The served portal as a browser uses it: each page at its own address, Back, reload
and the bookmark (decision portal-address), messages tied to their fields, the State
choice and the Account menu, and emails dated by the portal's clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from starlette.applications import Starlette

from simulator.mail.mailbox import Mailbox
from simulator.mail.messages import sent_at_of
from simulator.web.app import served_portal
from simulator.web.clock import AdvancedWallClock
from simulator.web.contract import screen_address
from simulator.web.pages import phone_parts
from specs import FlowSet
from tests.web.browser import Browser
from tests.web.conftest import AGENT_UNIQUE_ID, EMAIL, PASSWORD, USER

SIGN_IN = {"User Name": USER, "Password": PASSWORD}


def test_each_page_has_its_own_address(browser: Browser, flow_set: FlowSet) -> None:
    assert browser.open().screen.name == "login_page" and browser.address == "/"
    browser.click("Forgot User Name?")
    assert browser.address == "/forgot-user-name"
    browser.bookmark()
    browser.click("Reset Password?")
    assert browser.address == "/reset-password"
    browser.bookmark()
    browser.fill_and_click("Login", SIGN_IN)
    assert browser.address == "/welcome"
    browser.fill_and_click("State", {"State": "IL"})
    assert browser.address == "/state-selected"
    browser.click("Edit Profile")
    assert browser.address == "/edit-profile"
    names = {screen_address(name, "login_page") for name in flow_set.portal.screens}
    assert len(names) == len(flow_set.portal.screens), "one address per page"
    assert browser.http.get("/no-such-page").status_code == 404


def test_back_from_a_form_opened_by_mistake_is_please_sign_in_without_submitting(
    browser: Browser, mailbox: Mailbox
) -> None:
    browser.open()
    browser.click("Forgot User Name?")
    # Back: the browser GETs the portal's address again.
    page = browser.open("/")
    assert (page.screen.name, browser.address) == ("login_page", "/")
    assert page.screen.messages == ()
    # Forward to the form's address: the portal's address it is, the form stays closed.
    assert browser.open("/forgot-user-name").screen.name == "login_page"
    assert len(mailbox) == 0


def test_a_reload_shows_the_page_again_without_posting(browser: Browser) -> None:
    browser.open()
    browser.click("Forgot User Name?")
    refused = browser.fill_and_click("Submit", {"Agent Unique ID": "12", "E-mail Address": ""})
    assert len(refused.screen.messages) == 2
    again = browser.open()  # reload of /forgot-user-name
    assert again.screen == refused.screen


def test_the_bookmark_shows_please_sign_in_afresh_after_a_refused_login(
    browser: Browser,
) -> None:
    browser.open()
    failed = browser.fill_and_click("Login", {"User Name": USER, "Password": "wrong1"})
    assert failed.screen.messages, "the redirect after the post shows the message"
    assert browser.bookmark().screen.messages == ()


def test_signed_in_the_bookmark_opens_welcome_with_the_state_kept(
    app: Starlette, browser: Browser
) -> None:
    browser.open()
    browser.fill_and_click("Login", SIGN_IN)
    browser.fill_and_click("State", {"State": "TX"})
    browser.click("Edit Profile")
    cookie = browser.cookie
    page = browser.bookmark()
    assert (page.screen.name, page.screen.chosen_state) == ("state_selected", "TX")
    assert browser.address == "/state-selected"
    assert browser.cookie == cookie, "still the same signed-in session"
    view = served_portal(app).portal.view(USER)
    assert view is not None and not view.locked


def test_a_session_ended_elsewhere_is_signed_out_by_the_bookmark(
    app: Starlette, browser: Browser
) -> None:
    browser.open()
    browser.fill_and_click("Login", SIGN_IN)
    cookie = browser.cookie
    other = Browser(app)
    other.open()
    other.fill_and_click("Login", SIGN_IN)
    other.fill_and_click("State", {"State": "IL"})
    other.click("Edit Profile")
    changed = other.fill_and_click(
        "Update Password",
        {
            "Current Password": PASSWORD,
            "New Password": "Newer123",
            "Confirm New Password": "Newer123",
        },
    )
    assert changed.screen.name == "password_updated"
    page = browser.bookmark()
    assert page.screen.name == "login_page"
    assert browser.cookie != cookie, "signing out issues a new session id"


def test_refused_fields_carry_their_messages(browser: Browser) -> None:
    browser.open()
    browser.click("Reset Password?")
    page = browser.fill_and_click(
        "Submit", {"User Name": "", "E-mail Address": "not-an-email", "Agent Unique ID": ""}
    )
    doc = page.dom
    alert = doc.find("div", role="alert")
    assert (alert.attrs["id"], alert.attrs["tabindex"]) == ("messages", "-1")
    ids = {p.text(): p.attrs["id"] for p in alert.find_all("p", class_="message")}
    user_name = doc.find("input", id="field-user-name")
    email = doc.find("input", id="field-e-mail-address")
    auid = doc.find("input", id="field-agent-unique-id")
    assert user_name.attrs["aria-invalid"] == "true"
    assert [ids[t] for t in ids if "User Name" in t] == [user_name.attrs["aria-describedby"]]
    assert email.attrs["aria-invalid"] == "true"
    assert "E-mail Address must be" in next(
        t for t, i in ids.items() if i in (email.attrs["aria-describedby"] or "").split()
    )
    assert "aria-invalid" not in auid.attrs


def test_the_state_choice_has_its_own_button_and_the_account_menu_is_a_dropdown(
    browser: Browser,
) -> None:
    browser.open()
    welcome = browser.fill_and_click("Login", SIGN_IN).dom
    select = welcome.find("select", id="field-state")
    button = welcome.find("button", data_for="field-state")
    assert (button.text(), button.attrs["value"]) == ("Select", "State")
    assert select.ancestor("form") is button.ancestor("form")
    chosen = browser.fill_and_click("State", {"State": "OK"}).dom
    (topbar,) = chosen.find_all("header", class_="topbar")
    assert topbar.ancestor("main") is None, "the top bar spans the page, above <main>"
    account = topbar.find("nav", aria_label="Account")
    summary = account.find("details", class_="dropdown").find("summary")
    assert summary.text() == "Account"
    item = account.find("button", role="link")
    assert (item.text(), item.attrs["form"]) == ("Edit Profile", "portal-form")
    assert [n.attrs["aria-label"] for n in topbar.find_all("nav")] == ["Menu", "Account"]


def test_telephone_numbers_are_kept_whole() -> None:
    assert phone_parts("(800) 538-0382 prior to May 1, 2019") == [
        ("(800) 538-0382", True),
        (" prior to May 1, 2019", False),
    ]
    assert phone_parts("1-844-250-8201") == [("1-844-250-8201", True)]
    assert phone_parts("unknown") == [("unknown", False)]


def test_emails_carry_the_time_they_were_sent(
    make_app: Callable[..., Starlette], mailbox: Mailbox
) -> None:
    wall = [dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)]
    clock = AdvancedWallClock(lambda: wall[0])
    app = make_app(clock=clock, test_api=True)
    served_portal(app).portal.register(USER, AGENT_UNIQUE_ID, EMAIL, PASSWORD, "IL")
    wall[0] += dt.timedelta(minutes=7)  # the server has been up a while
    clock.advance(60)  # and a test moved it an hour ahead
    browser = Browser(app)
    browser.open()
    browser.click("Reset Password?")
    browser.fill_and_click("Submit", {"User Name": USER, "E-mail Address": EMAIL})
    (message,) = mailbox.search(to=EMAIL)
    assert sent_at_of(message) == dt.datetime(2026, 12, 6, 10, 7, tzinfo=dt.UTC)


def test_the_test_clock_runs_with_the_wall_clock() -> None:
    wall = [dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)]
    clock = AdvancedWallClock(lambda: wall[0])
    clock.advance(90)
    wall[0] += dt.timedelta(seconds=30)
    assert clock.now() == dt.datetime(2026, 12, 6, 10, 30, 30, tzinfo=dt.UTC)
