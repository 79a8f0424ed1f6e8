"""A corpus of deliberately broken portals, for testing `rpp verify`.

Each one breaks ONE behaviour of the guide (an ID of GUIDE.md) or ONE decision of
flows/portal.yaml, the way a real implementation goes wrong: off by one, a counter
not reset, state kept in the wrong place, case or spaces not handled, a stale
temporary password, a policy boundary, a missing text or row, a wrong message, a
wrong email, a session not ended. Each one is observable through the driver
protocol: some sequence of producer actions shows a different screen, message or
email than the reference portal.

A broken portal is the in-process reference portal with one change:

* a logic bug subclasses :class:`Session` or :class:`Account` (the guards and
  actions the flows call) and passes it to :class:`InProcessTarget`;
* a content bug (a wrong text, a missing row, a renamed button, a wrong email
  template) builds the portal from an edited copy of portal.yaml's spec; its mail
  is still read with the shipped spec;
* a browser or navigation bug wraps the driver that ``open_browser`` returns.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from simulator.drivers.in_process import InProcessDriver, InProcessTarget
from simulator.drivers.protocol import Target
from simulator.mail.mailbox import Mailbox, MailboxTransport
from simulator.portal.account import Account
from simulator.portal.clock import Clock
from simulator.portal.forms import (
    AGENT_UNIQUE_ID,
    CURRENT_PASSWORD,
    EMAIL,
    NEW_PASSWORD,
    PASSWORD,
    STATE,
    USER_NAME,
    field_errors,
)
from simulator.portal.ledger import UnknownNameLedger
from simulator.portal.passwords import HARNESS_HASH_ITERATIONS, PasswordHash
from simulator.portal.portal import Portal
from simulator.portal.screens import DirectoryRow, Screen
from simulator.portal.session import Session
from specs.model import Cell, FlowSet, Parameters, PortalSpec, TextPart

__all__ = ["BROKEN_PORTALS", "BrokenPortal"]

Maker = Callable[[FlowSet, Parameters], Target]
Edit = Callable[[PortalSpec], PortalSpec]


@dataclass(frozen=True)
class BrokenPortal:
    id: str  # kebab-case, unique
    breaks: tuple[str, ...]  # guide IDs and/or "decision:<key>" of portal.yaml
    description: str  # one sentence: what a real implementation did wrong
    make: Callable[[FlowSet, Parameters], Target]  # builds a fresh broken target


# -- how a broken target is built ---------------------------------------------------------


def _models(session: type[Session] = Session, account: type[Account] = Account) -> Maker:
    """The reference portal run with a broken session or account model."""

    def make(flow_set: FlowSet, parameters: Parameters) -> Target:
        return InProcessTarget(flow_set, parameters, session_class=session, account_class=account)

    return make


def _spec(*edits: Edit) -> Maker:
    """The reference portal built from an edited copy of portal.yaml's spec (a wrong
    text, row, button or email template); its mail is read with the shipped spec."""

    def make(flow_set: FlowSet, parameters: Parameters) -> Target:
        portal = flow_set.portal
        for edit in edits:
            portal = edit(portal)
        mailbox = Mailbox(portal=flow_set.portal)
        return InProcessTarget(replace(flow_set, portal=portal), parameters, mailbox=mailbox)

    return make


class _BrowserTarget(InProcessTarget):
    """The reference portal, seen through a broken browser/driver class."""

    def __init__(
        self, flow_set: FlowSet, parameters: Parameters, driver: type[InProcessDriver]
    ) -> None:
        super().__init__(flow_set, parameters)
        self.driver = driver

    def open_browser(self) -> InProcessDriver:
        return self.driver(self.portal)


def _browser(driver: type[InProcessDriver]) -> Maker:
    def make(flow_set: FlowSet, parameters: Parameters) -> Target:
        return _BrowserTarget(flow_set, parameters, driver)

    return make


def _ledger(make_ledger: Callable[[Parameters, Clock], UnknownNameLedger]) -> Maker:
    """The reference portal with another unknown-name ledger."""

    def make(flow_set: FlowSet, parameters: Parameters) -> Target:
        target = InProcessTarget(flow_set, parameters)
        target.portal.ledger = make_ledger(parameters, target.clock)
        return target

    return make


def _portal_class(portal_class: type[Portal]) -> Maker:
    """The reference target around a portal of another class."""

    def make(flow_set: FlowSet, parameters: Parameters) -> Target:
        target = InProcessTarget(flow_set, parameters)
        target.portal = portal_class(
            flow_set,
            MailboxTransport(target.mailbox),
            clock=target.clock,
            parameters=parameters,
            hash_iterations=HARNESS_HASH_ITERATIONS,
        )
        return target

    return make


# -- edits of portal.yaml's spec (content bugs) ---------------------------------------------


def _text(key: str, change: Callable[[str], str]) -> Edit:
    """Text ``key`` rewritten line by line."""

    def edit(portal: PortalSpec) -> PortalSpec:
        text = portal.texts[key]
        lines = tuple(change(line) for line in text.lines)
        return replace(portal, texts={**portal.texts, key: replace(text, lines=lines)})

    return edit


def _text_lines(key: str, *lines: str) -> Edit:
    def edit(portal: PortalSpec) -> PortalSpec:
        text = replace(portal.texts[key], lines=lines)
        return replace(portal, texts={**portal.texts, key: text})

    return edit


def _screen(name: str, **changes: Any) -> Edit:
    def edit(portal: PortalSpec) -> PortalSpec:
        screen = replace(portal.screens[name], **changes)
        return replace(portal, screens={**portal.screens, name: screen})

    return edit


def _control(screen: str, label: str, new: str | None) -> Edit:
    """A button or link of ``screen`` renamed to ``new`` (its click too), or gone (None)."""

    def edit(portal: PortalSpec) -> PortalSpec:
        spec = portal.screens[screen]

        def relabel(labels: tuple[str, ...]) -> tuple[str, ...]:
            if new is None:
                return tuple(x for x in labels if x != label)
            return tuple(new if x == label else x for x in labels)

        clicks = {k: v for k, v in spec.clicks.items() if k != label}
        if new is not None:
            clicks[new] = spec.clicks[label]
        return _screen(
            screen, buttons=relabel(spec.buttons), links=relabel(spec.links), clicks=clicks
        )(portal)

    return edit


def _services(**changes: Any) -> Edit:
    def edit(portal: PortalSpec) -> PortalSpec:
        services = replace(portal.producer_services, **changes)
        return replace(portal, producer_services=services)

    return edit


def _lines(change: Callable[[PortalSpec], dict[str, Any]]) -> Edit:
    """The directory's lines (rows) replaced by ``change(portal)``."""

    def edit(portal: PortalSpec) -> PortalSpec:
        return _services(lines=change(portal))(portal)

    return edit


def _cell(line: str, state: str, cell: Cell) -> Edit:
    def change(portal: PortalSpec) -> dict[str, Any]:
        lines = dict(portal.producer_services.lines)
        row = lines[line]
        lines[line] = replace(row, cells={**row.cells, state: cell})
        return lines

    return _lines(change)


def _email_body(kind: str, change: Callable[[TextPart], TextPart | None]) -> Edit:
    """Email ``kind``'s body paragraphs rewritten (None drops a paragraph)."""

    def edit(portal: PortalSpec) -> PortalSpec:
        template = portal.emails[kind]
        body = tuple(p for p in (change(part) for part in template.body) if p is not None)
        return replace(portal, emails={**portal.emails, kind: replace(template, body=body)})

    return edit


def _email_subject(kind: str, subject: str) -> Edit:
    def edit(portal: PortalSpec) -> PortalSpec:
        template = portal.emails[kind]
        changed = replace(template, subject=replace(template.subject, text=subject))
        return replace(portal, emails={**portal.emails, kind: changed})

    return edit


def _paragraph(old: str, new: str) -> Callable[[TextPart], TextPart | None]:
    """Replace ``old`` by ``new`` in every paragraph (``new`` empty and the whole
    paragraph ``old``: drop it)."""

    def change(part: TextPart) -> TextPart | None:
        if part.text == old and not new:
            return None
        return replace(part, text=part.text.replace(old, new))

    return change


# -- small helpers for the logic bugs -------------------------------------------------------


def _sent(session: Session, kind: str) -> int:
    return session.portal.emails_sent.get(kind, 0)


def _lock_when_reached(account: Account | None, count: int, threshold: int) -> None:
    """A count kept outside the account reached the threshold: lock the account."""
    if account is not None and count >= threshold and not account.locked:
        account.failed_attempts = threshold - 1
        account.machines.fire("fail_login")


# ==========================================================================================
# Login (LOGIN) and identifiers
# ==========================================================================================


class PasswordAcceptedWithCapsLock(Session):
    def credentials_accepted(self) -> bool:
        account = self._typed_account()
        swapped = self._typed(PASSWORD).swapcase()
        return super().credentials_accepted() or (
            account is not None and not account.locked and account.password.matches(swapped)
        )


class UserNameCaseSensitive(Session):
    def _typed_account(self) -> Account | None:
        account = super()._typed_account()
        typed = self._typed(USER_NAME).strip()
        return account if account is not None and account.user_name == typed else None


class UserNameNotTrimmed(Session):
    def _typed_account(self) -> Account | None:
        account = super()._typed_account()
        typed = self._typed(USER_NAME).casefold()
        return account if account is not None and account.user_name.casefold() == typed else None


class MontanaNotOffered(Session):
    def state_offered(self) -> bool:
        return super().state_offered() and self._typed(STATE).strip().upper() != "MT"


class FirstStateShownChosen(Session):
    def remember_state(self) -> None:
        self.chosen_state = self.portal.parameters.states[0]


class AnyStateCodeOffered(Session):
    def state_offered(self) -> bool:
        typed = self._typed(STATE).strip()
        return len(typed) == 2 and typed.isalpha()


class TemporarySignInOpensChangePassword(Session):
    def record_login_success(self) -> None:
        account = self._typed_account()
        temporary = account is not None and account.temporary_matches(self._typed(PASSWORD))
        super().record_login_success()
        if temporary:
            self.state = "edit_profile"  # straight to Change Password, skipping Welcome


# ==========================================================================================
# Lock-outs (LOCK)
# ==========================================================================================


class LocksAfterFour(Account):
    def failure_reaches_lockout_threshold(self) -> bool:
        return self.failed_attempts + 1 > self.portal.parameters.lockout_threshold


class RightPasswordBeatsLock(Session):
    """Checks the password before the lock: a right password signs a locked account in."""

    def account_locked(self) -> bool:
        account = self._typed_account()
        if account is not None and account.password.matches(self._typed(PASSWORD)):
            return False
        return super().account_locked()

    def credentials_accepted(self) -> bool:
        account = self._typed_account()
        return account is not None and account.password.matches(self._typed(PASSWORD))


class LockedLoginShowsFirstWarning(InProcessDriver):
    def click(self, label: str) -> Screen:
        screen = super().click(label)
        last = self.session.machines.last
        if last is not None and last.name == "login.refuse_locked_account":
            self.session.messages = (self.portal.flow_set.portal.texts["login_failed"].text,)
            return self.screen()
        return screen


class LockedRefusalResetsCount(Session):
    def account_locked(self) -> bool:
        locked = super().account_locked()
        account = self._typed_account()
        if locked and account is not None:
            account.failed_attempts = 0  # "start again" after a refused login
        return locked


class LockedAccountRefusesTemporaryPassword(Session):
    def temporary_password_accepted(self) -> bool:
        account = self._typed_account()
        return (account is None or not account.locked) and super().temporary_password_accepted()


class ResetDoesNotUnlock(Session):
    def complete_password_reset(self) -> None:
        if self.account is not None and not self.account.locked:
            super().complete_password_reset()


class TemporarySignInUnlocks(Session):
    def record_login_success(self) -> None:
        account = self._typed_account()
        assert account is not None
        temporary = account.locked and account.temporary_matches(self._typed(PASSWORD))
        super().record_login_success()
        if temporary:
            account.machines.fire("complete_password_reset")


class ResetRequestUnlocks(Session):
    def issue_temporary_password(self) -> None:
        sent = _sent(self, "password_reset")
        super().issue_temporary_password()
        account = self._typed_account()
        if _sent(self, "password_reset") > sent and account is not None and account.locked:
            account.machines.fire("complete_password_reset")


class RecoveryLimitOfOne(Portal):
    """Decision recovery-email-limit read as one recovery email an hour, not five."""

    def recovery_allowed(self, address: str) -> bool:
        allowed = super().recovery_allowed(address)
        return allowed and len(self._recovery_sent.get(address.strip().casefold(), [])) <= 1


class UsernameRecoveryUnlocks(Session):
    def send_username_email(self) -> None:
        super().send_username_email()
        auid = self._typed(AGENT_UNIQUE_ID).strip()
        for account in self.portal.accounts_at(self._typed(EMAIL)):
            if account.agent_unique_id == auid and account.locked:
                account.machines.fire("complete_password_reset")


class CloseBrowserKeepsSession(InProcessDriver):
    """The session cookie outlives the browser: reopening the portal is still signed in."""

    def close_browser(self) -> Screen:
        if self.session.account is None:
            return super().close_browser()
        self.session.state = "welcome"
        self.session.messages = ()
        return self.screen()


class EnforcesFreshBrowser(Session):
    """Refuses the temporary password in the browser that asked for it."""

    asked_for_reset = False

    def issue_temporary_password(self) -> None:
        super().issue_temporary_password()
        self.asked_for_reset = True

    def temporary_password_accepted(self) -> bool:
        return not self.asked_for_reset and super().temporary_password_accepted()


# -- consecutive-failure counts -------------------------------------------------------------


class SuccessKeepsFailures(Session):
    def record_login_success(self) -> None:
        account = self._typed_account()
        assert account is not None
        failures = account.failed_attempts
        temporary = account.temporary_matches(self._typed(PASSWORD))
        super().record_login_success()
        if not temporary:
            account.failed_attempts = failures


class TemporarySignInKeepsFailures(Session):
    def record_login_success(self) -> None:
        account = self._typed_account()
        assert account is not None
        failures = account.failed_attempts
        temporary = account.temporary_matches(self._typed(PASSWORD))
        super().record_login_success()
        if temporary:
            account.failed_attempts = failures


class UnlockKeepsFailures(Account):
    """Unlocking puts back the count the unlock transition had just zeroed."""

    failures_before_reset = 0

    def reset_failure_count(self) -> None:
        self.failures_before_reset = self.failed_attempts
        super().reset_failure_count()

    def unlock_account(self) -> None:
        super().unlock_account()
        self.failed_attempts = self.failures_before_reset


class ChangeKeepsFailures(Session):
    """Update Password tells the lockout machine only when the account is locked."""

    def complete_password_reset(self) -> None:
        if self.account is not None and self.account.locked:
            super().complete_password_reset()


class FailuresCountedPerBrowser(Session):
    """Consecutive failures kept in the browser session, not on the account."""

    browser_failures = 0

    def failure_reaches_lockout_threshold(self) -> bool:
        if self.account is not None:
            return super().failure_reaches_lockout_threshold()
        return self.browser_failures + 1 >= self._threshold()

    def record_login_failure(self) -> None:
        if self.account is not None:
            super().record_login_failure()
        else:
            self.browser_failures += 1
            _lock_when_reached(self._typed_account(), self.browser_failures, self._threshold())

    def record_login_success(self) -> None:
        self.browser_failures = 0
        super().record_login_success()


_SPELLINGS: weakref.WeakKeyDictionary[Portal, dict[str, int]] = weakref.WeakKeyDictionary()


class FailuresCountedPerSpelling(Session):
    """A real account's failures kept per User Name exactly as typed (case-sensitive)."""

    def _spellings(self) -> dict[str, int]:
        return _SPELLINGS.setdefault(self.portal, {})

    def failure_reaches_lockout_threshold(self) -> bool:
        if self.account is not None or self._typed_account() is None:
            return super().failure_reaches_lockout_threshold()
        return self._spellings().get(self._typed(USER_NAME), 0) + 1 >= self._threshold()

    def record_login_failure(self) -> None:
        account = self._typed_account()
        if self.account is not None or account is None:
            super().record_login_failure()
        else:
            typed = self._typed(USER_NAME)
            counts = self._spellings()
            counts[typed] = counts.get(typed, 0) + 1
            _lock_when_reached(account, counts[typed], self._threshold())

    def record_login_success(self) -> None:
        self._spellings().pop(self._typed(USER_NAME), None)
        super().record_login_success()


class EmptyLoginNotCounted(Session):
    def _blank(self) -> bool:
        return self.account is None and not (
            self._typed(USER_NAME).strip() and self._typed(PASSWORD)
        )

    def failure_reaches_lockout_threshold(self) -> bool:
        return not self._blank() and super().failure_reaches_lockout_threshold()

    def record_login_failure(self) -> None:
        if not self._blank():
            super().record_login_failure()


class WrongPasswordNotCountedDuringReset(Session):
    """While a temporary password is out, a wrong Password is taken for a typo of it."""

    def _resetting(self) -> bool:
        account = self._typed_account()
        return self.account is None and account is not None and account.temporary_valid()

    def failure_reaches_lockout_threshold(self) -> bool:
        return not self._resetting() and super().failure_reaches_lockout_threshold()

    def record_login_failure(self) -> None:
        if not self._resetting():
            super().record_login_failure()


class WrongCurrentPasswordNotCounted(Session):
    def failure_reaches_lockout_threshold(self) -> bool:
        return self.account is None and super().failure_reaches_lockout_threshold()

    def record_login_failure(self) -> None:
        if self.account is None:
            super().record_login_failure()


# -- unknown user names ---------------------------------------------------------------------


class UnknownUserNameMessage(InProcessDriver):
    """Tells an unknown User Name from a wrong Password: user enumeration."""

    def click(self, label: str) -> Screen:
        unknown = label == "Login" and (
            self.portal.account_named(self.session.form.get(USER_NAME, "")) is None
        )
        screen = super().click(label)
        if unknown and screen.name == "login_page":
            self.session.messages = ("We're sorry, we cannot find an account with this User Name.",)
            return self.screen()
        return screen


class UnknownUserNamesNeverLock(Session):
    def account_locked(self) -> bool:
        return self._typed_account() is not None and super().account_locked()

    def failure_reaches_lockout_threshold(self) -> bool:
        return self._subject() is not None and super().failure_reaches_lockout_threshold()


class _CaseSensitiveLedger(UnknownNameLedger):
    def _digest(self, user_name: str) -> bytes:
        return hmac.digest(self._secret, user_name.encode("utf-8", "surrogatepass"), "sha256")


def _ledger_without_auto_unlock(parameters: Parameters, clock: Clock) -> UnknownNameLedger:
    return UnknownNameLedger(replace(parameters, auto_unlock_after_minutes=None), clock)


# -- the lock's duration (auto-unlock) -------------------------------------------------------


class AutoUnlockOnByDefault(Account):
    def auto_unlock_due(self) -> bool:
        minutes = self.portal.parameters.auto_unlock_after_minutes or 30
        return self.locked_at is not None and (
            self.portal.clock.now() >= self.locked_at + dt.timedelta(minutes=minutes)
        )


class AutoUnlockMinuteEarly(Account):
    def auto_unlock_due(self) -> bool:
        minutes = self.portal.parameters.auto_unlock_after_minutes
        if minutes is None or self.locked_at is None:
            return False
        return self.portal.clock.now() >= self.locked_at + dt.timedelta(minutes=minutes - 1)


class AutoUnlockNever(Account):
    def auto_unlock_due(self) -> bool:
        return False


# ==========================================================================================
# Recover your user name (USER)
# ==========================================================================================


class UsernameEmailIgnoresAgentUniqueId(Session):
    def send_username_email(self) -> None:
        linked = self.portal.accounts_at(self._typed(EMAIL))
        if linked:
            self.portal.send("username", linked[0].email, user_names=[a.user_name for a in linked])


class AgentUniqueIdOfEightDigits(Session):
    def username_form_valid(self) -> bool:
        errors = field_errors("forgot_user_name", self.form)
        eight = re.fullmatch(r"[0-9]{8}", self._typed(AGENT_UNIQUE_ID).strip()) is not None
        return not errors or (eight and errors == ("agent_unique_id_malformed",))


class AgentUniqueIdNotTrimmed(Session):
    def send_username_email(self) -> None:
        linked = self.portal.accounts_at(self._typed(EMAIL))
        if any(a.agent_unique_id == self._typed(AGENT_UNIQUE_ID) for a in linked):
            self.portal.send("username", linked[0].email, user_names=[a.user_name for a in linked])


class RecoveryEmailCaseSensitive(Session):
    def send_username_email(self) -> None:
        typed = self._typed(EMAIL).strip()
        linked = [a for a in self.portal.accounts_at(typed) if a.email == typed]
        if any(a.agent_unique_id == self._typed(AGENT_UNIQUE_ID).strip() for a in linked):
            self.portal.send("username", linked[0].email, user_names=[a.user_name for a in linked])


class RecoveryEmailNotTrimmed(Session):
    def send_username_email(self) -> None:
        typed = self._typed(EMAIL).casefold()
        linked = [a for a in self.portal.accounts() if a.email.casefold() == typed]
        if any(a.agent_unique_id == self._typed(AGENT_UNIQUE_ID).strip() for a in linked):
            self.portal.send("username", linked[0].email, user_names=[a.user_name for a in linked])


class UsernameFormRevealsMismatch(Session):
    def send_username_email(self) -> None:
        sent = _sent(self, "username")
        super().send_username_email()
        if _sent(self, "username") == sent:
            self.messages = ("No account matches the Agent Unique ID and E-mail Address.",)


class UsernameEmailListsOnlyTheMatch(Session):
    def send_username_email(self) -> None:
        auid = self._typed(AGENT_UNIQUE_ID).strip()
        for account in self.portal.accounts_at(self._typed(EMAIL)):
            if account.agent_unique_id == auid:
                self.portal.send("username", account.email, user_names=[account.user_name])


class UsernameEmailPerAccount(Session):
    def send_username_email(self) -> None:
        linked = self.portal.accounts_at(self._typed(EMAIL))
        if any(a.agent_unique_id == self._typed(AGENT_UNIQUE_ID).strip() for a in linked):
            for account in linked:
                self.portal.send("username", account.email, user_names=[account.user_name])


class FirstFieldErrorOnly(Session):
    def show_field_errors(self) -> None:
        super().show_field_errors()
        self.messages = self.messages[:1]


# ==========================================================================================
# Reset your password (RESET)
# ==========================================================================================


class ResetLinkOpensForgotUserName(InProcessDriver):
    def click(self, label: str) -> Screen:
        if label == "Reset Password?" and self.session.state == "login_page":
            label = "Forgot User Name?"  # the link's target copied from its neighbour
        return super().click(label)


class ResetWithoutUserName(Session):
    def reset_form_valid(self) -> bool:
        errors = field_errors("reset_password", self.form)
        return all(e == "user_name_required" for e in errors)


class ResetWithoutIdentifier(Session):
    def reset_form_valid(self) -> bool:
        errors = field_errors("reset_password", self.form)
        return all(e == "reset_instruction" for e in errors)


class ResetNeedsEmail(Session):
    def issue_temporary_password(self) -> None:
        if self._typed(EMAIL).strip():
            super().issue_temporary_password()


class ResetIgnoresAgentUniqueIdWithEmail(Session):
    def issue_temporary_password(self) -> None:
        if self._typed(EMAIL).strip():
            self.form[AGENT_UNIQUE_ID] = ""  # "email, else Agent Unique ID"
        super().issue_temporary_password()


class ResetMailsTypedAddress(Session):
    """Checks the User Name only and mails the temporary password to the address typed."""

    def issue_temporary_password(self) -> None:
        account = self._typed_account()
        typed = self._typed(EMAIL).strip()
        if account is None or not typed:
            super().issue_temporary_password()
            return
        temporary = self.portal.new_temporary_password()
        account.store_temporary_password(temporary)
        self.portal.send("password_reset", typed, temporary_password=temporary)


class ResetEmailCaseSensitive(Session):
    def issue_temporary_password(self) -> None:
        account = self._typed_account()
        typed = self._typed(EMAIL).strip()
        if account is not None and typed and typed != account.email:
            return
        super().issue_temporary_password()


class ResetFormAsksForEmail(Session):
    def show_field_errors(self) -> None:
        super().show_field_errors()
        texts = self.portal.flow_set.portal.texts
        instruction, required = texts["reset_instruction"].text, texts["email_required"].text
        self.messages = tuple(required if m == instruction else m for m in self.messages)


class ResetFormRevealsMismatch(Session):
    def issue_temporary_password(self) -> None:
        sent = _sent(self, "password_reset")
        super().issue_temporary_password()
        if _sent(self, "password_reset") == sent:
            self.messages = ("No account matches the User Name and the details you entered.",)


class TemporaryPasswordAnyCase(Account):
    def _temporary_form(self, password: str) -> str:
        return password.casefold()  # ignores temporary_password_case_sensitive


class _UrlSafeTemporaryPasswords(Portal):
    def new_temporary_password(self) -> str:
        return secrets.token_urlsafe(12)  # 16 characters, with "-" and "_"


class _TwelveCharacterTemporaryPasswords(Portal):
    def new_temporary_password(self) -> str:
        # Upper, lower and a digit always: only the length differs from the flows' form.
        return "Tpx" + "".join(secrets.choice("abcdefgh23456789") for _ in range(8)) + "9"


class _LowerCaseTemporaryPasswords(Portal):
    def new_temporary_password(self) -> str:
        return "t" + "".join(secrets.choice("abcdefgh23456789") for _ in range(7)) + "9"


class _SymbolTemporaryPasswords(Portal):
    def new_temporary_password(self) -> str:
        return "Tp$" + "".join(secrets.choice("abcdefgh23456789") for _ in range(5)) + "9"


class UpdatePasswordIgnoresChangeElsewhere(Session):
    """Update Password does not check whether the password changed in another browser."""

    def session_ended(self) -> bool:
        return self.state != "edit_profile" and super().session_ended()


class EditProfileIgnoresChangeElsewhere(Session):
    """Edit Profile does not check whether the password changed in another browser (the
    state menu still does: its form carries a State)."""

    def session_ended(self) -> bool:
        clicked_edit_profile = self.state == "state_selected" and STATE not in self.form
        return not clicked_edit_profile and super().session_ended()


def _flows_reordered(flow: str, first: str, before: str) -> Maker:
    """The reference portal of flows whose transition ``first`` of ``flow`` is moved just
    before ``before``: another order of refusals when both apply."""

    def make(flow_set: FlowSet, parameters: Parameters) -> Target:
        spec = flow_set.flows[flow]
        moved = next(t for t in spec.transitions if t.id == first)
        kept = [t for t in spec.transitions if t.id != first]
        at = next(i for i, t in enumerate(kept) if t.id == before)
        reordered = replace(spec, transitions=(*kept[:at], moved, *kept[at:]))
        flows = {**flow_set.flows, flow: reordered}
        return InProcessTarget(replace(flow_set, flows=flows), parameters)

    return make


class TemporaryPasswordOnlyWhileLocked(Session):
    def temporary_password_accepted(self) -> bool:
        account = self._typed_account()
        return account is not None and account.locked and super().temporary_password_accepted()


class CurrentPasswordIgnoresTemporary(Session):
    def current_password_correct(self) -> bool:
        account = self.account
        current = self._typed(CURRENT_PASSWORD)
        return account is not None and account.password.matches(current)


class ConfirmationNotChecked(Session):
    def new_password_confirmed(self) -> bool:
        return True


class PolicyCheckedBeforeCurrentPassword(Session):
    def current_password_correct(self) -> bool:
        # the policy error wins: a wrong Current Password is reported only for a valid new one
        return not self.new_password_meets_policy() or super().current_password_correct()


# -- the password policy (RESET-10) ----------------------------------------------------------


class _PolicyLengths(Session):
    min_delta = 0
    max_delta = 0

    def new_password_meets_policy(self) -> bool:
        policy = self.portal.parameters.password_policy
        policy = replace(
            policy,
            min_length=policy.min_length + self.min_delta,
            max_length=policy.max_length + self.max_delta,
        )
        return policy.accepts(self._typed(NEW_PASSWORD))


class PasswordMinimumFive(_PolicyLengths):
    min_delta = -1


class PasswordMinimumSeven(_PolicyLengths):
    min_delta = 1


class PasswordMaximumTen(_PolicyLengths):
    max_delta = 1


class PasswordMaximumEight(_PolicyLengths):
    max_delta = -1


class PasswordSymbolsAccepted(Session):
    def new_password_meets_policy(self) -> bool:
        new = self._typed(NEW_PASSWORD)
        policy = self.portal.parameters.password_policy
        return (
            policy.min_length <= len(new) <= policy.max_length
            and new.isascii()
            and new.isprintable()
            and " " not in new
        )


class PasswordNonAsciiLettersAccepted(Session):
    def new_password_meets_policy(self) -> bool:
        new = self._typed(NEW_PASSWORD)
        policy = self.portal.parameters.password_policy
        return policy.min_length <= len(new) <= policy.max_length and new.isalnum()


class PasswordUpperCaseRefused(Session):
    def new_password_meets_policy(self) -> bool:
        new = self._typed(NEW_PASSWORD)
        return super().new_password_meets_policy() and new == new.lower()


class PasswordNeedsLetterAndDigit(Session):
    def new_password_meets_policy(self) -> bool:
        new = self._typed(NEW_PASSWORD)
        return (
            super().new_password_meets_policy()
            and any(c.isalpha() for c in new)
            and any(c.isdigit() for c in new)
        )


class NewPasswordMayEqualCurrent(Session):
    def new_password_differs(self) -> bool:
        return True


class NewPasswordComparedWithTypedOnly(Session):
    """The New Password is compared with the Current Password typed only: after a reset
    (the temporary password typed) the old password may be chosen again."""

    def new_password_differs(self) -> bool:
        return self._typed(NEW_PASSWORD) != self._typed(CURRENT_PASSWORD)


class OldPasswordIsCurrentWithTemporary(Session):
    """Current Password is checked against the account's password and the temporary one
    whichever signed the session in: a locked account signed in with its temporary
    password finishes the reset, and unlocks, with the old password."""

    def current_password_correct(self) -> bool:
        account = self.account
        current = self._typed(CURRENT_PASSWORD)
        return account is not None and (
            account.password.matches(current) or account.temporary_matches(current)
        )


# -- the old, new and temporary passwords -----------------------------------------------------


class _PasswordHistoryAccount(Account):
    history: tuple[PasswordHash, ...] = ()


class OldPasswordWorksAfterChange(Session):
    """Update Password keeps the old hash in a history that the login also accepts."""

    def change_password(self) -> None:
        if isinstance(self.account, _PasswordHistoryAccount):
            self.account.history += (self.account.password,)
        super().change_password()

    def credentials_accepted(self) -> bool:
        account = self._typed_account()
        typed = self._typed(PASSWORD)
        return super().credentials_accepted() or (
            isinstance(account, _PasswordHistoryAccount)
            and not account.locked
            and any(old.matches(typed) for old in account.history)
        )


class KeepsOlderTemporaryPasswords(Account):
    """A newer reset adds a temporary password instead of replacing the older one."""

    older: tuple[tuple[PasswordHash, dt.datetime], ...] = ()

    def store_temporary_password(self, temporary: str) -> None:
        if self.temporary is not None and self.temporary_issued_at is not None:
            self.older += ((self.temporary, self.temporary_issued_at),)
        super().store_temporary_password(temporary)

    def temporary_matches(self, password: str) -> bool:
        lifetime = dt.timedelta(minutes=self.portal.parameters.temporary_password_valid_minutes)
        now = self.portal.clock.now()
        return super().temporary_matches(password) or any(
            now < issued + lifetime and old.matches(self._temporary_form(password))
            for old, issued in self.older
        )


class TemporaryPasswordSurvivesChange(Session):
    def change_password(self) -> None:
        account = self.account
        assert account is not None
        kept = account.temporary, account.temporary_issued_at
        super().change_password()
        account.temporary, account.temporary_issued_at = kept


class TemporaryPasswordSingleUse(Session):
    def record_login_success(self) -> None:
        account = self._typed_account()
        assert account is not None
        used = account.temporary_matches(self._typed(PASSWORD))
        super().record_login_success()
        if used:
            account.temporary = None


class ResetRequestVoidsPassword(Session):
    def issue_temporary_password(self) -> None:
        sent = _sent(self, "password_reset")
        super().issue_temporary_password()
        account = self._typed_account()
        if _sent(self, "password_reset") > sent and account is not None:
            account.password = PasswordHash.of(secrets.token_urlsafe(), self.portal.hash_iterations)


# -- the temporary password's lifetime --------------------------------------------------------


class TemporaryPasswordNeverExpires(Account):
    def temporary_valid(self) -> bool:
        return self.temporary is not None


class TemporaryPasswordExpiresMinuteEarly(Account):
    def temporary_valid(self) -> bool:
        if self.temporary is None or self.temporary_issued_at is None:
            return False
        minutes = self.portal.parameters.temporary_password_valid_minutes - 1
        return self.portal.clock.now() < self.temporary_issued_at + dt.timedelta(minutes=minutes)


class TemporaryPasswordValidAtItsEnd(Account):
    def temporary_valid(self) -> bool:
        if self.temporary is None or self.temporary_issued_at is None:
            return False
        minutes = self.portal.parameters.temporary_password_valid_minutes
        return self.portal.clock.now() <= self.temporary_issued_at + dt.timedelta(minutes=minutes)


class ExpiredTemporaryPasswordIsCurrent(Session):
    def current_password_correct(self) -> bool:
        account = self.account
        current = self._typed(CURRENT_PASSWORD)
        return super().current_password_correct() or (
            account is not None
            and account.temporary is not None
            and account.temporary.matches(account._temporary_form(current))
        )


# -- sessions ---------------------------------------------------------------------------------


class OtherSessionsSurviveChange(Session):
    def session_ended(self) -> bool:
        return False


class ChangeEndsOwnSession(Session):
    def change_password(self) -> None:
        super().change_password()
        self.signed_in_at_change -= 1  # every session of the account ends, this one too


class StateFarmNumbersOnReset(Portal):
    def screen(self, session: Session) -> Screen:
        screen = super().screen(session)
        if screen.name != "reset_password":
            return screen
        services = self.flow_set.portal.producer_services
        row = DirectoryRow(
            services.state_farm_label, (services.state_farm_number,) * len(services.states)
        )
        return replace(screen, directory=(*screen.directory, row))


_FORM_OF_CONFIRMATION = {
    "username_request_submitted": "Forgot User Name?",
    "reset_request_submitted": "Reset Password?",
}


class BookmarkReopensLastForm(InProcessDriver):
    """The portal's address shows the page the session was last on (a "resume where you
    left off" that the sign-in page never got): a form stays open."""

    def open_portal(self) -> Screen:
        if self.session.account is None and self.session.state != "login_page":
            self.session.messages = ()
            return self.screen()
        return super().open_portal()


class BookmarkSignsOut(InProcessDriver):
    """The portal's address always shows Please Sign-In, signing a signed-in browser out."""

    def open_portal(self) -> Screen:
        self.session = self.portal.open_session()
        return self.screen()


class OkReturnsToForm(InProcessDriver):
    def click(self, label: str) -> Screen:
        came_from = self.session.state
        screen = super().click(label)
        if label == "OK" and came_from in _FORM_OF_CONFIRMATION:
            return super().click(_FORM_OF_CONFIRMATION[came_from])
        return screen


# ==========================================================================================
# The corpus
# ==========================================================================================


def _welcome_items_without_last(portal: PortalSpec) -> PortalSpec:
    return _text_lines("welcome_items", *portal.texts["welcome_items"].lines[:-1])(portal)


def _without_row(key: str) -> Edit:
    def change(portal: PortalSpec) -> dict[str, Any]:
        return {k: v for k, v in portal.producer_services.lines.items() if k != key}

    return _lines(change)


def _without_dates(portal: PortalSpec) -> dict[str, Any]:
    return {
        key: replace(line, cells={s: replace(c, shown=None) for s, c in line.cells.items()})
        for key, line in portal.producer_services.lines.items()
    }


def _without_state_column(state: str) -> Edit:
    def edit(portal: PortalSpec) -> PortalSpec:
        states = tuple(s for s in portal.producer_services.states if s != state)
        return _services(states=states)(portal)

    return edit


def _edit_profile_on_welcome(portal: PortalSpec) -> PortalSpec:
    welcome = portal.screens["welcome"]
    return _screen(
        "welcome",
        links=(*welcome.links, "Edit Profile"),
        clicks={**welcome.clicks, "Edit Profile": "click_edit_profile"},
    )(portal)


def _sender(sender: str) -> Edit:
    def edit(portal: PortalSpec) -> PortalSpec:
        return replace(portal, parameters=replace(portal.parameters, sender=sender))

    return edit


_SERVICES_MT = " MT: (855) 454-7109"
_STATE_FARM_LINE = "State Farm agents - please call 1-844-250-8201 for assistance."
_TEMPORARY_LINE = "Temporary Password: {temporary_password}"


BROKEN_PORTALS: tuple[BrokenPortal, ...] = (
    # -- Login (LOGIN) -------------------------------------------------------------------------
    BrokenPortal(
        "login-reset-password-link-missing",
        ("LOGIN-1",),
        "The login page lost its Reset Password? link in a template change.",
        _spec(_control("login_page", "Reset Password?", None)),
    ),
    BrokenPortal(
        "login-button-renamed",
        ("LOGIN-1",),
        'The login page\'s "Login" button is labelled "Log In".',
        _spec(_control("login_page", "Login", "Log In")),
    ),
    BrokenPortal(
        "password-accepted-with-caps-lock",
        ("LOGIN-2", "decision:identifiers-case"),
        "The login also tries the password with its case swapped (Caps Lock forgiveness), "
        "so passwords are not case-sensitive.",
        _models(PasswordAcceptedWithCapsLock),
    ),
    BrokenPortal(
        "login-page-without-welcome-panel",
        ("LOGIN-1", "LOGIN-3"),
        "Please Sign-In shows the sign-in box alone, without the Welcome panel beside it.",
        _spec(_screen("login_page", texts=())),
    ),
    BrokenPortal(
        "login-page-without-top-bar",
        ("LOGIN-1",),
        'Please Sign-In lacks the top bar\'s "Menu" and "Account".',
        _spec(_screen("login_page", menus=())),
    ),
    BrokenPortal(
        "welcome-page-without-panel",
        ("decision:welcome-page-content",),
        "After sign-in the Welcome page shows only the State choice and the menus, not the"
        " Welcome panel's texts.",
        _spec(_screen("welcome", texts=())),
    ),
    BrokenPortal(
        "welcome-item-missing",
        ("LOGIN-3",),
        'The Welcome page lists four of the five "You can:" items, '
        'without "Access training materials".',
        _spec(_welcome_items_without_last),
    ),
    BrokenPortal(
        "account-menu-missing",
        ("LOGIN-4",),
        'Once a state is selected the page loses the "Account" menu.',
        _spec(_screen("state_selected", menus=("Menu",))),
    ),
    BrokenPortal(
        "state-mt-not-offered",
        ("LOGIN-4", "decision:states-offered"),
        "The state list predates Montana: MT selects nothing.",
        _models(MontanaNotOffered),
    ),
    BrokenPortal(
        "first-state-shown-chosen",
        ("LOGIN-4",),
        "Whatever state the producer selects, the State field then shows the first one"
        " of the list chosen.",
        _models(FirstStateShownChosen),
    ),
    BrokenPortal(
        "any-state-code-offered",
        ("decision:states-offered",),
        "Any two-letter code is taken as a state, e.g. CA selects a state the portal does not serve.",
        _models(AnyStateCodeOffered),
    ),
    BrokenPortal(
        "edit-profile-before-state",
        ("decision:edit-profile-after-state",),
        "The Welcome page offers Edit Profile before a state is selected.",
        _spec(_edit_profile_on_welcome),
    ),
    BrokenPortal(
        "temporary-sign-in-opens-change-password",
        ("decision:login-opens-welcome",),
        "A temporary-password sign-in jumps straight to Change Password instead of Welcome.",
        _models(TemporarySignInOpensChangePassword),
    ),
    BrokenPortal(
        "user-name-case-sensitive",
        ("decision:identifiers-case", "LOGIN-2"),
        "User names are compared with case, so JSMITH1 does not find jsmith1.",
        _models(UserNameCaseSensitive),
    ),
    BrokenPortal(
        "user-name-spaces-not-trimmed",
        ("decision:identifiers-case", "LOGIN-2"),
        "Surrounding spaces of the typed User Name are kept, so a pasted name is unknown.",
        _models(UserNameNotTrimmed),
    ),
    # -- Lock-outs (LOCK) ------------------------------------------------------------------------
    BrokenPortal(
        "lock-1-text-hyphen",
        ("LOCK-1",),
        "The LOCK-1 message has a hyphen where the guide has an en dash.",
        _spec(_text("login_failed", lambda line: line.replace("–", "-"))),
    ),
    BrokenPortal(
        "locks-after-four",
        ("LOCK-2",),
        "The lock-out compares with > instead of >=, so the fourth failure locks, not the third.",
        _models(account=LocksAfterFour),
    ),
    BrokenPortal(
        "right-password-beats-lock",
        ("LOCK-3",),
        "The password is checked before the lock, so the right password signs a locked account in.",
        _models(RightPasswordBeatsLock),
    ),
    BrokenPortal(
        "locked-login-shows-first-warning",
        ("decision:locked-login-message", "LOCK-3"),
        "A locked account's later attempts show the LOCK-1 warning instead of the LOCK-2 text.",
        _browser(LockedLoginShowsFirstWarning),
    ),
    BrokenPortal(
        "locked-refusal-resets-count",
        ("LOCK-3", "decision:wrong-current-password-counts"),
        "A refused login of a locked account zeroes its failure count, so a signed-in "
        "session gets more wrong Current Passwords.",
        _models(LockedRefusalResetsCount),
    ),
    BrokenPortal(
        "locked-account-refuses-temporary-password",
        ("LOCK-4", "decision:reset-completes-on-update-password"),
        "A locked account refuses its valid temporary password, so the reset cannot be finished.",
        _models(LockedAccountRefusesTemporaryPassword),
    ),
    BrokenPortal(
        "reset-does-not-unlock",
        ("LOCK-4",),
        "Update Password tells the lockout machine only for unlocked accounts: a reset never unlocks.",
        _models(ResetDoesNotUnlock),
    ),
    BrokenPortal(
        "temporary-sign-in-unlocks",
        ("decision:reset-completes-on-update-password",),
        "Signing in with the temporary password unlocks the account before Update Password.",
        _models(TemporarySignInUnlocks),
    ),
    BrokenPortal(
        "reset-request-unlocks",
        ("decision:reset-completes-on-update-password", "LOCK-4"),
        "Requesting a reset unlocks the account at once, so the old password works again.",
        _models(ResetRequestUnlocks),
    ),
    BrokenPortal(
        "username-recovery-unlocks",
        ("decision:username-recovery-does-not-unlock",),
        "Recovering the user name unlocks the account.",
        _models(UsernameRecoveryUnlocks),
    ),
    BrokenPortal(
        "close-browser-keeps-session",
        ("LOCK-5", "decision:fresh-browser-not-enforced"),
        "The session cookie outlives the browser: reopening the portal is still signed in.",
        _browser(CloseBrowserKeepsSession),
    ),
    BrokenPortal(
        "fresh-browser-enforced",
        ("decision:fresh-browser-not-enforced",),
        "The browser that requested the reset is refused the temporary password, "
        "to force the close-and-clear advice.",
        _models(EnforcesFreshBrowser),
    ),
    # -- consecutive-failure counts ----------------------------------------------------------------
    BrokenPortal(
        "success-keeps-failures",
        ("decision:success-resets-failures",),
        "A successful login leaves the failure count as it was.",
        _models(SuccessKeepsFailures),
    ),
    BrokenPortal(
        "temporary-sign-in-keeps-failures",
        ("decision:temporary-sign-in-resets-failures",),
        "A temporary-password sign-in is not treated as a success for the failure count.",
        _models(TemporarySignInKeepsFailures),
    ),
    BrokenPortal(
        "unlock-keeps-failures",
        ("LOCK-4", "decision:temporary-lock-duration"),
        "Unlocking (by reset or auto-unlock) clears the lock but not the failure count.",
        _models(account=UnlockKeepsFailures),
    ),
    BrokenPortal(
        "change-keeps-failures",
        ("RESET-12",),
        "Update Password on an unlocked account does not zero its failure count.",
        _models(ChangeKeepsFailures),
    ),
    BrokenPortal(
        "failures-counted-per-browser",
        ("decision:failures-counted-per-user-name",),
        "Consecutive failures are kept in the browser session, not per user name.",
        _models(FailuresCountedPerBrowser),
    ),
    BrokenPortal(
        "failures-counted-per-spelling",
        ("decision:failures-counted-per-user-name", "decision:identifiers-case"),
        "A real account's failures are counted per User Name exactly as typed, so changing "
        "its case gives three more guesses.",
        _models(FailuresCountedPerSpelling),
    ),
    BrokenPortal(
        "empty-login-not-counted",
        ("decision:empty-login-counts",),
        "A login with an empty User Name or Password shows LOCK-1 but is not counted.",
        _models(EmptyLoginNotCounted),
    ),
    BrokenPortal(
        "wrong-password-not-counted-during-reset",
        ("decision:wrong-temporary-password-counts",),
        "While a temporary password is out, wrong Passwords are taken for typos and not counted.",
        _models(WrongPasswordNotCountedDuringReset),
    ),
    BrokenPortal(
        "wrong-current-password-not-counted",
        ("decision:wrong-current-password-counts", "RESET-9"),
        "A wrong Current Password on Change Password is refused but never counted.",
        _models(WrongCurrentPasswordNotCounted),
    ),
    # -- unknown user names ------------------------------------------------------------------------
    BrokenPortal(
        "unknown-user-name-message",
        ("decision:unknown-user-name",),
        "An unknown User Name gets its own message: user enumeration.",
        _browser(UnknownUserNameMessage),
    ),
    BrokenPortal(
        "unknown-user-names-never-lock",
        ("decision:unknown-user-name",),
        "Unknown User Names are not counted, so their third failure shows LOCK-1, not LOCK-2.",
        _models(UnknownUserNamesNeverLock),
    ),
    BrokenPortal(
        "unknown-user-names-case-sensitive",
        ("decision:unknown-user-name", "decision:identifiers-case"),
        "The unknown-name ledger keys the name as typed, so GHOST, Ghost and ghost never lock.",
        _ledger(_CaseSensitiveLedger),
    ),
    BrokenPortal(
        "unknown-user-name-lock-never-lapses",
        ("decision:unknown-user-name", "decision:temporary-lock-duration"),
        "The unknown-name ledger is built without the auto-unlock duration, so an unknown "
        "name stays locked after a real account would auto-unlock.",
        _ledger(_ledger_without_auto_unlock),
    ),
    # -- the lock's duration -----------------------------------------------------------------------
    BrokenPortal(
        "auto-unlock-on-by-default",
        ("decision:temporary-lock-duration", "LOCK-3"),
        "A missing auto_unlock_after_minutes falls back to 30 minutes instead of no auto-unlock.",
        _models(account=AutoUnlockOnByDefault),
    ),
    BrokenPortal(
        "auto-unlock-minute-early",
        ("decision:temporary-lock-duration",),
        "The auto-unlock fires one minute before auto_unlock_after_minutes.",
        _models(account=AutoUnlockMinuteEarly),
    ),
    BrokenPortal(
        "auto-unlock-ignored",
        ("decision:temporary-lock-duration",),
        "auto_unlock_after_minutes is ignored: a locked account never auto-unlocks.",
        _models(account=AutoUnlockNever),
    ),
    # -- Recover your user name (USER) -------------------------------------------------------------
    BrokenPortal(
        "forgot-user-name-title-misspelt",
        ("USER-1",),
        'The form is titled "Forget User Name?" after the guide\'s misspelling.',
        _spec(_screen("forgot_user_name", title="Forget User Name?")),
    ),
    BrokenPortal(
        "forgot-user-name-heading-as-screenshot",
        ("USER-1", "decision:forgot-user-name-heading"),
        "The form's heading is the screenshot's \"Forget User Name ?\", not the link's words.",
        _spec(_screen("forgot_user_name", title="Forget User Name ?")),
    ),
    BrokenPortal(
        "username-email-ignores-agent-unique-id",
        ("USER-2", "decision:forms-do-not-reveal-matches"),
        "The username email is sent when the E-mail Address matches, whatever the Agent Unique ID.",
        _models(UsernameEmailIgnoresAgentUniqueId),
    ),
    BrokenPortal(
        "agent-unique-id-of-eight-digits",
        ("USER-2", "decision:form-field-messages"),
        "The Agent Unique ID pattern is [0-9]{8,9}, so eight digits pass.",
        _models(AgentUniqueIdOfEightDigits),
    ),
    BrokenPortal(
        "agent-unique-id-spaces-not-trimmed",
        ("USER-2",),
        "The Agent Unique ID is validated trimmed but looked up with its spaces.",
        _models(AgentUniqueIdNotTrimmed),
    ),
    BrokenPortal(
        "recovery-limit-of-one",
        ("decision:recovery-email-limit",),
        "The recovery-email limit lets one email an hour through instead of five.",
        _portal_class(RecoveryLimitOfOne),
    ),
    BrokenPortal(
        "recovery-email-case-sensitive",
        ("USER-3", "decision:identifiers-case"),
        "Forgot User Name? compares the E-mail Address with case.",
        _models(RecoveryEmailCaseSensitive),
    ),
    BrokenPortal(
        "recovery-email-spaces-not-trimmed",
        ("USER-3", "decision:identifiers-case"),
        "Forgot User Name? looks the E-mail Address up with its surrounding spaces.",
        _models(RecoveryEmailNotTrimmed),
    ),
    BrokenPortal(
        "forgot-submit-renamed",
        ("USER-4",),
        'The Forgot User Name? form\'s "Submit" button is labelled "Send".',
        _spec(_control("forgot_user_name", "Submit", "Send")),
    ),
    BrokenPortal(
        "username-confirmation-shows-reset-text",
        ("USER-5",),
        "The username confirmation shows the reset confirmation's text (a copy-paste).",
        _spec(_screen("username_request_submitted", texts=("reset_request_submitted",))),
    ),
    BrokenPortal(
        "username-confirmation-loses-legible-start",
        ("USER-5",),
        'The Request Submitted confirmation of Forgot User Name? is reworded, "We sent your user'
        ' name ...", losing the screenshot\'s legible start "Your User Nam".',
        _spec(
            _text_lines(
                "username_request_submitted",
                "We sent your user name in an email to your email address on file.",
            )
        ),
    ),
    BrokenPortal(
        "username-form-reveals-mismatch",
        ("USER-5", "decision:forms-do-not-reveal-matches"),
        "The username confirmation says when nothing matched.",
        _models(UsernameFormRevealsMismatch),
    ),
    BrokenPortal(
        "username-email-lists-one-name",
        ("USER-6",),
        "The username email lists only the account whose Agent Unique ID was typed.",
        _models(UsernameEmailListsOnlyTheMatch),
    ),
    BrokenPortal(
        "username-email-per-account",
        ("USER-6",),
        "A shared address gets one username email per linked account, each with one name.",
        _models(UsernameEmailPerAccount),
    ),
    BrokenPortal(
        "username-email-comma",
        ("USER-6",),
        "The username email's greeting got the reset email's comma (\"did not request, please\").",
        _spec(
            _email_body("username", _paragraph("did not request please", "did not request, please"))
        ),
    ),
    BrokenPortal(
        "username-email-subject",
        ("decision:username-email-subject",),
        'The username email\'s subject is "Your Retail Producer Portal User Name".',
        _spec(_email_subject("username", "Your Retail Producer Portal User Name")),
    ),
    BrokenPortal(
        "forgot-user-name-legend-missing",
        ("USER-8",),
        'The Forgot User Name? form lacks "* Denotes a required field."',
        _spec(_screen("forgot_user_name", texts=("assistance_heading",))),
    ),
    BrokenPortal(
        "first-field-error-only",
        ("decision:form-field-messages",),
        "A form shows only the first field's error, not one message per field.",
        _models(FirstFieldErrorOnly),
    ),
    # -- Reset your password (RESET) -----------------------------------------------------------------
    BrokenPortal(
        "reset-link-opens-forgot-user-name",
        ("RESET-1",),
        "The Reset Password? link points at the Forgot User Name? form.",
        _browser(ResetLinkOpensForgotUserName),
    ),
    BrokenPortal(
        "reset-without-user-name",
        ("RESET-2",),
        "The Reset Password? form does not require the User Name.",
        _models(ResetWithoutUserName),
    ),
    BrokenPortal(
        "reset-without-identifier",
        ("RESET-3",),
        "The Reset Password? form accepts a User Name with neither E-mail Address nor Agent Unique ID.",
        _models(ResetWithoutIdentifier),
    ),
    BrokenPortal(
        "reset-needs-email",
        ("RESET-3",),
        "A reset identified by User Name and Agent Unique ID sends no email (only the email path works).",
        _models(ResetNeedsEmail),
    ),
    BrokenPortal(
        "reset-ignores-agent-unique-id-with-email",
        ("decision:both-identifiers-given",),
        "With both identifiers given the Agent Unique ID is not checked.",
        _models(ResetIgnoresAgentUniqueIdWithEmail),
    ),
    BrokenPortal(
        "reset-mails-typed-address",
        ("RESET-5", "decision:forms-do-not-reveal-matches"),
        "The reset checks only the User Name and mails the temporary password to the address typed.",
        _models(ResetMailsTypedAddress),
    ),
    BrokenPortal(
        "reset-email-case-sensitive",
        ("decision:identifiers-case", "RESET-3"),
        "Reset Password? compares the E-mail Address with case.",
        _models(ResetEmailCaseSensitive),
    ),
    BrokenPortal(
        "reset-form-asks-for-email",
        ("decision:form-field-messages", "RESET-3"),
        "With neither identifier the reset form says E-mail Address is required "
        "instead of repeating its instruction.",
        _models(ResetFormAsksForEmail),
    ),
    BrokenPortal(
        "reset-submit-renamed",
        ("RESET-4",),
        'The Reset Password? form\'s "Submit" button is labelled "Reset Password".',
        _spec(_control("reset_password", "Submit", "Reset Password")),
    ),
    BrokenPortal(
        "reset-confirmation-shows-username-text",
        ("RESET-5",),
        "The reset confirmation shows the username confirmation's text (a copy-paste).",
        _spec(_screen("reset_request_submitted", texts=("username_request_submitted",))),
    ),
    BrokenPortal(
        "reset-confirmation-title",
        ("decision:reset-confirmation-title",),
        'The reset confirmation is titled "Password Reset" instead of "Request Submitted".',
        _spec(_screen("reset_request_submitted", title="Password Reset")),
    ),
    BrokenPortal(
        "reset-confirmation-conditional-wording",
        ("decision:confirmation-wording",),
        "The reset confirmation uses OWASP's conditional wording instead of the guide's.",
        _spec(
            _text_lines(
                "reset_request_submitted",
                "If the details match an account, we sent a temporary password to "
                "its email address on file.",
            )
        ),
    ),
    BrokenPortal(
        "reset-form-reveals-mismatch",
        ("decision:forms-do-not-reveal-matches", "RESET-5"),
        "The reset confirmation says when nothing matched.",
        _models(ResetFormRevealsMismatch),
    ),
    BrokenPortal(
        "reset-email-subject",
        ("RESET-6",),
        'The reset email\'s subject is "Retail Producer Portal Password Reset Request".',
        _spec(_email_subject("password_reset", "Retail Producer Portal Password Reset Request")),
    ),
    BrokenPortal(
        "temporary-password-any-case",
        ("RESET-6",),
        "The temporary password is stored and matched case-folded, so any case signs in.",
        _models(account=TemporaryPasswordAnyCase),
    ),
    BrokenPortal(
        "temporary-password-line-reworded",
        ("decision:temporary-password-line",),
        'The reset email gives the password as "Your temporary password is ..." '
        "instead of the decided first line.",
        _spec(
            _email_body(
                "password_reset",
                _paragraph(_TEMPORARY_LINE, "Your temporary password is {temporary_password}"),
            )
        ),
    ),
    BrokenPortal(
        "temporary-password-breaks-policy",
        ("decision:temporary-password-rules",),
        "Temporary passwords come from secrets.token_urlsafe: 16 characters with - and _.",
        _portal_class(_UrlSafeTemporaryPasswords),
    ),
    BrokenPortal(
        "update-password-after-change-elsewhere",
        ("decision:password-change-ends-other-sessions", "RESET-12"),
        "Update Password in a browser whose password was changed in another one is not signed out.",
        _models(session=UpdatePasswordIgnoresChangeElsewhere),
    ),
    BrokenPortal(
        "edit-profile-after-change-elsewhere",
        ("decision:password-change-ends-other-sessions", "RESET-12"),
        "Edit Profile in a browser whose password was changed in another one opens Change"
        " Password instead of signing out.",
        _models(session=EditProfileIgnoresChangeElsewhere),
    ),
    BrokenPortal(
        "wrong-current-before-missing-field",
        ("decision:change-password-message-order", "RESET-9"),
        "A third wrong Current Password locks even when a field is missing: the count comes"
        " before the fields.",
        _flows_reordered(
            "password_reset",
            "end_session_on_wrong_current_passwords",
            "require_change_password_fields",
        ),
    ),
    BrokenPortal(
        "unchanged-before-unconfirmed",
        ("decision:change-password-message-order", "decision:new-password-must-differ"),
        "A New Password both unconfirmed and unchanged gets the unchanged message first.",
        _flows_reordered(
            "password_reset", "refuse_unchanged_password", "refuse_unconfirmed_password"
        ),
    ),
    BrokenPortal(
        "edit-profile-outside-account-menu",
        ("RESET-8",),
        "Edit Profile is shown on its own, not in the Account menu.",
        _spec(_screen("state_selected", menu_links={})),
    ),
    BrokenPortal(
        "temporary-password-twelve-characters",
        ("decision:temporary-password-rules",),
        "Temporary passwords of 12 letters and digits, not temporary_password_length.",
        _portal_class(_TwelveCharacterTemporaryPasswords),
    ),
    BrokenPortal(
        "temporary-password-lower-case",
        ("decision:temporary-password-rules", "RESET-6"),
        "Temporary passwords of 9 lower-case letters and digits: their case never matters.",
        _portal_class(_LowerCaseTemporaryPasswords),
    ),
    BrokenPortal(
        "temporary-password-with-symbol",
        ("decision:temporary-password-rules",),
        "Temporary passwords of 9 characters, one a symbol ($).",
        _portal_class(_SymbolTemporaryPasswords),
    ),
    BrokenPortal(
        "temporary-password-only-while-locked",
        ("RESET-7",),
        "The temporary password is accepted only for a locked account.",
        _models(TemporaryPasswordOnlyWhileLocked),
    ),
    BrokenPortal(
        "edit-profile-missing",
        ("RESET-8", "LOGIN-4"),
        'The "Account" menu lacks "Edit Profile".',
        _spec(_control("state_selected", "Edit Profile", None)),
    ),
    BrokenPortal(
        "change-password-relogin-text-missing",
        ("RESET-9",),
        'Change Password lacks "Once the password has been changed you will be required '
        'to login using your new password."',
        _spec(_screen("edit_profile", texts=("change_password_instruction",))),
    ),
    BrokenPortal(
        "current-password-ignores-temporary",
        ("RESET-9",),
        "The Current Password is checked against the old password only, not the temporary one.",
        _models(CurrentPasswordIgnoresTemporary),
    ),
    BrokenPortal(
        "confirmation-not-checked",
        ("RESET-9",),
        "Confirm New Password is never compared with New Password.",
        _models(ConfirmationNotChecked),
    ),
    BrokenPortal(
        "policy-checked-before-current-password",
        ("decision:change-password-message-order",),
        "Change Password validates the new password before the Current Password.",
        _models(PolicyCheckedBeforeCurrentPassword),
    ),
    BrokenPortal(
        "password-minimum-five",
        ("RESET-10",),
        "The policy's minimum length is off by one: five characters pass.",
        _models(PasswordMinimumFive),
    ),
    BrokenPortal(
        "password-minimum-seven",
        ("RESET-10",),
        "The policy's minimum length is off by one: six characters are refused.",
        _models(PasswordMinimumSeven),
    ),
    BrokenPortal(
        "password-maximum-ten",
        ("RESET-10",),
        "The policy's maximum length is off by one: ten characters pass.",
        _models(PasswordMaximumTen),
    ),
    BrokenPortal(
        "password-maximum-eight",
        ("RESET-10",),
        "The policy's maximum length is off by one: nine characters are refused.",
        _models(PasswordMaximumEight),
    ),
    BrokenPortal(
        "password-symbols-accepted",
        ("RESET-10",),
        "The policy checks length and printable ASCII only, so special characters pass.",
        _models(PasswordSymbolsAccepted),
    ),
    BrokenPortal(
        "password-non-ascii-letters-accepted",
        ("decision:letters-are-ascii", "RESET-10"),
        "The policy uses str.isalnum without isascii, so a letter such as ä passes.",
        _models(PasswordNonAsciiLettersAccepted),
    ),
    BrokenPortal(
        "password-upper-case-refused",
        ("RESET-10",),
        "The policy allows lower-case letters and digits only.",
        _models(PasswordUpperCaseRefused),
    ),
    BrokenPortal(
        "password-needs-letter-and-digit",
        ("RESET-10",),
        'The policy requires a letter and a digit, reading "letters and numbers" as both.',
        _models(PasswordNeedsLetterAndDigit),
    ),
    BrokenPortal(
        "new-password-may-equal-current",
        ("decision:new-password-must-differ",),
        "A New Password equal to the current one is accepted.",
        _models(NewPasswordMayEqualCurrent),
    ),
    BrokenPortal(
        "new-password-may-be-the-old-after-reset",
        ("decision:new-password-must-differ",),
        "The New Password is compared with the Current Password typed only, so after a"
        " reset the password from before it can be chosen again.",
        _models(NewPasswordComparedWithTypedOnly),
    ),
    BrokenPortal(
        "unchanged-message-names-current-only",
        ("decision:new-password-unchanged-message",),
        'The unchanged-password message says "must be different from the Current Password."'
        " only, which is false when the old password is reused after a reset.",
        _spec(
            _text_lines(
                "new_password_unchanged",
                "The New Password must be different from the Current Password.",
            )
        ),
    ),
    BrokenPortal(
        "old-password-is-current-with-temporary",
        ("decision:temporary-session-current-password", "RESET-9", "LOCK-4"),
        "Change Password takes the password from before the reset as Current Password in a"
        " session signed in with the temporary password, so a locked account unlocks with it.",
        _models(OldPasswordIsCurrentWithTemporary),
    ),
    BrokenPortal(
        "back-to-profile-renamed",
        ("RESET-11",),
        'Password Update\'s "Back to Profile Page" button is labelled "Back to Profile".',
        _spec(_control("password_updated", "Back to Profile Page", "Back to Profile")),
    ),
    BrokenPortal(
        "old-password-works-after-change",
        ("RESET-12",),
        "Update Password keeps the old hash in a history the login also accepts.",
        _models(OldPasswordWorksAfterChange, _PasswordHistoryAccount),
    ),
    # -- temporary-password rules and lifetime ------------------------------------------------------
    BrokenPortal(
        "older-temporary-password-accepted",
        ("decision:temporary-password-rules",),
        "A newer reset adds a temporary password instead of voiding the older one.",
        _models(account=KeepsOlderTemporaryPasswords),
    ),
    BrokenPortal(
        "temporary-password-survives-change",
        ("decision:temporary-password-rules",),
        "Update Password does not void the temporary password.",
        _models(TemporaryPasswordSurvivesChange),
    ),
    BrokenPortal(
        "temporary-password-single-use",
        ("decision:temporary-password-rules",),
        "The temporary password is voided by its first sign-in, so a closed browser "
        "cannot sign in again and it is no Current Password.",
        _models(TemporaryPasswordSingleUse),
    ),
    BrokenPortal(
        "reset-request-voids-password",
        ("decision:temporary-password-rules",),
        "A reset request voids the unlocked account's password, so a stranger's request "
        "locks the producer out.",
        _models(ResetRequestVoidsPassword),
    ),
    BrokenPortal(
        "temporary-password-never-expires",
        ("decision:temporary-password-lifetime",),
        "The temporary password's issue time is never checked.",
        _models(account=TemporaryPasswordNeverExpires),
    ),
    BrokenPortal(
        "temporary-password-expires-minute-early",
        ("decision:temporary-password-lifetime",),
        "The temporary password expires one minute before its lifetime.",
        _models(account=TemporaryPasswordExpiresMinuteEarly),
    ),
    BrokenPortal(
        "temporary-password-valid-at-its-end",
        ("decision:temporary-password-lifetime",),
        "The lifetime check uses <=, so the temporary password still works at its last instant.",
        _models(account=TemporaryPasswordValidAtItsEnd),
    ),
    BrokenPortal(
        "expired-temporary-password-is-current",
        ("decision:temporary-password-lifetime",),
        "An expired temporary password still counts as the Current Password.",
        _models(ExpiredTemporaryPasswordIsCurrent),
    ),
    # -- sessions ----------------------------------------------------------------------------------
    BrokenPortal(
        "other-sessions-survive-change",
        ("decision:password-change-ends-other-sessions",),
        "A password change does not end the account's sessions in other browsers.",
        _models(OtherSessionsSurviveChange),
    ),
    BrokenPortal(
        "change-ends-own-session",
        ("decision:change-password-keeps-session",),
        "A password change ends every session of the account, the one that changed it too.",
        _models(ChangeEndsOwnSession),
    ),
    BrokenPortal(
        "ok-returns-to-form",
        ("decision:ok-returns-to-sign-in", "USER-7"),
        "OK on a Request Submitted confirmation goes back to the form instead of Please Sign-In.",
        _browser(OkReturnsToForm),
    ),
    # -- required-field markers (USER-8, RESET-2, RESET-9) -----------------------------------------
    BrokenPortal(
        "email-required-marker-dropped",
        ("USER-8",),
        'Forgot User Name? shows "E-mail Address" without its "*" (a template lost the marker).',
        _spec(_screen("forgot_user_name", required=("Agent Unique ID",))),
    ),
    BrokenPortal(
        "reset-form-marks-every-field",
        ("RESET-2", "RESET-3"),
        'Reset Password? marks "E-mail Address" and "Agent Unique ID" "*" too, though only one'
        " of them is asked for.",
        _spec(
            _screen("reset_password", required=("User Name", "E-mail Address", "Agent Unique ID"))
        ),
    ),
    BrokenPortal(
        "change-password-markers-dropped",
        ("RESET-9",),
        'Change Password shows its three fields without the "*" of the screenshot.',
        _spec(_screen("edit_profile", required=())),
    ),
    BrokenPortal(
        "bookmark-reopens-last-form",
        ("LOGIN-1", "decision:portal-address"),
        "The portal's address (the bookmark) reopens the form the browser was last on,"
        " instead of Please Sign-In.",
        _browser(BookmarkReopensLastForm),
    ),
    BrokenPortal(
        "bookmark-signs-out",
        ("decision:portal-address",),
        "The portal's address signs a signed-in browser out and shows Please Sign-In.",
        _browser(BookmarkSignsOut),
    ),
    # -- Producer Services (SERVICES) ----------------------------------------------------------------
    BrokenPortal(
        "directory-legacy-row-hidden",
        ("SERVICES-1",),
        "The Medicare Supplement (Legacy) row is hidden because its cut-over dates are past.",
        _spec(_without_row("medicare_supplement_legacy")),
    ),
    BrokenPortal(
        "directory-pdp-row-missing",
        ("SERVICES-1",),
        "The Prescription Drug (PDP) row, all of whose cells are unknown, was dropped.",
        _spec(_without_row("prescription_drug")),
    ),
    BrokenPortal(
        "directory-tx-cut-over-date",
        ("SERVICES-1",),
        'Texas\'s legacy number shows "prior to May 1, 2019" like the other states, '
        "not Jan 1, 2020.",
        _spec(
            _cell(
                "medicare_supplement_legacy", "TX", Cell("(800) 366-4236", "prior to May 1, 2019")
            )
        ),
    ),
    BrokenPortal(
        "directory-mt-column-missing",
        ("SERVICES-1",),
        "The directory has no MT column.",
        _spec(_without_state_column("MT")),
    ),
    BrokenPortal(
        "directory-invented-number",
        ("SERVICES-1",),
        "An illegible cell (Medicare Advantage, IL) was filled with Oklahoma's number.",
        _spec(_cell("medicare_advantage", "IL", Cell("(877) 774-8592"))),
    ),
    BrokenPortal(
        "directory-dates-dropped",
        ("SERVICES-1",),
        'The directory shows the numbers without their "prior to"/"on or after" dates.',
        _spec(_lines(_without_dates)),
    ),
    BrokenPortal(
        "directory-state-farm-row-missing",
        ("SERVICES-2",),
        'The Forgot User Name? directory lacks the "State Farm Agents Only" row.',
        _spec(_services(state_farm_row_on=())),
    ),
    BrokenPortal(
        "directory-state-farm-number-on-reset",
        ("SERVICES-2", "decision:reset-form-state-farm-row"),
        'The Reset Password? directory shows a "State Farm Agents Only" row with the emails\''
        " number in every cell: the row may be there, but its cells are not legible anywhere.",
        _portal_class(StateFarmNumbersOnReset),
    ),
    BrokenPortal(
        "reset-email-state-farm-line-missing",
        ("SERVICES-3",),
        "The reset email lacks the State Farm line.",
        _spec(_email_body("password_reset", _paragraph(_STATE_FARM_LINE, ""))),
    ),
    BrokenPortal(
        "username-email-services-without-mt",
        ("SERVICES-3",),
        "The username email's Producer Services paragraph lacks the MT number.",
        _spec(_email_body("username", _paragraph(_SERVICES_MT, ""))),
    ),
    BrokenPortal(
        "email-sender",
        ("decision:email-sender",),
        "The emails come from another sender than parameters.sender.",
        _spec(_sender("Retail Producer Portal <noreply@rpp.example>")),
    ),
)
