"""The projected deck, read back from the PDFs of 60, 120 and 180-minute sessions, the example
and the fixtures: what a room sees from the back, and what it must never lose."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, built_once, fixture_editions, flat, nfc, page_texts, pdftotext, run
from pypdf import PdfReader

from packets.load.curriculum import Project, load_curriculum
from packets.load.model import Nation

CURRICULUM = load_curriculum(Project(ROOT))
FRENCH = load_curriculum(Project(ROOT), "fr")
# The words a deck is checked against are its own edition's: a French deck's file ends in -fr.
RESENTMENT = {"en": ("resent", "not personal"), "fr": ("ressentiment", "rien de personnel")}


def _language(path: Path) -> str:
    return "fr" if path.stem.endswith("-fr") else "en"


def _curriculum(path: Path):
    return FRENCH if _language(path) == "fr" else CURRICULUM


SLIDE_NUMBER = re.compile(r"^\s*\d+ / \d+\s*$")
PAGE_W, PAGE_H = 960.0, 540.0
MARGIN_TOP, MARGIN_BOTTOM = 27.0, 36.0
WORD = re.compile(r"\S*[^\W_]\S*")

LOCAL = """local_resources:
  - name: Hope for Wellness Help Line
    contact: "1 (855) 242-3310"
    note: listed again by the organization, as many do
  - name: Lakehead Friendship Centre drop-in counselling
    contact: "807-555-0142"
  - name: Staff peer support team
    contact: peers@lakehead.example
"""


def _session_org(minutes: int) -> str:
    return f"""name: Lakehead Family Health Team
workshop:
  title: Allyship in our clinics
  date: 2027-05-12
  start: "09:00"
  minutes: {minutes}
  location: Boardroom, 40 Court Street
  facilitators:
    - {{name: Robin Desjardins, role: Quality lead}}
    - {{name: Kai Bellegarde, role: Clinic manager}}
land_acknowledgement:
  nations:
    - {{name: Anishinaabeg, english_name: Anishinaabe peoples, pronunciation: "ah-nish-ih-NAH-beg"}}
  territory: Robinson-Superior Treaty territory
  statement: >-
    We are meeting on the land of the Anishinaabeg of Fort William First Nation, within the
    Robinson-Superior Treaty of 1850.
{LOCAL}"""


def _crowded_org() -> str:
    """Everything an organization may list, as many as the file allows: the deck must still keep to 60 words."""
    people = "".join(f"    - {{name: Facilitator Number{i} Longname-Hyphenated, role: Lead}}\n" for i in range(20))
    nations = "".join(
        f"    - {{name: Nation{i}-Hyphenated, english_name: The Very Long English Name Number {i} First Nation, "
        f'pronunciation: "NAY-shun-{i}-hy-fen-AY-ted"}}\n'
        for i in range(12)
    )
    resources = "".join(
        f'  - {{name: Community Support Service Number {i} of the Region, contact: "807-555-{1000 + i}"}}\n'
        for i in range(30)
    )
    commitments = "".join(
        f"    - Commitment {i} is to fund and follow a program led by the local Nations, reviewed every year.\n"
        for i in range(15)
    )
    treaties = ", ".join(f"within Treaty {i} and the territory around it" for i in range(5))
    territory = f"the lands of many Nations, {treaties}"
    return (
        "name: Crowded Regional Health Authority with a Long Name for Testing Every Slide of the Deck\n"
        f"workshop:\n  title: Allyship in practice across every site\n  format: short\n  facilitators:\n{people}"
        f"land_acknowledgement:\n  nations:\n{nations}  territory: {territory}\n  commitments:\n{commitments}"
        f"local_resources:\n{resources}"
    )


# A treaty statement the organization wrote: five lines, its first sentence long (many Nations
# and a treaty named in it), the whole too long for one slide: cut only between its sentences.
TREATY_STATEMENT = """name: Qu’Appelle Valley and Southern Saskatchewan Regional Primary Health Care Partnership Network
workshop:
  format: short
land_acknowledgement:
  nations:
    - {name: Nêhiyawak, english_name: Plains Cree}
    - {name: Anihšināpēk, english_name: Saulteaux}
    - {name: Dakota}
    - {name: Lakota}
    - {name: Nakoda}
    - {name: Métis}
  territory: Treaty 4 territory
  statement: >-
    We gather on Treaty 4 territory, the lands of the Nêhiyawak, Anihšināpēk, Dakota, Lakota
    and Nakoda, and the homeland of the Métis, whose ancestors entered into this treaty with the
    Crown in 1874 as a sacred promise between peoples, meant to last as long as the sun shines,
    the grass grows and the rivers flow. We know that the Crown has not kept that promise, and
    that our own clinics have been part of the failure. We are here to learn how to do better.
"""

# One sentence of 55 words, many of them long: nine lines, more than a statement slide holds
# at 30 pt, yet within its words. It is set at 28 pt on one slide, never cut at a comma.
LONG_SENTENCE = """name: Northwestern Interprofessional Rehabilitation Collaborative
workshop:
  format: short
land_acknowledgement:
  nations:
    - {name: Anishinaabeg, english_name: Anishinaabe peoples}
  statement: >-
    We acknowledge, with gratitude and responsibility, that our interprofessional rehabilitation
    collaborative operates on traditional Anishinaabe territories encompassing Fort William, Red Rock,
    Pays Plat, Biinjitiwaabik Zaaging Anishinaabek, Animbiigoo Zaagiigan Anishinaabek, Kiashke Zaaging
    Anishinaabek and Opwaaganasiniing communities, understanding that acknowledgement demands
    continuing accountability, transformative relationships, meaningful reciprocity and sustained
    institutional commitments.
"""

SESSIONS = {60: "session-60", 120: "session-120", 180: "session-180"}
FIXTURE_ORGS = ("many-nations", "pacific-coast", "treaty-six", "francophone", "bilingual-nb")


# The example's and many-nations' slides are the delivery kit's (conftest.py `kit`), built once for the run.
IN_THE_KIT = {"example": "slides", "many-nations": "many-slides"}


@pytest.fixture(scope="session")
def decks(tmp_path_factory, worker_id, kit) -> dict[str, Path]:
    """The slides of three session lengths, the example and every fixture organization, built once."""
    with built_once(tmp_path_factory, worker_id, "decks-out") as (out, build):
        orgs = out / "orgs"
        if build:
            orgs.mkdir()
            for minutes, slug in SESSIONS.items():
                (orgs / f"{slug}.yaml").write_text(_session_org(minutes), encoding="utf-8")
            (orgs / "crowded.yaml").write_text(_crowded_org(), encoding="utf-8")
            (orgs / "treaty-statement.yaml").write_text(TREATY_STATEMENT, encoding="utf-8")
            (orgs / "long-sentence.yaml").write_text(LONG_SENTENCE, encoding="utf-8")
            files = sorted(map(str, orgs.glob("*.yaml")))
            files += [str(FIXTURES / "orgs" / f"{slug}.yaml") for slug in FIXTURE_ORGS if slug not in IN_THE_KIT]
            args = (*files, "--audience", "participant", "--slides", "--out", str(out / "built"), "--jobs", "2")
            result = run("build", *args)
            assert result.exit_code == 0, result.output
    from packets.render.kit import kit_name

    built = [*SESSIONS.values(), "crowded", "treaty-statement", "long-sentence"]
    built += [slug for slug in FIXTURE_ORGS if slug not in IN_THE_KIT]
    fixtures = {slug: fixture_editions(FIXTURES / "orgs" / f"{slug}.yaml")[0] for slug in FIXTURE_ORGS}
    found = {slug: out / "built" / slug / kit_name(slug, "slides", fixtures.get(slug, "en")) for slug in built}
    # Every edition of an organization with more than one (`languages: [en, fr]`): its French deck too.
    for slug in FIXTURE_ORGS:
        for language in fixture_editions(FIXTURES / "orgs" / f"{slug}.yaml")[1:]:
            found[f"{slug}-{language}"] = out / "built" / slug / kit_name(slug, "slides", language)
    return found | {slug: kit[key] for slug, key in IN_THE_KIT.items()}


ALL = [*SESSIONS.values(), "crowded", "treaty-statement", "long-sentence", "example", *FIXTURE_ORGS, "bilingual-nb-fr"]
FRENCH_DECKS = ["francophone", "bilingual-nb-fr"]


@dataclass
class Word:
    text: str
    top: float
    bottom: float


@pytest.fixture(scope="session")
def boxes():
    """Each page's words with their vertical position (Poppler's -bbox), slide numbers left out."""
    cache: dict[Path, list[list[Word]]] = {}

    def read(path: Path) -> list[list[Word]]:
        if path not in cache:
            exe = shutil.which("pdftotext")
            if exe is None:
                pytest.skip("pdftotext (poppler-utils) is not installed")
            html = subprocess.run([exe, "-bbox", str(path), "-"], capture_output=True, check=True).stdout.decode()
            pages = []
            for page in html.split("<page ")[1:]:
                words = [
                    Word(text, float(y0), float(y1))
                    for y0, y1, text in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', page)
                ]
                # The slide number sits in the bottom margin.
                pages.append([w for w in words if w.top < PAGE_H - MARGIN_BOTTOM])
            cache[path] = pages
        return cache[path]

    return read


def _words(text: str) -> int:
    return len(WORD.findall(text))


def _slide_words(page: str) -> int:
    return _words("\n".join(line for line in page.splitlines() if not SLIDE_NUMBER.match(line)))


@pytest.mark.parametrize("slug", ALL)
def test_no_slide_holds_more_than_60_words(decks, slug):
    pages = page_texts(decks[slug])
    over = [(n, _slide_words(page)) for n, page in enumerate(pages, start=1) if _slide_words(page) > 60]
    assert over == []


@pytest.mark.parametrize("slug", ALL)
def test_every_slide_that_mentions_resentment_says_it_is_not_personal(decks, slug):
    pages = [flat(page).lower() for page in page_texts(decks[slug])]
    named, reason = RESENTMENT[_language(decks[slug])]
    mentions = [page for page in pages if named in page]
    assert mentions, "the deck never names resentment"
    assert all(reason in page for page in mentions), mentions


def test_trust_module_slide_keeps_resentment_with_its_cause(decks):
    """The module's slide is chosen on purpose: never its first two key points alone."""
    pages = [flat(page) for page in page_texts(decks["session-180"])]
    trust = [p for p in pages if p.startswith("Module") and "Trust takes time" in p and "resentment" in p]
    assert trust and all("not personal" in p and "lived through" in p for p in trust)


@pytest.mark.parametrize("slug", ALL)
def test_the_deck_is_exactly_16_by_9(decks, slug):
    for page in PdfReader(str(decks[slug])).pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == (PAGE_W, PAGE_H)


@pytest.mark.parametrize("slug", ALL)
def test_short_slides_are_centred_not_hung_in_the_top_half(decks, slug, boxes):
    area_top, area_bottom = MARGIN_TOP, PAGE_H - MARGIN_BOTTOM
    hung = []
    for n, words in enumerate(boxes(decks[slug]), start=1):
        if not words:
            continue
        top, bottom = min(w.top for w in words), max(w.bottom for w in words)
        if bottom - top > (area_bottom - area_top) / 2:
            continue  # a full slide
        middle = (top + bottom) / 2
        centre = (area_top + area_bottom) / 2
        if abs(middle - centre) > 0.08 * (area_bottom - area_top):
            hung.append((n, round(top), round(bottom)))
    assert hung == []


@pytest.mark.parametrize("slug", ALL)
def test_no_list_is_split_over_two_slides_when_one_would_hold_it(decks, slug, boxes):
    """Two slides in a row with the same title are one list or text run on: allowed only when
    together they hold more than 60 words or more lines than one slide has room for."""
    pages = page_texts(decks[slug])
    measured = boxes(decks[slug])
    area = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM
    split = []
    for n in range(len(pages) - 1):
        first, second = (_lines(pages[n]), _lines(pages[n + 1]))
        # A section slide holds its title alone, and the module's points follow it under the same title.
        if len(first) < 2 or len(second) < 2 or first[0] != second[0]:
            continue
        title = first[0]
        words = _slide_words(pages[n]) + _slide_words(pages[n + 1]) - _words(title)
        heights, headings = [], []
        for page in (measured[n], measured[n + 1]):
            # The body: what is below the title (a kicker such as "Module 4" sits above it).
            title_bottom = _title_bottom(page)
            body = [w for w in page if w.top >= title_bottom - 1] or page
            heights.append(max(w.bottom for w in body) - min(w.top for w in body))
            headings.append(min(w.top for w in body) - min(w.top for w in page))
        # The title's line at 40 pt (46 pt) and the 9 mm under it (templates/css/slides.css), or
        # what the heading takes as printed when it is taller: a kicker, a title on two lines.
        title_height = max(72.0, headings[0])
        if words <= 60 and sum(heights) + title_height < area * 0.9:
            split.append((n + 1, title, words, round(sum(heights)), round(title_height)))
    assert split == []


def _title_bottom(page: list[Word]) -> float:
    """Where a slide's title ends: its words are the ones set at 40 pt (Poppler's word boxes
    are about 1.61 em tall), on one line or two; nothing else on a slide is set at that size."""
    return max((w.bottom for w in page if 36 <= (w.bottom - w.top) / 1.612 <= 44), default=0.0)


def _lines(page: str) -> list[str]:
    lines = [line.strip() for line in page.splitlines() if line.strip() and not SLIDE_NUMBER.match(line)]
    # A module's slides carry "Module N" above their title.
    return lines[1:] if lines and re.fullmatch(r"Module \d+", lines[0]) else lines


@pytest.mark.parametrize("slug", ["session-60", "example", "many-nations"])
def test_title_slide_has_title_organization_facilitators_and_date_and_no_number(decks, slug):
    from packets.load.model import Organization
    from packets.load.sources import read_yaml

    path = decks[slug]
    source = {"example": ROOT / "content/orgs/example.yaml", "many-nations": FIXTURES / "orgs/many-nations.yaml"}
    org_file = source.get(slug, path.parent.parent.parent / "orgs" / f"{slug}.yaml")
    org = Organization.model_validate(read_yaml(org_file).data)
    first = flat(page_texts(path)[0])
    assert first.startswith(flat(org.workshop.title)) and flat(nfc(org.name)) in first
    for person in org.workshop.facilitators:
        assert flat(nfc(person.name)) in first
    if org.workshop.date:
        assert str(org.workshop.date.year) in first
    assert not re.search(r"\b1 / \d+\b", first), first
    assert re.search(r"\b2 / \d+\b", flat(page_texts(path)[1]))


@pytest.mark.parametrize("slug", ALL)
def test_the_deck_ends_on_the_closing_slide_with_every_support(decks, slug):
    pages = [flat(page) for page in page_texts(decks[slug])]
    words = _curriculum(decks[slug])
    support = [n for n, page in enumerate(pages) if page.startswith(flat(words.deck.support.title))]
    assert support and support[-1] == len(pages) - 1
    shown = " ".join(pages[n] for n in support)
    for line in words.support.lines:
        assert flat(line.name) in shown and flat(line.contact) in shown, line.name
    assert flat(words.deck.employee_assistance) in shown


def test_every_one_of_thirty_local_supports_reaches_the_screen(decks):
    pages = [flat(page) for page in page_texts(decks["crowded"])]
    shown = " ".join(page for page in pages if page.startswith(CURRICULUM.deck.support.title))
    for i in range(30):
        assert f"Community Support Service Number {i} of the Region: 807-555-{1000 + i}" in shown


@pytest.mark.parametrize("slug", SESSIONS.values())
def test_the_organization_s_own_supports_reach_the_screen_once_each(decks, slug):
    pages = [flat(page) for page in page_texts(decks[slug])]
    shown = " ".join(page for page in pages if page.startswith(CURRICULUM.deck.support.title))
    assert "Lakehead Friendship Centre drop-in counselling: 807-555-0142" in shown
    assert "Staff peer support team: peers@lakehead.example" in shown
    # The organization lists Hope for Wellness again, written its own way: it is shown once.
    assert shown.count("Hope for Wellness") == 1 and "1 (855) 242-3310" not in shown


@pytest.mark.parametrize("slug", SESSIONS.values())
def test_the_content_notice_shows_its_key_lines_and_the_support_numbers(decks, slug):
    pages = [flat(page) for page in page_texts(decks[slug])]
    notice = [n for n, page in enumerate(pages) if page.startswith(CURRICULUM.deck.content_notice.title)]
    assert len(notice) == 1
    for point in CURRICULUM.deck.content_notice.points:
        assert flat(point) in pages[notice[0]]
    # With the notice, or (when they cannot share one slide) on the slide straight after it.
    shown = pages[notice[0]] if flat(CURRICULUM.deck.support_heading) in pages[notice[0]] else pages[notice[0] + 1]
    for line in CURRICULUM.support.lines:
        assert re.search(r"\d-\d", line.contact) and line.contact in shown
    assert flat(CURRICULUM.facilitation.content_notice.say_aloud) not in " ".join(pages)


@pytest.mark.parametrize("slug", SESSIONS.values())
def test_three_support_lines_on_the_slides(decks, slug):
    text = flat(pdftotext(decks[slug]))
    for number in ("1-855-242-3310", "1-866-925-4419", "9-8-8"):
        assert number in text


@pytest.mark.parametrize("slug", ["session-60", "session-180"])
def test_activity_slides_speak_to_participants_and_never_give_the_point_away(decks, slug):
    from packets.planning.organization import load_organization
    from packets.planning.plan import make_plan

    org_file = decks[slug].parent.parent.parent / "orgs" / f"{slug}.yaml"
    plan = make_plan(slug, load_organization(org_file, slug, Project(ROOT), CURRICULUM).org, CURRICULUM)
    text = flat(pdftotext(decks[slug]))
    activities = [a for pm in plan.modules for a in pm.activities]
    assert activities
    for activity in activities:
        for number, step in enumerate(activity.slide_steps, start=1):
            assert f"{number}. {flat(nfc(step))}" in text
        for step in activity.instructions:
            assert flat(nfc(step)) not in text, step  # the facilitator's instructions stay in the guide
    assert "Circle any phrase" not in text


def test_every_module_and_activity_of_the_curriculum_declares_its_slides():
    for module in CURRICULUM.modules.values():
        assert module.slide_points, module.id
        words = sum(_words(p) for p in module.slide_points) + _words(module.title) + 2
        assert words <= 60, (module.id, words)
        for activity in module.activities:
            assert activity.slide_steps, activity.id
            assert not set(activity.slide_steps) & set(activity.instructions), activity.id
    essentials = {e.id for e in CURRICULUM.facilitation.essentials}
    assert set(CURRICULUM.deck.essentials) == essentials


def test_principles_keep_their_cause_on_the_module_slides():
    points = {m.id: " ".join(m.slide_points).lower() for m in CURRICULUM.modules.values()}
    assert "not personal" in points["trust-takes-time"] and "lived through" in points["trust-takes-time"]
    land = points["land-and-relationships"]
    assert "from the very beginning" in land and all(w in land for w in ("elders", "hereditary chiefs", "youth"))
    assert "credit" in points["spotlight-and-credit"]
    mistakes = points["mistakes-and-feelings"]
    assert "hurt" in mistakes and "needs come second" in mistakes


def test_a_module_without_slide_points_is_refused_by_the_curriculum_model():
    from pydantic import ValidationError

    from packets.load.model import Module

    module = CURRICULUM.modules["trust-takes-time"].model_dump()
    del module["slide_points"]
    with pytest.raises(ValidationError, match="slide_points"):
        Module.model_validate(module)


@pytest.mark.parametrize("slug", ["many-nations", "pacific-coast", "example"])
def test_nation_names_stay_whole_on_one_line(decks, slug):
    """Never "Tsleil-/Waututh": each name, and each English name, reads back on a single line."""
    from packets.load.model import Organization
    from packets.load.sources import read_yaml

    files = {"example": ROOT / "content/orgs/example.yaml"}
    org = Organization.model_validate(read_yaml(files.get(slug, FIXTURES / "orgs" / f"{slug}.yaml")).data)
    lines = [nfc(line) for line in pdftotext(decks[slug]).splitlines()]
    for nation in org.land_acknowledgement.nations:
        assert any(nfc(nation.name) in line for line in lines), nation.name
        assert not any(line.rstrip().endswith("-") for line in lines if nation.name.split("-")[0] in line)


def test_the_nations_slides_share_the_names_evenly(decks):
    """Seven Nations over three slides are 3, 2 and 2 (issue 29: 3, 3 and 1 left the seventh
    alone on a slide), in the file's order; the territory under the last."""
    from packets.load.model import Organization
    from packets.load.sources import read_yaml

    org = Organization.model_validate(read_yaml(FIXTURES / "orgs/many-nations.yaml").data)
    names = [nfc(nation.name) for nation in org.land_acknowledgement.nations]
    shown = []
    for page in pdftotext(decks["many-nations"]).split("\f"):
        lines = [nfc(line.strip()) for line in page.splitlines()]
        here = [name for name in names if name in lines]
        if here:
            shown.append((here, "We are on the lands of many Nations" in flat(page)))
    assert [name for here, _ in shown for name in here] == names, shown
    sizes = [len(here) for here, _ in shown]
    assert max(sizes) - min(sizes) <= 1, sizes
    assert [territory for _, territory in shown] == [False] * (len(shown) - 1) + [True], shown


def test_the_territory_is_a_sentence_not_a_bare_word(decks):
    text = flat(pdftotext(decks["example"]))
    assert "This land is unceded." in text
    lines = [line.strip() for line in pdftotext(decks["example"]).splitlines()]
    assert "unceded" not in lines


def test_syllabics_are_set_no_smaller_than_the_latin_names(decks):
    sizes: dict[str, set[float]] = {}
    for page in PdfReader(str(decks["many-nations"])).pages:

        def visit(text, cm, tm, font_dict, font_size):
            if text.strip():
                sizes.setdefault(text.strip(), set()).add(round(font_size * tm[3] * cm[3], 1))

        page.extract_text(visitor_text=visit)
    syllabic = [max(s) for t, s in sizes.items() if "ᐃᓄᐃᑦ" in t]
    latin = [max(s) for t, s in sizes.items() if t == "Haudenosaunee"]
    assert syllabic and latin and min(syllabic) >= max(latin) >= 48


def test_the_own_name_s_pronunciation_is_shown_beneath_the_name():
    from packets.render.slides import nation_line

    nation = Nation(
        name="səl̓ilw̓ətaʔɬ", name_pronunciation="to be confirmed", english_name="Tsleil-Waututh", pronunciation="x"
    )
    line = nation_line(nation)
    assert line.details == ("say “to be confirmed”", "Tsleil-Waututh · say “x”")
    assert line.one_line and "".join(w.text for w in line.words) == nation.name


def test_a_slide_that_cannot_fit_stops_the_build_with_its_title_and_line(tmp_path):
    """A web address longer than a slide in the statement: exit 2, the slide and the file's line, nothing written."""
    address = "https://example.org/" + "acknowledgement-" * 45
    assert len(address) >= 730
    org = tmp_path / "long-address.yaml"
    org.write_text(
        "name: Long Address Clinic\nworkshop:\n  format: short\nland_acknowledgement:\n"
        "  nations:\n    - {name: Anishinaabeg}\n"
        f"  statement: >-\n    We are on Anishinaabe land. Read more at {address}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run("build", str(org), "--audience", "participant", "--slides", "--out", str(out), "-j1")
    assert result.exit_code == 2, result.output
    assert "long-address.yaml:7:" in result.output
    assert "the slide 'Land acknowledgement' cannot fit" in result.output and "nothing was written" in result.output
    assert "shorten" in result.output and "Traceback" not in result.output
    assert not (out / "long-address").exists() or not any((out / "long-address").iterdir())


def test_a_nation_name_wider_than_any_slide_stops_the_build(tmp_path):
    name = "Wiiseeksbaxaxhlxwsgiiluuxwhlgadaaxw" * 8
    org = tmp_path / "long-name.yaml"
    org.write_text(
        "name: Long Name Clinic\nworkshop:\n  format: short\nland_acknowledgement:\n"
        f"  nations:\n    - {{name: {name}, pronunciation: wee-SEEKS-bax}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run("build", str(org), "--audience", "participant", "--slides", "--out", str(out), "-j1")
    assert result.exit_code == 2, result.output
    assert "long-name.yaml:6:" in result.output and "the slide 'Land acknowledgement' cannot fit" in result.output
    assert not (out / "long-name").exists() or not any((out / "long-name").iterdir())


def test_supports_are_the_same_when_they_share_a_number_or_an_address_however_written():
    from packets.planning.plan import contact_keys

    assert contact_keys("1-855-242-3310") == contact_keys("+1 (855) 242 3310") == contact_keys("855.242.3310")
    assert contact_keys("Call or text 9-8-8") == contact_keys("988")
    assert contact_keys("https://www.HopeForWellness.ca/") == contact_keys("hopeforwellness.ca")
    assert contact_keys("1-855-242-3310 or hopeforwellness.ca") >= contact_keys("hopeforwellness.ca")
    assert contact_keys("peers@lakehead.example") != contact_keys("help@lakehead.example")
    assert not contact_keys("807-555-0142") & contact_keys("807-555-0143")


# ---------------------------------------------------------------- English and French decks alike


def _deck_plan(decks, slug: str):
    """The plan a deck was made from, in its own edition's language."""
    from packets.planning.organization import load_organization
    from packets.planning.plan import make_plan

    org = slug.removesuffix("-fr")
    files = {"example": ROOT / "content/orgs/example.yaml"}
    path = files.get(org, FIXTURES / "orgs" / f"{org}.yaml")
    if not path.exists():
        path = decks[slug].parent.parent.parent / "orgs" / f"{org}.yaml"
    curriculum = _curriculum(decks[slug])
    loaded = load_organization(path, org, Project(ROOT), curriculum)
    assert loaded.org is not None, loaded.problems
    return make_plan(org, loaded.org.edition(_language(decks[slug])), curriculum)


def _squeezed(text: str) -> str:
    """Text without its spaces, for finding a passage whatever the line breaks and the French
    no-break spaces typesetting put in it (PDFium reads a hyphen a line ends on as U+FFFE)."""
    return re.sub(r"\s+", "", nfc(text).replace("\ufffe", "-"))


@pytest.mark.parametrize("slug", ALL)
def test_the_ground_rules_stay_up_whole_on_one_slide(decks, slug):
    """The ground rules are left up while the room talks: every rule on the one slide, in
    French too (its rules were 4 + 3 over two slides, past 60 words together)."""
    words = _curriculum(decks[slug]).deck.ground_rules
    pages = [_squeezed(page) for page in page_texts(decks[slug])]
    shown = [page for page in pages if page.startswith(_squeezed(words.title))]
    assert len(shown) == 1, len(shown)
    for rule in words.points:
        assert _squeezed(rule) in shown[0], rule


@pytest.mark.parametrize("slug", ALL)
def test_a_lead_in_never_ends_a_slide_without_its_list(decks, slug):
    """« Les gestes derrière les mots » ended on its lead-in's colon, the list on the next slide."""
    ends = []
    for n, page in enumerate(page_texts(decks[slug]), start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip() and not SLIDE_NUMBER.match(line)]
        if lines and lines[-1].endswith(":"):
            ends.append((n, lines[-1]))
    assert ends == []


@pytest.mark.parametrize("slug", ALL)
def test_the_commitments_slide_opens_with_its_lead_in_and_list_together(decks, slug):
    plan = _deck_plan(decks, slug)
    commitments = plan.org.land_acknowledgement.commitments
    if not commitments:
        pytest.skip("no commitments")
    deck = plan.curriculum.deck
    pages = [_squeezed(page) for page in page_texts(decks[slug])]
    shown = [page for page in pages if page.startswith(_squeezed(deck.actions_title))]
    assert shown and _squeezed(deck.actions_intro) in shown[0] and _squeezed(commitments[0]) in shown[0]
    for commitment in commitments:
        assert sum(_squeezed(commitment) in page for page in shown) == 1, commitment


@pytest.mark.parametrize("slug", ALL)
def test_the_statement_is_cut_only_between_sentences(decks, slug):
    """Each sentence of the acknowledgement's statement is read whole on one slide: with many
    Nations the composed one broke at a comma after "(Inuit),"; a long treaty statement goes
    over two slides only at a sentence end."""
    from packets.render.slides import sentences

    plan = _deck_plan(decks, slug)
    statement = plan.statement
    shown = [*(statement.slide_paragraphs or statement.paragraphs), *([statement.closing] if statement.closing else [])]
    if not shown:
        pytest.skip("no statement")
    pages = [_squeezed(page) for page in page_texts(decks[slug])]
    title = _squeezed(plan.curriculum.deck.acknowledgement_title)
    for paragraph in shown:
        for sentence in sentences(paragraph):
            assert any(_squeezed(sentence) in page for page in pages if page.startswith(title)), sentence


def test_a_long_treaty_statement_goes_over_two_slides_at_a_sentence_end(decks):
    pages = [flat(page) for page in page_texts(decks["treaty-statement"])]
    statement = [page for page in pages if "Crown" in page]
    assert len(statement) == 2, statement
    assert "rivers flow." in statement[0] and statement[1].startswith("Land acknowledgement We know that the Crown")


def test_names_in_the_statement_are_never_broken_at_their_hyphen(decks):
    """Twelve hyphenated names in the composed statement's prose, each whole on its line."""
    lines = [line.strip() for line in pdftotext(decks["crowded"]).splitlines()]
    statement = [line for line in lines if "Hyphenated" in line and "say" not in line]
    assert len(statement) >= 3, statement
    assert not [line for line in lines if re.search(r"Nation\d+-$", line)]


def test_a_sentence_longer_than_a_slide_s_lines_is_set_smaller_not_cut(decks):
    """Nine lines of one sentence: whole on one slide, at 28 pt (the smallest a room reads)."""
    from pypdf import PdfReader

    pages = [flat(page) for page in page_texts(decks["long-sentence"])]
    shown = [n for n, page in enumerate(pages) if "interprofessional rehabilitation" in page]
    assert len(shown) == 1 and "institutional commitments." in pages[shown[0]], shown
    sizes = set()

    def visit(text, cm, tm, font_dict, font_size):
        if re.search(r"[^\W\d_]", text):  # words, not the slide's number
            sizes.add(round(font_size * tm[3] * cm[3], 1))

    PdfReader(str(decks["long-sentence"])).pages[shown[0]].extract_text(visitor_text=visit)
    assert min(sizes) >= 28, sizes
