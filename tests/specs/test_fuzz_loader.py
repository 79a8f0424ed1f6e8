"""The loader fuzzed: arbitrary text and bytes, YAML-like token soup and mutated copies
of the shipped flows. Whatever comes in, the only exception out is SpecError, and
each of its problems names a real place (line and column within the file).

Bounded so the whole file runs in well under a minute.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, Node, SequenceNode

from specs import DEFAULT_FLOWS_DIR, load_flows
from specs.errors import SpecError
from specs.model import FlowSet
from specs.yamlsource import compose_file, compose_text

FILES = sorted(p.name for p in DEFAULT_FLOWS_DIR.glob("*.yaml"))
SHIPPED = {name: (DEFAULT_FLOWS_DIR / name).read_text(encoding="utf-8") for name in FILES}
WORDS = sorted({w for text in SHIPPED.values() for w in re.findall(r"[A-Za-z_][\w-]*", text)})
_BASE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fuzz(examples: int) -> settings:
    """Bounded: the examples are what keeps this file well under a minute."""
    return settings(_BASE, max_examples=examples)


TOKENS = [
    "key",
    "machine",
    "states",
    "transitions",
    "guide",
    "id",
    "LOCK-2",
    ": ",
    ":",
    "\n",
    "  ",
    "    ",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "&a ",
    "*a",
    "!!str ",
    "!!int ",
    "!!python/name:os.system ",
    "!x ",
    "!<tag:yaml.org,2002:str> ",
    "'",
    '"',
    "\\",
    "\\x",
    "\\u",
    "#",
    "? ",
    "|",
    ">",
    "|-\n",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG !p! tag:p\n",
    "\t",
    "\r\n",
    "\r",
    "\ufeff",
    "\x85",
    "\u2028",
    "\x00",
    "\x07",
    "é",
    "0x1F",
    "0b_",
    "1e5",
    ".inf",
    "null",
    "~",
    "true",
    "2020-01-01",
    "<<",
    "=",
    "1:30",
    "9" * 30,
]


def _lines_in(data: bytes) -> int:
    return len(re.findall(rb"\r\n|\r|\n", data)) + 1


def _check(error: SpecError, files: dict[str, bytes]) -> None:
    """Every problem names a file and a place in it, in text a strict UTF-8 stream takes."""
    assert error.problems
    str(error).encode("utf-8")  # printable anywhere: no lone surrogates
    for problem in error.problems:
        assert problem.line >= 1 and problem.column >= 1, problem
        assert problem.message.strip(), problem
        name = Path(problem.path).name
        if name in files:
            assert problem.line <= _lines_in(files[name]), (problem, _lines_in(files[name]))


# -- arbitrary text straight into the composer --------------------------------------------


@fuzz(400)
@given(st.text())
def test_any_text_composes_or_raises_a_spec_error(text: str) -> None:
    try:
        compose_text(text, "fuzz.yaml")
    except SpecError as error:
        _check(error, {"fuzz.yaml": text.encode("utf-8", "surrogatepass")})


@fuzz(400)
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_yaml_like_token_soup_composes_or_raises_a_spec_error(text: str) -> None:
    try:
        compose_text(text, "fuzz.yaml")
    except SpecError as error:
        _check(error, {"fuzz.yaml": text.encode("utf-8", "surrogatepass")})


# -- whole flow sets: one file replaced or mutated -----------------------------------------


@pytest.fixture(scope="module")
def flows_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One copy of the shipped flows for every example: each writes one file and puts
    it back."""
    target = tmp_path_factory.mktemp("fuzz") / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, target)
    yield target


def _load_with(flows: Path, name: str, data: bytes) -> FlowSet | None:
    path = flows / name
    path.write_bytes(data)
    try:
        return load_flows([flows], display_root=flows)
    except SpecError as error:
        _check(error, {**{n: SHIPPED[n].encode() for n in FILES}, name: data})
        return None
    finally:
        path.write_text(SHIPPED[name], encoding="utf-8")


@fuzz(300)
@given(st.binary(max_size=600))
def test_any_bytes_compose_or_raise_a_spec_error(flows_dir: Path, data: bytes) -> None:
    path = flows_dir.parent / "bytes.yaml"
    path.write_bytes(data)
    try:
        compose_file(path, "bytes.yaml")
    except SpecError as error:
        _check(error, {"bytes.yaml": data})


@fuzz(40)
@given(
    st.sampled_from(FILES),
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
    ),
)
def test_any_bytes_as_a_flow_file_load_or_raise_a_spec_error(
    flows_dir: Path, name: str, data: bytes
) -> None:
    assert _load_with(flows_dir, name, data) is None  # nothing random is a valid flow set


VALUES = [
    "",
    "[]",
    "{}",
    "null",
    "~",
    "-1",
    "0",
    "true",
    "3.5",
    "&a x",
    "*a",
    "[a, [b]]",
    "{a: b}",
    "'",
    '"',
    "|",
    ">",
    "!!python/name:os.system",
    "!!int x",
    "!!map x",
    "2020-01-01",
    "0b_",
    "1e9999",
    ".nan",
    "\t",
    '"\\ud800"',
    '"\\e"',
    "[unlocked]",
    "login_page",
    "LOCK-99",
    "9" * 5000,
]


@st.composite
def mutated_flow(draw: st.DrawFn) -> tuple[str, bytes]:
    """A shipped flow file with one to four mutations of its lines, words or bytes."""
    name = draw(st.sampled_from(FILES))
    lines = SHIPPED[name].splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        kind = draw(
            st.sampled_from(
                [
                    "delete",
                    "duplicate",
                    "swap",
                    "indent",
                    "dedent",
                    "value",
                    "word",
                    "insert",
                    "truncate",
                    "line-end",
                ]
            )
        )
        if kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, line)
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], line
        elif kind == "indent":
            lines[i] = " " * draw(st.integers(1, 4)) + line
        elif kind == "dedent":
            lines[i] = line[min(draw(st.integers(1, 4)), len(line) - len(line.lstrip(" "))) :]
        elif kind == "value" and ": " in line:
            key = line.split(": ", 1)[0]
            lines[i] = f"{key}: {draw(st.sampled_from(VALUES))}\n"
        elif kind == "word":
            words = list(re.finditer(r"[A-Za-z_][\w-]*", line))
            if words:
                w = words[draw(st.integers(0, len(words) - 1))]
                lines[i] = line[: w.start()] + draw(st.sampled_from(WORDS)) + line[w.end() :]
        elif kind == "insert":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(st.text(max_size=6)) + line[at:]
        elif kind == "truncate":
            lines = [*lines[:i], line[: draw(st.integers(0, len(line)))]]
        elif kind == "line-end":
            ending = draw(st.sampled_from(["\r\n", "\r", "\x85", "\u2028", ""]))
            lines[i] = line.rstrip("\r\n") + ending
    data = "".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    return name, data


@fuzz(150)
@given(mutated_flow())
def test_mutated_shipped_flows_load_or_raise_a_spec_error(
    flows_dir: Path, mutation: tuple[str, bytes]
) -> None:
    name, data = mutation
    _load_with(flows_dir, name, data)


# -- positions: what a node's line and column name is that node ----------------------------


def _nodes(root: Node) -> Iterator[Node]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.extend((key, value))


def _offset(text: str, line: int, column: int) -> int:
    """The character offset of an editor's line and column (lines end at CRLF, CR, LF)."""
    starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]
    return starts[line - 1] + column - 1


NAME = st.text(alphabet="abcxyz_", min_size=1, max_size=6)
ODD = st.text(alphabet="ab é\t𝄞–", max_size=8)  # columns count characters, not bytes


@st.composite
def flow_like_document(draw: st.DrawFn) -> str:
    """Block mappings and lists of plain names and double-quoted odd strings."""
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    out: list[str] = []
    for key in draw(st.lists(NAME, min_size=1, max_size=6, unique=True)):
        shape = draw(st.sampled_from(["plain", "quoted", "list", "mapping"]))
        if shape == "plain":
            out.append(f"{key}: {draw(NAME)}{eol}")
        elif shape == "quoted":
            out.append(f'{key}: "{draw(ODD)}"{eol}')
        elif shape == "list":
            out.append(f"{key}:{eol}")
            out += [f'  - "{draw(ODD)}"{eol}' for _ in range(draw(st.integers(1, 3)))]
        else:
            out.append(f"{key}:{eol}")
            inner = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
            out += [f'  {k}: "{draw(ODD)}"{eol}' for k in inner]
    prefix = draw(st.sampled_from(["", "\ufeff", f"# comment{eol}{eol}", f"\ufeff#{eol}"]))
    return prefix + "".join(out)


@fuzz(200)
@given(flow_like_document())
def test_every_position_points_at_its_node(text: str) -> None:
    root = compose_text(text, "doc.yaml")
    body = text.removeprefix("\ufeff")
    for node in _nodes(root):
        mark = node.start_mark
        assert _offset(body, mark.line + 1, mark.column + 1) == mark.index, (
            f"{node!r} at {mark.line + 1}:{mark.column + 1}"
        )


def test_syntax_error_names_where_the_unclosed_list_began(flows_copy: Path) -> None:
    path = flows_copy / "login.yaml"
    text = path.read_text(encoding="utf-8")
    line = text.splitlines().index("initial: login_page") + 1
    path.write_text(text.replace("initial: login_page", "initial: [login_page", 1), "utf-8")
    with pytest.raises(SpecError) as raised:
        load_flows([flows_copy])
    (problem,) = raised.value.problems
    assert problem.line == line + 1  # where PyYAML noticed: the next key
    assert f"that starts at line {line}, column 10" in problem.message
