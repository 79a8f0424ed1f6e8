"""Read the nodes of one YAML document, recording a positioned problem for each mismatch.

Shared by the flow files (:mod:`specs.loader`) and the load-simulation scenario
files (:mod:`simulator.simulation.scenario`). A :class:`Reader` never raises: every
check that fails appends a :class:`~specs.errors.SpecProblem` (file:line:column and
what was expected) and returns ``None``, so a caller reports every problem at once.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from specs.errors import SpecProblem
from specs.model import Where
from specs.yamlsource import compose_file, scalar_value, shown

__all__ = ["Reader", "kind"]


def kind(node: Node) -> str:
    """What a node holds, as a message shows it ("a list", "a number (3)", ...)."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    value = scalar_value(node) if isinstance(node, ScalarNode) else None
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({node.value})"
    if isinstance(value, int | float):
        return f"a number ({node.value})"
    assert isinstance(node, ScalarNode)
    return f"a string ({shown(node)})"


def _plain(bound: float) -> str:
    """A limit as a reader writes it: 1000000, not 1e+06."""
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


class Reader:
    """Reads the nodes of one file, recording a problem for each mismatch.

    ``name`` is the file as messages show it; ``document`` what the file is
    ("flow file", "scenario file"), for the messages about the file as a whole.
    """

    def __init__(self, name: str, document: str = "flow file") -> None:
        self.name = name
        self.document = document
        self.problems: list[SpecProblem] = []

    def compose(self, path: Path) -> Node:
        """The file's root node (raises SpecError when it is not readable YAML)."""
        return compose_file(path, self.name, document=self.document)

    def where(self, node: Node) -> Where:
        return Where(self.name, node.start_mark.line + 1, node.start_mark.column + 1)

    def fail(self, node: Node, message: str) -> None:
        w = self.where(node)
        self.problems.append(SpecProblem(self.name, w.line, w.column, message))

    def unknown_key(self, key: str, allowed: Sequence[str]) -> str:
        """The advice after "unknown key"; a document may name where a key belongs."""
        return f"expected one of: {', '.join(allowed)}"

    def entries(self, node: Node, what: str) -> dict[str, tuple[Node, Node]] | None:
        """A mapping's entries by key, with the key nodes; duplicates are problems."""
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what}: expected a mapping, found {kind(node)}")
            return None
        seen: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = scalar_value(key_node) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str) or not key:
                self.fail(key_node, f"{what}: keys must be names, found {kind(key_node)}")
                continue
            if key in seen:
                first = seen[key][0].start_mark.line + 1
                self.fail(
                    key_node,
                    f"{what}: duplicate key '{key}' (first at line {first}); a key may appear once",
                )
                continue
            seen[key] = (key_node, value_node)
        return seen

    def mapping(
        self, node: Node, what: str, required: Sequence[str], optional: Sequence[str] = ()
    ) -> dict[str, Node] | None:
        """A mapping with a fixed set of keys."""
        found = self.entries(node, what)
        if found is None:
            return None
        allowed = [*required, *optional]
        for key, (key_node, _) in found.items():
            if key not in allowed:
                self.fail(
                    key_node, f"{what}: unknown key '{key}'; {self.unknown_key(key, allowed)}"
                )
        for key in required:
            if key not in found:
                self.fail(node, f"{what}: missing required key '{key}'")
        return {k: v for k, (_, v) in found.items() if k in allowed}

    def scalar(self, node: Node | None, what: str, types: tuple[type, ...], expected: str) -> Any:
        if node is None:
            return None
        value = scalar_value(node) if isinstance(node, ScalarNode) else None
        ok = isinstance(node, ScalarNode) and isinstance(value, types)
        if ok and bool not in types and isinstance(value, bool):
            ok = False
        if not ok:
            self.fail(node, f"{what}: expected {expected}, found {kind(node)}")
            return None
        return value

    def string(self, node: Node | None, what: str) -> str | None:
        value = self.scalar(node, what, (str,), "a string")
        if isinstance(value, str) and not value.strip():
            assert node is not None
            self.fail(node, f"{what}: expected a non-empty string")
            return None
        return value  # type: ignore[no-any-return]

    def optional_string(self, node: Node | None, what: str) -> str | None:
        if node is None or (isinstance(node, ScalarNode) and scalar_value(node) is None):
            return None
        return self.string(node, what)

    def integer(self, node: Node | None, what: str, minimum: int, maximum: int) -> int | None:
        """A whole number from ``minimum`` to ``maximum``."""
        value = self.number(node, what, minimum, maximum, integer=True)
        return None if value is None else int(value)

    def text(self, node: Node | None, what: str, limit: int, one_line: bool = False) -> str | None:
        """A non-empty string of at most ``limit`` characters (one line when ``one_line``).

        It is shown as plain text wherever it appears (a title, a report), never markup.
        """
        value = self.string(node, what)
        if value is None:
            return None
        assert node is not None
        if len(value) > limit:
            self.fail(node, f"{what}: {len(value):,} characters; at most {limit:,} are allowed")
            return None
        if one_line and any(c in value for c in "\n\r\t"):
            self.fail(node, f"{what}: expected one line, without line breaks or tabs")
            return None
        return value

    def number(
        self,
        node: Node | None,
        what: str,
        low: float,
        high: float,
        integer: bool = False,
        default: float | None = None,
    ) -> float | None:
        """A finite number from ``low`` to ``high`` (``default`` when the key is absent).

        Every number has an upper limit: an unbounded one (1e300, .inf) would
        overflow the arithmetic that uses it instead of being refused here.
        """
        if node is None:
            return default
        value = scalar_value(node) if isinstance(node, ScalarNode) else None
        expected = (
            f"{'a whole number' if integer else 'a number'} from {_plain(low)} to {_plain(high)}"
        )
        if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
            self.fail(node, f"{what}: expected {expected}, found {kind(node)}")
            return None
        # An int is compared as it is (float() of a huge one would overflow); its text
        # is short: yamlsource refuses a number of more than MAX_NUMBER_CHARS characters.
        if (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
            self.fail(node, f"{what}: expected {expected}, found {node.value}")
            return None
        return float(value)

    def rate(self, node: Node | None, what: str, default: float | None = None) -> float | None:
        """A probability, from 0 to 1."""
        return self.number(node, what, 0.0, 1.0, default=default)

    def pair(self, node: Node, what: str, high: float) -> tuple[float, float] | None:
        """``[low, high]``: two numbers from 0 to ``high``, the first not above the second."""
        if not isinstance(node, SequenceNode) or len(node.value) != 2:
            self.fail(
                node,
                f"{what}: expected [low, high], two numbers, found {kind(node)}"
                + (f" of {len(node.value)}" if isinstance(node, SequenceNode) else ""),
            )
            return None
        low = self.number(node.value[0], f"{what}[0]", 0.0, high)
        top = self.number(node.value[1], f"{what}[1]", 0.0, high)
        if low is None or top is None:
            return None
        if low > top:
            self.fail(node, f"{what}: low {low:g} exceeds high {top:g}; write [low, high]")
            return None
        return low, top

    def boolean(self, node: Node | None, what: str, default: bool = False) -> bool:
        if node is None:
            return default
        value = self.scalar(node, what, (bool,), "true or false")
        return bool(value) if value is not None else default

    def names(self, node: Node | None, what: str, allow_single: bool = False) -> tuple[str, ...]:
        """A list of names (or, with ``allow_single``, one name)."""
        if node is None:
            return ()
        if allow_single and isinstance(node, ScalarNode):
            single = self.string(node, what)
            return (single,) if single else ()
        if not isinstance(node, SequenceNode):
            expected = "a name or a list of names" if allow_single else "a list of names"
            self.fail(node, f"{what}: expected {expected}, found {kind(node)}")
            return ()
        out = [self.string(item, f"{what}[{i}]") for i, item in enumerate(node.value)]
        return tuple(s for s in out if s)

    def date(self, node: Node | None, what: str) -> dt.date | None:
        text = self.string(node, what) if node is not None else None
        if text is None:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            assert node is not None
            self.fail(node, f'{what}: expected a date as "YYYY-MM-DD", found {text!r}')
            return None

    def section(
        self,
        node: Node | None,
        what: str,
        fields: dict[str, Callable[[Node | None, str], Any]],
        required: Sequence[str],
    ) -> dict[str, Any] | None:
        """A mapping whose every key is read by its reader in ``fields``."""
        if node is None:
            return None
        found = self.mapping(node, what, required, [k for k in fields if k not in required])
        if found is None:
            return None
        values = {key: read(found.get(key), f"{what}.{key}") for key, read in fields.items()}
        if any(values[k] is None for k in fields if k in found or k in required):
            return None
        return values
