"""Actions the guide does not name, declared by a target and checked by rules that hold
for any portal.

A target may declare ``extra_actions``: a mapping of an action's name to the label the
producer clicks (``{"log_out": "Log Out"}``). The guide names no sign-out, and the flows
draw none, so no expected screen exists; a sign-out action (named ``log_out``,
``logout``, ``sign_out`` or ``signout``) is held instead, from every signed-in screen the
suite reaches (Welcome, Welcome with a state chosen, Edit Profile, Password Updated),
to these rules:

1. **Nothing signed in is shown.** The screen the click leads to is none of the flows'
   signed-in screens.
2. **Nothing signed in is reachable from that browser.** Opening the portal's address
   in it (its bookmark, LOGIN-1) shows the page the portal opens on (Please Sign-In).
3. **The password still signs in.** In a fresh browser, the producer's password (the
   one changed to, on Password Updated) signs in.
4. **The failure count is unchanged.** One wrong password is typed in another browser
   while signed in, the action is taken, then the lock-out threshold's number of wrong
   passwords in a fresh browser: each shows what it shows when the browser is closed
   instead of the action (the same run on a fresh portal). Whatever the portal's own
   readings of counting, a sign-out that resets, adds to or forgets the count shows a
   lock one attempt late or early.

Each rule compares the portal with itself or with the flows' screen names only (the
protocol's), so a team's wording, pages and decisions never fail it. Other declared
actions are listed as not checked: verify knows no rule for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from simulator.drivers.protocol import Target, log_in
from simulator.population import Population, Producer
from simulator.portal.screens import Screen
from simulator.verify.journeys import WRONG_PASSWORD
from simulator.verify.model import Probe
from simulator.verify.secrets_seen import mask
from simulator.verify.suite import journey_group, outsider_after
from specs.model import FlowSet, Parameters

__all__ = [
    "ROUTES",
    "SIGN_OUT_NAMES",
    "ExtraActionCheck",
    "ExtraActionsReport",
    "check_extra_actions",
    "declared_actions",
    "format_extra_actions",
]

SIGN_OUT_NAMES = ("log_out", "logout", "sign_out", "signout")

# Each signed-in screen of the suite and the actions (of the alphabet) that reach it.
ROUTES: dict[str, tuple[str, ...]] = {
    "welcome": ("log_in",),
    "state_selected": ("log_in", "select_state"),
    "edit_profile": ("log_in", "select_state", "click_edit_profile"),
    "password_updated": ("log_in", "select_state", "click_edit_profile", "update_password"),
}

# Far from the journeys' producers: the checks' own, from the run's seed.
_PRODUCERS_FROM = 900_000


@dataclass(frozen=True)
class ExtraActionCheck:
    """One declared action taken from one signed-in screen: the rules it broke."""

    action: str
    label: str
    screen: str
    failures: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, object]:
        return {
            "action": self.action,
            "label": self.label,
            "from": self.screen,
            "result": "passed" if self.passed else "failed",
            "failures": list(self.failures),
        }


@dataclass(frozen=True)
class ExtraActionsReport:
    checks: tuple[ExtraActionCheck, ...] = ()
    unchecked: dict[str, str] = field(default_factory=dict)  # name -> label

    @property
    def failed(self) -> list[ExtraActionCheck]:
        return [c for c in self.checks if not c.passed]

    def as_dict(self) -> dict[str, object]:
        return {
            "checks": [c.as_dict() for c in self.checks],
            "failed": len(self.failed),
            "unchecked": dict(self.unchecked),
        }


def declared_actions(target: object) -> dict[str, str]:
    """The target's ``extra_actions`` (none when it declares none)."""
    declared = getattr(target, "extra_actions", None)
    if not isinstance(declared, Mapping):
        return {}
    return {str(name): str(label) for name, label in declared.items()}


def check_extra_actions(
    flow_set: FlowSet,
    make_target: Callable[[Parameters], Target],
    seed: int = 0,
    declared: Mapping[str, str] | None = None,
) -> ExtraActionsReport:
    """Every declared sign-out action from every signed-in screen, held to the module's
    rules, each on fresh targets made by ``make_target`` with the flows' parameters."""
    parameters = flow_set.portal.parameters
    if declared is None:
        declared = declared_actions(_closed(make_target(parameters)))
    population = Population(seed, parameters)
    group = journey_group(population, _PRODUCERS_FROM)
    outsider = outsider_after(population, group)
    checks: list[ExtraActionCheck] = []
    for name, label in declared.items():
        if name not in SIGN_OUT_NAMES:
            continue
        for screen in ROUTES:
            context = _Context(flow_set, make_target, parameters, group, outsider)
            checks.append(ExtraActionCheck(name, label, screen, context.check(label, screen)))
    unchecked = {n: label for n, label in declared.items() if n not in SIGN_OUT_NAMES}
    return ExtraActionsReport(tuple(checks), unchecked)


def _closed(target: Target) -> Target:
    close = getattr(target, "close", None)
    if callable(close):
        close()
    return target


@dataclass
class _Context:
    flow_set: FlowSet
    make_target: Callable[[Parameters], Target]
    parameters: Parameters
    group: Sequence[Producer]
    outsider: Producer
    secrets: set[str] = field(default_factory=set)

    def _probe(self) -> Probe:
        probe = Probe(
            self.make_target(self.parameters),
            self.group,
            self.outsider,
            self.parameters,
            self.flow_set,
        )
        self.secrets |= probe.secrets
        return probe

    def _route(self, probe: Probe, screen: str) -> str | None:
        """Take the route to ``screen``: None when there, else why not."""
        for key in ROUTES[screen]:
            probe.step(key)
        self.secrets |= probe.secrets
        if probe.screen.name != screen:
            return (
                f"the route {' -> '.join(ROUTES[screen])} led to {_shown(probe.screen)},"
                f" not the {screen} screen (the journeys show why)"
            )
        return None

    def check(self, label: str, screen: str) -> tuple[str, ...]:
        """The rules ``label`` breaks from ``screen`` (each on its own fresh portal)."""
        failures: list[str] = []
        try:
            failures += self._signed_out(label, screen)
            failures += self._failures_kept(label, screen)
        except Exception as error:  # a broken portal may raise: that is a finding too
            failures.append(f"the portal raised {error!r}")
        return tuple(mask(f, self.secrets) for f in failures)

    def _signed_out(self, label: str, screen: str) -> list[str]:
        """Rules 1 to 3."""
        probe = self._probe()
        try:
            unreached = self._route(probe, screen)
            if unreached:
                return [unreached]
            failures = []
            after = probe.driver.click(label)
            if after.name in ROUTES:
                failures.append(f"{label!r} left the browser signed in: {_shown(after)}")
            opened = probe.driver.open_portal()
            start = probe.target.open_browser().screen()
            if opened.name != start.name:
                failures.append(
                    f"after {label!r}, opening the portal's address showed {_shown(opened)},"
                    f" not {_shown(start)}: the session was kept"
                )
            password = probe.knowledge.password
            again = log_in(probe.target.open_browser(), self.group[0].user_name, password)
            if again.name != "welcome":
                failures.append(
                    f"after {label!r}, the producer's password no longer signs in in a fresh"
                    f" browser: {_shown(again)}"
                )
            return failures
        finally:
            _closed(probe.target)

    def _failures_kept(self, label: str, screen: str) -> list[str]:
        """Rule 4: wrong passwords after the action show what they show after closing
        the browser instead."""
        shown = {}
        for way in (label, None):
            probe = self._probe()
            try:
                unreached = self._route(probe, screen)
                if unreached:
                    return [unreached]
                user = self.group[0].user_name
                log_in(probe.target.open_browser(), user, WRONG_PASSWORD)
                if way is None:
                    probe.driver.close_browser()
                else:
                    probe.driver.click(way)
                shown[way] = [
                    _shown(log_in(probe.target.open_browser(), user, WRONG_PASSWORD))
                    for _ in range(self.parameters.lockout_threshold)
                ]
            finally:
                _closed(probe.target)
        if shown[label] == shown[None]:
            return []
        differ = next(
            n for n, (a, b) in enumerate(zip(shown[label], shown[None], strict=True), 1) if a != b
        )
        return [
            f"{label!r} changed the account's failure count: with one wrong password before"
            f" it, wrong password {differ} in a fresh browser after it showed"
            f" {shown[label][differ - 1]}; after closing the browser instead:"
            f" {shown[None][differ - 1]}"
        ]


def _shown(screen: Screen) -> str:
    messages = f" with {' / '.join(repr(m) for m in screen.messages)}" if screen.messages else ""
    return f"the {screen.name} screen ({screen.title!r}){messages}"


def format_extra_actions(report: ExtraActionsReport) -> list[str]:
    """The console's lines: each failed check, then the totals."""
    lines = []
    for check in report.failed:
        lines.append(
            f"EXTRA ACTION {check.action} ({check.label!r}) from the {check.screen} screen:"
        )
        lines += [f"  {failure}" for failure in check.failures]
    for name, label in report.unchecked.items():
        lines.append(f"extra action {name} ({label!r}): not checked (verify knows no rule for it)")
    if report.checks:
        passed = len(report.checks) - len(report.failed)
        lines.append(
            f"{passed}/{len(report.checks)} checks of extra actions passed"
            f" (from {', '.join(ROUTES)})"
        )
    return lines
