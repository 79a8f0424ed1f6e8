"""The served pages' HTML contract, checked strictly: the drivers' reader
(:mod:`simulator.drivers.page`) plus what it takes for granted (one alert, never
empty; every control a submit button of the form whose value is its text; illegible
cells reading "unknown"), and the screen the page claims (``data-screen``) being the
one the reader recognises."""

from __future__ import annotations

import dataclasses
import functools

from simulator.drivers.page import Node, parse, read_page
from simulator.portal.screens import Screen
from specs import load_flows
from specs.model import PortalSpec

__all__ = ["Node", "parse", "read_screen"]


@functools.cache
def _shipped() -> PortalSpec:
    return load_flows().portal


def read_screen(html: str, recognised: bool = True) -> Screen:
    """The screen a page shows, read as the HTML contract says (and checked against it).
    ``recognised=False`` for a made-up screen: its name is the one the page claims."""
    doc = parse(html)
    main = doc.find("main", data_screen="")
    alerts = main.find_all("div", role="alert")
    assert len(alerts) <= 1
    assert all(a.find_all("p", class_="message") for a in alerts), "no empty alert"
    form_ids = {f.attrs.get("id") for f in main.find_all("form")}
    for button in doc.find_all("button", name="control"):
        if "data-for" in button.attrs:  # a select's own button posts the select's label
            labels = main.find_all("label")
            (label,) = [n for n in labels if n.attrs.get("for") == button.attrs["data-for"]]
            assert button.attrs["value"] == label.text()
            continue
        assert button.attrs.get("type") == "submit" and button.attrs["value"] == button.text()
        assert button.ancestor("form") is not None or button.attrs.get("form") in form_ids
    for table in main.find_all("table", class_="directory"):
        header = table.find("thead").find_all("th")
        assert header[0].text() in ("", "Producer Services")
        assert all(th.attrs.get("scope") == "col" for th in header[1:])
        assert all(td.text() == "unknown" for td in table.find_all("td", class_="illegible"))
    screen = read_page(html, _shipped()).screen
    claimed = main.attrs["data-screen"] or ""
    if not recognised:
        return dataclasses.replace(screen, name=claimed)
    assert screen.name == claimed, (screen.name, claimed)
    return screen
