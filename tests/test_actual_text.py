"""The /ActualText spans that make names with combining marks copy out as written."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import ROOT, nfc, pdftotext
from PIL import ImageChops
from pypdf import PdfReader
from weasyprint import HTML

from packets.render.actual_text import _rewrite, _tokens, mark_words_with_marks
from packets.render.pdf import Renderer

WORDS = "səl̓ilw̓ətaʔɬ and xʷməθkʷəy̓əm, k̓ʷ t̓ ƛ̓ plain Sḵwx̱wú7mesh"
HTML_TEXT = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
    f"<body><h1>{WORDS}</h1><p>{WORDS}</p><p><strong>səl̓ilw̓ətaʔɬ</strong> ᓀᐦᐃᔭᐤ</p></body></html>"
)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(ROOT / "templates", (ROOT / "templates",))


def _write(renderer: Renderer, path: Path, finisher, html: str = HTML_TEXT) -> Path:
    document = HTML(string=html).render(stylesheets=renderer.sheets, font_config=renderer.fonts, pdf_tags=True)
    path.write_bytes(document.write_pdf(pdf_variant="pdf/ua-1", finisher=finisher))
    return path


def _actual_texts(path: Path) -> list[str]:
    data = b"".join(page.get_contents().get_data() for page in PdfReader(str(path)).pages)
    return [bytes.fromhex(h.decode()).decode("utf-16") for h in re.findall(rb"/ActualText <([0-9A-F]+)>", data)]


def test_words_with_marks_get_a_span_and_plain_words_do_not(renderer, tmp_path):
    spans = _actual_texts(_write(renderer, tmp_path / "marked.pdf", mark_words_with_marks))
    expected_once = ["səl̓ilw̓ətaʔɬ", "xʷməθkʷəy̓əm,", "k̓ʷ", "t̓", "ƛ̓", "Sḵwx̱wú7mesh"]
    assert sorted(nfc(s) for s in spans) == sorted(expected_once * 2 + ["səl̓ilw̓ətaʔɬ"])


def test_a_document_without_marks_is_left_as_it_is(renderer, tmp_path):
    html = HTML_TEXT.replace(WORDS, "Wendat and Haudenosaunee").replace("səl̓ilw̓ətaʔɬ", "Plain")
    plain = _write(renderer, tmp_path / "plain.pdf", None, html).read_bytes()
    marked = _write(renderer, tmp_path / "marked.pdf", mark_words_with_marks, html).read_bytes()
    assert b"ActualText" not in marked and len(plain) == len(marked)


def test_the_spans_change_nothing_on_the_page(renderer, tmp_path):
    plain = pdfium.PdfDocument(str(_write(renderer, tmp_path / "plain.pdf", None)))
    marked = pdfium.PdfDocument(str(_write(renderer, tmp_path / "marked.pdf", mark_words_with_marks)))
    assert len(plain) == len(marked)
    for a, b in zip(plain, marked, strict=True):
        before, after = a.render(scale=3).to_pil().convert("L"), b.render(scale=3).to_pil().convert("L")
        # Splitting a TJ array can move a glyph edge by a rounding error (a grey level or two).
        assert ImageChops.difference(before, after).getextrema()[1] <= 8


def test_without_the_spans_poppler_splits_the_name(renderer, tmp_path):
    """The reason the spans exist; if a new poppler or Andika fixes this, the spans can go."""
    assert "səl̓ilw̓ətaʔɬ" not in pdftotext(_write(renderer, tmp_path / "plain.pdf", None))
    marked = pdftotext(_write(renderer, tmp_path / "marked.pdf", mark_words_with_marks))
    assert marked.count("səl̓ilw̓ətaʔɬ") == 3 and "xʷməθkʷəy̓əm" in marked and "ᓀᐦᐃᔭᐤ" in marked


class _Font:
    def __init__(self, hash_: str, to_unicode: dict[int, str]):
        self.hash, self.to_unicode, self.bitmap = hash_, to_unicode, False


def test_a_raised_mark_is_wrapped_with_its_whole_word_and_glyphs_keep_their_places():
    font = _Font("F1", {1: "s", 2: "l", 3: "\u0313", 4: "i", 5: " ", 6: "x"})
    items = [
        b"BT",
        b"/F1 16 Tf",
        b"[<00010002>0] TJ",
        b"4.28 Ts",
        b"[-145.0<0003>] TJ",
        b"0 Ts",
        b"[<>145<0004>0<00050006>] TJ",
        b"ET",
    ]
    out = _rewrite(items, {"F1": font})
    assert out is not None
    begin, end = out.index(b"/Span <</ActualText <FEFF0073006C03130069>>> BDC"), out.index(b"EMC")
    assert out[:2] == [b"BT", b"/F1 16 Tf"] and out[-1] == b"ET"
    assert b"4.28 Ts" in out[begin:end] and b"0 Ts" in out[begin:end]
    # The same glyphs and moves in the same order: splitting TJ arrays moves nothing.
    assert _flatten(out) == _flatten(items)


def test_moves_next_to_each_other_stay_two_numbers():
    font = _Font("F1", {1: "w", 2: "\u0313", 3: "a"})
    out = _rewrite([b"/F1 9 Tf", b"[<0001>0 102.5<0002>-102<0003>] TJ"], {"F1": font})
    assert out is not None and b"[<0001>0 102.5<0002>-102<0003>] TJ" in out


@pytest.mark.parametrize(
    "items",
    [
        [b"/F1 9 Tf", b"[<00010003>] TJ"],  # no mark
        [b"/F1 9 Tf", b"[<00010002>] TJ", b"[<0009>] TJ"],  # a glyph we cannot spell
        [b"[<00010002>] TJ"],  # no font chosen
        [b"/F1 9 Tf", b"[<000100020>] TJ"],  # not whole glyph ids
    ],
)
def test_streams_it_cannot_read_or_need_not_touch_are_left_alone(items):
    assert _rewrite(items, {"F1": _Font("F1", {1: "l", 2: "\u0313", 3: "a"})}) is None


def _flatten(items: list[bytes]) -> list[object]:
    tokens: list[object] = []
    for item in items:
        if item.endswith(b" TJ"):
            tokens += _tokens(item, 4) or []
        elif item.endswith(b" Ts"):
            tokens.append(item)
    return tokens
