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


#: the most problems the message of one :class:`InvalidInput` lists, and the longest line it prints
SHOWN_PROBLEMS = 50
_LONGEST_LINE = 1000


class InvalidInput(FollowupError):
    """A state file, rulebook or argument that cannot be used as it is.

    :ivar problems: every problem found, in file order; never empty. Its message
        lists the first :data:`SHOWN_PROBLEMS` of them, each cut to a readable length.
    """

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("InvalidInput needs at least one problem")
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.column, p.message))
        lines = [_cut(str(p)) for p in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"… and {len(self.problems) - SHOWN_PROBLEMS:,} more problems")
        super().__init__("\n".join(lines))

    @classmethod
    def single(cls, path: str, message: str, line: int = 0, column: int = 0) -> InvalidInput:
        return cls([Problem(path, line, column, message)])


def _cut(line: str) -> str:
    return line if len(line) <= _LONGEST_LINE else f"{line[:_LONGEST_LINE]}… ({len(line):,} characters)"
