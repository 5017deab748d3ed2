"""Reading YAML written by people we don't know, safely, remembering where each value came from.

Organization files arrive by email from many hands. This module is the only place that
touches their bytes, so every limit lives here: size, encoding, one document per file,
no Python tags, no duplicate keys, bounded alias expansion, no control characters.

Scalars follow the YAML 1.2 idea of "what you see is text": only `true`/`false`, `null`,
plain decimal integers and plain decimals are typed; everything else (`NO`, `on`,
`9:30`, `01234`, `1e3`, dates) stays the exact text the person typed. Where an older
YAML 1.1 tool would have read such a value differently, we say so in a warning, so that
nothing is ever changed silently and the file means the same thing in every editor.
"""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import Problem, display_path
from ..files import FileRefused, read_limited

MAX_FILE_BYTES = 1_000_000
MAX_STRING_CHARS = 20_000
MAX_EXPANDED_NODES = 50_000
MAX_DEPTH = 40
MAX_NUMBER_CHARS = 100

REFUSAL_HINT = "is this the right file? Only plain text files of at most 1 MB are read"

_BIDI_AND_INVISIBLE = {
    0x061C,
    0x2028,
    0x2029,
    0x034F,  # combining grapheme joiner: invisible, a mark in name only
    0x115F,  # Hangul fillers: blank letters
    0x1160,
    0x3164,
    0xFFA0,
    *range(0xFE00, 0xFE10),  # variation selectors (U+FE0F: "show as emoji")
    *range(0xE0100, 0xE01F0),
    *range(0x180B, 0x1810),  # Mongolian variation selectors and vowel separator
}
# Every format character (Unicode category Cf: U+00AD, U+200B-U+200F, U+202A-U+202E,
# U+2060-U+2064, U+2066-U+206F, U+FEFF, U+E0001...) is refused too. None is needed by the
# orthographies Nations in Canada write their names in: those use letters (ə, ɬ, ʔ, syllabics),
# modifier letters (ʷ, ʼ) and combining marks (the comma above in l̓, the macron below), all
# of which are allowed. Invisible characters hide what prints and defeat comparisons (the
# warning about the shipped example's text), so they are refused with their code points.
MAX_COMBINING_MARKS = 3  # on one letter; real orthographies stack two (ą́), a flood draws over the line above


def _invisible(ch: str) -> bool:
    cp = ord(ch)
    category = unicodedata.category(ch)
    return cp in _BIDI_AND_INVISIBLE or category == "Cf" or (category == "Cc" and ch not in "\n\t")


@functools.lru_cache(maxsize=8192)
def _unusual(ch: str) -> bool:
    """A character the checks of a text look at closely: half a pair, invisible, or a mark."""
    return unicodedata.category(ch) in ("Cs", "Mn", "Me") or _invisible(ch)


# What YAML 1.1 (PyYAML's default, many editors) would have typed differently.
_YAML11_SURPRISES = [
    (re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$"), "a true/false value"),
    (re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+$"), "a number in base 60 (9:30 as 570)"),
    (re.compile(r"^[-+]?0[0-7_]+$"), "an octal number (01234 as 668)"),
    (re.compile(r"^[-+]?0[0-9_]+$"), "a number without its leading zero"),
    (re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)[eE][-+]?[0-9]+$"), "a number in scientific notation"),
    (re.compile(r"^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$"), "infinity or not-a-number"),
]


class LineDict(dict):
    """A mapping that remembers the line of each key, for `path:line:` messages."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    """A sequence that remembers the line of each item."""

    line: int = 0
    item_lines: list[int]


@dataclass
class YamlDocument:
    """Parsed YAML plus where it came from; `data` is None when the file had errors."""

    path: Path
    data: Any
    problems: list[Problem] = field(default_factory=list)

    @property
    def shown_path(self) -> str:
        return display_path(self.path)

    def line_of(self, loc: tuple[Any, ...]) -> int:
        """The line of the value at `loc` (keys and indexes, as pydantic reports them)."""
        node = self.data
        line = getattr(node, "line", 1) or 1
        for part in loc:
            if isinstance(node, LineDict) and part in node:
                line = node.key_lines.get(part, line)
                node = node[part]
            elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
                line = node.item_lines[part]
                node = node[part]
            else:
                break
        return line


class _Refused(yaml.constructor.ConstructorError):
    """A value we will not construct, with a message and hint written for people."""

    def __init__(self, node: Node, problem: str, hint: str):
        super().__init__(None, None, problem, node.start_mark)
        self.hint = hint


class _Resolver(yaml.resolver.BaseResolver):
    pass


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)\.[0-9]+$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    _Resolver,
):
    def __init__(self, stream: str, shown_path: str):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _Resolver.__init__(self)
        self.shown_path = shown_path
        self.problems: list[Problem] = []
        self._depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node:  # type: ignore[override]
        # Deep nesting would exhaust Python's stack later on; no real file nests this deep.
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"values are nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _problem(self, node: Node, message: str, hint: str = "", severity: str = "error") -> None:
        self.problems.append(Problem(self.shown_path, node.start_mark.line + 1, message, hint, severity))

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        # PyYAML's constructors for explicit tags (`!!int abc`, `!!bool maybe`, `!!map text`) fail
        # with plain Python exceptions; turn those into a message at the value's line.
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            shown = node.value if isinstance(node, ScalarNode) else node.id
            raise _Refused(
                node,
                f"'{str(shown)[:60]}' cannot be read as {node.tag.replace('tag:yaml.org,2002:', '!!')}",
                "remove the '!!' tag and write plain text",
            ) from None

    def construct_yaml_int(self, node: ScalarNode) -> int:  # type: ignore[override]
        # Python refuses to convert very long numbers, and `!!int 1:2:3:...` is slow to compute.
        text = str(node.value)
        if len(text) > MAX_NUMBER_CHARS:
            raise _Refused(node, f"a number of {len(text):,} characters is too long", "put it in quotes if it is text")
        return super().construct_yaml_int(node)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        if not isinstance(node, MappingNode):
            raise _Refused(node, "'!!map' is given to a value that is not a mapping", "remove the '!!map' tag")
        self.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._problem(key_node, "a key must be a plain word", "write 'name: value'")
                continue
            key = str(self.construct_object(key_node, deep=True))
            line = key_node.start_mark.line + 1
            if key in result:
                self._problem(
                    key_node,
                    f"duplicate key '{key}' (first given on line {result.key_lines[key]})",
                    "keep one of them",
                )
                continue
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = line
        return result

    def construct_sequence(self, node: SequenceNode, deep: bool = False) -> LineList:  # type: ignore[override]
        if not isinstance(node, SequenceNode):
            raise _Refused(node, "'!!seq' is given to a value that is not a list", "remove the '!!seq' tag")
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    def _check_characters(self, node: ScalarNode, value: str) -> None:
        """The walk through every character: surrogates, invisible characters, runs of marks."""
        for ch in value:
            cp = ord(ch)
            if unicodedata.category(ch) == "Cs":
                self._problem(
                    node,
                    f"U+{cp:04X} is half of an escaped character pair, not a character",
                    f"delete the escape \\u{cp:04x} or write the character itself",
                )
                break
            if _invisible(ch):
                self._problem(
                    node,
                    f"invisible character U+{cp:04X} ({unicodedata.name(ch, 'control character')}) in text",
                    "delete it: it can reorder or hide what prints",
                )
                break
        marks = 0
        for ch in value:
            marks = marks + 1 if unicodedata.category(ch) in ("Mn", "Me") else 0
            if marks > MAX_COMBINING_MARKS:
                self._problem(
                    node,
                    f"more than {MAX_COMBINING_MARKS} accents or marks on one letter",
                    "remove the extra marks: they would print over the line above",
                )
                break

    def construct_yaml_str(self, node: ScalarNode) -> str:  # type: ignore[override]
        value = str(self.construct_scalar(node))
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            # JSON-style escapes write a character beyond U+FFFF as a pair ("\ud83c\udf3f"),
            # which PyYAML leaves as two halves: join them; a lone half is reported below.
            with contextlib.suppress(UnicodeError):
                value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        value = unicodedata.normalize("NFC", value)
        if len(value) > MAX_STRING_CHARS:
            self._problem(
                node,
                f"text of {len(value):,} characters is too long (the limit is {MAX_STRING_CHARS:,})",
                "shorten it",
            )
            return ""
        # Most texts hold none of the characters looked for: one look at each distinct
        # character (cached) spares them the walk through every character.
        if any(_unusual(ch) for ch in set(value)):
            self._check_characters(node, value)
        if node.style is None and node.tag == "tag:yaml.org,2002:str":
            for pattern, reading in _YAML11_SURPRISES:
                if pattern.match(value):
                    self._problem(
                        node,
                        f"'{value}' is read as the text \"{value}\", but older YAML tools read it as {reading}",
                        f'put it in quotes: "{value}"',
                        severity="warning",
                    )
                    break
        return value


_Loader.add_constructor("tag:yaml.org,2002:str", _Loader.construct_yaml_str)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
for _tag in (
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:set",
    "tag:yaml.org,2002:omap",
    "tag:yaml.org,2002:pairs",
):
    _Loader.yaml_constructors.pop(_tag, None)


class _AliasLoop(Exception):
    pass


def _expanded_size(
    node: Node, memo: dict[int, tuple[int, int]], visiting: set[int], too_deep: list[int]
) -> tuple[int, int]:
    """How many nodes, and how many levels deep, the document would be with every alias copied out.

    Computed without copying. Anchors come before their aliases, so the recursion here is
    never deeper than the nesting of the text itself (which the composer limits). The line
    of the first value that goes past MAX_DEPTH is appended to `too_deep`.
    """
    key = id(node)
    if key in memo:
        return memo[key]
    if key in visiting:
        raise _AliasLoop
    visiting.add(key)
    children = (
        node.value
        if isinstance(node, SequenceNode)
        else [n for pair in node.value for n in pair]
        if isinstance(node, MappingNode)
        else []
    )
    total, depth = 1, 0
    for child in children:
        size, child_depth = _expanded_size(child, memo, visiting, too_deep)
        total += size
        depth = max(depth, child_depth)
    visiting.discard(key)
    if depth == MAX_DEPTH and not too_deep:
        too_deep.append(node.start_mark.line + 1)
    memo[key] = (total, depth + 1)
    return memo[key]


def _decode(raw: bytes, shown: str) -> tuple[str | None, list[Problem]]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [Problem(shown, 1, "the file is saved as UTF-16", "save it as UTF-8")]
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        return None, [
            Problem(
                shown, line, "the file contains a NUL byte: it is not a text file", "save it again as plain UTF-8 text"
            )
        ]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, line, f"invalid UTF-8 (byte 0x{raw[exc.start]:02x})", "save the file as UTF-8")]


try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python parser reads everything
    CParser = None


if CParser is not None:

    class _ProjectLoader(CParser, _Loader):  # type: ignore[misc, valid-type]
        """libyaml's parser with our constructors: the same values and lines, about four times quicker.

        Only for the project's own curriculum (content/, not content/orgs/), which `check`,
        `list` and `plan` read on every run: most of their time was spent parsing it in pure
        Python. Files from outside go through `_Loader`, whose composer bounds the nesting depth
        (libyaml's recursion has no such bound).
        """

        def __init__(self, stream: str, shown_path: str):
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            _Resolver.__init__(self)
            self.shown_path = shown_path
            self.problems = []
            self._depth = 0


def read_yaml(path: Path, trusted: bool = False) -> YamlDocument:
    """Parse one YAML file into LineDict/LineList/scalars; never raises for bad input.

    `trusted` is for the project's own curriculum files, read with libyaml's quicker parser.
    """
    shown = display_path(path)
    doc = YamlDocument(path, None)
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except FileRefused as exc:
        doc.problems.append(Problem(shown, 1, str(exc), REFUSAL_HINT))
        return doc
    return parse_yaml_bytes(raw, path, trusted)


def parse_yaml_bytes(raw: bytes, path: Path, trusted: bool = False) -> YamlDocument:
    """`read_yaml` on bytes already read (`kept.py` keys what it keeps by the same bytes)."""
    text, problems = _decode(raw, display_path(path))
    if text is None:
        return YamlDocument(path, None, problems)
    return parse_yaml_text(text, path, trusted)


def parse_yaml_text(text: str, path: Path, trusted: bool = False) -> YamlDocument:
    shown = display_path(path)
    doc = YamlDocument(path, None)
    try:
        loader = _ProjectLoader(text, shown) if trusted and CParser is not None else _Loader(text, shown)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        doc.problems.append(
            Problem(
                shown,
                line,
                f"the file contains a control character (U+{exc.character:04X})"
                if isinstance(exc.character, int)
                else "the file contains a control character",
                "delete it; save as plain UTF-8 text",
            )
        )
        return doc
    try:
        node = loader.get_single_node()
        if node is None:
            doc.problems.append(Problem(shown, 1, "the file is empty", "copy content/orgs/example.yaml to start"))
            return doc
        memo: dict[int, tuple[int, int]] = {}
        too_deep: list[int] = []
        try:
            size, _ = _expanded_size(node, memo, set(), too_deep)
        except _AliasLoop:
            doc.problems.append(
                Problem(
                    shown,
                    node.start_mark.line + 1,
                    "an alias refers to itself",
                    "write the value out instead of using &anchors and *aliases",
                )
            )
            return doc
        if len(memo) > MAX_EXPANDED_NODES:
            doc.problems.append(
                Problem(
                    shown,
                    node.start_mark.line + 1,
                    f"the file holds over {MAX_EXPANDED_NODES:,} values",
                    "is this the right file?",
                )
            )
            return doc
        if size > MAX_EXPANDED_NODES:
            doc.problems.append(
                Problem(
                    shown,
                    node.start_mark.line + 1,
                    f"aliases expand to over {MAX_EXPANDED_NODES:,} values",
                    "write the values out instead of using &anchors and *aliases",
                )
            )
            return doc
        if too_deep:
            doc.problems.append(
                Problem(
                    shown,
                    too_deep[0],
                    f"with its aliases copied out, values are nested more than {MAX_DEPTH} levels deep",
                    "write the values out instead of using &anchors and *aliases",
                )
            )
            return doc
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        doc.problems.append(_yaml_problem(exc, shown, text))
        return doc
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        doc.problems.append(
            Problem(shown, line, "the file contains a control character", "delete it; save as plain UTF-8 text")
        )
        return doc
    except yaml.YAMLError as exc:
        doc.problems.append(Problem(shown, 1, f"not valid YAML: {exc}"))
        return doc
    finally:
        loader.dispose()
    doc.problems.extend(loader.problems)
    if any(p.is_error for p in loader.problems):
        return doc
    doc.data = data
    return doc


_QUOTE_NAMES = {'"': 'quotation mark (")', "'": "apostrophe used as a quotation mark (')"}


def _unclosed_quote(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str] | None:
    """The line and kind of a quotation mark that was never closed, if that is what went wrong.

    YAML lets quoted text run over several lines, so a missing closing quote is noticed
    only where the text next holds a quote (or at the end of the file), lines later, in
    the parser's words. A quoted value that spans lines and ends where the error is found
    is, in an organization file, a quote left open on its first line.
    """
    if "quoted scalar" in str(exc.context) and exc.context_mark is not None:
        char = text[exc.context_mark.index] if exc.context_mark.index < len(text) else '"'
        return exc.context_mark.line + 1, char
    if exc.problem_mark is None:
        return None
    error_line = exc.problem_mark.line
    last = None
    with contextlib.suppress(yaml.YAMLError):
        for token in yaml.scan(text, Loader=yaml.BaseLoader):
            if token.start_mark.line > error_line:
                break
            if isinstance(token, yaml.ScalarToken) and token.style in ("'", '"'):
                last = token
    if last is not None and last.start_mark.line < last.end_mark.line == error_line:
        return last.start_mark.line + 1, str(last.style)
    return None


# The parser's words, for the mistakes people make most, in plain words.
_PLAIN_WORDS = [
    (
        "expected <block end>",
        "this line does not line up with the lines above it",
        "keys of one mapping start in the same column; check the indentation and quoting here",
    ),
    (
        "mapping values are not allowed here",
        "a colon followed by a space in the middle of a value",
        "put the whole value in quotes",
    ),
    (
        "could not find expected ':'",
        "a line that is not 'key: value'",
        "add the colon after the key, or join this line to the value above",
    ),
    ("did not find expected key", "a line that is not 'key: value'", "check the indentation and quoting here"),
    (
        "did not find expected '-' indicator",
        "a line does not line up with the list items above it",
        "start each list item with '- ' in the same column",
    ),
]


def _indented_more(text: str, line: int) -> bool:
    """Whether `line` (0-based) starts further right than the nearest line above that holds something."""
    lines = text.splitlines()
    if line >= len(lines):
        return False

    def indent(s: str) -> int:
        return len(s) - len(s.lstrip(" "))

    for above in reversed(lines[:line]):
        if above.strip() and not above.lstrip().startswith("#"):
            return indent(lines[line]) > indent(above) and not above.rstrip().endswith(":")
    return False


def _yaml_problem(exc: yaml.MarkedYAMLError, shown: str, text: str = "") -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    problem = exc.problem or "not valid YAML"
    if isinstance(exc, _Refused):
        return Problem(shown, line, problem, exc.hint)
    hint = "check the indentation and quoting on this line"
    quote = _unclosed_quote(exc, text) if text else None
    if quote is not None:
        opened, char = quote
        return Problem(
            shown,
            opened,
            f"a quotation mark ({char}) opened on line {opened} is never closed",
            f"end the value with {char} on the same line",
        )
    if "expected a single document" in str(exc.context):
        problem, hint = "the file holds more than one YAML document", "remove the '---' line and what follows"
    elif "'\\t'" in problem or "\\t" in problem:
        problem, hint = "a tab character is used for indentation", "indent with spaces, not tabs"
    elif "could not determine a constructor" in problem:
        tag = problem.split("tag ", 1)[-1]
        problem, hint = f"the tag {tag} is not allowed", "remove it: files hold plain text, lists and mappings only"
    elif "nested more than" in problem:
        hint = "simplify the structure"
    elif "special characters are not allowed" in problem:
        problem, hint = "the file contains a control character", "delete it; save as plain UTF-8 text"
    elif "mapping values are not allowed" in problem and mark and _indented_more(text, mark.line):
        problem = "this line is indented more than the one above, so it reads as part of that line's value"
        hint = "check the indentation: line it up with the keys above it, or put the value above in quotes"
    else:
        for words, plain, plain_hint in _PLAIN_WORDS:
            if words in problem:
                problem, hint = plain, plain_hint
                break
    return Problem(shown, line, problem, hint)
