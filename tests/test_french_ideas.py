"""Every idea of the source, read back from the French guide and handout of a short and a long session.

The French carries the source's ideas through the same ids as the English (content/source-map.yaml):
for each idea, the French text of a principle or essential that teaches it must be printed, in
French, in both documents. The same helper, run on the English packets, proves it finds them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, ROOT, comparable, idea_carriers, ideas_missing, pdf_text, run

from packets.load.curriculum import Project, load_curriculum, overlay_files

ENGLISH = load_curriculum(Project(ROOT))
FRENCH_ORG = FIXTURES / "editions" / "french.yaml"


def test_the_helper_finds_every_idea_in_the_english_packets(sessions):
    carriers = idea_carriers(ENGLISH)
    assert len(carriers) == len(ENGLISH.source_map.ideas) > 0
    assert all(carriers.values()), "an idea with no principle or essential could be dropped from a short session"
    for slug, documents in sessions.items():
        for audience, path in documents.items():
            reading = pdf_text(path)
            assert ideas_missing(ENGLISH, reading) == [], f"{slug} {audience}"
    # ...and that it can fail: with one idea's carriers taken out of a reading, that idea is missing.
    lines, texts = next(iter(carriers.items()))
    reading = comparable(pdf_text(sessions["short-morning"]["participant"]))
    for text in texts:
        reading = reading.replace(" ".join(comparable(text).split()[:12]), "")
    assert ideas_missing(ENGLISH, reading) == [lines]


def test_comparable_reads_french_typesetting_as_written():
    written = "Qui décide ? C’est « eux », pas nous : la compétence-clé."
    typeset = "Qui dé-\ncide\u202f? C'est «\u00a0eux\u00a0», pas nous\u00a0: la compé- tence-clé."
    assert comparable(typeset) == comparable(written)


def _french_org(folder: Path, slug: str, minutes: int) -> Path:
    data = yaml.safe_load(FRENCH_ORG.read_text(encoding="utf-8"))
    data["land_acknowledgement"]["territory"] = "Miʼgmaʼgi, territoire ancestral et non cédé des Miʼgmaq"
    data["workshop"].update({"minutes": minutes, "date": "2027-04-22", "start": "13:00"})
    path = folder / f"{slug}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_every_idea_reads_back_in_the_french_guide_and_handout(tmp_path):
    project = Project(ROOT)
    if not overlay_files(project, "fr"):
        pytest.skip("content/fr/ has no French overlay files yet")
    french = load_curriculum(project, "fr")
    english_carriers = idea_carriers(ENGLISH)
    for lines, texts in idea_carriers(french).items():
        same = [t for t, e in zip(texts, english_carriers[lines], strict=True) if comparable(t) == comparable(e)]
        assert not same, f"the French carriers of the idea at source lines {lines} are still English: {same}"
    orgs = [_french_org(tmp_path, f"peninsule-{m}", m) for m in (60, 150)]
    out = tmp_path / "out"
    result = run("build", *map(str, orgs), "--out", str(out), "--jobs", "2")
    assert result.exit_code == 0, result.output
    for org in orgs:
        slug = org.stem
        for document in ("facilitator-guide", "participant-handout"):
            path = out / slug / f"{slug}-{document}-fr.pdf"
            assert path.is_file(), sorted(p.name for p in (out / slug).glob("*"))
            reading = pdf_text(path)
            missing = ideas_missing(french, reading)
            assert missing == [], f"{path.name}: no French text teaches the ideas at source lines {missing}"
