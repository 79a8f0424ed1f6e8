"""The words on a diagram: a trigger as the control a producer uses, guards as short phrases.

A trigger that a screen's ``clicks`` maps to a button or link reads as that control
("click Login", "click Account › Edit Profile", "choose State"); any other trigger (the
account's, fired by the login flow) reads as its name in words ("fail login"). Guards
read as their vocabulary names in words: ``conditions`` after "if", ``unless`` after
"unless". Nothing here holds a text of the portal: every word comes from the specs.
"""

from __future__ import annotations

import textwrap

from specs.model import ScreenSpec, TransitionSpec

__all__ = ["WRAP", "control", "guard", "ordinal", "words", "wrap"]

# Characters per label line: a long guard wraps instead of widening the picture.
WRAP = 34


def words(name: str) -> str:
    """A snake_case name of the specs as words: ``fail_login`` -> ``fail login``."""
    return name.replace("_", " ")


def control(screen: ScreenSpec | None, trigger: str) -> str:
    """How a producer fires ``trigger`` on ``screen``: the button, link or field they use."""
    if screen is not None:
        for label, fired in screen.clicks.items():
            if fired != trigger:
                continue
            menu = next((m for m, links in screen.menu_links.items() if label in links), None)
            if menu is not None:
                return f"click {menu} › {label}"
            if label in screen.fields:
                return f"choose {label}"
            return f"click {label}"
    return words(trigger)


def guard(transition: TransitionSpec) -> list[str]:
    """The transition's guards, a phrase a line: ``if a``, ``and b``, ``unless c``,
    ``or d``; empty when it has none."""
    phrases = [
        f"{'if' if i == 0 else 'and'} {words(c)}" for i, c in enumerate(transition.conditions)
    ]
    phrases += [
        f"{'unless' if i == 0 else 'or'} {words(u)}" for i, u in enumerate(transition.unless)
    ]
    return phrases


def ordinal(number: int) -> str:
    """``1`` -> ``1st``, ``2`` -> ``2nd``, ``11`` -> ``11th``: the place a rule is tried in."""
    suffix = (
        "th" if number % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def wrap(text: str, prefix: str = "", hang: str = "  ", width: int = WRAP) -> list[str]:
    """``text`` after ``prefix`` in lines of at most ``width`` characters, further lines
    starting with ``hang`` (so a wrapped guard stays under its phrase, not its rank)."""
    return textwrap.wrap(
        text, width, initial_indent=prefix, subsequent_indent=hang, break_on_hyphens=False
    ) or [prefix.rstrip()]
