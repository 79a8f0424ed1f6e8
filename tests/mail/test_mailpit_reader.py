"""MailpitReader: the portal's emails sent over real SMTP to `rpp mailbox`, read back
over its Mailpit-shaped HTTP API exactly as the in-process Mailbox reads them."""

from __future__ import annotations

import datetime as dt
import http.server
import smtplib
import threading
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest

from simulator.mail.mailbox import Mailbox, SmtpTransport
from simulator.mail.mailpit import NEWEST, MailpitError, MailpitReader
from simulator.mail.messages import (
    body_of,
    email_kind,
    render_email,
    temporary_password_in,
    user_names_in,
)
from simulator.mail.reader import MailReader
from simulator.mail.service import MailboxService
from simulator.mail.smtp_sink import free_port
from specs import FlowSet

SENT_AT = dt.datetime(2026, 11, 2, 8, 15, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def running() -> Iterator[MailboxService]:
    mailbox = Mailbox(spam_for=lambda m: email_kind(m) == "password_reset")
    with MailboxService(mailbox) as service:
        yield service


@pytest.fixture
def service(running: MailboxService) -> MailboxService:
    running.mailbox.clear()
    return running


@pytest.fixture
def reader(service: MailboxService, flow_set: FlowSet) -> Iterator[MailpitReader]:
    # A small page, so every read pages through several requests.
    with MailpitReader(service.http_url, flow_set.portal, page_size=2) as opened:
        yield opened


def _username(flow_set: FlowSet, to: str, *names: str) -> EmailMessage:
    return render_email(flow_set.portal, "username", to, SENT_AT, user_names=list(names or ["jc"]))


def _reset(flow_set: FlowSet, to: str, password: str = "aB3dE9fGh") -> EmailMessage:
    return render_email(flow_set.portal, "password_reset", to, SENT_AT, temporary_password=password)


def _send(service: MailboxService, *messages: EmailMessage) -> None:
    transport = SmtpTransport(service.smtp_host, service.smtp_port)
    for message in messages:
        transport.send(message)


def _ids(messages: list[EmailMessage]) -> list[str]:
    return [str(m["Message-ID"]) for m in messages]


def test_a_mailpit_reader_is_a_mail_reader(reader: MailpitReader) -> None:
    assert isinstance(reader, MailReader)


def test_mail_sent_over_smtp_reads_back_letter_for_letter(
    flow_set: FlowSet, service: MailboxService, reader: MailpitReader
) -> None:
    sent = _username(flow_set, "Jessica.Camp@Example.com", "jessicacamp", "JC2")
    _send(service, sent)

    [received] = reader.messages(" JESSICA.camp@example.com")
    assert received is not sent
    for header in ("To", "From", "Subject", "Date", "Message-ID"):
        assert received[header] == sent[header], header
    assert body_of(received) == body_of(sent)
    assert email_kind(received, flow_set.portal) == "username"
    assert user_names_in(received, flow_set.portal) == ["jessicacamp", "JC2"]


def test_an_address_reads_all_its_mail_oldest_first_as_the_mailbox_does(
    flow_set: FlowSet, service: MailboxService, reader: MailpitReader
) -> None:
    mine = [_username(flow_set, "a@example.com", f"user{n}") for n in range(5)]
    theirs = _username(flow_set, "ba@example.com")  # `to:a@example.com` matches it too
    _send(service, mine[0], theirs, *mine[1:])

    assert _ids(reader.messages("a@example.com")) == _ids(mine)  # 5 over pages of 2
    assert _ids(reader.messages("a@example.com")) == _ids(service.mailbox.messages("a@example.com"))
    assert _ids(reader.messages("ba@example.com")) == _ids([theirs])
    assert reader.messages("nobody@example.com") == []


def test_an_envelope_recipient_reads_its_mail(
    flow_set: FlowSet, service: MailboxService, reader: MailpitReader
) -> None:
    message = _username(flow_set, "a@example.com")
    with smtplib.SMTP(service.smtp_host, service.smtp_port, local_hostname="localhost") as smtp:
        smtp.send_message(message, to_addrs=["a@example.com", "hidden@example.com"])
    assert _ids(reader.messages("hidden@example.com")) == _ids([message])
    assert _ids(reader.search()) == _ids([message])  # one message, however many recipients


def test_search_checks_every_criterion_as_the_mailbox_does(
    flow_set: FlowSet, service: MailboxService, reader: MailpitReader
) -> None:
    _send(
        service,
        _username(flow_set, "a@example.com"),
        _reset(flow_set, "a@example.com", "Zq8WxY3kL"),
        _reset(flow_set, "b@example.com"),
        _username(flow_set, "b@example.com"),
    )
    mailbox = service.mailbox
    reset_subject = flow_set.portal.emails["password_reset"].subject.text
    for criteria in (
        {},
        {"to": "A@example.com"},
        {"kind": "password_reset"},
        {"to": "a@example.com", "kind": "password_reset"},
        {"subject": reset_subject},
        {"to": "b@example.com", "subject": reset_subject},
        {"subject": reset_subject.lower()},  # the Subject letter for letter: none
        {"to": "a@example.com", "kind": "no_such_kind"},
    ):
        assert _ids(reader.search(**criteria)) == _ids(mailbox.search(**criteria)), criteria
    [reset] = reader.search(to="a@example.com", kind="password_reset")
    assert temporary_password_in(reset, flow_set.portal) == "Zq8WxY3kL"


def test_folders_are_told_by_the_spam_tag(
    flow_set: FlowSet, service: MailboxService, reader: MailpitReader
) -> None:
    username, reset = _username(flow_set, "p@example.com"), _reset(flow_set, "p@example.com")
    _send(service, username, reset)
    assert _ids(reader.folder("p@example.com", "inbox")) == _ids([username])
    assert _ids(reader.folder("p@example.com", "spam")) == _ids([reset])
    with pytest.raises(ValueError, match="no folder 'junk'"):
        reader.folder("p@example.com", "junk")


def test_count_and_delete_all(
    flow_set: FlowSet, service: MailboxService, reader: MailpitReader
) -> None:
    assert reader.count() == 0
    _send(service, _username(flow_set, "a@example.com"), _username(flow_set, "b@example.com"))
    assert reader.count() == 2
    reader.delete_all()
    assert reader.count() == 0
    assert service.mailbox.count() == 0


def test_reading_everything_again_asks_only_for_the_newest(
    flow_set: FlowSet, service: MailboxService, reader: MailpitReader
) -> None:
    """A journey reads everything after each step: one small request when nothing or a
    little arrived, a full listing when mail was deleted or much arrived, and always
    what the mailbox holds, oldest first."""
    asked: list[str] = []
    send = reader._client.request

    def counted(method: str, url: str, **options: object) -> httpx.Response:
        asked.append(f"{method} {url.split('/api/v1/')[-1]}")
        return send(method, url, **options)  # type: ignore[arg-type]

    reader._client.request = counted  # type: ignore[method-assign]

    def held() -> list[str]:
        return [str(d.message["Message-ID"]) for d in service.mailbox.deliveries()]

    def read() -> list[str]:
        asked.clear()
        found = _ids(reader.search())
        assert found == held()
        return asked

    _send(service, *(_username(flow_set, f"a{i}@example.com") for i in range(3)))
    assert len(read()) == 2 + 3  # the first listing pages (2 a page), then each source
    assert read() == ["GET messages"]  # nothing new: one request
    _send(service, _username(flow_set, "b@example.com"))
    assert read() == ["GET messages", f"GET message/{service.mailbox.deliveries()[-1].id}/raw"]
    service.mailbox.delete([service.mailbox.deliveries()[0].id])
    assert len(read()) > 1  # deleted: listed again
    _send(service, *(_username(flow_set, f"c{i}@example.com") for i in range(NEWEST + 1)))
    assert len(read()) > 1 + NEWEST + 1  # more than the newest page: listed again
    service.mailbox.delete([service.mailbox.deliveries()[-1].id])
    _send(service, _username(flow_set, "d@example.com"))
    assert len(read()) > 2  # one gone, one come: the total alone would not tell
    reader.delete_all()
    assert read() == ["GET messages"]
    _send(service, _username(flow_set, "e@example.com"))
    assert len(read()) == 2


def test_describe_shows_what_is_held(
    flow_set: FlowSet, service: MailboxService, reader: MailpitReader
) -> None:
    assert "empty" in reader.describe("a@example.com")
    _send(service, _username(flow_set, "a@example.com", "jessicacamp"))
    text = reader.describe("a@example.com")
    assert "a@example.com: 1 message(s)" in text
    assert str(flow_set.portal.emails["username"].subject.text) in text
    assert "jessicacamp" in text
    assert "1 message(s)" in reader.describe()


def test_a_server_that_is_not_there_is_a_clear_error(flow_set: FlowSet) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with MailpitReader(url, flow_set.portal, timeout=2) as reader:
        with pytest.raises(MailpitError, match=rf"cannot reach the mail API at {url}/api/v1"):
            reader.messages("a@example.com")
        with pytest.raises(MailpitError, match=url):
            reader.count()
        assert "could not be read" in reader.describe("a@example.com")  # never raises


class _LoginPage(http.server.BaseHTTPRequestHandler):
    """A web server that is not Mailpit: a login page at every path."""

    def do_GET(self) -> None:
        body = b"<html>a login page</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_server_that_is_not_mailpit_is_a_clear_error(service: MailboxService) -> None:
    with (
        MailpitReader(service.http_url + "/inbox") as reader,  # HTML pages, not the API
        pytest.raises(MailpitError, match=r"answered 404"),
    ):
        reader.count()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LoginPage)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with (
            MailpitReader(url) as reader,
            pytest.raises(MailpitError, match=rf"{url}/api/v1/search.*not answer Mailpit's"),
        ):
            reader.messages("a@example.com")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    with pytest.raises(ValueError, match="http://"):
        MailpitReader("127.0.0.1:8025")


def test_the_info_counters_see_a_repeated_message_id_and_refusals() -> None:
    def to(address: str) -> EmailMessage:
        bad = EmailMessage()
        bad["From"], bad["To"], bad["Subject"] = "portal@rpp.example", address, "Hello"
        bad.set_content("hi")
        return bad

    with MailboxService() as service, MailpitReader(service.http_url) as reader:
        before = reader.runtime_stats()
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = (
            "portal@rpp.example",
            "a@example.com",
            "Hello",
        )
        message["Message-ID"] = "<one@rpp.example>"
        message.set_content("hi")
        transport = SmtpTransport(service.smtp_host, service.smtp_port)
        transport.send(message)
        transport.send(message)  # the same Message-ID again: answered 250, not filed
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            transport.send(to("not-an-address"))
        after = reader.runtime_stats()
        assert after["SMTPAccepted"] - before["SMTPAccepted"] == 1
        assert after["SMTPIgnored"] - before["SMTPIgnored"] == 1
        assert after["SMTPRejected"] - before["SMTPRejected"] == 1
        assert reader.count() == 1
