"""Read one YAML file safely into a tree of PyYAML nodes that keep their positions.

Safe by construction, and bounded in time and memory whatever the bytes: at most
:data:`MAX_BYTES` are read, at most :data:`MAX_NODES` values and :data:`MAX_DEPTH`
levels of nesting are composed, anchors and aliases are refused (so an alias bomb
cannot expand), only the YAML core tags are accepted (no ``!!python/...``), each
tag must fit its node and each scalar must be readable as its type, and the text
must be printable UTF-8 (a BOM and CRLF or CR line ends are fine). Only a regular
file is opened, and without blocking: a FIFO, a device or a socket is refused before
a byte is read, so ``/dev/zero`` or a pipe nobody writes to cannot hang a reader.
YAML 1.1's surprising numbers are refused before PyYAML builds them: base 60
(``1:30`` is 90, and ``1:1:1:...`` costs quadratic time to build), a leading zero
(``010`` is octal 8) and a number longer than :data:`MAX_NUMBER_CHARS` characters
(no value a flow or scenario holds needs more). Every refusal is
a :class:`~specs.errors.SpecError` naming ``file:line:column``, where lines end at
``\\n``, ``\\r\\n`` or ``\\r`` as in an editor. U+0085, U+2028 and U+2029 are refused
in the raw text: YAML 1.1 breaks lines there and editors do not, so they would shift
every line number after them and silently fold a quoted text.
"""

from __future__ import annotations

import bisect
import codecs
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import Reader

from specs.errors import SpecError, SpecProblem

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_NUMBER_CHARS",
    "compose_file",
    "compose_text",
    "scalar_value",
    "shown",
]

MAX_BYTES = 1_000_000
MAX_DEPTH = 64
# The shipped portal.yaml has about 1,000 values; PyYAML composes roughly 50,000 a
# second, so this bounds a file's load to well under a second and a few tens of MB.
MAX_NODES = 20_000
MAX_NUMBER_CHARS = 32
_NUMBER_STARTS = set("+-.0123456789")
_DIGITS = frozenset("0123456789_")
_HEX = frozenset("0123456789abcdefABCDEF_")


def _number_shaped(value: str) -> bool:
    """Whether ``value`` has the shape of a YAML 1.1 int or float (decimal, hex, octal,
    base 60, a fraction with an exponent), checked in one pass without a regexp (on
    hundreds of kilobytes a regexp's repeated group costs memory per repetition)."""
    body = value[1:] if value[:1] in "+-" else value
    if body[:2] in ("0x", "0X"):
        return len(body) > 2 and _HEX.issuperset(body[2:])
    if ":" in body:
        return all(part and _DIGITS.issuperset(part) for part in body.split(":"))
    mantissa, _, exponent = body.replace("E", "e").partition("e")
    if exponent[:1] in "+-":
        exponent = exponent[1:]
    if "e" in body.lower() and not (exponent and exponent.isdigit()):
        return False
    whole, _, fraction = mantissa.partition(".")
    return bool(whole or fraction) and _DIGITS.issuperset(whole + fraction)


"""The longest plain number read (digits, sign, point, exponent and ``_``): every number
a flow or scenario holds is bounded far below 10**30, so a longer one is a mistake."""
_CORE = "tag:yaml.org,2002:"
_NUMBER_TAGS = (_CORE + "int", _CORE + "float")
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}
_TAG_KIND = {_CORE + "map": MappingNode, _CORE + "seq": SequenceNode}
_READS_AS = {
    _CORE + "int": "a whole number",
    _CORE + "float": "a number",
    _CORE + "bool": "true or false",
    _CORE + "null": "null",
    _CORE + "str": "a string",
}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Line breaks to YAML 1.1 (so to PyYAML's positions and folding), not to editors.
_ODD_BREAK = re.compile("[\x85\u2028\u2029]")
_ODD_BREAK_NAMES = {
    "\x85": "NEXT LINE",
    "\u2028": "LINE SEPARATOR",
    "\u2029": "PARAGRAPH SEPARATOR",
}
_NON_PRINTABLE: re.Pattern[str] = Reader.NON_PRINTABLE


class _Refused(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        self.mark = mark
        self.message = message


class _Lines:
    """Turns a character offset of one text into an editor's 1-based line and column."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    def at(self, offset: int) -> tuple[int, int]:
        if self._starts is None:  # built once, only when a problem needs it
            self._starts = [0, *(m.end() for m in _LINE_BREAK.finditer(self.text))]
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader's composer with no aliases, no anchors, bounded depth and size."""

    def __init__(self, stream: str, document: str = "flow file") -> None:
        super().__init__(stream)
        self._document = document
        self._depth = 0
        self._nodes = 0

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # PyYAML tries its number regexps on a plain scalar that starts like a number;
        # on hundreds of kilobytes they take seconds and megabytes. A scalar that long
        # is no number: tag it as one without the regexps if it is made of number
        # characters (it is then refused as too long), else as a string.
        if (
            kind is ScalarNode
            and implicit[0]
            and len(value) > MAX_NUMBER_CHARS
            and value[:1] in _NUMBER_STARTS
        ):
            return _CORE + ("int" if _number_shaped(value) else "str")
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                event.start_mark,
                f"alias *{event.anchor} is not allowed in a {self._document}; write the value out",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(
                event.start_mark,
                f"anchor &{anchor} is not allowed in a {self._document}; write the value out",
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused(
                event.start_mark,
                f"more than {MAX_NODES:,} values (strings, numbers, lists, mappings);"
                f" a {self._document} holds a few thousand at most, split or shorten it",
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(
                event.start_mark,
                f"nesting deeper than {MAX_DEPTH} levels; {self._document}s are shallow",
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _fail(name: str, where: tuple[int, int], message: str) -> SpecError:
    return SpecError([SpecProblem(name, where[0], where[1], message)])


def compose_file(path: Path, display: str | None = None, document: str = "flow file") -> Node:
    """Read ``path`` and compose it; raise SpecError on anything unsafe or malformed.

    ``document`` names what the file is ("flow file", "scenario file") in messages.

    Reads at most ``MAX_BYTES + 1`` bytes, so a huge file costs no memory.
    """
    name = display or str(path)
    data, size = _read_regular(path, name, document)
    if len(data) > MAX_BYTES:
        raise _fail(
            name,
            (1, 1),
            f"file is {size:,} bytes; a {document} may be at most {MAX_BYTES:,} bytes",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise _fail(
                name, (1, 1), "the file is UTF-16 (it starts with a UTF-16 BOM); save it as UTF-8"
            ) from None
        good = data[: error.start].decode("utf-8", errors="replace").removeprefix("\ufeff")
        raise _fail(
            name,
            _Lines(good).at(len(good)),
            f"byte 0x{data[error.start]:02x} is not UTF-8; save the file as UTF-8",
        ) from None
    return compose_text(text, name, document)


_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    """What a file that is not a regular file is ("a FIFO (named pipe)"), else None."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _FILE_KINDS if test(mode)), "a special file")


def _read_regular(path: Path, name: str, document: str) -> tuple[bytes, int]:
    """At most ``MAX_BYTES + 1`` bytes of the regular file ``path`` and its size.

    Checked twice: by ``stat`` before opening (opening a device may itself act), and
    by ``fstat`` on what was opened, without blocking (``O_NONBLOCK``: opening a FIFO
    would otherwise wait for a writer), in case the path changed in between.
    """
    try:
        what = _not_regular(os.stat(path).st_mode)
        if what is None:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
            with os.fdopen(fd, "rb") as file:
                status = os.fstat(file.fileno())
                what = _not_regular(status.st_mode)
                if what is None:
                    os.set_blocking(fd, True)
                    data = file.read(MAX_BYTES + 1)
                    return data, max(status.st_size, len(data))
    except OSError as error:
        raise _fail(name, (1, 1), f"cannot read the file: {error.strerror}") from None
    raise _fail(
        name,
        (1, 1),
        f"cannot read the file: it is {what}, not a regular file; a {document} must be one",
    )


def compose_text(text: str, name: str, document: str = "flow file") -> Node:
    """Compose YAML ``text`` (from the file ``name``, a ``document``) into a node tree.

    The only exception it raises is :class:`SpecError`.
    """
    text = text.removeprefix("\ufeff")
    lines = _Lines(text)
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        char = bad.group()
        what = (
            "NUL byte in the file; it is not text"
            if char == "\x00"
            else f"character U+{ord(char):04X} is not allowed in a {document}"
            " (control characters and lone surrogates are not text); remove it"
        )
        raise _fail(name, lines.at(bad.start()), what)
    odd = _ODD_BREAK.search(text)
    if odd is not None:
        char = odd.group()
        raise _fail(
            name,
            lines.at(odd.start()),
            f"character U+{ord(char):04X} ({_ODD_BREAK_NAMES[char]}) ends a line for YAML but"
            " not in an editor; delete it (inside double quotes, write \\N, \\L or \\P)",
        )
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        raise _fail(name, (1, 1), _empty(document))
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text, document)
        node = loader.get_single_node()
    except _Refused as refused:
        raise _fail(name, _mark(refused.mark), refused.message) from None
    except yaml.MarkedYAMLError as error:
        raise _fail(
            name, _mark(error.problem_mark or error.context_mark), _syntax(error, document)
        ) from None
    except yaml.YAMLError as error:
        raise _fail(name, (1, 1), f"YAML syntax: {error}") from None
    except RecursionError:
        raise _fail(name, (1, 1), "nesting too deep to read") from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise _fail(name, (1, 1), _empty(document))
    _check_nodes(node, text, name, document)
    return node


def _mark(mark: Mark | None) -> tuple[int, int]:
    """A PyYAML mark as 1-based line and column: an editor's, since the text holds no
    line break that PyYAML and editors count differently."""
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


def _empty(document: str) -> str:
    return f"the file is empty; expected a mapping of {document.removesuffix(' file')} keys"


def _syntax(error: yaml.MarkedYAMLError, document: str) -> str:
    """PyYAML's complaint, with where the construct it was reading began."""
    what = error.problem or "malformed YAML"
    if what.startswith("but found another document"):
        return f"YAML syntax: a second document starts here; a {document} holds one document"
    if "'\\t'" in what:
        what += "; indent with spaces, YAML does not allow tabs there"
    context = ""
    if error.context:
        context = f" ({error.context}"
        if error.context_mark is not None and error.problem_mark is not None:
            line, column = _mark(error.context_mark)
            context += f" that starts at line {line}, column {column}"
        context += ")"
    return f"YAML syntax: {what}{context}"


def _check_nodes(root: Node, text: str, name: str, document: str) -> None:
    """Every tag core and fitting its node, every scalar readable as its type."""
    stack = [root]
    while stack:
        node = stack.pop()
        where = _mark(node.start_mark)
        if node.tag not in ALLOWED_TAGS:
            if isinstance(node, ScalarNode) and not text.startswith("!", node.start_mark.index):
                kind = node.tag.removeprefix(_CORE)
                raise _fail(
                    name,
                    where,
                    f"{shown(node)} reads as a YAML {kind}, which {document}s do not use;"
                    " quote it to make it a string",
                )
            raise _fail(
                name,
                where,
                f"tag {node.tag} is not allowed; {document}s hold plain strings, numbers,"
                " lists and mappings",
            )
        if not isinstance(node, _TAG_KIND.get(node.tag, ScalarNode)):
            raise _fail(
                name,
                where,
                f"tag !!{node.tag.removeprefix(_CORE)} does not fit a {_node_kind(node)};"
                " remove the tag",
            )
        if isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, MappingNode):
            for key, value in reversed(node.value):
                stack.extend((value, key))
        elif isinstance(node, ScalarNode):
            _check_scalar(node, text, name, where)


def shown(node: ScalarNode, limit: int = 40) -> str:
    """A scalar's text as a message quotes it: ``repr``, cut after ``limit`` characters."""
    value = node.value
    return repr(value if len(value) <= limit else value[:limit] + "...")


def _surprising_number(value: str, integer: bool) -> str | None:
    """Why a plain scalar PyYAML resolves as a number is refused before it is built."""
    if len(value) > MAX_NUMBER_CHARS:
        return (
            f"is a number of {len(value):,} characters; no number here needs more than"
            f" {MAX_NUMBER_CHARS}"
        )
    if ":" in value:
        return "is a base-60 number in YAML 1.1 (1:30 reads as 90); write it in decimal"
    if integer and _OCTAL.fullmatch(value):
        return "is an octal number in YAML 1.1 (010 reads as 8); drop the leading zero"
    return None


def _node_kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    return "list" if isinstance(node, SequenceNode) else "scalar"


def _check_scalar(node: ScalarNode, text: str, name: str, where: tuple[int, int]) -> None:
    bad = _NON_PRINTABLE.search(node.value)  # only an escape can put one here
    if bad is not None:
        char = ord(bad.group())
        what = "a lone surrogate" if 0xD800 <= char <= 0xDFFF else "a control character"
        raise _fail(
            name,
            where,
            f"an escape makes U+{char:04X}, {what}, which is not text;"
            " write the character itself or remove it",
        )
    if node.tag in _NUMBER_TAGS:
        surprise = _surprising_number(node.value, node.tag == _CORE + "int")
        if surprise is not None:
            explicit = text.startswith("!", node.start_mark.index)
            fix = "remove the tag" if explicit else "quote it if it is text"
            raise _fail(name, where, f"{shown(node)} {surprise}; {fix}")
    try:
        scalar_value(node)
    except Exception:  # PyYAML's constructors raise what int(), float() or a lookup raise
        explicit = text.startswith("!", node.start_mark.index)
        fix = (
            f"remove the tag !!{node.tag.removeprefix(_CORE)}"
            if explicit
            else "quote it to make it a string"
        )
        raise _fail(
            name,
            where,
            f"{shown(node)} cannot be read as {_READS_AS.get(node.tag, node.tag)}; {fix}",
        ) from None


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def scalar_value(node: ScalarNode) -> Any:
    """The Python value of a core-schema scalar (str, int, float, bool or None).

    Safe on any node :func:`compose_text` returned: it has checked every scalar.
    Calls the tag's constructor directly: ``construct_object`` would keep every node
    it ever saw in the shared constructor's cache (a leak, and not thread-safe).
    """
    construct = _CONSTRUCTOR.yaml_constructors[node.tag]
    return construct(_CONSTRUCTOR, node)
