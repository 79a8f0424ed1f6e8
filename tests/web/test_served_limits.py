"""The served portal's connections under attack, on a real socket on loopback (issue 28,
points 9, 10 and 12): header size, slow headers and bodies, idle and surplus
connections, the Host allow-list of every loopback form, the security headers of
every 400, and https behind a proxy.

Each test waits for the event it checks (a close, a response) with a bound far above
the normal and says what it waited for; none asserts a duration.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from simulator.asgi.hosts import host_name, trusted_hosts
from simulator.asgi.limits import ConnectionLimits
from simulator.asgi.server import AsgiServer
from simulator.mail.mailbox import Mailbox, MailboxTransport
from simulator.portal.clock import SimulatedClock
from simulator.portal.passwords import HARNESS_HASH_ITERATIONS
from simulator.web.app import create_app
from simulator.web.security import SECURITY_HEADERS
from simulator.web.sessions import SessionStore
from specs import FlowSet

WAIT = 30.0  # far above the normal: the events below take well under a second


@contextmanager
def served(
    flow_set: FlowSet,
    host: str = "127.0.0.1",
    limits: ConnectionLimits | None = None,
    forwarded_allow_ips: str | None = None,
    sessions: SessionStore | None = None,
    mailbox: Mailbox | None = None,
) -> Iterator[AsgiServer]:
    app = create_app(
        flow_set,
        transport=MailboxTransport(mailbox if mailbox is not None else Mailbox()),
        clock=SimulatedClock(),
        hash_iterations=HARNESS_HASH_ITERATIONS,
        test_api=True,
        allowed_hosts=trusted_hosts(host),
        sessions=sessions,
    )
    server = AsgiServer(
        app,
        host,
        limits=limits,
        security_headers=SECURITY_HEADERS,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    with server:
        yield server


def connect(server: AsgiServer) -> socket.socket:
    host = server.url.rsplit(":", 1)[0].removeprefix("http://").strip("[]")
    return socket.create_connection((host, server.port), timeout=WAIT)


def read_until_closed(sock: socket.socket, bound: float = WAIT) -> tuple[bytes, bool]:
    """What the server sent until it closed the connection (True), or until ``bound``
    seconds passed without the close (False)."""
    received = b""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return received, True
        if not chunk:
            return received, True
        received += chunk
    return received, False


def still_open(sock: socket.socket) -> bool:
    """Whether the server has neither closed nor reset ``sock`` (nothing to read yet)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def refusals(caplog: pytest.LogCaptureFixture, kind: str) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "rpp.http" and kind in r.getMessage()
    ]


def has_security_headers(response: bytes) -> bool:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    return all(f"\r\n{name.lower()}: " in head for name in SECURITY_HEADERS)


def test_a_100_mb_header_is_refused_at_16_kib_without_being_read(flow_set: FlowSet) -> None:
    with served(flow_set) as server, connect(server) as sock:
        sent = 0
        stopped = threading.Event()

        def flood() -> None:
            nonlocal sent
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Flood: ")
            chunk = b"a" * 65536
            try:
                while sent < 100 * 2**20:
                    sock.sendall(chunk)
                    sent += len(chunk)
            except OSError:
                pass  # the server closed the connection: what this test waits for
            stopped.set()

        sender = threading.Thread(target=flood, daemon=True)
        sender.start()
        response, closed = read_until_closed(sock)
        assert closed, f"the server did not close within {WAIT} s of a 100 MB header"
        assert stopped.wait(WAIT), f"the sender was not stopped within {WAIT} s by the close"
    print(f"100 MB header: 400 after {sent / 2**20:.1f} MiB sent (kernel buffers included)")
    assert response.startswith(b"HTTP/1.1 400 "), response[:200]
    assert has_security_headers(response), response[:600]
    # The kernel's socket buffers take a few MB; the server read only its 16 KiB.
    assert sent < 100 * 2**20, "the whole 100 MB header was taken"


@pytest.mark.parametrize(
    ("what", "request_bytes"),
    [
        ("headers", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
        (
            "body",
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
            b"\r\nContent-Length: 1000\r\n\r\ncsrf_token=",
        ),
        ("idle", b""),
    ],
)
def test_a_connection_slow_to_send_its_request_is_closed_and_logged_once(
    flow_set: FlowSet, caplog: pytest.LogCaptureFixture, what: str, request_bytes: bytes
) -> None:
    caplog.set_level(logging.WARNING, "rpp.http")
    limits = ConnectionLimits(header_seconds=0.5, body_seconds=0.5)
    with served(flow_set, limits=limits) as server:
        sockets = [connect(server) for _ in range(3)]
        for sock in sockets:
            sock.sendall(request_bytes)
        for sock in sockets:
            _, closed = read_until_closed(sock)
            assert closed, f"a connection slow to send its {what} was open after {WAIT} s"
            sock.close()
    kind = "request body too slow" if what == "body" else "request headers too slow"
    assert len(refusals(caplog, kind)) == 1, caplog.text


def test_an_idle_kept_alive_connection_is_closed(flow_set: FlowSet) -> None:
    with served(flow_set, limits=ConnectionLimits(idle_seconds=1)) as server:
        with connect(server) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            response, closed = read_until_closed(sock)
        assert response.startswith(b"HTTP/1.1 200 "), response[:200]
        assert closed, f"an idle kept-alive connection was still open after {WAIT} s"


@pytest.mark.parametrize(
    ("limits", "kind"),
    [
        (ConnectionLimits(max_connections_per_client=5), "too many connections from one client"),
        (ConnectionLimits(max_connections=5), "too many connections ("),
    ],
    ids=["per-client", "in-all"],
)
def test_connections_past_the_cap_are_closed_at_once_and_logged_once(
    flow_set: FlowSet, caplog: pytest.LogCaptureFixture, limits: ConnectionLimits, kind: str
) -> None:
    caplog.set_level(logging.WARNING, "rpp.http")
    with served(flow_set, limits=limits) as server:
        kept = [connect(server) for _ in range(5)]
        surplus = [connect(server) for _ in range(20)]
        for sock in surplus:
            _, closed = read_until_closed(sock)
            assert closed, f"a connection past the cap was still open after {WAIT} s"
            sock.close()
        assert all(still_open(sock) for sock in kept)
        for sock in kept:
            sock.close()
        # The cap frees as connections close: the portal answers again.
        deadline = time.monotonic() + WAIT
        while True:
            try:
                status = httpx.get(server.url + "/", timeout=WAIT).status_code
                break
            except httpx.TransportError:  # the five are not all closed yet: wait for them
                assert time.monotonic() < deadline, f"no answer within {WAIT} s of closing"
                time.sleep(0.05)
        assert status == 200
    logged = [r for r in refusals(caplog, "too many connections") if kind in r]
    assert len(logged) == 1, caplog.text


def test_the_http_parser_400_carries_the_security_headers(flow_set: FlowSet) -> None:
    with served(flow_set) as server, connect(server) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        response, closed = read_until_closed(sock)
    assert closed
    assert response.startswith(b"HTTP/1.1 400 "), response[:200]
    assert has_security_headers(response), response


def _can_listen(host: str) -> bool:
    try:
        info = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0]
        with socket.socket(info[0], socket.SOCK_STREAM) as probe:
            probe.bind(info[4])
    except OSError:
        return False
    return True


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "::ffff:127.0.0.1"])
def test_the_test_api_answers_only_loopback_host_names_on_every_loopback_form(
    flow_set: FlowSet, host: str
) -> None:
    if not _can_listen(host):
        pytest.skip(f"this machine cannot listen on {host}")
    with served(flow_set, host) as server:
        url = server.url + "/test/fired"
        json = {"Content-Type": "application/json"}
        for name in ("rebound.example", "rebound.example:80", "127.0.0.1.evil.example", "[::2]"):
            refused = httpx.post(url, headers={**json, "Host": name}, content=b"{}", timeout=WAIT)
            assert refused.status_code == 400, (host, name)
            assert all(refused.headers.get(h) == v for h, v in SECURITY_HEADERS.items())
        for name in ("localhost", "127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "[0:0::1]:80"):
            answered = httpx.post(url, headers={**json, "Host": name}, content=b"{}", timeout=WAIT)
            assert answered.status_code == 200, (host, name, answered.text)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost:8000", "localhost"),
        ("[::1]:8000", "::1"),
        ("[::FFFF:127.0.0.1]", "::ffff:127.0.0.1"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1", None),
        ("[::1]x", None),
        ("[example]", None),
        ("a:b:c", None),
        ("", None),
        ("host:port", None),
    ],
)
def test_a_host_header_is_read_as_rfc_3986_writes_it(header: str, name: str | None) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1", "localhost"])
def test_every_loopback_form_the_cli_accepts_has_the_allow_list(host: str) -> None:
    assert trusted_hosts(host) is not None
    assert trusted_hosts("0.0.0.0") is None and trusted_hosts("192.0.2.1") is None


@pytest.mark.parametrize(("trusted", "secure"), [("127.0.0.1", True), (None, False)])
def test_behind_a_trusted_tls_proxy_the_cookie_is_secure(
    flow_set: FlowSet, trusted: str | None, secure: bool
) -> None:
    with served(flow_set, forwarded_allow_ips=trusted) as server:
        response = httpx.get(server.url + "/", headers={"X-Forwarded-Proto": "https"}, timeout=WAIT)
    cookie = response.headers["set-cookie"].lower()
    assert response.status_code == 200
    assert ("; secure" in cookie) is secure, cookie


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_cookie_less_visits_do_not_evict_a_producer_mid_reset(flow_set: FlowSet) -> None:
    """Issue 28, point 8: 10,001 cookie-less GETs evicted every pre-login session."""
    with served(flow_set, sessions=SessionStore(max_sessions=50, max_per_client=10)) as server:
        producer = httpx.Client(
            base_url=server.url,
            timeout=WAIT,
            transport=httpx.HTTPTransport(local_address="127.0.0.2"),  # another client
        )
        with producer:
            token = _TOKEN.search(producer.get("/").text)
            assert token is not None
            form = {"csrf_token": token.group(1), "screen": "login_page"}
            opened = producer.post("/", data={**form, "control": "Reset Password?"})
            assert opened.status_code == 303
            reset_address = opened.headers["location"]  # the form's own address
            with httpx.Client(base_url=server.url, timeout=WAIT) as crawler:
                for _ in range(1_000):  # each without a cookie
                    crawler.cookies.clear()
                    assert crawler.get("/").status_code == 200
                for _ in range(200):  # and each posting a first click
                    crawler.cookies.clear()
                    page = _TOKEN.search(crawler.get("/").text)
                    assert page is not None
                    crawler.post(
                        "/",
                        data={
                            "csrf_token": page.group(1),
                            "screen": "login_page",
                            "control": "Forgot User Name?",
                        },
                    )
            assert "Reset Password?" in producer.get(reset_address).text
            answer = producer.post(
                reset_address,
                data={
                    "csrf_token": token.group(1),
                    "screen": "reset_password",
                    "control": "Submit",
                    "user_name": "nobody",
                    "e_mail_address": "nobody@example.com",
                },
            )
            assert answer.status_code == 303, answer.text


def test_recovery_mail_to_one_producer_is_limited_to_five_an_hour(flow_set: FlowSet) -> None:
    """Issue 28, point 7: 400 emails a minute went into one producer's inbox."""
    mailbox = Mailbox(portal=flow_set.portal)
    with (
        served(flow_set, mailbox=mailbox) as server,
        httpx.Client(base_url=server.url, timeout=WAIT) as browser,
    ):
        producer = {
            "user_name": "jessicacamp",
            "agent_unique_id": "000600492",
            "email": "jessica@example.com",
            "password": "Camp2019",
        }
        assert browser.post("/test/producers", json=producer).status_code == 201
        for _ in range(30):
            browser.cookies.clear()
            token = _TOKEN.search(browser.get("/").text)
            assert token is not None
            form = {"csrf_token": token.group(1)}
            browser.post("/", data={**form, "screen": "login_page", "control": "Reset Password?"})
            answer = browser.post(
                "/",
                data={
                    **form,
                    "screen": "reset_password",
                    "control": "Submit",
                    "user_name": "jessicacamp",
                    "e_mail_address": "jessica@example.com",
                },
            )
            assert answer.status_code == 303  # every request is answered alike
        served_portal = server.app.state.served  # type: ignore[attr-defined]
        deadline = time.monotonic() + WAIT
        while served_portal.outbox.waiting:  # the mail leaves after the answers
            assert time.monotonic() < deadline, f"mail still waiting after {WAIT} s"
            time.sleep(0.01)
    assert len(mailbox.messages("jessica@example.com")) == 5, mailbox.describe()
