"""Links say in words where they go.

PDF/UA asks every link annotation for a description in `/Contents`, and screen readers
announce it. WeasyPrint fills it with the link's target, so the contents page of a guide
read "how-to-use", "why-this-way", "closing". This puts the link's own text there
instead ("How to use this guide"), taken from the HTML element, so a link broken over two
lines is described whole and the page number drawn after it is left out.
"""

from __future__ import annotations

from typing import Any

import pydyf


def describe_links(document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: each link annotation's /Contents becomes the link's text."""
    for page in document.pages:
        for _kind, _target, _rectangle, box in page.links:
            annotation = getattr(box, "link_annotation", None)
            element = getattr(box, "element", None)
            if annotation is None or element is None:
                continue
            text = " ".join("".join(element.itertext()).split())
            if text:
                annotation["Contents"] = pydyf.String(text)
