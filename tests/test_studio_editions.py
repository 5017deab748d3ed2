"""The studio for a French or bilingual organization: the documents' language chosen on the page,
each text in English and French side by side, the preview and the downloads of every edition."""

from __future__ import annotations

import yaml
from conftest import flat, pdfium_text

# The studio and the browser are test_studio.py's fixtures (one server for this file, one browser).
from test_studio import _field, _no_axe_violations, _packets, _type, _wait, chrome, studio  # noqa: F401

from packets.studio.form import all_paths, form_spec


def test_the_form_has_one_language_choice_and_texts_side_by_side():
    spec = form_spec()
    fields = {f["path"]: f for g in spec for f in g["fields"]}
    edition = fields["language"]
    assert edition["kind"] == "edition" and [c[0] for c in edition["choices"]] == ["en", "fr", "both"]
    assert "languages" not in fields and {"language", "languages"} <= all_paths(spec)
    assert fields["name"]["kind"] == "languages" and fields["name"]["languages"] == ["en", "fr"]
    assert fields["land_acknowledgement.statement"]["text_kind"] == "prose"
    nation = fields["land_acknowledgement.nations"]["item"]["fields"]
    assert "French name" in [f["label"] for f in nation]


def test_creating_a_bilingual_organization_writes_both_editions(studio):
    status, created = studio.json("POST", "/api/orgs", {"name": "Moncton Health Circle", "language": "both"})
    assert status == 201, created
    target = studio.root / "content/orgs/moncton-health-circle.yaml"
    try:
        assert yaml.safe_load(target.read_text(encoding="utf-8"))["languages"] == ["en", "fr"]
        status, refused = studio.json("POST", "/api/orgs", {"name": "Other Circle", "language": "de"})
        assert status == 400 and "English, French or both" in refused["error"]
    finally:
        target.unlink()


def test_a_bilingual_organization_is_written_built_and_downloaded_in_both_languages(studio, chrome):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    status, created = studio.json("POST", "/api/orgs", {"name": "Saint John Health Circle"})
    assert status == 201, created
    slug = created["slug"]
    target = studio.root / "content/orgs" / f"{slug}.yaml"
    base = f"http://{studio.host}:{studio.port}{studio.prefix}"
    try:
        chrome.get(studio.url)
        chrome.get(f"{base}/orgs/{slug}")
        _wait(chrome, lambda: _field(chrome, "name").get_attribute("value"), "the form")
        # English only: one box for the name, no French beside it.
        assert not _field(chrome, "name.fr").is_displayed()
        Select(_field(chrome, "language")).select_by_value("both")
        _wait(chrome, lambda: _field(chrome, "name.fr").is_displayed(), "the French beside the English")
        _type(_field(chrome, "name.fr"), "Cercle de santé de Saint John")
        _type(_field(chrome, "land_acknowledgement.statement"), "We meet on the unceded land of the Wəlastəkwiyik.")
        _type(
            _field(chrome, "land_acknowledgement.statement.fr"),
            "Nous nous réunissons sur le territoire non cédé des Wəlastəkwiyik.",
        )
        chrome.find_element(By.XPATH, "//button[text()='Add Nation']").send_keys(Keys.ENTER)
        _type(_field(chrome, "land_acknowledgement.nations[0].name"), "Wəlastəkwiyik")
        _type(_field(chrome, "land_acknowledgement.nations[0].english_name"), "Wolastoqiyik (Maliseet)")
        _type(_field(chrome, "land_acknowledgement.nations[0].french_name"), "Wolastoqiyik (Malécites)")
        _wait(chrome, lambda: len(chrome.find_elements(By.CSS_SELECTOR, "#preview-pages img.page")) >= 4, "preview")
        alts = [img.get_attribute("alt") for img in chrome.find_elements(By.CSS_SELECTOR, "#preview-pages img.page")]
        assert any("French edition" in alt for alt in alts) and any("English edition" in alt for alt in alts)
        _no_axe_violations(chrome, "edit, both languages")

        chrome.find_element(By.ID, "save").send_keys(Keys.ENTER)
        _wait(chrome, lambda: "Saved to" in chrome.find_element(By.ID, "save-status").text, "saved")
        data = yaml.safe_load(target.read_text(encoding="utf-8"))
        assert data["languages"] == ["en", "fr"]
        assert data["name"] == {"en": "Saint John Health Circle", "fr": "Cercle de santé de Saint John"}
        assert data["land_acknowledgement"]["statement"]["fr"].startswith("Nous nous réunissons")
        assert data["land_acknowledgement"]["nations"][0]["french_name"] == "Wolastoqiyik (Malécites)"
        checked = _packets(studio, "check", slug)
        assert checked.returncode == 0, checked.stdout + checked.stderr

        chrome.find_element(By.ID, "build-participant").click()  # the guide alone: quicker
        chrome.find_element(By.ID, "build-start").send_keys(Keys.ENTER)
        _wait(chrome, lambda: chrome.find_element(By.ID, "build-step").text.startswith("Built:"), "built", timeout=600)
        french = f"{slug}-facilitator-guide-fr.pdf"
        listed = chrome.find_element(By.ID, "build-files").text
        assert f"{slug}-facilitator-guide.pdf" in listed and french in listed and "French" in listed
        chrome.find_element(By.LINK_TEXT, french).click()
        downloaded = chrome.downloads / french
        _wait(chrome, downloaded.is_file, "download")
        text = flat(pdfium_text(downloaded))
        assert "Cercle de santé de Saint John" in text and "Wəlastəkwiyik" in text
        assert "Saint John Health Circle" not in text
    finally:
        target.unlink(missing_ok=True)
