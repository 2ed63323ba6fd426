"""A problem found in a flow file: a value with a place, never an exception trace."""
from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    column: int
    where: str          # "menu 'main-menu'", "prompt 'welcome'", or "" for the file itself
    message: str
    hint: str = ""
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}:{self.column}: "
        level = "warning: " if self.severity == WARNING else ""
        where = f"{self.where}: " if self.where else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{place}{level}{where}{self.message}{hint}"

    def as_dict(self) -> dict:
        return {
            "file": self.file, "line": self.line, "column": self.column,
            "where": self.where, "message": self.message, "hint": self.hint,
            "severity": self.severity,
        }


def did_you_mean(word: str, choices) -> str:
    """A hint naming the closest spelling, as click does for options."""
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""
