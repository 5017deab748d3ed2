"""The studio's details a coordinator stumbled on (issue 31, item 8), over real HTTP and in Chromium.

The time a file was saved reads as one sentence; commitments show whole; modules, emphasis
and leads are chosen by their titles; every organization's length reads the same way; and a
commitment added below quoted ones is quoted like them.
"""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import ROOT

# The studio and the browser are test_studio.py's fixtures (one server for this file, one browser).
from test_studio import _field, _no_axe_violations, _packets, _wait, chrome, studio  # noqa: F401

from packets.load.curriculum import Project, load_curriculum

# As in test_studio.py: the studio's tests run on one worker.
pytestmark = pytest.mark.xdist_group("studio")

CURRICULUM = load_curriculum(Project(ROOT))
TITLES = {m.id: m.title for m in CURRICULUM.modules.values()}
LONG_COMMITMENT = (
    "We pay every Elder and knowledge keeper who guides us for their time and travel, at the rate the "
    "Nation's education office sets, and we ask them before the session what protocol they wish us to "
    "follow, including how they wish to be introduced."
)


def _copy(studio, fixture: str, slug: str):
    target = studio.root / "content" / "orgs" / f"{slug}.yaml"
    shutil.copy(ROOT / "tests" / "fixtures" / fixture, target)
    return target


def test_the_organizations_list_gives_every_length_the_same_way(studio):
    """A file with minutes and a file with a format read alike: "2 h 30 min", "1 h 30 min"."""
    target = _copy(studio, "handout/wolastoq-valley.yaml", "length-minutes")
    try:
        status, _, body = studio.request("GET", "/")
        assert status == 200
        rows = {
            slug: re.findall(r"<td>([^<]*)</td>", row)
            for slug, row in re.findall(r'<tr data-slug="([^"]+)">(.*?)</tr>', body.decode(), re.S)
        }
        assert "2 h 30 min" in rows["length-minutes"]  # minutes: 150
        assert "1 h 30 min" in rows["example"]  # the standard format, 90 minutes
        for cells in rows.values():
            assert not any("Standard" in c or re.fullmatch(r"\d+ min", c) for c in cells), cells
    finally:
        target.unlink()


def test_a_new_commitment_is_quoted_like_the_ones_above_it(studio):
    slug = "quoted-commitments"
    target = studio.root / "content" / "orgs" / f"{slug}.yaml"
    target.write_text(
        "name: Quoted Clinic\n"
        "land_acknowledgement:\n"
        "  nations:\n"
        '    - name: "Wolastoqiyik"\n'
        "      english_name: 'Wolastoqey Nation'\n"
        "  commitments:\n"
        '    - "We pay Elders and knowledge keepers for their time."\n',
        encoding="utf-8",
    )
    try:
        status, state = studio.json("GET", f"/api/orgs/{slug}")
        assert status == 200
        data = state["data"]
        data["land_acknowledgement"]["commitments"].append("We meet the Nation's education office each season.")
        data["land_acknowledgement"]["nations"].append({"name": "Miʼkmaq", "english_name": "Miʼkmaq"})
        status, saved = studio.json("POST", f"/api/orgs/{slug}/save", {"data": data, "version": state["version"]})
        assert status == 200, saved
        text = target.read_text(encoding="utf-8")
        assert '    - "We meet the Nation\'s education office each season."\n' in text
        assert "    - name: \"Miʼkmaq\"\n      english_name: 'Miʼkmaq'\n" in text
        assert _packets(studio, "check", slug).returncode == 0
    finally:
        target.unlink()


def test_saving_says_the_time_in_one_sentence_and_commitments_show_whole(studio, chrome):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    chrome.get(studio.url)
    chrome.get(f"http://{studio.host}:{studio.port}{studio.prefix}/orgs/example")
    _wait(chrome, lambda: _field(chrome, "name").get_attribute("value"), "the example's form")
    commitment = _field(chrome, "land_acknowledgement.commitments[0]")
    assert commitment.tag_name == "textarea"
    commitment.clear()
    commitment.send_keys(LONG_COMMITMENT + Keys.ENTER)  # Enter adds no line break to a one-line value
    shown = chrome.execute_script(
        "const e = arguments[0]; return [e.value, e.scrollHeight, e.clientHeight];", commitment
    )
    assert shown[0] == LONG_COMMITMENT
    assert shown[1] <= shown[2] + 1, "the commitment is cut off: the box is shorter than its text"
    chrome.find_element(By.ID, "save").send_keys(Keys.ENTER)
    _wait(chrome, lambda: "Saved to" in chrome.find_element(By.ID, "save-status").text, "saved")
    said = chrome.find_element(By.ID, "save-status").text
    assert ".." not in said
    assert re.fullmatch(r"Saved to content/orgs/example\.yaml at \d{1,2}:\d\d(\s?[ap]\.m\.|\.)", said), said
    text = (studio.root / "content/orgs/example.yaml").read_text(encoding="utf-8")
    assert f'- "{LONG_COMMITMENT}"' in text or f"- {LONG_COMMITMENT}\n" in text  # one line, as typed
    assert _packets(studio, "check", "example").returncode == 0


def test_modules_emphasis_and_leads_are_chosen_by_their_titles(studio, chrome):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    slug = "choose-by-title"
    target = _copy(studio, "sessions/two-hours.yaml", slug)
    try:
        chrome.get(studio.url)
        chrome.get(f"http://{studio.host}:{studio.port}{studio.prefix}/orgs/{slug}")
        _wait(chrome, lambda: _field(chrome, "name").get_attribute("value"), "the form")

        emphasis = chrome.find_elements(By.CSS_SELECTOR, 'input[type="checkbox"][data-path="workshop.emphasis"]')
        labels = [chrome.find_element(By.CSS_SELECTOR, f'label[for="{e.get_attribute("id")}"]').text for e in emphasis]
        assert labels == list(TITLES.values())
        lead_boxes = 'input[type="checkbox"][data-path="workshop.facilitators[1].leads"]'
        leads = {e.get_attribute("value"): e for e in chrome.find_elements(By.CSS_SELECTOR, lead_boxes)}
        assert set(leads) == {*TITLES, "opening", "closing", "break"}
        assert leads["privilege-and-power"].is_selected() and leads["listening-and-following"].is_selected()
        assert not leads["closing"].is_selected()

        chrome.find_element(By.XPATH, "//button[text()='Add Module']").send_keys(Keys.ENTER)
        module = Select(_field(chrome, "workshop.modules[0]"))
        assert [o.text for o in module.options][1:] == list(TITLES.values())
        module.select_by_visible_text(TITLES["mistakes-and-feelings"])
        chrome.find_element(By.XPATH, "//button[text()='Add Module']").send_keys(Keys.ENTER)
        Select(_field(chrome, "workshop.modules[1]")).select_by_visible_text(TITLES["commitments-in-action"])
        for box in emphasis:
            if box.get_attribute("value") == "mistakes-and-feelings":
                box.send_keys(Keys.SPACE)
        leads["closing"].send_keys(Keys.SPACE)
        _no_axe_violations(chrome, "edit, choosing by title")

        chrome.find_element(By.ID, "save").send_keys(Keys.ENTER)
        _wait(chrome, lambda: "Saved to" in chrome.find_element(By.ID, "save-status").text, "saved")
        text = target.read_text(encoding="utf-8")
        assert "modules:\n    - mistakes-and-feelings\n    - commitments-in-action\n" in text
        assert "emphasis:\n    - mistakes-and-feelings\n" in text
        assert "leads: [privilege-and-power, listening-and-following, closing]" in text
        plan = _packets(studio, "plan", slug)
        assert plan.returncode == 0, plan.stderr
        assert re.search(r"Closing +Marie Desjarlais, Sam Whitford", plan.stdout), plan.stdout
    finally:
        target.unlink()
