"""`rpp diagram`: one document per diagram, each read by the tool that renders it.

Every DOT file goes through the real ``dot`` (Debian's graphviz, which `make` installs):
no error, no warning, one SVG, and nothing overlapping in its layout. Mermaid files go
through Mermaid's own CLI when it is here (``$RPP_MMDC`` or ``mmdc`` on PATH, with
Debian's Chromium); see the README's "rpp diagram" section to install it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.image
import pytest

from simulator.cli import main
from specs import FlowSet
from specs.diagram import OVERVIEW, DiagramError, EdgeStyle, diagram_names, draw, picture
from tests.specs.diagram_layout import layout_problems, run_dot

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
NAMES = ["overview", "lockout", "login", "password_reset", "username_recovery"]


@pytest.fixture(scope="module")
def dot() -> str:
    found = shutil.which("dot")
    if found is None:
        pytest.fail("Graphviz's dot is missing: `make` installs Debian's graphviz (or apt-get it)")
    return found


def _svg(text: str | bytes) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return root


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def _styled(flow_set: FlowSet) -> dict[str, EdgeStyle]:
    """A report-like style for every transition: a colour, a tooltip, its YAML line."""
    return {
        t.name: EdgeStyle(
            color="#2ca02c" if i % 2 else "#d62728",
            tooltip=f"{t.name}: covered by {i} journeys",
            href=f"flows/{t.machine}.yaml#L{t.where.line}",
        )
        for i, t in enumerate(flow_set.transitions())
    }


def test_every_diagram_is_one_dot_document_that_renders_cleanly(
    tmp_path: Path, dot: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagram", "--format", "dot", "-o", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.dot" for n in NAMES)
    for name in NAMES:
        source = (tmp_path / f"{name}.dot").read_text(encoding="utf-8")
        svg = run_dot(dot, source, "svg")
        assert (svg.returncode, svg.stderr) == (0, ""), f"{name}.dot: {svg.stderr}"
        root = _svg(svg.stdout)  # one document: a second digraph would follow the first
        title = "overview: every flow" if name == OVERVIEW else name
        assert title in _texts(root), f"{name}: no title {title!r}"
        layout = run_dot(dot, source, "json")
        assert (layout.returncode, layout.stderr) == (0, "")
        assert layout_problems(layout.stdout) == [], name


def test_styled_diagrams_render_cleanly_too(flow_set: FlowSet, dot: str) -> None:
    styles = _styled(flow_set)
    for name in diagram_names(flow_set):
        source = draw(flow_set, name, "dot", styles).decode()
        layout = run_dot(dot, source, "json")
        assert (layout.returncode, layout.stderr) == (0, ""), name
        assert layout_problems(layout.stdout) == [], name


def test_the_overlap_check_sees_labels_on_each_other(flow_set: FlowSet, dot: str) -> None:
    """The check above can fail: drawn as external labels, dot lays words on words."""
    source = draw(flow_set, OVERVIEW, "dot").decode().replace("label=<<B>", "xlabel=<<B>")
    source = source.replace("labelloc=t", "labelloc=t forcelabels=true")
    layout = run_dot(dot, source, "json")
    assert layout.returncode == 0
    assert any("lies on" in p or "runs through" in p for p in layout_problems(layout.stdout))


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_svg_and_png_through_graphviz(
    fmt: str, tmp_path: Path, dot: str, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagram", "-f", fmt, "-o", str(tmp_path)]) == 0
    out, err = capfd.readouterr()
    assert err == "", "dot warned"
    assert f"password_reset.{fmt}" in out
    for name in NAMES:
        path = tmp_path / f"{name}.{fmt}"
        if fmt == "svg":
            _svg(path.read_bytes())
        else:
            height, width, _ = matplotlib.image.imread(path).shape
            assert height > 200 and width > 200, f"{name}.png is {width}x{height}"


def test_labels_a_person_reads(flow_set: FlowSet, dot: str) -> None:
    root = _svg(draw(flow_set, "login", "svg"))
    texts = _texts(root)
    # the title, screens by their titles, triggers as the portal's controls, guards in words
    for expected in ("login", "Please Sign-In", "click Login", "choose State", "if state offered"):
        assert expected in texts, f"{expected!r} not in {texts}"
    assert "• if account locked" in texts
    triggers = {t.trigger for t in flow_set.flows["login"].transitions}
    assert not [t for t in texts if any(trigger in t for trigger in triggers)]
    # a start marker, and no state filled: nothing reads as "the current state"
    assert "start__login" in [t.text for t in root.iter(f"{SVG}title")]
    shapes = [e for tag in ("polygon", "path", "ellipse") for e in root.iter(f"{SVG}{tag}")]
    fills = {e.get("fill") for e in shapes}
    assert fills <= {"none", "white", "black", "#000000", "#ffffff"}, fills


def test_several_transitions_between_two_states_are_one_edge(flow_set: FlowSet) -> None:
    for name in diagram_names(flow_set):
        drawn = picture(flow_set, name)
        for region in drawn.regions:
            pairs = [(e.source, e.dest) for e in region.edges]
            assert len(pairs) == len(set(pairs)), name
            loops = [e for n in region.nodes for e in n.loops]
            assert all(len(n.loops) <= 1 for n in region.nodes), name
            drawn_transitions = sorted(
                t.name for e in [*region.edges, *loops] for t in e.transitions
            )
            flows = [flow_set.flows[name]] if name != OVERVIEW else flow_set.flows_of(region.id)
            expected = sorted(t.name for f in flows for t in f.transitions for _ in t.sources)
            assert drawn_transitions == expected, name
    # login's three refusals on Please Sign-In: one line in its box, three guards under it;
    # then the portal's address, which stays there too
    login_page = next(
        n for n in picture(flow_set, "login").regions[0].nodes if n.state == "login_page"
    )
    assert [line.text for line in login_page.loops[0].lines] == [
        "click Login",
        "if account locked",
        "if failure reaches lockout threshold",
        "unless failure reaches lockout threshold",
        "open portal",
    ]


def test_styles_colour_and_link_each_transition(flow_set: FlowSet, dot: str) -> None:
    styles = _styled(flow_set)
    root = _svg(draw(flow_set, "password_reset", "svg", styles))
    links = {a.get(f"{XLINK}href") for a in root.iter(f"{SVG}a")}
    for t in flow_set.flows["password_reset"].transitions:  # arrows and lines in boxes alike
        assert styles[t.name].href in links, t.name
    strokes = {e.get("stroke") for e in root.iter(f"{SVG}path")}
    assert {"#2ca02c", "#d62728"} <= strokes
    titles = {a.get(f"{XLINK}title") for a in root.iter(f"{SVG}a")}
    assert "password_reset.update_password: covered by" in " ".join(filter(None, titles))
    # unmerged: one edge per transition and source
    drawn = picture(flow_set, "login", styles)
    loops = [e for n in drawn.regions[0].nodes for e in n.loops]
    assert all(len(e.transitions) == 1 for e in [*drawn.regions[0].edges, *loops])
    with pytest.raises(DiagramError, match="Mermaid"):
        draw(flow_set, "login", "mermaid", {})


def test_one_machine_to_stdout_or_to_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagram", "--machine", "lockout"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('---\ntitle: "lockout"\n---\nstateDiagram-v2\n')
    assert out.count("stateDiagram-v2") == 1 and "[*] --> unlocked" in out
    assert "fail login" in out and "if auto unlock due" in out
    assert main(["diagram", "-m", "overview", "-o", str(tmp_path / "all.svg")]) == 0
    _svg((tmp_path / "all.svg").read_bytes())  # the format from the suffix
    assert main(["diagram", "-m", "login", "-f", "dot", "-o", str(tmp_path)]) == 0
    assert (tmp_path / "login.dot").read_text(encoding="utf-8").startswith("digraph login {")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["diagram"], "give -o DIR for every one, or --machine NAME"),
        (["diagram", "--machine", "nope"], "no machine 'nope'"),
        (["diagram", "-o", "pyproject.toml"], "not a directory"),
    ],
)
def test_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_missing_dot_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["diagram", "-m", "login", "-f", "png", "-o", str(tmp_path / "x.png")]) == 1
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def _mmdc() -> str | None:
    return os.environ.get("RPP_MMDC") or shutil.which("mmdc")


@pytest.mark.skipif(
    _mmdc() is None,
    reason="Mermaid's CLI is not here: set RPP_MMDC to an mmdc (README, 'rpp diagram')",
)
def test_every_mermaid_document_parses_in_mermaid(tmp_path: Path) -> None:
    named = os.environ.get("RPP_CHROMIUM", "")
    chromium = named if Path(named).is_file() else shutil.which("chromium")
    if chromium is None:
        pytest.skip("mmdc needs a Chromium: Debian's chromium, or RPP_CHROMIUM")
    config = tmp_path / "puppeteer.json"
    config.write_text(json.dumps({"executablePath": chromium, "args": ["--no-sandbox"]}))

    def mmdc(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
        command = [str(_mmdc()), "-q", "-p", str(config), "-i", str(source), "-o", str(out)]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert main(["diagram", "-o", str(tmp_path)]) == 0
    for name in NAMES:
        done = mmdc(tmp_path / f"{name}.mmd", tmp_path / f"{name}.svg")
        assert done.returncode == 0, f"{name}.mmd: {done.stderr}"
        title = "overview: every flow" if name == OVERVIEW else name
        assert title in _texts(_svg((tmp_path / f"{name}.svg").read_bytes()))
    # and the parser does refuse what the old `rpp diagram` wrote: documents run together
    both = tmp_path / "both.mmd"
    both.write_text((tmp_path / "login.mmd").read_text() + (tmp_path / "lockout.mmd").read_text())
    assert mmdc(both, tmp_path / "both.svg").returncode != 0
