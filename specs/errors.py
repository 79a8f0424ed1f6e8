"""The project's exception tree: every error `rpp` reports to a user is an
:class:`RppError` (the CLI catches that one root and sets exit codes in one place).

    RppError
    ├── UsageError        a command used wrongly (exit 2)
    ├── SpecError         invalid flow files, with every problem placed (exit 1)
    │   (specs.machines.MissingVocabulary: a model lacks a guard or action)
    ├── simulator.portal.portal.PortalUsageError   a driver clicked what a screen lacks
    ├── simulator.mail.messages.MissingEmailPart, simulator.mail.mailbox.NoSuchMessage
    └── simulator.simulation.errors.SimulationError  scenarios, scheduler, reference

It lives in the lowest layer so that `specs` and `simulator` share it without
`specs` importing `simulator`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RppError", "SpecError", "SpecProblem", "UsageError"]


@dataclass(frozen=True, order=True)
class SpecProblem:
    """One thing wrong with a flow file, at a 1-based line and column."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class RppError(Exception):
    """The root of every error rpp-flows reports to a user."""


class UsageError(RppError):
    """A command was used wrongly (arguments, files): exit 2, with a message."""


class SpecError(RppError):
    """Raised when flow files are invalid; carries every problem found."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
