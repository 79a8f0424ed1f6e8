"""Steps that read the portal's emails in the fake mailbox, as a producer does: who
got mail, its subject and sender, its paragraphs, the user names and the temporary
password it gives, and the folder it landed in.

On a team's target (``--target MODULE:CALLABLE``) subjects, senders and paragraphs are
compared as ``rpp verify --decisions guide`` compares emails (:func:`_by_authority`,
verify's oracle): the guide's lines contained in order, whitespace not compared, a
reconstructed line by the guide's words, a decided one exactly when the team's decisions
file words it, else listed as a decision the portal makes differently."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage

from pytest_bdd import then

from simulator.mail.mailbox import normalize_address
from simulator.mail.messages import body_of, user_names_in
from simulator.verify.model import EmailSeen
from tests.bdd.vocabulary import Template
from tests.bdd.world import World, message_key

# In an expected email, this stands for the temporary password the email gives.
TEMPORARY_PASSWORD_MARK = "{temporary password}"


def _subject(message: EmailMessage) -> str:
    return str(message.get("Subject", ""))


def _by_authority(
    world: World, message: EmailMessage, subject: str = "", sender: str = "", body: str = ""
) -> bool:
    """On a team's target: ``message`` judged by verify's oracle against an email with
    the ``subject``, ``sender`` and ``body`` paragraphs given (those not given are the
    message's own); False on our own portals (the step compares exactly)."""
    if world.oracle is None:
        return False
    kind = world.email_kind(message)
    flows_subject = world.flow_set.portal.emails[kind].subject.text
    got = EmailSeen(str(message.get("From", "")), "", flows_subject, body_of(message))
    if subject:
        got = replace(got, subject=_subject(message))
    want = EmailSeen(sender or got.sender, "", subject or flows_subject, body or got.body)
    world.judge(world.oracle.emails([want], [got]), f"the email to {message.get('To', '')}:")
    return True


def _take(world: World, message: EmailMessage, subject: str) -> None:
    """``message`` becomes "the email"; it must have ``subject``."""
    world.email = message
    if _by_authority(world, message, subject=subject):
        return
    if _subject(message) != subject:
        raise AssertionError(
            f"expected the subject {subject!r}, the email's subject is"
            f" {_subject(message)!r}\n\n{world.mailbox.describe()}"
        )


def _one_new_email(world: World, address: str, subject: str) -> None:
    new = world.unread_awaited(address)
    world.mark_read(new)
    acted = [message for message in new if not world.caused_by_given(message)]
    if not acted and new:
        # Only what Given steps caused (two resets requested): the newest is the email.
        _take(world, new[-1], subject)
        return
    if len(acted) != 1:
        raise AssertionError(
            f"expected one new email at {normalize_address(address)}, got {len(acted)}:\n"
            f"{_summary(acted)}\n"
            f'"the producer receives {len(acted) or 2} emails with the subject ..." checks each,'
            ' "the producer receives another email with the subject ..." reads the newest\n\n'
            + world.mailbox.describe()
        )
    _take(world, acted[0], subject)


@then(Template('the producer receives an email with the subject "{subject:text}"'))
def receives_email(world: World, subject: str) -> None:
    """Exactly one new email at their E-mail Address (either folder); it becomes "the email".
    Emails a Given step caused (a reset requested) and no step read yet do not count, unless
    nothing else came: then the newest of them is the email."""
    _one_new_email(world, world.producer.email, subject)


@then(Template('the producer receives another email with the subject "{subject:text}"'))
def receives_another_email(world: World, subject: str) -> None:
    """The newest email at their E-mail Address that no step has read yet becomes "the
    email" (older unread ones stay unread)."""
    new = world.unread_awaited(world.producer.email)
    if not new:
        raise AssertionError(
            f"expected another email at {normalize_address(world.producer.email)}, none came"
            f"\n\n{world.mailbox.describe()}"
        )
    world.mark_read(new[-1:])
    _take(world, new[-1], subject)


@then(Template('the producer receives {count:int} emails with the subject "{subject:text}"'))
def receives_emails(world: World, count: int, subject: str) -> None:
    """Exactly this many new emails at their E-mail Address, each with this subject; the
    newest becomes "the email"."""
    address = world.producer.email
    new = world.unread_awaited(address, count)
    world.mark_read(new)
    if len(new) != count:
        raise AssertionError(
            f"expected {count} new emails at {normalize_address(address)}, got {len(new)}:\n"
            f"{_summary(new)}\n\n{world.mailbox.describe()}"
        )
    wrong = [message for message in new if _subject(message) != subject]
    if wrong:
        raise AssertionError(
            f"expected each email's subject to be {subject!r}; these differ:\n{_summary(wrong)}"
        )
    world.email = new[-1]


@then(Template('an email arrives at {address:value} with the subject "{subject:text}"'))
def email_arrives_at(world: World, address: str, subject: str) -> None:
    _one_new_email(world, world.value(address), subject)


@then(Template("no email is sent"))
@then(Template("no other email is sent"))
def no_email(world: World) -> None:
    """Nobody has mail that no step has read yet."""
    new = world.unread()
    world.mark_read(new)
    if new:
        raise AssertionError(
            f"expected no new email, {len(new)} arrived:\n{_summary(new)}\n\n"
            + world.mailbox.describe()
        )


@then(Template("no email is sent to {address:value}"))
def no_email_to(world: World, address: str) -> None:
    """That address has no mail no step has read yet (others may have)."""
    wanted = world.value(address)
    new = world.unread(wanted)
    world.mark_read(new)
    if new:
        raise AssertionError(
            f"expected no new email at {normalize_address(wanted)}, {len(new)} arrived:\n"
            f"{_summary(new)}\n\n{world.mailbox.describe()}"
        )


def _summary(messages: list[EmailMessage]) -> str:
    return "\n".join(
        f"  to {message.get('To', '')}: {message.get('Subject', '')}" for message in messages
    )


def _email(world: World) -> EmailMessage:
    if world.email is None:
        raise AssertionError("no email read yet: first say which email arrives")
    return world.email


def _paragraphs(message: EmailMessage) -> list[str]:
    return [part.strip() for part in body_of(message).split("\n\n") if part.strip()]


def _lines(docstring: str) -> list[str]:
    return [line.strip() for line in docstring.splitlines() if line.strip()]


def _body_problem(message: EmailMessage, what: str) -> AssertionError:
    return AssertionError(f"{what}\nthe email's body:\n{body_of(message)}")


@then(Template('the email says "{text:text}"'))
def email_says(world: World, text: str) -> None:
    """One paragraph of the email is exactly this."""
    message = _email(world)
    if _by_authority(world, message, body=world.wording(text)):
        return
    if text not in _paragraphs(message):
        raise _body_problem(message, f"no paragraph of the email is {text!r}")


@then(Template("the email says:"))
def email_says_all(world: World, docstring: str) -> None:
    """These paragraphs, one a line, appear in this order (others may come between)."""
    message = _email(world)
    lines = [world.wording(line) for line in _lines(docstring)]
    if _by_authority(world, message, body="\n\n".join(lines)):
        return
    paragraphs = iter(_paragraphs(message))
    for line in _lines(docstring):
        if line not in paragraphs:
            raise _body_problem(message, f"the email lacks, in this order, the paragraph {line!r}")


@then(Template("the email reads:"))
def email_reads(world: World, docstring: str) -> None:
    """The email's paragraphs are exactly these lines, in this order; {temporary password}
    stands for the temporary password it gives."""
    message = _email(world)
    expected = _lines(docstring)
    if any(TEMPORARY_PASSWORD_MARK in line for line in expected):
        temporary = world.temporary_password_of(message)
        expected = [line.replace(TEMPORARY_PASSWORD_MARK, temporary) for line in expected]
    if _by_authority(world, message, body="\n\n".join(world.wording(e) for e in expected)):
        return
    paragraphs = _paragraphs(message)
    if paragraphs != expected:
        extra = [p for p in paragraphs if p not in expected]
        missing = [line for line in expected if line not in paragraphs]
        raise _body_problem(
            message,
            "the email does not read as expected"
            + "".join(f"\n  missing: {line!r}" for line in missing)
            + "".join(f"\n  unexpected: {line!r}" for line in extra)
            + ("\n  (same paragraphs, another order)" if not missing and not extra else ""),
        )


@then(Template("the email lists the user {noun:name|names} {names:values}"))
def email_lists_user_names(world: World, noun: str, names: list[str]) -> None:
    """Every user name linked to the address, each once, in any order (USER-6); each a
    quoted name or a value phrase such as their user name."""
    names = [world.value(name) for name in names]
    listed = user_names_in(_email(world), world.flow_set.portal)
    if sorted(listed) != sorted(names) or len(set(listed)) != len(listed):
        raise _body_problem(_email(world), f"expected the user names {names}, it lists {listed}")


@then(Template('the email comes from "{sender:text}"'))
def email_comes_from(world: World, sender: str) -> None:
    if _by_authority(world, _email(world), sender=sender):
        return
    shown = str(_email(world).get("From", ""))
    if shown != sender:
        raise AssertionError(f"expected the email from {sender!r}, it is from {shown!r}")


@then(Template("the email is in the {folder:inbox|spam} folder"))
def email_in_folder(world: World, folder: str) -> None:
    key = message_key(_email(world))
    address = world.producer.email
    if not any(message_key(m) == key for m in world.mailbox.folder(address, folder)):
        raise AssertionError(f"the email is not in the {folder} folder of {address}")


@then(Template("{one:value} differs from {other:value}"))
def values_differ(world: World, one: str, other: str) -> None:
    """Two values differ, case counting: "the temporary password differs from the first
    temporary password"."""
    first, second = world.value(one), world.value(other)
    if first == second:
        raise AssertionError(
            f"expected {one} to differ from {other}; both are the same {len(first)}-character value"
        )


@then(
    Template(
        "the temporary password is {length:int} letters and digits, mixing upper and lower case"
    )
)
def temporary_password_shape(world: World, length: int) -> None:
    """The email's temporary password (decision temporary-password-rules)."""
    temporary = world.temporary_password_of(_email(world))
    shape_ok = (
        len(temporary) == length
        and temporary.isascii()
        and temporary.isalnum()
        and temporary != temporary.upper()
        and temporary != temporary.lower()
    )
    if not shape_ok:
        raise AssertionError(
            f"the temporary password {temporary!r} is not {length} letters and digits"
            " mixing upper and lower case"
        )
