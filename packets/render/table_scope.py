"""Table header cells say what they head: /Scope on every /TH of the structure tree.

PDF/UA asks that a table's header cells be tied to its data cells, by /Scope on the
header cells or by /Headers on the data cells. WeasyPrint 70's tagger gives each data
cell its /Headers, but a checker that looks at the header cells (`pdfua check`) finds
none with a /Scope and reports the run of show as a table whose structure cannot be
determined. This adds the /Scope the template's `<th scope="...">` meant.

WeasyPrint does not write the HTML `scope` itself; it uses it to decide which data cells
a header heads: a row header is listed by the data cells of its own row, a column header
by those of its column, in other rows. So the scope is read back from that: a header
listed by a data cell of its own row heads a row, else a column. A header no data cell
lists (an empty column) heads a row when its row holds data cells, else its column, as
HTML's own rule for a `<th>` without `scope` says.

This runs as WeasyPrint's `finisher`, on the structure elements before they are written.
"""

from __future__ import annotations

from typing import Any

import pydyf


def _name(value: Any) -> str:
    return str(value).lstrip("/")


def _text(value: Any) -> str:
    return value.string if isinstance(value, pydyf.String) else str(value)


def scope_header_cells(document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: every /TH structure element gets /Scope /Row or /Column in its attributes."""
    elements = [
        obj for obj in pdf.objects if isinstance(obj, pydyf.Dictionary) and _name(obj.get("Type")) == "StructElem"
    ]
    by_reference = {obj.reference: obj for obj in elements}
    listed = {key for cell in elements if _name(cell.get("S")) == "TD" for key in _headers_of(cell)}
    for row in elements:
        if _name(row.get("S")) != "TR":
            continue
        cells = [by_reference[kid] for kid in row.get("K", ()) if isinstance(kid, bytes) and kid in by_reference]
        headers = [cell for cell in cells if _name(cell.get("S")) == "TH"]
        if not headers:
            continue
        data = [cell for cell in cells if _name(cell.get("S")) == "TD"]
        listed_here = {key for cell in data for key in _headers_of(cell)}
        for header in headers:
            key = header.get("ID")
            if key is not None and _text(key) in listed_here:
                scope = "Row"
            elif key is not None and _text(key) in listed:
                scope = "Column"
            else:
                scope = "Row" if data else "Column"
            attributes = header.get("A")
            if not isinstance(attributes, pydyf.Dictionary):
                attributes = header["A"] = pydyf.Dictionary({"O": "/Table"})
            attributes["Scope"] = f"/{scope}"


def _headers_of(cell: Any) -> list[str]:
    attributes = cell.get("A")
    if not isinstance(attributes, pydyf.Dictionary):
        return []
    return [_text(key) for key in attributes.get("Headers", ())]
