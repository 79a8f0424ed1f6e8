"""Scenario files: every shipped one loads; a broken one is refused with
file:line:column and what was expected, by the loader and by `rpp simulate`."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cli import main
from simulator.simulation.scenario import SCENARIO_DIR, load_scenario, shipped_scenarios
from specs.errors import SpecError

GOOD = (SCENARIO_DIR / "normal-day.yaml").read_text(encoding="utf-8")


def test_shipped_scenarios_are_found_beside_the_package() -> None:
    assert SCENARIO_DIR.name == "scenarios" and SCENARIO_DIR.parent.name == "simulator"
    for name in shipped_scenarios():
        scenario = load_scenario(name)
        assert scenario.name == name
        assert len(scenario.by_hour) == 24
        assert scenario.description


def test_a_scenario_file_can_be_given_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD.replace("name: normal-day\n", ""), encoding="utf-8")
    scenario = load_scenario(str(path))
    assert scenario.name == "mine"
    assert scenario.behaviour.mistype_rate == 0.08


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


CASES = [
    # (what to replace, replacement, the line to point at, message fragment)
    (
        "  mistype_rate: 0.08 ",
        "  mistype_rate: 1.5 ",
        "mistype_rate",
        "behaviour.mistype_rate: expected a number from 0 to 1, found 1.5",
    ),
    (
        "  spam_rate: 0.05",
        "  spam_rate: often",
        "spam_rate",
        "email.spam_rate: expected a number from 0 to 1, found a string ('often')",
    ),
    (
        "  hours: 24",
        "  hours: 0",
        "hours:",
        "period.hours: expected a whole number from 1 to 744, found 0",
    ),
    (
        "  max_calls: 2",
        "  max_calls: 2\n  lockout_threshold: 5",
        "lockout_threshold",
        "'lockout_threshold' is a flow parameter: set it in flows/portal.yaml",
    ),
    (
        "  max_calls: 2",
        "  max_calls: 2\n  max_call: 3",
        "max_call: 3",
        "behaviour: unknown key 'max_call'; expected one of:",
    ),
    (
        "  retry_seconds: [5, 30]",
        "  retry_seconds: [30, 5]",
        "retry_seconds",
        "behaviour.retry_seconds: low 30 exceeds high 5",
    ),
    (
        "  retry_seconds: [5, 30]",
        "  retry_seconds: 5",
        "retry_seconds",
        "behaviour.retry_seconds: expected [low, high], two numbers",
    ),
    (
        "0.5, 1.5, 4, 8, 10, 10, 9, 7, 8, 9, 8, 7, 5, 3, 2.5, 2, 1.5, 1.2, 1]",
        "0.5, 1.5, 4, 8, 10, 10, 9, 7, 8, 9, 8, 7, 5, 3, 2.5, 2, 1.5, 1.2]",
        "by_hour:",
        "arrivals.by_hour: expected a list of 24 weights (hours 0..23), found a list of 23",
    ),
    (
        '  start: "2026-11-03T00:00"',
        '  start: "next tuesday"',
        "start:",
        'period.start: expected a time like "2026-11-02T00:00"',
    ),
    ('  start: "2026-11-03T00:00"', "  start: 2026-11-03", "start:", "timestamp"),
    ("    reset: 0.55", "    reset: 0.55\n    reset: 0.1", "reset: 0.1", "duplicate key 'reset'"),
    (
        "  mistype_rate: 0.08 ",
        "  mistype_rate: [0.08] ",
        "mistype_rate",
        "behaviour.mistype_rate: expected a number from 0 to 1, found a list",
    ),
    (
        "email:\n",
        "email:\n  delivery_minutes: {minimum: 5, mean: 1}\n",
        "mean: 1.0}",
        "duplicate key 'delivery_minutes'",
    ),
    (
        "  forgot_user_name_rate: 0.02    # per visit: Forgot User Name? first\n",
        "",
        "mistype_rate:",
        "behaviour: missing required key 'forgot_user_name_rate'",
    ),
    (
        "  give_up: 0.15",
        "  give_up: -1",
        "give_up: -1",
        "behaviour.after_lockout.give_up: expected a number from 0 to 1000000, found -1",
    ),
    ("period:", "period:\n\tstart: x", "start: x", "YAML syntax"),
    # Every number has an upper limit and must be finite: a huge one would overflow
    # the arithmetic of a run instead of being refused with its position.
    (
        "  come_back_after_hours: [1, 6]",
        "  come_back_after_hours: [1, 1.0e+300]",
        "come_back_after_hours",
        "behaviour.come_back_after_hours[1]: expected a number from 0 to 744, found 1.0e+300",
    ),
    (
        "  delivery_minutes: {minimum: 0.1, mean: 1.0}",
        "  delivery_minutes: {minimum: 0.1, mean: 1.0e+300}",
        "delivery_minutes",
        "email.delivery_minutes.mean: expected a number from 0 to 44640, found 1.0e+300",
    ),
    (
        "  delivery_minutes: {minimum: 0.1, mean: 1.0}",
        "  delivery_minutes: {minimum: .nan, mean: 1.0}",
        "delivery_minutes",
        "email.delivery_minutes.minimum: expected a number from 0 to 44640, found .nan",
    ),
    (
        "  form_seconds: [20, 90]",
        "  form_seconds: [.inf, .inf]",
        "form_seconds",
        "behaviour.form_seconds[0]: expected a number from 0 to 2678400, found .inf",
    ),
    (
        "  call_minutes: [4, 15]",
        "  call_minutes: [4, 1.0e+9]",
        "call_minutes",
        "behaviour.call_minutes[1]: expected a number from 0 to 44640, found 1.0e+9",
    ),
    (
        "  mistype_rate: 0.08 ",
        "  mistype_rate: .nan ",
        "mistype_rate",
        "behaviour.mistype_rate: expected a number from 0 to 1, found .nan",
    ),
    (
        "    reset: 0.55",
        "    reset: .inf",
        "reset: .inf",
        "behaviour.after_lockout.reset: expected a number from 0 to 1000000, found .inf",
    ),
    (
        "by_hour: [1, 0.5,",
        "by_hour: [1.0e+308, 0.5,",
        "by_hour:",
        "arrivals.by_hour[0]: expected a number from 0 to 1000000, found 1.0e+308",
    ),
]


@pytest.mark.parametrize(("old", "new", "at", "message"), CASES, ids=[c[3][:40] for c in CASES])
def test_a_broken_scenario_is_refused_with_its_position(
    tmp_path: Path, old: str, new: str, at: str, message: str
) -> None:
    assert old in GOOD, old
    text = GOOD.replace(old, new, 1)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_scenario(str(path))
    problems = raised.value.problems
    found = [p for p in problems if message in p.message]
    assert found, [str(p) for p in problems]
    assert found[0].path.endswith("broken.yaml")
    assert found[0].line == _line_of(text, at), str(found[0])
    assert found[0].column >= 1


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("  mistype_rate: 0.08 ", "  mistype_rate: 2 ").replace(
        "  spam_rate: 0.05", "  spam_rate: -1"
    )
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_scenario(str(path))
    assert len(raised.value.problems) == 2


def test_rpp_simulate_prints_file_line_column_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.replace("  spam_rate: 0.05", "  spam_rate: lots")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    code = main(
        [
            "simulate",
            "--scenario",
            str(path),
            "--producers",
            "10",
            "--out",
            str(tmp_path / "report"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    line = _line_of(text, "spam_rate")
    assert f"bad.yaml:{line}:14: email.spam_rate: expected a number from 0 to 1" in err
    assert "invalid: 1 problem" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01", b"\xff\xfe not utf-8", b"- a list\n- not a mapping\n", b"&a [*a, *a]\n"],
    ids=["empty", "nul", "not-utf8", "a-list", "alias"],
)
def test_files_that_are_not_scenarios_are_refused_without_a_traceback(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_bytes(content)
    code = main(
        [
            "simulate",
            "--scenario",
            str(path),
            "--producers",
            "10",
            "--out",
            str(tmp_path / "report"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "odd.yaml:1:" in err and "Traceback" not in err
    assert "flow" not in err  # a scenario file is not told about flow files


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("# nothing here\n", "the file is empty; expected a mapping of scenario keys"),
        ("a: &x 1\nb: *x\n", "anchor &x is not allowed in a scenario file"),
        ("when: 2026-11-03\n", "reads as a YAML timestamp, which scenario files do not use"),
        ("a: 1\n---\nb: 2\n", "a scenario file holds one document"),
        ("- 1\n", "scenario: expected a mapping, found a list"),
    ],
)
def test_file_level_problems_speak_of_a_scenario_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_scenario(str(path))
    assert [p.message for p in raised.value.problems if message in p.message], [
        str(p) for p in raised.value.problems
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  come_back_after_hours: [1, 6]", "  come_back_after_hours: [1, 1.0e+300]"),
        (
            "  delivery_minutes: {minimum: 0.1, mean: 1.0}",
            "  delivery_minutes: {minimum: 0.1, mean: 1.0e+300}",
        ),
        ("  form_seconds: [20, 90]", "  form_seconds: [.inf, .inf]"),
    ],
    ids=["come-back", "delivery-mean", "form-inf"],
)
def test_rpp_simulate_refuses_numbers_too_large_to_simulate(
    tmp_path: Path, old: str, new: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    code = main(
        [
            "simulate",
            "--scenario",
            str(path),
            "--producers",
            "10",
            "--out",
            str(tmp_path / "report"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    assert "huge.yaml:" in err and "expected a number from 0 to" in err
    assert "Traceback" not in err and "OverflowError" not in err
