"""Every screen of the flows, served as a page a person and a driver read: the HTML
contract recovers the portal's own Screen exactly."""

from __future__ import annotations

from starlette.applications import Starlette

from simulator.portal.screens import DirectoryRow, Screen
from simulator.web.app import served_portal
from simulator.web.contract import field_id, field_name, screen_address
from simulator.web.pages import PageRenderer
from specs import FlowSet
from tests.web.browser import Browser, Page
from tests.web.conftest import AGENT_UNIQUE_ID, EMAIL, PASSWORD, USER
from tests.web.dom import Node, parse, read_screen


def _portal_screen(app: Starlette, browser: Browser) -> Screen:
    served = served_portal(app)
    web = served.sessions.get(browser.cookie)
    if web is None:  # a browser that has posted nothing holds no session yet
        return served.first_screen()
    return served.screen(web)[0]


def _check_page(page: Page, flow_set: FlowSet) -> None:
    """What every page promises, beyond the Screen it shows."""
    doc = page.dom
    address = screen_address(page.screen.name, "login_page")
    for form in doc.find_all("form"):
        assert form.attrs["method"] == "post" and form.attrs["action"] == address
        assert form.find("input", name="csrf_token", type="hidden").attrs["value"]
    scripts = doc.find_all("script")
    assert [s.attrs.get("src") for s in scripts] == ["/static/portal.js"]
    assert all(not s.text().strip() for s in scripts), "no inline script"
    for node in doc.iter():
        assert "style" not in node.attrs, f"inline style on <{node.tag}>"
        assert not any(a.startswith("on") for a in node.attrs), f"inline handler on <{node.tag}>"
    screen = page.screen
    for label in screen.fields:
        control = [n for n in doc.iter() if n.attrs.get("id") == field_id(label)]
        assert len(control) == 1
        assert control[0].attrs["name"] == field_name(label)
        if "Password" in label:
            assert control[0].attrs["type"] == "password"
            assert control[0].attrs["autocomplete"] in ("current-password", "new-password")
        if label == "State":
            options = control[0].find_all("option")
            assert [o.attrs["value"] for o in options] == ["", *flow_set.portal.parameters.states]
            assert options[0].text() == "Select a state"
            assert [o.text() for o in options[1:]] == list(flow_set.portal.parameters.states)
            assert control[0].attrs["data-submit-control"] == "State"
            # Choosing submits nothing: the drop-down's own button posts the choice.
            button = doc.find("button", data_for=field_id(label))
            assert (button.attrs["type"], button.attrs["value"]) == ("submit", "State")
        assert "value" not in control[0].attrs or control[0].tag != "input"


def test_every_screen_is_a_page_showing_exactly_the_portals_screen(
    app: Starlette, browser: Browser, flow_set: FlowSet
) -> None:
    seen: dict[str, Screen] = {}

    def visit(page: Page) -> Page:
        assert page.screen == _portal_screen(app, browser), page.html
        _check_page(page, flow_set)
        seen[page.screen.name] = page.screen
        return page

    visit(browser.open())
    visit(browser.click("Forgot User Name?"))
    visit(
        browser.fill_and_click(
            "Submit", {"Agent Unique ID": AGENT_UNIQUE_ID, "E-mail Address": EMAIL}
        )
    )
    visit(browser.click("OK"))
    visit(browser.click("Reset Password?"))
    visit(browser.fill_and_click("Submit", {"User Name": USER, "E-mail Address": EMAIL}))
    visit(browser.click("OK"))
    visit(browser.fill_and_click("Login", {"User Name": USER, "Password": PASSWORD}))
    visit(browser.fill_and_click("State", {"State": "TX"}))
    visit(browser.click("Edit Profile"))
    visit(
        browser.fill_and_click(
            "Update Password",
            {
                "Current Password": PASSWORD,
                "New Password": "Newer123",
                "Confirm New Password": "Newer123",
            },
        )
    )
    visit(browser.click("Back to Profile Page"))

    assert set(seen) == set(flow_set.portal.screens), "every screen was served"
    for name, screen in seen.items():
        spec = flow_set.portal.screens[name]
        assert (screen.title, screen.fields, screen.buttons, screen.links, screen.menus) == (
            spec.title,
            spec.fields,
            spec.buttons,
            spec.links,
            spec.menus,
        )


def test_the_login_page_reads_as_the_guide_shows_it(browser: Browser) -> None:
    page = browser.open()
    doc = page.dom
    assert doc.find("title").text() == "Please Sign-In"
    assert doc.find("main").attrs["data-screen"] == "login_page"
    assert page.screen.buttons == ("Register", "Login")
    assert page.screen.links == ("Forgot User Name?", "Reset Password?")
    for link in doc.find_all("button", role="link"):
        assert "link" in (link.attrs.get("class") or "").split()
    # Enter in a field presses Login (marked for portal.js), not the first button.
    assert [b.attrs["value"] for b in doc.find_all("button", data_default="")] == ["Login"]
    assert doc.find("input", id="field-password").attrs["autocomplete"] == "current-password"
    assert doc.find("input", id="field-user-name").attrs["autocomplete"] == "username"
    assert not doc.find_all("div", role="alert")
    assert not doc.find_all("table")


def test_edit_profile_is_in_the_account_menu(browser: Browser) -> None:
    browser.open()
    browser.fill_and_click("Login", {"User Name": USER, "Password": PASSWORD})
    page = browser.fill_and_click("State", {"State": "IL"})
    navs = {n.attrs["aria-label"]: n for n in page.dom.find_all("nav")}
    assert list(navs) == ["Menu", "Account"]
    assert [b.text() for b in navs["Account"].find_all("button", role="link")] == ["Edit Profile"]
    assert not navs["Menu"].find_all("button")
    # The chosen state stays selected.
    assert "selected" in page.dom.find("option", value="IL").attrs
    assert "selected" not in page.dom.find_all("option")[0].attrs


def test_the_account_menu_holds_edit_profile_as_portal_yaml_says(flow_set: FlowSet) -> None:
    screen = flow_set.portal.screens["state_selected"]
    assert screen.menu_links == {"Account": ("Edit Profile",)}  # RESET-8


def test_the_directory_shows_every_number_and_illegible_cells_as_unknown(
    browser: Browser, flow_set: FlowSet
) -> None:
    browser.open()
    page = browser.click("Forgot User Name?")
    table = page.dom.find("table", class_="directory")
    header = table.find("thead").find_all("th")
    services = flow_set.portal.producer_services
    assert [th.text() for th in header] == ["", *services.states]
    rows = table.find("tbody").find_all("tr")
    first = rows[0]
    assert first.find("th", scope="row").text() == "Major Medical"
    assert [td.text() for td in first.find_all("td")] == [
        services.lines["major_medical"].cells[s].text for s in services.states
    ]
    legacy = page.screen.directory[1]
    assert legacy.numbers[0] == "(800) 538-0382 prior to May 1, 2019"
    state_farm = rows[-1]
    assert state_farm.find("th").text() == "State Farm Agents Only"
    assert [(td.attrs["class"], td.text()) for td in state_farm.find_all("td")] == [
        ("illegible", "unknown")
    ] * len(services.states)


def test_texts_are_escaped(flow_set: FlowSet) -> None:
    renderer = PageRenderer(flow_set.portal, ("IL", "<b>"))
    hostile = "<script>alert('x')</script> & \"quoted\""
    screen = Screen(
        name="forgot_user_name",
        title="<i>Title</i>",
        texts=(hostile,),
        messages=(hostile,),
        fields=("State",),
        buttons=('Submit"><script>',),
        links=("<a href=x>",),
        menus=("<nav>",),
        directory_states=("<td>",),
        directory=(DirectoryRow("<tr>", ("<td>1</td>",)),),
    )
    html = renderer.render(screen, csrf_token='"><script>', chosen_state=None)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;quoted&#34;" in html
    doc: Node = parse(html)
    assert [s.attrs.get("src") for s in doc.find_all("script")] == ["/static/portal.js"]
    assert read_screen(html, recognised=False) == screen
    assert doc.find("input", name="csrf_token").attrs["value"] == '"><script>'


def test_the_script_and_styles_are_served(browser: Browser) -> None:
    script = browser.http.get("/static/portal.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "addEventListener" in script.text
    style = browser.http.get("/static/portal.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert browser.http.get("/static/missing.js").status_code == 404
