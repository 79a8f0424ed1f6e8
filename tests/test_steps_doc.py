"""The step vocabulary, its documentation (features/STEPS.md), the feature files' tags,
and the coverage gate's verdicts."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from specs import FlowSet
from specs.scenarios import STEP_CATALOGUE, step_patterns
from tests.bdd.catalog import (
    STEPS_FILE,
    FeatureStep,
    feature_steps,
    render,
    render_catalogue,
    steps,
)
from tests.bdd.coverage import gate, scenarios_by_transition
from tests.bdd.routes import ROUTES
from tests.bdd.tags import (
    DECISION_TAG,
    FEATURES_DIR,
    SECTIONS,
    feature_paths,
    relative_name,
    scenarios_in,
)
from tests.bdd.texts import MESSAGE, named_texts, resolve
from tests.bdd.vocabulary import VALUE_PHRASES, Template


def test_steps_md_is_up_to_date() -> None:
    current = STEPS_FILE.read_text(encoding="utf-8") if STEPS_FILE.exists() else ""
    assert current == render(), (
        f"{STEPS_FILE} is out of date: run .venv/bin/python -m tests.bdd.catalog"
    )


def test_every_step_is_documented_and_used() -> None:
    definitions = steps()
    assert len(definitions) >= 40
    assert all(d.template in STEPS_FILE.read_text(encoding="utf-8") for d in definitions)
    used = list(feature_steps())
    unused = [f"{d.kind} {d.template}" for d in definitions if not any(d.matches(s) for s in used)]
    assert not unused, f"steps no scenario uses (use them or remove them): {unused}"


def test_every_feature_step_has_exactly_one_definition() -> None:
    definitions = steps()
    problems = []
    for step in feature_steps():
        matching = [d.template for d in definitions if d.matches(step)]
        if len(matching) != 1:
            problems.append(f"{step.where}: {step.kind} {step.text!r} matches {matching}")
    assert not problems, "\n".join(problems)


def test_every_value_phrase_is_used() -> None:
    texts = [s.text for s in feature_steps()]
    unused = [p for p in VALUE_PHRASES if not any(p in text for text in texts)]
    assert not unused, f"value phrases no scenario uses: {unused}"


def test_the_sections_come_first_in_order() -> None:
    """Any feature file runs (tests/bdd/binding.py); the guide's sections come first."""
    sections = [file for file, _ in SECTIONS.values()]
    on_disk = [relative_name(p, FEATURES_DIR) for p in feature_paths(FEATURES_DIR)]
    assert on_disk[: len(sections)] == sections
    files = [s.file for s in scenarios_in()]
    assert list(dict.fromkeys(files))[: len(sections)] == sections


def test_every_scenario_is_tagged_with_its_section_and_guide_ids(flow_set: FlowSet) -> None:
    known = {
        *SECTIONS,
        *flow_set.guide_ids,
        *(DECISION_TAG + key for key in flow_set.portal.decisions),
    }
    section_of = {file: section for section, (file, _) in SECTIONS.items()}
    problems = []
    for scenario in scenarios_in():
        where = f"{scenario.file}:{scenario.line} {scenario.name!r}"
        sections = scenario.tags & set(SECTIONS)
        expected = {section_of[scenario.file]} if scenario.file in section_of else set()
        if sections != expected:
            problems.append(f"{where}: section tags {sorted(sections)}")
        if not scenario.tags & set(flow_set.guide_ids):
            problems.append(f"{where}: no guide ID tag")
        unknown = scenario.tags - known
        if unknown:
            problems.append(f"{where}: unknown tags {sorted(unknown)}")
    names = Counter(s.name for s in scenarios_in())
    problems += [f"scenario name used {n} times: {name!r}" for name, n in names.items() if n > 1]
    assert not problems, "\n".join(problems)


def test_every_decision_has_a_scenario(flow_set: FlowSet) -> None:
    tagged = {tag for s in scenarios_in() for tag in s.tags}
    missing = [key for key in flow_set.portal.decisions if DECISION_TAG + key not in tagged]
    assert not missing, f"decisions of portal.yaml no scenario checks: {missing}"


def test_every_guide_id_has_a_scenario(flow_set: FlowSet) -> None:
    tagged = {tag for s in scenarios_in() for tag in s.tags}
    assert [g for g in flow_set.guide_ids if g not in tagged] == []


# -- the step template language ----------------------------------------------------------------


def test_templates_match_what_they_promise() -> None:
    text = Template('the page says "{text:text}"')
    assert text.parse_arguments('the page says "Click "Update Password" to save."') == {
        "text": 'Click "Update Password" to save.'
    }
    listed = Template("the page has the {kind:field|fields} {labels:list}")
    assert listed.parse_arguments('the page has the fields "A", "B" and "C"') == {
        "kind": "fields",
        "labels": ["A", "B", "C"],
    }
    value = Template("logs in with {password:value}")
    assert value.parse_arguments("logs in with the temporary password in upper case") == {
        "password": "the temporary password in upper case"
    }
    assert value.parse_arguments('logs in with "x" and more') is None
    when = Template("looks up on {on:date}")
    arguments = when.parse_arguments("looks up on Jan 1, 2020")
    assert arguments is not None and arguments["on"] == dt.date(2020, 1, 1)
    # A date prints as the guide writes it, never as datetime.date(2020, 1, 1).
    assert f"{arguments['on']!r} {arguments['on']}" == "Jan 1, 2020 Jan 1, 2020"
    with pytest.raises(ValueError, match="unknown field"):
        Template("a {name:nonsense} step")


# -- the coverage gate -----------------------------------------------------------------------


def test_gate_passes_when_everything_is_covered(flow_set: FlowSet) -> None:
    fired = [t.name for t in flow_set.transitions()]
    passed = {tag: ["f.feature: s"] for tag in flow_set.guide_ids}
    passed |= {DECISION_TAG + key: ["f.feature: s"] for key in flow_set.portal.decisions}
    result = gate(flow_set, fired, passed)
    assert result.passed and not result.problems()
    total = len(flow_set.transitions())
    assert f"  all machines: {total}/{total}" in result.lines


def test_gate_names_what_is_left_uncovered(flow_set: FlowSet) -> None:
    fired = [t.name for t in flow_set.transitions() if t.name != "lockout.auto_unlock"]
    passed = {tag: ["f.feature: s"] for tag in flow_set.guide_ids if tag != "USER-7"}
    passed |= {
        DECISION_TAG + key: ["f.feature: s"]
        for key in flow_set.portal.decisions
        if key != "email-sender"
    }
    result = gate(flow_set, fired, passed)
    assert not result.passed
    assert result.uncovered_transitions == ["lockout.auto_unlock"]
    assert result.uncovered_guide_ids == ["USER-7"]
    assert result.uncovered_decisions == ["email-sender"]
    problems = "\n".join(result.problems())
    assert "lockout.auto_unlock" in problems and "USER-7" in problems
    assert "email-sender" in problems
    assert any("MISSING: lockout.auto_unlock" in line for line in result.lines)
    assert "  USER-7 (0): NONE" in result.lines


def test_scenarios_report_lists_passing_scenarios_per_guide_id(flow_set: FlowSet) -> None:
    passed = {"LOCK-2": ["b.feature: two", "a.feature: one", "a.feature: one"]}
    result = gate(flow_set, [], passed)
    assert result.scenarios_by_guide_id["LOCK-2"] == ["a.feature: one", "b.feature: two"]
    assert set(result.scenarios_by_guide_id) == set(flow_set.guide_ids)


def test_transitions_report_lists_passing_scenarios_per_transition(flow_set: FlowSet) -> None:
    fired_by = {"lockout.lock": ["b.feature: two", "a.feature: one", "a.feature: one"]}
    report = scenarios_by_transition(flow_set, fired_by)
    assert report["lockout.lock"] == ["a.feature: one", "b.feature: two"]
    assert report["lockout.auto_unlock"] == []
    assert list(report) == [t.name for t in flow_set.transitions()]


# -- texts by name, routes, the catalogue rpp trace reads ----------------------------------


def test_texts_are_named_by_key_or_by_a_guide_id_of_one_text(flow_set: FlowSet) -> None:
    portal = flow_set.portal
    assert resolve(portal, "LOCK-1", MESSAGE) is portal.texts["login_failed"]
    assert resolve(portal, "LOCK-2", MESSAGE) is portal.texts["account_locked"]
    assert resolve(portal, "new_password_policy", MESSAGE) is portal.texts["new_password_policy"]
    with pytest.raises(AssertionError, match=r"RESET-9 names several texts: .*current_password"):
        resolve(portal, "RESET-9", MESSAGE)
    with pytest.raises(
        AssertionError, match=re.escape("no text of flows/portal.yaml is named 'lockout'")
    ):
        resolve(portal, "lockout", MESSAGE)
    kinds = {named.key: named.kind for named in named_texts(portal)}
    assert kinds["account_locked"] == MESSAGE
    assert kinds["password_updated"] == "page text"
    assert kinds["services_paragraph"] == "email paragraph"


def test_every_page_has_a_route_and_every_route_is_a_step(flow_set: FlowSet) -> None:
    assert set(ROUTES) == set(flow_set.portal.screens)
    definitions = steps()
    problems = []
    for screen, routes in ROUTES.items():
        for route in routes:
            keyword, _, text = route.partition(" ")
            step = FeatureStep(keyword.lower(), text, f"ROUTES[{screen!r}]", "")
            if not any(d.matches(step) for d in definitions):
                problems.append(f"{screen}: {route!r} is no step of the catalogue")
    assert not problems, "\n".join(problems)


def test_steps_json_is_up_to_date_and_what_rpp_trace_matches_with() -> None:
    assert STEP_CATALOGUE.read_text(encoding="utf-8") == render_catalogue(), (
        f"{STEP_CATALOGUE} is out of date: run .venv/bin/python -m tests.bdd.catalog"
    )
    patterns = step_patterns()
    assert patterns is not None
    assert sum(len(p) for p in patterns.values()) == len(steps())


def test_steps_md_lists_titles_texts_and_decisions(flow_set: FlowSet) -> None:
    text = STEPS_FILE.read_text(encoding="utf-8")
    for screen in flow_set.portal.screens.values():
        assert f"| {screen.title} | `{screen.name}` |" in text
    assert "| `login_failed` | LOCK-1 | message |" in text
    for key, decision in flow_set.portal.decisions.items():
        assert f"- `@decision-{key}`: {decision.rationale}" in text
