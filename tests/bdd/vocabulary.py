"""The little language step patterns are written in, and the value phrases a step may
take where a producer types something.

A step pattern is a template: plain words match themselves, and

- ``"{name}"``        a quoted string without double quotes: ``"Camp2019"``
- ``"{name:text}"``   a quoted text that may hold double quotes (the last thing in a step)
- ``{name:value}``    what the producer types: a quoted string or a value phrase (below)
- ``{name:list}``     quoted strings: ``"User Name"``, ``"A", "B" and "C"``
- ``{name:values}``   like ``list``, each a quoted string or a value phrase:
  ``"campfamily" and their user name``
- ``{name:text_ref}`` a text of portal.yaml by its key or guide ID (tests/bdd/texts.py):
  ``account_locked``, ``LOCK-1``
- ``{name:int}``      a whole number: ``3``
- ``{name:date}``     a date as the guide writes them: ``May 1, 2019``, ``Jan 1, 2020``
- ``{name:a|b|c}``    one of the words given

:class:`Template` compiles a template into a pytest-bdd regular-expression parser that
keeps the template (for ``features/STEPS.md``) and converts the arguments.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from pytest_bdd import parsers

from tests.bdd.texts import TEXT_REF

__all__ = ["VALUE_PHRASES", "GuideDate", "Template", "quoted_list", "value_list"]

# Each phrase a step may use instead of a quoted string, and what it stands for. The
# World resolves them (tests/bdd/world.py); STEPS.md lists them from here.
VALUE_PHRASES: dict[str, str] = {
    "nothing": "an empty field",
    "their user name": "the producer's User Name",
    "their user name in upper case": "the producer's User Name in capitals",
    "their password": "the producer's password (as registered or last changed)",
    "their E-mail Address": "the producer's E-mail Address on file",
    "their E-mail Address in upper case": "the producer's E-mail Address in capitals",
    "their Agent Unique ID": "the producer's Agent Unique ID",
    "the temporary password": "the temporary password of the newest reset email to the producer",
    "the temporary password in upper case": "the same, in capitals",
    "the temporary password in lower case": "the same, in small letters",
    "the temporary password in swapped case": "the same, each letter's case swapped",
    "the first temporary password": "the temporary password of the producer's oldest reset email",
    "the second temporary password": "the temporary password of the producer's second reset email",
}

_QUOTED = r'"[^"]*"'
_VALUE = "|".join([_QUOTED, *(re.escape(p) for p in sorted(VALUE_PHRASES, key=len, reverse=True))])
_LIST = rf"{_QUOTED}(?:(?:, | and ){_QUOTED})*"
_VALUES = rf"(?:{_VALUE})(?:(?:, | and )(?:{_VALUE}))*"
_DATE = r"[A-Z][a-z]+\.? \d{1,2}, \d{4}"
_FIELD = re.compile(r'"\{(\w+)(?::text)?\}"|\{(\w+)(?::([^}]+))?\}')


def quoted_list(text: str) -> list[str]:
    """``"A", "B" and "C"`` -> ``["A", "B", "C"]``."""
    return re.findall(r'"([^"]*)"', text)


def value_list(text: str) -> list[str]:
    """``"A", their user name and "B"`` -> ``['"A"', 'their user name', '"B"']``: each a
    quoted value or a value phrase, for :meth:`tests.bdd.world.World.value`."""
    return re.findall(_VALUE, text)


class GuideDate(dt.date):
    """A date as the guide writes it: it prints as the step wrote it (``May 1, 2019``),
    never as Python's ``datetime.date(2019, 5, 1)``."""

    written: str

    def __new__(cls, text: str) -> GuideDate:
        for form in ("%B %d, %Y", "%b %d, %Y", "%b. %d, %Y"):
            try:
                parsed = dt.datetime.strptime(text, form).date()
            except ValueError:
                continue
            made = super().__new__(cls, parsed.year, parsed.month, parsed.day)
            made.written = text
            return made
        raise ValueError(f"{text!r} is not a date like 'May 1, 2019'")

    def __str__(self) -> str:
        return self.written

    __repr__ = __str__


def _compile(template: str) -> tuple[str, dict[str, Callable[[str], Any]]]:
    pattern: list[str] = []
    converters: dict[str, Callable[[str], Any]] = {}
    position = 0
    for match in _FIELD.finditer(template):
        pattern.append(re.escape(template[position : match.start()]))
        position = match.end()
        quoted_name, name, kind = match.groups()
        if quoted_name is not None:
            body = ".+" if match.group(0).endswith(':text}"') else '[^"]*'
            pattern.append(f'"(?P<{quoted_name}>{body})"')
        elif kind == "value":
            pattern.append(f"(?P<{name}>{_VALUE})")
        elif kind == "list":
            pattern.append(f"(?P<{name}>{_LIST})")
            converters[name] = quoted_list
        elif kind == "values":
            pattern.append(f"(?P<{name}>{_VALUES})")
            converters[name] = value_list
        elif kind == "text_ref":
            pattern.append(f"(?P<{name}>{TEXT_REF})")
        elif kind == "int":
            pattern.append(rf"(?P<{name}>\d+)")
            converters[name] = int
        elif kind == "date":
            pattern.append(f"(?P<{name}>{_DATE})")
            converters[name] = GuideDate
        elif kind is not None and "|" in kind:
            choices = "|".join(re.escape(c) for c in sorted(kind.split("|"), key=len, reverse=True))
            pattern.append(f"(?P<{name}>{choices})")
        else:
            raise ValueError(f"step template {template!r}: unknown field {match.group(0)}")
    pattern.append(re.escape(template[position:]))
    return "".join(pattern), converters


class Template(parsers.re):
    """A pytest-bdd parser made from a step template (see the module docstring)."""

    def __init__(self, template: str) -> None:
        self.template = template
        pattern, self.converters = _compile(template)
        super().__init__(pattern)

    def parse_arguments(self, name: str) -> dict[str, Any] | None:
        raw = super().parse_arguments(name)
        if raw is None:
            return None
        return {key: self.converters.get(key, str)(value) for key, value in raw.items()}

    def __repr__(self) -> str:
        return f"Template({self.template!r})"
