"""What the served portal refuses, and what every response carries: a refused request
changes nothing a producer or an attacker could notice."""

from __future__ import annotations

import datetime as dt
import smtplib
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from simulator.mail.mailbox import Mailbox
from simulator.portal.clock import SimulatedClock
from simulator.web.app import SESSION_COOKIE, served_portal
from simulator.web.security import SECURITY_HEADERS, is_loopback
from simulator.web.sessions import SessionStore
from tests.web.browser import Browser
from tests.web.conftest import PASSWORD, USER
from tests.web.dom import read_screen

WRONG_LOGIN = {"User Name": USER, "Password": "wrong1"}


def _failures(app: Starlette) -> int:
    view = served_portal(app).portal.view(USER)
    assert view is not None
    return view.failed_attempts


def _unchanged(app: Starlette, browser: Browser) -> None:
    """Nothing moved: no failure counted, the login page still shown without a message."""
    assert _failures(app) == 0
    page = browser.open()
    assert page.screen.name == "login_page" and page.screen.messages == ()


class FakeTimer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_wrong_password_counts_when_the_form_is_genuine(app: Starlette, browser: Browser) -> None:
    """The control for the refusals below: the same post, with its token, does count."""
    browser.open()
    page = browser.fill_and_click("Login", WRONG_LOGIN)
    assert _failures(app) == 1
    assert page.screen.messages == (served_portal(app).flow_set.portal.texts["login_failed"].text,)


@pytest.mark.parametrize("token", [None, "", "forged-token", "x" * 43])
def test_a_missing_or_forged_csrf_token_is_refused(
    app: Starlette, browser: Browser, token: str | None
) -> None:
    browser.open()
    form = browser.form("Login", WRONG_LOGIN)
    if token is None:
        del form["csrf_token"]
    else:
        form["csrf_token"] = token
    response = browser.post(form)
    assert response.status_code == 403
    assert "Nothing was changed" in response.text
    _unchanged(app, browser)


def test_a_token_of_another_session_is_refused(app: Starlette, browser: Browser) -> None:
    other = Browser(app)
    other.open()
    browser.open()
    form = browser.form("Login", WRONG_LOGIN)
    form["csrf_token"] = other.form("Login")["csrf_token"]
    assert browser.post(form).status_code == 403
    _unchanged(app, browser)


def test_a_forged_or_missing_cookie_is_refused(app: Starlette, browser: Browser) -> None:
    browser.open()
    form = browser.form("Login", WRONG_LOGIN)
    for cookies in ({SESSION_COOKIE: "forged"}, {}, {SESSION_COOKIE: "a" * 5000}):
        stranger = TestClient(app, cookies=cookies, follow_redirects=False)
        response = stranger.post("/", data=form)
        assert response.status_code == 403, cookies
    _unchanged(app, browser)


def test_an_expired_session_is_refused_and_a_get_starts_afresh(
    make_app: Callable[..., Starlette],
) -> None:
    timer = FakeTimer()
    app = make_app(sessions=SessionStore(idle_seconds=60, timer=timer))
    served_portal(app).portal.register(USER, "123456789", "j@example.com", PASSWORD)
    browser = Browser(app)
    browser.open()
    browser.fill_and_click("Login", {"User Name": USER, "Password": PASSWORD})
    timer.now += 59  # still live: used within the idle time
    assert browser.open().screen.name == "welcome"
    timer.now += 60
    response = browser.post(browser.form("State", {"State": "IL"}))
    assert response.status_code == 403
    old = browser.cookie
    page = browser.open()
    assert page.screen.name == "login_page"
    assert browser.cookie != old


def test_sign_in_issues_a_new_session_id_and_token(app: Starlette, browser: Browser) -> None:
    first = browser.open()
    before, token = browser.cookie, first.csrf_token
    welcome = browser.fill_and_click("Login", {"User Name": USER, "Password": PASSWORD})
    assert welcome.screen.name == "welcome"
    assert browser.cookie != before and welcome.csrf_token != token
    # The id and token seen before signing in reach nothing of the signed-in session:
    # at most a fresh login page, as any visitor gets one.
    fixation = TestClient(app, cookies={SESSION_COOKIE: before or ""}, follow_redirects=False)
    assert fixation.post(
        "/", data={"csrf_token": token, "state": "IL", "control": "State"}
    ).status_code in (403, 409)
    assert "Please Sign-In" in fixation.get("/").text
    form = browser.form("State", {"State": "IL"})
    form["csrf_token"] = token
    assert browser.post(form).status_code == 403
    # A failed login issues none.
    browser2 = Browser(app)
    browser2.open()
    cookie = browser2.cookie
    browser2.fill_and_click("Login", WRONG_LOGIN)
    assert browser2.cookie == cookie


def test_being_signed_out_issues_a_new_session_id(app: Starlette, browser: Browser) -> None:
    browser.open()
    browser.fill_and_click("Login", {"User Name": USER, "Password": PASSWORD})
    browser.fill_and_click("State", {"State": "IL"})
    browser.click("Edit Profile")
    signed_in = browser.cookie
    wrong = {
        "Current Password": "wrong1",
        "New Password": "Newer123",
        "Confirm New Password": "Newer123",
    }
    browser.fill_and_click("Update Password", wrong)
    assert browser.cookie == signed_in
    browser.fill_and_click("Update Password", wrong)
    page = browser.fill_and_click("Update Password", wrong)  # the third locks and signs out
    assert page.screen.name == "login_page"
    assert browser.cookie != signed_in


def test_close_the_browser_forgets_the_session(app: Starlette, browser: Browser) -> None:
    browser.open()
    browser.fill_and_click("Login", {"User Name": USER, "Password": PASSWORD})
    signed_in = browser.cookie
    token = browser.form("State")["csrf_token"]
    assert browser.http.get("/logout").status_code == 405
    assert browser.http.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    response = browser.http.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert browser.cookie is None
    stale = TestClient(app, cookies={SESSION_COOKIE: signed_in or ""}, follow_redirects=False)
    assert stale.post("/", data={"csrf_token": token, "control": "State"}).status_code == 403
    assert browser.open().screen.name == "login_page"


def test_register_is_shown_but_does_nothing(app: Starlette, browser: Browser) -> None:
    browser.open()
    response = browser.post(browser.form("Register", WRONG_LOGIN))
    assert response.status_code == 400
    assert "'Register' does nothing" in response.text
    assert "Traceback" not in response.text
    _unchanged(app, browser)


def test_a_stale_page_gets_the_current_one_and_changes_nothing(
    app: Starlette, browser: Browser
) -> None:
    browser.open()
    login_form = browser.form("Login", WRONG_LOGIN)
    browser.click("Forgot User Name?")  # the other tab moved on
    response = browser.post(login_form)
    assert response.status_code == 409
    assert read_screen(response.text).name == "forgot_user_name"
    # "Submit" is on both forms: the screen field tells the stale Reset Password? page apart.
    stale = {**browser.form("Submit"), "screen": "reset_password", "user_name": USER}
    assert browser.post(stale).status_code == 409
    # A control the screen lacks, without a screen field.
    bare = {"csrf_token": login_form["csrf_token"], "control": "Login"}
    assert browser.post(bare).status_code == 409
    assert browser.post({"csrf_token": login_form["csrf_token"]}).status_code == 400
    assert _failures(app) == 0
    assert browser.open().screen.name == "forgot_user_name"


@pytest.mark.parametrize(
    ("size", "status"), [(1024 * 1024, 413), (70 * 1024, 413), (2048, 400), (1025, 400)]
)
def test_an_oversized_field_is_refused(
    app: Starlette, browser: Browser, size: int, status: int
) -> None:
    browser.open()
    form = browser.form("Login", {"User Name": USER, "Password": "x" * size})
    response = browser.post(form)
    assert response.status_code == status
    _unchanged(app, browser)


def test_an_oversized_body_is_refused_before_it_is_read(app: Starlette, browser: Browser) -> None:
    browser.open()
    body = b"user_name=" + b"x" * (1024 * 1024)
    response = browser.http.post(
        "/", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    _unchanged(app, browser)


def test_forms_only_as_forms(app: Starlette, browser: Browser) -> None:
    browser.open()
    form = browser.form("Login", WRONG_LOGIN)
    assert browser.http.post("/", json=form).status_code == 415
    assert browser.http.post("/", files={"x": b"y"}, data=form).status_code == 415
    doubled = [*form.items(), ("password", "again")]
    assert browser.http.post("/", content=_urlencode(doubled), headers=_FORM).status_code == 400
    many = [*form.items(), *((f"extra{i}", "x") for i in range(40))]
    assert browser.http.post("/", content=_urlencode(many), headers=_FORM).status_code == 400
    _unchanged(app, browser)


_FORM = {"content-type": "application/x-www-form-urlencoded"}


def _urlencode(pairs: list[tuple[str, str]]) -> str:
    return urlencode(pairs)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/logout"), ("PUT", "/"), ("DELETE", "/"), ("POST", "/static/portal.js")],
)
def test_a_method_that_does_not_belong_is_405(browser: Browser, method: str, path: str) -> None:
    browser.open()
    response = browser.http.request(method, path)
    assert response.status_code == 405


def test_security_headers_on_every_response(
    app: Starlette, browser: Browser, make_app: Callable[..., Starlette]
) -> None:
    page_response = browser.http.get("/")
    token = browser.open().csrf_token
    responses = {
        "page": page_response,
        "redirect": browser.post(
            {"csrf_token": token, "control": "Forgot User Name?", "screen": "login_page"}
        ),
        "stale": browser.post({"csrf_token": token, "control": "Login"}),
        "403": TestClient(app).post("/", data={"control": "Login"}),
        "404": browser.http.get("/nowhere"),
        "405": browser.http.get("/logout"),
        "413": browser.http.post("/", content=b"x" * (65 * 1024), headers=_FORM),
        "415": browser.http.post("/", json={}),
        "static": browser.http.get("/static/portal.js"),
        "test api 404": browser.http.post("/test/reset"),
        "test api 403": TestClient(make_app(test_api=True)).post("/test/reset"),
    }
    assert responses["redirect"].status_code == 303 and responses["stale"].status_code == 409
    for what, response in responses.items():
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, f"{what}: {name}"
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


class BrokenClock(SimulatedClock):
    def now(self) -> dt.datetime:
        raise RuntimeError("the clock at /secret/path broke")


def test_a_server_error_shows_no_traceback(make_app: Callable[..., Starlette]) -> None:
    app = make_app()
    served_portal(app).portal.register(USER, "123456789", "j@example.com", PASSWORD)
    browser = Browser(app)
    browser.http = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    browser.open()
    browser.click("Reset Password?")
    served_portal(app).portal.clock = BrokenClock()  # the reset reads the time
    response = browser.post(
        browser.form("Submit", {"User Name": USER, "E-mail Address": "j@example.com"})
    )
    assert response.status_code == 500
    assert "Traceback" not in response.text and "/secret/path" not in response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value


def test_the_session_cookie_is_http_only_lax_and_secure_over_https(app: Starlette) -> None:
    plain = TestClient(app).get("/").headers["set-cookie"]
    assert "HttpOnly" in plain and "SameSite=lax" in plain and "Path=/" in plain
    assert "Secure" not in plain and "Max-Age" not in plain and "expires" not in plain.lower()
    secure = TestClient(app, base_url="https://portal.example").get("/").headers["set-cookie"]
    assert "Secure" in secure


def test_the_session_store_forgets_the_least_recently_used_beyond_its_cap(
    make_app: Callable[..., Starlette],
) -> None:
    app = make_app(sessions=SessionStore(max_sessions=3))
    browsers = [Browser(app, client=(f"127.0.0.{i + 1}", 5000)) for i in range(4)]
    for b in browsers:
        b.open()
        assert b.click("Forgot User Name?").screen.name == "forgot_user_name"
    assert len(served_portal(app).sessions) == 3
    # The first was forgotten: its browser starts again from the login page.
    assert browsers[0].open().screen.name == "login_page"
    assert browsers[3].open().screen.name == "forgot_user_name"


def test_a_visit_that_posted_nothing_costs_no_session(
    make_app: Callable[..., Starlette],
) -> None:
    """Issue 28, point 8: cookie-less GETs hold nothing on the server."""
    app = make_app(sessions=SessionStore(max_sessions=3))
    producer = Browser(app)
    producer.open()
    assert producer.click("Reset Password?").screen.name == "reset_password"  # mid-reset
    for _ in range(50):  # e.g. health checks or a crawler, each without a cookie
        assert Browser(app).open().screen.name == "login_page"
    assert len(served_portal(app).sessions) == 1
    assert producer.open().screen.name == "reset_password", "the producer's session survived"


def test_one_client_posting_from_many_browsers_evicts_only_its_own_sessions(
    make_app: Callable[..., Starlette],
) -> None:
    app = make_app(sessions=SessionStore(max_sessions=10, max_per_client=3))
    producer = Browser(app, client=("192.0.2.7", 5000))
    producer.open()
    assert producer.click("Reset Password?").screen.name == "reset_password"
    for _ in range(30):
        flooder = Browser(app, client=("198.51.100.9", 5000))
        flooder.open()
        flooder.click("Forgot User Name?")
    assert len(served_portal(app).sessions) == 4  # the producer's, and the flooder's 3
    assert producer.open().screen.name == "reset_password", "the producer's session survived"


def test_a_flood_of_cookie_less_requests_signs_nobody_out(
    make_app: Callable[..., Starlette],
) -> None:
    app = make_app(sessions=SessionStore(max_sessions=3))
    served_portal(app).portal.register(USER, "123456789", "jessica@example.com", PASSWORD, "IL")
    producer = Browser(app)
    producer.open()
    assert (
        producer.fill_and_click("Login", {"User Name": USER, "Password": PASSWORD}).screen.name
        == "welcome"
    )
    for i in range(20):  # posting browsers, from many addresses
        flooder = Browser(app, client=(f"10.0.0.{i + 1}", 5000))
        flooder.open()
        flooder.click("Forgot User Name?")
    assert len(served_portal(app).sessions) == 3
    assert producer.open().screen.name == "welcome", "the signed-in session survived"


def test_a_session_has_an_absolute_lifetime(make_app: Callable[..., Starlette]) -> None:
    """Issue 28, point 12: use does not keep a session alive past its lifetime."""
    timer = FakeTimer()
    app = make_app(sessions=SessionStore(idle_seconds=60, lifetime_seconds=300, timer=timer))
    served_portal(app).portal.register(USER, "123456789", "j@example.com", PASSWORD)
    browser = Browser(app)
    browser.open()
    browser.fill_and_click("Login", {"User Name": USER, "Password": PASSWORD})
    for _ in range(5):  # used every 59 s: never idle, 295 s old
        timer.now += 59
        assert browser.open().screen.name == "welcome"
    timer.now += 59  # 354 s after signing in
    assert browser.post(browser.form("State", {"State": "IL"})).status_code == 403
    assert browser.open().screen.name == "login_page"


def test_the_clock_is_not_real_time_for_sessions(
    clock: SimulatedClock, app: Starlette, browser: Browser
) -> None:
    """Advancing the portal's simulated clock (hours) does not expire web sessions."""
    browser.open()
    clock.advance(24 * 60)
    page = browser.fill_and_click("Login", {"User Name": USER, "Password": PASSWORD})
    assert page.screen.name == "welcome"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("localhost", False),
        ("testclient", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_means_a_literal_loopback_address(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


class Relay:
    """An SMTP relay stand-in that refuses while ``down``."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.down = True

    def send(self, message: EmailMessage) -> None:
        if self.down:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self.mailbox.deliver(message)


def _request_a_reset(browser: Browser) -> Any:
    browser.open()
    browser.click("Reset Password?")
    return browser.post(
        browser.form("Submit", {"User Name": USER, "E-mail Address": "j@example.com"})
    )


def test_a_mail_outage_neither_fails_the_click_nor_loses_the_email(
    make_app: Callable[..., Starlette], mailbox: Mailbox
) -> None:
    relay = Relay(mailbox)
    app = make_app(transport=relay)
    served = served_portal(app)
    served.portal.register(USER, "123456789", "j@example.com", PASSWORD)
    served.outbox.retry_seconds = (0.05,)
    response = _request_a_reset(Browser(app))
    assert response.status_code == 303  # the producer sees the confirmation
    assert served.outbox.waiting == 1 and mailbox.count() == 0
    relay.down = False
    deadline = time.monotonic() + 10
    while mailbox.count("j@example.com") == 0:
        assert time.monotonic() < deadline, "the kept email was never sent"
        time.sleep(0.01)
    assert served.outbox.waiting == 0
    served.close()


def test_a_full_outbox_refuses_clicks_with_503_and_changes_nothing(
    make_app: Callable[..., Starlette], mailbox: Mailbox
) -> None:
    app = make_app(transport=Relay(mailbox))
    served = served_portal(app)
    served.portal.register(USER, "123456789", "j@example.com", PASSWORD)
    served.outbox.max_waiting = 1
    served.outbox.retry_seconds = (60,)
    assert _request_a_reset(Browser(app)).status_code == 303
    assert served.outbox.full
    browser = Browser(app)
    browser.open()
    response = browser.post(browser.form("Login", {"User Name": USER, "Password": "wrong1"}))
    assert response.status_code == 503 and response.headers["retry-after"] == "60"
    assert "Nothing was changed" in response.text
    view = served.portal.view(USER)
    assert view is not None and view.failed_attempts == 0
    served.close()
