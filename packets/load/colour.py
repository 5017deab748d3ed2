"""Contrast arithmetic (WCAG 2), so an organization's brand colour never makes a heading hard to read."""

from __future__ import annotations

# The pale panel behind facilitator notes and run-of-show rows. Accent-coloured labels sit on
# it, so the accent is checked against it as well as against the white page; the stylesheet
# takes its value from here (templates/base.html.j2), so the two cannot drift apart.
PANEL = "#f3f5f4"
WHITE = "#ffffff"


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def luminance(hex_colour: str) -> float:
    r, g, b = (_channel(c) for c in _rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def contrast_on_white(hex_colour: str) -> float:
    return contrast(hex_colour, WHITE)


def weakest_contrast(hex_colour: str) -> float:
    """Contrast on the background where the colour reads worst: the white page or the pale panel."""
    return min(contrast(hex_colour, WHITE), contrast(hex_colour, PANEL))


def darker_passing(hex_colour: str, target: float) -> str:
    """The same hue, darkened just enough to reach `target`: a suggestion people can accept as is."""
    r, g, b = _rgb(hex_colour)
    for step in range(101):
        f = 1 - step / 100
        candidate = f"#{int(r * f):02x}{int(g * f):02x}{int(b * f):02x}"
        if weakest_contrast(candidate) >= target + 0.05:
            return candidate
    return "#000000"
