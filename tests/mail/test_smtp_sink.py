"""The portal's emails over real SMTP: SmtpTransport -> SmtpSink -> Mailbox."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import smtplib
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from simulator.mail.mailbox import Mailbox, SmtpTransport
from simulator.mail.messages import (
    body_of,
    email_kind,
    render_email,
    temporary_password_in,
    user_names_in,
)
from simulator.mail.smtp_sink import SmtpSink
from specs import FlowSet

SENT_AT = dt.datetime(2026, 11, 2, 8, 15, tzinfo=dt.UTC)


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def sink(mailbox: Mailbox) -> Iterator[SmtpSink]:
    with SmtpSink(mailbox) as running:
        yield running


def _reset_email(flow_set: FlowSet, to: str, password: str = "aB3dE9fGh") -> EmailMessage:
    return render_email(flow_set.portal, "password_reset", to, SENT_AT, temporary_password=password)


def _is_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_rendered_email_sent_over_smtp_lands_in_the_mailbox(
    flow_set: FlowSet, mailbox: Mailbox, sink: SmtpSink
) -> None:
    sent = render_email(
        flow_set.portal,
        "username",
        "Jessica.Camp@Example.com",
        SENT_AT,
        user_names=["jessicacamp", "JC2"],
    )
    SmtpTransport("127.0.0.1", sink.port).send(sent)

    received = mailbox.latest("jessica.camp@example.com")
    assert received is not sent  # it really went through the wire
    for header in ("To", "From", "Subject", "Date", "Message-ID"):
        assert received[header] == sent[header], header
    assert received["From"] == flow_set.portal.parameters.sender
    assert body_of(received) == body_of(sent)
    assert email_kind(received) == "username"
    assert user_names_in(received, flow_set.portal) == ["jessicacamp", "JC2"]
    assert mailbox.count() == 1
    assert sink.handler.received == 1


def test_a_mixed_case_temporary_password_survives_smtp(
    flow_set: FlowSet, mailbox: Mailbox, sink: SmtpSink
) -> None:
    sink.transport().send(_reset_email(flow_set, "p@example.com", "Zq8WxY3kL"))
    received = mailbox.latest("p@example.com", kind="password_reset")
    assert temporary_password_in(received, flow_set.portal) == "Zq8WxY3kL"


def test_each_envelope_recipient_gets_the_message(
    flow_set: FlowSet, mailbox: Mailbox, sink: SmtpSink
) -> None:
    message = _reset_email(flow_set, "a@example.com")
    with smtplib.SMTP("127.0.0.1", sink.port, local_hostname="localhost", timeout=10) as smtp:
        smtp.send_message(message, to_addrs=["A@example.com", "hidden@example.com"])
    assert [m["Message-ID"] for m in mailbox.messages("a@example.com")] == [message["Message-ID"]]
    assert [m["Message-ID"] for m in mailbox.messages("hidden@example.com")] == [
        message["Message-ID"]
    ]
    assert mailbox.count() == 2


def test_the_mailbox_rules_apply_to_smtp_deliveries(flow_set: FlowSet) -> None:
    mailbox = Mailbox(spam_for=lambda m: email_kind(m) == "password_reset")
    with SmtpSink(mailbox) as sink:
        message = _reset_email(flow_set, "a@example.com")
        sink.transport().send(message)
        sink.transport().send(message)  # resent: same Message-ID
    assert [m["Message-ID"] for m in mailbox.folder("a@example.com", "spam")] == [
        message["Message-ID"]
    ]
    assert mailbox.folder("a@example.com", "inbox") == []
    assert mailbox.duplicates_refused == 1


SENDERS = 4
SENDS_PER_SENDER = 25


def test_concurrent_smtp_sends_all_arrive_exactly_once(
    flow_set: FlowSet, mailbox: Mailbox, sink: SmtpSink
) -> None:
    batches = [
        [
            _reset_email(flow_set, f"producer{s}-{i % 3}@example.com")
            for i in range(SENDS_PER_SENDER)
        ]
        for s in range(SENDERS)
    ]
    transport = sink.transport()
    start = threading.Barrier(SENDERS)
    errors: list[BaseException] = []

    def send_all(batch: list[EmailMessage]) -> None:
        try:
            start.wait()
            for message in batch:
                transport.send(message)
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=send_all, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors

    total = SENDERS * SENDS_PER_SENDER
    sent_ids = sorted(m["Message-ID"] for batch in batches for m in batch)
    received_ids = sorted(m["Message-ID"] for m in mailbox.search())
    assert received_ids == sent_ids, mailbox.describe()
    assert mailbox.count() == total
    assert mailbox.duplicates_refused == 0
    for s in range(SENDERS):
        sent_to_first = len(range(0, SENDS_PER_SENDER, 3))
        assert mailbox.count(f"producer{s}-0@example.com") == sent_to_first


def test_the_sink_starts_and_stops_cleanly_and_quickly(mailbox: Mailbox) -> None:
    threads_before = set(threading.enumerate())
    began = time.monotonic()
    with SmtpSink(mailbox) as sink:
        port = sink.port
        assert sink.running
        assert sink.host == "127.0.0.1"
        assert _is_listening(port)
        # A client that never says QUIT must not hold the sink open.
        lingering = smtplib.SMTP("127.0.0.1", port, local_hostname="localhost", timeout=5)
        lingering.ehlo()
    assert time.monotonic() - began < 3.0
    lingering.close()
    assert not sink.running
    assert not _is_listening(port)
    assert set(threading.enumerate()) <= threads_before, "a thread outlived the sink"
    with pytest.raises(RuntimeError, match="not running"):
        _ = sink.port


def test_two_sinks_run_side_by_side_on_their_own_ports(mailbox: Mailbox) -> None:
    other = Mailbox()
    with SmtpSink(mailbox) as first, SmtpSink(other) as second:
        assert first.port != second.port


def test_a_sink_can_be_restarted_but_not_started_twice(flow_set: FlowSet, mailbox: Mailbox) -> None:
    sink = SmtpSink(mailbox)
    sink.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            sink.start()
    finally:
        sink.stop()
    sink.stop()  # stopping a stopped sink does nothing
    with sink:
        sink.transport().send(_reset_email(flow_set, "again@example.com"))
    assert mailbox.count("again@example.com") == 1


def test_sending_to_a_stopped_sink_fails_loudly(flow_set: FlowSet, mailbox: Mailbox) -> None:
    with SmtpSink(mailbox) as sink:
        transport = sink.transport(timeout=2)
    with pytest.raises(OSError):
        transport.send(_reset_email(flow_set, "lost@example.com"))
    assert mailbox.count() == 0


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Message-ID", "<>"),
        ("Message-ID", "<"),
        ("Message-ID", "< >"),
        ("Message-ID", "<@>"),
    ],
)
def test_a_malformed_header_is_answered_554_naming_it(
    sink: SmtpSink, mailbox: Mailbox, header: str, value: str
) -> None:
    """A header the mailbox files by that cannot be parsed (the header parser raises
    IndexError on ``Message-ID: <>``) is the client's mistake: 554, the header named,
    nothing filed, and the sink keeps serving."""
    raw = (
        f"To: a@example.com\r\nFrom: b@example.com\r\nSubject: x\r\n{header}: {value}\r\n"
        "\r\nbody\r\n"
    )
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("b@example.com", ["a@example.com"], raw)
        assert refused.value.smtp_code == 554
        reply = refused.value.smtp_error.decode()
        assert f"the {header} header is malformed ({value.strip()})" in reply, reply
        client.sendmail("b@example.com", ["a@example.com"], raw.replace(value, "<ok@example.com>"))
    assert [m["Subject"] for m in mailbox.messages("a@example.com")] == ["x"]


def test_the_mailbox_refuses_a_malformed_message_id_with_a_value_error(mailbox: Mailbox) -> None:
    raw = b"To: a@example.com\r\nSubject: x\r\nMessage-ID: <>\r\n\r\nbody\r\n"
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    with pytest.raises(ValueError, match="the Message-ID header is malformed"):
        mailbox.deliver(parsed)
    assert mailbox.count() == 0


# --- issue 28, point 13: an over-long line is bounded by the message size limit -------

WAIT = 30.0  # for a reply or a close; normally milliseconds


def _smtp_dialogue(port: int) -> socket.socket:
    """A raw SMTP connection to the sink, in DATA (the 354 read)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    reader = sock.makefile("rb")
    assert reader.readline().startswith(b"220")
    for command, expected in (
        (b"EHLO attacker.example", b"250 "),
        (b"MAIL FROM:<a@example.com>", b"250"),
        (b"RCPT TO:<b@example.com>", b"250"),
        (b"DATA", b"354"),
    ):
        sock.sendall(command + b"\r\n")
        while not (reply := reader.readline()).startswith(expected):
            assert reply[:3].isdigit() and reply[3:4] == b"-", reply
    return sock


def _until_closed(sock: socket.socket) -> bytes:
    """What the sink sent until it closed the connection (a reset, when our unread
    flood was still arriving, may swallow its last reply)."""
    reply = b""
    sock.settimeout(WAIT)
    try:
        while chunk := sock.recv(4096):
            reply += chunk
    except ConnectionResetError:
        pass
    return reply


def _flood(sock: socket.socket, total: int) -> tuple[threading.Thread, list[int]]:
    """Send ``total`` bytes without a line end, in a thread; the bytes sent so far."""
    sent = [0]

    def send() -> None:
        chunk = b"x" * 65536
        try:
            while sent[0] < total:
                sock.sendall(chunk)
                sent[0] += len(chunk)
        except OSError:
            pass  # the sink closed the connection

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, sent


def test_an_over_long_data_line_is_refused_at_the_message_limit_without_being_kept(
    mailbox: Mailbox,
) -> None:
    import tracemalloc

    limit = 4 * 2**20
    tracemalloc.start()
    try:
        with SmtpSink(mailbox, data_size_limit=limit) as sink, _smtp_dialogue(sink.port) as sock:
            thread, sent = _flood(sock, 100 * 2**20)
            reply = _until_closed(sock)
            thread.join(WAIT)
            assert not thread.is_alive(), f"the sender was not stopped within {WAIT} s"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(
        f"100 MB DATA line: cut off after {sent[0] / 2**20:.1f} MiB sent;"
        f" {peak / 2**20:.2f} MiB allocated at the peak (limit {limit / 2**20:.0f} MiB)"
    )
    assert not reply or reply.startswith(b"552 "), reply
    assert sent[0] < 100 * 2**20, "the whole 100 MB line was read"
    assert peak < limit, f"{peak:,} bytes held at the peak for a line refused at {limit:,}"
    assert mailbox.delivery_count() == 0


def test_a_line_over_1000_characters_is_refused_and_the_session_goes_on(sink: SmtpSink) -> None:
    with _smtp_dialogue(sink.port) as sock:
        reader = sock.makefile("rb")
        sock.sendall(b"Subject: long\r\n\r\n" + b"y" * 5000 + b"\r\n.\r\n")
        assert reader.readline().startswith(b"500 "), "over-long line"
        sock.sendall(b"NOOP\r\n")
        assert reader.readline().startswith(b"250"), "the session goes on"


def test_an_endless_command_line_is_cut_off_at_the_limit(mailbox: Mailbox) -> None:
    with (
        SmtpSink(mailbox, data_size_limit=2**20) as sink,
        socket.create_connection(("127.0.0.1", sink.port), timeout=WAIT) as sock,
    ):
        assert sock.recv(1024).startswith(b"220")
        thread, sent = _flood(sock, 100 * 2**20)
        reply = _until_closed(sock)
        thread.join(WAIT)
        assert not thread.is_alive(), f"the sender was not stopped within {WAIT} s"
    assert not reply or reply.startswith(b"500 Command line too long"), reply
    assert sent[0] < 100 * 2**20


def test_a_repeated_message_id_with_other_content_is_kept_never_250_then_dropped(
    sink: SmtpSink, mailbox: Mailbox, flow_set: FlowSet
) -> None:
    """Issue 28, point 14: what is answered 250 is held; a retry of the same message
    (same Message-ID, same content) is held once."""
    first = _reset_email(flow_set, "a@example.com", "aB3dE9fGh")
    forged = _reset_email(flow_set, "a@example.com", "zZ9yY8xXw")
    del forged["Message-ID"]
    forged["Message-ID"] = first["Message-ID"]
    transport = sink.transport()
    for message in (first, first, forged):  # each answered 250 (send raises otherwise)
        transport.send(message)
    held = [str(m["Message-ID"]) for m in mailbox.messages("a@example.com")]
    assert held == [str(first["Message-ID"])] * 2
    assert [temporary_password_in(m) for m in mailbox.messages("a@example.com")] == [
        "aB3dE9fGh",
        "zZ9yY8xXw",
    ]
    assert mailbox.duplicates_refused == 1
