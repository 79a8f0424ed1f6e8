"""A team's own Retail Producer Portal, written from the user guide alone.

It is what another QA team would bring to ``rpp verify``: its own URLs, HTML, sessions
and outbox, its own wording and readings where the guide gives none (decisions.yaml
beside this file, which it reads its field messages from), and a Log Out link the guide
never shows. It imports nothing of rpp-flows: the adapter (adapter.py) reads its pages
as a person does.

The portal is a plain Python object answering requests, so a test drives it in-process:
``TeamPortal.handle(Request)`` returns a :class:`Response` (a page, or a redirect with a
cookie). Its settings come from the guide (three failures lock, passwords of 6-9 letters
and digits) and are passed in by whoever runs it (:class:`Settings`).

Three copies with one realistic bug each are subclasses at the end
(:data:`BUGGY_PORTALS`): verify must fail each.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from html import escape
from pathlib import Path

import yaml

__all__ = [
    "BUGGY_PORTALS",
    "OURS",
    "RESET_SUBJECT",
    "Request",
    "Response",
    "Settings",
    "TeamPortal",
    "identifier_key",
]


@dataclass(frozen=True)
class Settings:
    """What the portal is configured with (the guide's numbers and our own choices)."""

    lockout_threshold: int = 3  # LOCK-2
    auto_unlock_after_minutes: int | None = None  # our ops may switch it on
    temporary_password_valid_minutes: int = 1440
    temporary_password_length: int = 9
    password_min: int = 6  # RESET-10
    password_max: int = 9
    states: tuple[str, ...] = ("IL", "MT", "NM", "OK", "TX")  # LOGIN-4
    sender: str = "Retail Producer Portal Customer Service <no-reply@rpp.example>"
    recovery_emails_per_hour: int | None = 5
    hash_iterations: int = 100_000


@dataclass(frozen=True)
class Request:
    method: str  # "GET" or "POST"
    path: str
    form: dict[str, str] = field(default_factory=dict)
    cookie: str | None = None  # the value of our session cookie, "rppsid"


@dataclass(frozen=True)
class Response:
    status: int
    html: str = ""
    location: str | None = None  # a redirect's target
    set_cookie: str | None = None  # a new value for "rppsid" ("" clears it)


# -- the texts the guide gives (quoted letter for letter) ---------------------------------
LOCK_1 = (
    "We're sorry, this Username/Password combination does not match your account information"
    " – please try again. After three attempts, your account will be temporarily locked for"
    " your protection. Please click Forgot Username and/or Reset Password for help."
)
LOCK_2 = (
    "We're sorry, your account is now temporarily locked as a security precaution due to"
    " three unsuccessful login attempts. Please click Forgot Username and/or Reset Password"
    " for help."
)
WELCOME = (
    "Welcome to the Retail Producer Portal.",
    "This site provides 24-hour access to information and tools to help you better manage"
    " your business and service your clients.",
    "You can:",
)
YOU_CAN = (
    "Check the status of your applications and current business",
    "Search for clients using preset quick or advanced searches",
    "Verify payment status",
    "Download forms",
    "Access training materials",
)
RESET_INSTRUCTION = (
    "Please enter the User Name AND one of these: 1) Email Address OR 2) Agent Unique ID"
    " linked to your account."
)
SERVICES_LINES = (
    "If you have any questions regarding this notification, please contact Producer Services"
    " toll free at any of the following numbers: IL: (888) 313-5526 MT: (855) 454-7109",
    "State Farm agents - please call 1-844-250-8201 for assistance.",
    "NOTE: Any replies to this mail will not be received.",
)
RESET_SUBJECT = "Retail Producer Portal Password Reset"  # RESET-6
DIRECTORY_STATES = ("IL", "NM", "OK", "TX", "MT")  # the guide's column order
DIRECTORY: tuple[tuple[str, tuple[str | None, ...]], ...] = (  # SERVICES-1; None: not legible
    ("Major Medical", ("(888) 313-5526", "(888) 222-0572", "(888) 399-9394", "(888) 697-0679", "(855) 454-7109")),
    ("Medicare Supplement (Legacy)", ("(800) 538-0382 prior to May 1, 2019", "(888) 222-0572 prior to May 1, 2019", "(800) 522-9266 prior to May 1, 2019", "(800) 366-4236 prior to Jan 1, 2020", "(855) 258-8475")),
    ("Medicare Supplement (New Business)", ("(877) 587-6638 on or after May 1, 2019", "(877) 587-6679 on or after May 1, 2019", "(877) 587-6645 on or after May 1, 2019", "(877) 587-6641 on or after Jan 1, 2020", "(855) 258-8475")),
    ("Medicare Advantage (MAPD)", (None, None, "(877) 774-8592", None, None)),
    ("Prescription Drug (PDP)", (None, None, None, None, None)),
)  # fmt: skip
STATE_FARM_ROW = ("State Farm Agents Only", (None, None, None, None, None))  # SERVICES-2

# -- our own wording, where the guide shows none ---------------------------------------------
DECISIONS = Path(__file__).with_name("decisions.yaml")
"""Our decisions file: our field messages live there, so verify checks what we declare."""
_DECIDED = yaml.safe_load(DECISIONS.read_text(encoding="utf-8"))
EMPTY_LOGIN_COUNTS: bool = _DECIDED["behaviour"]["empty-login-counts"]
WRONG_CURRENT_PASSWORD_COUNTS: bool = _DECIDED["behaviour"]["wrong-current-password-counts"]
OURS: dict[str, str] = {
    **_DECIDED["texts"],
    # Decided by us too, where the guide's screenshot is cut off or shows nothing; verify
    # lists them among the decisions this portal makes differently.
    "username_sent": "Your User Name has been sent to the e-mail address we have on file.",
    "temporary_sent": "A temporary password has been sent to your email address on file.",
    "username_subject": "Your Retail Producer Portal User Name",
    "temporary_line": "Your temporary password is {password} (it is case-sensitive).",
}

_AGENT_ID = re.compile(r"[0-9]{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_RECOVERY_WINDOW = 60.0  # minutes


def identifier_key(identifier: str) -> str:
    """User names and addresses match without case or surrounding spaces (our decision)."""
    return identifier.strip().casefold()


@dataclass
class Account:
    user_name: str
    agent_unique_id: str
    email: str
    salt: bytes
    password_hash: bytes
    failures: int = 0
    locked_at: float | None = None  # minutes on the portal's clock
    temporary_hash: bytes | None = None
    temporary_issued_at: float | None = None
    generation: int = 0  # password changes: older sessions end


@dataclass
class Session:
    user_key: str
    generation: int
    with_temporary: bool
    state: str | None = None


class TeamPortal:
    """The portal: accounts, sessions by cookie, an outbox, a clock in minutes."""

    EMPTY_LOGIN_COUNTS = EMPTY_LOGIN_COUNTS  # our readings of the silent behaviour
    WRONG_CURRENT_PASSWORD_COUNTS = WRONG_CURRENT_PASSWORD_COUNTS

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.minutes = 0.0
        self.outbox: list[EmailMessage] = []
        self._accounts: dict[str, Account] = {}
        self._sessions: dict[str, Session] = {}
        self._unknown: dict[bytes, tuple[int, float | None]] = {}  # digest -> count, when locked
        self._unknown_key = secrets.token_bytes(16)
        self._recovery: dict[str, list[float]] = {}

    # -- outside the guide: accounts exist, time passes -----------------------------------
    def create_account(
        self, user_name: str, agent_unique_id: str, email: str, password: str
    ) -> None:
        salt = secrets.token_bytes(16)
        self._accounts[identifier_key(user_name)] = Account(
            user_name, agent_unique_id, email, salt, self._hash(password, salt)
        )

    def advance(self, minutes: float) -> None:
        self.minutes += minutes

    # -- requests ---------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        session = self._sessions.get(request.cookie or "")
        if session is not None and self._ended(session):
            del self._sessions[request.cookie or ""]  # the password changed elsewhere
            return Response(303, location="/signin", set_cookie="")
        route = getattr(
            self,
            f"_{request.method.lower()}_{request.path.strip('/').replace('/', '_').replace('-', '_')}",
            None,
        )
        if route is None:
            return Response(404, "<!DOCTYPE html><title>Not found</title><h1>Not found</h1>")
        return route(request, session)  # type: ignore[no-any-return]

    def _get_(self, request: Request, session: Session | None) -> Response:
        return Response(303, location="/home" if session else "/signin")

    def _get_signin(self, request: Request, session: Session | None) -> Response:
        return self._signin_page(())

    def _post_signin(self, request: Request, session: Session | None) -> Response:
        typed_name, typed = request.form.get("uid", ""), request.form.get("pwd", "")
        if not self.EMPTY_LOGIN_COUNTS and not (typed_name and typed):
            return self._signin_page((OURS["login_fields_required"],))
        account = self._accounts.get(identifier_key(typed_name))
        if account is not None and account.locked_at is not None:
            self._maybe_auto_unlock(account)
        if account is not None and self._temporary_matches(account, typed):
            account.failures = 0  # a success breaks the run; a lock stays until the change
            return self._sign_in(account, with_temporary=True)
        if account is not None and account.locked_at is not None:
            return self._signin_page((LOCK_2,))
        if (
            account is None
            and self._unknown_failures(typed_name) >= self.settings.lockout_threshold
        ):
            return self._signin_page((LOCK_2,))
        if account is not None and self._matches(typed, account.salt, account.password_hash):
            account.failures = 0
            return self._sign_in(account, with_temporary=False)
        if account is None:
            self._hash(typed, b"decoy-salt-bytes")  # an unknown name costs what a known one costs
            locked = self._count_unknown(typed_name) >= self.settings.lockout_threshold
        else:
            locked = self._count_failure(account)
        return self._signin_page((LOCK_2 if locked else LOCK_1,))

    def _get_logout(self, request: Request, session: Session | None) -> Response:
        self._sessions.pop(request.cookie or "", None)
        return Response(303, location="/signin", set_cookie="")

    def _get_home(self, request: Request, session: Session | None) -> Response:
        if session is None:
            return Response(303, location="/signin")
        return Response(200, self._home_page(session))

    def _post_home_state(self, request: Request, session: Session | None) -> Response:
        if session is None:
            return Response(303, location="/signin")
        chosen = request.form.get("state", "").strip().upper()
        if chosen in self.settings.states:
            session.state = chosen
        return Response(303, location="/home")

    def _get_profile_password(self, request: Request, session: Session | None) -> Response:
        if session is None:
            return Response(303, location="/signin")
        return Response(200, self._change_page(session, ()))

    def _post_profile_password(self, request: Request, session: Session | None) -> Response:
        if session is None:
            return Response(303, location="/signin")
        account = self._accounts[session.user_key]
        current, new, again = (request.form.get(n, "") for n in ("current", "newpw", "newpw2"))
        if not (current and new and again):
            return Response(
                200, self._change_page(session, (OURS["change_password_fields_required"],))
            )
        if not self._current_password_ok(account, session, current):
            if not self.WRONG_CURRENT_PASSWORD_COUNTS:
                return Response(
                    200, self._change_page(session, (OURS["current_password_incorrect"],))
                )
            if account.failures + 1 >= self.settings.lockout_threshold:
                if account.locked_at is None:
                    account.failures += 1
                    account.locked_at = self.minutes
                del self._sessions[request.cookie or ""]
                return Response(200, self._signin_page((LOCK_2,)).html, set_cookie="")
            account.failures += 1
            return Response(200, self._change_page(session, (OURS["current_password_incorrect"],)))
        if not self._policy_ok(new):
            return Response(200, self._change_page(session, (OURS["new_password_policy"],)))
        if not hmac.compare_digest(
            new.encode("utf-8", "surrogatepass"), again.encode("utf-8", "surrogatepass")
        ):
            return Response(200, self._change_page(session, (OURS["new_password_not_confirmed"],)))
        if new == current or self._matches(new, account.salt, account.password_hash):
            return Response(200, self._change_page(session, (OURS["new_password_unchanged"],)))
        account.salt = secrets.token_bytes(16)
        account.password_hash = self._hash(new, account.salt)
        account.temporary_hash = account.temporary_issued_at = None
        account.generation += 1
        account.failures, account.locked_at = 0, None  # the reset is complete: unlocked
        session.generation, session.with_temporary = account.generation, False
        return Response(
            200,
            self._page(
                "Password Update",
                session,
                _p("Your password has been updated.")
                + _form("/profile/password", "", "Back to Profile Page", method="get"),
            ),
        )

    def _get_help_username(self, request: Request, session: Session | None) -> Response:
        return Response(200, self._username_form(()))

    def _post_help_username(self, request: Request, session: Session | None) -> Response:
        agent_id, address = (
            request.form.get("agentid", "").strip(),
            request.form.get("email", "").strip(),
        )
        errors: tuple[str, ...] = self._agent_id_errors(
            agent_id, required=True
        ) + self._email_errors(address, required=True)
        if errors:
            return Response(200, self._username_form(errors))
        linked = [
            a for a in self._accounts.values() if identifier_key(a.email) == identifier_key(address)
        ]
        if any(a.agent_unique_id == agent_id for a in linked) and self._recovery_allowed(
            linked[0].email
        ):
            names = ", ".join(a.user_name for a in linked)
            self._send(linked[0].email, OURS["username_subject"], [
                "Hello! We recently received a request to provide your User Name for Retail Producer Portal – if you did not request please call us at the number below.",
                "Important: please close your web browser and clear your history and cache before you re-attempt to log in!",
                f"User Name(s) linked to your email address: {names}. You can return to RPP now and enter your User Name and password on the Login page.",
                *SERVICES_LINES, "Thank you,", "Retail Producer Portal Customer Service",
            ])  # fmt: skip
        return Response(
            200,
            self._page(
                "Request Submitted",
                None,
                _p(OURS["username_sent"]) + _form("/signin", "", "OK", method="get"),
            ),
        )

    def _get_help_password(self, request: Request, session: Session | None) -> Response:
        return Response(200, self._reset_form(()))

    def _post_help_password(self, request: Request, session: Session | None) -> Response:
        typed_name = request.form.get("uid", "")
        agent_id, address = (
            request.form.get("agentid", "").strip(),
            request.form.get("email", "").strip(),
        )
        errors: tuple[str, ...] = () if typed_name.strip() else (OURS["user_name_required"],)
        if not agent_id and not address:
            errors += (RESET_INSTRUCTION,)
        errors += self._email_errors(address, required=False) + self._agent_id_errors(
            agent_id, required=False
        )
        if errors:
            return Response(200, self._reset_form(errors))
        account = self._accounts.get(identifier_key(typed_name))
        if (
            account is not None
            and (not address or identifier_key(address) == identifier_key(account.email))
            and (not agent_id or agent_id == account.agent_unique_id)
            and self._recovery_allowed(account.email)
        ):
            temporary = self._new_temporary_password()
            account.temporary_hash = self._hash(self._temporary_form(temporary), account.salt)
            account.temporary_issued_at = self.minutes
            self._send(account.email, RESET_SUBJECT, [
                OURS["temporary_line"].format(password=temporary),
                "Hello! We recently received a request to reset your password for Retail Producer Portal – if you did not request, please call us at the number below.",
                "Important: please close your web browser and clear your history and cache before you begin these steps!",
                "1. Enter your User Name and the temporary password above on the Login page.",
                "2. Click Account button in upper right corner, then Edit Profile",
                "3. Scroll to bottom of the page to Change Password.",
                '4. Use the temporary password as the "Current Password"',
                "5. Enter a New Password use a combination of 6-9 letters and numbers.",
                "6. Confirm New Password by entering a second time.",
                "7. Click Update Password to finish.",
                *SERVICES_LINES,
            ])  # fmt: skip
        return Response(
            200,
            self._page(
                "Password Reset Requested",
                None,
                _p(OURS["temporary_sent"]) + _form("/signin", "", "OK", method="get"),
            ),
        )

    # -- sessions, passwords, counts ------------------------------------------------------------
    def _sign_in(self, account: Account, with_temporary: bool) -> Response:
        token = secrets.token_urlsafe(24)
        self._sessions[token] = Session(
            identifier_key(account.user_name), account.generation, with_temporary
        )
        return Response(303, location="/home", set_cookie=token)

    def _ended(self, session: Session) -> bool:
        return self._accounts[session.user_key].generation != session.generation

    def _hash(self, password: str, salt: bytes) -> bytes:
        data = password.encode("utf-8", "surrogatepass")
        return hashlib.pbkdf2_hmac("sha256", data, salt, self.settings.hash_iterations)

    def _matches(self, password: str, salt: bytes, stored: bytes) -> bool:
        return hmac.compare_digest(self._hash(password, salt), stored)

    def _temporary_form(self, password: str) -> str:
        """RESET-6: the temporary password is case-sensitive, so it is kept as typed."""
        return password

    def _temporary_valid(self, account: Account) -> bool:
        issued = account.temporary_issued_at
        lifetime = self.settings.temporary_password_valid_minutes
        return issued is not None and self.minutes < issued + lifetime

    def _temporary_matches(self, account: Account, typed: str) -> bool:
        if account.temporary_hash is None or not self._temporary_valid(account):
            return False
        return self._matches(self._temporary_form(typed), account.salt, account.temporary_hash)

    def _current_password_ok(self, account: Account, session: Session, typed: str) -> bool:
        if self._temporary_matches(account, typed):
            return True
        # Signed in with a temporary password, only that one finishes the reset.
        return not session.with_temporary and self._matches(
            typed, account.salt, account.password_hash
        )

    def _policy_ok(self, password: str) -> bool:
        s = self.settings
        allowed = set(string.ascii_letters + string.digits)
        return s.password_min <= len(password) <= s.password_max and set(password) <= allowed

    def _new_temporary_password(self) -> str:
        alphabet = string.ascii_letters + string.digits
        while True:
            candidate = "".join(
                secrets.choice(alphabet) for _ in range(self.settings.temporary_password_length)
            )
            if (
                self._policy_ok(candidate)
                and not candidate.isalpha()
                and not candidate.isdigit()
                and candidate.lower() != candidate
                and candidate.upper() != candidate
            ):
                return candidate

    def _count_failure(self, account: Account) -> bool:
        """Count a failed sign-in; whether it locked the account."""
        account.failures += 1
        if account.failures >= self.settings.lockout_threshold:
            account.locked_at = self.minutes
        return account.locked_at is not None

    def _maybe_auto_unlock(self, account: Account) -> None:
        after = self.settings.auto_unlock_after_minutes
        if (
            after is not None
            and account.locked_at is not None
            and self.minutes >= account.locked_at + after
        ):
            account.failures, account.locked_at = 0, None

    def _unknown_digest(self, typed_name: str) -> bytes:
        return hmac.digest(
            self._unknown_key, identifier_key(typed_name).encode("utf-8", "surrogatepass"), "sha256"
        )

    def _unknown_failures(self, typed_name: str) -> int:
        """Failures typed with a name nobody has, so its screens follow a real account's."""
        digest = self._unknown_digest(typed_name)
        count, locked_at = self._unknown.get(digest, (0, None))
        after = self.settings.auto_unlock_after_minutes
        if locked_at is not None and after is not None and self.minutes >= locked_at + after:
            del self._unknown[digest]
            return 0
        return count

    def _count_unknown(self, typed_name: str) -> int:
        count = self._unknown_failures(typed_name) + 1
        _, locked_at = self._unknown.get(self._unknown_digest(typed_name), (0, None))
        if count >= self.settings.lockout_threshold and locked_at is None:
            locked_at = self.minutes
        self._unknown[self._unknown_digest(typed_name)] = (count, locked_at)
        return count

    def _recovery_allowed(self, address: str) -> bool:
        limit = self.settings.recovery_emails_per_hour
        if limit is None:
            return True
        recent = [
            t
            for t in self._recovery.get(identifier_key(address), [])
            if self.minutes - t < _RECOVERY_WINDOW
        ]
        allowed = len(recent) < limit
        self._recovery[identifier_key(address)] = [*recent, self.minutes] if allowed else recent
        return allowed

    def _agent_id_errors(self, value: str, required: bool) -> tuple[str, ...]:
        if not value:
            return (OURS["agent_unique_id_required"],) if required else ()
        return () if _AGENT_ID.fullmatch(value) else (OURS["agent_unique_id_malformed"],)

    def _email_errors(self, value: str, required: bool) -> tuple[str, ...]:
        if not value:
            return (OURS["email_required"],) if required else ()
        ok = len(value) <= 254 and _EMAIL.fullmatch(value)
        return () if ok else (OURS["email_malformed"],)

    def _send(self, to: str, subject: str, lines: list[str]) -> None:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = formataddr(("", to))
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="team-portal.example")  # as a mail server sets
        message.set_content("\n".join(lines) + "\n")
        self.outbox.append(message)

    # -- pages ----------------------------------------------------------------------------------
    def _page(
        self, title: str, session: Session | None, body: str, messages: tuple[str, ...] = ()
    ) -> str:
        account_items = ""
        if session is not None and session.state is not None:
            account_items = '<li><a href="/profile/password">Edit Profile</a></li>'
        logout = '<a class="signout" href="/logout">Log Out</a>' if session is not None else ""
        alerts = "".join(f'<div class="alert" role="alert">{escape(m)}</div>' for m in messages)
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | RPP</title></head>'
            '<body><header class="topbar"><span class="brand">Retail Producer Portal</span><nav>'
            '<div class="dropdown"><span class="dropdown-label">Menu</span><ul></ul></div>'
            f'<div class="dropdown"><span class="dropdown-label">Account</span><ul>{account_items}</ul></div>'
            f"</nav>{logout}</header><main><h1>{escape(title)}</h1>{alerts}{body}</main></body></html>"
        )

    def _signin_page(self, messages: tuple[str, ...]) -> Response:
        panel = (
            '<aside class="panel"><h2>Welcome</h2>'
            + "".join(map(_p, WELCOME))
            + _list(YOU_CAN)
            + "</aside>"
        )
        form = _form(
            "/signin",
            _input("uid", "User Name") + _input("pwd", "Password", "password"),
            "Login",
            extra='<button type="button" class="secondary">Register</button>',
        )
        links = '<p class="help"><a href="/help/username">Forgot User Name?</a> <a href="/help/password">Reset Password?</a></p>'
        return Response(
            200, self._page("Please Sign-In", None, panel + form + links, messages), set_cookie=None
        )

    def _home_page(self, session: Session) -> str:
        options = "".join(
            f'<option value="{s}"{" selected" if s == session.state else ""}>{s}</option>'
            for s in self.settings.states
        )
        picker = _form(
            "/home/state",
            f'<label for="state">State</label><select id="state" name="state"><option value="">Choose a state</option>{options}</select>',
            "Go",
        )
        return self._page("Home", session, "".join(map(_p, WELCOME)) + _list(YOU_CAN) + picker)

    def _change_page(self, session: Session, messages: tuple[str, ...]) -> str:
        fields = (
            _input("current", "Current Password", "password", True)
            + _input("newpw", "New Password", "password", True)
            + _input("newpw2", "Confirm New Password", "password", True)
        )
        intro = _p('Click "Update Password" to save the new password.') + _p(
            "Once the password has been changed you will be required to login using your new password."
        )
        return self._page(
            "Change Password",
            session,
            intro + _form("/profile/password", fields, "Update Password"),
            messages,
        )

    def _username_form(self, messages: tuple[str, ...]) -> str:
        fields = _input("agentid", "Agent Unique ID", "text", True) + _input(
            "email", "E-mail Address", "email", True
        )
        body = (
            _form("/help/username", fields, "Submit")
            + _p("* Denotes a required field.")
            + _directory(with_state_farm=True)
        )
        return self._page("Recover Your User Name", None, body, messages)

    def _reset_form(self, messages: tuple[str, ...]) -> str:
        fields = (
            _input("uid", "User Name", "text", True)
            + _input("email", "E-mail Address", "email")
            + _input("agentid", "Agent Unique ID")
        )
        body = (
            _p(RESET_INSTRUCTION)
            + _form("/help/password", fields, "Submit")
            + _p("* Denotes a required field.")
            + _directory(with_state_farm=False)
        )
        return self._page("Reset Password?", None, body, messages)


def _p(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _list(items: tuple[str, ...]) -> str:
    return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"


def _input(name: str, label: str, kind: str = "text", required: bool = False) -> str:
    star = ' <abbr class="req" title="required">*</abbr>' if required else ""
    return f'<div class="row"><label for="{name}">{escape(label)}{star}</label><input id="{name}" name="{name}" type="{kind}"></div>'


def _form(action: str, fields: str, submit: str, method: str = "post", extra: str = "") -> str:
    return f'<form method="{method}" action="{action}">{fields}<button type="submit">{escape(submit)}</button>{extra}</form>'


def _directory(with_state_farm: bool) -> str:
    rows = (*DIRECTORY, STATE_FARM_ROW) if with_state_farm else DIRECTORY
    head = "".join(f"<th>{s}</th>" for s in DIRECTORY_STATES)
    body = "".join(
        f"<tr><th>{escape(label)}</th>"
        + "".join(f"<td>{escape(c or 'Not available')}</td>" for c in cells)
        + "</tr>"
        for label, cells in rows
    )
    return f'<section class="contacts"><h2>If you need assistance, please contact Producer Services at:</h2><table><tr><th>Line of business</th>{head}</tr>{body}</table></section>'


# -- three copies with one realistic bug each ---------------------------------------------------
class LockOneLatePortal(TeamPortal):
    """Bug: the lock-out counts from zero past the threshold (``>`` for ``>=``): the fourth
    failure locks instead of the third."""

    def _count_failure(self, account: Account) -> bool:
        account.failures += 1
        if account.failures > self.settings.lockout_threshold:
            account.locked_at = self.minutes
        return account.locked_at is not None


class CaselessTemporaryPortal(TeamPortal):
    """Bug: the temporary password is compared without case (RESET-6 says case-sensitive)."""

    def _temporary_form(self, password: str) -> str:
        return password.casefold()


class LogOutKeepsSessionPortal(TeamPortal):
    """Bug: Log Out clears the cookie in the browser but never ends the session on the
    server, so the session's pages stay reachable (here: the browser keeps its cookie)."""

    def _get_logout(self, request: Request, session: Session | None) -> Response:
        return Response(303, location="/signin")


BUGGY_PORTALS: dict[str, type[TeamPortal]] = {
    "lockout-off-by-one": LockOneLatePortal,
    "temporary-password-caseless": CaselessTemporaryPortal,
    "logout-keeps-session": LogOutKeepsSessionPortal,
}
