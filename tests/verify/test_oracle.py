"""Verify's oracle by authority (issue 32): a portal that differs from the flows only in
what they decided and in presentation passes under ``--decisions guide`` with its
decisions listed, and fails under ``strict``; one that departs from what the guide
fixes fails under both; a team's decisions file sets its texts and acceptances; every
difference of a failing step is reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from simulator.drivers.in_process import InProcessTarget
from simulator.verify.command import VerifyReport, verify
from simulator.verify.departures import format_departure
from simulator.verify.differently import format_noted
from simulator.verify.suite import Exploration, explore
from specs.errors import SpecError
from specs.model import FlowSet, Parameters
from specs.team import TeamDecisions, load_decisions
from tests.verify.team_portals import (
    GUIDE_TEXT_CHANGED,
    PRESENTATION,
    RECONSTRUCTED_WITHOUT_WORDS,
    TeamMaker,
)

# Only some parts, for time: a report "passes" here when no journey failed (the other
# parts' transitions are not walked). The parts whose pages and emails carry what a team words its own way: the forms,
# their messages and both emails; the signed-in pages.
PARTS = ["forms", "signed in"]


@pytest.fixture(scope="module")
def small(flow_set: FlowSet) -> Exploration:
    return explore(flow_set, workers=2, part_names=PARTS)


def _run(
    flow_set: FlowSet,
    exploration: Exploration,
    portal: TeamMaker | None,
    decisions: str | TeamDecisions,
    stop_after: int | None = None,
) -> VerifyReport:
    def make(parameters: Parameters) -> Any:
        if portal is None:
            return InProcessTarget(flow_set, parameters, hash_iterations=1)
        return portal(flow_set, parameters)

    return verify(
        flow_set,
        seed=1,
        make_target=make,
        exploration=exploration,
        workers=2,
        stop_after=stop_after,
        decisions=decisions,
    )


def test_a_portal_differing_in_decided_things_passes_under_guide(
    flow_set: FlowSet, small: Exploration
) -> None:
    report = _run(flow_set, small, PRESENTATION, "guide")
    assert not report.failed, report.failed[0].failure
    decided = {d.decision for d in report.decided}
    assert {
        "form-field-messages",
        "welcome-page-content",
        "forgot-user-name-heading",
        "username-email-subject",
    } <= decided, decided
    # Each difference once, with what the flows decided and what the portal did.
    keys = [(d.decision, d.what, d.decided, d.portal) for d in report.decided]
    assert len(keys) == len(set(keys))
    message = next(d for d in report.decided if d.decided == "User Name is required.")
    assert message.portal == "Please enter your User Name."
    assert 0 < message.journeys < len(report.results)
    subject = next(d for d in report.decided if d.what == "email Subject")
    assert (subject.decided, subject.portal) == (
        "Retail Producer Portal User Name",
        "Your RPP User Name",
    )
    data = json.loads(json.dumps(report.as_dict()))
    assert data["decisions"] == "guide"
    assert {d["decision"] for d in data["decisions_differ"]} == decided
    shown = format_noted(report.decided, report.accepted, len(report.results))
    assert shown.startswith("decisions this portal makes differently")
    assert "decision username-email-subject: email Subject" in shown


def test_the_same_portal_fails_under_strict_with_every_difference_of_the_step(
    flow_set: FlowSet, small: Exploration
) -> None:
    report = _run(flow_set, small, PRESENTATION, "strict", stop_after=1)
    assert report.failed
    failure = report.failed[0].failure or ""
    # Step 0 already differs in more than one way: all of them are in the failure.
    assert failure.startswith("step 0"), failure
    assert "menu item: expected 2, got 3; unexpected ['Help']" in failure, failure
    assert failure.startswith("step 0 (opening the portal): text 3: expected"), failure
    assert "\ntext: expected 9, got 12;" in failure, failure
    first = report.departures[0].first
    assert len(first.differences) == 3, first.differences
    assert first.difference.startswith(first.differences[0])
    shown = format_departure(1, report.departures[0])
    assert "more difference(s) at this step:" in shown
    assert "menu item: expected 2, got 3" in shown


def test_a_guide_text_changed_fails_under_guide(flow_set: FlowSet, small: Exploration) -> None:
    report = _run(flow_set, small, GUIDE_TEXT_CHANGED, "guide", stop_after=1)
    assert report.failed
    failure = report.failed[0].failure or ""
    assert (
        "text: expected 'If you need assistance, please contact Producer Services at:'"
        " on the page (guide USER-8, SERVICES-1)" in failure
    ), failure


def test_a_reconstructed_text_without_the_guides_words_fails(
    flow_set: FlowSet, small: Exploration
) -> None:
    report = _run(flow_set, small, RECONSTRUCTED_WITHOUT_WORDS, "guide", stop_after=1)
    assert report.failed
    failure = report.failed[0].failure or ""
    assert "reconstructed from RESET-5" in failure, failure
    assert "We sent you a temporary password" in failure, failure


def _decisions(tmp_path: Path, flow_set: FlowSet, text: str) -> TeamDecisions:
    path = tmp_path / "decisions.yaml"
    path.write_text(text, encoding="utf-8")
    return load_decisions(path, flow_set.portal)


def test_an_accepted_departure_is_listed_and_does_not_fail(
    flow_set: FlowSet, small: Exploration, tmp_path: Path
) -> None:
    team = _decisions(
        tmp_path,
        flow_set,
        "accepted:\n"
        "  - departure: \"'If you need assistance, please contact Producer Services at:'\"\n"
        '    why: "our forms say contact; triaged in QA-12"\n'
        "    who: qa-lead@team.example\n"
        '  - departure: "nothing shows this"\n'
        "    why: stale\n"
        "    who: qa-lead@team.example\n",
    )
    report = _run(flow_set, small, GUIDE_TEXT_CHANGED, team)
    assert not report.failed, report.failed[0].failure
    used, stale = report.accepted
    assert used.journeys > 0 and used.acceptance.who == "qa-lead@team.example"
    assert used.acceptance.where.endswith("decisions.yaml:2")
    assert any("If you need assistance" in d for d in used.differences)
    assert stale.journeys == 0 and not stale.differences
    shown = format_noted(report.decided, report.accepted, len(report.results))
    assert "departures the team accepted" in shown
    assert "matched nothing in this run" in shown
    assert report.as_dict()["accepted"][0]["why"] == "our forms say contact; triaged in QA-12"


def test_a_teams_own_texts_are_checked_exactly(
    flow_set: FlowSet, small: Exploration, tmp_path: Path
) -> None:
    team = _decisions(
        tmp_path,
        flow_set,
        "texts:\n"
        '  user_name_required: "Please enter your User Name."\n'
        '  email_required: "Please enter your e-mail address."\n'
        '  agent_unique_id_required: "Please enter your Agent Unique ID."\n',
    )
    # The suite expects the team's texts: it is built from the flows with them.
    theirs = explore(team.apply(flow_set), workers=2, part_names=["forms"])
    report = _run(flow_set, theirs, PRESENTATION, team)
    assert not report.failed, report.failed[0].failure
    assert not [d for d in report.decided if d.portal.startswith("Please enter")]
    # The flows' own portal shows the flows' message, not the team's: a failure.
    reference = _run(flow_set, theirs, None, team, stop_after=1)
    assert reference.failed
    failure = reference.failed[0].failure or ""
    assert "expected 'Please enter" in failure and "the team's text" in failure, failure


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("behaviour:\n  no-such-decision: false\n", ":2:3: unknown decision 'no-such-decision'"),
        (
            "behaviour:\n  success-resets-failures: false\n",
            ":2:3: decision 'success-resets-failures' has no parameter",
        ),
        ("texts:\n  no_such_text: x\n", ":2:3: unknown text key 'no_such_text'"),
        (
            "texts:\n  login_failed: x\n",
            ":2:3: text 'login_failed' is given by the guide (quoted)",
        ),
        (
            "accepted:\n  - departure: x\n    who: me\n",
            ":2:5: an acceptance without why: say what, why and who",
        ),
        ("acepted: []\n", ":1:1: unknown section 'acepted'"),
    ],
)
def test_a_decisions_file_with_an_error_says_where(
    flow_set: FlowSet, tmp_path: Path, text: str, said: str
) -> None:
    with pytest.raises(SpecError) as error:
        _decisions(tmp_path, flow_set, text)
    assert f"decisions.yaml{said}" in str(error.value), str(error.value)


# -- the oracle itself, on screens and emails built by hand --------------------------------


def _login(flow_set: FlowSet) -> Any:
    return InProcessTarget(flow_set, flow_set.portal.parameters).open_browser().screen()


def test_guide_screens_by_containment(flow_set: FlowSet) -> None:
    from dataclasses import replace

    from simulator.verify.oracle import Oracle

    oracle = Oracle(flow_set.portal, "guide")
    want = _login(flow_set)
    assert want.name == "login_page"
    more = replace(
        want,
        texts=("News: the portal is new.", *want.texts),
        menus=(*want.menus, "Help"),
        links=(*want.links, "Log Out"),
    )
    assert oracle.screens(want, more) == []
    assert [d.text for d in Oracle(flow_set.portal).screens(want, more)]  # strict: fails
    gone = replace(want, links=("Forgot User Name?",), menus=("Menu",))
    differences = oracle.screens(want, gone)
    assert [(d.what, d.expected, d.failing) for d in differences] == [
        ("link", "Reset Password?", True),
        ("menu", "Account", True),
    ]
    assert "guide LOGIN-1, LOGIN-3" in differences[0].text


def test_guide_emails_by_lines_in_order(flow_set: FlowSet) -> None:
    from dataclasses import replace

    from simulator.verify.model import EmailSeen
    from simulator.verify.oracle import Oracle

    oracle = Oracle(flow_set.portal, "guide")
    template = flow_set.portal.emails["password_reset"]
    lines = [p.text for p in template.body]
    want = EmailSeen("s", "{producer.email}", template.subject.text, "\n\n".join(lines))
    assert oracle.emails([want], [replace(want, body="\n".join(lines))]) == []
    # The decided line worded otherwise: a decision, as long as the password is there.
    other = ["Your temporary password is {temporary_password}", *lines[1:]]
    (decided,) = oracle.emails([want], [replace(want, body="\n".join(other))])
    assert (decided.decision, decided.failing) == ("temporary-password-line", False)
    without = ["Your temporary password is below.", *lines[1:]]
    (missing,) = oracle.emails([want], [replace(want, body="\n".join(without))])
    assert missing.failing and "{temporary_password} is not in the email" in missing.text
    swapped = [lines[0], lines[2], lines[1], *lines[3:]]
    (order,) = oracle.emails([want], [replace(want, body="\n".join(swapped))])
    assert order.failing and "is out of order (guide" in order.text
    (subject,) = oracle.emails([want], [replace(want, subject="Your new password")])
    assert subject.failing and "guide RESET-6" in subject.text


def test_the_decisions_option_refuses_before_the_first_journey(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from simulator.cli import main

    assert main(["verify", "--decisions", str(tmp_path / "none.yaml")]) == 2
    captured = capsys.readouterr()
    assert "--decisions" in captured.err and "no such file" in captured.err
    bad = tmp_path / "decisions.yaml"
    bad.write_text("texts:\n  no_such_text: x\n", encoding="utf-8")
    assert main(["verify", "--decisions", str(bad)]) == 1
    captured = capsys.readouterr()
    assert f"{bad}:2:3: unknown text key 'no_such_text'" in captured.err
    assert "journeys passed" not in captured.out and "Traceback" not in captured.err


def test_a_teams_reading_of_silent_behaviour_sets_the_flows_parameter(
    flow_set: FlowSet, tmp_path: Path
) -> None:
    """decision empty-login-counts read the other way (an empty submission is refused with
    its own message and not counted): the suite is built for that reading, so a portal
    built that way passes and one that counts empty submissions fails."""
    from dataclasses import replace

    team = _decisions(tmp_path, flow_set, "behaviour:\n  empty-login-counts: false\n")
    assert team.parameters == {"empty_login_counts": False}
    theirs = team.apply(flow_set)
    exploration = explore(theirs, workers=2, part_names=["user names"])

    def reading(counts: bool) -> TeamMaker:
        def make(flows: FlowSet, parameters: Parameters) -> Any:
            ours = replace(parameters, empty_login_counts=counts)
            return InProcessTarget(flows, ours, hash_iterations=1)

        return make

    report = _run(flow_set, exploration, reading(False), team)
    assert not report.failed, report.failed[0].failure
    counted = _run(flow_set, exploration, reading(True), team, stop_after=1)
    assert counted.failed
    failed = counted.failed[0]
    assert any("empty" in s.action for s in failed.journey.steps), failed.failure
