"""The portal's emails, rendered from portal.yaml, and the fake mailbox they land in."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import string
import threading
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.mail.mailbox import (
    Mailbox,
    MailboxTransport,
    NoSuchMessage,
    Transport,
    normalize_address,
)
from simulator.mail.messages import (
    MissingEmailPart,
    body_of,
    email_kind,
    render_email,
    sent_at_of,
    temporary_password_in,
    user_names_in,
)
from specs import FlowSet

SENT_AT = dt.datetime(2026, 11, 2, 8, 15, tzinfo=dt.UTC)
ADDRESS = "jessica.camp@example.com"

user_name = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=20)
temporary_password = st.text(alphabet=string.ascii_letters + string.digits, min_size=6, max_size=9)


def _username_email(flow_set: FlowSet, to: str = ADDRESS, *names: str) -> EmailMessage:
    return render_email(flow_set.portal, "username", to, SENT_AT, user_names=list(names or ["jc"]))


def _reset_email(flow_set: FlowSet, to: str = ADDRESS, password: str = "aB3dE9fGh") -> EmailMessage:
    return render_email(flow_set.portal, "password_reset", to, SENT_AT, temporary_password=password)


def _over_the_wire(message: EmailMessage) -> EmailMessage:
    """The message as a mail client gets it: serialized, then parsed again."""
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


# --- rendering ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("username", {"user_names": "jessicacamp"}),
        ("password_reset", {"temporary_password": "aB3dE9fGh"}),
    ],
)
def test_email_is_rendered_letter_for_letter_from_portal_yaml(
    flow_set: FlowSet, kind: str, fields: dict[str, str]
) -> None:
    template = flow_set.portal.emails[kind]
    message = render_email(flow_set.portal, kind, ADDRESS, SENT_AT, **fields)

    def filled(text: str) -> str:
        for name, value in fields.items():
            text = text.replace("{" + name + "}", value)
        return text

    expected_body = "\n\n".join(filled(part.text) for part in template.body)
    for received in (message, _over_the_wire(message)):
        assert received["To"] == ADDRESS
        assert received["From"] == flow_set.portal.parameters.sender
        assert received["Subject"] == template.subject.text
        assert parsedate_to_datetime(received["Date"]) == SENT_AT
        assert received["Message-ID"].endswith("@rpp.example>")
        assert email_kind(received, flow_set.portal) == kind
        assert not [h for h in received if h.lower().startswith("x-")], "no private header"
        assert body_of(received) == expected_body
        assert "{" not in body_of(received), "a placeholder was left unfilled"


def test_date_comes_from_sent_at_not_the_wall_clock(flow_set: FlowSet) -> None:
    long_ago = dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    message = render_email(
        flow_set.portal, "password_reset", ADDRESS, long_ago, temporary_password="x1Y2z3"
    )
    assert parsedate_to_datetime(message["Date"]) == long_ago
    assert sent_at_of(message) == sent_at_of(_over_the_wire(message)) == long_ago
    again = render_email(
        flow_set.portal, "password_reset", ADDRESS, long_ago, temporary_password="x1Y2z3"
    )
    assert again["Date"] == message["Date"]


def test_every_rendered_email_has_its_own_message_id(flow_set: FlowSet) -> None:
    ids = {_reset_email(flow_set)["Message-ID"] for _ in range(500)}
    assert len(ids) == 500


def test_rendering_refuses_bad_requests_with_what_would_be_right(flow_set: FlowSet) -> None:
    portal = flow_set.portal
    with pytest.raises(
        ValueError, match=r"no email template 'welcome'.*known kinds: password_reset, username"
    ):
        render_email(portal, "welcome", ADDRESS, SENT_AT)
    with pytest.raises(ValueError, match="missing temporary_password"):
        render_email(portal, "password_reset", ADDRESS, SENT_AT)
    with pytest.raises(ValueError, match="unknown user_names"):
        render_email(
            portal,
            "password_reset",
            ADDRESS,
            SENT_AT,
            temporary_password="aB3dE9fGh",
            user_names="jc",
        )
    with pytest.raises(ValueError, match="recipient address is empty"):
        render_email(portal, "username", "  ", SENT_AT, user_names="jc")
    with pytest.raises(ValueError, match="non-empty one-line"):
        render_email(portal, "username", ADDRESS, SENT_AT, user_names=[])
    with pytest.raises(ValueError, match="non-empty one-line"):
        render_email(portal, "username", ADDRESS, SENT_AT, user_names=["jc", "a,b"])
    with pytest.raises(ValueError, match="non-empty one-line"):
        render_email(portal, "password_reset", ADDRESS, SENT_AT, temporary_password=" aB3 ")


# --- reading as a producer ------------------------------------------------------------


@given(names=st.lists(user_name, min_size=1, max_size=6))
def test_user_names_read_back_as_listed(flow_set: FlowSet, names: list[str]) -> None:
    message = render_email(flow_set.portal, "username", ADDRESS, SENT_AT, user_names=names)
    assert user_names_in(message, flow_set.portal) == names
    assert user_names_in(_over_the_wire(message), flow_set.portal) == names


def test_user_names_are_joined_by_comma_space_in_the_body(flow_set: FlowSet) -> None:
    message = _username_email(flow_set, ADDRESS, "jessicacamp", "JCamp2", "jc3")
    assert "jessicacamp, JCamp2, jc3" in body_of(message)
    assert user_names_in(message) == ["jessicacamp", "JCamp2", "jc3"]  # shipped portal


@given(password=temporary_password)
def test_temporary_password_reads_back_with_its_case(flow_set: FlowSet, password: str) -> None:
    message = _reset_email(flow_set, password=password)
    assert temporary_password_in(message, flow_set.portal) == password
    assert temporary_password_in(_over_the_wire(message), flow_set.portal) == password


def test_mixed_case_temporary_password_is_not_altered(flow_set: FlowSet) -> None:
    message = _over_the_wire(_reset_email(flow_set, password="QwErTy789"))
    assert temporary_password_in(message) == "QwErTy789"


def test_a_reader_says_what_the_email_lacks(flow_set: FlowSet) -> None:
    username_email = _username_email(flow_set)
    reset_email = _reset_email(flow_set)
    with pytest.raises(MissingEmailPart, match="has no temporary password") as missing_password:
        temporary_password_in(username_email, flow_set.portal)
    assert flow_set.portal.emails["username"].subject.text in str(missing_password.value)
    with pytest.raises(MissingEmailPart, match="has no user names"):
        user_names_in(reset_email, flow_set.portal)
    assert issubclass(MissingEmailPart, ValueError)

    bare = EmailMessage()
    bare["Subject"] = "hello"
    with pytest.raises(MissingEmailPart, match=r"has the Subject .hello., none of portal\.yaml.s"):
        email_kind(bare, flow_set.portal)
    with pytest.raises(MissingEmailPart, match="no readable Date header"):
        sent_at_of(bare)
    with pytest.raises(MissingEmailPart, match="no plain text body"):
        user_names_in(bare, flow_set.portal)


def test_a_body_with_the_paragraph_edited_does_not_read(flow_set: FlowSet) -> None:
    message = _reset_email(flow_set)
    tampered = EmailMessage()
    tampered["Subject"] = message["Subject"]
    tampered.set_content(body_of(message).replace("Password:", "Passcode:"))
    with pytest.raises(
        MissingEmailPart, match=re.escape("no line like 'Temporary Password: {temporary_password}'")
    ):
        temporary_password_in(tampered, flow_set.portal)


# --- the mailbox ------------------------------------------------------------------------


def test_delivered_email_is_in_the_inbox_of_its_recipient(flow_set: FlowSet) -> None:
    mailbox = Mailbox()
    message = _username_email(flow_set)
    assert mailbox.deliver(message) == 1
    assert mailbox.folder(ADDRESS, "inbox") == [message]
    assert mailbox.folder(ADDRESS, "spam") == []
    assert mailbox.messages("someone.else@example.com") == []
    assert len(mailbox) == mailbox.count() == 1


def test_spam_rule_files_into_the_spam_folder(flow_set: FlowSet) -> None:
    mailbox = Mailbox(spam_for=lambda m: email_kind(m) == "password_reset")
    username_email = _username_email(flow_set)
    reset_email = _reset_email(flow_set)
    mailbox.deliver(username_email)
    mailbox.deliver(reset_email)
    assert mailbox.folder(ADDRESS, "inbox") == [username_email]
    assert mailbox.folder(ADDRESS, "spam") == [reset_email]
    assert mailbox.messages(ADDRESS) == [username_email, reset_email]  # both folders, in order
    assert mailbox.count(ADDRESS, "spam") == 1
    # A producer who checks spam too (USER-7) finds the newest email there.
    assert mailbox.latest(ADDRESS) is reset_email


def test_an_explicit_folder_overrides_the_spam_rule(flow_set: FlowSet) -> None:
    mailbox = Mailbox(spam_for=lambda m: True)
    message = _username_email(flow_set)
    mailbox.deliver(message, folder="inbox")
    assert mailbox.folder(ADDRESS, "inbox") == [message]
    with pytest.raises(ValueError, match="no folder 'junk'"):
        mailbox.deliver(_username_email(flow_set), folder="junk")
    with pytest.raises(ValueError, match="no folder 'junk'"):
        mailbox.folder(ADDRESS, "junk")


def test_addresses_match_trimmed_and_in_any_case(flow_set: FlowSet) -> None:
    mailbox = Mailbox()
    message = _username_email(flow_set, "Jessica Camp <Jessica.Camp@Example.COM>")
    mailbox.deliver(message)
    for spelling in (
        "jessica.camp@example.com",
        "  JESSICA.CAMP@example.com ",
        "J <jessica.camp@EXAMPLE.com>",
    ):
        assert mailbox.messages(spelling) == [message], spelling
        assert mailbox.search(to=spelling) == [message], spelling
    assert normalize_address(" Jessica.Camp@Example.COM\t") == "jessica.camp@example.com"
    assert mailbox.addresses() == ["jessica.camp@example.com"]


def test_a_message_is_filed_for_each_of_its_recipients(flow_set: FlowSet) -> None:
    mailbox = Mailbox()
    message = _username_email(flow_set, "a@example.com, B@example.com")
    assert mailbox.deliver(message) == 2
    assert mailbox.messages("a@example.com") == [message]
    assert mailbox.messages("b@example.com") == [message]
    assert mailbox.search() == [message]  # each message once
    assert mailbox.deliver(_username_email(flow_set), recipients=["bcc@example.com"]) == 1
    assert mailbox.count("bcc@example.com") == 1
    assert mailbox.count(ADDRESS) == 0  # the envelope, not the To header, decided


def test_a_repeated_message_id_is_refused_and_counted(flow_set: FlowSet) -> None:
    mailbox = Mailbox()
    message = _reset_email(flow_set)
    assert mailbox.deliver(message) == 1
    assert mailbox.deliver(message) == 0
    assert mailbox.deliver(message, folder="spam") == 0
    assert mailbox.messages(ADDRESS) == [message]
    assert mailbox.duplicates_refused == 2
    # A fresh email with the same text is a different message.
    assert mailbox.deliver(_reset_email(flow_set)) == 1


def test_a_repeated_message_id_with_other_content_is_kept(flow_set: FlowSet) -> None:
    """Issue 28, point 14: only a retry (same Message-ID, same content) is refused."""
    mailbox = Mailbox()
    first = _reset_email(flow_set)
    other = _reset_email(flow_set)
    del other["Message-ID"]
    other["Message-ID"] = first["Message-ID"]
    assert other.as_bytes() != first.as_bytes()
    assert mailbox.deliver(first) == 1
    assert mailbox.deliver(other) == 1
    assert mailbox.messages(ADDRESS) == [first, other]
    assert mailbox.duplicates_refused == 0
    assert mailbox.count(ADDRESS) == 2


def test_a_message_without_recipient_is_an_error_not_a_loss() -> None:
    with pytest.raises(ValueError, match="no recipient"):
        Mailbox().deliver(EmailMessage())


def test_search_by_recipient_subject_and_kind(flow_set: FlowSet) -> None:
    mailbox = Mailbox()
    first = _username_email(flow_set, "a@example.com")
    second = _reset_email(flow_set, "a@example.com")
    third = _reset_email(flow_set, "b@example.com")
    for message in (first, second, third):
        mailbox.deliver(message)
    reset_subject = flow_set.portal.emails["password_reset"].subject.text
    assert mailbox.search() == [first, second, third]
    assert mailbox.search(to="A@example.com") == [first, second]
    assert mailbox.search(subject=reset_subject) == [second, third]
    assert mailbox.search(kind="username") == [first]
    assert mailbox.search(to="b@example.com", kind="password_reset", subject=reset_subject) == [
        third
    ]
    assert mailbox.search(to="b@example.com", kind="username") == []
    assert mailbox.latest("a@example.com") is second
    assert mailbox.latest("a@example.com", kind="username") is first


def test_latest_of_nothing_shows_what_the_mailbox_holds(flow_set: FlowSet) -> None:
    mailbox = Mailbox()
    mailbox.deliver(_username_email(flow_set, "a@example.com"))
    with pytest.raises(
        NoSuchMessage, match=re.escape("no 'password_reset' email for a@example.com")
    ) as error:
        mailbox.latest("A@example.com", kind="password_reset")
    assert flow_set.portal.emails["username"].subject.text in str(error.value)
    assert isinstance(error.value, LookupError)


def test_describe_shows_folder_recipient_subject_and_first_lines(flow_set: FlowSet) -> None:
    mailbox = Mailbox(spam_for=lambda m: email_kind(m) == "password_reset")
    mailbox.deliver(_username_email(flow_set, "a@example.com", "jessicacamp"))
    mailbox.deliver(_reset_email(flow_set, "b@example.com", "aB3dE9fGh"))
    dump = mailbox.describe()
    first_reset_line = flow_set.portal.emails["password_reset"].body[0].text
    assert "[inbox] To: a@example.com" in dump
    assert "[spam] To: b@example.com" in dump
    assert flow_set.portal.emails["username"].subject.text in dump
    assert first_reset_line.replace("{temporary_password}", "aB3dE9fGh") in dump
    only_b = mailbox.describe("B@example.com")
    assert "a@example.com" not in only_b and "b@example.com" in only_b
    assert "empty (mail is held for: a@example.com, b@example.com)" in mailbox.describe(
        "c@example.com"
    )
    assert Mailbox().describe() == "mailbox: empty (mail is held for: nobody)"


def test_mailbox_transport_is_a_transport_that_files_directly(flow_set: FlowSet) -> None:
    mailbox = Mailbox()
    transport = MailboxTransport(mailbox)
    assert isinstance(transport, Transport)
    message = _username_email(flow_set)
    transport.send(message)
    assert mailbox.latest(ADDRESS, kind="username") is message


# --- concurrency ----------------------------------------------------------------------


THREADS = 8
DELIVERIES_PER_THREAD = 200


def _deliver_concurrently(mailbox: Mailbox, batches: list[list[EmailMessage]]) -> None:
    start = threading.Barrier(len(batches))
    errors: list[BaseException] = []

    def work(batch: list[EmailMessage]) -> None:
        try:
            start.wait()
            for message in batch:
                mailbox.deliver(message)
                mailbox.count()  # readers interleave with writers
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)


def test_concurrent_deliveries_are_all_filed_exactly_once(flow_set: FlowSet) -> None:
    mailbox = Mailbox(spam_for=lambda m: m["To"].startswith("p3"))
    batches = [
        [_reset_email(flow_set, f"p{t}-{i % 5}@example.com") for i in range(DELIVERIES_PER_THREAD)]
        for t in range(THREADS)
    ]
    _deliver_concurrently(mailbox, batches)
    total = THREADS * DELIVERIES_PER_THREAD
    assert mailbox.count() == len(mailbox) == total, mailbox.describe()
    assert mailbox.duplicates_refused == 0
    ids = [m["Message-ID"] for m in mailbox.search()]
    assert len(ids) == len(set(ids)) == total
    assert {m["Message-ID"] for batch in batches for m in batch} == set(ids)
    for t in range(THREADS):
        for i in range(5):
            address = f"p{t}-{i}@example.com"
            assert mailbox.count(address) == DELIVERIES_PER_THREAD // 5
            assert mailbox.count(address, "spam") == (DELIVERIES_PER_THREAD // 5 if t == 3 else 0)


def test_concurrent_redeliveries_are_refused_exactly_once_each(flow_set: FlowSet) -> None:
    mailbox = Mailbox()
    messages = [
        _reset_email(flow_set, f"p{i % 10}@example.com") for i in range(DELIVERIES_PER_THREAD)
    ]
    # Every thread delivers the same messages: each must be filed once, refused 7 times.
    _deliver_concurrently(mailbox, [list(messages) for _ in range(THREADS)])
    assert mailbox.count() == DELIVERIES_PER_THREAD
    assert mailbox.duplicates_refused == (THREADS - 1) * DELIVERIES_PER_THREAD
    filed_ids = sorted(m["Message-ID"] for m in mailbox.search())
    assert filed_ids == sorted(m["Message-ID"] for m in messages)
