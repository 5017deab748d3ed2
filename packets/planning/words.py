"""Numbers, clock times, lengths, dates and lists as an edition prints them.

Every printed word comes from the curriculum's data (content/interface.yaml and its French
overlay), so an edition in another language needs no code: "13:15" and "1 h 30 min" in
English, "13 h 15" and "1 h 30" in French are the same function with other phrasing. Only
the calendar (month and day names) comes from Babel, which knows them for every locale.

Planning and rendering both use these, so the run of show, the covers, the slides and
`packets plan` cannot print one time two ways.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from babel.dates import format_date
from babel.numbers import format_decimal

if TYPE_CHECKING:
    from ..load.curriculum import Curriculum
    from ..load.model import Interface

# The language code of an edition, and the regional locale it is printed for.
LOCALES = {"en": "en_CA", "fr": "fr_CA"}
HTML_LANGS = {"en": "en-CA", "fr": "fr-CA"}


def language_of(curriculum: Curriculum) -> str:
    """The edition's language ("en" or "fr"): the curriculum's own, or its meta's until it has one."""
    language = getattr(curriculum, "language", None) or curriculum.meta.language or "en"
    return str(language).split("-")[0].split("_")[0].lower()


def html_lang(language: str) -> str:
    """The `<html lang>` (and so the PDF's /Lang) of an edition: Canadian English or French."""
    return HTML_LANGS.get(language, language)


def fill_text(phrasing: str, **values: object) -> str:
    """Put plain values into {name} slots of our own phrasing; never evaluated as a template."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m[1], m[0])), phrasing)


def number_text(value: int, language: str = "en") -> str:
    """A whole number with the locale's thousands separator: "1,500"; "1 500" (a no-break space) in French."""
    return format_decimal(value, locale=LOCALES.get(language, "en_CA"))


def duration_text(minutes: int, words: Interface | None = None) -> str:
    """A length as people say it in print: "45 min", "2 h", "1 h 30 min" (in French "1 h 30")."""
    hours, rest = divmod(minutes, 60)
    if words is None:  # the English phrasing, for callers outside an edition (studio lists, errors)
        if minutes < 60:
            return f"{minutes} min"
        return f"{hours} h {rest:02d} min" if rest else f"{hours} h"
    if minutes < 60:
        return fill_text(words.duration_minutes, minutes=minutes)
    if not rest:
        return fill_text(words.duration_hours, hours=hours)
    return fill_text(words.duration_hours_minutes, hours=hours, minutes=f"{rest:02d}")


def clock_text(clock: str | None, words: Interface) -> str:
    """A clock time the plan keeps as "HH:MM", as the edition prints it ("13:15"; "13 h 15", "13 h")."""
    if not clock:
        return ""
    hours, minutes = (int(part) for part in clock.split(":"))
    phrasing = words.clock_on_hour if minutes == 0 else words.clock
    # The data says how a time reads; the one convention here: a 24-hour time written with a
    # colon has a two-digit hour ("09:30"), one written with a word ("9 h 30") does not.
    hour = f"{hours:02d}" if "{hour}:" in phrasing else str(hours)
    return fill_text(phrasing, hour=hour, minutes=f"{minutes:02d}")


def date_text(value: dt.date | None, language: str = "en") -> str:
    """A date in full: "Thursday, April 22, 2027"; "jeudi 22 avril 2027"."""
    return format_date(value, format="full", locale=LOCALES.get(language, "en_CA")) if value else ""


def join_words(items: list[str], words: Interface | None = None) -> str:
    """ "A", "A and B", "A, B and C", with the edition's word for "and"."""
    if len(items) <= 1:
        return "".join(items)
    conjunction = words.list_and if words is not None else "and"
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def group_word(groups: str | None, words: Interface) -> str:
    """How an activity's people gather ("pairs", "small groups"), in the edition's words: the
    curriculum names it with an identifier, the interface says it."""
    return str(getattr(words, "groups_" + groups.replace(" ", "_"))) if groups else ""


def count_text(n: int, one: str, many: str, language: str = "en") -> str:
    """ "1 activity", "3 activities": the phrasing for one or for more, with {n} filled."""
    singular = n < 2 if language == "fr" else n == 1  # French counts zero in the singular
    return fill_text(one if singular else many, n=number_text(n, language))
