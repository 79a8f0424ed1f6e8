"""`rpp validate` rejects each kind of broken flow file with file:line:column."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from simulator.cli import main

Edit = Callable[[Path], str]  # breaks a file in the flows copy; returns its name


def _replace(name: str, old: str, new: str) -> Edit:
    def edit(flows: Path) -> str:
        path = flows / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return name

    return edit


def _write(name: str, data: bytes) -> Edit:
    def edit(flows: Path) -> str:
        (flows / name).write_bytes(data)
        return name

    return edit


LOGIN = "login.yaml"
LOCKOUT = "lockout.yaml"


def _not_utf8(flows: Path) -> str:
    path = flows / LOGIN
    data = path.read_bytes().replace(b"Please Sign-In", b"Please Sign\xff-In", 1)
    path.write_bytes(data)
    return LOGIN


def _no_way_out(flows: Path) -> str:
    # A state entered but never left, and not marked final.
    path = flows / LOCKOUT
    text = path.read_text(encoding="utf-8")
    text = text.replace("  locked:\n", '  suspended:\n    description: "Stuck."\n  locked:\n', 1)
    text += (
        "  - id: suspend\n    trigger: suspend\n    source: locked\n"
        "    dest: suspended\n    guide: [LOCK-3]\n"
    )
    path.write_text(text, encoding="utf-8")
    return LOCKOUT


def _uncited(flows: Path) -> str:
    # SERVICES-2 is cited only by the State Farm entry: drop that citation.
    _replace("portal.yaml", "    guide: [SERVICES-2]\n    label", "    guide: []\n    label")(flows)
    _replace("portal.yaml", "    guide: [SERVICES-3, SERVICES-2]", "    guide: [SERVICES-3]")(flows)
    _replace("portal.yaml", "RESET-4, SERVICES-1, SERVICES-2]", "RESET-4, SERVICES-1]")(flows)
    _replace("portal.yaml", "USER-8, SERVICES-1, SERVICES-2]", "USER-8, SERVICES-1]")(flows)
    return "portal.yaml"


# (case id, edit, a phrase the message must contain)
CASES: list[tuple[str, Edit, str]] = [
    ("yaml-syntax", _replace(LOGIN, "initial: login_page", "initial: [login_page"), "YAML syntax"),
    (
        "duplicate-key",
        _replace(LOGIN, "model: session\n", "model: session\nmodel: account\n"),
        "duplicate key 'model'",
    ),
    (
        "unknown-key",
        _replace(
            LOGIN, "    trigger: select_state\n", "    trigger: select_state\n    colour: red\n"
        ),
        "unknown key 'colour'",
    ),
    (
        "wrong-type",
        _replace(
            LOCKOUT,
            "    trigger: fail_login\n",
            "    trigger: [fail_login]\n",
        ),
        "expected a string, found a list",
    ),
    (
        "unknown-dest",
        _replace(LOGIN, "    dest: state_selected\n", "    dest: dashboard\n"),
        "dest 'dashboard' is not a state",
    ),
    (
        "unknown-source",
        _replace(LOGIN, "    source: welcome\n", "    source: lobby\n"),
        "source 'lobby' is not a state",
    ),
    (
        "unknown-condition",
        _replace(LOGIN, "[state_offered]", "[state_is_nice]"),
        "condition 'state_is_nice' is not in the vocabulary",
    ),
    (
        "unknown-callback",
        _replace(LOGIN, "[remember_state]", "[remember_the_state]"),
        "action 'remember_the_state' is not in the vocabulary",
    ),
    (
        "unreachable-state",
        _replace(
            LOCKOUT,
            "  locked:\n",
            '  frozen:\n    description: "Never entered."\n    final: true\n  locked:\n',
        ),
        "state 'frozen' is unreachable",
    ),
    ("no-way-out", _no_way_out, "state 'suspended' has no way out"),
    (
        "ambiguous",
        _replace(
            LOGIN,
            "    conditions: [failure_reaches_lockout_threshold]\n",
            "    conditions: [account_locked]\n",
        ),
        "no guard tells them apart",
    ),
    (
        "unknown-guide-id",
        _replace(LOCKOUT, "guide: [LOCK-4, RESET-12]", "guide: [LOCK-44, RESET-12]"),
        "'LOCK-44', which GUIDE.md does not define",
    ),
    (
        "no-guide-id",
        _replace(
            LOGIN,
            "    guide: [LOGIN-4]\n  - id: change_state",
            "    guide: []\n  - id: change_state",
        ),
        "cite at least one guide ID",
    ),
    (
        "missing-guide-key",
        _replace(LOGIN, "    guide: [LOGIN-4]\n  - id: change_state", "  - id: change_state"),
        "missing required key 'guide'",
    ),
    (
        "alias",
        _replace(
            LOGIN,
            "    guide: [LOGIN-4]\n  - id: change_state",
            "    guide: &g [LOGIN-4]\n  - id: change_state",
        ),
        "anchor &g is not allowed",
    ),
    (
        "alias-use",
        _replace(
            LOGIN,
            "    trigger: select_state\n    source: welcome",
            "    trigger: *t\n    source: welcome",
        ),
        "alias *t is not allowed",
    ),
    ("empty", _write(LOGIN, b""), "the file is empty"),
    ("comments-only", _write(LOGIN, b"# nothing here\n\n"), "the file is empty"),
    ("not-utf8", _not_utf8, "not UTF-8"),
    (
        "python-tag",
        _replace(LOGIN, "initial: login_page", "initial: !!python/object/apply:os.system [ls]"),
        "tag tag:yaml.org,2002:python/object/apply:os.system is not allowed",
    ),
    ("uncited-guide-id", _uncited, "guide ID SERVICES-2 is cited by no transition"),
]


@pytest.mark.parametrize(("case", "edit", "phrase"), CASES, ids=[c[0] for c in CASES])
def test_rejects_broken_flow(
    case: str, edit: Edit, phrase: str, flows_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = edit(flows_copy)
    code = main(["validate", str(flows_copy)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err
    located = [ln for ln in err.splitlines() if re.search(rf"{re.escape(name)}:\d+:\d+: ", ln)]
    assert located, f"no {name}:line:column in:\n{err}"
    assert any(phrase in ln for ln in located), f"{phrase!r} not in:\n{err}"


def test_shipped_flows_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert "valid: 4 flows" in capsys.readouterr().out


def test_line_number_points_at_the_problem(
    flows_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (flows_copy / LOGIN).read_text(encoding="utf-8")
    line = text.splitlines().index("    dest: state_selected") + 1
    _replace(LOGIN, "    dest: state_selected\n", "    dest: dashboard\n")(flows_copy)
    main(["validate", str(flows_copy)])
    err = capsys.readouterr().err
    # the problem is reported at the transition that holds it (its first line)
    starts = [
        i + 1 for i, ln in enumerate(text.splitlines()) if ln.startswith("  - id:") and i < line
    ]
    assert f"{LOGIN}:{starts[-1]}:5: transition 'select_state': dest 'dashboard'" in err


def test_every_problem_is_listed(flows_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _replace(LOGIN, "[state_offered]", "[state_is_nice]")(flows_copy)
    _replace(LOCKOUT, "guide: [LOCK-4, RESET-12]", "guide: [LOCK-44, RESET-12]")(flows_copy)
    assert main(["validate", str(flows_copy)]) == 1
    err = capsys.readouterr().err
    assert "state_is_nice" in err and "LOCK-44" in err and "invalid: " in err


def test_cli_never_shows_a_traceback(flows_copy: Path) -> None:
    _write(LOGIN, b"machine: [unclosed\n")(flows_copy)
    result = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "validate", str(flows_copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert re.search(r"login\.yaml:\d+:\d+: YAML syntax", result.stderr)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--no-such-option"])
    assert exc.value.code == 2
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
