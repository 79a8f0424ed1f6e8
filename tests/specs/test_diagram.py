"""`rpp diagram`: one document per diagram, each read by the tool that renders it.

Every DOT file goes through the real ``dot`` (Debian's graphviz, which `make` installs):
no error, no warning, one SVG, and nothing overlapping in its layout. Every Mermaid
file goes through Mermaid's own CLI (``mmdc``, which ``make`` installs into node_modules;
``$RPP_MMDC`` may name another) driving Debian's Chromium: each state's box titled with
its name, no edge label on another.
"""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.image
import pytest

from simulator.cli import main
from specs import FlowSet
from specs.diagram import OVERVIEW, EdgeStyle, diagram_names, draw, picture
from tests.specs import mermaid_layout
from tests.specs.diagram_layout import layout_problems, run_dot

ROOT = Path(__file__).resolve().parents[2]
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
    for expected in (
        "login",
        "Please Sign-In",
        "click Login",
        "choose State",
        "2nd if state offered",
    ):
        assert expected in texts, f"{expected!r} not in {texts}"
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
    # login's four refusals on Please Sign-In: one line in its box, their guards under it;
    # then the portal's address, which stays there too
    login_page = next(
        n for n in picture(flow_set, "login").regions[0].nodes if n.state == "login_page"
    )
    assert [line.text for line in login_page.loops[0].lines] == [
        "click Login",
        "unless empty login counts",
        "or login fields given",
        "if account locked",
        "if failure reaches lockout threshold",
        "unless failure reaches lockout threshold",
        "open portal",
    ]


def _ranked(lines: list[str]) -> list[str]:
    """The lines that start a rule (``2nd if ...``), without their wrapped rest."""
    return [line.strip() for line in lines if line.strip()[:1].isdigit()]


@pytest.mark.parametrize("fmt", ["svg", "mermaid"])
def test_the_login_diagram_shows_the_order_rules_are_tried(flow_set: FlowSet, fmt: str) -> None:
    """Read alone, the picture says a locked account is refused (the box's 3rd rule)
    before the password is checked (the arrow's 4th): each rule of Click Login carries
    its place in the file, in Graphviz's picture and in Mermaid's alike."""
    if fmt == "svg":
        root = _svg(draw(flow_set, "login", "svg"))
        drawn = [_texts(g) for g in root.iter(f"{SVG}g") if g.get("class") in ("node", "edge")]
        box = next(texts for texts in drawn if "login_page" in texts)
        arrow = next(texts for texts in drawn if texts[:1] == ["click Login"])
        assert "1st, 2nd, …: the order in which a control's rules are tried" in " ".join(
            _texts(root)
        )
    else:
        source = draw(flow_set, "login", "mermaid").decode().splitlines()
        box = [
            part
            for line in source
            if "    login_page : " in line
            for part in line.split(" : ", 1)[1].split("<br/>")
        ]
        arrow = next(line for line in source if "login_page --> welcome :" in line)
        arrow = arrow.split(" : ", 1)[1].split("<br/>")
        assert "the order in which a control's rules are tried" in source[1]
    ranked_box, ranked_arrow = _ranked(box), _ranked(arrow)
    assert [" ".join(line.split()[:3]) for line in ranked_box] == [
        "1st unless empty",
        "3rd if account",
        "5th if failure",
        "6th unless failure",
    ], box
    assert ranked_arrow[0].startswith("2nd if temporary password"), arrow
    assert ranked_arrow[1].startswith("4th if credentials"), arrow
    # a wrapped guard goes on under its phrase (indented), never as a rule of its own
    rest = [line for line in box if "threshold" in line and not line.strip()[:1].isdigit()]
    assert rest and all(line[:1] in (" ", "\u00a0") or fmt == "svg" for line in rest), box


def test_a_wrapped_rule_keeps_its_rank_and_hangs_under_its_phrase() -> None:
    from specs.diagram.labels import wrap

    lines = wrap("unless failure reaches lockout threshold", "5th ", " " * 7, 26)
    assert lines == ["5th unless failure reaches", "       lockout threshold"]


def test_a_file_named_for_another_format_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, message in (
        (["-m", "login", "-o", str(tmp_path / "x.txt")], "suffix .txt does not say"),
        (["-m", "login", "-o", str(tmp_path / "login")], "suffix (none) does not say"),
        (["-m", "login", "-f", "png", "-o", str(tmp_path / "x.svg")], "--format png writes .png"),
        (["-o", str(tmp_path / "all.mmd")], "without --machine -o names a directory"),
    ):
        assert main(["diagram", *argv]) == 2, argv
        assert message in capsys.readouterr().err, argv
    assert list(tmp_path.iterdir()) == []  # nothing written
    assert main(["diagram", "-m", "login", "-f", "dot", "-o", str(tmp_path / "x.dot")]) == 0


@pytest.fixture(scope="module")
def mmdc(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Mermaid's CLI and the puppeteer configuration that points it at Chromium."""
    found = os.environ.get("RPP_MMDC") or shutil.which(
        "mmdc", path=str(ROOT / "node_modules" / ".bin")
    )
    if found is None:
        pytest.fail(
            "Mermaid's CLI is missing: `make node_modules/.installed-stamp` (npm) installs it"
        )
    named = os.environ.get("RPP_CHROMIUM", "")
    if not named:
        return found, ROOT / "puppeteer-config.json"  # Debian's /usr/bin/chromium
    config = tmp_path_factory.mktemp("mmdc") / "puppeteer.json"
    config.write_text(json.dumps({"executablePath": named, "args": ["--no-sandbox"]}))
    return found, config


def _states(flow_set: FlowSet, name: str) -> dict[str, str]:
    """Node id -> state name, for every state the diagram draws."""
    return {n.id: n.state for r in picture(flow_set, name).regions for n in r.nodes}


def test_every_mermaid_document_renders_states_named_and_labels_apart(
    tmp_path: Path, flow_set: FlowSet, mmdc: tuple[str, Path]
) -> None:
    assert main(["diagram", "-o", str(tmp_path)]) == 0
    for name in NAMES:
        done = mermaid_layout.run_mmdc(*mmdc, tmp_path / f"{name}.mmd", tmp_path / f"{name}.svg")
        assert done.returncode == 0, f"{name}.mmd: {done.stderr}"
        svg = (tmp_path / f"{name}.svg").read_text(encoding="utf-8")
        title = "overview: every flow" if name == OVERVIEW else name
        assert any(t.startswith(title) for t in _texts(_svg(svg))), name
        assert len(mermaid_layout.edge_labels(svg)) > 1, name  # the check reads labels
        assert mermaid_layout.layout_problems(svg, _states(flow_set, name)) == [], name
    # and the parser does refuse what the old `rpp diagram` wrote: documents run together
    both = tmp_path / "both.mmd"
    both.write_text((tmp_path / "login.mmd").read_text() + (tmp_path / "lockout.mmd").read_text())
    assert mermaid_layout.run_mmdc(*mmdc, both, tmp_path / "both.svg").returncode != 0


# What the old writer did, in two small files: a state first met in a description line
# (Mermaid 11 titles its box with that line), and Mermaid's default curve, which moves
# the labels of two edges between the same states in both directions onto each other.
NAMELESS = """\
stateDiagram-v2
    state "Please Sign-In<br/>login_page" as login_page
    locked : ↻ fail login
    locked : unless failure reaches lockout threshold
    [*] --> login_page
    login_page --> locked : fail login
"""
CROWDED = """\
stateDiagram-v2
    [*] --> login_page
    login_page --> welcome : click Login<br/>1st if temporary password<br/>3rd if credentials accepted
    welcome --> login_page : choose State<br/>1st if session ended
    welcome --> selected : choose State
    selected --> login_page : choose State<br/>1st if session ended
"""
OUR_CURVE = "---\nconfig:\n  flowchart:\n    curve: monotoneY\n---\n"


def _problems(tmp_path: Path, mmdc: tuple[str, Path], name: str, text: str) -> list[str]:
    source = tmp_path / f"{name}.mmd"
    source.write_text(text, encoding="utf-8")
    done = mermaid_layout.run_mmdc(*mmdc, source, tmp_path / f"{name}.svg")
    assert done.returncode == 0, done.stderr
    svg = (tmp_path / f"{name}.svg").read_text(encoding="utf-8")
    states = {"login_page": "login_page", "welcome": "welcome", "locked": "locked"}
    return mermaid_layout.layout_problems(svg, {k: v for k, v in states.items() if k in text})


def test_the_mermaid_checks_catch_a_nameless_state_and_labels_on_each_other(
    tmp_path: Path, flow_set: FlowSet, mmdc: tuple[str, Path]
) -> None:
    assert _problems(tmp_path, mmdc, "nameless", NAMELESS) == [
        "state 'locked' (locked): its box is titled '↻ fail login'"
    ]
    assert _problems(tmp_path, mmdc, "crowded", CROWDED) == [
        "edge label 'click Login\\n1st if temporary password\\n3rd if credentials accepted'"
        " (edge1) lies on 'choose State\\n1st if session ended' (edge2)"
    ]
    # the front matter rpp diagram writes keeps the same labels apart
    assert _problems(tmp_path, mmdc, "apart", OUR_CURVE + CROWDED) == []
    assert "  flowchart:\n    curve: monotoneY\n" in draw(flow_set, "login").decode()
