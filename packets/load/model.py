"""The contract: what a curriculum file and an organization file may contain.

These models are the single source for validation, the JSON Schema editors use
(`packets schema`) and the org-file reference in docs/organization-file.md, so the three never drift.
Every model forbids unknown keys: a misspelt key is the commonest mistake, and
silently ignoring it would print a packet without the thing the person meant to add.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from ..languages import DEFAULT_LANGUAGE, LANGUAGES
from .colour import PANEL, darker_passing, weakest_contrast

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=80)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]
Prose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=6000)]
Minutes = Annotated[int, Field(ge=0, le=600)]

MIN_ACCENT_CONTRAST = 4.5


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- curriculum


class Principle(Strict):
    id: Id
    name: Line
    explanation: Prose


class DiscussionQuestion(Strict):
    id: Id
    question: Line
    scenario: Prose | None = None
    # Core questions are discussed in every session that runs the module; the others only
    # when the plan has time for them (at least `Timing.question` minutes each).
    core: bool = False
    prompts: list[Line] = []
    listen_for: list[Line] = []
    # What would show the discussion going wrong, and how to respond (facilitator only).
    warning_signs: list[Line] = []
    note: Prose | None = None


class Activity(Strict):
    id: Id
    name: Line
    minutes: Minutes
    # A core activity is the heart of its module and runs whenever the module runs.
    core: bool = False
    # How people work: moving into pairs, threes or small groups and back takes time of its
    # own (`Timing.regroup`), which the planner adds to the activity's minutes.
    groups: Literal["pairs", "threes", "small groups"] | None = None
    materials: list[Line] = []
    instructions: list[Line] = Field(min_length=1)
    # The steps as projected, in the participants' own voice ("Write five things..."), never
    # giving away what the activity is meant to show; without them the slide names the
    # activity and its length, and the facilitator explains it aloud.
    slide_steps: list[Line] = Field([], max_length=6)
    facilitator_notes: Prose | None = None
    # Cards the activity hands out: printed in the guide's appendix, one to a box, to cut.
    cards: list[Line] = []
    # What participants write during the activity: a prompt and writing lines in the handout.
    worksheet: Line | None = None
    worksheet_lines: Annotated[int, Field(ge=1, le=12)] = 5


class FacilitatorNote(Strict):
    id: Id
    title: Line
    body: Prose


class Module(Strict):
    id: Id
    title: Line
    summary: Prose
    # The least time the module can run in (its introduction, core questions and core
    # activities) and the time it needs to run everything; the curriculum loader checks
    # both against the content, and the planner never goes below the minimum.
    minimum_minutes: Minutes
    ideal_minutes: Minutes
    say_aloud: Prose | None = None
    objectives: list[Line] = Field(min_length=1)
    key_points: list[Line] = []
    # What the module's slide projects, chosen on purpose for a room that may include
    # Indigenous participants: each point keeps its cause (resentment with "not personal"),
    # so the slide is not cut from key_points, where the first two could drop it.
    slide_points: list[Line] = Field(min_length=1, max_length=5)
    principles: list[Principle] = []
    discussion_questions: list[DiscussionQuestion] = []
    activities: list[Activity] = []
    facilitator_notes: list[FacilitatorNote] = []


class WorkshopFormat(Strict):
    """A named preset: a length and a choice of modules. The planner does the timing."""

    id: Id
    name: Line
    minutes: Minutes
    description: Prose
    modules: list[Id] | None = None  # None: every module, in curriculum order
    emphasis: list[Id] = []


class SegmentTiming(Strict):
    minimum: Minutes
    ideal: Minutes


class Timing(Strict):
    """The rules the planner follows, kept as data so a curriculum editor can read them."""

    opening: SegmentTiming
    closing: SegmentTiming
    # Long sessions need a longer opening and closing: from `long_session` minutes on,
    # these replace the two above.
    long_session: Minutes
    opening_long: SegmentTiming
    closing_long: SegmentTiming
    knowledge_keeper_opening: SegmentTiming
    knowledge_keeper_closing: SegmentTiming
    break_minutes: Minutes
    question: Minutes  # least time for one discussed question
    module_introduction: Minutes  # least time to introduce a module (summary, key points)
    stretch: Annotated[float, Field(ge=1.0, le=4.0)]  # a module may run up to stretch x its ideal
    break_after: Minutes  # automatic breaks: one in sessions longer than this
    second_break_after: Minutes  # and two in sessions longer than this
    break_margin: Minutes  # no break in the first or last this many minutes
    # A short pause (stretch, water, step out) in a session with no break: always from
    # `pause_from` minutes on, and from `pause_if_fits_from` where the modules leave room.
    pause_minutes: Minutes
    pause_from: Minutes
    pause_if_fits_from: Minutes
    regroup: Minutes  # moving into pairs or groups and back, added to such an activity
    # A room of 15 to 25 people needs time per question: at most one discussion question
    # for every this many minutes of session (core questions always run).
    minutes_per_question: Annotated[int, Field(ge=1, le=60)]


class Wording(Strict):
    """The sentences the plan prints about itself; {slots} are filled from the plan."""

    opening: Line
    closing: Line
    break_row: Line
    pause_row: Line
    pause: Line  # "a {minutes}-minute pause", in the sentence that describes the plan
    regroup: Line  # "{minutes} min to move into {groups} and back", beside an activity's time
    knowledge_keeper: Line  # who, when the organization gives no name yet
    knowledge_keeper_opening: Line
    knowledge_keeper_closing: Line
    runs_all: Line
    runs_some: Line
    no_break: Line
    chosen_by: Line
    emphasis: Line
    reading: Line
    skipped_activities: Line
    session_length: Line
    core_question: Line
    optional_question: Line
    not_planned_question: Line
    reading_heading: Line
    reading_intro: Line
    reading_intro_guide: Line


def activity_minutes(activity: Activity, timing: Timing) -> int:
    """An activity's minutes in the room: its own, plus moving into pairs or groups and back."""
    return activity.minutes + (timing.regroup if activity.groups else 0)


class Formats(Strict):
    formats: list[WorkshopFormat] = Field(min_length=1)
    wording: Wording
    # The order in which modules are chosen when a session gives only its length.
    priority: list[Id] = Field(min_length=1)
    timing: Timing


class ChecklistItem(Strict):
    id: Id
    text: Line


class Script(Strict):
    say_aloud: Prose
    notes: Prose | None = None


class Practice(Strict):
    id: Id
    title: Line
    body: Prose


class Essential(Strict):
    id: Id
    text: Line


class Farewells(Strict):
    """The closing's last sentence, chosen by the clock time the session ends."""

    morning: Line
    afternoon: Line
    evening: Line
    any_time: Line  # when the plan has no clock time


class Facilitation(Strict):
    how_to_use: Prose
    # Who should lead the session (never an Indigenous colleague as unpaid extra work).
    who_facilitates: Prose
    preparation: list[ChecklistItem]
    ground_rules: list[Line]
    content_notice: Script
    # The guidance's hard edges, said aloud in every session however short.
    essentials_intro: Prose
    essentials: list[Essential] = Field(min_length=1)
    opening: Script
    # The facilitators' own introduction: who they are and where they stand.
    introductions: Prose
    indigenous_participants: Script
    safety: list[Practice] = Field(min_length=1)
    # Moments that happen whatever modules run: printed in every guide's safety pages.
    difficult_moments: list[Practice] = Field(min_length=1)
    knowledge_keeper: list[Practice] = Field(min_length=1)
    closing: Script
    farewells: Farewells
    facilitator_practice: list[Practice]


class Stem(Strict):
    id: Id
    text: Line


class CommitmentWorksheet(Strict):
    intro: Prose
    stems: list[Stem] = Field(min_length=1)
    follow_up: Prose | None = None


class Handout(Strict):
    # The short notice on the handout's first pages, beside the ground rules and supports.
    content_notice: Prose
    welcome: Prose
    purpose: Prose
    commitments: CommitmentWorksheet
    notes_intro: Line


class GuidanceSection(Strict):
    id: Id
    title: Line
    body: Prose


class DraftStatement(Strict):
    opening: Line
    territory: Line  # for what the land is: "unceded", "Treaty 6 territory"
    # For a territory written as a place ("the lands of many Nations"): "This land is the
    # lands of..." would not be a sentence.
    territory_place: Line
    commitments_intro: Line
    closing: Line


class AcknowledgementGuide(Strict):
    sections: list[GuidanceSection]
    participant_summary: Prose
    delivery_tips: list[Line]
    draft_statement: DraftStatement


class Resource(Strict):
    id: Id
    title: Line
    edition: Line | None = None
    publisher: Line | None = None
    year: int | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$")] | None = None
    note: Prose | None = None


class Resources(Strict):
    resources: list[Resource]
    ally_resources_note: Prose
    attribution: Prose


class SourceIdea(Strict):
    lines: list[Annotated[int, Field(ge=1)]] = Field(min_length=1)
    idea: Line
    taught_by: list[Id] = Field(min_length=1)


class SourceMap(Strict):
    ideas: list[SourceIdea]


class Interface(Strict):
    """Every word a document prints that is not the curriculum's or the organization's own:
    headings, labels, table heads, the planner's phrasing, clock and length patterns. Kept as
    data (content/interface.yaml and its French overlay) so an edition in another language is
    a file, not code, and no template or module holds a printed literal."""

    cover_credit: Line
    legend_say_aloud: Line
    legend_facilitator_note: Line
    custom_selection: Line
    draft_notice: Prose
    draft_mark: Line  # the participant handout's note above a composed statement
    draft_mark_short: Line  # the same, above a composed statement's slides
    no_acknowledgement: Prose
    not_reviewed: Line
    practise_names: Line
    no_pronunciation: Line
    no_names: Line
    opening_acknowledgement: Line  # the opening's pointer to the acknowledgement pages
    territory_label: Line
    english_name_label: Line
    french_name_label: Line
    cards_heading: Line
    cards_intro: Line
    cards_for: Line  # "{activity}, module {number}"
    cards_pointer: Line  # the preparation checklist's pointer to the cards, when there are any
    # Every other printed word around the curriculum (content/interface.yaml explains each).
    doc_facilitator: Line
    doc_participant: Line
    doc_slides: Line
    large_print: Line
    pdf_title: Line
    large_print_title: Line
    meta_description: Line
    meta_description_slides: Line
    meta_keywords: Line
    meta_keyword_facilitator: Line
    meta_keyword_participant: Line
    meta_keyword_slides: Line
    page_word: Line
    page_of: Line
    made_with: Line
    set_in: Line
    list_and: Line
    cover_date: Line
    cover_time: Line
    cover_place: Line
    cover_length: Line
    cover_opening: Line
    cover_closing: Line
    cover_facilitators: Line
    clock_range: Line
    length_with_breaks: Line
    my_name: Line
    volume_of: Line
    volume_note: Line
    volume_back: Line
    how_to_use: Line
    preparation: Line
    checklist: Line
    who_leads: Line
    run_of_show: Line
    safety: Line
    indigenous_present: Line
    difficult_moments_any: Line
    difficult_moments: Line
    support: Line
    local_supports: Line
    knowledge_keeper: Line
    land_acknowledgement: Line
    delivering: Line
    about_acknowledgements: Line
    opening_session: Line
    closing_session: Line
    not_run: Line
    own_practice: Line
    further_reading: Line
    references: Line
    attribution: Line
    contents: Line
    before_we_begin: Line
    ground_rules: Line
    welcome: Line
    workshop_for: Line
    will_cover: Line
    guidance_asks: Line
    principles_plain: Line
    my_commitments: Line
    notes: Line
    opening_welcome: Line
    opening_notice: Line
    opening_who_for: Line
    say_aloud: Line
    say_aloud_always: Line
    facilitator_note: Line
    introduce_yourselves: Line
    draft_label: Line
    no_acknowledgement_label: Line
    provenance: Line
    reviewed_by: Line
    reviewed_on: Line
    based_on: Line
    saying_names: Line
    nations: Line
    places: Line
    say_name: Line
    say_name_after: Line
    online_chat: Line
    module_number: Line
    module_head: Line
    objectives: Line
    key_points: Line
    principles: Line
    discussion_questions: Line
    more_to_think: Line
    scenario: Line
    prompts: Line
    listen_for: Line
    warning_signs: Line
    activity: Line
    materials: Line
    minutes_short: Line
    skipped_for_time: Line
    skipped_activity: Line
    space_to_write: Line
    reading_in_handout: Line
    col_time: Line
    col_minutes: Line
    col_minutes_short: Line
    col_segment: Line
    col_materials: Line
    col_leads: Line
    total: Line
    module_row: Line
    break_from: Line
    breaks_from: Line
    break_after: Line
    breaks_after: Line
    count_activity: Line
    count_activities: Line
    count_question: Line
    count_questions: Line
    count_break: Line
    count_breaks: Line
    groups_pairs: Line
    groups_threes: Line
    groups_small_groups: Line
    back_at: Line
    or_online_chat: Line
    online_chat_at: Line
    more_people: Line
    name_english: Line
    duration_minutes: Line
    duration_hours: Line
    duration_hours_minutes: Line
    clock: Line
    clock_on_hour: Line
    booklet_title: Line
    booklet_volumes: Line


class SupportLine(Strict):
    name: Line
    contact: Line
    note: Prose | None = None
    # The web address of an online chat the line also offers, printed beside its number.
    chat: Line | None = None


class Support(Strict):
    intro: Prose
    lines: list[SupportLine] = Field(min_length=1)
    employee_assistance: Prose


class GivenName(Strict):
    """Names given to a Nation by others, which it has replaced with its own (`content/nation-names.yaml`)."""

    given: list[Line] = Field(min_length=1)
    own: Line
    source: Line  # where a reviewer can read it


class OwnName(Strict):
    """Names a people uses for itself, in English too: never warned about."""

    names: list[Line] = Field(min_length=1)
    source: Line


class NationNames(Strict):
    """What `check` knows about names of Nations, kept as data with its sources."""

    given_by_others: list[GivenName]
    english: list[Line]  # English names that may stand where a Nation's own name belongs
    own: list[OwnName]


class SlideList(Strict):
    """One slide of the opening or the closing: a title and its key lines (the whole script stays in the guide)."""

    title: Line
    points: list[Line] = []


class Deck(Strict):
    """What the projected slides show of the opening and the closing (content/slides.yaml).

    Scripts are read aloud in full from the guide; a slide shows only the lines a room
    needs to see, short enough to read from the back (at most 60 words a slide).
    """

    content_notice: SlideList
    support_heading: Line  # above the support numbers on the content notice slide
    who_for: SlideList
    acknowledgement_title: Line
    actions_title: Line  # above the organization's commitments, after its statement
    # The commitments' lead-in on their slide. Without the organization's name (the title slide
    # gives it), it takes a line or two whatever the name, so it always stays with its list.
    actions_intro: Line
    # Each essential's line on the slide, by the essential's id; one without prints in full.
    essentials: dict[Id, Line]
    essentials_title: Line
    ground_rules: SlideList
    commitments_title: Line
    closing: SlideList
    credit: SlideList
    support: SlideList  # the last slide: every support, the curriculum's and the organization's
    employee_assistance: Line  # the support slide's line for the employer's program


class Meta(Strict):
    version: Line
    published: dt.date
    default_title: Line
    language: Line = "en"


# ---------------------------------------------------------------- organizations

OrgText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
OrgProse = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Language = Literal[LANGUAGES]  # "en" | "fr", from the one list in languages.py


class ByLanguage(Strict):
    """One text written in each language the organization's packets are printed in."""

    @model_validator(mode="after")
    def _one_at_least(self) -> ByLanguage:
        if all(getattr(self, code) is None for code in LANGUAGES):
            raise ValueError("give the text in at least one language, e.g. en: ... and fr: ...")
        return self

    def text(self, language: str) -> str:
        """The text in `language`, or in the other language when only that one is given."""
        given = getattr(self, language, None)
        if given is not None:
            return given
        return next(getattr(self, code) for code in LANGUAGES if getattr(self, code) is not None)

    def lacks(self, language: str) -> bool:
        return getattr(self, language, None) is None


class TextByLanguage(ByLanguage):
    en: OrgText | None = Field(None, description="The text in English.")
    fr: OrgText | None = Field(None, description="The text in French.")


class ProseByLanguage(ByLanguage):
    en: OrgProse | None = Field(None, description="The text in English.")
    fr: OrgProse | None = Field(None, description="The text in French.")


# An organization's text: one string for every edition, or `{en: ..., fr: ...}` when the
# French and English editions print it differently. Names of Nations, places and people
# are never per language: they print as their owners write them.
Text = OrgText | TextByLanguage
ProseText = OrgProse | ProseByLanguage


LEAD_SEGMENTS = ("opening", "closing", "break")


class Facilitator(Strict):
    name: OrgText = Field(description="The facilitator's name as it should print.")
    role: Text | None = Field(None, description="Role or title, e.g. 'Health equity lead'.")
    contact: OrgText | None = Field(None, description="Email or phone, printed in the facilitator guide only.")
    leads: list[Id] = Field(
        [],
        description="What this person leads: module ids, opening, closing or break (shown in the run of show).",
    )


class KnowledgeKeeper(Strict):
    name: OrgText | None = Field(None, description="Name as they wish it printed; leave out until they agree.")
    opening: bool = Field(True, description="They open the session (its own segment, never squeezed).")
    closing: bool = Field(False, description="They close the session.")


class Workshop(Strict):
    title: Text | None = Field(None, description="Workshop title on the covers; a default is used when absent.")
    date: dt.date | None = Field(None, description="Date of the session, YYYY-MM-DD.")
    start: str | None = Field(
        None,
        description='Start time as "HH:MM" (24-hour, in quotes); enables clock times in the run of show.',
        examples=["09:30"],
    )
    format: Id | None = Field(
        None,
        description="Workshop format id from content/formats.yaml (see `packets list`); "
        "`standard` when neither format nor minutes is given.",
        examples=["standard"],
    )
    minutes: int | None = Field(
        None, description="Length of the session in whole minutes, 45 to 360; the plan fits it exactly."
    )
    location: Text | None = Field(None, description="Where the session takes place.")
    facilitators: list[Facilitator] = Field([], max_length=20, description="Who runs the session.")
    modules: list[Id] | None = Field(
        None, description="Module ids to run instead of the format's own selection, in order."
    )
    emphasis: list[Id] = Field([], description="Module ids that get more time when the plan has time to give.")
    breaks: Literal["auto", "none"] | list[str] = Field(
        "auto",
        description='"auto" (one 15-minute break over 150 minutes, two over 270, and a 5-minute pause from '
        '100 minutes when there is no break), "none" (no break; the pause stays), '
        'or a list of start times like ["10:30"].',
    )
    knowledge_keeper: KnowledgeKeeper | None = Field(
        None,
        description="An Elder or knowledge keeper who opens or closes the session, invited under local protocol.",
    )

    @field_validator("start")
    @classmethod
    def _clock(cls, value: str | None) -> str | None:
        return None if value is None else clock_time(value, "start time")

    @field_validator("breaks")
    @classmethod
    def _break_times(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, str):
            return value
        if len(value) > MAX_BREAKS:
            raise ValueError(f"a session has at most {MAX_BREAKS} breaks")
        return sorted(clock_time(v, "break time") for v in value)

    @field_validator("minutes", mode="before")
    @classmethod
    def _whole_minutes(cls, value: object) -> object:
        minutes = session_length(value)
        if minutes is None:
            raise ValueError(
                f"the length {str(value)[:40]!r} is not a number of minutes "
                "(150, 150 min, 2h30 and 2 h 30 are read); write minutes: 150"
            )
        # The 45 to 360 range is the planner's to check: its message can say what would fit.
        if not 0 < minutes <= 24 * 60:
            raise ValueError(
                f"{minutes} minutes is not the length of a session; give {MIN_SESSION} to {MAX_SESSION}, "
                "e.g. write minutes: 150"
            )
        return minutes

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        return padded_date(value)


MIN_SESSION = 45
MAX_SESSION = 360
MAX_BREAKS = 4


def session_length(value: object) -> int | None:
    """A session's length in minutes as people write it: 150, "150 min", "2h30", "2 h 30", "2h", "2:30".

    None when it is not a length (bool is an int to Python: `minutes: yes` is a mistake, not 1).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    text = " ".join(value.strip().lower().split())
    match = re.fullmatch(r"(\d+) ?(?:m|min|mins|minutes)?", text)
    if match:
        return int(match[1])
    match = re.fullmatch(r"(\d+) ?(?:h|hr|hrs|hour|hours|:) ?(?:(\d{1,2}) ?(?:m|min|mins|minutes)?)?", text)
    if match and int(match[2] or 0) < 60:
        return int(match[1]) * 60 + int(match[2] or 0)
    return None


def padded_date(value: object) -> object:
    """`2026-10-2` read as 2026-10-02: the year first, as the file asks, with a zero left out."""
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", value)
        if match:
            return f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}"
    return value


def clock_time(value: str, what: str) -> str:
    """A 24-hour time as "HH:MM"; also accepts 9:30, 09h30 and 09.30 as people write them."""
    match = re.fullmatch(r"\s*([01]?\d|2[0-3])[:h.]([0-5]\d)\s*", value.strip().strip("\"'“”‘’"))
    if not match:
        raise ValueError(f'{what} "{value}" is not HH:MM; write it like "09:30" (in quotes)')
    return f"{int(match[1]):02d}:{match[2]}"


class Nation(Strict):
    name: OrgText = Field(description="The Nation's name in its own orthography, e.g. xʷməθkʷəy̓əm or ᓀᐦᐃᔭᐤ.")
    english_name: OrgText | None = Field(None, description="The English name, e.g. Musqueam.")
    french_name: OrgText | None = Field(
        None,
        description="The French name, e.g. Malécites; French editions print it where English ones print english_name.",
    )
    pronunciation: Text | None = Field(
        None, description='A guide to saying the English name (or the only name given), e.g. "MUS-kwee-um".'
    )
    name_pronunciation: Text | None = Field(
        None,
        description="A guide to saying the Nation's own name, the one the statement uses; ask the Nation.",
    )

    def common_name(self, language: str) -> str | None:
        """The name an edition prints beside the own-language name: French where the French
        edition has one, else the English name (check warns when a French edition falls back)."""
        if language == "fr" and self.french_name:
            return self.french_name
        return self.english_name


# A place whose name participants practise saying (a river, a mountain, a community, the city):
# its own fields and hints, not a Nation's, so the studio, the schema and the reference ask for
# a place's name, not a people's. (A comment, not a docstring: the schema would show a docstring.)
class Place(Strict):
    name: OrgText = Field(
        description="The place's name in the language of the Nation whose land it is, as they write it, "
        "e.g. Amiskwaciwâskahikan."
    )
    english_name: OrgText | None = Field(None, description="The place's English name, if it has one, e.g. Edmonton.")
    french_name: OrgText | None = Field(
        None, description="The place's French name, if it has one, e.g. Trois-Rivières; French editions print it."
    )
    pronunciation: Text | None = Field(
        None, description='A guide to saying the place\'s English name (or its only name), e.g. "ED-mun-tun".'
    )
    name_pronunciation: Text | None = Field(
        None,
        description="A guide to saying the place's name in the Nation's language, as the Nation says it "
        "(ask them, or a teacher you pay).",
    )

    def common_name(self, language: str) -> str | None:
        """The name an edition prints beside the own-language name: French where the French
        edition has one, else the English name (check warns when a French edition falls back)."""
        if language == "fr" and self.french_name:
            return self.french_name
        return self.english_name


class LandAcknowledgement(Strict):
    nations: list[Nation] = Field(
        [], max_length=20, description="The Nations whose land this is, each in its own orthography."
    )
    places: list[Place] = Field(
        [],
        max_length=30,
        description="Places whose names to practise saying (a river, a mountain, a community, the city), "
        "each named in the language of the Nation whose land it is.",
    )
    territory: Text | None = Field(None, description='e.g. "unceded", "Treaty 6 territory".')
    statement: ProseText | None = Field(
        None, description="The organization's own acknowledgement; a present-tense draft is composed when absent."
    )
    commitments: list[Text] = Field(
        [], max_length=15, description="What the organization is doing: the action behind the words."
    )
    reviewed_by: Text | None = Field(None, description="Who from the community reviewed this acknowledgement.")
    reviewed_on: dt.date | None = Field(None, description="When it was last reviewed, YYYY-MM-DD.")
    based_on: Text | None = Field(
        None, description="What it is based on, e.g. a conversation with the Nation's education office."
    )

    @field_validator("reviewed_on", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        return padded_date(value)


class LocalResource(Strict):
    name: Text = Field(description="Name of the organization, service or person.")
    contact: Text | None = Field(None, description="Website, phone or email.")
    note: Text | None = Field(None, description="What it offers, in a few words.")


class Organization(Strict):
    """One organization's file in content/orgs/."""

    name: Text = Field(description="The organization's name as it should print.")
    language: Language | None = Field(
        None,
        description="The language of every packet: en (English, the default) or fr (French). "
        "Give this or languages, not both.",
    )
    languages: list[Language] | None = Field(
        None,
        min_length=1,
        max_length=len(LANGUAGES),
        description="Both editions side by side, each under its own file names: [en, fr]. Give this or language.",
    )
    paper: Literal["letter", "a4"] = Field("letter", description="Paper size: letter (default) or a4.")
    accent_colour: str | None = Field(
        None,
        description='Colour for headings and rules, "#rrggbb"; needs 4.5:1 contrast on white and on the note panels.',
        examples=["#1f5f8b"],
    )
    logo: str | None = Field(
        None,
        description="PNG, JPEG or SVG file inside the folder of the org file (content/orgs/).",
        examples=["logos/my-logo.png"],
    )
    logo_alt: Text | None = Field(None, description="Text read aloud for the logo; defaults to the name.")
    workshop: Workshop = Field(Workshop(), description="The session: title, date, time, format, place, people.")
    land_acknowledgement: LandAcknowledgement = Field(
        LandAcknowledgement(), description="The local land acknowledgement, written with the Nations."
    )
    local_resources: list[LocalResource] = Field(
        [], max_length=30, description="Local supports and contacts for participants."
    )

    @field_validator("accent_colour")
    @classmethod
    def _accent(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value.strip()):
            raise ValueError(f'accent colour "{value[:40]}" is not a colour like "#1f5f8b"')
        value = value.strip().lower()
        if len(value) == 4:
            value = "#" + "".join(c * 2 for c in value[1:])
        ratio = weakest_contrast(value)
        if ratio < MIN_ACCENT_CONTRAST:
            raise ValueError(
                f"accent colour {value} has a contrast of {ratio:.2f}:1 on the pale note panels ({PANEL}); "
                f"it needs at least "
                f"{MIN_ACCENT_CONTRAST}:1 to read in print — try {darker_passing(value, MIN_ACCENT_CONTRAST)}"
            )
        return value

    @field_validator("logo")
    @classmethod
    def _logo_suffix(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.search(r"\.(png|jpe?g|svg)\Z", value, re.IGNORECASE):
            raise ValueError(f'logo "{value[:80]}" must be a .png, .jpg or .svg file')
        return value

    @field_validator("languages")
    @classmethod
    def _one_language_key(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return None
        both = list(dict.fromkeys([info.data.get("language") or value[0], *value]))
        if info.data.get("language") is not None:
            raise ValueError(
                "give language (one edition) or languages (several), not both: "
                f"remove language and write languages: [{', '.join(both)}]"
            )
        if len(set(value)) != len(value):
            raise ValueError(f"languages lists a language twice; write languages: [{', '.join(both)}]")
        return value

    @property
    def editions(self) -> tuple[str, ...]:
        """The languages this organization's packets are printed in, each its own set of documents."""
        if self.languages:
            return tuple(self.languages)
        return (self.language or DEFAULT_LANGUAGE,)

    def edition(self, language: str) -> Organization:
        """This organization as one edition prints it: every text a plain string in `language`
        (the other language's where only that one is given; `check` warns about it), and
        `language` set, so planning and templates never see a mapping."""
        if language not in LANGUAGES:
            raise ValueError(f"no edition in the language '{language}'")
        resolved = _resolved(self, language)
        return resolved.model_copy(update={"language": language, "languages": None})


def _resolved(value: object, language: str) -> object:
    """`value` with every per-language text replaced by its text in `language`."""
    if isinstance(value, ByLanguage):
        return value.text(language)
    if isinstance(value, list):
        return [_resolved(v, language) for v in value]
    if isinstance(value, BaseModel):
        update = {}
        for name in type(value).model_fields:
            current = getattr(value, name)
            new = _resolved(current, language)
            if new is not current:
                update[name] = new
        return value.model_copy(update=update) if update else value
    return value


def untranslated(org: Organization, language: str) -> list[tuple[tuple, str]]:
    """Where the `language` edition prints text given only in another language: (location, language given)."""
    found: list[tuple[tuple, str]] = []

    def walk(value: object, loc: tuple) -> None:
        if isinstance(value, ByLanguage):
            if value.lacks(language):
                found.append((loc, next(code for code in LANGUAGES if not value.lacks(code))))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*loc, i))
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), (*loc, name))

    walk(org, ())
    return found
