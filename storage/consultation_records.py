"""Plain records of consultations on draft documents, shared by storage, handlers and bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

# Position 0 of every consultation is the draft as a whole ("góp ý chung").
WHOLE_DRAFT = 0


@dataclass(frozen=True)
class NewSection:
    """A section of a draft as the importer split it (position 1, 2, … in reading order)."""

    position: int
    label: str  # the heading's number as written: "Phần thứ nhất", "Chương II", "Điều 5", "1.2"
    title: str  # the heading's words after the label ("" when the heading has none)
    body: str  # the text under the heading, paragraphs separated by "\n"
    level: int = 1  # 1 Phần, 2 Chương, 3 Mục, 4 Điều, 5+ numbered headings by depth


@dataclass(frozen=True)
class SectionRecord:
    """A stored section."""

    id: int
    consultation_id: int
    position: int
    label: str
    title: str
    body: str
    level: int

    @property
    def heading(self) -> str:
        """ "Điều 5. Quyền của công dân", or the label alone (the whole draft's is its label)."""
        label, title = self.label.strip(), self.title.strip()
        if not title or not label:
            return label or title
        return f"{label.rstrip('.')}. {title}"


@dataclass(frozen=True)
class NewConsultation:
    """A validated consultation to store."""

    title: str
    issuer: str  # the issuing unit's name as it heads the report
    unit_code: str | None  # the issuing unit: its officers get the report reminders
    opens_at: datetime
    closes_at: datetime
    created_by: str  # pseudonym, or "cli"
    audience_groups: tuple[str, ...] = ()  # empty: every group
    audience_units: tuple[str, ...] = ()  # empty: every unit
    report_due: date | None = None
    announcement: str | None = None


@dataclass(frozen=True)
class Place:
    """Where a subscriber wants announcements from: a ward (with its province) or a province."""

    locality_code: str
    province_code: str


@dataclass(frozen=True)
class Subscriber:
    """A resident who receives announcements, and from where (None: everywhere)."""

    person_id: int
    channel: str
    chat_id: str
    place: Place | None


@dataclass(frozen=True)
class ConsultationRecord:
    """A stored consultation."""

    id: int
    title: str
    issuer: str
    unit_code: str | None
    opens_at: datetime
    closes_at: datetime
    created_by: str
    created_at: datetime
    audience_groups: tuple[str, ...] = ()
    audience_units: tuple[str, ...] = ()
    report_due: date | None = None
    announcement: str | None = None
    announced_at: datetime | None = None
    deadline_code: str | None = None

    def is_open(self, now: datetime) -> bool:
        """Whether comments are taken at `now` (opening inclusive, closing exclusive)."""
        return self.opens_at <= now < self.closes_at


@dataclass(frozen=True)
class CommentRecord:
    """A resident's position (and optional comment) on one section; one per person and section."""

    id: int
    consultation_id: int
    section_id: int
    section_position: int
    person_id: int | None
    stance: str  # config.consultations.STANCES
    text: str | None  # as written (erasable); None when only a position was given
    redacted: str | None  # `text` with personal data replaced: what reports quote
    flags: tuple[str, ...]  # NLP flag codes
    restricted: bool  # a sensitive flag: counted, never quoted
    target_group: str | None
    unit_code: str | None
    cluster_id: int | None
    channel: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Theme:
    """A group of near-duplicate comments on a section: a main theme of the synthesis."""

    cluster_id: int
    size: int
    stances: dict[str, int]  # stance code -> comments of the theme with that stance
    representative: str | None  # a redacted, quotable comment; None when none may be quoted


@dataclass(frozen=True)
class SectionSummary:
    """One section's figures for the synthesis report."""

    section: SectionRecord
    stances: dict[str, int]  # stance code -> people (every code of STANCES present, maybe 0)
    with_text: int  # how many of them wrote a comment
    themes: list[Theme]  # largest first, at most config.consultations.REPORT_THEMES
    by_group: dict[str | None, dict[str, int]]  # target group (None: not given) -> stances
    by_unit: dict[str | None, dict[str, int]]  # unit code (None: none) -> stances


@dataclass(frozen=True)
class ConsultationSummary:
    """Everything the synthesis report shows, computed by storage in a few grouped queries."""

    consultation: ConsultationRecord
    sections: list[SectionSummary]  # position order; WHOLE_DRAFT first
    participants: int  # distinct people (erased people still counted by their comments)
    comments: int  # stances given, all sections
    with_text: int
    stances: dict[str, int]  # all sections together
    by_group: dict[str | None, dict[str, int]]
    by_unit: dict[str | None, dict[str, int]]
    unit_names: dict[str, str]  # unit code -> name, for every unit code above
    generated_at: datetime
    restricted: int = 0  # comments counted but never quoted (sensitive flags)


@dataclass(frozen=True)
class CommentRow:
    """One comment as the Excel workbook lists it: no identity, text redacted."""

    id: int
    section_position: int
    section_label: str
    stance: str
    text: str | None  # redacted; None for a position without comment or a restricted one
    target_group: str | None
    unit_code: str | None
    cluster_id: int | None
    flags: tuple[str, ...]
    channel: str
    created_at: datetime
    updated_at: datetime
    restricted: bool = False
