"""The French edition as a reader sees it, and the rules that make it possible.

- The French typography pass (packets/render/french.py): its spaces keep every mark with its
  word, and it never touches markup, addresses or clock times.
- No printed word comes from a literal: with every text of the curriculum and the interface
  turned into "zz", a guide, a handout, slides, a booklet's covers and `packets plan` print
  nothing else but the organization's own words, dates and numbers.
- French PDFs of a French organization, read back: the date and clock times the French way,
  French headings and support lines, « guillemets » with no-break spaces, no mark starting a
  line, at most 2% English function words, /Lang fr-CA.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as htmllib
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
import yaml
from conftest import FIXTURES, ROOT, built_once, comparable, flat, pdftotext, run
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from packets.load.curriculum import Curriculum, Project, load_curriculum
from packets.load.overlay import is_structure
from packets.planning.organization import load_organization
from packets.planning.plan import make_plan
from packets.planning.runofshow import plan_table
from packets.planning.words import date_text
from packets.render.french import NBSP, NNBSP, french_spacing, french_typography
from packets.render.html import document_context, environment, render_html
from packets.render.slides import slides_for

# ---------------------------------------------------------------- the typography pass

MARKS = ":;?!"
SPACES = " \u00a0\u202f\t\n"
_words = st.text(alphabet="abcdéèàçôAÉ’ ", min_size=1, max_size=12)
_prose = st.lists(
    st.one_of(
        _words,
        st.sampled_from([" : ", ": ", ":", " ; ", "?", " ?", " !", "!?", "« ", "«", " »", "»", "\n", " "]),
        st.sampled_from(["https://www.rcaanc-cirnac.gc.ca/fra/a:b?x=1;y=2!", "info@exemple.ca", "13:15", "&amp;"]),
    ),
    max_size=25,
).map("".join)


def test_spaces_before_high_marks_and_inside_guillemets():
    assert french_spacing("Pourquoi ? Parce que : voilà ; enfin !") == (
        f"Pourquoi{NNBSP}? Parce que{NBSP}: voilà{NNBSP}; enfin{NNBSP}!"
    )
    assert french_spacing("«bonjour»") == f"«{NBSP}bonjour{NBSP}»"
    assert french_spacing("Vraiment?!") == f"Vraiment{NNBSP}?!"  # one space before a run of marks
    assert french_spacing("de 13 h 15 à 14 h, 45 min") == f"de 13{NBSP}h{NBSP}15 à 14{NBSP}h, 45{NBSP}min"


def test_addresses_clock_times_and_references_are_left_alone():
    text = "Voir https://exemple.ca/a:b?c=1;d=2!x, écrire à nom@exemple.ca à 13:15 &amp; &#39;"
    out = french_spacing(text)
    for kept in ("https://exemple.ca/a:b?c=1;d=2!x", "nom@exemple.ca", "13:15", "&amp;", "&#39;"):
        assert kept in out
    assert french_spacing("Courriel : nom@exemple.ca ?") == f"Courriel{NBSP}: nom@exemple.ca{NNBSP}?"


def test_markup_and_attributes_are_never_changed():
    page = (
        '<html><head><title>Guide : titre</title></head><body><p title="a : b ?">Question ?</p>'
        '<a href="https://exemple.ca/?q=1">lien</a> : <strong>988</strong>: texte<textarea>x ?</textarea></body></html>'
    )
    out = french_typography(page)
    assert "<title>Guide : titre</title>" in out and 'title="a : b ?"' in out and "<textarea>x ?</textarea>" in out
    assert f"Question{NNBSP}?" in out
    assert f"</a>{NBSP}:" in out and f"</strong>{NBSP}:" in out  # a mark after an element keeps to it


@settings(max_examples=300, deadline=None)
@given(_prose)
def test_the_pass_only_changes_spaces_and_never_leaves_a_mark_free_to_start_a_line(text):
    out = french_spacing(text, after_word=True)
    # Only spaces change: the same characters otherwise, in the same order.
    assert re.sub(f"[{SPACES}]", "", out) == re.sub(f"[{SPACES}]", "", text)
    assert french_spacing(out, after_word=True) == out  # once is enough
    prose = re.sub(r"https://\S*|\S+@\S+|\d:\d|&\w+;", "x", out)
    # No breakable space before a mark or after « : the mark cannot start (or « end) a line.
    assert not re.search(r"[ \t\n][:;?!»]", prose)
    assert not re.search(r"«[ \t\n]", prose)


def test_the_fonts_have_the_narrow_no_break_space():
    from fontTools.ttLib import TTFont

    for name in ("Andika-Regular.ttf", "Andika-Bold.ttf", "Andika-Italic.ttf", "Andika-BoldItalic.ttf"):
        cmap = TTFont(ROOT / "templates" / "fonts" / name).getBestCmap()
        assert 0x202F in cmap and 0x00A0 in cmap and 0xAB in cmap and 0xBB in cmap, name


# ---------------------------------------------------------------- no printed literal

# Identifiers, numbers and addresses (the overlay's structure).
KEPT = {"id", "taught_by", "modules", "priority", "version", "published", "contact", "chat", "language", "groups"}
KEPT |= {"url"}
_TEXT = re.compile(r"\{\w+\}|[^\W\d_]+")


def _zz(value, key: str | None = None):
    """Every word of every text turned into "zz", {slots} and identifiers kept."""
    listed = isinstance(value, list) and not any(isinstance(v, dict) for v in value)
    if key in KEPT or (is_structure(key, value) and listed):
        return value  # a list of ids (emphasis) or of line numbers, not support lines
    if isinstance(value, dict):
        return {k: _zz(v, k if isinstance(k, str) else None) for k, v in value.items()}
    if isinstance(value, list):
        return [_zz(v) for v in value]
    if isinstance(value, str):
        return _TEXT.sub(lambda m: m[0] if m[0].startswith("{") else "zz", value)
    return value


def _zz_curriculum(curriculum: Curriculum) -> Curriculum:
    changes = {}
    for field in dataclasses.fields(curriculum):
        value = getattr(curriculum, field.name)
        if field.name in ("meta", "source_map", "nation_names") or value is None:
            continue
        if isinstance(value, BaseModel):
            changes[field.name] = type(value).model_validate(_zz(value.model_dump()))
        elif isinstance(value, dict):
            changes[field.name] = {k: type(m).model_validate(_zz(m.model_dump())) for k, m in value.items()}
    meta = curriculum.meta.model_copy(update={"default_title": "zz zz"})
    return dataclasses.replace(curriculum, meta=meta, **changes)


_ATTRIBUTES = re.compile(
    r'\b(?:title|alt|aria-label|data-head|data-running|data-page|data-of|data-large)="([^"]*)"'
    r'|<meta name="(?:description|keywords)" content="([^"]*)"'
)
_ADDRESS = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[\w-]+(?:\.[\w-]+)*\.(?:ca|com|org)\b\S*")


def _printed_words(html: str) -> set[str]:
    """The words a reader meets: text of the title and body, and the attributes that print or are read aloud."""
    body = html[html.find("<title>") :]
    body = re.sub(r"<style.*?</style>", " ", body, flags=re.S)
    attributes = " ".join(" ".join(found) for found in _ATTRIBUTES.findall(html))
    # Typesetting's spans sit inside words and addresses; spans side by side are separate words.
    body = re.sub(r"</?span[^>]*>", "", re.sub(r"</span>(?=<span)", "</span> ", body))
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", body) + " " + attributes)
    return set(re.findall(r"[^\W\d_]+", _ADDRESS.sub(" ", text)))


def _org_words(org: BaseModel) -> set[str]:
    words: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, str):
            words.update(re.findall(r"[^\W\d_]+", value))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif isinstance(value, dt.date):
            for language in ("en", "fr"):
                words.update(re.findall(r"[^\W\d_]+", date_text(value, language)))

    walk(org.model_dump())
    return words


@pytest.mark.parametrize("org_file", ["content/orgs/example.yaml", "tests/fixtures/orgs/many-nations.yaml"])
def test_nothing_printed_comes_from_a_literal(org_file, tmp_path):
    project = Project(ROOT)
    curriculum = _zz_curriculum(load_curriculum(project))
    path = ROOT / org_file
    loaded = load_organization(path, path.stem, project, curriculum)
    assert loaded.org is not None, loaded.problems
    plan = make_plan(path.stem, loaded.org, curriculum)
    created = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    env = environment(project.templates)
    pages = {
        "guide": render_html(plan, "facilitator", project.templates, created),
        "handout": render_html(plan, "participant", project.templates, created),
        "fillable": render_html(plan, "participant", project.templates, created, kit="fillable"),
        "booklet": render_html(plan, "facilitator", project.templates, created, kit="booklet"),
        "booklet ends": env.get_template("booklet-ends.html.j2").render(
            **document_context(plan, "facilitator", created, "booklet"), volumes=2
        ),
        "slides": env.get_template("slides.html.j2").render(
            **document_context(plan, "slides", created), slides=slides_for(plan)
        ),
    }
    allowed = {"zz"} | _org_words(loaded.org)
    for name, page in pages.items():
        stray = _printed_words(page) - allowed
        assert not stray, f"{name} prints words that are not data: {sorted(stray)}"
    table = plan_table(path.stem, loaded.org, curriculum)
    stray = set(re.findall(r"[^\W\d_]+", _ADDRESS.sub(" ", table))) - allowed
    assert not stray, f"`packets plan` prints words that are not data: {sorted(stray)}"


def test_the_stylesheets_print_no_word():
    """Words in the page margins come from the document (string-set), never from a CSS string."""
    for sheet in sorted((ROOT / "templates" / "css").glob("*.css")):
        css = re.sub(r"/\*.*?\*/", "", sheet.read_text(encoding="utf-8"), flags=re.S)
        for value in re.findall(r"content:\s*([^;}]+)", css):
            strings = re.findall(r'"([^"]*)"', value)
            assert not [s for s in strings if re.search(r"[^\W\d_]", s)], f"{sheet.name}: content: {value}"


# ---------------------------------------------------------------- French PDFs, read back

FRENCH = FIXTURES / "french-print"
# English function words that are not also French words ("on", "or", "an", "as", "a" are both).
ENGLISH_FUNCTION_WORDS = frozenset(
    ("the", "and", "of", "to", "is", "you", "with", "for", "that", "this", "be", "it", "your", "not", "by")
    + ("at", "from", "they", "we", "our", "their", "have", "has", "what", "when", "who", "which", "in", "are")
)


@pytest.fixture(scope="session")
def french_build(tmp_path_factory, worker_id) -> Path:
    """Two French organizations (a 60-minute morning, a 150-minute afternoon with a break),
    guide, handout and slides, built once with --html through the real CLI."""
    with built_once(tmp_path_factory, worker_id, "french-print") as (out, build):
        if build:
            orgs = out / "orgs"
            shutil.copytree(FRENCH, orgs)
            paths = [str(p) for p in sorted(orgs.glob("*.yaml"))]
            result = run("build", *paths, "--slides", "--html", "--out", str(out), "--jobs", "2")
            assert result.exit_code == 0, result.output
    return out


def _pdf(out: Path, slug: str, document: str) -> Path:
    found = sorted((out / slug).glob(f"{slug}-{document}*.pdf"))
    assert found, f"no {document} for {slug} in {sorted(p.name for p in (out / slug).glob('*'))}"
    return found[0]


def _text(path: Path) -> str:
    return pdftotext(path)


def _layout_lines(path: Path) -> list[str]:
    done = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8").splitlines()


@pytest.mark.parametrize("slug", ["cisss-matin", "cisss-apres-midi"])
@pytest.mark.parametrize("document", ["facilitator-guide", "participant-handout", "slides"])
def test_french_pdfs_are_tagged_french(french_build, slug, document):
    with pikepdf.open(_pdf(french_build, slug, document)) as pdf:
        assert str(pdf.Root.Lang) == "fr-CA"


def test_the_french_guide_prints_the_date_and_times_the_french_way(french_build):
    morning = flat(_text(_pdf(french_build, "cisss-matin", "facilitator-guide")))
    afternoon = flat(_text(_pdf(french_build, "cisss-apres-midi", "facilitator-guide")))
    assert "jeudi 22 avril 2027, de 9 h à 10 h" in morning
    assert "mardi 14 septembre 2027, de 13 h 15 à 15 h 45" in afternoon
    # The run of show, in French clock times: the opening's row, then the total's.
    # (pdftotext may read a short "9 h" in a table cell as "9h")
    assert re.search(r"Heure Minutes Segment Matériel 9 ?h \d+ Accueil", morning)
    assert re.search(r"Heure Minutes Segment Matériel 13 ?h 15 \d+ Accueil", afternoon)
    assert re.search(r"15 ?h 45 150 Total : 2 h 30", afternoon) and re.search(r"10 ?h 60 Total : 1 h\b", morning)
    # The break, from one French clock time to the other, on the cover.
    assert "Séance de 2 h 30, avec une pause de 14 h 30 à 14 h 45" in afternoon
    for text in (morning, afternoon):
        assert not re.search(r"\b\d{1,2}:\d{2}\b", _addresses_out(text)), "an English clock time"


def _addresses_out(text: str) -> str:
    return re.sub(r"https?://\S+|\S+@\S+", " ", text)


def test_the_french_documents_read_in_french(french_build):
    guide = flat(_text(_pdf(french_build, "cisss-apres-midi", "facilitator-guide")))
    handout = flat(_text(_pdf(french_build, "cisss-apres-midi", "participant-handout")))
    slides = flat(_text(_pdf(french_build, "cisss-apres-midi", "slides")))
    for heading in (
        "Guide d’animation",
        "Table des matières",
        "Préparer la séance",
        "Déroulement de la séance",
        "Où trouver du soutien",
        "Reconnaissance territoriale",
        "Ouvrir la séance",
        "Clore la séance",
        "Pour aller plus loin",
        "Page 2 sur",
    ):
        assert heading in guide, heading
    for heading in ("Cahier de participation", "Avant de commencer", "Mes engagements", "Notes", "Page 2 sur"):
        assert heading in handout, heading
    assert "Retour à" in slides and "Activité : " in slides and "mardi 14 septembre 2027, 13 h 15" in slides
    # The Nation by its own name, and beside it its French name (not its English one).
    for text in (guide, handout, slides):
        assert "Wolastoqiyik" in text and "Malécites" in text and "Maliseet" not in text
    assert comparable("En français : Malécites") in comparable(guide)  # running text may be hyphenated


def test_the_support_lines_answer_in_french(french_build):
    """Hope for Wellness and 9-8-8 by their French names, and the French text says they answer in French."""
    for document in ("facilitator-guide", "participant-handout"):
        text = flat(_text(_pdf(french_build, "cisss-matin", document)))
        assert "Où trouver du soutien" in text, document
        words = comparable(text)  # French running text is hyphenated: compare words
        assert re.search(r"ligne d'écoute d'espoir pour le mieuxêtre.{0,700}?en français", words), document
        assert re.search(r"988.{0,500}?en français", words), document
        assert comparable("Ligne d’écoute téléphonique d’urgence des pensionnats indiens") in words, document


@pytest.mark.parametrize("slug", ["cisss-matin", "cisss-apres-midi"])
def test_guillemets_hold_no_break_spaces_and_no_mark_starts_a_line(french_build, slug):
    for document in ("facilitator-guide", "participant-handout", "slides"):
        html = _pdf(french_build, slug, document).with_suffix(".html")
        if html.exists():  # the HTML WeasyPrint typeset: the spaces themselves
            body = html.read_text(encoding="utf-8")
            body = re.sub(r"<[^>]+>", "", body[body.find("<body") :])
            assert "«" in body or document == "slides"
            assert not re.search(r"«[ \n]|[ \n]»|\w[ \n][:;?!]", _addresses_out(htmllib.unescape(body)))
        lines = [line.strip() for line in _layout_lines(_pdf(french_build, slug, document))]
        starts = [line for line in lines if line[:1] in (":", ";", "?", "!", "»")]
        assert not starts, f"{document}: a line starts with a mark: {starts[:3]}"
        ends = [line for line in lines if line.endswith("«")]
        assert not ends, f"{document}: a line ends with «: {ends[:3]}"


@pytest.mark.parametrize("slug", ["cisss-matin", "cisss-apres-midi"])
@pytest.mark.parametrize("document", ["facilitator-guide", "participant-handout", "slides"])
def test_at_most_two_percent_english_function_words(french_build, slug, document):
    text = _addresses_out(_text(_pdf(french_build, slug, document)))
    words = re.findall(r"[^\W\d_]+(?:[’'][^\W\d_]+)?", text.lower())
    english = [w for w in words if w in ENGLISH_FUNCTION_WORDS]
    assert len(words) > 200
    assert len(english) <= 0.02 * len(words), f"{len(english)} of {len(words)}: {sorted(set(english))}"


def test_the_french_plan_prints_french(tmp_path):
    result = run("plan", str(FRENCH / "cisss-apres-midi.yaml"))
    assert result.exit_code == 0, result.output
    assert "13 h 15" in result.output and "Total : 2 h 30" in result.output
    assert not re.search(r"\b\d{2}:\d{2}\b", result.output)


def test_french_fixtures_are_french():
    for path in sorted(FRENCH.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["language"] == "fr", path.name


@pytest.mark.parametrize("slug", ["cisss-matin", "cisss-apres-midi"])
def test_french_slides_keep_to_60_words_and_the_ground_rules_on_one_slide(french_build, slug):
    """French runs about a fifth longer than English: its decks keep the same limits."""
    from conftest import page_texts

    deck = load_curriculum(Project(ROOT), "fr").deck
    pages = [re.sub(r"\s*\d+ / \d+\s*$", "", page) for page in page_texts(_pdf(french_build, slug, "slides"))]
    words = [len(re.findall(r"\S*[^\W_]\S*", page)) for page in pages]
    assert max(words) <= 60, words
    squeezed = [re.sub(r"\s+", "", page).replace("\ufffe", "-") for page in pages]
    rules = [page for page in squeezed if page.startswith(re.sub(r"\s+", "", deck.ground_rules.title))]
    assert len(rules) == 1 and all(re.sub(r"\s+", "", rule) in rules[0] for rule in deck.ground_rules.points)
    # A lead-in ending on a colon always has its list under it on the same slide.
    assert not [page for page in pages if page.rstrip().endswith(":")]
