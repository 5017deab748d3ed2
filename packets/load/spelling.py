"""Which known word a typo meant: keys, formats, modules, organizations.

Kept apart from validation (and free of heavy imports) so that `packets build` with a
misspelt organization answers at once.
"""

from __future__ import annotations

from collections.abc import Iterable


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, change, swap two neighbours) between two words: optimal string alignment."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def _fold(word: str) -> str:
    return word.casefold().replace("_", "-").replace(" ", "-")


def close_match(word: str, choices: Iterable[str]) -> str | None:
    """The choice a typo most likely meant, or None when none is close.

    Close means a few edits for the word's length (one per four letters, at least one),
    or the word being the start or a whole word of exactly one choice. Similarity ratios were too
    generous: `duration` scored close to `location` though they share only "-ation".
    """
    folded = _fold(word)
    if not folded:
        return None
    best: tuple[int, str] | None = None
    for choice in choices:
        d = _distance(folded, _fold(choice))
        if d <= max(1, len(folded) // 4) and (best is None or d < best[0]):
            best = (d, choice)
    if best:
        return best[1]
    # A key given without its first or last word: `colour` for `accent_colour`, `review` for `reviewed_by`.
    parts = [c for c in choices if len(folded) >= 3 and (_fold(c).startswith(folded) or folded in _fold(c).split("-"))]
    return parts[0] if len(parts) == 1 else None
