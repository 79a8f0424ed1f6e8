"""``features/STEPS.md``: every step pattern, generated from pytest-bdd's step registry,
each with an example from the feature files, then the page titles, the texts steps name
by key or guide ID, and the decision tags, from ``flows/portal.yaml``. Beside it,
``features/steps.json``: the same steps as regular expressions, which `rpp trace` reads
to list only the scenarios that run (``specs/scenarios.py`` does not import the steps).

    .venv/bin/python -m tests.bdd.catalog          # rewrite both
    .venv/bin/python -m tests.bdd.catalog --check  # exit 1 when either is out of date
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

from specs import load_flows
from specs.model import PortalSpec
from specs.scenarios import STEP_CATALOGUE
from tests.bdd.tags import (
    DECISION_TAG,
    FEATURES_DIR,
    SECTIONS,
    feature_paths,
    parse_feature,
    relative_name,
)
from tests.bdd.texts import named_texts
from tests.bdd.vocabulary import VALUE_PHRASES, Template
from tests.bdd.world import PRODUCER_COLUMNS
from tests.steps import STEP_MODULES

__all__ = [
    "STEPS_FILE",
    "FeatureStep",
    "StepDefinition",
    "feature_steps",
    "render",
    "render_catalogue",
    "steps",
]

STEPS_FILE = FEATURES_DIR / "STEPS.md"


@dataclass(frozen=True)
class StepDefinition:
    """One step pattern of the vocabulary."""

    module: str
    kind: str  # given, when, then
    template: str
    doc: str
    context: StepFunctionContext

    def matches(self, step: FeatureStep) -> bool:
        return step.kind == self.kind and self.context.parser.is_matching(step.text)


@dataclass(frozen=True)
class FeatureStep:
    """A step as a scenario runs it (an outline's with its first example filled in)."""

    kind: str
    text: str
    where: str  # file:line
    extra: str  # "", " + table" or " + text block"


def steps() -> list[StepDefinition]:
    """Every step of tests/steps, in STEP_MODULES order, then source order."""
    for module in STEP_MODULES:
        importlib.import_module(module)
    found: list[tuple[int, int, StepDefinition]] = []
    for context in list(step_function_context_registry.values()):
        module = context.step_func.__module__
        if module not in STEP_MODULES or not isinstance(context.parser, Template):
            continue
        doc = " ".join((context.step_func.__doc__ or "").split())
        definition = StepDefinition(
            module, context.type or "step", context.parser.template, doc, context
        )
        line = context.step_func.__code__.co_firstlineno
        found.append((STEP_MODULES.index(module), line, definition))
    found.sort(key=lambda item: (item[0], item[1], item[2].template))
    return [definition for _, _, definition in found]


def feature_steps(features_dir: Path = FEATURES_DIR) -> Iterator[FeatureStep]:
    """Every step of every scenario (backgrounds included), as it runs, of every feature
    file under ``features_dir`` (the sections' files first)."""
    for path in feature_paths(features_dir):
        file = relative_name(path, features_dir)
        for template in parse_feature(path).scenarios.values():
            contexts = [c for ex in template.examples for c in ex.as_contexts()] or [{}]
            for context in contexts:
                for step in template.render(context).steps:
                    extra = (
                        " + table"
                        if step.datatable is not None
                        else " + text block"
                        if step.docstring is not None
                        else ""
                    )
                    yield FeatureStep(step.type, step.name, f"{file}:{step.line_number}", extra)


def _module_doc(module: str) -> str:
    doc = importlib.import_module(module).__doc__ or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def _pattern(definition: StepDefinition) -> str:
    parser = definition.context.parser
    assert isinstance(parser, Template)  # steps() keeps only those
    return parser.regex.pattern


def render_catalogue() -> str:
    """The text of features/steps.json: each step's kind, template and regular expression."""
    entries = [{"kind": d.kind, "template": d.template, "pattern": _pattern(d)} for d in steps()]
    document = {
        "about": "The step definitions of tests/steps as regular expressions, for `rpp trace`;"
        " generated with features/STEPS.md by `python -m tests.bdd.catalog`.",
        "steps": entries,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " / ")


def _spec_lists(portal: PortalSpec) -> list[str]:
    """STEPS.md's lists from portal.yaml: page titles, texts by name, decision tags."""
    lines = [
        "",
        "## Page titles",
        "",
        'What `the producer sees the "..." page` and `the producer is on the "..." page`'
        " take, with the screen of `flows/portal.yaml` and its guide IDs.",
        "",
        "| Title | Screen | Guide IDs |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {screen.title} | `{screen.name}` | {', '.join(screen.guide)} |"
        for screen in portal.screens.values()
    ]
    lines += [
        "",
        "## Texts and messages by name",
        "",
        "A step may name a text of `flows/portal.yaml` by its key (`the page shows the",
        "account_locked message`) or by a guide ID that only one text of the kind carries",
        "(`the page shows the LOCK-1 message`), instead of quoting it. The kind says where",
        "the text appears: a message above a form, a page text, or an email paragraph.",
        "",
        "| Key | Guide IDs | Kind | Text |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| `{named.key}` | {', '.join(named.text.guide)} | {named.kind} | {_cell(named.text.text)} |"
        for named in named_texts(portal)
    ]
    lines += [
        "",
        "## Decision tags",
        "",
        "Tag a scenario that checks a decision taken where the guide is silent; the",
        "decision's one-line rationale, from `flows/portal.yaml`:",
        "",
    ]
    lines += [
        f"- `@{DECISION_TAG}{key}`: {decision.rationale}"
        for key, decision in portal.decisions.items()
    ]
    return lines


def render() -> str:
    """The text of features/STEPS.md."""
    definitions = steps()
    examples: dict[tuple[str, str], FeatureStep] = {}
    for step in feature_steps():
        for definition in definitions:
            key = (definition.kind, definition.template)
            if key not in examples and definition.matches(step):
                examples[key] = step
    lines = [
        "# Step vocabulary",
        "",
        "Every step the feature files can use, generated from the step registry by",
        "`.venv/bin/python -m tests.bdd.catalog` (`tests/test_steps_doc.py` fails when this",
        "file is out of date). A new scenario needs no new Python when it is written with",
        "these steps. Each step comes with an example from `features/`.",
        "",
        "## Writing steps",
        "",
        "- Texts the portal shows or sends are quoted in the guide's own words, letter for",
        "  letter: the step compares the portal's text with the quote.",
        "- On a team's portal (`--target MODULE:CALLABLE`, README \"A team's own portal\") the",
        "  same steps compare as `rpp verify --decisions guide` does: a text the guide gives",
        "  must be contained in the page (whitespace not compared), a reconstructed one must",
        "  contain the guide's words, a decided one is checked exactly when the team's",
        "  `--decisions` file words it, else listed as a decision the portal makes",
        "  differently (a `DecisionDiffers` warning and the run's summary), never failed;",
        "  labels, menus and titles by containment (what the page adds is fine). Scenarios",
        "  of a behaviour reading the team does not take, or needing what its target lacks",
        "  (a spam folder), are skipped saying so.",
        '- `"..."` is a quoted string; `{name:text}` marks a quote that may hold double quotes.',
        "- `{name:value}` is what the producer types: a quoted string or one of these phrases:",
        "",
    ]
    lines += [f"  - `{phrase}`: {meaning}" for phrase, meaning in VALUE_PHRASES.items()]
    lines += [
        "",
        '- `{name:list}` is one or more quoted strings: `"A"`, `"A" and "B"`, `"A", "B" and "C"`.',
        "- `{name:int}` is a whole number; `{name:date}` a date as the guide writes it",
        "  (`May 1, 2019`, `Jan 1, 2020`, `April 30, 2019`); `{name:a|b}` one of the words given.",
        "- Producer tables take the columns "
        + ", ".join(f"`{column}`" for column in PRODUCER_COLUMNS)
        + " (yes or no); Faker fills the columns left out.",
        "- In a Scenario Outline, an Examples cell stands for what the step has at `<column>`:",
        '  write a value with its quotes in the cell (`| "Qa 2019ab" |`, spaces kept, inside',
        "  and around), a value phrase without (`| their password |`, `| nothing |`), and the",
        "  step without quotes around `<column>` (`logs in with <password>`); a cell without",
        "  quotes that is no value phrase makes that example's step undefined.",
        "- Mail: `receives an email` is exactly one new email, not counting the reset emails",
        "  Given steps asked for and no step read (when only those came, it reads the newest);",
        "  `receives another email` reads the newest unread one; `receives 2 emails` counts.",
        "- In `the email reads:`, `{temporary password}` stands for the password the email gives.",
        "- Tag each scenario with the guide IDs it checks (`@LOCK-2`) and, when it checks a",
        "  decision of `flows/portal.yaml`, `@decision-<key>`; the Feature line carries the",
        "  section tag (" + ", ".join(f"`@{section}`" for section in SECTIONS) + ").",
        "- A step no step definition matches fails its scenario alone, before any of its steps",
        "  runs (undefined), naming the closest steps of this list; the other scenarios of the file run.",
    ]
    current = ""
    for definition in definitions:
        if definition.module != current:
            current = definition.module
            name = current.rsplit(".", 1)[-1]
            lines += ["", f"## {name}", "", _module_doc(current), ""]
        keyword = definition.kind.capitalize()
        lines.append(f"- **{keyword}** `{definition.template}`")
        if definition.doc:
            lines.append(f"  {definition.doc}")
        example = examples.get((definition.kind, definition.template))
        if example is None:
            lines.append("  Example: NONE (no scenario uses this step)")
        else:
            lines.append(f"  Example: `{keyword} {example.text}`{example.extra} ({example.where})")
    lines += _spec_lists(load_flows().portal)
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    files = {STEPS_FILE: render(), STEP_CATALOGUE: render_catalogue()}
    if "--check" in args:
        stale = [
            path
            for path, text in files.items()
            if (path.read_text(encoding="utf-8") if path.exists() else "") != text
        ]
        for path in stale:
            print(f"{path} is out of date: run python -m tests.bdd.catalog")
        return 1 if stale else 0
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {STEPS_FILE} and {STEP_CATALOGUE.name} ({len(steps())} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
