"""Read one YAML file safely into a tree of PyYAML nodes that keep their positions.

Safe by construction: only the YAML core tags are accepted (no ``!!python/...``),
anchors and aliases are refused (so an alias bomb cannot expand), nesting and file
size are bounded, and the bytes must be UTF-8. Every refusal is a
:class:`~specs.errors.SpecError` naming ``file:line:column``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from specs.errors import SpecError, SpecProblem

__all__ = ["MAX_BYTES", "MAX_DEPTH", "compose_file", "compose_text", "scalar_value"]

MAX_BYTES = 1_000_000
MAX_DEPTH = 64
_CORE = "tag:yaml.org,2002:"
ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}


class _Refused(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        self.mark = mark
        self.message = message


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader's composer with no aliases, no anchors and bounded depth."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                event.start_mark,
                f"alias *{event.anchor} is not allowed in a flow file; write the value out",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(
                event.start_mark,
                f"anchor &{anchor} is not allowed in a flow file; write the value out",
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(
                event.start_mark, f"nesting deeper than {MAX_DEPTH} levels; flow files are shallow"
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def compose_file(path: Path, display: str | None = None) -> Node:
    """Read ``path`` and compose it; raise SpecError on anything unsafe or malformed."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SpecError(
            [SpecProblem(name, 1, 1, f"cannot read the file: {error.strerror}")]
        ) from None
    if len(data) > MAX_BYTES:
        raise SpecError(
            [
                SpecProblem(
                    name,
                    1,
                    1,
                    f"file is {len(data):,} bytes; a flow file may be at most {MAX_BYTES:,} bytes",
                )
            ]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        good = data[: error.start].decode("utf-8", errors="replace")
        line, column = _position(good, len(good))
        raise SpecError(
            [
                SpecProblem(
                    name,
                    line,
                    column,
                    f"byte 0x{data[error.start]:02x} is not UTF-8; save the file as UTF-8",
                )
            ]
        ) from None
    return compose_text(text, name)


def compose_text(text: str, name: str) -> Node:
    """Compose YAML ``text`` (from the file ``name``) into a node tree."""
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        line, column = _position(text, text.index("\x00"))
        raise SpecError([SpecProblem(name, line, column, "NUL byte in the file; it is not text")])
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        raise SpecError(
            [SpecProblem(name, 1, 1, "the file is empty; expected a mapping of flow keys")]
        )
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
    except _Refused as refused:
        line, column = _mark(refused.mark)
        raise SpecError([SpecProblem(name, line, column, refused.message)]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = _mark(mark)
        what = error.problem or "malformed YAML"
        context = f" ({error.context})" if error.context else ""
        raise SpecError(
            [SpecProblem(name, line, column, f"YAML syntax: {what}{context}")]
        ) from None
    except yaml.YAMLError as error:
        raise SpecError([SpecProblem(name, 1, 1, f"YAML syntax: {error}")]) from None
    except RecursionError:
        raise SpecError([SpecProblem(name, 1, 1, "nesting too deep to read")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise SpecError(
            [SpecProblem(name, 1, 1, "the file is empty; expected a mapping of flow keys")]
        )
    bad = _first_bad_tag(node)
    if bad is not None:
        line, column = _mark(bad.start_mark)
        raise SpecError(
            [
                SpecProblem(
                    name,
                    line,
                    column,
                    f"tag {bad.tag} is not allowed; flow files hold plain strings, numbers,"
                    " lists and mappings",
                )
            ]
        )
    return node


def _mark(mark: Any) -> tuple[int, int]:
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


def _first_bad_tag(root: Node) -> Node | None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.tag not in ALLOWED_TAGS:
            return node
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return None


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def scalar_value(node: ScalarNode) -> Any:
    """The Python value of a core-schema scalar (str, int, float, bool or None)."""
    return _CONSTRUCTOR.construct_object(node, deep=True)
