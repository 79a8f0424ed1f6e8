"""Security properties of the flows, each test named after the property it checks.

The portal is the one the guide describes, with the decisions of portal.yaml where
the guide is silent; where that portal departs from current practice, portal.yaml's
``known_deviations`` says so (and the README lists them).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import string
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.drivers.in_process import InProcessTarget
from simulator.drivers.protocol import (
    choose_state,
    log_in,
    submit_forgot_user_name,
    submit_reset_password,
    update_password,
)
from simulator.mail.messages import body_of, email_kind, temporary_password_in, user_names_in
from simulator.portal import passwords as passwords_module
from simulator.portal import portal as portal_module
from simulator.portal.screens import Screen
from simulator.portal.session import Session
from simulator.verify.command import verify
from simulator.verify.suite import Exploration
from specs import FlowSet
from specs.model import Parameters

OWNER = ("jessicacamp", "000600492", "jessica@example.com", "Secret77")
SHARER = ("jcamp2", "000600493", "jessica@example.com", "Other123")  # same address
OTHER = ("omarlee", "000700111", "omar.lee@example.org", "Omar2024")
UNKNOWN = ("nosuchagent", "000999999", "nobody@example.net")
WRONG = "Wrong123"


def _target(flow_set: FlowSet, parameters: Parameters | None = None) -> InProcessTarget:
    target = InProcessTarget(flow_set, parameters)
    for user, auid, email, password in (OWNER, SHARER, OTHER):
        target.portal.register(user, auid, email, password)
    return target


def _text(flow_set: FlowSet, key: str) -> str:
    return flow_set.portal.texts[key].text


def _reset(target: InProcessTarget, user: str = OWNER[0], email: str = OWNER[2]) -> str:
    """Request a reset as the producer would; the temporary password the mailbox got."""
    driver = target.open_browser()
    driver.click("Reset Password?")
    submit_reset_password(driver, user, email)
    return temporary_password_in(target.mailbox.latest(OWNER[2], kind="password_reset"))


def _locked(target: InProcessTarget, user: str = OWNER[0]) -> bool:
    account = target.portal.account_named(user)
    assert account is not None
    return account.locked


def _lock(target: InProcessTarget, user: str = OWNER[0]) -> None:
    driver = target.open_browser()
    for _ in range(target.portal.parameters.lockout_threshold):
        log_in(driver, user, WRONG)
    assert _locked(target, user)


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts password hashes (PBKDF2 runs): the work a request costs, without a clock."""
    calls: list[int] = []
    real = passwords_module._pbkdf2

    def counted(password: str, salt: bytes, iterations: int) -> bytes:
        calls.append(iterations)
        return real(password, salt, iterations)

    monkeypatch.setattr(passwords_module, "_pbkdf2", counted)
    return calls


# -- no user enumeration ----------------------------------------------------------------


def test_no_user_enumeration_by_login_screens(flow_set: FlowSet) -> None:
    """An unknown user name, a real one with a wrong password and a real one with
    another producer's password see the same screens, attempt after attempt (the
    unknown name too is "locked" at the third)."""
    target = _target(flow_set)
    tries = {
        "unknown user name": (target.open_browser(), UNKNOWN[0], WRONG),
        "wrong password": (target.open_browser(), OWNER[0], WRONG),
        "wrong pairing": (target.open_browser(), SHARER[0], OTHER[3]),
    }
    for attempt in range(1, 7):
        seen = {case: log_in(*args) for case, args in tries.items()}
        assert len(set(seen.values())) == 1, {k: s.describe() for k, s in seen.items()}
        expected = "login_failed" if attempt < 3 else "account_locked"
        assert seen["unknown user name"].messages == (_text(flow_set, expected),)
    assert len(target.mailbox) == 0


def test_no_user_enumeration_by_login_screens_with_auto_unlock(flow_set: FlowSet) -> None:
    """With the auto-unlock on, an unknown name's "lock" lapses when a real one does:
    after the wait both see the first warning again, then the lock again."""
    parameters = dataclasses.replace(flow_set.portal.parameters, auto_unlock_after_minutes=30)
    target = _target(flow_set, parameters)
    names = (UNKNOWN[0], OWNER[0])
    for _ in range(3):
        seen = {name: log_in(target.open_browser(), name, WRONG) for name in names}
    assert len(set(seen.values())) == 1
    target.advance_clock(31)
    for attempt in range(1, 4):
        seen = {name: log_in(target.open_browser(), name, WRONG) for name in names}
        assert len(set(seen.values())) == 1, {k: s.describe() for k, s in seen.items()}
        expected = "login_failed" if attempt < 3 else "account_locked"
        assert seen[UNKNOWN[0]].messages == (_text(flow_set, expected),)


@pytest.mark.parametrize("pending_temporary_password", [False, True])
def test_no_user_enumeration_by_login_work(
    flow_set: FlowSet, hashes: list[int], pending_temporary_password: bool
) -> None:
    """An unknown user name costs the same password hashes as a real account, before
    and after the lock: response time does not tell whether a name exists."""
    target = _target(flow_set)
    if pending_temporary_password:
        _reset(target)
    costs: dict[str, list[int]] = {"unknown": [], "real": []}
    for who, user in (("unknown", UNKNOWN[0]), ("real", OWNER[0])):
        driver = target.open_browser()
        for _ in range(5):
            hashes.clear()
            log_in(driver, user, WRONG)
            costs[who].append(len(hashes))
    assert costs["unknown"] == costs["real"], costs
    assert min(costs["real"]) >= 1


def _forgot(target: InProcessTarget, auid: str, email: str) -> Screen:
    driver = target.open_browser()
    driver.click("Forgot User Name?")
    return submit_forgot_user_name(driver, auid, email)


def test_no_user_enumeration_by_username_recovery(flow_set: FlowSet) -> None:
    target = _target(flow_set)
    screens = {
        "unknown": _forgot(target, UNKNOWN[1], UNKNOWN[2]),
        "wrong pairing": _forgot(target, OTHER[1], OWNER[2]),
        "real account": _forgot(target, OWNER[1], OWNER[2]),
    }
    assert len(set(screens.values())) == 1, {k: s.describe() for k, s in screens.items()}
    assert screens["real account"].name == "username_request_submitted"
    # Only the owner's mailbox differs: one username email, to the address on file.
    assert target.mailbox.addresses() == [OWNER[2]]
    (message,) = target.mailbox.messages(OWNER[2])
    assert sorted(user_names_in(message)) == sorted([OWNER[0], SHARER[0]])


def _request_reset(target: InProcessTarget, user: str, email: str) -> Screen:
    driver = target.open_browser()
    driver.click("Reset Password?")
    return submit_reset_password(driver, user, email)


def test_no_user_enumeration_by_password_reset(flow_set: FlowSet, hashes: list[int]) -> None:
    target = _target(flow_set)
    screens: dict[str, Screen] = {}
    work: dict[str, int] = {}
    for case, user, email in (
        ("unknown", UNKNOWN[0], UNKNOWN[2]),
        ("wrong pairing", OWNER[0], OTHER[2]),
        ("real account", OWNER[0], OWNER[2]),
    ):
        hashes.clear()
        screens[case] = _request_reset(target, user, email)
        work[case] = len(hashes)
    assert len(set(screens.values())) == 1, {k: s.describe() for k, s in screens.items()}
    assert screens["real account"].name == "reset_request_submitted"
    assert len(set(work.values())) == 1, work  # the same hashing work either way
    assert target.mailbox.addresses() == [OWNER[2]]
    assert [email_kind(m) for m in target.mailbox.messages(OWNER[2])] == ["password_reset"]


# -- the lock holds ---------------------------------------------------------------------


def test_the_lock_holds_against_the_right_password(flow_set: FlowSet) -> None:
    target = _target(flow_set)
    _lock(target)
    driver = target.open_browser()
    locked_text = (_text(flow_set, "account_locked"),)
    for _ in range(5):
        screen = log_in(driver, OWNER[0], OWNER[3])
        assert screen.name == "login_page" and screen.messages == locked_text
    _forgot(target, OWNER[1], OWNER[2])  # recovering the user name does not unlock
    assert log_in(driver, OWNER[0], OWNER[3]).messages == locked_text
    temporary = _reset(target)  # nor does asking for a reset
    assert log_in(driver, OWNER[0], OWNER[3]).messages == locked_text
    target.advance_clock(10 * 365 * 24 * 60)  # nor time, as shipped (no auto-unlock)
    temporary = _reset(target)
    assert log_in(driver, OWNER[0], OWNER[3]).messages == locked_text
    assert _locked(target)
    # The temporary password signs in, but the account stays locked to everything else.
    assert log_in(driver, OWNER[0], temporary).name == "welcome"
    assert _locked(target)
    other = target.open_browser()
    assert log_in(other, OWNER[0], OWNER[3]).messages == locked_text
    # The way out the flows allow: Update Password on Change Password.
    choose_state(driver, "IL")
    driver.click("Edit Profile")
    assert update_password(driver, temporary, "Fresh2026", "Fresh2026").name == "password_updated"
    assert not _locked(target)
    assert log_in(other, OWNER[0], "Fresh2026").name == "welcome"


def test_the_lock_holds_on_the_state_graph(flow_set: FlowSet) -> None:
    """No transition leaves `locked` but the reset and the (parameterised) auto-unlock,
    and the reset fires only from Update Password with every check of the form passed."""
    leaving = {
        (t.trigger, t.dest, t.conditions, t.unless)
        for flow in flow_set.flows_of("account")
        for t in flow.transitions
        if "locked" in t.sources and t.dest != "locked"
    }
    assert leaving == {
        ("complete_password_reset", "unlocked", (), ()),
        ("check_auto_unlock", "unlocked", ("auto_unlock_due",), ()),
    }
    firing_reset = [t for t in flow_set.transitions() if "complete_password_reset" in t.after]
    assert firing_reset and all(
        t.trigger == "click_update_password"
        and {"current_password_correct", "new_password_meets_policy"} <= set(t.conditions)
        and not t.unless
        for t in firing_reset
    ), [t.name for t in firing_reset]
    assert flow_set.portal.parameters.auto_unlock_after_minutes is None


OTHER_ACTIONS = st.sampled_from(
    [
        "right password",
        "wrong password",
        "wrong-case temporary password",
        "forgot user name",
        "reset with a wrong pairing",
        "wait a day",
        "unknown user name",
        "other account signs in",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OTHER_ACTIONS, max_size=12))
def test_the_lock_holds_under_any_other_actions(flow_set: FlowSet, actions: list[str]) -> None:
    target = _target(flow_set)
    _lock(target)
    temporary = _reset(target)
    driver = target.open_browser()
    for act in actions:
        if act == "right password":
            log_in(driver, OWNER[0], OWNER[3])
        elif act == "wrong password":
            log_in(driver, OWNER[0], WRONG)
        elif act == "wrong-case temporary password":
            log_in(driver, OWNER[0], temporary.swapcase())
        elif act == "forgot user name":
            _forgot(target, OWNER[1], OWNER[2])
        elif act == "reset with a wrong pairing":
            _request_reset(target, OWNER[0], OTHER[2])
        elif act == "wait a day":
            target.advance_clock(24 * 60)
        elif act == "unknown user name":
            log_in(target.open_browser(), UNKNOWN[0], OWNER[3])
        else:
            log_in(target.open_browser(), OTHER[0], OTHER[3])
        assert _locked(target), f"unlocked by {act!r} after {actions}"


def test_the_lock_lifts_after_the_auto_unlock_time_when_it_is_on(flow_set: FlowSet) -> None:
    minutes = 30
    parameters = dataclasses.replace(flow_set.portal.parameters, auto_unlock_after_minutes=minutes)
    target = _target(flow_set, parameters)
    _lock(target)
    target.advance_clock(minutes - 1)
    assert log_in(target.open_browser(), OWNER[0], OWNER[3]).name == "login_page"
    target.advance_clock(1)
    assert log_in(target.open_browser(), OWNER[0], OWNER[3]).name == "welcome"


# -- no one else can lock you out for good ----------------------------------------------


def test_no_one_else_can_lock_you_out_for_good(flow_set: FlowSet) -> None:
    target = _target(flow_set)
    stranger = target.open_browser()
    for _ in range(10):  # a stranger who knows the user name hammers the login
        log_in(stranger, OWNER[0], WRONG)
    assert _locked(target)
    # The owner still recovers the user name and resets the password.
    assert _forgot(target, OWNER[1], OWNER[2]).name == "username_request_submitted"
    assert OWNER[0] in user_names_in(target.mailbox.latest(OWNER[2], kind="username"))
    _request_reset(target, OWNER[0], OWNER[2])  # the stranger asks for a reset too
    temporary = _reset(target)  # the owner's newest email is the one that works
    for _ in range(5):  # and more hammering does not void it
        log_in(stranger, OWNER[0], WRONG)
    owner = target.open_browser()
    assert log_in(owner, OWNER[0], temporary).name == "welcome"
    choose_state(owner, "IL")
    owner.click("Edit Profile")
    assert update_password(owner, temporary, "Mine2026", "Mine2026").name == "password_updated"
    assert log_in(target.open_browser(), OWNER[0], "Mine2026").name == "welcome"


def test_no_one_else_can_void_your_password_by_asking_for_a_reset(flow_set: FlowSet) -> None:
    target = _target(flow_set)
    _request_reset(target, OWNER[0], OWNER[2])
    assert log_in(target.open_browser(), OWNER[0], OWNER[3]).name == "welcome"


# -- temporary passwords ----------------------------------------------------------------


class ScriptedSecrets:
    """Stands in for the `secrets` module: choice() follows a script; the rest is real."""

    def __init__(self, script: str) -> None:
        self.script = iter(script)
        self.token_bytes = portal_module.secrets.token_bytes
        self.token_urlsafe = portal_module.secrets.token_urlsafe

    def choice(self, seq: str) -> str:
        char = next(self.script)
        assert char in seq
        return char


def test_temporary_passwords_come_from_secrets(
    flow_set: FlowSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _target(flow_set)
    monkeypatch.setattr(portal_module, "secrets", ScriptedSecrets("Zz9Yy8Xx7"))
    assert _reset(target) == "Zz9Yy8Xx7"


def test_temporary_passwords_are_policy_valid_and_unguessable(flow_set: FlowSet) -> None:
    target = _target(flow_set)
    parameters = flow_set.portal.parameters
    made = [target.portal.new_temporary_password() for _ in range(2000)]
    assert len(set(made)) == len(made)
    assert all(len(p) == parameters.temporary_password_length for p in made)
    assert all(parameters.password_policy.accepts(p) for p in made)
    assert set("".join(made)) == set(string.ascii_letters + string.digits)
    # And one works as the Current Password of Change Password.
    temporary = _reset(target)
    driver = target.open_browser()
    log_in(driver, OWNER[0], temporary)
    choose_state(driver, "IL")
    driver.click("Edit Profile")
    assert update_password(driver, temporary, "Fresh123", "Fresh123").name == "password_updated"


def test_temporary_passwords_are_case_sensitive(flow_set: FlowSet) -> None:
    target = _target(flow_set)
    temporary = _reset(target)
    account = target.portal.account_named(OWNER[0])
    assert account is not None
    shown = []
    for variant in (temporary.swapcase(), temporary.lower(), temporary.upper()):
        assert variant != temporary  # it has upper and lower case letters
        shown.append(log_in(target.open_browser(), OWNER[0], variant).messages)
    # Each wrong case is a failed login, counted toward the lock-out.
    assert shown == [
        (_text(flow_set, "login_failed"),),
        (_text(flow_set, "login_failed"),),
        (_text(flow_set, "account_locked"),),
    ]
    assert account.locked
    assert log_in(target.open_browser(), OWNER[0], temporary).name == "welcome"
    # a success breaks the run of failures; only Update Password unlocks
    assert account.locked and account.failed_attempts == 0


def test_temporary_passwords_are_voided_by_a_newer_reset(flow_set: FlowSet) -> None:
    target = _target(flow_set)
    first = _reset(target)
    second = _reset(target)
    assert first != second
    assert log_in(target.open_browser(), OWNER[0], first).name == "login_page"
    assert log_in(target.open_browser(), OWNER[0], second).name == "welcome"


def test_temporary_passwords_are_voided_by_the_change(flow_set: FlowSet) -> None:
    target = _target(flow_set)
    temporary = _reset(target)
    driver = target.open_browser()
    log_in(driver, OWNER[0], temporary)
    choose_state(driver, "IL")
    driver.click("Edit Profile")
    assert update_password(driver, temporary, "Fresh123", "Fresh123").name == "password_updated"
    driver.click("Back to Profile Page")
    # Neither as a login nor as the Current Password, and the old password is gone too.
    refused = update_password(driver, temporary, "Other999", "Other999")
    assert refused.messages == (_text(flow_set, "current_password_incorrect"),)
    assert log_in(target.open_browser(), OWNER[0], temporary).name == "login_page"
    # (two failures so far: the wrong Current Password counted too)
    assert log_in(target.open_browser(), OWNER[0], "Fresh123").name == "welcome"
    assert log_in(target.open_browser(), OWNER[0], OWNER[3]).name == "login_page"


def test_temporary_passwords_expire_after_the_time_the_flows_set(flow_set: FlowSet) -> None:
    minutes = flow_set.portal.parameters.temporary_password_valid_minutes
    target = _target(flow_set)
    temporary = _reset(target)
    target.advance_clock(minutes - 1)
    assert log_in(target.open_browser(), OWNER[0], temporary).name == "welcome"
    signed_in = target.open_browser()
    log_in(signed_in, OWNER[0], OWNER[3])
    choose_state(signed_in, "IL")
    signed_in.click("Edit Profile")
    target.advance_clock(1)
    assert log_in(target.open_browser(), OWNER[0], temporary).name == "login_page"
    refused = update_password(signed_in, temporary, "Fresh123", "Fresh123")
    assert refused.messages == (_text(flow_set, "current_password_incorrect"),)


# -- secrets stay secret ----------------------------------------------------------------

SKIPPED_TYPES = (type, type(len), type(lambda: None), type(logging))


def _strings(root: object, outside: tuple[object, ...] = ()) -> Iterator[str]:
    """Every str (and decoded bytes) reachable from ``root`` through attributes and
    containers, except through ``outside``: what a memory dump would show."""
    seen: set[int] = {id(o) for o in outside}
    stack: list[Any] = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, SKIPPED_TYPES):
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            yield obj
        elif isinstance(obj, bytes | bytearray):
            yield bytes(obj).decode("latin-1")
        elif isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())


def _variants(secrets: set[str]) -> set[str]:
    return {v for s in secrets for v in (s, s.casefold(), s.swapcase(), s.upper())}


def _journey(target: InProcessTarget) -> set[str]:
    """Everything a producer does, with every password in play; the passwords."""
    secrets = {OWNER[3], SHARER[3], OTHER[3], "Fresh123"}
    driver = target.open_browser()
    log_in(driver, OWNER[3], OWNER[3])  # the password typed into the User Name field
    log_in(driver, OWNER[0], WRONG)
    log_in(driver, OWNER[0], OTHER[3])
    log_in(driver, OWNER[0], SHARER[3])  # locked now
    _forgot(target, OWNER[1], OWNER[2])
    first = _reset(target)
    temporary = _reset(target)
    secrets |= {first, temporary}
    log_in(driver, OWNER[0], temporary.swapcase())
    assert log_in(driver, OWNER[0], temporary).name == "welcome"
    choose_state(driver, "IL")
    driver.click("Edit Profile")
    update_password(driver, temporary, "Fresh123", "Fresh12")  # not confirmed
    assert update_password(driver, temporary, "Fresh123", "Fresh123").name == "password_updated"
    other = target.open_browser()
    log_in(other, OTHER[0], OTHER[3])
    return secrets


def test_secrets_stay_secret_in_the_directory(flow_set: FlowSet) -> None:
    target = _target(flow_set)
    secrets = _variants(_journey(target))
    # The mail on its way out is not the directory: the reset email holds its password.
    held = list(_strings(target.portal, outside=(target.portal.transport,)))
    assert any(OWNER[2] in h for h in held) and any(OTHER[0] in h for h in held)
    leaked = sorted({s for s in secrets for h in held if s in h})
    assert not leaked, f"the portal keeps {leaked} in plain text"


def test_secrets_stay_secret_in_the_log(
    flow_set: FlowSet, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rpp.portal")
    target = _target(flow_set)
    secrets = _variants(_journey(target))
    lines = [record.getMessage() for record in caplog.records if record.name == "rpp.portal"]
    assert "lockout.lock user=jessicacamp" in lines
    assert "login.sign_in_with_temporary_password user=jessicacamp" in lines
    assert any(line.startswith("password_reset.update_password user=") for line in lines)
    leaked = sorted({s for s in secrets for line in lines if s in line})
    assert not leaked, f"the log shows {leaked}"


class _Recording(InProcessTarget):
    """A target that remembers the passwords of the producers it registers."""

    passwords: ClassVar[set[str]] = set()

    def register(self, producer: Any) -> None:
        type(self).passwords.add(producer.password)
        super().register(producer)


class _TemporaryPasswordRefused(Session):
    def temporary_password_accepted(self) -> bool:
        return False


@pytest.mark.parametrize("portal", ["shipped", "broken"])
def test_secrets_stay_secret_in_the_verify_report(
    flow_set: FlowSet, portal: str, exploration: Any
) -> None:
    """`rpp verify --json` writes report.as_dict(): no producer password, no new
    password and no emailed temporary password in it, even when journeys fail (a
    failure shows the screen and the mailbox)."""
    targets: list[_Recording] = []
    session = Session if portal == "shipped" else _TemporaryPasswordRefused

    def make(parameters: Parameters) -> _Recording:
        target = _Recording(flow_set, parameters, session_class=session)
        targets.append(target)
        return target

    _Recording.passwords = set()
    # The first journeys of every part (in this process: the targets are recorded here).
    some = Exploration(
        [dataclasses.replace(p, journeys=p.journeys[:60]) for p in exploration.parts],
        exploration.reached,
    )
    report = verify(flow_set, seed=11, make_target=make, exploration=some, stop_after=3)
    assert report.passed == (portal == "shipped")
    text = json.dumps(report.as_dict(), ensure_ascii=False)
    emailed = {
        temporary_password_in(m, flow_set.portal)
        for t in targets
        for m in t.mailbox.search(kind="password_reset")
    }
    assert emailed and _Recording.passwords
    leaked = sorted(s for s in _variants(emailed | _Recording.passwords) if s in text)
    assert not leaked, f"the report shows {leaked}"


def test_secrets_stay_secret_in_emails_other_than_the_reset_email(flow_set: FlowSet) -> None:
    target = _target(flow_set)
    secrets = _journey(target)
    mail = target.mailbox.search()
    assert {email_kind(m) for m in mail} == {"username", "password_reset"}
    for message in mail:
        text = str(message["Subject"]) + body_of(message)
        shown = {s for s in _variants(secrets) if s in text}
        if email_kind(message) == "password_reset":
            assert shown <= _variants({temporary_password_in(message)}), shown
        else:
            assert not shown, f"{message['Subject']} shows {shown}"


@pytest.mark.parametrize(
    "typed",
    [" JESSICA@EXAMPLE.COM ", "Jessica@Example.com", "jeſſica@example.com", "jessica@example.com"],
)
def test_mail_goes_only_to_the_address_on_file(flow_set: FlowSet, typed: str) -> None:
    target = _target(flow_set)
    _forgot(target, OWNER[1], typed)
    _request_reset(target, OWNER[0], typed)
    mail = target.mailbox.filed()
    assert [entry.address for entry in mail] == [OWNER[2], OWNER[2]]
    assert all(str(entry.message["To"]) == OWNER[2] for entry in mail)
    assert all(entry.message["Cc"] is None and entry.message["Bcc"] is None for entry in mail)


@pytest.mark.parametrize(
    "typed",
    [
        "jessica@example.com\r\nBcc: thief@evil.example",
        "jessica@example.com, thief@evil.example",
        "thief@evil.example <jessica@example.com>",
        "jessica@example.com\nTo: thief@evil.example",
    ],
)
def test_mail_goes_to_no_typed_address(flow_set: FlowSet, typed: str) -> None:
    target = _target(flow_set)
    assert _forgot(target, OWNER[1], typed).name == "forgot_user_name"  # malformed: refused
    _request_reset(target, OWNER[0], typed)
    assert len(target.mailbox) == 0


# --- decision recovery-email-limit (issue 28, point 7) ---------------------------------


def _recovery_portal(flow_set: FlowSet) -> tuple[Any, Any]:
    from simulator.mail.mailbox import Mailbox, MailboxTransport
    from simulator.portal.clock import SimulatedClock
    from simulator.portal.portal import Portal

    mailbox = Mailbox()
    portal = Portal(flow_set, MailboxTransport(mailbox), SimulatedClock(), hash_iterations=1)
    portal.register("jessicacamp", "000600492", "jessica@example.com", "Camp2019")
    return portal, mailbox


def _ask_for_reset(portal: Any, agent_unique_id: str = "000600492") -> None:
    session = portal.open_session()
    portal.click(session, "Reset Password?")
    portal.fill(session, "User Name", "jessicacamp")
    portal.fill(session, "Agent Unique ID", agent_unique_id)
    assert portal.click(session, "Submit").name == "reset_request_submitted"


def test_recovery_email_limit_per_address_keeps_the_last_temporary_password(
    flow_set: FlowSet,
) -> None:
    limit = flow_set.portal.parameters.recovery_emails_per_hour
    assert limit == 5
    portal, mailbox = _recovery_portal(flow_set)
    for _ in range(3):
        _ask_for_reset(portal, "999999999")  # a wrong pairing never counts
    for _ in range(limit + 10):
        _ask_for_reset(portal)
    emails = mailbox.messages("jessica@example.com")
    assert len(emails) == limit
    last = temporary_password_in(emails[-1])
    account = portal.account_named("jessicacamp")
    assert account is not None and account.temporary_matches(last), "the last one stays valid"
    portal.clock.advance(59)
    _ask_for_reset(portal)
    assert len(mailbox.messages("jessica@example.com")) == limit, "still within the hour"
    portal.clock.advance(2)  # the first five are over an hour old
    _ask_for_reset(portal)
    assert len(mailbox.messages("jessica@example.com")) == limit + 1


def test_the_recovery_count_is_part_of_a_snapshot(flow_set: FlowSet) -> None:
    portal, mailbox = _recovery_portal(flow_set)
    saved = portal.snapshot()
    for _ in range(5):
        _ask_for_reset(portal)
    portal.restore(saved)
    _ask_for_reset(portal)
    assert len(mailbox.messages("jessica@example.com")) == 6
