"""`rpp mailbox`: real SMTP in, a Mailpit-shaped HTTP API and an HTML inbox out, limits
that refuse rather than drop, and the command starting and stopping."""

from __future__ import annotations

import argparse
import datetime as dt
import email.policy
import io
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from simulator.mail.command import add_arguments, serve
from simulator.mail.http_api import SECURITY_HEADERS, SearchTerm, parse_query
from simulator.mail.mailbox import Mailbox, SmtpTransport
from simulator.mail.mailpit import MailpitReader
from simulator.mail.messages import email_kind, render_email
from simulator.mail.service import CannotListen, MailboxService
from specs import FlowSet
from specs.errors import UsageError

SENT_AT = dt.datetime(2026, 11, 2, 8, 15, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def running() -> Iterator[MailboxService]:
    with MailboxService() as service:
        yield service


@pytest.fixture
def service(running: MailboxService) -> MailboxService:
    """The module's service, emptied for each test."""
    running.mailbox.clear()
    return running


@pytest.fixture
def http(service: MailboxService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.http_url, timeout=10) as client:
        yield client


def _email(
    to: str, subject: str = "Hello", body: str = "Line one.\n", **headers: str
) -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["From"] = headers.pop("sender", "Portal <noreply@portal.example>")
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def _smtp(service: MailboxService) -> smtplib.SMTP:
    return smtplib.SMTP(
        service.smtp_host, service.smtp_port, local_hostname="localhost", timeout=10
    )


def _send(service: MailboxService, message: EmailMessage) -> None:
    SmtpTransport(service.smtp_host, service.smtp_port).send(message)


def _is_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# --- the read API ------------------------------------------------------------------


def test_mail_sent_over_smtp_is_listed_newest_first_as_mailpit_lists_it(
    service: MailboxService, http: httpx.Client
) -> None:
    _send(service, _email('"Camp, Jessica" <Jessica@Example.com>', "First"))
    _send(service, _email("b@example.com", "Second", Cc="c@example.com"))

    listing = http.get("/api/v1/messages").json()
    assert {k: listing[k] for k in ("total", "unread", "count", "start", "messages_count")} == {
        "total": 2,
        "unread": 2,
        "count": 2,
        "start": 0,
        "messages_count": 2,
    }
    newest, oldest = listing["messages"]
    assert [newest["Subject"], oldest["Subject"]] == ["Second", "First"]
    assert oldest["To"] == [{"Name": "Camp, Jessica", "Address": "Jessica@Example.com"}]
    assert oldest["From"] == {"Name": "Portal", "Address": "noreply@portal.example"}
    assert newest["Cc"] == [{"Name": "", "Address": "c@example.com"}]
    assert set(oldest) >= {
        "ID", "MessageID", "Read", "From", "To", "Cc", "Bcc", "ReplyTo", "Subject",
        "Created", "Tags", "Size", "Attachments", "Snippet",
    }  # fmt: skip
    assert oldest["Tags"] == [] and oldest["Read"] is False and oldest["Attachments"] == 0
    assert oldest["Snippet"] == "Line one."
    assert oldest["Size"] == len(http.get(f"/api/v1/message/{oldest['ID']}/raw").content)
    created = dt.datetime.fromisoformat(oldest["Created"].replace("Z", "+00:00"))
    assert created.tzinfo is not None

    second_page = http.get("/api/v1/messages", params={"start": 1, "limit": 1}).json()
    assert [m["Subject"] for m in second_page["messages"]] == ["First"]
    assert (second_page["count"], second_page["total"]) == (1, 2)


def test_a_message_reads_in_full_and_raw_and_an_unknown_id_is_404(
    service: MailboxService, http: httpx.Client
) -> None:
    sent = _email(
        "a@example.com", "Your user name", "User name: jc\n", Message_ID="<m1@rpp.example>"
    )
    _send(service, sent)
    [summary] = http.get("/api/v1/messages").json()["messages"]
    assert summary["MessageID"] == "m1@rpp.example"

    detail = http.get(f"/api/v1/message/{summary['ID']}").json()
    assert detail["Text"] == "User name: jc\n"
    assert detail["HTML"] == ""
    assert detail["Subject"] == "Your user name"
    assert detail["Attachments"] == []  # a list in a message, as in Mailpit
    assert "Date" in detail
    assert http.get("/api/v1/messages").json()["unread"] == 0  # opened: read, as in Mailpit
    assert http.get("/api/v1/message/latest").json()["ID"] == summary["ID"]

    raw = http.get(f"/api/v1/message/{summary['ID']}/raw")
    assert raw.headers["content-type"].startswith("text/plain")
    assert b"Message-ID: <m1@rpp.example>" in raw.content
    assert b"User name: jc" in raw.content

    for path in ("/api/v1/message/999999", "/api/v1/message/999999/raw", "/view/999999"):
        assert http.get(path).status_code == 404, path


def test_envelope_recipients_the_headers_do_not_name_are_listed_as_bcc(
    service: MailboxService, http: httpx.Client
) -> None:
    with _smtp(service) as smtp:
        smtp.send_message(_email("a@example.com"), to_addrs=["a@example.com", "hidden@example.com"])
    [summary] = http.get("/api/v1/messages").json()["messages"]
    assert summary["Bcc"] == [{"Name": "", "Address": "hidden@example.com"}]
    assert (
        http.get("/api/v1/search", params={"query": "to:hidden@example.com"}).json()[
            "messages_count"
        ]
        == 1
    )


def test_spam_is_tagged_spam(flow_set: FlowSet) -> None:
    mailbox = Mailbox(spam_for=lambda m: email_kind(m) == "password_reset")
    with MailboxService(mailbox) as service:
        reset = render_email(
            flow_set.portal,
            "password_reset",
            "p@example.com",
            SENT_AT,
            temporary_password="Zq8WxY3kL",
        )
        username = render_email(
            flow_set.portal, "username", "p@example.com", SENT_AT, user_names=["pc"]
        )
        _send(service, reset)
        _send(service, username)
        listing = httpx.get(service.http_url + "/api/v1/messages").json()
        spam = httpx.get(service.http_url + "/api/v1/search", params={"query": "tag:spam"}).json()
    assert [m["Tags"] for m in listing["messages"]] == [[], ["spam"]]
    assert listing["tags"] == ["spam"]
    assert [m["Subject"] for m in spam["messages"]] == [reset["Subject"]]


# --- search ------------------------------------------------------------------------


def test_the_search_syntax_is_mailpits() -> None:
    assert parse_query('to:A@Example.com subject:"Your user name" -from:x@y !is:read word') == [
        SearchTerm("to", "a@example.com"),
        SearchTerm("subject", "your user name"),
        SearchTerm("from", "x@y", exclude=True),
        SearchTerm("read", "", exclude=True),
        SearchTerm("text", "word"),
    ]
    assert parse_query('subject:Reset "" - ...') == [SearchTerm("subject", "reset")]


def test_search_combines_terms_with_and(service: MailboxService, http: httpx.Client) -> None:
    _send(service, _email("a@example.com", "Your user name", sender="portal@rpp.example"))
    _send(service, _email("a@example.com", "Password reset", sender="portal@rpp.example"))
    _send(service, _email("ba@example.com", "Your user name", sender="other@elsewhere.example"))

    def subjects(query: str) -> list[tuple[str, str]]:
        found = http.get("/api/v1/search", params={"query": query}).json()
        assert found["count"] == len(found["messages"]) == found["messages_count"]
        assert found["total"] == 3
        return [(m["To"][0]["Address"], m["Subject"]) for m in found["messages"]]

    assert subjects("to:a@example.com") == [  # a substring, as in Mailpit
        ("ba@example.com", "Your user name"),
        ("a@example.com", "Password reset"),
        ("a@example.com", "Your user name"),
    ]
    assert subjects('to:a@example.com subject:"Your user name"') == [
        ("ba@example.com", "Your user name"),
        ("a@example.com", "Your user name"),
    ]
    assert subjects('subject:"user name" from:portal@rpp.example') == [
        ("a@example.com", "Your user name")
    ]
    assert subjects("subject:reset") == [("a@example.com", "Password reset")]
    assert subjects("from:PORTAL -subject:reset") == [("a@example.com", "Your user name")]
    assert subjects("nothing:matches-this") == []
    page = http.get(
        "/api/v1/search", params={"query": "to:a@example.com", "start": 2, "limit": 5}
    ).json()
    assert (page["start"], page["count"], page["messages_count"]) == (2, 1, 3)
    assert http.get("/api/v1/search").status_code == 400  # Mailpit: "no search query"
    assert http.get("/api/v1/messages", params={"limit": "ten"}).status_code == 400


# --- delete ------------------------------------------------------------------------


def test_delete_some_then_all(service: MailboxService, http: httpx.Client) -> None:
    for n in range(3):
        _send(service, _email(f"d{n}@example.com", f"Number {n}"))
    ids = [m["ID"] for m in http.get("/api/v1/messages").json()["messages"]]

    deleted = http.request("DELETE", "/api/v1/messages", json={"IDs": ids[:2]})
    assert (deleted.status_code, deleted.text) == (200, "ok")
    assert [m["ID"] for m in http.get("/api/v1/messages").json()["messages"]] == ids[2:]
    assert service.mailbox.count("d2@example.com") == 0
    assert service.mailbox.count("d0@example.com") == 1

    assert http.request("DELETE", "/api/v1/messages", content=b"not json").status_code == 400
    assert http.request("DELETE", "/api/v1/messages", json={"IDs": []}).text == "ok"
    assert http.get("/api/v1/messages").json()["total"] == 0
    _send(service, _email("again@example.com"))
    assert http.request("DELETE", "/api/v1/messages").text == "ok"  # no body: all
    assert service.mailbox.count() == 0


def test_a_deleted_message_can_be_sent_again(service: MailboxService) -> None:
    message = _email("again@example.com", Message_ID="<same@rpp.example>")
    _send(service, message)
    _send(service, message)  # a duplicate: the mailbox refuses to file it twice
    assert service.mailbox.count() == 1
    service.mailbox.clear()
    _send(service, message)
    assert service.mailbox.count() == 1


# --- SMTP limits: refuse, never accept and drop ---------------------------------------


@pytest.mark.parametrize(
    "recipient",
    ["no-at-sign", "a@", "@example.com", "a..b@example.com", "a b@example.com", "a@-x.example"],
)
def test_an_invalid_recipient_is_refused_with_5xx(service: MailboxService, recipient: str) -> None:
    with _smtp(service) as smtp:
        smtp.ehlo()
        smtp.mail("portal@rpp.example")
        # docmd: smtplib's own rcpt() would rewrite some bad addresses before sending
        code, reply = smtp.docmd("RCPT", f"TO:<{recipient}>")
        assert code in (501, 553), (code, reply)
    assert service.mailbox.count() == 0


def test_a_message_to_an_invalid_address_is_not_stored(service: MailboxService) -> None:
    with _smtp(service) as smtp, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp.sendmail("portal@rpp.example", ["no-at-sign"], _email("x@example.com").as_bytes())
    assert [code for code, _ in refused.value.recipients.values()] == [553]
    assert service.mailbox.count() == 0


def test_an_oversized_message_is_refused_with_552() -> None:
    with MailboxService(max_message_bytes=2_000) as service:
        big = _email("big@example.com", body=("y" * 70 + "\n") * 40)
        with pytest.raises(smtplib.SMTPSenderRefused) as declared:  # SIZE= at MAIL FROM
            _send(service, big)
        assert declared.value.smtp_code == 552
        with _smtp(service) as smtp:  # a client that declares no size: refused after DATA
            smtp.ehlo()
            smtp.mail("portal@rpp.example")
            smtp.rcpt("big@example.com")
            code, _ = smtp.data(big.as_bytes(policy=email.policy.SMTP))
        assert code == 552
        _send(service, _email("small@example.com"))
        assert service.mailbox.count() == 1
        assert service.mailbox.count("big@example.com") == 0


def test_a_full_mailbox_refuses_with_452_and_keeps_what_it_has() -> None:
    with MailboxService(max_messages=2) as service:
        waiting = _smtp(service)  # passes RCPT while there is room
        waiting.ehlo()
        waiting.mail("portal@rpp.example")
        assert waiting.rcpt("late@example.com")[0] == 250
        _send(service, _email("one@example.com"))
        _send(service, _email("two@example.com"))
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            _send(service, _email("three@example.com"))
        [(code, _)] = refused.value.recipients.values()
        assert code == 452
        late = _email("late@example.com").as_bytes(policy=email.policy.SMTP)
        code, _ = waiting.data(late)  # full by now
        waiting.close()
        assert code == 452
        assert sorted(service.mailbox.addresses()) == ["one@example.com", "two@example.com"]
        service.mailbox.delete([service.mailbox.deliveries()[0].id])
        _send(service, _email("three@example.com"))  # room again
        assert service.mailbox.count("three@example.com") == 1


def test_mail_past_the_total_bytes_is_refused_with_452_until_some_is_deleted() -> None:
    body = ("z" * 70 + "\n") * 20  # about 1.4 kB a message
    with MailboxService(max_total_bytes=4_000) as service:
        _send(service, _email("one@example.com", body=body))
        _send(service, _email("two@example.com", body=body))
        held = service.mailbox.held_bytes()
        assert 2_800 < held <= 4_000
        with _smtp(service) as smtp:
            smtp.ehlo()
            smtp.mail("portal@rpp.example")
            smtp.rcpt("three@example.com")
            code, reply = smtp.data(
                _email("three@example.com", body=body).as_bytes(policy=email.policy.SMTP)
            )
        assert (code, b"full" in reply) == (452, True)
        assert service.mailbox.held_bytes() == held
        assert service.mailbox.count("three@example.com") == 0
        service.mailbox.delete([service.mailbox.deliveries()[0].id])
        assert service.mailbox.held_bytes() < held
        _send(service, _email("three@example.com", body=body))  # room again
        assert service.mailbox.count("three@example.com") == 1
        service.mailbox.clear()
        assert service.mailbox.held_bytes() == 0


def test_a_message_the_mailbox_cannot_file_is_refused_not_accepted() -> None:
    def broken_rule(message: EmailMessage) -> bool:
        raise RuntimeError("the spam rule broke")

    with MailboxService(Mailbox(spam_for=broken_rule)) as service:
        with _smtp(service) as smtp, pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.send_message(_email("a@example.com"))
        assert refused.value.smtp_code == 451
        assert service.mailbox.count() == 0


def test_over_100_recipients_get_452() -> None:
    with MailboxService() as service, _smtp(service) as smtp:
        smtp.ehlo()
        smtp.mail("portal@rpp.example")
        codes = [smtp.rcpt(f"r{n}@example.com")[0] for n in range(101)]
    assert codes == [250] * 100 + [452]


# --- the HTML inbox ----------------------------------------------------------------


def test_the_html_inbox_escapes_what_mail_says(service: MailboxService, http: httpx.Client) -> None:
    _send(
        service,
        _email(
            "victim@example.com",
            "<script>alert('x')</script>",
            "<img src=x onerror=alert(1)>\n",
            sender='"<b>Evil</b>" <evil@example.com>',
        ),
    )
    index = http.get("/")
    assert index.status_code == 200
    assert 'href="/inbox/victim@example.com"' in index.text

    inbox = http.get("/inbox/victim@example.com")
    assert inbox.status_code == 200
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in inbox.text
    [message_id] = [d.id for d in service.mailbox.deliveries()]
    assert f'href="/view/{message_id}"' in inbox.text

    view = http.get(f"/view/{message_id}")
    assert view.status_code == 200
    assert "&lt;img src=x onerror=alert(1)&gt;" in view.text
    assert "&lt;b&gt;Evil&lt;/b&gt;" in view.text
    for page in (index, inbox, view):
        assert "<script" not in page.text and "<img" not in page.text and "<b>" not in page.text
    assert http.get("/inbox/nobody@example.com").status_code == 404


def test_every_response_carries_the_security_headers(
    service: MailboxService, http: httpx.Client
) -> None:
    _send(service, _email("a@example.com"))
    [delivery] = service.mailbox.deliveries()
    responses = [
        http.get(path)
        for path in (
            "/",
            "/inbox/a@example.com",
            f"/view/{delivery.id}",
            "/style.css",
            "/api/v1/messages",
            f"/api/v1/message/{delivery.id}",
            f"/api/v1/message/{delivery.id}/raw",
            "/api/v1/search?query=to:a",
            "/no/such/page",
            "/view/404",
        )
    ]
    responses.append(http.post("/api/v1/messages"))  # 405
    for response in responses:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (response.url, name)
    assert "default-src 'none'" in SECURITY_HEADERS["Content-Security-Policy"]


# --- the service -------------------------------------------------------------------


def test_the_service_starts_and_stops_cleanly() -> None:
    threads_before = set(threading.enumerate())
    with MailboxService() as service:
        smtp_port, http_port = service.smtp_port, service.http_port
        assert service.http_url == f"http://127.0.0.1:{http_port}"
        assert _is_listening(smtp_port) and _is_listening(http_port)
        idle = httpx.Client()  # a keep-alive connection must not hold the server open
        idle.get(service.http_url + "/api/v1/messages")
    idle.close()
    assert not service.running
    assert not _is_listening(smtp_port) and not _is_listening(http_port)
    # An AnyIO worker thread ends once its event loop has closed: give it a moment.
    for thread in set(threading.enumerate()) - threads_before:
        thread.join(timeout=5)
    assert set(threading.enumerate()) <= threads_before, "a thread outlived the service"
    with pytest.raises(RuntimeError, match="not running"):
        _ = service.http_url


def test_a_port_in_use_is_named_and_nothing_is_left_running(running: MailboxService) -> None:
    threads_before = set(threading.enumerate())
    with pytest.raises(CannotListen, match=rf"SMTP on 127.0.0.1:{running.smtp_port}.*in use"):
        MailboxService(smtp_port=running.smtp_port).start()
    with pytest.raises(CannotListen, match=rf"HTTP on 127.0.0.1:{running.http_port}.*--http-port"):
        MailboxService(http_port=running.http_port).start()
    assert set(threading.enumerate()) <= threads_before
    with pytest.raises(ValueError, match="smtp_port"):
        MailboxService(smtp_port=70000)


# --- the command -------------------------------------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rpp mailbox")
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_the_command_serves_until_stopped(flow_set: FlowSet) -> None:
    stop = threading.Event()
    started: list[MailboxService] = []
    output: list[int] = []
    out = io.StringIO()

    def run() -> None:
        args = _args("--smtp-port", "0", "--http-port", "0")
        output.append(serve(args, stop, out, started.append))

    thread = threading.Thread(target=run)
    thread.start()
    try:
        for _ in range(1000):
            if started or not thread.is_alive():
                break
            threading.Event().wait(0.005)
        [service] = started
        smtp_port, http_url = service.smtp_port, service.http_url
        message = render_email(
            flow_set.portal, "username", "cmd@example.com", SENT_AT, user_names=["jc"]
        )
        _send(service, message)
        with MailpitReader(service.http_url, flow_set.portal) as reader:
            [received] = reader.messages("cmd@example.com")
        assert received["Message-ID"] == message["Message-ID"]
    finally:
        stop.set()
        thread.join(10)
    assert output == [0]
    text = out.getvalue()
    assert f"SMTP on 127.0.0.1:{smtp_port}" in text
    assert http_url in text and "Ctrl-C" in text
    assert not service.running
    assert "stopped (1 message(s) were held)" in text


def test_the_command_refuses_a_port_in_use_and_bad_options(running: MailboxService) -> None:
    with pytest.raises(UsageError, match=rf"127.0.0.1:{running.http_port}.*--http-port"):
        serve(_args("--smtp-port", "0", "--http-port", str(running.http_port)), threading.Event())
    with pytest.raises(UsageError, match="--smtp-port 70000"):
        serve(_args("--smtp-port", "70000"), threading.Event())
    with pytest.raises(UsageError, match="--max-messages 0"):
        serve(_args("--max-messages", "0"), threading.Event())


_MAIN = """
import argparse, sys
from simulator.mail.command import add_arguments, run
from specs.errors import UsageError
parser = argparse.ArgumentParser(prog="rpp mailbox")
add_arguments(parser)
try:
    sys.exit(run(parser.parse_args(sys.argv[1:])))
except UsageError as error:
    print(f"rpp mailbox: {error}", file=sys.stderr)
    sys.exit(2)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_command_stops_cleanly_on_a_signal(signum: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", _MAIN, "--smtp-port", "0", "--http-port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        url = next(line.split(" at ")[-1].strip() for line in lines if "http://" in line)
        assert httpx.get(url + "/api/v1/messages").json()["total"] == 0
        process.send_signal(signum)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_tagging_spam_moves_a_message_between_folders_as_mailpit_tags_it(
    service: MailboxService, http: httpx.Client
) -> None:
    _send(service, _email("jessica@example.com", "Reset"))
    (summary,) = http.get("/api/v1/messages").json()["messages"]
    reader = MailpitReader(service.http_url)
    assert len(reader.folder("jessica@example.com", "inbox")) == 1

    tagged = http.put("/api/v1/tags", json={"IDs": [summary["ID"]], "Tags": ["spam"]})
    assert tagged.status_code == 200
    assert http.get("/api/v1/messages").json()["messages"][0]["Tags"] == ["spam"]
    assert [len(reader.folder("jessica@example.com", f)) for f in ("inbox", "spam")] == [0, 1]

    untagged = http.put("/api/v1/tags", json={"IDs": [summary["ID"]], "Tags": []})
    assert untagged.status_code == 200
    assert [len(reader.folder("jessica@example.com", f)) for f in ("inbox", "spam")] == [1, 0]

    # Other tags, or a message that is not there: refused, nothing changes.
    assert (
        http.put("/api/v1/tags", json={"IDs": [summary["ID"]], "Tags": ["work"]}).status_code == 400
    )
    assert http.put("/api/v1/tags", json={"IDs": ["nope"], "Tags": ["spam"]}).status_code == 400
    assert [len(reader.folder("jessica@example.com", f)) for f in ("inbox", "spam")] == [1, 0]
    reader.close()
