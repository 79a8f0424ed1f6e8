"""`rpp report`: the page renders in headless Chromium from ``file://`` without a
console error, its search box works, its figures are those of the JSON files it read,
its diagrams colour each transition by what covered it, and bad input gets a message
naming the file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from simulator.cli import main
from specs.loader import DEFAULT_FLOWS_DIR, load_flows_dir
from specs.report import COVERAGE
from tests.report.fixtures import MUTATE, SCENARIOS, SUMMARY, VERIFY, write_inputs


@dataclass
class Opened:
    """A page opened in Chromium, and what its console said."""

    page: Any
    errors: list[str] = field(default_factory=list)

    def figure(self, name: str) -> int:
        return int(self.page.locator(f'[data-figure="{name}"]').inner_text().replace(",", ""))


def _open(browser: Any, page_path: Path) -> Iterator[Opened]:
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    opened = Opened(page)
    page.on(
        "console",
        lambda m: (
            opened.errors.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda e: opened.errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: opened.errors.append(f"request failed: {r.url}"))
    page.goto(page_path.resolve().as_uri())
    page.wait_for_load_state("load")
    yield opened
    context.close()


def _report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def fixture_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("report")
    reports = write_inputs(base / "reports")
    assert main(["report", "--reports", str(reports), "--out", str(base / "site")]) == 0
    return base / "site" / "index.html"


@pytest.fixture
def opened(browser: Any, fixture_page: Path) -> Iterator[Opened]:
    yield from _open(browser, fixture_page)


def test_the_page_renders_from_file_with_no_console_error(opened: Opened) -> None:
    page = opened.page
    assert page.title().startswith("rpp report")
    assert page.locator("#guide article").count() == len(
        load_flows_dir(str(DEFAULT_FLOWS_DIR), "x").guide_ids
    )
    # every diagram drawn, every picture decoded
    assert page.locator("figure.diagram svg").count() == 4
    widths = page.eval_on_selector_all("figure.plot img", "imgs => imgs.map(i => i.naturalWidth)")
    assert widths == [3, 4]  # timeline.png first, as the simulation orders them
    assert page.locator("[data-missing]").count() == 0
    assert opened.errors == []


def test_the_figures_are_those_of_the_json_files(opened: Opened) -> None:
    opened.page.eval_on_selector_all("details.part", "parts => parts.forEach(p => p.open = true)")
    journeys = VERIFY["journeys"]
    assert opened.figure("journeys-total") == len(journeys)
    assert opened.figure("journeys-passed") == sum(j["result"] == "passed" for j in journeys)
    assert opened.figure("journeys-failed") == sum(j["result"] == "failed" for j in journeys)
    assert opened.figure("verify-failures") == 1
    # scenario elements of the Cucumber JSON (an outline's two examples count twice)
    assert (opened.figure("scenarios-passed"), opened.figure("scenarios-failed")) == (3, 1)
    assert opened.figure("scenarios-skipped") == 1
    outcomes = [m["outcome"] for m in MUTATE["mutants"]]
    for outcome in ("killed", "rejected", "survived", "equivalent"):
        assert opened.figure(f"mutants-{outcome}") == outcomes.count(outcome), outcome
    assert opened.figure("mutants-total") == len(outcomes)
    total = opened.page.locator("#mutate tr.total").inner_text().split()
    assert total == ["all", "6", "1", "3", "1", "1", "80%"]  # (1 + 3) / (6 - 1)
    assert str(SUMMARY["producers"]) in opened.page.locator("#simulation").inner_text().replace(
        ",", ""
    )


def test_each_guide_id_lists_the_scenarios_of_the_json_files(opened: Opened) -> None:
    page = opened.page
    page.click("#guide summary")
    for gid, passing in SCENARIOS.items():
        box = page.locator(f'.guide-scenarios[data-guide-id="{gid}"]')
        shown = box.locator('li[data-result="passed"] .name').all_inner_texts()
        assert sorted(shown) == sorted(passing), gid
    # the failing scenario tagged LOCK-2 is listed with its result and the step that failed
    failed = page.locator('.guide-scenarios[data-guide-id="LOCK-2"] li[data-result="failed"]')
    assert failed.count() == 1
    assert "line 22" in failed.inner_text() and "AssertionError" in failed.inner_text()
    # the decision the passing scenario checks is among those behind LOCK-2
    assert page.locator('#g-LOCK-2 a[href="#decision-success-resets-failures"]').count() == 1
    # journeys that walk a transition implementing LOCK-2 (lockout.lock): #1 only
    assert page.locator('#g-LOCK-2 [data-count="journeys"]').inner_text() == "1"


def test_the_search_box_shows_only_what_matches(opened: Opened) -> None:
    page = opened.page
    assert not page.locator("#g-LOGIN-1").is_visible()  # its part is collapsed
    page.fill("#search", "lock-2")
    assert page.locator("#g-LOCK-2").is_visible()
    assert not page.locator("#g-LOGIN-1").is_visible()
    assert "entries match" in page.locator("#search-status").inner_text()
    page.fill("#search", "no such words anywhere xyzzy")
    assert page.locator("[data-search]:visible").count() == 0
    assert page.locator("#search-status").inner_text().startswith("0 of ")
    page.fill("#search", "")
    assert page.locator("#g-LOGIN-1").is_visible()
    assert opened.errors == []


def _edge_colours(page: Any, transition: str) -> set[str]:
    return set(
        page.eval_on_selector_all(
            f'svg a[*|href="#t-{transition}"] *',
            "els => els.map(e => e.getAttribute('fill') || e.getAttribute('stroke'))"
            ".filter(c => c && c !== 'none' && c !== 'transparent')",
        )
    )


def test_transitions_are_coloured_by_what_covered_them_and_link_to_their_yaml(
    opened: Opened,
) -> None:
    page = opened.page
    # fired by a passing scenario; walked by a passing journey only; nothing
    assert _edge_colours(page, "lockout.lock") == {COVERAGE["scenario"][0]}
    assert _edge_colours(page, "login.warn_on_failure") == {COVERAGE["journey"][0]}
    assert _edge_colours(page, "lockout.auto_unlock") == {COVERAGE["nothing"][0]}
    assert opened.figure("transitions-scenario") == 1
    assert opened.figure("transitions-journey") == 4  # #1 and #2's covers but lockout.lock
    page.click("#diagrams summary")  # collapsed until asked for
    page.locator('svg a[*|href="#t-lockout.lock"] text').first.click()
    assert page.evaluate("location.hash") == "#t-lockout.lock"
    entry = page.locator('[id="t-lockout.lock"]')
    assert entry.is_visible()  # the link opened the collapsed part it leads into
    text = entry.inner_text()
    assert "lockout.yaml:" in text and "- id: lock" in text and "dest: locked" in text
    assert entry.locator('li[data-result="passed"] .name').all_inner_texts() == [
        SCENARIOS["LOCK-2"][0]
    ]


def test_missing_inputs_are_named_with_how_to_make_them(
    browser: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _report(
        capsys, "--reports", str(tmp_path / "none"), "--out", str(tmp_path / "site")
    )
    assert code == 0, err
    assert "not in the report: the last rpp mutate" in out
    for opened in _open(browser, tmp_path / "site" / "index.html"):
        missing = opened.page.locator("[data-missing]").all_inner_texts()
        assert len(missing) == 6, missing
        # the hints name the paths given with --reports, not the default ones
        given = tmp_path / "none"
        assert any(f"rpp verify --json {given}/verify.json" in m for m in missing)
        assert any(f"rpp simulate --out {given}/simulation" in m for m in missing)
        assert not [m for m in missing if " reports/verify.json" in m or "make run" in m]
        opened.page.click('nav a[href="#mutate"]')  # the menu opens the collapsed part
        mutate = opened.page.locator("#mutate").inner_text()
        assert f"No rpp mutate report was read: the last rpp mutate ({given}/mutate.json)" in mutate
        assert opened.errors == []


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("verify.json", "{not json", "verify.json:1:2: not JSON"),
        (
            "verify.json",
            json.dumps({**VERIFY, "journeys": [{**VERIFY["journeys"][0], "result": 5}]}),
            "verify.json: journeys[0].result: expected a string, found 5",
        ),
        ("verify.json", json.dumps({"seed": 0}), "verify.json: models: missing"),
        ("scenarios.json", "[]", "scenarios.json: expected an object, found list"),
        (
            "transitions.json",
            json.dumps({"login.sign_in": [1]}),
            "transitions.json: login.sign_in[0]: expected a string",
        ),
        ("cucumber.json", json.dumps({"uri": "x"}), "cucumber.json: expected a list, found dict"),
        (
            "mutate.json",
            json.dumps({**MUTATE, "mutants": [{"id": "x"}]}),
            "mutate.json: mutants[0].outcome: missing",
        ),
        ("mutate.json", b"\xff\xfe{}", "mutate.json: not UTF-8 text"),
        (
            "mutate.json",
            json.dumps({**MUTATE, "operators": {"dest": {"generated": 1}}}),
            "mutate.json: operators.dest.rejected: missing",
        ),
        (
            "simulation/summary.json",
            json.dumps({"producers": "many"}),
            "summary.json: producers: expected a whole number",
        ),
    ],
)
def test_bad_input_names_the_file_and_the_place(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str | bytes,
    expected: str,
) -> None:
    reports = write_inputs(tmp_path / "reports")
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    (reports / name).write_bytes(data)
    code, _, err = _report(capsys, "--reports", str(reports), "--out", str(tmp_path / "site"))
    assert code == 1
    assert expected in err, err
    assert str(reports) in err and "Traceback" not in err
    assert not (tmp_path / "site").exists()


def test_a_simulation_directory_without_a_summary_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _report(capsys, "--simulation", str(tmp_path), "--out", str(tmp_path / "site"))
    assert code == 2
    assert "no summary.json there" in err


def test_the_shipped_flows_and_a_run_of_each_kind(
    browser: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real flows with a run of each kind, made here: a real `rpp verify --json` (of
    one small part, to be quick) beside the feature run's, the gate's and mutate's files
    in their writers' shapes. Every transition has its entry and its arrow, and the
    figures agree with the files."""
    reports = write_inputs(tmp_path / "reports")
    verify_json = reports / "verify.json"
    argv = ["verify", "--part", "auto-unlock", "--walks", "0", "--json", str(verify_json)]
    assert main(argv) == 0, capsys.readouterr().out
    code, _, err = _report(capsys, "--reports", str(reports), "--out", str(tmp_path / "site"))
    assert code == 0, err
    flow_set = load_flows_dir(str(DEFAULT_FLOWS_DIR), "x")
    for opened in _open(browser, tmp_path / "site" / "index.html"):
        page = opened.page
        assert opened.errors == []
        for t in flow_set.transitions():
            assert page.locator(f'[id="t-{t.name}"]').count() == 1, t.name
            assert page.locator(f'svg a[*|href="#t-{t.name}"]').count() >= 1, t.name
        counted = sum(opened.figure(f"transitions-{key}") for key in COVERAGE)
        assert counted == len(flow_set.transitions())
        assert opened.figure("guide-total") == len(flow_set.guide_ids)
        data = json.loads(verify_json.read_text(encoding="utf-8"))
        assert opened.figure("journeys-total") == len(data["journeys"]) > len(VERIFY["journeys"])
        page.click("#guide summary")  # the names are read as shown: the part open
        for gid, passing in json.loads((reports / "scenarios.json").read_text()).items():
            box = page.locator(f'.guide-scenarios[data-guide-id="{gid}"]')
            shown = box.locator('li[data-result="passed"] .name').all_inner_texts()
            assert sorted(shown) == sorted(passing), gid
        data = json.loads((reports / "mutate.json").read_text(encoding="utf-8"))
        killed = sum(m["outcome"] == "killed" for m in data["mutants"])
        assert opened.figure("mutants-killed") == killed


def test_a_copy_moved_elsewhere_opens_with_every_link_working(
    browser: Any, fixture_page: Path, tmp_path: Path
) -> None:
    """The page as a CI artifact: moved to another directory, every link still leads
    somewhere on it (no file:/// path of the machine that made it), a link into a
    collapsed part opens it, and a full-page screenshot of it finishes."""
    moved = tmp_path / "elsewhere" / "site"
    shutil.copytree(fixture_page.parent, moved)
    html = (moved / "index.html").read_text(encoding="utf-8")
    assert "file://" not in html
    for opened in _open(browser, moved / "index.html"):
        page = opened.page
        hrefs = page.eval_on_selector_all(
            "a",
            """links => links.map(a => a.getAttribute('href')
                || a.getAttributeNS('http://www.w3.org/1999/xlink', 'href')).filter(Boolean)""",
        )
        assert len(hrefs) > 100
        ids = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        broken = [h for h in hrefs if not h.startswith("#") or h[1:] not in ids]
        assert broken == [], broken[:10]
        # a transition's link to its YAML opens the inlined file at that line
        page.click("#transitions summary")
        link = page.locator('[id="t-login.sign_in"] a[href^="#L-login.yaml-"]')
        link.click()
        line = page.locator(f'[id="{link.get_attribute("href")[1:]}"]')
        assert line.is_visible() and "- id: sign_in" in line.inner_text()
        # the page opens short: a full-page screenshot of it finishes, and is not endless
        page.goto((moved / "index.html").as_uri())
        picture = page.screenshot(full_page=True, timeout=30_000)
        height = page.evaluate("document.documentElement.scrollHeight")
        assert picture[:4] == b"\x89PNG" and height < 5 * 900, height
        assert opened.errors == []
