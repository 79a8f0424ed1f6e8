"""The in-process portal: its vocabulary, its field labels, and how it keeps secrets."""

from __future__ import annotations

import pytest

from simulator.drivers.in_process import InProcessTarget
from simulator.drivers.protocol import log_in, submit_reset_password
from simulator.mail.mailbox import Mailbox, MailboxTransport
from simulator.mail.messages import temporary_password_in
from simulator.portal import forms as forms_module
from simulator.portal.account import Account
from simulator.portal.portal import Portal, PortalUsageError
from simulator.portal.session import Session
from specs import FlowSet


def test_models_implement_exactly_the_vocabulary(flow_set: FlowSet) -> None:
    vocabulary = flow_set.portal.vocabulary
    names = {*vocabulary.conditions, *vocabulary.actions}
    used = {
        name
        for t in flow_set.transitions()
        for name in (*t.conditions, *t.unless, *t.before, *t.after)
    }
    assert used == names, f"vocabulary entries no flow uses: {sorted(names - used)}"
    for model, cls in (("session", Session), ("account", Account)):
        needed = {
            name
            for flow in flow_set.flows_of(model)
            for t in flow.transitions
            for name in (*t.conditions, *t.unless, *t.before, *t.after)
        }
        missing = [n for n in needed if not callable(getattr(cls, n, None))]
        assert not missing, f"{cls.__name__} lacks {missing}"


def test_field_labels_are_the_screens_labels(flow_set: FlowSet) -> None:
    labels = {f for screen in flow_set.portal.screens.values() for f in screen.fields}
    assert set(forms_module.FIELD_LABELS) == labels


def test_passwords_are_only_hashed(flow_set: FlowSet) -> None:
    target = InProcessTarget(flow_set)
    target.portal.register("jessicacamp", "000600492", "jessica@example.com", "Secret77")
    account = target.portal.account_named("JessicaCamp")
    assert account is not None
    assert "Secret77" not in repr(vars(account))
    driver = target.open_browser()
    driver.click("Reset Password?")
    submit_reset_password(driver, "jessicacamp", "jessica@example.com")
    temporary = temporary_password_in(target.mailbox.latest("jessica@example.com"), flow_set.portal)
    assert temporary not in repr(vars(account))
    assert log_in(target.open_browser(), "jessicacamp", temporary).name == "welcome"


def test_temporary_passwords_come_from_secrets_and_meet_the_policy(flow_set: FlowSet) -> None:
    portal = Portal(flow_set, MailboxTransport(Mailbox()), hash_iterations=1_000)
    made = {portal.new_temporary_password() for _ in range(200)}
    assert len(made) == 200
    policy = flow_set.portal.parameters.password_policy
    assert all(policy.accepts(p) and p != p.swapcase() for p in made)


def test_clicking_what_the_screen_lacks_is_a_usage_error(flow_set: FlowSet) -> None:
    driver = InProcessTarget(flow_set).open_browser()
    with pytest.raises(PortalUsageError, match="no 'Update Password' to click"):
        driver.click("Update Password")
    with pytest.raises(PortalUsageError, match="no field 'New Password'"):
        driver.fill("New Password", "x")
