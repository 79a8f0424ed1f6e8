"""`rpp verify`: the models of the flows, their suites, the shipped portal passing,
`--target flows:DIR` as a behavioural diff, and a reproducible report."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.drivers.in_process import InProcessTarget
from simulator.population import Population
from simulator.verify import model
from simulator.verify.command import check_journey, load_target, verify
from simulator.verify.journeys import ALPHABET, PARTS
from simulator.verify.model import Observation
from simulator.verify.suite import Exploration, journey_group, outsider_after
from specs import DEFAULT_FLOWS_DIR, FlowSet
from specs.errors import UsageError
from specs.model import Parameters
from tests.late_mail import LateMailbox


def test_every_transition_is_walked_and_every_action_used(
    flow_set: FlowSet, exploration: Exploration
) -> None:
    assert exploration.reached == {t.name for t in flow_set.transitions()}
    taken = {s.action for j in exploration.journeys for s in j.steps}
    assert taken == {a.key for a in ALPHABET}
    assert {p.part.name for p in exploration.parts} == {p.name for p in PARTS}


def test_each_model_states_its_fault_domain(exploration: Exploration) -> None:
    for part in exploration.parts:
        data = part.as_dict()
        assert data["states"] == part.model.minimal.num_states > 1
        assert data["extra_states"] == part.part.extra_states
        assert data["complete_for"] == (
            f"every portal with at most {part.model.minimal.num_states + part.extra_states}"
            f" states over these {len(part.part.inputs)} actions"
        )
        # Minimal: no two states of the model answer every word alike.
        assert part.model.minimal.minimize().num_states == part.model.minimal.num_states


def test_the_default_fault_domain_is_each_parts_own(exploration: Exploration) -> None:
    assert {p.part.name: p.extra_states for p in exploration.parts} == {
        p.name: p.extra_states for p in PARTS
    }
    # The lock-out's counters: a portal that resets or keeps one in a state the model
    # does not have is inside the default fault domain.
    assert next(p for p in PARTS if p.name == "lock-out").extra_states == 1


def test_journeys_run_shortest_first(exploration: Exploration) -> None:
    journeys = exploration.journeys
    assert [j.number for j in journeys] == list(range(1, len(journeys) + 1))
    lengths = [len(j.steps) for j in journeys]
    assert lengths == sorted(lengths)


def test_three_wrong_passwords_lock(exploration: Exploration) -> None:
    journey = next(
        j
        for j in exploration.journeys
        if [s.action for s in j.steps[:3]] == ["log_in_wrong_password"] * 3
    )
    assert "lockout.lock" in journey.steps[2].transitions
    assert all("lockout.lock" not in s.transitions for s in journey.steps[:2])
    first, _, third = journey.steps[:3]
    assert first.messages != third.messages and len(third.messages) == 1


def _copy_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    flows = tmp_path / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, flows)
    path = flows / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return flows


CHANGES = {
    "threshold 3 -> 4": ("portal.yaml", "lockout_threshold: 3 ", "lockout_threshold: 4 "),
    "lifetime 1440 -> 1439": (
        "portal.yaml",
        "temporary_password_valid_minutes: 1440",
        "temporary_password_valid_minutes: 1439",
    ),
    "a word of a text": ("portal.yaml", "Please Sign-In", "Please Sign In"),
    "a guard dropped": (
        "password_reset.yaml",
        "new_password_confirmed, new_password_differs]",
        "new_password_confirmed]",
    ),
    "a dest changed": (
        "username_recovery.yaml",
        "source: username_request_submitted\n    dest: login_page",
        "source: username_request_submitted\n    dest: forgot_user_name",
    ),
}


@pytest.mark.usefixtures("one_hash_iteration")
@pytest.mark.parametrize("change", list(CHANGES))
def test_target_flows_is_a_behavioural_diff(
    change: str, tmp_path: Path, flow_set: FlowSet, exploration: Exploration
) -> None:
    flows = _copy_with(tmp_path, *CHANGES[change])
    make = load_target(f"flows:{flows}", flow_set)
    report = verify(flow_set, seed=2, make_target=make, exploration=exploration, stop_after=1)
    assert not report.passed, f"{change}: the changed flows passed"
    assert (report.failed[0].failure or "").startswith("step ")


@pytest.mark.usefixtures("one_hash_iteration")
def test_target_flows_unchanged_copy_passes(
    tmp_path: Path, flow_set: FlowSet, exploration: Exploration
) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, flows)
    report = verify(
        flow_set,
        seed=2,
        make_target=load_target(f"flows:{flows}", flow_set),
        exploration=exploration,
    )
    assert report.passed, report.failed[0].failure


def make_reference(parameters: Parameters) -> InProcessTarget:
    """A ``--target MODULE:CALLABLE`` factory (this module's own)."""
    from specs import load_flows

    return InProcessTarget(load_flows(), parameters)


def test_target_module_callable_and_bad_targets(flow_set: FlowSet) -> None:
    maker = load_target("tests.verify.test_verify:make_reference", flow_set)
    assert maker is not None and callable(maker)
    for bad, says in (
        ("nonsense", "expected reference, flows:DIR or MODULE:CALLABLE"),
        ("no_such_module_x:f", "cannot import no_such_module_x"),
        ("tests.verify.test_verify:nothing", "has no callable 'nothing'"),
    ):
        with pytest.raises(UsageError, match=says):
            load_target(bad, flow_set)


def test_shipped_portal_passes_and_same_seed_same_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flow_set: FlowSet, exploration: Exploration
) -> None:
    """The shipped portal passes every journey, and `rpp verify` (its own models, its
    worker processes) writes the JSON that verify() of the same seed makes in one."""
    first = tmp_path / "a.json"
    assert main(["verify", "--seed", "7", "--walks", "0", "--json", str(first)]) == 0
    out = capsys.readouterr().out
    assert "journeys passed" in out and "46/46 transitions of the flows walked" in out
    again = verify(flow_set, seed=7, exploration=exploration)
    failures = [f"{r.journey.name}: {r.failure}" for r in again.failed]
    assert not failures, "\n".join(failures[:3])
    assert again.passed and not again.unreached
    second = json.dumps(again.as_dict(), indent=2, ensure_ascii=False) + "\n"
    assert first.read_text(encoding="utf-8") == second
    data = json.loads(second)
    assert data["passed"] is True and data["models"]


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--extra-states", "9"]) == 2
    assert main(["verify", "--workers", "-1"]) == 2
    assert "--extra-states takes 0 to 2" in capsys.readouterr().err


def test_every_email_lands_once_at_the_address_on_file(
    flow_set: FlowSet, exploration: Exploration
) -> None:
    journey = next(
        j
        for j in exploration.journeys
        if [s.action for s in j.steps[:3]]
        == ["click_reset_password", "reset_password_with_email", "confirm_request"]
        and sum(len(s.emails) for s in j.steps) == 1
    )
    targets: list[InProcessTarget] = []

    def make(parameters: Parameters) -> InProcessTarget:
        targets.append(InProcessTarget(flow_set, parameters))
        return targets[-1]

    part = next(p for p in exploration.parts if journey in p.journeys)
    one = Exploration([dataclasses.replace(part, journeys=[journey])], exploration.reached)
    report = verify(flow_set, seed=5, make_target=make, exploration=one)
    assert report.passed, report.results[0].failure
    account = targets[0].portal.account_named(report.results[0].producer)
    assert account is not None
    messages = targets[0].mailbox.search()
    assert len(messages) == 1
    assert str(messages[0]["To"]) == account.email
    assert targets[0].mailbox.duplicates_refused == 0


def test_a_difference_names_the_characters_that_part() -> None:
    from simulator.verify.command import first_difference
    from tests.steps.pages import _difference

    lock_1 = "account information – please try again"
    typed = "account information - please try again"
    said = first_difference(lock_1, typed)
    assert said == (
        "first difference at character 21: expected '–' (EN DASH), got '-' (HYPHEN-MINUS)"
    )
    assert first_difference("Submit", "Submit!") == "expected stops at character 6 of 7"
    step = _difference("message(s)", [lock_1], [typed])
    assert step.startswith("message(s) 1: first difference at character 21")
    assert _difference("message(s)", [lock_1], []).startswith("expected 1 message(s), shown 0")


class _StrayMailTarget(InProcessTarget):
    """A portal that also emails the producer when they click "Forgot User Name?"
    (a click the flows send no mail for), whose mail is read as a served portal's."""

    defer_mail_reads = True

    def open_browser(self):  # type: ignore[no-untyped-def]
        driver = super().open_browser()
        click, target = driver.click, self

        def stray_click(label: str):  # type: ignore[no-untyped-def]
            screen = click(label)
            if label == "Forgot User Name?":
                account = target.portal.accounts()[0]
                target.portal.send("username", account.email, user_names=[account.user_name])
            return screen

        driver.click = stray_click  # type: ignore[method-assign]
        return driver


def test_mail_nobody_expects_is_named_at_the_step_that_sent_it(
    flow_set: FlowSet, exploration: Exploration
) -> None:
    """The mail is read only where the flows send some and at the end; a stray email
    is found at the next read, and the journey runs again to name its step."""
    made: list[_StrayMailTarget] = []

    def make(parameters: Parameters) -> _StrayMailTarget:
        made.append(_StrayMailTarget(flow_set, parameters, hash_iterations=1))
        return made[-1]

    report = verify(flow_set, seed=3, make_target=make, exploration=exploration, stop_after=1)
    failed = report.failed[0]
    number = 1 + [s.action for s in failed.journey.steps].index("click_forgot_user_name")
    failure = failed.failure or ""
    assert failure.startswith(f'step {number} (click "Forgot User Name?"): expected 0 email'), (
        failure
    )
    # the failing journey ran again, reading the mail after every step
    assert len(made) > len(report.results)


@pytest.mark.parametrize("deferred", [True, False])
def test_mail_is_read_where_the_flows_send_some_and_at_the_end(
    deferred: bool, flow_set: FlowSet, exploration: Exploration
) -> None:
    """Over HTTP (``defer_mail_reads``) the mail is read where it is due and at the
    end; in this process, where a read costs nothing, after every step."""
    journey = max(exploration.journeys, key=lambda j: len(j.steps))
    part = next(p for p in exploration.parts if p.model.variant == journey.variant)
    parameters = part.model.parameters
    target = InProcessTarget(flow_set, parameters, hash_iterations=1)
    target.defer_mail_reads = deferred  # type: ignore[attr-defined]
    reads = []
    search = target.mailbox.search
    target.mailbox.search = lambda *a, **k: reads.append(1) or search(*a, **k)  # type: ignore[method-assign]
    population = Population(5, flow_set.portal.parameters)
    group = journey_group(population, 0)
    outsider = outsider_after(population, group)
    failure = check_journey(
        flow_set,
        journey,
        target,
        group,
        outsider,
        parameters,
        part.model.initial_screen,
        again=lambda: InProcessTarget(flow_set, parameters, hash_iterations=1),
    )
    assert failure is None
    due = sum(1 for want in journey.expected if isinstance(want, Observation) and want.emails)
    last = journey.expected[-1]
    assert isinstance(last, Observation)
    if deferred:
        assert len(reads) == 1 + due + (0 if last.emails else 1) < len(journey.steps)
    else:
        assert len(reads) == 1 + len(journey.steps)


@pytest.mark.parametrize("mail_wait", [0.0, 3.0])
def test_mail_sent_after_the_page_is_waited_for(
    mail_wait: float, flow_set: FlowSet, exploration: Exploration, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey = min(
        (j for j in exploration.journeys if any(w.emails for w in j.expected)),  # type: ignore[union-attr]
        key=lambda j: len(j.steps),
    )
    part = next(p for p in exploration.parts if p.model.variant == journey.variant)
    parameters = part.model.parameters
    target = InProcessTarget(flow_set, parameters, hash_iterations=1)
    target.mailbox = LateMailbox(target.mailbox)  # type: ignore[assignment]
    target.mail_wait = mail_wait  # type: ignore[attr-defined]
    monkeypatch.setattr(model, "_EXPIRED", [0])
    population = Population(6, flow_set.portal.parameters)
    group = journey_group(population, 0)
    failure = check_journey(
        flow_set,
        journey,
        target,
        group,
        outsider_after(population, group),
        parameters,
        part.model.initial_screen,
    )
    if mail_wait:
        assert failure is None
    else:
        assert failure is not None and "expected 1 email(s)" in failure and "got 0" in failure


def test_after_three_waits_in_vain_mail_is_no_longer_waited_for(
    flow_set: FlowSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mailbox that never gets the portal's mail costs three waits, not one a step."""
    monkeypatch.setattr(model, "_EXPIRED", [0])
    monkeypatch.setattr(model, "MAIL_POLL_SECONDS", 0.01)
    population = Population(8, flow_set.portal.parameters)
    group = journey_group(population, 0)
    target = InProcessTarget(flow_set, flow_set.portal.parameters, hash_iterations=1)
    target.mail_wait = 0.05  # type: ignore[attr-defined]
    probe = model.Probe(
        target, group, outsider_after(population, group), target.portal.parameters, flow_set
    )
    reads: list[int] = []
    search = target.mailbox.search
    target.mailbox.search = lambda *a, **k: reads.append(1) or search(*a, **k)  # type: ignore[method-assign]
    for _ in range(model.MAIL_WAITS_EXPIRED):
        reads.clear()
        assert probe.read_mail(expect=1) == ()
        assert len(reads) > 1  # asked again while waiting
    reads.clear()
    assert probe.read_mail(expect=1) == ()
    assert len(reads) == 1  # no longer waited for
