"""Broken and hostile organisation files: a clear `file:line: message`, exit 2, no traceback, no output.

Each file in tests/bad_inputs/ is a realistic mistake or an attack. Cases that are
accepted on purpose (a BOM, YAML 1.1 look-alikes kept as typed text, markup printed
literally) are listed with exit status 0 and what must be true of the result. A few
cases are made at test time (GENERATED): a 10 MB file, a file of 60,000 values, and a
logo that is a symbolic link to a file outside the project.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import flat, pdf_text, run

BAD = Path(__file__).parent / "bad_inputs"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# file: (exit status of `check` and `build`, line, fragment of the message)
CASES = {
    "unknown-key.yaml": (2, 3, "unknown key 'nation' (did you mean 'nations'?)"),
    # Not close to any key: no suggestion (`duration` once suggested `location`), the keys it may be.
    "unknown-key-not-close.yaml": (2, 4, "unknown key 'duration' (allowed keys: title, date, start, format"),
    "unknown-top-key.yaml": (2, 2, "unknown key 'colour' (did you mean 'accent_colour'?)"),
    "missing-name.yaml": (2, 1, "missing required key 'name'"),
    "wrong-type-paper.yaml": (2, 2, "'paper' is the number 5; it must be one of 'letter' or 'a4'"),
    "paper-a5.yaml": (2, 2, "'paper' is 'a5'"),
    "unknown-format.yaml": (2, 3, "unknown workshop format 'weekly'"),
    "unknown-module.yaml": (2, 4, "unknown module 'privilege' (did you mean 'privilege-and-power'?)"),
    "empty.yaml": (2, 1, "the file is empty"),
    "only-comments.yaml": (2, 1, "the file is empty"),
    "list-not-mapping.yaml": (2, 1, "expected a mapping of 'key: value' lines, found a list"),
    "scalar-document.yaml": (2, 1, "expected a mapping"),
    "acknowledgement-list.yaml": (2, 2, "'land_acknowledgement' should be a mapping"),
    "nations-mapping.yaml": (2, 3, "'land_acknowledgement.nations' should be a list"),
    "facilitator-strings.yaml": (2, 4, "'workshop.facilitators' should be a mapping"),
    "merge-key.yaml": (2, 5, "unknown key '<<'"),
    # Reported where the quotation mark was opened, not where YAML noticed, lines later.
    "unclosed-quote.yaml": (2, 4, 'a quotation mark (") opened on line 4 is never closed'),
    "unclosed-quote-at-end.yaml": (2, 4, "a quotation mark (') opened on line 4 is never closed"),
    "tab-indented.yaml": (2, 3, "a tab character is used for indentation"),
    "bad-indentation.yaml": (2, 2, "check the indentation"),
    "python-object.yaml": (2, 1, "python/object/apply:os.system' is not allowed"),
    "tag-int-on-text.yaml": (2, 3, "'Room 5' cannot be read as !!int"),
    "tag-bool-maybe.yaml": (2, 3, "'maybe' cannot be read as !!bool"),
    "tag-seq-on-text.yaml": (2, 2, "'!!seq' is given to a value that is not a list"),
    "huge-number.yaml": (2, 3, "a number of 5,000 characters is too long (put it in quotes if it is text)"),
    "two-documents.yaml": (2, 2, "more than one YAML document"),
    "duplicate-keys.yaml": (2, 3, "duplicate key 'name' (first given on line 1)"),
    "billion-laughs.yaml": (2, 1, "aliases expand to over"),
    "recursive-alias.yaml": (2, 1, "an alias refers to itself"),
    "alias-nesting.yaml": (2, 6, "with its aliases copied out, values are nested more than 40 levels deep"),
    "deep-nesting.yaml": (2, 2, "nested more than"),
    "invalid-utf8.yaml": (2, 3, "invalid UTF-8 (byte 0xe9)"),
    "nul-byte.yaml": (2, 3, "NUL byte"),
    "utf16.yaml": (2, 1, "saved as UTF-16"),
    "rtl-override.yaml": (2, 4, "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    "arabic-letter-mark.yaml": (2, 4, "U+061C (ARABIC LETTER MARK)"),
    "zero-width-space.yaml": (2, 1, "U+200B (ZERO WIDTH SPACE)"),
    "bell-character.yaml": (2, 1, "U+0007"),
    "escape-control.yaml": (2, 1, "U+001B"),
    "lone-surrogate.yaml": (2, 1, "U+D83C is half of an escaped character pair"),
    "number-as-name.yaml": (2, 1, "'name' should be text, not the number 2027 (put it in quotes)"),
    "boolean-as-name.yaml": (2, 1, "'name' should be text"),
    "empty-name.yaml": (2, 1, "'name' is empty"),
    "bad-date.yaml": (2, 3, "'workshop.date' is '2027-02-30', which is not a date: February 2027 has no 30th day"),
    "month-13.yaml": (
        2,
        3,
        "'land_acknowledgement.reviewed_on' is '2027-13-01', which is not a date: there is no month 13",
    ),
    "bad-start.yaml": (2, 3, 'start time "25:99" is not HH:MM'),
    "start-negative.yaml": (2, 3, 'start time "-5:00" is not HH:MM'),
    "accent-css-injection.yaml": (2, 2, "is not a colour like"),
    "accent-low-contrast.yaml": (
        2,
        2,
        "#ffcc00 has a contrast of 1.38:1 on the pale note panels (#f3f5f4); "
        "it needs at least 4.5:1 to read in print — try #876c00",
    ),
    "long-statement.yaml": (2, 3, "text of 31,200 characters is too long (the limit is 20,000)"),
    "complex-key.yaml": (2, 2, "a key must be a plain word"),
    "logo-text-as-png.yaml": (2, 2, "is not a real PNG image"),
    "logo-svg-local-file.yaml": (2, 2, "refers to other files, links or scripts"),
    "logo-svg-url.yaml": (2, 2, "refers to other files, links or scripts"),
    "logo-svg-css-import.yaml": (2, 2, "refers to other files, links or scripts"),
    "logo-svg-css-escape.yaml": (2, 2, "refers to other files, links or scripts"),
    "logo-svg-entity.yaml": (2, 2, "refers to other files, links or scripts"),
    "logo-symlink-outside.yaml": (2, 2, "is outside the organisation folder"),
    "logo-dotdot.yaml": (2, 2, "is outside the organisation folder"),
    "logo-absolute.yaml": (2, 2, "is outside the organisation folder"),
    "logo-file-url.yaml": (2, 2, "is outside the organisation folder"),
    "logo-http-url.yaml": (2, 2, "is outside the organisation folder"),
    "logo-missing.yaml": (2, 2, "does not exist"),
    "logo-wrong-type.yaml": (2, 2, "must be a .png, .jpg or .svg file"),
    # A file name is not a line: these name the file alone.
    "con.yaml": (2, 0, "reserved file name"),
    "bad name.yaml": (2, 0, "cannot be used as an organisation name"),
    # Accepted on purpose: kept exactly as typed, with a warning where YAML 1.1 would differ.
    "start-sexagesimal.yaml": (0, 4, "warning: '9:30' is read as the text \"9:30\""),
    "octal-location.yaml": (0, 3, "warning: '01234' is read as the text \"01234\""),
    "yes-as-text.yaml": (0, 3, "warning: 'yes' is read as the text \"yes\""),
    "exponent-as-text.yaml": (0, 3, "warning: '1e3' is read as the text \"1e3\""),
    "bom-accepted.yaml": (0, 2, "warning: the acknowledgement lists no commitments"),
    "template-injection.yaml": (0, 2, "warning"),
    "html-injection.yaml": (0, 2, "warning"),
}


def _ten_megabytes(folder: Path) -> Path:
    path = folder / "huge.yaml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write('name: "' + "x" * 10_000_000 + '"\n')
    return path


def _many_values(folder: Path) -> Path:
    path = folder / "many-values.yaml"
    path.write_text("name: Riverside Test Clinic\nlocal_resources: [" + "a," * 60_000 + "a]\n", encoding="utf-8")
    return path


def _symlinked_logo(folder: Path) -> Path:
    """A real PNG outside the organisation's folder, reached through a link inside it."""
    (folder / "outside").mkdir()
    (folder / "outside" / "secret.png").write_bytes(PNG)
    org = folder / "org"
    (org / "logos").mkdir(parents=True)
    (org / "logos" / "escape.png").symlink_to(folder / "outside" / "secret.png")
    return Path(shutil.copy(BAD / "logo-symlink-outside.yaml", org))


# Made at test time, not committed: name: (how to make it, exit status, line, fragment)
GENERATED = {
    "huge.yaml": (_ten_megabytes, 2, 1, "the file is 10,000,009 bytes; the limit is 1,000,000"),
    "many-values.yaml": (_many_values, 2, 1, "the file holds over 50,000 values"),
}
SETUP = {"logo-symlink-outside.yaml": _symlinked_logo}


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes() if p.is_file() else b"")
        for p in sorted(folder.rglob("*"))
    }


def test_the_corpus_is_large_and_fully_described():
    files = {p.name for p in BAD.glob("*.yaml")}
    assert len(files) + len(GENERATED) >= 40
    assert files == set(CASES), f"undescribed: {files - set(CASES)}; missing: {set(CASES) - files}"
    assert sum(status == 2 for status, _, _ in CASES.values()) >= 40


@pytest.mark.parametrize("name", sorted(CASES) + sorted(GENERATED))
def test_bad_input_is_reported_precisely(name, tmp_path):
    if name in GENERATED:
        make, status, line, fragment = GENERATED[name]
        path = make(tmp_path)
    else:
        status, line, fragment = CASES[name]
        path = SETUP[name](tmp_path) if name in SETUP else BAD / name
    checked = run("check", str(path))
    assert "Traceback" not in checked.output
    assert checked.exit_code == status, checked.output
    where = f"{name}:{line}: " if line else f"{name}: "
    assert any(where in row and fragment in row for row in checked.output.splitlines()), checked.output

    out = tmp_path / "output"
    (out / "earlier").mkdir(parents=True)
    (out / "earlier" / "keep.pdf").write_bytes(b"%PDF-1.7 an earlier build\n%%EOF\n")
    before = _snapshot(out)
    built = run("build", str(path), "--out", str(out), "--jobs", "1", "--audience", "participant")
    assert "Traceback" not in built.output
    assert built.exit_code == status, built.output
    if status:
        assert where in built.output and fragment in built.output, built.output
        assert _snapshot(out) == before, "a failed build changed the output folder"
    else:
        pdf = out / path.stem / f"{path.stem}-participant-handout.pdf"
        assert pdf.read_bytes().startswith(b"%PDF"), built.output
        assert not [p for p in out.rglob("*") if p.name.startswith(".partial-")]


@pytest.mark.parametrize(
    ("name", "loc", "expected"),
    [
        ("start-sexagesimal.yaml", ("workshop", "start"), "09:30"),  # kept as "9:30", then normalised
        ("octal-location.yaml", ("workshop", "location"), "01234"),
        ("yes-as-text.yaml", ("workshop", "location"), "yes"),
        ("exponent-as-text.yaml", ("workshop", "location"), "1e3"),
        ("bom-accepted.yaml", ("name",), "Riverside Test Clinic"),
        ("template-injection.yaml", ("name",), "{{ 7*7 }} Clinic {% raw %}"),
    ],
)
def test_accepted_values_are_kept_as_typed(name, loc, expected):
    from packets.model import Organisation
    from packets.validation import read_model

    org, _, problems = read_model(BAD / name, Organisation)
    assert org is not None, problems
    value = org.model_dump()
    for part in loc:
        value = value[part]
    assert value == expected


@pytest.mark.parametrize("typed", ["NO", "on", "Off", "y", "1e3", "012", "0777", "9:30", "1:02:03", ".inf"])
def test_yaml_1_1_look_alikes_stay_text_with_a_warning(typed, tmp_path):
    from packets.sources import read_yaml

    path = tmp_path / "org.yaml"
    path.write_text(f"name: Clinic\nlocation: {typed}\n", encoding="utf-8")
    doc = read_yaml(path)
    assert doc.data == {"name": "Clinic", "location": typed}
    assert [(p.line, p.severity) for p in doc.problems] == [(2, "warning")]
    assert f'put it in quotes: "{typed}"' in str(doc.problems[0])


def test_a_json_style_escaped_pair_becomes_one_character(tmp_path):
    from packets.sources import read_yaml

    path = tmp_path / "org.yaml"
    path.write_text('name: "Clinic \\ud83c\\udf3f"\n', encoding="utf-8")
    doc = read_yaml(path)
    assert doc.problems == [] and doc.data["name"] == "Clinic \U0001f33f"


def test_template_syntax_in_a_name_prints_literally(tmp_path):
    result = run(
        "build", str(BAD / "template-injection.yaml"), "--out", str(tmp_path), "-j1", "--audience", "participant"
    )
    assert result.exit_code == 0, result.output
    text = flat(pdf_text(tmp_path / "template-injection/template-injection-participant-handout.pdf"))
    assert "{{ 7*7 }} Clinic {% raw %}" in text
    assert "49" not in text


def test_markup_in_a_name_and_statement_prints_literally(tmp_path):
    result = run(
        "build", str(BAD / "html-injection.yaml"), "--out", str(tmp_path), "-j1", "--html", "--audience", "participant"
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "html-injection"
    text = flat(pdf_text(folder / "html-injection-participant-handout.pdf"))
    assert "<script>alert(1)</script> Clinic" in text
    assert "<img src='http://127.0.0.1:9/x.png'>" in text
    html = (folder / "html-injection-participant-handout.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert b"/EmbeddedFile" not in (folder / "html-injection-participant-handout.pdf").read_bytes()


@pytest.mark.parametrize("slug", ["../../escape", "/tmp/absolute", "nul", "COM1", "a b", "", ".hidden", "x" * 81])
def test_slugs_cannot_escape_the_output_folder(slug):
    from packets.output import slug_problem

    assert slug_problem(slug, "x") is not None


@pytest.mark.parametrize("slug", ["../escape", "..", "/tmp/absolute", "a/../../b"])
def test_org_folder_stays_inside_the_output_folder(slug, tmp_path):
    from packets.output import org_folder

    with pytest.raises(ValueError):
        org_folder(tmp_path, slug)


def test_an_org_file_outside_the_project_with_a_dotdot_name_is_refused(tmp_path):
    org = tmp_path / "..yaml"
    org.write_text("name: Dot Clinic\n", encoding="utf-8")
    result = run("build", str(org), "--out", str(tmp_path / "out"), "-j1")
    assert result.exit_code == 2 and "cannot be used as an organisation name" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("where", ["content", "templates", "content/orgs", ".", "/"])
def test_out_cannot_overwrite_the_project(where):
    result = run("build", "example", "--out", where)
    assert result.exit_code == 2
    assert "--out" in result.output and "Traceback" not in result.output


def test_unexpected_failure_is_one_line_with_a_debug_hint(monkeypatch, tmp_path):
    import packets.pipeline

    def boom(*args, **kwargs):
        raise RuntimeError("simulated renderer crash")

    monkeypatch.setattr(packets.pipeline, "render_html", boom)
    result = run("build", "example", "--out", str(tmp_path), "-j1", "--force")
    assert result.exit_code == 1
    assert "simulated renderer crash" in result.output and "--debug" in result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.rglob("*.pdf"))
    debug = run("--debug", "build", "example", "--out", str(tmp_path), "-j1", "--force")
    assert debug.exit_code == 1 and "Traceback" in debug.output


def test_a_failed_write_leaves_no_temporary_file(monkeypatch, tmp_path):
    from packets import output

    target = tmp_path / "org" / "packet.pdf"
    target.parent.mkdir()
    target.write_bytes(b"%PDF old")

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", full_disk)
    with pytest.raises(OSError):
        output.write_atomic(target, b"%PDF new")
    assert target.read_bytes() == b"%PDF old"
    assert [p.name for p in target.parent.iterdir()] == ["packet.pdf"]


def test_no_temporary_files_are_left_behind(tmp_path):
    result = run("build", "example", "--out", str(tmp_path), "-j1", "--audience", "participant")
    assert result.exit_code == 0
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.startswith(".partial-")]
    assert leftovers == []
    pdfs = list(tmp_path.rglob("*.pdf"))
    assert pdfs and all(p.stat().st_size > 1000 for p in pdfs)
    for pdf in pdfs:
        assert not os.stat(pdf).st_mode & 0o002, "written files must not be world-writable"
