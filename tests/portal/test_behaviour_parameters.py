"""The behavioural readings of a silent guide, as parameters (decisions empty-login-counts,
wrong-current-password-counts): true as shipped; false gives the other reading."""

from __future__ import annotations

import dataclasses

from simulator.drivers.in_process import InProcessTarget
from simulator.drivers.protocol import Driver, choose_state, log_in, update_password
from specs import FlowSet

USER, PASSWORD = "jessicacamp", "Camp2019"


def _target(flow_set: FlowSet, **changes: bool) -> InProcessTarget:
    parameters = dataclasses.replace(flow_set.portal.parameters, **changes)
    target = InProcessTarget(flow_set, parameters)
    target.portal.register(USER, "000600492", "jessica@example.com", PASSWORD)
    return target


def _text(flow_set: FlowSet, key: str) -> str:
    return flow_set.portal.texts[key].text


def test_shipped_empty_logins_count(flow_set: FlowSet) -> None:
    driver = _target(flow_set).open_browser()
    assert log_in(driver, USER, "").messages == (_text(flow_set, "login_failed"),)
    assert log_in(driver, "", PASSWORD).messages == (_text(flow_set, "login_failed"),)
    log_in(driver, USER, "")
    assert log_in(driver, USER, "").messages == (_text(flow_set, "account_locked"),)


def test_empty_logins_not_counted_are_asked_for(flow_set: FlowSet) -> None:
    target = _target(flow_set, empty_login_counts=False)
    driver = target.open_browser()
    required = (_text(flow_set, "login_fields_required"),)
    for user, password in ((USER, ""), ("", PASSWORD), ("", ""), ("nobody", ""), (USER, "")):
        screen = log_in(driver, user, password)
        assert (screen.name, screen.messages) == ("login_page", required), (user, password)
    assert log_in(driver, USER, "Camp2018").messages == (_text(flow_set, "login_failed"),)
    assert log_in(driver, USER, "Camp2017").messages == (_text(flow_set, "login_failed"),)
    assert log_in(driver, USER, PASSWORD).name == "welcome"  # two failures: not locked
    account = target.portal.account_named(USER)
    assert account is not None and account.failed_attempts == 0


def _on_change_password(target: InProcessTarget) -> Driver:
    driver = target.open_browser()
    log_in(driver, USER, PASSWORD)
    choose_state(driver, "IL")
    driver.click("Edit Profile")
    return driver


def test_shipped_wrong_current_passwords_count(flow_set: FlowSet) -> None:
    target = _target(flow_set)
    driver = _on_change_password(target)
    update_password(driver, "Camp2018", "Texas2026", "Texas2026")
    update_password(driver, "Camp2017", "Texas2026", "Texas2026")
    screen = update_password(driver, "Camp2016", "Texas2026", "Texas2026")
    assert (screen.name, screen.messages) == ("login_page", (_text(flow_set, "account_locked"),))


def test_wrong_current_passwords_not_counted_are_only_refused(flow_set: FlowSet) -> None:
    target = _target(flow_set, wrong_current_password_counts=False)
    driver = _on_change_password(target)
    incorrect = (_text(flow_set, "current_password_incorrect"),)
    for wrong in ("Camp2018", "Camp2017", "Camp2016", "Camp2015"):
        screen = update_password(driver, wrong, "Texas2026", "Texas2026")
        assert (screen.name, screen.messages) == ("edit_profile", incorrect)
    account = target.portal.account_named(USER)
    assert account is not None and (account.failed_attempts, account.locked) == (0, False)
    # the right Current Password still gets the later checks, then the change
    screen = update_password(driver, PASSWORD, "Tex-2026", "Tex-2026")
    assert screen.messages == (_text(flow_set, "new_password_policy"),)
    assert update_password(driver, PASSWORD, "Texas2026", "Texas2026").name == "password_updated"
