"""Where the features run: in this process (the default), against a portal served over
HTTP, or in headless Chromium on that portal.

The pytest options (``tests/conftest.py`` registers them; :class:`TargetChoice` reads
them), each with an environment variable used when the option is not given:

``--target URL|serve|MODULE:CALLABLE`` (``RPP_TARGET``)
    ``MODULE:CALLABLE``: a team's portal behind the driver protocol (docs/targets.md),
    built afresh for each scenario by the factory ``CALLABLE(parameters)`` with the
    flows' parameters (the team's behaviour readings applied, ``--decisions``); its
    texts are held to the guide's authority rules, as ``rpp verify --decisions guide``.
    ``serve``: this test session serves the flows under test (``$RPP_FLOWS`` or the
    shipped ones) on a free port, with the test API and an embedded mailbox, exactly
    as ``rpp serve --test-api --port 0`` does, and stops it at the end. A URL: a portal
    already served with ``rpp serve --test-api`` (its mail at ``--mailbox``).
``--mailbox URL`` (``RPP_MAILBOX``)
    The Mailpit API (``rpp mailbox`` or a real Mailpit) holding the mail of
    ``--target URL``; ``--target serve`` brings its own.
``--decisions FILE`` (``RPP_DECISIONS``)
    The team's decisions file (:mod:`specs.team`), with ``--target MODULE:CALLABLE``:
    its readings of silent behaviour set the parameters, its texts are checked exactly.
``--browser`` (``RPP_BROWSER=1``)
    Each producer's browser is a headless Chromium window (with ``--target``). Every
    distinct screen visited is saved in ``screens/`` of :func:`reports_dir`, and a
    failing step saves the page there as ``failed-<scenario>.png``.

Without ``--target`` every scenario runs in-process, as before. With it, each scenario
gets the served portal afresh (``/test/reset``, with the scenario's parameter changes)
and an empty mailbox.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from simulator.drivers.protocol import TargetFactory
from specs.errors import RppError, SpecError
from specs.model import FlowSet
from specs.team import TeamDecisions, load_decisions

__all__ = [
    "BROWSER_ENV",
    "DECISIONS_ENV",
    "FACTORY",
    "MAILBOX_ENV",
    "SCREENS_DIR",
    "SERVE",
    "TARGET_ENV",
    "Factory",
    "Remote",
    "TargetChoice",
    "load_factory",
    "reports_dir",
    "scenario_slug",
    "serve",
]

TARGET_ENV = "RPP_TARGET"
DECISIONS_ENV = "RPP_DECISIONS"
MAILBOX_ENV = "RPP_MAILBOX"
BROWSER_ENV = "RPP_BROWSER"
SERVE = "serve"
REPORTS_DIR = Path("reports")  # relative to the rootdir, when no report option says
SCREENS_DIR = REPORTS_DIR / "screens"  # relative to the rootdir
_LOOPBACK = "127.0.0.1"  # as `rpp serve`: the test API and the mailbox stay on this machine


def reports_dir(config: pytest.Config) -> Path:
    """Where the screenshots and the coverage gate's JSON go: beside the first report
    asked for (``--cucumber-report``, relative to the rootdir; ``--junitxml`` and
    ``--html``, relative to the working directory, as their plugins read them), else the
    checkout's ``reports/``."""
    cucumber = config.getoption("rpp_cucumber_report", None)
    if cucumber:
        path = Path(cucumber).expanduser()
        return (path if path.is_absolute() else config.rootpath / path).parent
    for option in ("xmlpath", "htmlpath"):
        value = config.getoption(option, None)
        if value:
            return Path(value).expanduser().absolute().parent
    return config.rootpath / REPORTS_DIR


@dataclass(frozen=True)
class TargetChoice:
    """What the options (or their environment variables) ask for."""

    target: str | None
    mailbox: str | None
    browser: bool
    decisions: str | None = None

    @classmethod
    def of(cls, config: pytest.Config) -> TargetChoice:
        """The choice of this run; :class:`pytest.UsageError` when it makes no sense."""
        target = config.getoption("target", None) or os.environ.get(TARGET_ENV) or None
        mailbox = config.getoption("mailbox", None) or os.environ.get(MAILBOX_ENV) or None
        browser = config.getoption("browser", None)
        if browser is None:
            flag = os.environ.get(BROWSER_ENV, "").strip()
            if flag not in ("", "0", "1"):
                raise pytest.UsageError(f"${BROWSER_ENV}={flag}: write 1 (Chromium) or 0")
            browser = flag == "1"
        decisions = config.getoption("decisions", None) or os.environ.get(DECISIONS_ENV) or None
        choice = cls(target, mailbox, bool(browser), decisions)
        choice._check()
        return choice

    def _check(self) -> None:
        target, mailbox = self.target, self.mailbox
        if self.decisions is not None and not self.is_factory:
            raise pytest.UsageError(
                "--decisions (or $RPP_DECISIONS) goes with --target MODULE:CALLABLE: a team's"
                " portal read by its decisions file"
            )
        if self.is_factory:
            if mailbox is not None or self.browser:
                raise pytest.UsageError(
                    f"--target {target} brings its own mail and browsers: drop --mailbox and"
                    " --browser"
                )
            if self.decisions is not None and not Path(self.decisions).is_file():
                raise pytest.UsageError(f"--decisions {self.decisions}: no such file")
            return
        if target is None:
            if mailbox is not None:
                raise pytest.UsageError(
                    "--mailbox (or $RPP_MAILBOX) goes with --target URL: say which portal"
                    " sends that mail"
                )
            if self.browser:
                raise pytest.UsageError(
                    "--browser (or $RPP_BROWSER=1) drives a served portal: add --target serve"
                    " (or --target URL --mailbox URL)"
                )
            return
        if target == SERVE:
            if mailbox is not None:
                raise pytest.UsageError(
                    "--target serve starts its own mailbox: drop --mailbox (or $RPP_MAILBOX)"
                )
            return
        for option, url in (("--target", target), ("--mailbox", mailbox)):
            if url is None:
                raise pytest.UsageError(
                    f"--target {target} needs --mailbox URL (or $RPP_MAILBOX): the Mailpit"
                    " API its mail goes to"
                )
            if not url.startswith(("http://", "https://")):
                raise pytest.UsageError(
                    f"{option} {url}: expected serve, an http:// or https:// URL or MODULE:CALLABLE"
                    if option == "--target"
                    else f"{option} {url}: expected an http:// or https:// URL"
                )

    @property
    def in_process(self) -> bool:
        return self.target is None

    @property
    def is_factory(self) -> bool:
        """A team's target factory, ``MODULE:CALLABLE`` (not a URL, not ``serve``)."""
        target = self.target
        return (
            target is not None
            and target != SERVE
            and not target.startswith(("http://", "https://"))
            and ":" in target
        )

    def describe(self) -> str:
        if self.target is None:
            return "in-process"
        if self.is_factory:
            held = f"the team's decisions of {self.decisions}" if self.decisions else "the guide"
            return f"the team's target {self.target}, held to {held}"
        where = "served by this session" if self.target == SERVE else self.target
        return f"{'Chromium' if self.browser else 'HTTP'} on the portal {where}"


@dataclass(frozen=True)
class Remote:
    """A portal served over HTTP with a test API, the features' target: its URL, its
    mail's Mailpit API, and whether producers use Chromium (saving screens there)."""

    url: str
    mailbox_url: str
    browser: bool = False
    screens: Path | None = None


@dataclass(frozen=True)
class Factory:
    """A team's portal behind the driver protocol: ``make(parameters)`` builds a fresh
    one for each scenario; ``decisions`` is the team's file, None: the guide alone."""

    spec: str
    make: TargetFactory
    decisions: TeamDecisions | None = None

    def flows(self, flow_set: FlowSet) -> FlowSet:
        """The flows as this team reads them: its behaviour readings and decided texts."""
        return flow_set if self.decisions is None else self.decisions.apply(flow_set)


def load_factory(choice: TargetChoice, flow_set: FlowSet) -> Factory:
    """The factory ``--target MODULE:CALLABLE`` names, as `rpp verify` loads it, and the
    team's decisions file; a :class:`pytest.UsageError` saying what is wrong."""
    from simulator.verify.command import load_target

    assert choice.target is not None
    try:
        make = load_target(choice.target, flow_set)
        decisions = (
            None
            if choice.decisions is None
            else load_decisions(Path(choice.decisions), flow_set.portal)
        )
    except (RppError, SpecError) as error:
        raise pytest.UsageError(str(error)) from None
    assert make is not None  # MODULE:CALLABLE is never the reference
    return Factory(choice.target, make, decisions)


FACTORY = pytest.StashKey[Factory]()
"""The team's factory, loaded when pytest is configured (a bad one is a usage error)."""


@contextmanager
def serve(flow_set: FlowSet) -> Iterator[tuple[str, str]]:
    """``flow_set`` served as ``rpp serve --test-api --port 0`` serves it: on loopback,
    a free port, the wall clock plus what the test API advanced, the harness's password hashing, mail
    over SMTP to an embedded mailbox. Yields the portal's URL and the mailbox's."""
    from simulator.web.serving import serving

    with serving(flow_set, _LOOPBACK, 0) as served:
        assert served.mailbox_url is not None
        yield served.url, served.mailbox_url


def scenario_slug(name: str, example: str | None = None) -> str:
    """A file name's worth of a scenario's name (and its example's ID, for an outline)."""
    text = name if example is None else f"{name} {example}"
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:120].rstrip("-") or "scenario"


@pytest.fixture(scope="session")
def remote(
    request: pytest.FixtureRequest, features_flow_set: FlowSet
) -> Iterator[Remote | Factory | None]:
    """The served portal (or a team's target factory) the features run against (None:
    in-process). ``serve`` starts it once for the whole session."""
    choice = TargetChoice.of(request.config)
    if choice.is_factory:
        loaded = request.config.stash.get(FACTORY, None)  # conftest loads it at configure
        yield loaded if loaded is not None else load_factory(choice, features_flow_set)
        return
    if choice.target is None:
        yield None
        return
    screens: Path | None = None
    if choice.browser:
        screens = reports_dir(request.config) / "screens"
        screens.mkdir(parents=True, exist_ok=True)
        for stale in screens.glob("failed-*.png"):  # last run's failures, not this one's
            stale.unlink()
    if choice.target == SERVE:
        with serve(features_flow_set) as (url, mailbox_url):
            yield Remote(url, mailbox_url, choice.browser, screens)
        return
    assert choice.mailbox is not None  # TargetChoice checked it
    yield Remote(choice.target, choice.mailbox, choice.browser, screens)
