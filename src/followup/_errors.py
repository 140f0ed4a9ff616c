"""Errors a person can act on: where the problem is, what was found, what would do."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FollowupError", "InvalidInput", "Problem"]


class FollowupError(Exception):
    """Base class of every error followup raises on purpose.

    The command line prints these without a traceback and exits with status 1.
    """


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input, located as precisely as we can.

    ``line`` and ``column`` are 1-based; 0 means unknown.
    """

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column}: {self.message}"
        return f"{self.path}: {self.message}"


class InvalidInput(FollowupError):
    """A state file, rulebook or argument that cannot be used as it is.

    :ivar problems: every problem found, in file order; never empty.
    """

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("InvalidInput needs at least one problem")
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.column, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, path: str, message: str, line: int = 0, column: int = 0) -> InvalidInput:
        return cls([Problem(path, line, column, message)])
