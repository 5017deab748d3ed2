"""One way to report a problem in someone's file: where it is, what is wrong, what to do.

Every stage of the pipeline raises or collects `Problem`s instead of printing, so the
CLI can show them all at once, sorted, in the `path:line: message` form editors jump to.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path


def shown_text(text: str) -> str:
    """Text from someone's file, made safe to print inside one line of a message.

    A value may hold a line break (`"a\\nb"` in double quotes), a carriage return, an escape
    sequence for the terminal or a bidirectional override: printed raw, it could start a line
    that looks like one of our own messages about another file, or recolour or reorder the
    screen. Such characters are shown as escapes (`\\n`, `\\x1b`, `\\u202e`), so a message is
    always exactly one line and says what is really in the file.
    """
    out = []
    for ch in text:
        if ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
            cp = ord(ch)
            out.append(f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}")
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    hint: str = ""
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        path = shown_text(self.path)
        where = f"{path}:{self.line}" if self.line else path
        label = "warning: " if self.severity == "warning" else ""
        text = f"{where}: {label}{shown_text(self.message)}"
        if self.hint:
            text += f" ({shown_text(self.hint)})"
        return text

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class InputError(Exception):
    """Raised when user-supplied files cannot be turned into packets; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.path, p.line, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


def display_path(path: Path | str) -> str:
    """Paths in messages are relative to the working directory when possible, as the user typed them."""
    p = Path(path)
    for candidate in (p.absolute(), p.resolve()):  # a link is shown where it is, not where it leads
        try:
            return str(candidate.relative_to(Path.cwd().resolve()))
        except (ValueError, OSError):
            continue
    return str(p)
