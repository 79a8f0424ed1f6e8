"""What a producer sees: a :class:`Screen` value built from a screen of portal.yaml,
with the Producer Services table the forms show."""

from __future__ import annotations

from dataclasses import dataclass, field

from specs.model import FlowSet

__all__ = ["DirectoryRow", "Screen", "directory_rows", "directory_unknown_rows"]


@dataclass(frozen=True)
class DirectoryRow:
    """A row of the Producer Services table a form shows; None where illegible."""

    label: str
    numbers: tuple[str | None, ...]  # in the guide's state order


@dataclass(frozen=True)
class Screen:
    """What a producer sees: the screen's name, its texts and any messages."""

    name: str
    title: str
    texts: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # the fields marked required with "*"
    buttons: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    menus: tuple[str, ...] = ()
    directory_states: tuple[str, ...] = ()
    directory: tuple[DirectoryRow, ...] = ()
    # Rows the guide neither shows nor rules out here (a screenshot cut off above them):
    # a portal may show them or not (decision reset-form-state-farm-row). What the oracle
    # allows, not what the page shows: no page reads it back, so equality ignores it.
    directory_unknown: tuple[DirectoryRow, ...] = field(default=(), compare=False)
    # The state the State field shows chosen (LOGIN-4): one of parameters.states, or None.
    chosen_state: str | None = None
    # Which menu holds each link that is in one, as (link, menu) pairs in link order
    # (portal.yaml's menu_links: RESET-8 "Account menu -> Edit Profile").
    menu_links: tuple[tuple[str, str], ...] = ()

    def menu_items(self) -> dict[str, tuple[str, ...]]:
        """Each menu shown, with the links it holds, in order ("Account" -> "Edit Profile")."""
        return {
            menu: tuple(link for link, holder in self.menu_links if holder == menu)
            for menu in self.menus
        }

    def describe(self) -> str:
        """A readable dump, for failure messages."""
        lines = [f"[{self.name}] {self.title}"]
        lines += [f"  ! {m}" for m in self.messages]
        lines += [f"  {t}" for t in self.texts]
        if self.fields:
            marked = (f"{f} *" if f in self.required else f for f in self.fields)
            lines.append(f"  fields: {', '.join(marked)}")
        if self.chosen_state is not None:
            lines.append(f"  State chosen: {self.chosen_state}")
        controls = [*self.buttons, *self.links]
        if controls:
            lines.append(f"  buttons/links: {', '.join(controls)}")
        return "\n".join(lines)


def directory_rows(flow_set: FlowSet, screen: str) -> tuple[DirectoryRow, ...]:
    """The Producer Services table a form shows (USER-8, SERVICES-1/2): every line with
    its cells' dates, and the State Farm row, whose cells are illegible, on the screens
    that have it."""
    services = flow_set.portal.producer_services
    rows = [
        DirectoryRow(line.label, tuple(line.cells[s].text for s in services.states))
        for line in services.lines.values()
    ]
    if screen in services.state_farm_row_on:
        rows.append(_state_farm_row(flow_set))
    return tuple(rows)


def directory_unknown_rows(flow_set: FlowSet, screen: str) -> tuple[DirectoryRow, ...]:
    """The rows whose presence in ``screen``'s table the guide leaves unknown (SERVICES-2:
    the Reset Password? screenshot is cut off above where the State Farm row would be)."""
    services = flow_set.portal.producer_services
    return (_state_farm_row(flow_set),) if screen in services.state_farm_row_unknown_on else ()


def _state_farm_row(flow_set: FlowSet) -> DirectoryRow:
    services = flow_set.portal.producer_services
    return DirectoryRow(services.state_farm_label, (None,) * len(services.states))
