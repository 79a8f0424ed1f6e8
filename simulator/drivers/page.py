"""Reading a portal page's HTML as a producer does: the :class:`Screen` it shows and the
form a click posts. The HTTP and browser drivers both read pages with this, so a page
is understood one way whatever fetched it.

Promises:

- :func:`parse` builds a small tree with the standard library's ``html.parser``;
  :func:`read_page` reads the served portal's HTML contract (``simulator/web/pages.py``):
  the title (``<title>`` and the one ``<h1>``), messages (``<div role="alert">`` of
  ``<p class="message">``), texts (``<section class="texts">`` of ``<p class="text">``),
  fields by their ``<label for>`` (marked required by a ``<span class="required">*</span>``
  right after the label, with ``aria-required="true"`` on the control; a select's own
  ``<button data-for>`` is its control), controls (``<button name=... value=LABEL>``, in
  the top bar's menus too; a
  link has ``role="link"``), menus (``<nav aria-label>``), the Producer Services table
  (``<table class="directory">``; a ``td.illegible`` cell is unknown: ``None``).
- The screen's name is recognised from the portal spec, as a person recognises a page
  by what it shows (title, texts, fields, buttons, links, menus, a directory), never
  read from a private attribute; a page like no screen of the spec is ``"unknown"``.
- A page that breaks the contract (no title, two ``<h1>``, a label for no control, a
  directory without its header) raises :class:`PageError` naming what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser

from simulator.portal.forms import STATE
from simulator.portal.screens import DirectoryRow, Screen
from specs.errors import RppError
from specs.model import PortalSpec

__all__ = [
    "UNKNOWN_SCREEN",
    "DriverError",
    "Node",
    "Page",
    "PageError",
    "parse",
    "read_page",
    "recognise",
]

UNKNOWN_SCREEN = "unknown"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class DriverError(RppError):
    """The portal under test could not be driven: no such control, or it refused."""


class PageError(RppError):
    """A page a driver cannot read as the portal's HTML contract says."""


@dataclass(eq=False)
class Node:
    """An element: its tag, attributes, parent and children (elements and text).

    A node made by :func:`parse` also knows its place in the document's elements in
    order (``index``, and ``end``, its last descendant's), so its descendants are a
    slice of that list: a page is searched a dozen times, never walked recursively."""

    tag: str
    attrs: dict[str, str | None]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)
    index: int = -1
    end: int = -1
    order: list[Node] | None = field(default=None, repr=False)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Node]:
        """The descendant elements, in document order."""
        if self.order is not None:
            yield from self.order[self.index + 1 : self.end + 1]
            return
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Descendants with this tag whose attributes have these values (``class_`` for
        one of the classes; a value of "" only asks for the attribute to be there)."""
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and all(_matches(node, name, value) for name, value in attrs.items())
        ]

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        if len(found) != 1:
            raise PageError(f"expected one <{tag} {attrs}>, found {len(found)}")
        return found[0]

    def inside(self, tag: str) -> bool:
        return self.ancestor(tag) is not None

    def ancestor(self, tag: str) -> Node | None:
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        return node


def _matches(node: Node, name: str, value: str) -> bool:
    if name == "class_":
        return value in (node.attrs.get("class") or "").split()
    name = name.replace("_", "-")
    if name not in node.attrs:
        return False
    return value == "" or node.attrs[name] == value


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.order: list[Node] = []
        self.root = Node("#document", {}, order=self.order)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current, index=len(self.order), order=self.order)
        self.order.append(node)
        self.current.children.append(node)
        if tag in VOID:
            node.end = node.index
        else:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is None or node.parent is None:
            raise PageError(f"a stray </{tag}>")
        last = len(self.order) - 1
        closed: Node | None = self.current
        while closed is not node.parent and closed is not None:
            closed.end = last  # what this end tag closes, left open ones included
            closed = closed.parent
        self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    """The element tree of ``html``."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    if builder.current is not builder.root:
        raise PageError(f"<{builder.current.tag}> is never closed")
    builder.root.end = len(builder.order) - 1
    return builder.root


@dataclass(frozen=True)
class Page:
    """One page: the screen it shows, and what its form posts.

    ``fields``: label -> the posted name; ``options``: label -> a select's options;
    ``controls``: label -> (posted name, posted value); ``hidden``: the hidden inputs;
    ``action``: where the form posts."""

    screen: Screen
    fields: Mapping[str, str]
    options: Mapping[str, tuple[str, ...]]
    controls: Mapping[str, tuple[str, str]]
    hidden: Mapping[str, str]
    action: str

    def require_field(self, label: str) -> None:
        """:class:`DriverError` unless the page has a field labelled ``label``."""
        if label not in self.fields:
            raise DriverError(
                f"the {self.screen.title} page has no field {label!r}"
                f" (fields: {', '.join(self.fields) or 'none'})"
            )

    def require_control(self, label: str) -> None:
        """:class:`DriverError` unless the page has a button or link ``label``."""
        if label not in self.controls:
            raise DriverError(
                f"the {self.screen.title} page has no {label!r} to click"
                f" (it has: {', '.join(self.controls) or 'none'})"
            )


def read_page(html: str, portal: PortalSpec) -> Page:
    """Read ``html`` as the HTML contract says (see the module's promises)."""
    doc = parse(html)
    main = doc.find("main")
    title = doc.find("title").text().strip()
    headings = [h.text().strip() for h in doc.find_all("h1")]
    if headings != [title]:
        raise PageError(f"the page titled {title!r} has headings {headings} (one <h1>: the title)")
    messages = tuple(
        p.text()
        for a in main.find_all("div", role="alert")
        for p in a.find_all("p", class_="message")
    )
    texts = tuple(
        p.text()
        for s in main.find_all("section", class_="texts")
        for p in s.find_all("p", class_="text")
    )
    by_id = {n.attrs.get("id"): n for n in main.iter() if n.attrs.get("id")}
    fields: dict[str, str] = {}
    required: list[str] = []
    options: dict[str, tuple[str, ...]] = {}
    controls: dict[str, tuple[str, str]] = {}
    for label in main.find_all("label"):
        control = by_id.get(label.attrs.get("for"))
        if control is None or control.tag not in ("input", "select", "textarea"):
            raise PageError(f"the label {label.text()!r} names no field")
        fields[label.text()] = control.attrs.get("name") or ""
        if _marked_required(label, control):
            required.append(label.text())
        if control.tag == "select":
            options[label.text()] = tuple(
                o.attrs.get("value") or ""
                for o in control.find_all("option")
                if o.attrs.get("value")
            )
            submit = control.attrs.get("data-submit-control")
            if submit:
                controls[label.text()] = ("control", submit)
    buttons: list[str] = []
    links: list[str] = []
    menu_links: list[tuple[str, str]] = []
    # The menus' links sit in the top bar, outside <main> (controls of its form all the same).
    for button in doc.find_all("button"):
        if button.inside("noscript") or "data-for" in button.attrs:
            continue  # a field's own button: the field's control, read with the field
        text = button.text()
        controls[text] = (button.attrs.get("name") or "", button.attrs.get("value") or text)
        (links if button.attrs.get("role") == "link" else buttons).append(text)
        nav = button.ancestor("nav")
        if button.attrs.get("role") == "link" and nav is not None:
            menu_links.append((text, nav.attrs.get("aria-label") or ""))
    menus = tuple(n.attrs.get("aria-label") or "" for n in doc.find_all("nav"))
    chosen_state = next(
        (
            o.attrs.get("value") or None
            for label, control_name in fields.items()
            if label == STATE
            for select in main.find_all("select", name=control_name)
            for o in select.find_all("option")
            if "selected" in o.attrs and o.attrs.get("value")
        ),
        None,
    )
    states, rows = _directory(main)
    form = main.find_all("form")
    hidden = {
        n.attrs.get("name") or "": n.attrs.get("value") or ""
        for f in form
        for n in f.find_all("input", type="hidden")
    }
    seen = Screen(
        name=UNKNOWN_SCREEN,
        title=title,
        texts=texts,
        messages=messages,
        fields=tuple(fields),
        required=tuple(required),
        buttons=tuple(buttons),
        links=tuple(links),
        menus=menus,
        menu_links=tuple(menu_links),
        directory_states=states,
        directory=rows,
        chosen_state=chosen_state,
    )
    screen = Screen(**{**vars(seen), "name": recognise(seen, portal)})
    action = (form[0].attrs.get("action") or "/") if form else "/"
    return Page(screen, fields, options, controls, hidden, action)


def _marked_required(label: Node, control: Node) -> bool:
    """Whether a person sees the field marked "*" (the element right after its label);
    a control whose ``aria-required`` says otherwise breaks the contract."""
    siblings = [c for c in label.parent.children if isinstance(c, Node)] if label.parent else []
    after = siblings[siblings.index(label) + 1 :]
    marked = bool(after) and (
        after[0].tag == "span"
        and "required" in (after[0].attrs.get("class") or "").split()
        and after[0].text().strip() == "*"
    )
    if marked != (control.attrs.get("aria-required") == "true"):
        raise PageError(
            f'the field {label.text()!r} is {"" if marked else "not "}marked "*" but its'
            f" control says aria-required={control.attrs.get('aria-required')!r}"
        )
    return marked


def _directory(main: Node) -> tuple[tuple[str, ...], tuple[DirectoryRow, ...]]:
    tables = main.find_all("table", class_="directory")
    if not tables:
        return (), ()
    if len(tables) > 1:
        raise PageError("the page has two Producer Services tables")
    (table,) = tables
    header = table.find("thead").find_all("th")
    if not header:
        raise PageError("the Producer Services table has no header row")
    states = tuple(th.text() for th in header[1:])
    rows = tuple(
        DirectoryRow(
            tr.find("th", scope="row").text(),
            tuple(
                None if "illegible" in (td.attrs.get("class") or "").split() else td.text()
                for td in tr.find_all("td")
            ),
        )
        for tr in table.find("tbody").find_all("tr")
    )
    return states, rows


def recognise(seen: Screen, portal: PortalSpec) -> str:
    """The name of the screen of ``portal`` that shows what ``seen`` shows (messages
    aside), or :data:`UNKNOWN_SCREEN`."""
    shown = (seen.title, seen.texts, seen.fields, seen.buttons, seen.links, seen.menus)
    for name, spec in portal.screens.items():
        lines = tuple(line for key in spec.texts for line in portal.texts[key].lines)
        if (spec.title, lines, spec.fields, spec.buttons, spec.links, spec.menus) == shown and (
            spec.directory == bool(seen.directory_states)
        ):
            return name
    return UNKNOWN_SCREEN
