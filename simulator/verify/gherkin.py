"""`rpp verify --emit-features DIR`: each departure as a Gherkin scenario.

A scenario is written in the step vocabulary of ``features/STEPS.md`` only: a
Background registering the producers (two sharing an E-mail Address and one other, as
every journey has), the witness journey's actions as steps, and after each the flows'
expectation as Then steps (the page and its messages, the emails by subject; at the
departing step the whole page and every email, letter for letter). It is tagged with
the departure's guide IDs, its decisions and ``@departure``, so it passes on the flows
verify ran with and fails on the portal that departed: QA keeps it as a regression
test, an analyst as the record of what an edit changes.

A temporary password is only ever written as its phrase ("the temporary password",
``{temporary password}``), never a value the portal emailed; the producers' passwords
are the seed's Faker data, which the Background registers and the steps type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simulator.population import Population, Producer
from simulator.verify.departures import Departure
from simulator.verify.journeys import (
    MALFORMED_AGENT_UNIQUE_ID,
    MALFORMED_EMAIL,
    NOT_OFFERED_STATES,
    UNKNOWN_USER_NAME,
    WRONG_PASSWORD,
    digits_only,
    letters_only,
    other_case,
    spaced,
)
from simulator.verify.model import HOME_STATE, TEMPORARY_PASSWORD, EmailSeen, Observation
from simulator.verify.suite import journey_group, outsider_after, variants
from specs import atomic
from specs.model import FlowSet, Parameters

__all__ = ["FEATURE_FILE", "emit_features", "scenario_text"]

FEATURE_FILE = "departures.feature"
TEMPORARY = "the temporary password"
FIRST_TEMPORARY = "the first temporary password"
TEMPORARY_MARK = "{temporary password}"  # how `the email reads:` writes it (STEPS.md)
_INDENT = "    "


def _q(text: str) -> str:
    return f'"{text}"'


def _v(text: str) -> str:
    """A typed value: a quoted string, or ``nothing`` for an empty field."""
    return "nothing" if text == "" else _q(text)


@dataclass
class _Producer:
    """What the scenario's producer knows as the steps go: each value as a step writes it."""

    me: Producer
    others: Sequence[Producer]
    password: str
    previous: str | None = None
    signed_in_with: str | None = None  # a value phrase or a quoted password
    made: int = 0
    resets: int = 0
    steps: list[str] = field(default_factory=list)

    def fresh(self, length: int = 8, filler: str = "") -> str:
        """As journeys.Knowledge.fresh_password: the same new passwords, in order."""
        head, tail = f"F{filler}", f"{self.made + 1:03d}"
        return head + "x" * max(0, length - len(head) - len(tail)) + tail

    @property
    def signed(self) -> str:
        return self.signed_in_with or _q(self.password)


def _unknown_agent_unique_id(taken: Sequence[Producer]) -> str:
    ids = {p.agent_unique_id for p in taken}
    return next(f"{n:09d}" for n in range(999_999_999, 0, -1) if f"{n:09d}" not in ids)


def _steps_of(
    key: str, k: _Producer, want: Observation, p: Parameters
) -> tuple[list[str], list[str]]:
    """The When steps of action ``key`` (before the checks) and those after them (a
    second browser left). Updates what the producer knows as the journey would."""
    me = k.me
    outsider = k.others[-1]
    login = {
        "log_in": (_q(me.user_name), _q(k.password)),
        "log_in_wrong_password": (_q(me.user_name), _q(WRONG_PASSWORD)),
        "log_in_empty_password": (_q(me.user_name), "nothing"),
        "log_in_empty_user_name": ("nothing", _q(k.password)),
        "log_in_password_other_case": (_q(me.user_name), _q(k.password.swapcase())),
        "log_in_user_name_other_case": (_q(other_case(me.user_name)), _q(k.password)),
        "log_in_user_name_with_spaces": (_q(spaced(me.user_name)), _q(k.password)),
        "log_in_unknown_user_name": (_q(UNKNOWN_USER_NAME), _q(k.password)),
        "log_in_unknown_user_name_other_case": (_q(other_case(UNKNOWN_USER_NAME)), _q(k.password)),
        "log_in_previous_password": (_q(me.user_name), _q(k.previous or "")),
        "log_in_temporary_password": (_q(me.user_name), TEMPORARY),
        "log_in_older_temporary_password": (_q(me.user_name), FIRST_TEMPORARY),
        "log_in_temporary_password_wrong_case": (_q(me.user_name), f"{TEMPORARY} in swapped case"),
    }
    signed_in = want.screen.name == "welcome"
    if key in login:
        user, password = login[key]
        if signed_in:
            k.signed_in_with = password
        return [f"the producer logs in with the User Name {user} and the Password {password}"], []
    if key == "log_in_wrong_password_in_another_browser":
        return [
            "the producer opens another browser",
            f"the producer logs in with the User Name {_q(me.user_name)} and the Password {_q(WRONG_PASSWORD)}",
        ], ["the producer returns to the first browser"]
    clicks = {
        "click_forgot_user_name": "Forgot User Name?",
        "click_reset_password": "Reset Password?",
        "confirm_request": "OK",
        "back_to_profile_page": "Back to Profile Page",
    }
    if key in clicks:
        return [f"the producer clicks {_q(clicks[key])}"], []
    if key == "click_edit_profile":
        return ['the producer chooses "Edit Profile" from the "Account" menu'], []
    if key == "select_state":
        return [f"the producer selects the state {_q(me.home_state)}"], []
    if key == "select_state_not_offered":
        code = next(c for c in NOT_OFFERED_STATES if c not in p.states)
        return [f"the producer selects the state {_q(code)}"], []
    if key == "close_browser" or key.startswith("wait_"):
        waits = {
            "wait_just_under_temporary_password_lifetime": p.temporary_password_valid_minutes - 1,
            "wait_temporary_password_lifetime": p.temporary_password_valid_minutes,
            "wait_just_under_auto_unlock": (p.auto_unlock_after_minutes or 1) - 1,
            "wait_auto_unlock": p.auto_unlock_after_minutes or 0,
        }
        k.signed_in_with = None
        steps = []
        if key in waits:
            minutes = waits[key]
            steps.append(
                f"{minutes} minute{'s' if minutes != 1 else ''} {'pass' if minutes != 1 else 'passes'}"
            )
        return [*steps, "the producer closes the browser and clears its history and cache"], []
    forgot = {
        "forgot_user_name": (me.agent_unique_id, me.email),
        "forgot_user_name_email_other_case": (me.agent_unique_id, spaced(me.email.upper())),
        "forgot_user_name_mismatch": (me.agent_unique_id, outsider.email),
        "forgot_user_name_unknown_agent_unique_id": (
            _unknown_agent_unique_id([me, *k.others]),
            me.email,
        ),
        "forgot_user_name_other_agent_unique_id": (outsider.agent_unique_id, me.email),
        "forgot_user_name_missing_agent_unique_id": ("", me.email),
        "forgot_user_name_malformed_agent_unique_id": (MALFORMED_AGENT_UNIQUE_ID, me.email),
        "forgot_user_name_agent_unique_id_with_spaces": (spaced(me.agent_unique_id), me.email),
        "forgot_user_name_agent_unique_id_eight_digits": (me.agent_unique_id[:-1], me.email),
        "forgot_user_name_agent_unique_id_ten_digits": (me.agent_unique_id + "0", me.email),
        "forgot_user_name_empty": ("", ""),
        "forgot_user_name_missing_email": (me.agent_unique_id, ""),
        "forgot_user_name_malformed_email": (me.agent_unique_id, MALFORMED_EMAIL),
    }
    if key in forgot:
        auid, email = forgot[key]
        return [
            f"the producer submits Forgot User Name? with the Agent Unique ID {_v(auid)}"
            f" and the E-mail Address {_v(email)}"
        ], []
    reset = {
        "reset_password_with_email": (me.user_name, me.email, ""),
        "reset_password_with_agent_unique_id": (me.user_name, "", me.agent_unique_id),
        "reset_password_other_case": (
            spaced(other_case(me.user_name)),
            spaced(other_case(me.email)),
            "",
        ),
        "reset_password_both_identifiers": (me.user_name, me.email, outsider.agent_unique_id),
        "reset_password_mismatch": (me.user_name, outsider.email, ""),
        "reset_password_unknown_user_name": (UNKNOWN_USER_NAME, me.email, ""),
        "reset_password_missing_user_name": ("", me.email, ""),
        "reset_password_missing_identifier": (me.user_name, "", ""),
        "reset_password_agent_unique_id_with_spaces": (
            me.user_name,
            "",
            spaced(me.agent_unique_id),
        ),
        "reset_password_empty": ("", "", ""),
        "reset_password_malformed_email": (me.user_name, MALFORMED_EMAIL, ""),
        "reset_password_malformed_agent_unique_id": (me.user_name, "", MALFORMED_AGENT_UNIQUE_ID),
    }
    if key in reset:
        user, email, auid = reset[key]
        return [
            f"the producer submits Reset Password? with the User Name {_v(user)},"
            f" the E-mail Address {_v(email)} and the Agent Unique ID {_v(auid)}"
        ], []
    if key == "reset_password_in_another_browser":
        if k.signed_in_with == TEMPORARY:  # the session's is no longer the newest
            k.signed_in_with = FIRST_TEMPORARY
        return [
            "the producer opens another browser",
            f"the producer clicks {_q('Reset Password?')}",
            f"the producer submits Reset Password? with the User Name {_q(me.user_name)},"
            f" the E-mail Address {_q(me.email)} and the Agent Unique ID nothing",
        ], ["the producer returns to the first browser"]
    if key == "change_password_in_another_browser":
        current = k.signed
        steps = [
            "the producer opens another browser",
            f"the producer logs in with the User Name {_q(me.user_name)} and the Password {current}",
        ]
        if want.screen.name == "password_updated":
            new = k.fresh()
            steps += [
                f"the producer selects the state {_q(me.home_state)}",
                'the producer chooses "Edit Profile" from the "Account" menu',
                _change(current, _v(new), _v(new)),
            ]
            _changed(k, new)
            k.signed_in_with = None
        return steps, ["the producer returns to the first browser"]
    if key.startswith("update_password"):
        current, new, confirm = _change_values(key, k, p)
        if want.screen.name == "password_updated":
            _changed(k, new.strip('"'))
            k.signed_in_with = new
        return [_change(current, new, confirm)], []
    raise ValueError(f"no steps for the action {key!r}")


def _change(current: str, new: str, confirm: str) -> str:
    return (
        f"the producer changes the password with Current Password {current},"
        f" New Password {new} and Confirm New Password {confirm}"
    )


def _changed(k: _Producer, new: str) -> None:
    k.previous, k.password = k.password, new
    k.made += 1


def _change_values(key: str, k: _Producer, p: Parameters) -> tuple[str, str, str]:
    """Current Password, New Password and Confirm New Password as the step writes them."""
    policy = p.password_policy
    fresh = k.fresh()
    new = {
        "update_password": fresh,
        "update_password_shortest": k.fresh(max(1, policy.min_length)),
        "update_password_too_short": k.fresh(max(1, policy.min_length - 1)),
        "update_password_longest": k.fresh(max(1, policy.max_length)),
        "update_password_too_long": k.fresh(max(1, policy.max_length + 1)),
        "update_password_with_symbol": k.fresh(8, "#"),
        "update_password_non_ascii_letter": k.fresh(8, "é"),
        "update_password_letters_only": letters_only(fresh),
        "update_password_digits_only": digits_only(fresh),
        "update_password_missing_field": fresh,
        "update_password_wrong_current": fresh,
        "update_password_wrong_current_too_short": k.fresh(max(1, policy.min_length - 1)),
        "update_password_temporary_as_current": fresh,
        "update_password_unconfirmed": fresh,
    }.get(key, fresh)
    current = k.signed
    if key.startswith("update_password_wrong_current"):
        current = _q(WRONG_PASSWORD)
    elif key == "update_password_temporary_as_current":
        current = TEMPORARY
    if key == "update_password_unchanged":
        return current, k.signed, k.signed  # the password signed in with, typed again
    if key == "update_password_unconfirmed_unchanged":
        typed = k.signed.strip('"') if k.signed != TEMPORARY else ""
        return current, k.signed, _q(typed + "x")  # another Confirm New Password
    if key == "update_password_missing_field_wrong_current":
        return current, _v(new), "nothing"
    confirm = {"update_password_missing_field": "", "update_password_unconfirmed": new + "x"}
    return current, _v(new), _v(confirm.get(key, new))


def _page_checks(want: Observation, full: bool, k: _Producer) -> list[str]:
    screen = want.screen
    out = [f"Then the producer sees the {_q(screen.title)} page"]
    if not screen.messages:
        out.append("And the page shows no message")
    elif len(screen.messages) == 1:
        out.append(f"And the page shows the message {_q(screen.messages[0])}")
    else:
        out.append("And the page shows the messages:")
        out += _docstring(screen.messages)
    if not full:
        return out
    if screen.texts:
        out.append("And the page says:")
        out += _docstring(screen.texts)
    for kind, labels in (
        ("fields", screen.fields),
        ("buttons", screen.buttons),
        ("links", screen.links),
        ("menus", screen.menus),
    ):
        if labels:
            listed = ", ".join(_q(x) for x in labels[:-1])
            listed = f"{listed} and {_q(labels[-1])}" if listed else _q(labels[-1])
            out.append(f"And the page has the {kind} {listed}")
        else:
            out.append(f"And the page has no {kind}")
    if screen.name in ("welcome", "state_selected"):
        if screen.chosen_state == HOME_STATE:
            out.append(f"And the State field shows {_q(k.me.home_state)} chosen")
        elif screen.chosen_state is None:
            out.append("And the State field shows no state chosen")
    return out


def _docstring(lines: Sequence[str]) -> list[str]:
    return ['  """', *(f"  {line}" for line in lines), '  """']


def _email_checks(emails: Sequence[EmailSeen], full: bool, k: _Producer) -> list[str]:
    out: list[str] = []
    for email in emails:
        to = _concrete(email.to, k)
        if email.to in ("{producer.email}", "{producer1.email}"):
            out.append(f"Then the producer receives an email with the subject {_q(email.subject)}")
        else:
            out.append(f"Then an email arrives at {_q(to)} with the subject {_q(email.subject)}")
        if email.subject and TEMPORARY_PASSWORD in email.body:
            k.resets += 1
        if not full:
            continue
        out.append(f"And the email comes from {_q(email.sender)}")
        body = _concrete(email.body, k).replace(TEMPORARY_PASSWORD, TEMPORARY_MARK)
        paragraphs = [part.strip() for part in body.split("\n\n") if part.strip()]
        if all("\n" not in part for part in paragraphs):
            out.append("And the email reads:")
            out += _docstring(paragraphs)
        else:
            out += [f"And the email says {_q(part)}" for part in paragraphs if "\n" not in part]
    if full:
        out.append("And no other email is sent" if emails else "Then no email is sent")
    return [
        ("And" + line[4:] if line.startswith("Then") and i else line) for i, line in enumerate(out)
    ]


def _concrete(text: str, k: _Producer) -> str:
    """A model's text with the role placeholders put back as the Background's values."""
    roles = [(f"producer{i}" if i else "producer", p) for i, p in enumerate([k.me, *k.others[:-1]])]
    roles.append(("outsider", k.others[-1]))
    for role, p in roles:
        for name, value in (
            ("email", p.email),
            ("user_name", p.user_name),
            ("agent_unique_id", p.agent_unique_id),
        ):
            text = text.replace(f"{{{role}.{name}}}", value)
    return text


def _background(producers: Sequence[Producer]) -> list[str]:
    header = ["User Name", "Password", "Agent Unique ID", "E-mail Address", "State", "State Farm"]
    rows = [
        [
            p.user_name,
            p.password,
            p.agent_unique_id,
            p.email,
            p.home_state,
            "yes" if p.state_farm else "no",
        ]
        for p in producers
    ]
    width = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    table = [
        "      | " + " | ".join(cell.ljust(width[i]) for i, cell in enumerate(row)) + " |"
        for row in (header, *rows)
    ]
    return ["  Background:", "    Given these registered producers:", *table]


def scenario_text(
    number: int,
    departure: Departure,
    flow_set: FlowSet,
    producers: Sequence[Producer],
    parameters: Parameters,
) -> list[str]:
    """One departure's scenario: its tags, name and steps (indented for a Feature)."""
    d = departure
    tags = ["@departure", *(f"@{g}" for g in d.guide), *(f"@decision-{x}" for x in d.decisions)]
    lines = [f"  {' '.join(tags)}", f"  Scenario: Departure {number}: {d.description} ({d.state})"]
    k = _Producer(producers[0], producers[1:], producers[0].password)
    steps = []
    base = flow_set.portal.parameters
    if parameters.auto_unlock_after_minutes != base.auto_unlock_after_minutes:
        minutes = parameters.auto_unlock_after_minutes
        steps.append(
            f"Given the portal unlocks locked accounts automatically after {minutes} minutes"
        )
    # The other readings of behavioural decisions (a decision's `parameter:`).
    if not parameters.empty_login_counts and base.empty_login_counts:
        steps.append(
            "Given the portal does not count an empty User Name or Password as a failed attempt"
        )
    if not parameters.wrong_current_password_counts and base.wrong_current_password_counts:
        steps.append("Given the portal does not count a wrong Current Password toward the lock-out")
    steps.append("When the producer opens the portal")
    journey = d.witness
    for index in range(d.first.step):
        step = journey.steps[index]
        want = journey.expected[index]
        assert isinstance(want, Observation)
        full = index == d.first.step - 1
        before, after = _steps_of(step.action, k, want, parameters)
        steps += [f"{'When' if i == 0 else 'And'} {s}" for i, s in enumerate(before)]
        steps += _page_checks(want, full, k)
        steps += _email_checks(want.emails, full, k)
        steps += [f"When {s}" for s in after]
    return lines + [f"{_INDENT}{s}" for s in steps]


def emit_features(
    departures: Sequence[Departure], flow_set: FlowSet, directory: Path, seed: int = 0
) -> list[Path]:
    """Write every departure as a scenario of ``directory``/departures.feature (none
    when there is no departure); the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FEATURE_FILE
    if not departures:
        if path.exists():
            path.unlink()
        return []
    population = Population(seed, flow_set.portal.parameters)
    group = journey_group(population, 0)
    producers = [*group, outsider_after(population, group)]
    known = dict(variants(flow_set))
    lines = [
        "@departures",
        "Feature: Departures rpp verify found",
        "  Each scenario is one way a portal departed from the flows: the shortest journey",
        "  that shows it, with what the flows expect at every step.",
        "",
        *_background(producers),
    ]
    for number, departure in enumerate(departures, 1):
        parameters = known.get(departure.witness.variant, flow_set.portal.parameters)
        lines.append("")
        if departure.witness.variant:
            lines.append(f"  # verification variant {departure.witness.variant}")
        lines += scenario_text(number, departure, flow_set, producers, parameters)
    atomic.write_text(path, "\n".join(lines) + "\n")
    return [path]
