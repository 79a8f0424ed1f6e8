"""The report as one HTML page that works from ``file://``: the template
(``templates/index.html.j2``) filled with :class:`specs.report.build.ReportContent`, its
style and script inlined, each machine's diagram inlined as SVG (drawn by Graphviz's
``dot`` with every transition coloured by what covered it) and the simulation's pictures
inlined as ``data:`` URIs, and the flow files themselves inlined, each line an anchor
the page links to. Nothing is fetched (the page's Content-Security-Policy forbids it)
and no link leaves the page, so a copy of it moved anywhere (a CI artifact) works.
Its parts after the summary are collapsed: the page opens short, and a link or a
search opens the part it leads into.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from specs.diagram import draw
from specs.report.build import COVERAGE, ReportContent, edge_styles, hints
from specs.report.departures import EXPECTED_COLOR, INSTEAD_COLOR, departure_drawing

__all__ = ["PAGE", "render_page", "write_page"]

PAGE = "index.html"
TEMPLATES = Path(__file__).with_name("templates")


def _inline_svg(svg: bytes, prefix: str) -> Markup:
    """``dot``'s SVG as an element of the page: no XML prolog or doctype, and its
    element ids prefixed so that two diagrams' ``node1`` do not collide."""
    text = svg.decode("utf-8")
    text = text[text.index("<svg") :]
    text = re.sub(r'\bid="', f'id="{prefix}-', text)
    return Markup(text)  # dot's own output: it escapes every label


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _written(path: str | None) -> str:
    """When a file was last written, in UTC, for "the last run" labels."""
    if not path or not Path(path).exists():
        return ""
    stamp = dt.datetime.fromtimestamp(Path(path).stat().st_mtime, dt.UTC)
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def _flow_files(content: ReportContent) -> dict[str, list[str]]:
    """Each flow file's name (``login.yaml``) -> its lines, portal.yaml first."""
    paths = [content.flow_set.portal.path, *(f.path for f in content.flow_set.flows.values())]
    files = {}
    for path in dict.fromkeys(paths):
        try:
            files[Path(path).name] = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            files[Path(path).name] = []
    return files


def _line_anchor(path: str, line: int = 0) -> str:
    """The id of a line of an inlined flow file (of the file itself for line 0)."""
    name = Path(path).name
    return f"file-{name}" if line == 0 else f"L-{name}-{line}"


def render_page(content: ReportContent) -> str:
    """The page's HTML."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    styles = edge_styles(content)
    diagrams = {
        machine: _inline_svg(draw(content.flow_set, machine, "svg", styles), f"d-{machine}")
        for machine in content.flow_set.flows
    }
    departures = []  # each departure, drawn on its machine (specs/report/departures.py)
    for number, departure in enumerate(
        content.inputs.verify.departures if content.inputs.verify else [], 1
    ):
        drawing = departure_drawing(content.flow_set, departure)
        svg = None
        if drawing is not None:
            drawn = draw(content.flow_set, drawing.machine, "svg", drawing.styles)
            svg = _inline_svg(drawn, f"departure-{number}")
        departures.append((departure, drawing, svg))
    simulation = content.inputs.simulation
    plots = [(p.name, _data_uri(p)) for p in simulation.plots] if simulation else []
    return environment.get_template("index.html.j2").render(
        c=content,
        inputs=content.inputs,
        flow_set=content.flow_set,
        coverage=COVERAGE,
        diagrams=diagrams,
        plots=plots,
        departures=departures,
        expected_color=EXPECTED_COLOR,
        instead_color=INSTEAD_COLOR,
        written={key: _written(path) for key, path in content.inputs.paths.items()},
        style=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        script=Markup((TEMPLATES / "report.js").read_text(encoding="utf-8")),
        hints=hints(content.inputs),
        flow_files=_flow_files(content),
        line_anchor=_line_anchor,
        file_name=lambda path: Path(path).name,
        percent=lambda score: f"{score:.0%}" if isinstance(score, int | float) else "",
    )


def write_page(content: ReportContent, out: Path) -> Path:
    """Write the page into directory ``out`` (made if needed); its path."""
    out.mkdir(parents=True, exist_ok=True)
    page = out / PAGE
    page.write_text(render_page(content), encoding="utf-8")
    return page
