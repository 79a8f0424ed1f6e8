"""The report's content, built from the flows and what the last runs left: per guide ID
what implements it and what checks it, per transition what covered it, and the runs'
figures. Plain data for the template (:mod:`specs.report.page`); nothing here renders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from specs.authority import (
    SCREEN_ELEMENTS,
    Authority,
    of_email_part,
    of_screen,
    of_text,
)
from specs.diagram import EdgeStyle
from specs.guide import ID_PATTERN
from specs.model import FlowSet, TransitionSpec, Where
from specs.report.inputs import (
    FeatureRun,
    JourneyRecord,
    MutationRecord,
    SimulationRecord,
    VerifyRecord,
)
from specs.trace import trace

__all__ = [
    "COVERAGE",
    "AuthorityRow",
    "GuideEntry",
    "Inputs",
    "ReportContent",
    "ScenarioRef",
    "TransitionEntry",
    "authorities",
    "build",
    "edge_styles",
    "hints",
    "yaml_excerpt",
]

# What covered a transition -> (colour, words for the legend), best first.
COVERAGE: Mapping[str, tuple[str, str]] = {
    "scenario": ("#1a7f37", "fired by a passing scenario"),
    "journey": ("#0969da", "walked by a passing verify journey only"),
    "nothing": ("#cf222e", "covered by nothing the report read"),
}
_GUIDE_ID = re.compile(rf"\b{ID_PATTERN}\b")


@dataclass
class Inputs:
    """What the report read; None for each file that was absent."""

    verify: VerifyRecord | None = None
    features: FeatureRun | None = None
    scenarios: dict[str, list[str]] | None = None  # scenarios.json: guide ID -> passing
    transitions: dict[str, list[str]] | None = None  # transitions.json: transition -> passing
    mutation: MutationRecord | None = None
    simulation: SimulationRecord | None = None
    tagged: dict[str, list[str]] = field(default_factory=dict)  # the feature files' tags
    paths: dict[str, str] = field(default_factory=dict)  # input -> the path it was read from


@dataclass(frozen=True)
class ScenarioRef:
    name: str
    result: str  # passed, failed, skipped, not run
    failed_step: str | None = None


@dataclass
class TransitionEntry:
    spec: TransitionSpec
    coverage: str  # a key of COVERAGE
    scenarios: list[ScenarioRef]
    journeys: list[JourneyRecord]
    excerpt: list[tuple[int, str]]  # (line number, line) of its YAML

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def anchor(self) -> str:
        return f"t-{self.spec.name}"


@dataclass
class GuideEntry:
    guide_id: str
    words: str
    transitions: list[str]
    implemented_by: list[str]  # "text account_locked", "state lockout.locked", ...
    scenarios: list[ScenarioRef]
    journeys: list[JourneyRecord]  # those that walk a transition implementing it
    decisions: list[str]  # decision keys

    @property
    def passed(self) -> list[str]:
        return [s.name for s in self.scenarios if s.result == "passed"]


@dataclass(frozen=True)
class AuthorityRow:
    """One expectation and why: a text, a screen element, an email line."""

    part: str  # "texts", "screens", "emails"
    what: str  # "text login_failed", "screen welcome: title", "email username: subject"
    expected: str  # what the portal must show or send
    authority: Authority
    where: Where


@dataclass
class ReportContent:
    flow_set: FlowSet
    inputs: Inputs
    guide: list[GuideEntry]
    transitions: dict[str, TransitionEntry]  # by name, in file order
    missing: list[tuple[str, str]]  # (what is missing, how to produce it)
    authorities: list[AuthorityRow] = field(default_factory=list)


def _screen_elements(flow_set: FlowSet, name: str) -> list[tuple[str, str, str | None]]:
    """A screen's (element, what it shows, label) rows: the title, then each label."""
    screen = flow_set.portal.screens[name]
    rows: list[tuple[str, str, str | None]] = [("title", screen.title, None)]
    shown = {
        "texts": screen.texts,
        "menus": screen.menus,
        "fields": screen.fields,
        "buttons": screen.buttons,
        "links": screen.links,
    }
    for element in SCREEN_ELEMENTS:
        for label in shown.get(element, ()):
            rows.append((element, label, label))
    for menu, links in screen.menu_links.items():
        rows.append(("menu_links", f"{menu} › {', '.join(links)}", menu))
    return rows


def authorities(flow_set: FlowSet) -> list[AuthorityRow]:
    """Every text, screen element and email line of the flows with its authority."""
    portal = flow_set.portal
    rows = [
        AuthorityRow("texts", f"text {key}", text.text, of_text(portal, key), text.where)
        for key, text in portal.texts.items()
    ]
    for name, screen in portal.screens.items():
        for element, shown, label in _screen_elements(flow_set, name):
            where = screen.decided_where.get(label or element) or screen.decided_where.get(
                element, screen.where
            )
            rows.append(
                AuthorityRow(
                    "screens",
                    f"screen {name}: {element}",
                    shown,
                    of_screen(portal, name, element, label),
                    where,
                )
            )
    for key, email in portal.emails.items():
        parts = [
            ("subject", email.subject),
            *((f"line {i + 1}", p) for i, p in enumerate(email.body)),
        ]
        for name, part in parts:
            rows.append(
                AuthorityRow(
                    "emails",
                    f"email {key}: {name}",
                    part.text,
                    of_email_part(portal, part),
                    part.where or email.where,
                )
            )
    return rows


def yaml_excerpt(path: str, line: int, column: int) -> list[tuple[int, str]]:
    """The lines of the YAML mapping whose first key is at ``line``:``column`` (a
    transition's ``id``, after its list dash): up to the next line indented less than
    that key, blank lines at the end left out; none when the file cannot be read."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    if not 0 < line <= len(lines):
        return []
    out = [(line, lines[line - 1])]
    for number in range(line + 1, len(lines) + 1):
        text = lines[number - 1]
        if text.strip() and len(text) - len(text.lstrip()) < column - 1:
            break
        out.append((number, text))
    while out and not out[-1][1].strip():
        out.pop()
    return out


def _results(inputs: Inputs) -> dict[str, ScenarioRef]:
    """Every scenario's last result: Cucumber JSON when read, else the gate's passing lists."""
    refs: dict[str, ScenarioRef] = {}
    if inputs.features is not None:
        failed_steps: dict[str, str] = {}
        for s in inputs.features.scenarios:
            if s.failed_step and s.name not in failed_steps:
                failed_steps[s.name] = s.failed_step
        for name, result in inputs.features.results_by_name().items():
            refs[name] = ScenarioRef(name, result, failed_steps.get(name))
    for names in [*(inputs.scenarios or {}).values(), *(inputs.transitions or {}).values()]:
        for name in names:
            refs.setdefault(name, ScenarioRef(name, "passed"))
    return refs


def _tagged(inputs: Inputs) -> dict[str, list[str]]:
    """Tag (guide ID or decision-key) -> scenarios carrying it: from the last run's
    Cucumber JSON when read, else the feature files' tags."""
    if inputs.features is None:
        return inputs.tagged
    out: dict[str, list[str]] = {}
    for s in inputs.features.scenarios:
        for tag in s.tags:
            if s.name not in out.setdefault(tag, []):
                out[tag].append(s.name)
    return out


def _decisions(flow_set: FlowSet, gid: str, notes: list[str], tagged: set[str]) -> list[str]:
    """The decisions behind a guide ID: those that cite it, those a note of what
    implements it names, and those its scenarios check (``@decision-<key>``)."""
    out = []
    for key, d in flow_set.portal.decisions.items():
        words = f"{d.question} {d.decision} {d.rationale}"
        if (
            gid in _GUIDE_ID.findall(words)
            or any(re.search(rf"\b{re.escape(key)}\b", note) for note in notes)
            or key in tagged
        ):
            out.append(key)
    return out


def build(flow_set: FlowSet, inputs: Inputs) -> ReportContent:
    """Everything the page shows, from the flows and the runs' files."""
    results = _results(inputs)
    tagged = _tagged(inputs)
    journeys = inputs.verify.journeys if inputs.verify else []
    fired_by = inputs.transitions or {}

    transitions: dict[str, TransitionEntry] = {}
    for t in flow_set.transitions():
        scenarios = [results.get(n, ScenarioRef(n, "passed")) for n in fired_by.get(t.name, ())]
        walking = [j for j in journeys if t.name in j.covers]
        if any(s.result == "passed" for s in scenarios):
            coverage = "scenario"
        elif any(j.passed for j in walking):
            coverage = "journey"
        else:
            coverage = "nothing"
        excerpt = yaml_excerpt(t.where.path, t.where.line, t.where.column)
        transitions[t.name] = TransitionEntry(t, coverage, scenarios, walking, excerpt)

    notes_by_id: dict[str, list[str]] = {}
    for t in flow_set.transitions():
        for gid in t.guide:
            notes_by_id.setdefault(gid, []).append(t.note or "")
    for text in flow_set.portal.texts.values():
        for gid in text.guide:
            notes_by_id.setdefault(gid, []).append(text.note or "")

    guide = []
    for entry in trace(flow_set):
        gid = entry.guide_id
        names = list(dict.fromkeys([*tagged.get(gid, []), *(inputs.scenarios or {}).get(gid, [])]))
        scenarios = [results.get(n, ScenarioRef(n, "not run")) for n in names]
        implementing = [t.name for t in flow_set.transitions() if gid in t.guide]
        decision_tags = {
            tag.removeprefix("decision-")
            for tag, carriers in tagged.items()
            if tag.startswith("decision-") and set(carriers) & set(names)
        }
        guide.append(
            GuideEntry(
                gid,
                entry.description,
                implementing,
                [what for what in entry.implemented_by if not what.startswith("transition ")],
                scenarios,
                [j for j in journeys if gid in j.guide or set(implementing) & set(j.covers)],
                _decisions(flow_set, gid, notes_by_id.get(gid, []), decision_tags),
            )
        )
    return ReportContent(
        flow_set, inputs, guide, transitions, _missing(inputs), authorities(flow_set)
    )


def hints(inputs: Inputs) -> dict[str, tuple[str, str]]:
    """Each input -> (what it is, where it was looked for; the command that writes it
    there), with the paths the report was given (``--reports``, ``--simulation``)."""
    paths = {
        "verify": "reports/verify.json",
        "features": "reports/cucumber.json",
        "scenarios": "reports/scenarios.json",
        "transitions": "reports/transitions.json",
        "mutation": "reports/mutate.json",
        "simulation": "reports/simulation",
    } | inputs.paths
    # `make` writes the default paths; elsewhere, the command given that path
    make = {
        key: paths[key] == default
        for key, default in (
            ("verify", "reports/verify.json"),
            ("features", "reports/cucumber.json"),
            ("mutation", "reports/mutate.json"),
        )
    }
    gate = "a run of every feature: make unit, or pytest tests/test_features.py"
    out = {
        "verify": (
            f"the last rpp verify ({paths['verify']})",
            ("make run, or " if make["verify"] else "") + f"rpp verify --json {paths['verify']}",
        ),
        "features": (
            f"the last feature run ({paths['features']})",
            ("make unit, or " if make["features"] else "")
            + f"pytest --cucumber-report={paths['features']}",
        ),
        "mutation": (
            f"the last rpp mutate ({paths['mutation']})",
            ("make mutate, or " if make["mutation"] else "")
            + f"rpp mutate --json {paths['mutation']}",
        ),
        "simulation": (
            f"a simulation ({paths['simulation']}/summary.json)",
            f"rpp simulate --out {paths['simulation']}",
        ),
    }
    for key, what in (
        ("scenarios", "the coverage gate's passing scenarios per guide ID"),
        ("transitions", "the coverage gate's passing scenarios per transition"),
    ):
        written = f"reports/{key}.json"  # the gate writes it there, under the working directory
        where = "" if paths[key] == written else f" (it writes {written}: copy it there)"
        out[key] = (f"{what} ({paths[key]})", gate + where)
    return out


def _missing(inputs: Inputs) -> list[tuple[str, str]]:
    """What the report could not read, and the command that writes it."""
    known = hints(inputs)
    order = ("verify", "features", "scenarios", "transitions", "mutation", "simulation")
    return [known[key] for key in order if getattr(inputs, key) is None]


def edge_styles(content: ReportContent) -> dict[str, EdgeStyle]:
    """Each transition coloured by what covered it, its tooltip saying so, its link to
    its entry on the page."""
    styles = {}
    for name, entry in content.transitions.items():
        color, words = COVERAGE[entry.coverage]
        passing = sum(1 for s in entry.scenarios if s.result == "passed")
        walked = sum(1 for j in entry.journeys if j.passed)
        tooltip = (
            f"{name} ({', '.join(entry.spec.guide)}): {words}; {passing} passing scenario(s),"
            f" {walked} passing verify journey(s). Click for its YAML and scenarios."
        )
        styles[name] = EdgeStyle(color, tooltip, f"#{entry.anchor}")
    return styles
