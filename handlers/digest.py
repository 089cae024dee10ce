"""The digest officers receive: what it contains, independent of how it is computed or rendered.

`storage` computes a `Digest` for a scope and period (aggregation in SQL); the chat text, the
Word report, the Excel workbook and the chart are all rendered from the same object, so they
can never disagree. Texts in a digest are already redacted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Period:
    """A calendar period [start, end): a month, or any span such as the last 7 days."""

    start: date
    end: date  # exclusive

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The calendar month `month`/`year`."""
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(date(year, month, 1), following)

    @classmethod
    def parse_month(cls, text: str) -> Period:
        """A month written `YYYY-MM` or `MM/YYYY`; ValueError otherwise."""
        text = text.strip()
        if "/" in text:
            month_text, _, year_text = text.partition("/")
        else:
            year_text, _, month_text = text.partition("-")
        year, month = int(year_text), int(month_text)
        if not (1 <= month <= 12 and 2000 <= year <= 2100):
            raise ValueError(f"not a month: {text!r}")
        return cls.month(year, month)

    @property
    def is_month(self) -> bool:
        """Whether the period is exactly one calendar month."""
        return self.start.day == 1 and Period.month(self.start.year, self.start.month) == self

    @property
    def label(self) -> str:
        """`MM/YYYY` for a month, `DD/MM/YYYY–DD/MM/YYYY` (inclusive) otherwise."""
        if self.is_month:
            return f"{self.start.month:02d}/{self.start.year}"
        last = date.fromordinal(self.end.toordinal() - 1)
        return f"{self.start:%d/%m/%Y}–{last:%d/%m/%Y}"

    def previous(self) -> Period:
        """The period of the same length just before (the previous month for a month)."""
        if self.is_month:
            year, month = (
                (self.start.year, self.start.month - 1)
                if self.start.month > 1
                else (
                    self.start.year - 1,
                    12,
                )
            )
            return Period.month(year, month)
        length = self.end.toordinal() - self.start.toordinal()
        return Period(date.fromordinal(self.start.toordinal() - length), self.start)


@dataclass(frozen=True)
class CountRow:
    """One line of a breakdown: a code, its display name, and counts now and before."""

    code: str
    label: str
    current: int
    previous: int

    @property
    def change(self) -> int:
        """Current minus previous."""
        return self.current - self.previous


@dataclass(frozen=True)
class Problem:
    """A recurring problem: a cluster of near-duplicate submissions and one redacted text."""

    size: int
    topic: str | None
    locality: str | None
    text: str


@dataclass(frozen=True)
class DigestItem:
    """One submission as a report lists it (one Excel row)."""

    code: str
    created_at: datetime
    kind: str
    topic: str | None
    locality: str | None
    group: str | None
    status: str
    text: str  # redacted; a placeholder for items the reader may not see
    flags: tuple[str, ...] = ()
    due_at: datetime | None = None
    answered_at: datetime | None = None
    overdue: bool = False
    hidden: bool = False  # a restricted item: `text` is the placeholder, never to be quoted


@dataclass(frozen=True)
class Digest:
    """Everything a digest says about one scope and period."""

    unit_name: str
    period: Period
    generated_at: datetime
    total: int
    previous_total: int
    by_topic: tuple[CountRow, ...]
    by_kind: tuple[CountRow, ...]
    by_locality: tuple[CountRow, ...]
    by_group: tuple[CountRow, ...]
    problems: tuple[Problem, ...]
    awaiting_answer: int
    overdue: int
    sensitive: int  # denunciations and held items: counted, their texts not shown
    items: tuple[DigestItem, ...] = field(default=())
    # Residents' satisfaction: ratings (1-5) of answers given in the period, and their mean.
    ratings: int = 0
    rating_average: float | None = None

    @property
    def change(self) -> int:
        """Total now minus total in the previous period."""
        return self.total - self.previous_total
