"""The house as the README draws it: `specs` never imports `simulator`, the packages
import each other only downward in the order below, and a module imports from another
only the names that module lists in ``__all__``.

The check reads the source (AST), so lazy imports inside functions count too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Lowest first: a module may import its own layer and the layers before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("specs.errors", "specs.model", "specs.guide", "specs.authority"),
    ("specs.yamlsource",),
    ("specs.reader",),
    ("specs.validate",),
    ("specs.loader",),
    ("specs.machines",),
    ("specs.paths", "specs.diagram", "specs.trace", "specs.scenarios"),
    ("specs",),
    ("simulator.asgi",),
    ("simulator.mail",),
    ("simulator.portal",),
    ("simulator.population",),
    ("simulator.web",),
    ("simulator.drivers",),
    ("simulator.verify",),
    ("simulator.simulation",),
    ("simulator.cli", "simulator"),
)


def _layer(module: str) -> int:
    """The layer of a module: that of the longest prefix listed."""
    best, found = -1, -1
    for index, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, found = len(name), index
    if found < 0:
        raise AssertionError(f"{module}: in no layer of tests/test_layering.py")
    return found


def project_sources() -> dict[str, str]:
    """Module name -> source, for every module of specs/ and simulator/."""
    sources: dict[str, str] = {}
    for package in ("specs", "simulator"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            sources[name] = path.read_text(encoding="utf-8")
    return sources


def _exports(source: str) -> set[str] | None:
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            return set(value)
    return None


def _imports(source: str) -> Iterator[tuple[int, str, str | None]]:
    """(line, module, name or None) of every import of a project module."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.lineno, node.module, alias.name


def layering_problems(sources: Mapping[str, str]) -> list[str]:
    """Every import that breaks the house rules, as "module:line: what"."""
    problems: list[str] = []
    for module, source in sources.items():
        for line, imported, name in _imports(source):
            if imported.split(".")[0] not in ("specs", "simulator"):
                continue
            where = f"{module}:{line}"
            if module.startswith("specs") and imported.startswith("simulator"):
                problems.append(f"{where}: specs imports {imported}")
                continue
            if _layer(imported) > _layer(module):
                problems.append(f"{where}: imports {imported}, a layer above it")
            if name is None or f"{imported}.{name}" in sources or imported not in sources:
                continue
            exports = _exports(sources[imported])
            if exports is None:
                problems.append(f"{where}: imports {name} from {imported}, which has no __all__")
            elif name not in exports:
                problems.append(
                    f"{where}: imports {name}, which {imported} does not list in __all__"
                )
    return problems


def test_the_project_keeps_its_layers() -> None:
    assert layering_problems(project_sources()) == []


def test_a_wrong_import_is_caught() -> None:
    """The check fails on each kind of wrong import, shown on copies of the sources."""
    sources = project_sources()
    wrong = {
        "specs.model": "from simulator.portal.portal import Portal\n",
        "simulator.portal.portal": "from simulator.verify.command import verify\n",
        "simulator.mail.messages": "from simulator.portal.passwords import _pbkdf2\n",
        "simulator.verify.journeys": "def later() -> None:\n    import simulator.cli\n",
    }
    for module, line in wrong.items():
        broken = {**sources, module: sources[module] + "\n" + line}
        problems = [p for p in layering_problems(broken) if p.startswith(module + ":")]
        assert problems, f"{module}: {line!r} was not caught"
    caught = "\n".join(
        layering_problems(
            {
                **sources,
                "specs.model": sources["specs.model"]
                + "\nfrom simulator.portal.portal import Portal\n",
            }
        )
    )
    assert "specs imports simulator.portal.portal" in caught


def test_every_module_is_in_a_layer() -> None:
    for module in project_sources():
        _layer(module)
