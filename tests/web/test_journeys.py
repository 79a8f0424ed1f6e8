"""Producers' journeys over HTTP: logging in and out, the lock-out, the test API, and a
password reset whose email arrives over real SMTP at a portal on a real socket."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from simulator.mail.http_api import mailbox_app
from simulator.mail.mailbox import Mailbox
from simulator.mail.messages import body_of
from simulator.mail.smtp_sink import SmtpSink
from simulator.portal.account import Account
from simulator.portal.clock import SimulatedClock
from simulator.portal.passwords import HARNESS_HASH_ITERATIONS
from simulator.web.app import SESSION_COOKIE, create_app, served_portal
from simulator.web.clock import SystemClock
from simulator.web.server import PortalServer
from specs import FlowSet
from tests.web.browser import Browser
from tests.web.conftest import AGENT_UNIQUE_ID, EMAIL, PASSWORD, USER
from tests.web.dom import parse, read_screen


def _text(flow_set: FlowSet, key: str) -> str:
    return flow_set.portal.texts[key].text


def test_log_in_and_out(browser: Browser) -> None:
    assert browser.open().screen.name == "login_page"
    welcome = browser.fill_and_click("Login", {"User Name": USER, "Password": PASSWORD})
    assert welcome.screen.name == "welcome" and welcome.screen.messages == ()
    assert browser.open().screen.name == "welcome", "a reload stays signed in"
    response = browser.http.post("/logout", data={"csrf_token": welcome.csrf_token})
    assert response.status_code == 303
    assert browser.open().screen.name == "login_page"
    again = browser.fill_and_click("Login", {"User Name": USER, "Password": PASSWORD})
    assert again.screen.name == "welcome"


def test_three_failures_lock_the_account(
    app: Starlette, browser: Browser, flow_set: FlowSet
) -> None:
    browser.open()
    wrong = {"User Name": USER, "Password": "wrong1"}
    seen = [browser.fill_and_click("Login", wrong).screen.messages for _ in range(3)]
    failed, locked = _text(flow_set, "login_failed"), _text(flow_set, "account_locked")
    assert seen == [(failed,), (failed,), (locked,)]
    view = served_portal(app).portal.view(USER)
    assert view is not None and view.locked
    page = browser.fill_and_click("Login", {"User Name": USER, "Password": PASSWORD})
    assert page.screen.name == "login_page" and page.screen.messages == (locked,)
    # The page shows it as a person sees it: one alert, the guide's words.
    alert = page.dom.find("div", role="alert")
    assert [p.text() for p in alert.find_all("p", class_="message")] == [locked]


def test_field_errors_show_above_the_form(browser: Browser, flow_set: FlowSet) -> None:
    browser.open()
    browser.click("Forgot User Name?")
    page = browser.fill_and_click("Submit", {"Agent Unique ID": "12", "E-mail Address": ""})
    assert page.screen.name == "forgot_user_name"
    assert page.screen.messages == (
        _text(flow_set, "agent_unique_id_malformed"),
        _text(flow_set, "email_required"),
    )


# -- the test API -------------------------------------------------------------------------


@pytest.fixture
def test_app(make_app: Callable[..., Starlette]) -> Starlette:
    return make_app(test_api=True)


def _local(app: Starlette) -> TestClient:
    return TestClient(app, client=("127.0.0.1", 40000), follow_redirects=False)


PRODUCER = {
    "user_name": "ruthie",
    "agent_unique_id": "987654321",
    "email": "ruthie@example.com",
    "password": "Abc123",
    "home_state": "TX",
    "state_farm": True,
}


def test_the_test_api_registers_producers(test_app: Starlette) -> None:
    client = _local(test_app)
    response = client.post("/test/producers", json=PRODUCER)
    assert response.status_code == 201 and response.json() == {"user_name": "ruthie"}
    account = served_portal(test_app).portal.account_named("ruthie")
    assert account is not None and account.home_state == "TX" and account.state_farm
    assert client.post("/test/producers", json=PRODUCER).status_code == 409
    minimal = {k: PRODUCER[k] for k in ("user_name", "agent_unique_id", "email", "password")}
    assert client.post("/test/producers", json={**minimal, "user_name": "mo"}).status_code == 201
    browser = Browser(test_app)
    browser.open()
    page = browser.fill_and_click("Login", {"User Name": "ruthie", "Password": "Abc123"})
    assert page.screen.name == "welcome"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({k: v for k, v in PRODUCER.items() if k != "email"}, "'email'"),
        ({**PRODUCER, "password": 123456}, "'password'"),
        ({**PRODUCER, "state_farm": "yes"}, "'state_farm'"),
        ({**PRODUCER, "role": "admin"}, "'role'"),
        ([PRODUCER], "JSON object"),
        # Issue 28, point 11: the flows' own bounds.
        ({**PRODUCER, "user_name": "ruth,ie"}, "'user_name'"),
        ({**PRODUCER, "user_name": "ruth ie"}, "'user_name'"),
        ({**PRODUCER, "user_name": "ruthie\r\nBcc: x@example.com"}, "'user_name'"),
        ({**PRODUCER, "user_name": "r" * 65}, "'user_name'"),
        ({**PRODUCER, "agent_unique_id": "12345"}, "'agent_unique_id'"),
        ({**PRODUCER, "password": "x"}, "'password'"),
        ({**PRODUCER, "password": "Abc123!!"}, "'password'"),
        ({**PRODUCER, "home_state": "CA"}, "'home_state'"),
    ],
)
def test_a_bad_producer_is_refused_naming_the_field(
    test_app: Starlette, body: object, named: str
) -> None:
    response = _local(test_app).post("/test/producers", json=body)
    assert response.status_code == 400
    assert named in response.json()["error"]
    assert served_portal(test_app).portal.accounts() == []


def test_a_body_that_is_not_json_is_refused(test_app: Starlette) -> None:
    client = _local(test_app)
    response = client.post(
        "/test/producers", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and "not JSON" in response.json()["error"]
    # What a web page can send cross-site without a preflight is refused before it is read.
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        plain = client.post("/test/reset", content=b"{}", headers={"content-type": kind})
        assert plain.status_code == 415, kind
    assert client.post("/test/reset").status_code == 415
    assert served_portal(test_app).portal.accounts() == []


def test_the_portal_and_its_mailbox_answer_only_their_own_names(
    make_app: Callable[..., Starlette],
) -> None:
    """A page that rebinds its DNS name to 127.0.0.1 sends its own Host: refused."""
    app = make_app(test_api=True, allowed_hosts=["127.0.0.1", "localhost"])
    rebound = TestClient(app, base_url="http://evil.example", client=("127.0.0.1", 5000))
    assert rebound.post("/test/reset", json={}).status_code == 400
    assert rebound.get("/").status_code == 400
    local = TestClient(app, base_url="http://127.0.0.1:8000", client=("127.0.0.1", 5000))
    assert local.post("/test/reset", json={}).status_code == 204
    mailbox = TestClient(
        mailbox_app(Mailbox(), ["127.0.0.1", "localhost"]), base_url="http://evil.example"
    )
    assert mailbox.get("/api/v1/messages").status_code == 400


def test_the_test_api_advances_the_clock(test_app: Starlette, clock: SimulatedClock) -> None:
    start = clock.now()
    client = _local(test_app)
    assert client.post("/test/clock", json={"minutes": 90}).status_code == 204
    assert client.post("/test/clock", json={"minutes": 0.5}).status_code == 204
    assert (clock.now() - start).total_seconds() == 90.5 * 60
    for bad in (
        {"minutes": -1},
        {"minutes": "5"},
        {"minutes": True},
        {},
        {"minutes": None},
        {"minutes": 1e300},
    ):
        assert client.post("/test/clock", json=bad).status_code == 400, bad
    assert (clock.now() - start).total_seconds() == 90.5 * 60


def test_the_test_api_resets_the_portal(test_app: Starlette) -> None:
    client = _local(test_app)
    client.post("/test/producers", json=PRODUCER)
    browser = Browser(test_app)
    browser.open()
    browser.fill_and_click("Login", {"User Name": "ruthie", "Password": "Abc123"})
    token = browser.form("State")["csrf_token"]
    assert client.post("/test/reset", json={}).status_code == 204
    assert served_portal(test_app).portal.accounts() == []
    assert browser.post(browser.form("State", {"State": "IL"})).status_code == 403
    assert browser.open().screen.name == "login_page", "no sessions survive"
    assert browser.form("Login")["csrf_token"] != token


def test_one_reset_starts_a_journey_with_its_producers(test_app: Starlette) -> None:
    client = _local(test_app)
    client.post("/test/producers", json=PRODUCER)
    other = {**PRODUCER, "user_name": "mo", "email": "mo@example.com", "state_farm": False}
    body = {"variant": "auto-unlock", "producers": [other, {**PRODUCER, "user_name": "jo"}]}
    assert client.post("/test/reset", json=body).status_code == 204
    portal = served_portal(test_app).portal
    assert [a.user_name for a in portal.accounts()] == ["mo", "jo"]
    assert portal.parameters.auto_unlock_after_minutes is not None
    browser = Browser(test_app)
    browser.open()
    page = browser.fill_and_click("Login", {"User Name": "mo", "Password": "Abc123"})
    assert page.screen.name == "welcome"
    # A bad list changes nothing: the portal is not reset.
    for bad, status, named in (
        ({"producers": [other, {**PRODUCER, "email": 5}]}, 400, "producers[1]: field 'email'"),
        ({"producers": [other, {**other, "user_name": "MO"}]}, 409, "'MO' is given twice"),
        ({"producers": other}, 400, "list of producers"),
    ):
        response = client.post("/test/reset", json=bad)
        assert response.status_code == status and named in response.json()["error"], bad
        assert [a.user_name for a in served_portal(test_app).portal.accounts()] == ["mo", "jo"]


@pytest.mark.parametrize("path", ["/test/producers", "/test/clock", "/test/reset"])
def test_the_test_api_exists_only_with_the_flag_and_only_for_loopback(
    app: Starlette, test_app: Starlette, path: str
) -> None:
    assert _local(app).post(path, json={}).status_code == 404
    for client in (("testclient", 50000), ("10.1.2.3", 5000), ("192.168.0.9", 5000)):
        remote = TestClient(test_app, client=client)
        response = remote.post(path, json=PRODUCER)
        assert response.status_code == 403, client
        assert "loopback" in response.json()["error"]
    assert _local(test_app).get(path).status_code == 405
    assert served_portal(test_app).portal.accounts() == []


def test_the_test_api_says_so_when_the_clock_is_real(make_app: Callable[..., Starlette]) -> None:
    app = make_app(test_api=True, clock=SystemClock())
    response = _local(app).post("/test/clock", json={"minutes": 5})
    assert response.status_code == 409 and "real clock" in response.json()["error"]


# -- over a real socket, with mail over real SMTP -------------------------------------------


class HttpBrowser:
    """A browser over real HTTP: posts the page's own form, follows the redirect."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=10)
        self.html = ""

    def open(self, address: str = "/") -> str:
        response = self.http.get(address)
        if response.status_code == 303:
            response = self.http.get(response.headers["location"])
        assert response.status_code == 200
        self.html = response.text
        return read_screen(self.html).name

    def click(self, control: str, fields: dict[str, str] | None = None) -> str:
        doc = parse(self.html)
        form = {
            n.attrs["name"] or "": n.attrs["value"] or ""
            for n in doc.find_all("input", type="hidden")
        }
        for label, value in (fields or {}).items():
            (node,) = [n for n in doc.find_all("label") if n.text() == label]
            (control_node,) = [n for n in doc.iter() if n.attrs.get("id") == node.attrs["for"]]
            form[control_node.attrs["name"] or ""] = value
        form["control"] = control
        response = self.http.post("/", data=form)
        assert response.status_code == 303, response.text
        return self.open(response.headers["location"])


def test_a_password_reset_over_http_and_smtp(flow_set: FlowSet) -> None:
    mailbox = Mailbox(portal=flow_set.portal)
    clock = SimulatedClock()
    with SmtpSink(mailbox) as sink:
        app = create_app(
            flow_set,
            transport=sink.transport(),
            clock=clock,
            test_api=True,
            hash_iterations=HARNESS_HASH_ITERATIONS,
        )
        with PortalServer(app, "127.0.0.1", 0) as server:
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
            api = httpx.Client(base_url=server.url, timeout=10)
            producer = {
                "user_name": USER,
                "agent_unique_id": AGENT_UNIQUE_ID,
                "email": EMAIL,
                "password": PASSWORD,
            }
            assert api.post("/test/producers", json=producer).status_code == 201

            browser = HttpBrowser(server.url)
            assert browser.open() == "login_page"
            assert browser.http.cookies.get(SESSION_COOKIE)
            assert browser.click("Reset Password?") == "reset_password"
            assert (
                browser.click("Submit", {"User Name": USER, "E-mail Address": EMAIL})
                == "reset_request_submitted"
            )

            # The portal answers first and sends after: wait for the email (seconds at most).
            deadline = time.monotonic() + 30
            while not mailbox.messages(EMAIL):
                assert time.monotonic() < deadline, "no reset email within 30 s of the answer"
                time.sleep(0.01)
            email = mailbox.latest(EMAIL, kind="password_reset")
            temporary = re.search(r"Temporary Password: (\w+)", body_of(email))
            assert temporary is not None, mailbox.describe()
            assert browser.click("OK") == "login_page"
            assert (
                browser.click("Login", {"User Name": USER, "Password": temporary.group(1)})
                == "welcome"
            )
            assert api.post("/test/clock", json={"minutes": 5}).status_code == 204
            assert browser.click("State", {"State": "OK"}) == "state_selected"
            assert browser.click("Edit Profile") == "edit_profile"
            changed = browser.click(
                "Update Password",
                {
                    "Current Password": temporary.group(1),
                    "New Password": "Fresh123",
                    "Confirm New Password": "Fresh123",
                },
            )
            assert changed == "password_updated"
            for name, value in (("cache-control", "no-store"), ("x-frame-options", "DENY")):
                assert browser.http.get("/").headers[name] == value
            assert "server" not in browser.http.get("/").headers
            api.close()
            browser.http.close()


def test_the_server_stops_cleanly_and_frees_its_port(make_app: Callable[..., Starlette]) -> None:
    server = PortalServer(make_app(), "127.0.0.1", 0).start()
    port = server.port
    assert httpx.get(f"{server.url}/", timeout=10).status_code == 200
    server.stop()
    server.stop()  # a second stop does nothing
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
    with PortalServer(make_app(), "127.0.0.1", port) as again:  # the port is free again
        assert again.port == port


def test_a_port_in_use_is_an_os_error_before_any_thread_starts(
    make_app: Callable[..., Starlette],
) -> None:
    def servers() -> list[str]:
        return [t.name for t in threading.enumerate() if t.name.startswith("rpp-http-")]

    with PortalServer(make_app(), "127.0.0.1", 0) as first:
        running = servers()
        with pytest.raises(OSError):
            PortalServer(make_app(), "127.0.0.1", first.port).start()
        assert servers() == running


@pytest.mark.parametrize(
    "parameters",
    [
        {"auto_unlock_after_minutes": 10**18},
        {"temporary_password_valid_minutes": 525_601},
        {"lockout_threshold": 101},
        {"lockout_threshold": 0},
    ],
)
def test_parameters_past_the_flows_bounds_are_refused(
    test_app: Starlette, parameters: dict[str, int]
) -> None:
    """Issue 28, point 11: 10**18 minutes was taken, and answered 500 at the next login."""
    client = _local(test_app)
    client.post("/test/producers", json=PRODUCER)
    response = client.post("/test/reset", json={"parameters": parameters})
    assert response.status_code == 400 and next(iter(parameters)) in response.json()["error"]
    assert served_portal(test_app).portal.account_named("ruthie") is not None, "not reset"


def test_a_click_that_fails_half_way_is_undone(
    make_app: Callable[..., Starlette], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 28, point 11: a 500 never leaves a half-done click (nor a fired transition)."""
    app = make_app(test_api=True)
    client = _local(app)
    assert client.post("/test/producers", json=PRODUCER).status_code == 201
    client.post("/test/fired", json={})  # start counting from here

    original = Account.store_temporary_password

    def store_then_fail(self: Account, temporary: str) -> None:
        original(self, temporary)
        raise OverflowError("date value out of range")  # as 10**18 minutes did

    monkeypatch.setattr(Account, "store_temporary_password", store_then_fail)
    browser = Browser(app, client=("127.0.0.1", 40001))
    browser.http = TestClient(
        app, client=("127.0.0.1", 40001), follow_redirects=False, raise_server_exceptions=False
    )
    browser.open()
    browser.click("Reset Password?")
    form = browser.form("Submit", {"User Name": "ruthie", "E-mail Address": "ruthie@example.com"})
    assert browser.post(form).status_code == 500
    account = served_portal(app).portal.account_named("ruthie")
    assert account is not None and account.temporary is None, "no temporary password kept"
    assert served_portal(app).outbox.waiting == 0, "no email queued"
    fired = client.post("/test/fired", json={}).json()["fired"]
    assert not any("submit_reset_password" in name for name in fired), fired
    assert browser.open().screen.name == "reset_password", "the session did not move"
    monkeypatch.undo()
    assert browser.post(form).status_code == 303, "the same click works once the fault is gone"
