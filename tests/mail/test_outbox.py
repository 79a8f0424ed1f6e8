"""The outbox sends after the portal's lock, keeps what the relay refuses and retries it."""

from __future__ import annotations

import smtplib
import threading
import time
from email.message import EmailMessage

import pytest

from simulator.mail.outbox import Outbox


def _email(to: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = "Password Reset"
    message.set_content("hello")
    return message


class Relay:
    """A transport that refuses while ``down`` (and always for ``bounced`` addresses,
    with 553) and records what it took."""

    def __init__(self) -> None:
        self.down = False
        self.bounced: set[str] = set()
        self.sent: list[str] = []
        self.attempts = 0
        self.took = threading.Event()

    def send(self, message: EmailMessage) -> None:
        self.attempts += 1
        if self.down:
            raise OSError("Connection refused")
        to = str(message["To"])
        if to in self.bounced:
            raise smtplib.SMTPRecipientsRefused({to: (553, b"not a valid mailbox")})
        self.sent.append(str(message["To"]))
        self.took.set()


def _wait(predicate: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not within 10 s"
        time.sleep(0.01)


def test_mail_collected_in_a_block_goes_when_the_block_ends() -> None:
    relay = Relay()
    outbox = Outbox(relay)
    with outbox.collecting():
        outbox.send(_email("a@example.com"))
        outbox.send(_email("b@example.com"))
        assert relay.sent == []  # nothing while the portal holds its lock
    assert relay.sent == ["a@example.com", "b@example.com"]
    outbox.send(_email("c@example.com"))  # outside a block: at once
    assert relay.sent[-1] == "c@example.com"
    with (
        pytest.raises(RuntimeError, match="does not nest"),
        outbox.collecting(),
        outbox.collecting(),
    ):
        pass


def test_refused_mail_waits_in_order_and_goes_when_the_relay_is_back() -> None:
    relay = Relay()
    outbox = Outbox(relay, retry_seconds=[0.05])
    relay.down = True
    with outbox.collecting():
        outbox.send(_email("a@example.com"))
        outbox.send(_email("b@example.com"))
    outbox.send(_email("c@example.com"))  # behind those waiting, even if the relay were up
    assert outbox.waiting == 3 and relay.sent == []
    _wait(lambda: relay.attempts >= 3)  # retried, still refused
    assert outbox.waiting == 3
    relay.down = False
    _wait(lambda: outbox.waiting == 0)
    assert relay.sent == ["a@example.com", "b@example.com", "c@example.com"]
    outbox.close()


def test_a_full_outbox_says_so_and_clear_forgets_it() -> None:
    relay = Relay()
    relay.down = True
    outbox = Outbox(relay, max_waiting=2, retry_seconds=[30])
    outbox.send(_email("a@example.com"))
    assert not outbox.full
    outbox.send(_email("b@example.com"))
    assert outbox.full
    assert outbox.clear() == 2 and outbox.waiting == 0 and not outbox.full
    outbox.close()


def test_close_stops_the_retries() -> None:
    relay = Relay()
    relay.down = True
    outbox = Outbox(relay, retry_seconds=[0.02])
    outbox.send(_email("a@example.com"))
    _wait(lambda: relay.attempts >= 2)
    outbox.close()
    attempts = relay.attempts
    time.sleep(0.1)
    assert relay.attempts == attempts and outbox.waiting == 1


@pytest.mark.parametrize(
    ("options", "says"), [({"max_waiting": 0}, "max_waiting"), ({"retry_seconds": [0]}, "retry")]
)
def test_limits_out_of_range_are_refused(options: dict[str, object], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        Outbox(Relay(), **options)  # type: ignore[arg-type]


def test_a_permanent_refusal_is_counted_and_the_rest_go_on() -> None:
    relay = Relay()
    relay.bounced = {"x"}
    outbox = Outbox(relay, retry_seconds=[30])
    with outbox.collecting():
        outbox.send(_email("a@example.com"))
        outbox.send(_email("x"))
        outbox.send(_email("b@example.com"))
    assert relay.sent == ["a@example.com", "b@example.com"]
    assert outbox.undeliverable == 1 and outbox.waiting == 0
    outbox.close()


def test_mail_leaves_in_the_order_it_was_queued_across_threads() -> None:
    relay = Relay()
    outbox = Outbox(relay)
    lock = threading.Lock()  # the portal's lock: the order of the clicks
    order: list[str] = []

    def click(n: int) -> None:
        with outbox.collecting(), lock:
            address = f"m{n}@example.com"
            order.append(address)
            outbox.send(_email(address))

    threads = [threading.Thread(target=click, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert relay.sent == order
