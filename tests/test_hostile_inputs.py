"""Broken and hostile organization files: a clear `file:line: message`, exit 2, no traceback, no output.

Each file in tests/bad_inputs/ is a realistic mistake or an attack. Cases that are
accepted on purpose (a BOM, YAML 1.1 look-alikes kept as typed text, markup printed
literally) are listed with exit status 0 and what must be true of the result. A few
cases are made at test time (GENERATED): a 10 MB file, a file of 60,000 values, and a
logo that is a symbolic link to a file outside the project.
"""

from __future__ import annotations

import os
import shutil
import signal
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
    "number-as-name.yaml": (
        2,
        1,
        "'name' should be text, not the number 2027 (put it in quotes: write name: \"2027\")",
    ),
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
    "logo-symlink-outside.yaml": (2, 2, "is outside the organization folder"),
    "logo-dotdot.yaml": (2, 2, "is outside the organization folder"),
    "logo-absolute.yaml": (2, 2, "is outside the organization folder"),
    "logo-file-url.yaml": (2, 2, "is outside the organization folder"),
    "logo-http-url.yaml": (2, 2, "is outside the organization folder"),
    "logo-missing.yaml": (2, 2, "does not exist"),
    "logo-wrong-type.yaml": (2, 2, "must be a .png, .jpg or .svg file"),
    # A file name is not a line: these name the file alone.
    "con.yaml": (2, 0, "reserved file name"),
    "bad name.yaml": (2, 0, "cannot be used as an organization name"),
    # Accepted on purpose: kept exactly as typed, with a warning where YAML 1.1 would differ.
    "start-sexagesimal.yaml": (0, 4, "warning: '9:30' is read as the text \"9:30\""),
    "octal-location.yaml": (0, 3, "warning: '01234' is read as the text \"01234\""),
    "yes-as-text.yaml": (0, 3, "warning: 'yes' is read as the text \"yes\""),
    "exponent-as-text.yaml": (0, 3, "warning: '1e3' is read as the text \"1e3\""),
    "bom-accepted.yaml": (0, 2, "warning: the acknowledgement lists no commitments"),
    "template-injection.yaml": (0, 2, "warning"),
    "html-injection.yaml": (0, 2, "warning"),
    # Round two (issue 16): bombs, corrupt drawings, check-passes-build-fails, forged messages.
    "logo-bomb-png.yaml": (2, 2, "is 13,000 x 13,000 pixels (169 megapixels); the limit is 25 megapixels"),
    "logo-truncated-png.yaml": (2, 2, "is damaged or cut short"),
    "logo-truncated-jpg.yaml": (2, 2, "is damaged or cut short"),
    "logo-nested-use.yaml": (2, 2, "draws over 10,000 shapes once its <use> copies are made"),
    "logo-deep-groups.yaml": (2, 2, "nests elements more than 40 levels deep"),
    "logo-use-loop.yaml": (2, 2, "refers to itself"),
    "logo-nan-width.yaml": (2, 2, "has 'NaN' in width: not a number"),
    "logo-nan-viewbox.yaml": (2, 2, "has '0 0 nan nan' in viewBox: not a number"),
    "logo-inf-height.yaml": (2, 2, "has 'inf' in height: not a number"),
    "logo-huge-scale.yaml": (2, 2, "has the number 1e+308 in transform (the limit is 1e+06)"),
    "logo-zero-size.yaml": (2, 2, "has a width of '0' (it must be above 0)"),
    "logo-text.yaml": (2, 2, "has text in it (<text>)"),
    "logo-latin1.yaml": (2, 2, "declares the encoding 'ISO-8859-1'"),
    "logo-utf16-no-bom.yaml": (2, 2, "holds NUL bytes (is it saved as UTF-16?)"),
    "territory-micro.yaml": (0, 2, "warning: no Nations are listed"),  # printed as written, never capitalized
    "date-integer.yaml": (2, 3, "'workshop.date' should be a date like 2027-03-14, not the number 1699920000"),
    "reviewed-on-zero.yaml": (
        2,
        3,
        "'land_acknowledgement.reviewed_on' should be a date like 2027-03-14, not the number 0",
    ),
    "date-digits.yaml": (2, 3, "'workshop.date' should be a date like 2027-03-14, not '20231114'"),
    "forged-message.yaml": (2, 3, 'start time "25:99\\ncontent/orgs/example.yaml:12: error: forged" is not HH:MM'),
    "word-joiner.yaml": (2, 4, "invisible character U+2060 (WORD JOINER)"),
    "variation-selector.yaml": (2, 4, "invisible character U+FE0F (VARIATION SELECTOR-16)"),
    "grapheme-joiner.yaml": (2, 4, "invisible character U+034F (COMBINING GRAPHEME JOINER)"),
    "inhibit-swapping.yaml": (2, 4, "invisible character U+206A (INHIBIT SYMMETRIC SWAPPING)"),
    "soft-hyphen.yaml": (2, 3, "invisible character U+00AD (SOFT HYPHEN)"),
    "combining-flood.yaml": (2, 3, "more than 3 accents or marks on one letter"),
    "too-many-facilitators.yaml": (2, 3, "'workshop.facilitators' lists 21 items; the limit is 20"),
    "too-many-nations.yaml": (2, 3, "'land_acknowledgement.nations' lists 21 items; the limit is 20"),
    "too-many-resources.yaml": (2, 2, "'local_resources' lists 31 items; the limit is 30"),
    # Accepted: a plain SVG and PNG logo build, and the PDFs read back whole.
    "logo-good.yaml": (0, 1, "warning"),
    "logo-good-png.yaml": (0, 1, "warning"),
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
    """A real PNG outside the organization's folder, reached through a link inside it."""
    (folder / "outside").mkdir()
    (folder / "outside" / "secret.png").write_bytes(PNG)
    org = folder / "org"
    (org / "logos").mkdir(parents=True)
    (org / "logos" / "escape.png").symlink_to(folder / "outside" / "secret.png")
    return Path(shutil.copy(BAD / "logo-symlink-outside.yaml", org))


def _fifo(folder: Path) -> Path:
    """A named pipe: opening it for reading waits for a writer that never comes."""
    path = folder / "fifo.yaml"
    os.mkfifo(path)
    return path


def _dev_zero(folder: Path) -> Path:
    """A link to /dev/zero: its size is 0 and reading it never ends."""
    path = folder / "dev-zero.yaml"
    path.symlink_to("/dev/zero")
    return path


def _link_outside(folder: Path) -> Path:
    """A link to a file elsewhere on the machine that would parse as an organization file."""
    (folder / "elsewhere").mkdir()
    secret = folder / "elsewhere" / "secret.yaml"
    secret.write_text("name: Secret Clinic Text\npaper: legal\n", encoding="utf-8")
    (folder / "org").mkdir()
    path = folder / "org" / "link-outside.yaml"
    path.symlink_to(secret)
    return path


def _logo_fifo(folder: Path) -> Path:
    os.mkfifo(folder / "logo.png")
    path = folder / "logo-fifo.yaml"
    path.write_text("name: Riverside Test Clinic\nlogo: logo.png\n", encoding="utf-8")
    return path


def _logo_dev_zero_inside(folder: Path) -> Path:
    """A logo link to /dev/zero: outside the folder, whatever its size says."""
    (folder / "zero.svg").symlink_to("/dev/zero")
    path = folder / "logo-dev-zero.yaml"
    path.write_text("name: Riverside Test Clinic\nlogo: zero.svg\n", encoding="utf-8")
    return path


def _many_facilitators(folder: Path) -> Path:
    """500 facilitators once took three minutes to build (the cover laid out again and again)."""
    path = folder / "many-facilitators.yaml"
    rows = "".join(f"    - {{name: Person {i}, role: Facilitator}}\n" for i in range(500))
    path.write_text(f"name: Riverside Test Clinic\nworkshop:\n  facilitators:\n{rows}", encoding="utf-8")
    return path


def _svg_many_shapes(folder: Path) -> Path:
    """A flat SVG of 20,000 rectangles (under 1 MB): no <use>, still too much to draw."""
    rects = "".join(f'<rect x="{i % 100}" y="{i // 100}" width="1" height="1"/>' for i in range(20_000))
    (folder / "many.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="200">{rects}</svg>')
    path = folder / "logo-many-shapes.yaml"
    path.write_text("name: Riverside Test Clinic\nlogo: many.svg\n", encoding="utf-8")
    return path


def _svg_utf16_reference(folder: Path) -> Path:
    """UTF-16 without a byte-order mark, referring to a file next to it (the self-contained check's bypass)."""
    (folder / "secret.yaml").write_text("name: Secret\n", encoding="utf-8")
    svg = (
        '<?xml version="1.0" encoding="UTF-16"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<image href="secret.yaml" width="10" height="10"/></svg>'
    )
    (folder / "u16.svg").write_bytes(svg.encode("utf-16-be"))
    path = folder / "logo-utf16-be.yaml"
    path.write_text("name: Riverside Test Clinic\nlogo: u16.svg\n", encoding="utf-8")
    return path


# Made at test time, not committed: name: (how to make it, exit status, line, fragment)
GENERATED = {
    "huge.yaml": (_ten_megabytes, 2, 1, "the file is 10,000,009 bytes; the limit is 1,000,000"),
    "many-values.yaml": (_many_values, 2, 1, "the file holds over 50,000 values"),
    "fifo.yaml": (_fifo, 2, 1, "this is a named pipe (FIFO), not a file"),
    "dev-zero.yaml": (_dev_zero, 2, 1, "not read: it is a link to a file outside the project"),
    "link-outside.yaml": (_link_outside, 2, 1, "not read: it is a link to a file outside the project"),
    "logo-fifo.yaml": (_logo_fifo, 2, 2, "logo 'logo.png' cannot be used: this is a named pipe (FIFO), not a file"),
    "logo-dev-zero.yaml": (_logo_dev_zero_inside, 2, 2, "logo 'zero.svg' is outside the organization folder"),
    "many-facilitators.yaml": (_many_facilitators, 2, 3, "'workshop.facilitators' lists 500 items; the limit is 20"),
    "logo-many-shapes.yaml": (_svg_many_shapes, 2, 2, "draws over 10,000 shapes"),
    "logo-utf16-be.yaml": (_svg_utf16_reference, 2, 2, "holds NUL bytes"),
}
SETUP = {"logo-symlink-outside.yaml": _symlinked_logo}


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes() if p.is_file() else b"")
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module", autouse=True)
def curriculum_once():
    """The curriculum is not what is under test here: read it once, so each case costs only its own file."""
    import functools

    import packets.load.curriculum

    original = packets.load.curriculum.load_curriculum
    packets.load.curriculum.load_curriculum = functools.lru_cache(maxsize=None)(original)
    yield
    packets.load.curriculum.load_curriculum = original


@pytest.fixture(autouse=True)
def harness_timeout():
    """A generous limit per test (not a timing assertion): a case that hangs fails instead of
    holding up the suite for ever. SIGALRM also interrupts a blocking open() of a FIFO."""

    def expired(signum, frame):
        raise TimeoutError("the case took over 120 s: it hangs")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_the_corpus_is_large_and_fully_described():
    files = {p.name for p in BAD.glob("*.yaml")}
    assert len(files) + len(GENERATED) >= 100
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
    # Every message is one line about the file it names: none can pose as a message about another.
    assert all(name in row or row.startswith("Checked ") for row in checked.output.splitlines()), checked.output
    assert "Secret Clinic Text" not in checked.output

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
        _assert_readable(pdf)


def _assert_readable(pdf: Path) -> None:
    """Opens in pypdf and PDFium, every page's drawing parses, and nothing is NaN or infinite."""
    import pypdfium2
    from pypdf import PdfReader

    from packets.render.pdf_check import check_pdf

    pages = len(PdfReader(str(pdf)).pages)
    assert pages > 0 and len(pypdfium2.PdfDocument(str(pdf))) == pages
    check_pdf(pdf.read_bytes(), pages)


def test_check_passing_means_build_passing_on_the_whole_corpus(tmp_path):
    """The property: for every hostile input, `check` exit 0 implies `build` exit 0 with readable PDFs.

    `check` runs on the whole corpus here; exactly the cases it passes are those described
    with status 0, and `test_bad_input_is_reported_precisely` builds each of them and reads
    its PDF back (pypdf, PDFium, `check_pdf`), so nothing is built twice.
    """
    passed = set()
    for name in sorted(CASES) + sorted(GENERATED):
        folder = tmp_path / name
        folder.mkdir()
        path = GENERATED[name][0](folder) if name in GENERATED else SETUP[name](folder) if name in SETUP else BAD / name
        checked = run("check", str(path))
        assert checked.exit_code in (0, 2) and "Traceback" not in checked.output, (name, checked.output)
        if checked.exit_code == 0:
            passed.add(name)
    assert passed == {name for name, (status, _, _) in CASES.items() if status == 0}
    assert len(passed) >= 8


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
    from packets.load.model import Organization
    from packets.load.validation import read_model

    org, _, problems = read_model(BAD / name, Organization)
    assert org is not None, problems
    value = org.model_dump()
    for part in loc:
        value = value[part]
    assert value == expected


@pytest.mark.parametrize("typed", ["NO", "on", "Off", "y", "1e3", "012", "0777", "9:30", "1:02:03", ".inf"])
def test_yaml_1_1_look_alikes_stay_text_with_a_warning(typed, tmp_path):
    from packets.load.sources import read_yaml

    path = tmp_path / "org.yaml"
    path.write_text(f"name: Clinic\nlocation: {typed}\n", encoding="utf-8")
    doc = read_yaml(path)
    assert doc.data == {"name": "Clinic", "location": typed}
    assert [(p.line, p.severity) for p in doc.problems] == [(2, "warning")]
    assert f'put it in quotes: "{typed}"' in str(doc.problems[0])


def test_a_json_style_escaped_pair_becomes_one_character(tmp_path):
    from packets.load.sources import read_yaml

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
    assert result.exit_code == 2 and "cannot be used as an organization name" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("where", ["content", "templates", "content/orgs", ".", "/"])
def test_out_cannot_overwrite_the_project(where):
    result = run("build", "example", "--out", where)
    assert result.exit_code == 2
    assert "--out" in result.output and "Traceback" not in result.output


def test_unexpected_failure_is_one_line_with_a_debug_hint(monkeypatch, tmp_path):
    import packets.write.pipeline

    def boom(*args, **kwargs):
        raise RuntimeError("simulated renderer crash")

    monkeypatch.setattr(packets.write.pipeline, "render_html", boom)
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


def test_no_temporary_files_are_left_behind(example_build):
    """The example's shared build (conftest.py), which exited 0: nothing else writes there."""
    out = example_build["out"]
    leftovers = [p.name for p in out.rglob("*") if p.name.startswith(".partial-")]
    assert leftovers == []
    pdfs = list(out.rglob("*.pdf"))
    assert pdfs and all(p.stat().st_size > 1000 for p in pdfs)
    for pdf in pdfs:
        assert not os.stat(pdf).st_mode & 0o002, "written files must not be world-writable"
