"""Small report inputs written into a directory: one of each file `rpp report` reads,
in the shapes their writers write, with figures chosen so that every count differs."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

from specs.model import FlowSet
from specs.report.build import Inputs, build
from specs.report.inputs import read_verify
from specs.report.page import render_page

__all__ = [
    "CUCUMBER",
    "MUTATE",
    "SCENARIOS",
    "SUMMARY",
    "TRANSITIONS",
    "VERIFY",
    "tiny_png",
    "verify_page",
    "write_inputs",
]

PASSING = "lockout.feature: The third failure locks the account"
FAILING = "lockout.feature: A locked account refuses the right password"
OUTLINE = "login.feature: The User Name is read without case"

VERIFY: dict[str, Any] = {
    "seed": 0,
    "target": "reference",
    "passed": False,
    "models": [
        {
            "part": "lock-out",
            "checks": "LOCK-1..5",
            "variant": None,
            "inputs": 15,
            "states": 96,
            "explored_states": 96,
            "extra_states": 1,
            "complete_for": "every portal with at most 97 states over these 15 actions",
            "journeys": 3,
            "steps": 9,
        }
    ],
    "journeys": [
        {
            "name": "#1",
            "part": "lock-out",
            "actions": ["log_in_wrong_password", "log_in_wrong_password", "log_in_wrong_password"],
            "covers": ["login.warn_on_failure", "lockout.count_failure", "lockout.lock"],
            "variant": None,
            "guide": [],
            "producer": "someone1",
            "result": "passed",
            "failure": None,
        },
        {
            "name": "#2",
            "part": "lock-out",
            "actions": ["log_in", "click_forgot_user_name"],
            "covers": ["login.sign_in", "username_recovery.open_forgot_user_name"],
            "variant": None,
            "guide": [],
            "producer": "someone2",
            "result": "passed",
            "failure": None,
        },
        {
            "name": "#3",
            "part": "lock-out",
            "actions": ["log_in_wrong_password", "log_in_right_password", "wait_a_minute"],
            "covers": ["login.warn_on_failure", "login.sign_in"],
            "variant": None,
            "guide": [],
            "producer": "someone3",
            "result": "failed",
            "failure": "step 2 (log in with the right password): expected the welcome screen",
        },
    ],
    "transitions": {"total": 36, "reached": 35, "unreached": ["lockout.auto_unlock"]},
}


def _step(keyword: str, name: str, line: int, status: str) -> dict[str, Any]:
    result: dict[str, Any] = {"status": status, "duration": 1000}
    if status == "failed":
        result["error_message"] = "AssertionError: the page shows 'Welcome'\nmore lines"
    return {"keyword": keyword, "line": line, "name": name, "result": result}


def _scenario(name: str, line: int, tags: list[str], statuses: list[str]) -> dict[str, Any]:
    return {
        "id": name.lower().replace(" ", "-"),
        "line": line,
        "type": "scenario",
        "keyword": "Scenario",
        "name": name,
        "description": "",
        "tags": [{"name": f"@{t}"} for t in tags],
        "steps": [
            _step("Given ", f"step {n}", line + n, status) for n, status in enumerate(statuses, 1)
        ],
    }


CUCUMBER: list[dict[str, Any]] = [
    {
        "uri": "features/lockout.feature",
        "id": "lockout",
        "line": 2,
        "keyword": "Feature",
        "name": "Lock-outs",
        "description": "",
        "tags": [{"name": "@lockout"}],
        "elements": [
            {
                "id": "background",
                "type": "background",
                "keyword": "Background",
                "name": "",
                "line": 3,
                "steps": [_step("Given ", "a producer", 4, "passed")],
            },
            _scenario(
                PASSING.split(": ", 1)[1],
                10,
                ["LOCK-2", "decision-success-resets-failures", "lockout"],
                ["passed", "passed"],
            ),
            _scenario(FAILING.split(": ", 1)[1], 20, ["LOCK-2", "lockout"], ["passed", "failed"]),
        ],
    },
    {
        "uri": "features/login.feature",
        "id": "login",
        "line": 1,
        "keyword": "Feature",
        "name": "Login",
        "description": "",
        "tags": [{"name": "@login"}],
        "elements": [
            _scenario(OUTLINE.split(": ", 1)[1], 5, ["LOGIN-2", "login"], ["passed"]),
            _scenario(OUTLINE.split(": ", 1)[1], 5, ["LOGIN-2", "login"], ["passed"]),
            _scenario("A skipped one", 30, ["LOGIN-4", "login"], ["skipped"]),
        ],
    },
]

SCENARIOS: dict[str, list[str]] = {"LOCK-2": [PASSING], "LOGIN-2": [OUTLINE], "LOGIN-4": []}
TRANSITIONS: dict[str, list[str]] = {"lockout.lock": [PASSING], "lockout.count_failure": []}

MUTATE: dict[str, Any] = {
    "scenarios": 132,
    "seconds": 12.5,
    "workers": 2,
    "operators": {
        "parameter": {
            "generated": 3,
            "rejected": 1,
            "killed": 1,
            "survived": 1,
            "equivalent": 0,
            "score": 0.667,
        },
        "dest": {
            "generated": 3,
            "rejected": 0,
            "killed": 2,
            "survived": 0,
            "equivalent": 1,
            "score": 1.0,
        },
    },
    "mutants": [
        {
            "id": f"parameter:{n}",
            "operator": "parameter",
            "file": "portal.yaml",
            "edit": "3 -> 4",
            "guide": ["LOCK-2"],
            "outcome": outcome,
        }
        for n, outcome in enumerate(["rejected", "killed", "survived"])
    ]
    + [
        {
            "id": f"dest:{n}",
            "operator": "dest",
            "file": "login.yaml",
            "edit": "a -> b",
            "guide": [],
            "outcome": outcome,
            **({"reason": "no one sees it"} if n == 2 else {}),
        }
        for n, outcome in enumerate(["killed", "killed", "equivalent"])
    ],
    "stale_equivalents": [],
}


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A real PNG (grey pixels), as Chromium decodes it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


SUMMARY: dict[str, Any] = {
    "producers": 1000,
    "seed": 7,
    "scenario": {"name": "normal-day", "hours": 24},
    "logins": {"attempts": 400, "failed": 40},
    "lockouts": {"total": 5, "accounts_still_locked_at_end": 1},
    "emails": {"sent": 9},
    "invariants": {"a": {"holds": True, "detail": ""}, "b": {"holds": True, "detail": ""}},
}


def write_inputs(reports: Path) -> Path:
    """Every input in ``reports`` (made), the simulation in ``reports/simulation``."""
    reports.mkdir(parents=True, exist_ok=True)
    for name, data in (
        ("verify.json", VERIFY),
        ("cucumber.json", CUCUMBER),
        ("scenarios.json", SCENARIOS),
        ("transitions.json", TRANSITIONS),
        ("mutate.json", MUTATE),
    ):
        (reports / name).write_text(json.dumps(data, indent=2), encoding="utf-8")
    simulation = reports / "simulation"
    simulation.mkdir(exist_ok=True)
    (simulation / "summary.json").write_text(json.dumps(SUMMARY), encoding="utf-8")
    (simulation / "timeline.png").write_bytes(tiny_png())
    (simulation / "emails.png").write_bytes(tiny_png(4, 4))
    return reports


def verify_page(flow_set: FlowSet, tmp_path: Path, **data: object) -> str:
    """The report's page (HTML) of :data:`VERIFY` with ``data``'s keys replaced, as
    `rpp report` reads it from ``tmp_path/verify.json``."""
    path = tmp_path / "verify.json"
    path.write_text(json.dumps({**VERIFY, **data}), encoding="utf-8")
    record = read_verify(path)
    assert record is not None
    return render_page(build(flow_set, Inputs(verify=record, paths={"verify": str(path)})))
