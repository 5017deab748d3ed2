"""Broken and hostile organisation files: a clear `file:line: message`, exit 2, no traceback, no output.

Each file in tests/bad_inputs/ is a realistic mistake or an attack. Cases that are
accepted on purpose (a BOM, YAML 1.1 look-alikes kept as typed text, markup printed
literally) are listed with exit status 0 and what must be true of the result.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import flat, pdf_text, run

BAD = Path(__file__).parent / "bad_inputs"

# file: (exit status of `check`, line, fragment of the message)
CASES = {
    "unknown-key.yaml": (2, 3, "unknown key 'nation' (did you mean 'nations'?)"),
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
    "tab-indented.yaml": (2, 3, "a tab character is used for indentation"),
    "bad-indentation.yaml": (2, 2, "check the indentation"),
    "python-object.yaml": (2, 1, "python/object/apply:os.system' is not allowed"),
    "two-documents.yaml": (2, 2, "more than one YAML document"),
    "duplicate-keys.yaml": (2, 3, "duplicate key 'name' (first given on line 1)"),
    "billion-laughs.yaml": (2, 1, "aliases expand to over"),
    "recursive-alias.yaml": (2, 1, "an alias refers to itself"),
    "deep-nesting.yaml": (2, 2, "nested more than"),
    "invalid-utf8.yaml": (2, 3, "invalid UTF-8 (byte 0xe9)"),
    "nul-byte.yaml": (2, 3, "NUL byte"),
    "utf16.yaml": (2, 1, "saved as UTF-16"),
    "rtl-override.yaml": (2, 4, "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    "zero-width-space.yaml": (2, 1, "U+200B (ZERO WIDTH SPACE)"),
    "bell-character.yaml": (2, 1, "U+0007"),
    "escape-control.yaml": (2, 1, "U+001B"),
    "number-as-name.yaml": (2, 1, "'name' should be text, not the number 2027 (put it in quotes)"),
    "boolean-as-name.yaml": (2, 1, "'name' should be text"),
    "empty-name.yaml": (2, 1, "'name' is empty"),
    "bad-date.yaml": (2, 3, "'workshop.date' should be a date like 2027-03-14, not '2027-02-30'"),
    "bad-start.yaml": (2, 3, 'start time "25:99" is not HH:MM'),
    "accent-css-injection.yaml": (2, 2, "is not a colour like"),
    "accent-low-contrast.yaml": (2, 2, "has a contrast of 1.51:1 on white"),
    "long-statement.yaml": (2, 3, "too long"),
    "complex-key.yaml": (2, 2, "a key must be a plain word"),
    "logo-text-as-png.yaml": (2, 2, "is not a real PNG image"),
    "logo-svg-local-file.yaml": (2, 2, "refers to other files, links or scripts"),
    "logo-svg-url.yaml": (2, 2, "refers to other files, links or scripts"),
    "logo-svg-css-import.yaml": (2, 2, "refers to other files, links or scripts"),
    "logo-symlink-outside.yaml": (2, 2, "is outside the organisation folder"),
    "logo-dotdot.yaml": (2, 2, "is outside the organisation folder"),
    "logo-absolute.yaml": (2, 2, "is outside the organisation folder"),
    "logo-file-url.yaml": (2, 2, "is outside the organisation folder"),
    "logo-http-url.yaml": (2, 2, "is outside the organisation folder"),
    "logo-missing.yaml": (2, 2, "does not exist"),
    "logo-wrong-type.yaml": (2, 2, "must be a .png, .jpg or .svg file"),
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


@pytest.fixture(scope="module", autouse=True)
def symlinked_logo():
    """A logo that is a symlink to a file outside the project (made here, not committed)."""
    link = BAD / "logos" / "escape.png"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to("/etc/hostname")
    yield
    link.unlink()


def test_the_corpus_is_large_and_fully_described():
    files = {p.name for p in BAD.glob("*.yaml")}
    assert len(files) >= 40
    assert files == set(CASES), f"undescribed: {files - set(CASES)}; missing: {set(CASES) - files}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_reported_precisely(name, tmp_path):
    status, line, fragment = CASES[name]
    path = BAD / name
    checked = run("check", str(path))
    assert "Traceback" not in checked.output
    assert checked.exit_code == status, checked.output
    where = f"{name}:{line}: " if line else f"{name}: "
    assert any(where in row and fragment in row for row in checked.output.splitlines()), checked.output

    out = tmp_path / "output"
    out.mkdir()
    (out / "keep.txt").write_text("existing output", encoding="utf-8")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    built = run("build", str(path), "--out", str(out), "--jobs", "1", "--audience", "participant")
    assert "Traceback" not in built.output
    assert built.exit_code == status, built.output
    if status:
        assert sorted(p.relative_to(out) for p in out.rglob("*")) == before, "output changed by a failed build"
        assert where in built.output


def test_a_ten_megabyte_file_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "huge.yaml"
    with big.open("w", encoding="utf-8") as handle:
        handle.write('name: "')
        handle.write("x" * 10_000_000)
        handle.write('"\n')
    result = run("check", str(big))
    assert result.exit_code == 2
    assert "huge.yaml:1: the file is 10,000,009 bytes; the limit is 1,000,000" in result.output


def test_template_syntax_in_a_name_prints_literally(tmp_path):
    result = run(
        "build", str(BAD / "template-injection.yaml"), "--out", str(tmp_path), "-j1", "--audience", "participant"
    )
    assert result.exit_code == 0, result.output
    text = flat(pdf_text(tmp_path / "template-injection/template-injection-participant-handout.pdf"))
    assert "{{ 7*7 }} Clinic {% raw %}" in text
    assert "49 Clinic" not in text


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


@pytest.mark.parametrize("slug", ["../../escape", "/tmp/absolute", "nul", "a b"])
def test_slugs_cannot_escape_the_output_folder(slug, tmp_path):
    from packets.output import org_folder, slug_problem

    assert slug_problem(slug, "x") is not None
    with pytest.raises(ValueError):
        org_folder(tmp_path, "../escape")


@pytest.mark.parametrize("where", ["content", "templates", "."])
def test_out_cannot_overwrite_the_project(where):
    result = run("build", "example", "--out", where)
    assert result.exit_code == 2
    assert "--out" in result.output


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


def test_no_temporary_files_are_left_behind(tmp_path):
    result = run("build", "example", "--out", str(tmp_path), "-j1", "--audience", "participant")
    assert result.exit_code == 0
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.startswith(".partial-")]
    assert leftovers == []
    assert all(p.stat().st_size > 1000 for p in tmp_path.rglob("*.pdf"))


def test_written_files_are_not_world_writable(tmp_path):
    run("build", "example", "--out", str(tmp_path), "-j1", "--audience", "participant")
    for pdf in tmp_path.rglob("*.pdf"):
        assert not os.stat(pdf).st_mode & 0o002
