"""The one exception type the spec layer raises for bad input, and its problems."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SpecError", "SpecProblem"]


@dataclass(frozen=True, order=True)
class SpecProblem:
    """One thing wrong with a flow file, at a 1-based line and column."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class SpecError(Exception):
    """Raised when flow files are invalid; carries every problem found."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
