"""Hostile scenario files and `rpp simulate` arguments: a corpus, each case run through
the real command in a child process.

Each case must end with exit code 1 (an invalid file: ``file:line:column: message``,
the line checked against a marker in the file) or 2 (a usage error naming the option),
no traceback, within 2 s of CPU and 200 MB. The child is limited by the kernel
(RLIMIT_CPU stops it at the bound whatever the load on the machine; RLIMIT_AS makes a
bigger allocation fail, and the MemoryError traceback fails the case), and the CPU it
used is also read back (``RUSAGE_CHILDREN``) so an overrun says how much. A wall-clock
timeout only guards against a hang (a FIFO nobody writes to uses no CPU while it waits).
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from simulator.cli import main
from simulator.simulation.plots import PLOT_FILES, plain_title
from simulator.simulation.scenario import SCENARIO_DIR

ROOT = Path(__file__).resolve().parents[2]
CPU_SECONDS = 2
MEMORY_BYTES = 200 * 1024 * 1024
HANG_TIMEOUT = 60  # wall-clock seconds: only a guard against a hang; CPU is the bound
GOOD = (SCENARIO_DIR / "normal-day.yaml").read_text(encoding="utf-8")
ATTACK = "attack: {start_hour: 1, hours: 2, target_share: 0.1, attempts_per_target: 4}\n"

Make = Callable[[Path], str]  # writes what the case needs in a directory; the --scenario


def text(old: str, new: str) -> Make:
    """The shipped normal-day scenario with the first ``old`` replaced by ``new``."""

    def make(directory: Path) -> str:
        assert old in GOOD, f"{old!r} not in normal-day.yaml: the shipped scenario changed"
        path = directory / "hostile.yaml"
        path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
        return str(path)

    return make


def data(content: bytes) -> Make:
    def make(directory: Path) -> str:
        path = directory / "hostile.yaml"
        path.write_bytes(content)
        return str(path)

    return make


def fifo(directory: Path) -> str:
    path = directory / "hostile.yaml"
    os.mkfifo(path)
    return str(path)


def device(name: str) -> Make:
    def make(directory: Path) -> str:
        path = directory / "hostile.yaml"
        path.symlink_to(name)
        return str(path)

    return make


def given(value: str) -> Make:
    """A --scenario value as it is (a shipped name, a directory, nothing)."""
    return lambda directory: value.replace("{tmp}", str(directory))


@dataclass(frozen=True)
class Hostile:
    id: str
    scenario: Make
    phrase: str  # in the message
    at: str | None = None  # the marker where the problem is (a file), or None
    code: int = 1
    args: tuple[str, ...] = ()  # more options for `rpp simulate`
    line_one: bool = False  # the problem is the file as a whole: file:1:1


def _sexagesimal(size: int) -> str:
    return "1" + ":1" * (size // 2)


CORPUS: list[Hostile] = [
    # -- numbers too large for a float, or for what reads them -------------------------
    Hostile(
        "max-calls-1-and-400-zeros",
        text("max_calls: 2", "max_calls: 1" + "0" * 400),
        "is a number of 401 characters; no number here needs more than 32",
        "max_calls:",
    ),
    Hostile(
        "max-calls-300-digit-hex",
        text("max_calls: 2", "max_calls: 0x" + "f" * 300),
        "is a number of 302 characters",
        "max_calls:",
    ),
    Hostile(
        "max-calls-a-million",
        text("max_calls: 2", "max_calls: 1000000"),
        "behaviour.max_calls: expected a whole number from 0 to 1000, found 1000000",
        "max_calls:",
    ),
    Hostile(
        "give-up-at-most-10-to-the-20",
        text("give_up_at_most: 1 ", "give_up_at_most: 100000000000000000000 "),
        "behaviour.give_up_at_most: expected a whole number from 0 to 1000",
        "give_up_at_most:",
    ),
    Hostile(
        "share-of-1e400",
        text("visit_share_per_day: 0.35", "visit_share_per_day: 1.0e+400"),
        "arrivals.visit_share_per_day: expected a number from 0 to 1, found 1.0e+400",
        "visit_share_per_day:",
    ),
    Hostile(
        "share-nan",
        text("visit_share_per_day: 0.35", "visit_share_per_day: .nan"),
        "arrivals.visit_share_per_day: expected a number from 0 to 1, found .nan",
        "visit_share_per_day:",
    ),
    Hostile(
        "hours-minus-infinity",
        text("hours: 24", "hours: -.inf"),
        "period.hours: expected a whole number from 1 to 744",
        "hours:",
    ),
    Hostile(
        "hours-a-year",
        text("hours: 24", "hours: 8760"),
        "period.hours: expected a whole number from 1 to 744, found 8760",
        "hours:",
    ),
    Hostile(
        "come-back-after-a-billion-hours",
        text("come_back_after_hours: [1, 6]", "come_back_after_hours: [1, 1000000000]"),
        "behaviour.come_back_after_hours[1]: expected a number from 0 to 744",
        "come_back_after_hours:",
    ),
    Hostile(
        "extra-delay-1e10-minutes",
        text("extra_delay_minutes: 0 ", "extra_delay_minutes: 1.0e+10 "),
        "email.extra_delay_minutes: expected a number from 0 to 10080",
        "extra_delay_minutes:",
    ),
    Hostile(
        "by-hour-weight-of-300-digits",
        text("by_hour: [1, ", "by_hour: [" + "9" * 300 + ", "),
        "is a number of 300 characters",
        "by_hour:",
    ),
    Hostile(
        "attack-of-a-million-attempts",
        text(
            "report:\n",
            ATTACK.replace("attempts_per_target: 4", "attempts_per_target: 1000000") + "report:\n",
        ),
        "attack.attempts_per_target: expected a whole number from 1 to 1000, found 1000000",
        "attack:",
    ),
    Hostile(
        "attack-spacing-zero",
        text("report:\n", ATTACK.replace("}", ", spacing_seconds: 0}") + "report:\n"),
        "attack.spacing_seconds: expected a whole number from 1 to 86400, found 0",
        "attack:",
    ),
    # -- the period: every time it computes must fit a datetime ------------------------
    Hostile(
        "period-starting-near-9999",
        text('start: "2026-11-03T00:00"', 'start: "9999-12-31T12:00"'),
        "period.start: the period (9999-12-31 12:00 and 24 hours) must lie between"
        " 1970-01-01 and 9998-01-01",
        "start:",
    ),
    Hostile(
        "period-ending-past-9998",
        text('start: "2026-11-03T00:00"', 'start: "9997-12-31T12:00"'),
        "period.start: the period (9997-12-31 12:00 and 24 hours) must lie between",
        "start:",
    ),
    Hostile(
        "period-in-year-1",
        text('start: "2026-11-03T00:00"', 'start: "0001-01-01T00:00"'),
        "period.start: the period (0001-01-01 00:00 and 24 hours) must lie between",
        "start:",
    ),
    Hostile(
        "period-starting-at-a-timestamp",
        text('start: "2026-11-03T00:00"', "start: 2026-11-03"),
        "'2026-11-03' reads as a YAML timestamp, which scenario files do not use",
        "start:",
    ),
    # -- names and descriptions: bounded plain text ------------------------------------
    Hostile(
        "name-of-900-kilobytes",
        text("name: normal-day", "name: " + "x" * 900_000),
        "name: 900,000 characters; at most 200 are allowed",
        "name:",
    ),
    Hostile(
        "name-of-two-lines",
        text("name: normal-day", 'name: "normal\\nday"'),
        "name: expected one line, without line breaks or tabs",
        "name:",
    ),
    Hostile(
        "description-of-3000-characters",
        text('description: "', 'description: "' + "d" * 3000),
        "description: 3,0",
        "description:",
    ),
    Hostile(
        "name-a-number",
        text("name: normal-day", "name: 1:30"),
        "'1:30' is a base-60 number in YAML 1.1 (1:30 reads as 90)",
        "name:",
    ),
    # -- YAML 1.1 surprises, refused before they are built -----------------------------
    Hostile(
        "max-calls-sexagesimal",
        text("max_calls: 2", "max_calls: 1:1:1:1"),
        "'1:1:1:1' is a base-60 number in YAML 1.1 (1:30 reads as 90); write it in decimal",
        "max_calls:",
    ),
    Hostile(
        # PyYAML builds this in quadratic time: 98 s before it was refused unbuilt.
        "max-calls-sexagesimal-of-900-kilobytes",
        text("max_calls: 2", "max_calls: " + _sexagesimal(900_000)),
        "is a number of 900,001 characters",
        "max_calls:",
    ),
    Hostile(
        "hours-as-a-time",
        text("hours: 24", "hours: 24:00"),
        "'24:00' is a base-60 number in YAML 1.1",
        "hours:",
    ),
    Hostile(
        "sexagesimal-float",
        text("mistype_rate: 0.08", "mistype_rate: 0:0.08"),
        "'0:0.08' is a base-60 number in YAML 1.1",
        "mistype_rate:",
    ),
    Hostile(
        "explicit-int-tag-on-base-60",
        text("max_calls: 2", 'max_calls: !!int "1:1:1:1:1"'),
        "'1:1:1:1:1' is a base-60 number in YAML 1.1 (1:30 reads as 90); write it in"
        " decimal; remove the tag",
        "max_calls:",
    ),
    Hostile(
        "octal-give-up",
        text("give_up_at_most: 1 ", "give_up_at_most: 010 "),
        "'010' is an octal number in YAML 1.1 (010 reads as 8); drop the leading zero",
        "give_up_at_most:",
    ),
    Hostile(
        "yes-for-a-rate",
        text("mistype_rate: 0.08", "mistype_rate: yes"),
        "behaviour.mistype_rate: expected a number from 0 to 1, found a boolean (yes)",
        "mistype_rate:",
    ),
    Hostile(
        "merge-key",
        text("behaviour:\n", "behaviour:\n  <<: {max_calls: 3}\n"),
        "'<<' reads as a YAML merge, which scenario files do not use",
        "<<:",
    ),
    Hostile(
        "python-object",
        text("max_calls: 2", "max_calls: !!python/object/apply:os.system [echo hi]"),
        "tag tag:yaml.org,2002:python/object/apply:os.system is not allowed",
        "max_calls:",
    ),
    Hostile(
        "alias-bomb",
        data(b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"),
        "anchor &a is not allowed in a scenario file",
        "&a",
    ),
    Hostile(
        "nested-10000-lists",
        data(b"name: " + b"[" * 10_000 + b"]" * 10_000 + b"\n"),
        "nesting deeper than 64 levels",
        None,
    ),
    Hostile(
        "twenty-thousand-values",
        text("report:\n", "extra: [" + "1, " * 20_001 + "]\nreport:\n"),
        "more than 20,000 values",
        None,
    ),
    # -- not text, not one document, not a mapping -------------------------------------
    Hostile(
        "two-megabytes",
        text("report:\n", "# " + "x" * 2_000_000 + "\nreport:\n"),
        "file is 2,001,",
        None,
        line_one=True,
    ),
    Hostile("nul-byte", data(b"name: a\x00b\n"), "NUL byte in the file", "a"),
    Hostile("not-utf-8", data(b"name: caf\xe9\n"), "byte 0xe9 is not UTF-8", None),
    Hostile(
        "utf-16",
        data("name: x\n".encode("utf-16")),
        "the file is UTF-16",
        None,
        line_one=True,
    ),
    Hostile("empty", data(b""), "the file is empty; expected a mapping of scenario keys", None),
    Hostile("a-list", data(b"- 1\n- 2\n"), "scenario: expected a mapping, found a list", None),
    Hostile(
        "tab-indentation",
        text("period:\n  start:", "period:\n\tstart:"),
        "indent with spaces",
        None,
    ),
    Hostile(
        "two-documents",
        text("report:\n", "report:\n  timeline: hour\n---\nname: again\nreport:\n"),
        "a scenario file holds one document",
        None,
    ),
    Hostile(
        "flow-parameter-in-a-scenario",
        text("  max_calls: 2", "  max_calls: 2\n  lockout_threshold: 100000"),
        "'lockout_threshold' is a flow parameter: set it in flows/portal.yaml",
        "lockout_threshold",
    ),
    # -- not a regular file: refused before it is opened --------------------------------
    Hostile(
        "fifo",
        fifo,
        "cannot read the file: it is a FIFO (named pipe), not a regular file",
        None,
        line_one=True,
    ),
    Hostile(
        "dev-zero",
        device("/dev/zero"),
        "cannot read the file: it is a character device, not a regular file",
        None,
        line_one=True,
    ),
    Hostile(
        "dev-urandom",
        device("/dev/urandom"),
        "cannot read the file: it is a character device, not a regular file",
        None,
        line_one=True,
    ),
    Hostile(
        "a-directory",
        given("{tmp}"),
        "is a directory; give a scenario file",
        code=2,
    ),
    Hostile(
        "no-such-scenario", given("no-such-scenario"), "no scenario 'no-such-scenario'", code=2
    ),
    Hostile("empty-scenario-name", given(""), "no scenario ''", code=2),
    # -- arguments -----------------------------------------------------------------------
    Hostile("producers-0", given("normal-day"), "--producers", code=2, args=("--producers", "0")),
    Hostile(
        "producers-of-5000-digits",
        given("normal-day"),
        "--producers",
        code=2,
        args=("--producers", "9" * 5000),
    ),
    Hostile("workers-0", given("normal-day"), "--workers", code=2, args=("--workers", "0")),
    Hostile("seed-negative", given("normal-day"), "--seed", code=2, args=("--seed", "-1")),
    Hostile(
        "mail-loss-nan", given("normal-day"), "--mail-loss", code=2, args=("--mail-loss", "nan")
    ),
    Hostile(
        "mail-loss-1e400", given("normal-day"), "--mail-loss", code=2, args=("--mail-loss", "1e400")
    ),
    Hostile(
        "mail-delay-inf", given("normal-day"), "--mail-delay", code=2, args=("--mail-delay", "inf")
    ),
    Hostile(
        "flows-dev-null", given("normal-day"), "--flows", code=2, args=("--flows", "/dev/null")
    ),
    Hostile("explain-nobody", given("normal-day"), "--explain", code=2, args=("--explain", " ")),
    Hostile(
        "scheduler-not-an-address",
        given("normal-day"),
        "--scheduler",
        code=2,
        args=("--scheduler", "foo"),
    ),
]


def _limits() -> None:  # runs in the child, before it starts Python
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rpp(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``rpp ARGS`` in a child bounded to 2 s of CPU and 200 MB; its result and CPU time."""
    before = _children_cpu()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "simulator.cli", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="backslashreplace",
            preexec_fn=_limits,
            timeout=HANG_TIMEOUT,
            cwd=ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`rpp {' '.join(a[:60] for a in args)}` hung for {HANG_TIMEOUT} s")
    return result, _children_cpu() - before


def _line_of(path: Path, marker: str) -> int:
    content = path.read_text(encoding="utf-8", errors="replace")
    offset = content.find(marker)
    assert offset >= 0, f"marker {marker!r} is not in the file"
    return content.count("\n", 0, offset) + 1


def check(
    case: Hostile, result: subprocess.CompletedProcess[str], cpu: float, file: Path | None
) -> None:
    err = result.stderr
    if result.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        pytest.fail(f"{case.id}: more than {CPU_SECONDS} s of CPU")
    assert "Traceback" not in err, (
        f"{case.id}: a traceback (MemoryError: over 200 MB):\n{err[-3000:]}"
    )
    assert result.returncode == case.code, f"{case.id}: exit {result.returncode}\n{err[-2000:]}"
    assert cpu < CPU_SECONDS, f"{case.id}: {cpu:.2f} s of CPU"
    assert len(err) < 10_000, f"{case.id}: a message of {len(err):,} characters"
    if file is None:
        assert case.phrase in err, f"{case.id}: no ...{case.phrase}... in:\n{err[:2000]}"
        assert err.startswith("rpp simulate") or "usage:" in err, err[:2000]
        return
    located = [
        (int(m[1]), int(m[2]), m[3])
        for m in re.finditer(rf"^{re.escape(str(file))}:(\d+):(\d+): (.*)$", err, re.MULTILINE)
    ]
    ours = [(line, column) for line, column, message in located if case.phrase in message]
    assert ours, f"{case.id}: no {file.name}:line:column: ...{case.phrase}... in:\n{err[:2000]}"
    if case.line_one:
        assert (1, 1) in ours, ours
    elif case.at is not None:
        assert _line_of(file, case.at) in [line for line, _ in ours], (ours, err[:2000])


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_a_hostile_scenario_or_argument_ends_in_a_message(case: Hostile, tmp_path: Path) -> None:
    scenario = case.scenario(tmp_path)
    out = tmp_path / "out"
    result, cpu = rpp(
        "simulate", "--scenario", scenario, "--producers", "10", "--out", str(out), *case.args
    )
    path = Path(scenario)
    file = path if scenario and path.parent == tmp_path and not path.is_dir() else None
    check(case, result, cpu, file)
    assert not (out / "summary.json").exists(), f"{case.id}: a report for a refused input"


def test_the_corpus_is_large_and_covers_what_the_issue_lists() -> None:
    ids = {c.id for c in CORPUS}
    assert len(CORPUS) >= 40
    for needed in (
        "max-calls-1-and-400-zeros",
        "max-calls-300-digit-hex",
        "period-starting-near-9999",
        "name-of-900-kilobytes",
        "max-calls-sexagesimal-of-900-kilobytes",
        "fifo",
        "dev-zero",
    ):
        assert needed in ids


def test_a_fifo_among_the_flows_is_refused_without_waiting(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    for source in (ROOT / "flows").glob("*.yaml"):
        (flows / source.name).write_bytes(source.read_bytes())
    os.mkfifo(flows / "extra.yaml")
    case = Hostile("fifo-in-flows", given("normal-day"), "it is a FIFO (named pipe)", None)
    result, cpu = rpp(
        "simulate", "--flows", str(flows), "--producers", "10", "--out", str(tmp_path / "o")
    )
    check(case, result, cpu, flows / "extra.yaml")


def test_a_name_with_dollars_is_drawn_as_plain_text(tmp_path: Path) -> None:
    """Names are text, never markup: matplotlib would parse ``$\\foo{$`` as mathtext and
    fail while drawing the report (after the whole run)."""
    name = r"$\foo{$ and $x^2$"
    path = tmp_path / "dollars.yaml"
    path.write_text(GOOD.replace("name: normal-day", f"name: '{name}'", 1), encoding="utf-8")
    out = tmp_path / "out"
    code = main(["simulate", "--scenario", str(path), "--producers", "20", "--out", str(out)])
    assert code == 0
    for picture in PLOT_FILES:
        pixels = imread(out / picture)  # decoded: a whole PNG
        assert pixels.shape[0] > 100 and pixels.shape[1] > 100


def test_plot_titles_are_plain_text() -> None:
    figure = Figure()
    plain_title(figure, r"$\foo{$ " + "word " * 60)
    [title] = figure.texts
    assert title.get_text().startswith(r"$\foo{$")
    assert not title.get_usetex()
    assert title.get_parse_math() is False
    assert 1 < title.get_text().count("\n") + 1 <= 3
