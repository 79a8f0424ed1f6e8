"""The HTTP and browser drivers on a portal served over real sockets: `rpp verify`
passes the served shipped flows and fails, naming the step, on served broken flows;
the drivers say plainly what they cannot do."""

from __future__ import annotations

import dataclasses
import http.client
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from simulator.drivers import wire
from simulator.drivers.browser import BrowserTarget
from simulator.drivers.http import DriverError, HttpDriver, HttpTarget
from simulator.drivers.page import UNKNOWN_SCREEN, read_page
from simulator.drivers.protocol import log_in
from simulator.population import Population
from simulator.verify.command import load_target, verify
from simulator.verify.suite import Exploration
from specs import FlowSet, load_flows
from specs.errors import UsageError
from tests.drivers.conftest import serving


def _part(exploration: Exploration, name: str, journeys: int | None = None) -> Exploration:
    part = next(p for p in exploration.parts if p.part.name == name)
    return Exploration(
        [dataclasses.replace(part, journeys=part.journeys[:journeys])], exploration.reached
    )


def test_verify_over_http_passes_the_served_flows(
    flow_set: FlowSet, exploration: Exploration, served: tuple[str, str]
) -> None:
    url, mailbox = served
    make = load_target(url, flow_set, mailbox)
    report = verify(flow_set, seed=4, make_target=make, exploration=_part(exploration, "signed in"))
    assert report.passed, report.failed[0].failure
    assert len(report.results) == len(_part(exploration, "signed in").journeys) > 10


def test_verify_over_http_runs_a_verification_variant(
    flow_set: FlowSet, exploration: Exploration, served: tuple[str, str]
) -> None:
    url, mailbox = served
    some = _part(exploration, "auto-unlock", journeys=40)
    assert some.parts[0].model.variant == "auto-unlock"
    report = verify(
        flow_set, seed=4, make_target=load_target(url, flow_set, mailbox), exploration=some
    )
    assert report.passed, report.failed[0].failure


def test_verify_over_http_fails_naming_the_step_on_served_broken_flows(
    flows_copy: Path, flow_set: FlowSet, exploration: Exploration
) -> None:
    portal = flows_copy / "portal.yaml"
    text = portal.read_text(encoding="utf-8")
    portal.write_text(text.replace("lockout_threshold: 3 ", "lockout_threshold: 4 ", 1))
    with serving(load_flows([flows_copy])) as (url, mailbox):
        make = load_target(url, flow_set, mailbox)
        report = verify(
            flow_set,
            seed=4,
            make_target=make,
            exploration=_part(exploration, "lock-out"),
            stop_after=1,
        )
    assert not report.passed
    failure = report.failed[0].failure or ""
    assert failure.startswith("step 3 "), failure
    assert "temporarily locked" in failure


def test_the_cli_verifies_a_served_portal(served: tuple[str, str]) -> None:
    url, mailbox = served
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator.cli",
            "verify",
            "--target",
            url,
            "--mailbox",
            mailbox,
            "--part",
            "signed in",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "journeys passed" in done.stdout and "signed in" in done.stdout


def test_a_url_target_needs_its_mailbox(flow_set: FlowSet) -> None:
    with pytest.raises(UsageError, match="--mailbox"):
        load_target("http://127.0.0.1:1", flow_set, None)
    with pytest.raises(UsageError, match="--target http"):
        load_target("reference", flow_set, None, browser=True)


def test_the_http_driver_says_what_it_cannot_do(flow_set: FlowSet, served: tuple[str, str]) -> None:
    url, mailbox = served
    browser = HttpDriver(url, flow_set.portal)
    assert browser.screen().name == "login_page"
    with pytest.raises(DriverError, match="no field 'State'"):
        browser.fill("State", "IL")
    with pytest.raises(DriverError, match="no 'Edit Profile' to click"):
        browser.click("Edit Profile")
    # "Register" is on the page (the guide shows it) but does nothing: the portal says 400.
    with pytest.raises(DriverError, match="answered 400"):
        browser.click("Register")
    browser.close()
    # A fresh target starts the portal when first used (with the producers registered
    # by then): a portal that cannot be reached fails there, naming the URL.
    nowhere = HttpTarget("http://127.0.0.1:9", mailbox, flow_set.portal)
    nowhere.register(Population(9, flow_set.portal.parameters).producer(0))
    with pytest.raises(DriverError, match=r"127\.0\.0\.1:9/test/reset: .*refused"):
        nowhere.open_browser()
    nowhere.close()


def test_browsers_share_kept_alive_connections_but_not_cookies(
    flow_set: FlowSet, served: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, mailbox = served
    opened: list[wire.Origin] = []
    connect = wire._connect

    def counted(origin: wire.Origin, *args: Any) -> http.client.HTTPConnection:
        opened.append(origin)
        return connect(origin, *args)

    monkeypatch.setattr(wire, "_connect", counted)
    producer = Population(9, flow_set.portal.parameters).producer(0)
    for _ in range(3):  # three journeys, one after another
        target = HttpTarget(url, mailbox, flow_set.portal)
        target.register(producer)
        signed_in, other = target.open_browser(), target.open_browser()
        assert log_in(signed_in, producer.user_name, producer.password).name == "welcome"
        assert other.screen().name == "login_page"  # its own cookies: not signed in
        assert other.close_browser().name == "login_page"
        assert len(target.mailbox.search()) == 0
        target.close()
    portal = [o for o in opened if o[2] == urlsplit(url).port]
    assert len(portal) <= 1, opened  # one connection, kept alive, for every request


def test_a_page_like_no_screen_of_the_flows_is_unknown(flow_set: FlowSet) -> None:
    html = (
        "<html><head><title>Maintenance</title></head><body><main><h1>Maintenance</h1>"
        "</main></body></html>"
    )
    assert read_page(html, flow_set.portal).screen.name == UNKNOWN_SCREEN


@pytest.mark.skipif(
    not (os.environ.get("RPP_CHROMIUM") or shutil.which("chromium")),
    reason="no Chromium here (make test installs Debian's chromium)",
)
def test_the_browser_driver_signs_in_and_saves_the_screens(
    flow_set: FlowSet, served: tuple[str, str], tmp_path: Path
) -> None:
    url, mailbox = served
    target = BrowserTarget(url, mailbox, flow_set.portal, screens=tmp_path)
    producer = Population(9, flow_set.portal.parameters).producer(0)
    target.register(producer)
    window = target.open_browser()
    assert window.screen().name == "login_page"
    assert log_in(window, producer.user_name, "wrong-one").messages
    window.close_browser()
    welcome = log_in(window, producer.user_name, producer.password)
    assert welcome.name == "welcome" and welcome.fields == ("State",)
    target.close()
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
    assert any(s.startswith("welcome-") for s in shots), shots
    assert all((tmp_path / s).read_bytes().startswith(b"\x89PNG") for s in shots)
