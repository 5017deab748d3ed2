"""The French text of modules 01-05, the slides, the support lines and the resources.

Each overlay is laid on its English file by the loader's own Overlay (no other overlay is
needed, so this holds before the rest of the French curriculum exists): every text has its
French, in French typography, and the support lines say in French that they answer in French.
"""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from packets.load.overlay import Overlay
from packets.load.sources import read_yaml

FILES = [
    "modules/01-why-this-way.yaml",
    "modules/02-privilege-and-power.yaml",
    "modules/03-listening-and-following.yaml",
    "modules/04-doing-our-own-learning.yaml",
    "modules/05-mistakes-and-feelings.yaml",
    "slides.yaml",
    "support.yaml",
    "resources.yaml",
]


def _merged(relative: str) -> tuple[dict, list[str]]:
    english = read_yaml(ROOT / "content" / relative, trusted=True)
    french = read_yaml(ROOT / "content" / "fr" / relative, trusted=True)
    overlay = Overlay(english, french)
    merged = overlay.merged().data
    return merged, [f"{p.line}: {p.message} ({p.hint})" for p in overlay.problems]


def _texts(value: object, key: str = "") -> list[tuple[str, str]]:
    """Every printed text of a merged file, with its key (url, contact and chat are not prose)."""
    if isinstance(value, str):
        return [] if key in ("url", "contact", "chat", "id") else [(key, value)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v, key)]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(v, str(k))]
    return []


@pytest.mark.parametrize("relative", FILES)
def test_every_text_of_the_file_has_its_french(relative):
    _, problems = _merged(relative)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("relative", FILES)
def test_french_typography_in_the_overlay(relative):
    merged, _ = _merged(relative)
    bad = []
    for key, text in _texts(merged):
        if "'" in text or "\u201c" in text or "\u201d" in text:
            bad.append(f"{key}: straight apostrophe or English quotes: {text[:60]}")
        if re.search(r"«\S|\S»", text):
            bad.append(f"{key}: no space inside « »: {text[:60]}")
        if re.search(r"[^\s\d]:(\s|$)|\w[;?!]", text):
            bad.append(f"{key}: no space before : ; ? ! : {text[:60]}")
    assert bad == [], "\n".join(bad)


def test_say_aloud_is_plain_text():
    """A script read aloud is printed as written: markdown there would print its asterisks."""
    for relative in FILES[:5]:
        merged, _ = _merged(relative)
        assert "*" not in merged["say_aloud"], relative


def test_no_english_label_is_left_in_the_modules():
    words = {"workshop", "handout", "facilitator", "check-in", "allyship", "the", "and", "with"}
    found = []
    for relative in FILES[:5]:
        merged, _ = _merged(relative)
        for key, text in _texts(merged):
            found += [f"{relative} {key}: {w}" for w in re.findall(r"[A-Za-z-]+", text) if w.lower() in words]
    assert found == [], "\n".join(found)


def test_the_support_lines_are_named_in_french_and_say_they_answer_in_french():
    merged, _ = _merged("support.yaml")
    names = [line["name"] for line in merged["lines"]]
    assert names == [
        "Ligne d’écoute d’espoir pour le mieux-être",
        "Ligne d’écoute téléphonique d’urgence des pensionnats indiens",
        "9-8-8 : Ligne d’aide en cas de crise de suicide",
    ]
    hope, _, suicide = merged["lines"]
    assert "en français" in hope["note"] and "en français" in suicide["note"]
    assert hope["contact"] == "1-855-242-3310"  # numbers come from the English file
    assert merged["lines"][1]["contact"] == "1-866-925-4419"


def test_resources_use_the_french_titles_of_works_published_in_french():
    merged, _ = _merged("resources.yaml")
    titles = {r["id"]: r["title"] for r in merged["resources"]}
    assert titles["trc-calls-to-action"].endswith("Appels à l’action")
    assert titles["undrip"] == "Déclaration des Nations Unies sur les droits des peuples autochtones"
    assert titles["joyces-principle"] == "Principe de Joyce"
    assert "Association des médecins indigènes du Canada" in merged["attribution"]


def test_nation_names_keep_their_own_spelling():
    text = " ".join(t for relative in FILES for _, t in _texts(_merged(relative)[0]))
    assert "Miʼkmaw" in text  # U+02BC, as the Nation writes it
    assert "Kanien’kehá:ka" in text
    assert not re.search(r"\b(Micmac|Mohawk|Esquimaux)\b", text)
