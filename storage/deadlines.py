"""The repository of reporting deadlines and of the units' "done" marks; it never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models
from storage.deadline_records import DeadlineRecord, NewDeadline
from storage.sql import dialect_insert

DoneKey = tuple[int, str, str]
"""(deadline id, unit code, period) of a done mark."""


def _deadline(row: models.Deadline) -> DeadlineRecord:
    return DeadlineRecord(
        id=row.id,
        code=row.code,
        title=row.title,
        recurrence=row.recurrence,
        day_of_month=row.day_of_month,
        due_date=row.due_date,
        unit_codes=tuple(row.unit_codes or ()),
        unit_kinds=tuple(row.unit_kinds or ()),
        offsets=tuple(int(offset) for offset in row.offsets or ()),
        created_at=row.created_at,
        roles=tuple(row.roles or ()),
    )


class SqlDeadlines:
    """Deadlines (a handful of rows) and their done marks (units × periods)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_all(self) -> list[DeadlineRecord]:
        """Every deadline, by id."""
        rows = await self._session.scalars(select(models.Deadline).order_by(models.Deadline.id))
        return [_deadline(row) for row in rows]

    async def get(self, deadline_id: int) -> DeadlineRecord | None:
        """One deadline by id."""
        row = await self._session.get(models.Deadline, deadline_id)
        return _deadline(row) if row else None

    async def get_by_code(self, code: str) -> DeadlineRecord | None:
        """One deadline by its code."""
        row = await self._session.scalar(
            select(models.Deadline).where(models.Deadline.code == code)
        )
        return _deadline(row) if row else None

    async def upsert(self, deadlines: Sequence[NewDeadline], at: datetime) -> list[DeadlineRecord]:
        """Insert deadlines, or update those whose code exists (keeping their id and marks)."""
        stored = []
        for new in deadlines:
            row = await self._session.scalar(
                select(models.Deadline).where(models.Deadline.code == new.code)
            )
            if row is None:
                row = models.Deadline(code=new.code, created_at=at)
                self._session.add(row)
            row.title = new.title
            row.recurrence = new.recurrence
            row.day_of_month = new.day_of_month
            row.due_date = new.due_date
            row.unit_codes = list(new.unit_codes)
            row.unit_kinds = list(new.unit_kinds)
            row.offsets = list(new.offsets)
            row.roles = list(new.roles)
            await self._session.flush()
            stored.append(_deadline(row))
        return stored

    async def mark_done(
        self, deadline_id: int, unit_code: str, period: str, person_id: int | None, at: datetime
    ) -> bool:
        """Record that a unit met a period; False when it already had (idempotent)."""
        stmt = (
            dialect_insert(self._session, models.DeadlineDone)
            .values(
                deadline_id=deadline_id,
                unit_code=unit_code,
                period=period,
                done_at=at,
                person_id=person_id,
            )
            .on_conflict_do_nothing(index_elements=["deadline_id", "unit_code", "period"])
        )
        result = await self._session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))

    async def done_keys(self, deadline_ids: Sequence[int]) -> set[DoneKey]:
        """Every (deadline id, unit, period) marked done among these deadlines."""
        if not deadline_ids:
            return set()
        rows = await self._session.execute(
            select(
                models.DeadlineDone.deadline_id,
                models.DeadlineDone.unit_code,
                models.DeadlineDone.period,
            ).where(models.DeadlineDone.deadline_id.in_(list(deadline_ids)))
        )
        return {(int(row[0]), str(row[1]), str(row[2])) for row in rows}
