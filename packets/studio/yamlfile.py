"""Writing an organization file back the way a person left it: comments, key order, quoting.

Reading for validation is `packets.load.sources`' job (safe, limited, line-marked). This module
only writes: it applies what the form holds to a round-trip copy of the file (ruamel.yaml),
so a hand-written file keeps its comments and its order, and says which comments it
could not keep. Writes are atomic and made under a lock, and a file changed on disk since the
page loaded it is never overwritten without the person seeing both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent

from ..load.curriculum import Project
from ..load.orgfiles import OrgFileRefused, read_org_file
from ..load.sources import parse_yaml_text
from ..output import folder_lock, write_atomic


class CannotWrite(Exception):
    """The file is one the round-trip writer cannot read (the loader's own problems say why)."""


class ChangedOnDisk(Exception):
    """The file is no longer the one the page loaded."""

    def __init__(self, disk: str):
        self.disk = disk
        super().__init__("the file changed on disk since the page loaded it")


def digest(data: bytes) -> str:
    """The version of a file the page edits: its bytes, so any change at all is noticed."""
    return hashlib.sha256(data).hexdigest()


def _yaml(indent: int, block_seq_indent: int) -> YAML:
    """Our files indent lists by 4 with the dash at 2 (`init`, the example); a file's own style wins."""
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096  # never fold a long line: a name must stay as typed
    y.allow_unicode = True
    y.indent(mapping=max(block_seq_indent, 2), sequence=indent, offset=block_seq_indent)
    return y


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _needs_quotes(text: str) -> bool:
    """Text our own loader would not read back as that text without a word (`09:30`, `NO`, `01234`).

    Asked of `packets.load.sources` itself, so the studio never writes what `packets check` warns about.
    """
    doc = parse_yaml_text(f"value: {text}\n", Path("value.yaml"))
    return bool(doc.problems) or not isinstance(doc.data, dict) or doc.data.get("value") != text


def _scalar(value: Any, kind: str, old: Any) -> Any:
    if kind == "date" and isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass  # an impossible date stays the text typed, for the model to report
    if kind == "integer" and isinstance(value, str) and re.fullmatch(r"\s*\d{1,6}\s*", value):
        return int(value)
    if not isinstance(value, str):
        return value
    if "\n" in value.strip():
        return LiteralScalarString(value.strip() + "\n")
    if isinstance(old, DoubleQuotedScalarString | SingleQuotedScalarString):
        return type(old)(value)
    if _needs_quotes(value):
        return DoubleQuotedScalarString(value)
    return value


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, dt.date):
        return old.isoformat() == str(new).strip()
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    if isinstance(old, str) and isinstance(new, str):
        return old.strip() == new.strip() and ("\n" in old.strip()) == ("\n" in new.strip())
    return old == new


def _comment_after(target: CommentedMap, key: Any) -> CommentToken | None:
    items = getattr(target, "ca", None)
    entry = items.items.get(key) if items else None
    return entry[2] if entry and len(entry) > 2 and isinstance(entry[2], CommentToken) else None


def _split_comment(target: CommentedMap, key: Any) -> str:
    """Detach the full-line comments below `key` (ruamel keeps them on the key above), keeping its own."""
    token = _comment_after(target, key)
    if token is None:
        return ""
    value = token.value
    own, rest = ("", value[1:]) if value.startswith("\n") else value.partition("\n")[::2]
    if own:
        token.value = own + "\n"
    else:
        del target.ca.items[key]
    return rest


def _attach_comment(target: CommentedMap, key: Any, lines: str) -> None:
    if lines:
        target.ca.items[key] = [None, None, CommentToken("\n" + lines, CommentMark(0), None), None]


def _insert(target: CommentedMap, key: str, value: Any, order: list[str]) -> None:
    """A new key goes where the model puts it, and the comments under its neighbour stay under it."""
    before = order[: order.index(key)] if key in order else order
    positions = [i for i, k in enumerate(target) if k in before]
    if not positions:
        target.insert(0, key, value)
        return
    previous = list(target)[positions[-1]]
    lines = _split_comment(target, previous)
    target.insert(positions[-1] + 1, key, value)
    _attach_comment(target, key, lines)


def _delete(target: CommentedMap, key: str) -> None:
    """Removing a key keeps the comment lines below it (they usually introduce what follows)."""
    keys = list(target)
    lines = _split_comment(target, key)
    del target[key]
    position = keys.index(key)
    if lines and position > 0:
        previous = keys[position - 1]
        kept = _split_comment(target, previous)
        _attach_comment(target, previous, kept + lines)


def _after_last_item(seq: CommentedSeq, lines: str) -> None:
    if not lines or not len(seq):
        return
    last = seq[-1]
    if isinstance(last, CommentedMap) and len(last):
        _attach_comment(last, list(last)[-1], lines)
    else:
        seq.ca.items[len(seq) - 1] = [CommentToken("\n" + lines, CommentMark(0), None), None]


def _shaped(field: dict[str, Any], value: Any) -> bool:
    """Whether the file's value has the shape of the field, so the form showed it and may remove it."""
    if field["kind"] == "choice":
        return any(_shaped(option, value) for option in field["options"])
    if field["kind"] == "object":
        return isinstance(value, dict)
    if field["kind"] == "list":
        return isinstance(value, list)
    return not isinstance(value, dict | list)


def _option_for(field: dict[str, Any], value: Any) -> dict[str, Any]:
    """The alternative of a `choice` field that the value has the shape of: a list, a mapping
    (a text given per language, `{en: ..., fr: ...}`), or a single value."""

    def shape(kind: str) -> str:
        return kind if kind in ("list", "object") else "value"

    wanted = "list" if isinstance(value, list) else "object" if isinstance(value, dict) else "value"
    for option in field["options"]:
        if shape(option["kind"]) == wanted:
            return option
    return field["options"][0]


def merge_mapping(
    target: CommentedMap,
    new: dict[str, Any],
    fields: list[dict[str, Any]],
    prefix: str = "",
    keep: frozenset[str] = frozenset(),
) -> None:
    """Apply the form's values for these fields to `target`, leaving every other key as it was,
    and the fields in `keep` (dotted paths the form could not show) untouched."""
    order = [f["key"] for f in fields]
    for field in fields:
        key = field["key"]
        path = f"{prefix}.{key}" if prefix else str(key)
        if path in keep:
            continue
        present = key in target
        value = new.get(key)
        if _empty(value):
            if present and not _empty(target[key]) and _shaped(field, target[key]):
                _delete(target, key)
            continue  # a value the form could not have shown (a text where a list goes) stays
        if not present and "default" in field and value == field["default"]:
            continue  # the model's default, never written: the file stays as short as it was
        if field["kind"] == "choice":
            field = {**_option_for(field, value), "key": key}
        old = target[key] if present else None
        if field["kind"] == "object" and isinstance(value, dict):
            sub = old if isinstance(old, CommentedMap) else CommentedMap()
            merge_mapping(sub, value, field["fields"], path, keep)
            if sub is not old and len(sub):  # nothing entered: the file's value (if any) stays
                if present:
                    target[key] = sub
                else:
                    _insert(target, key, sub, order)
            continue
        if field["kind"] == "list" and isinstance(value, list):
            seq = merge_sequence(old if isinstance(old, CommentedSeq) else None, value, field["item"])
            if seq is not old:
                if present:
                    # `nations: []  # add...` becomes a block list: the comment lines that were
                    # below the empty list go below its last item.
                    _after_last_item(seq, _split_comment(target, key))
                    target[key] = seq
                else:
                    _insert(target, key, seq, order)
            continue
        if present and _same(old, value):
            continue
        if present:
            target[key] = _scalar(value, field["kind"], old)
        else:
            _insert(target, key, _scalar(value, field["kind"], None), order)


_QUOTED = (DoubleQuotedScalarString, SingleQuotedScalarString)


def _quoted_like(value: Any, neighbour: Any) -> Any:
    """A new item's text in the quotes its neighbour was written with (a plain value stays plain,
    and so does text that must be written another way, such as a block of several lines)."""
    if isinstance(neighbour, _QUOTED) and type(value) is str:
        return type(neighbour)(value)
    return value


def merge_sequence(old: CommentedSeq | None, new: list[Any], item: dict[str, Any]) -> CommentedSeq:
    """Items are matched by position, so an item's comments stay with the line they were on.

    A new item is written in the style of the item before it: a commitment added below
    quoted ones is quoted too, and a new Nation's fields are quoted where the Nation above had them
    quoted, so the file still reads as one person's hand."""
    seq = old if old is not None and len(old) else CommentedSeq()  # `[]` becomes a block list
    for i, value in enumerate(new):
        neighbour = seq[i - 1] if 0 < i <= len(seq) else None
        if item["kind"] == "object" and isinstance(value, dict):
            if i < len(seq) and isinstance(seq[i], CommentedMap):
                merge_mapping(seq[i], value, item["fields"])
            else:
                mapping = CommentedMap()
                merge_mapping(mapping, value, item["fields"])
                if isinstance(neighbour, CommentedMap):
                    for key in mapping:
                        mapping[key] = _quoted_like(mapping[key], neighbour.get(key))
                if i < len(seq):
                    seq[i] = mapping
                else:
                    seq.append(mapping)
        elif i < len(seq):
            if not _same(seq[i], value):
                seq[i] = _scalar(value, item["kind"], seq[i])
        else:
            seq.append(_quoted_like(_scalar(value, item["kind"], None), neighbour))
    del seq[len(new) :]
    return seq


_BLOCK_START = re.compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")
_COMMENT = re.compile(r"(?:^|\s)(#.*)$")


def comments(text: str) -> list[str]:
    """The comments of a YAML text, in order (not counting `#` inside block text such as a statement)."""
    found = []
    block_indent: int | None = None
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if block_indent is not None:
            if not line.strip() or indent > block_indent:
                continue
            block_indent = None
        match = _COMMENT.search(line)
        if match and not re.search(r"""["'][^"']*#[^"']*["']""", line[: match.end()]):
            found.append(match[1].strip())
        if _BLOCK_START.search(line):
            block_indent = indent
    return found


@dataclass
class Draft:
    """What the file would become: its text, and the comments of the original it does not keep."""

    text: str
    lost_comments: list[str]


def apply_form(
    original: str, data: dict[str, Any], fields: list[dict[str, Any]], keep: frozenset[str] = frozenset()
) -> Draft:
    """The original text with the form's values applied (fields: the model's tree, not flattened)."""
    y, document = _yaml(4, 2), CommentedMap()
    if original.strip():
        try:
            # Parsed once, by the writer's own settings (the indentation only matters for writing).
            document, indent, block_seq_indent = load_yaml_guess_indent(original, yaml=y)
            if block_seq_indent is not None and indent and indent >= block_seq_indent + 2:
                y.indent(mapping=max(block_seq_indent, 2), sequence=indent, offset=block_seq_indent)
        except Exception as exc:  # ruamel's errors have no common base; the file is not writable as it is
            raise CannotWrite(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    if not isinstance(document, CommentedMap):
        document = CommentedMap()
    merge_mapping(document, data, fields, keep=keep)
    out = io.StringIO()
    y.dump(document, out)
    text = out.getvalue()
    kept = comments(text)
    lost = []
    for comment in comments(original):
        if comment in kept:
            kept.remove(comment)
        else:
            lost.append(comment)
    return Draft(text, lost)


def save(project: Project, path: Path, text: str, loaded_version: str) -> str:
    """Write `text` to `path` unless the file changed since `loaded_version`; the new version.

    Compare and swap under a lock on the folder (`folder_lock`: no lock file, released when
    the process ends however it ends), so of two saves from one version exactly one writes
    and the other is told the file changed. The file is read through the loader's door, so
    a link out of the project or a file past the limit is refused, never copied in.
    """
    data = text.encode("utf-8")
    with folder_lock(path.parent):
        try:
            current = read_org_file(project, path)
        except OrgFileRefused:
            if path.exists() or path.is_symlink():
                raise
            current = b""  # removed since the page loaded it
        if digest(current) != loaded_version:
            raise ChangedOnDisk(current.decode("utf-8", "replace"))
        write_atomic(path, data)
    return digest(data)
