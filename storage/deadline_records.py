"""Plain records of reporting deadlines, shared by storage and the handlers (no SQL here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

MONTHLY = "monthly"
ONCE = "once"


@dataclass(frozen=True)
class NewDeadline:
    """A validated deadline to store (or to update, found by `code`)."""

    code: str
    title: str
    recurrence: str  # MONTHLY or ONCE
    day_of_month: int | None = None
    due_date: date | None = None
    unit_codes: tuple[str, ...] = ()
    unit_kinds: tuple[str, ...] = ()
    offsets: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeadlineRecord:
    """A stored deadline."""

    id: int
    code: str
    title: str
    recurrence: str
    day_of_month: int | None
    due_date: date | None
    unit_codes: tuple[str, ...]
    unit_kinds: tuple[str, ...]
    offsets: tuple[int, ...]
    created_at: datetime
    roles: tuple[str, ...] = ()  # everyone with one of these roles is targeted too
