"""The answer loop's storage: status changes, ratings and follow-ups of a submission.

Every change is one conditional UPDATE on the value the caller read: two officers (or a
moderator and an officer) changing one case at once produce one change; the other gets False
and nothing is stored for them. On PostgreSQL the second UPDATE waits for the first
transaction's row lock, then matches no row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models
from storage.records import FollowupRecord

S = models.Submission
F = models.Followup


class SqlCases:
    """Status, rating and follow-ups of submissions, in the unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def change_status(
        self,
        submission_id: int,
        *,
        before: str,
        after: str,
        at: datetime,
        reason: str | None = None,
        answered: bool = False,
    ) -> bool:
        """Set `after` if the status is still `before`; True when this call changed it.

        `answered` also records the answer's time (the first answer's time stays). The reason
        replaces the previous one (None clears it).
        """
        values: dict[str, object] = {
            "status": after,
            "status_reason": reason,
            "status_changed_at": at,
            "updated_at": at,
        }
        if answered:
            values["answered_at"] = func.coalesce(S.answered_at, at)
        result = await self._session.execute(
            update(S).where(S.id == submission_id, S.status == before).values(**values)
        )
        return bool(getattr(result, "rowcount", 0))

    async def rate(
        self,
        submission_id: int,
        *,
        person_id: int,
        before: int | None,
        rating: int,
        statuses: Sequence[str],
        at: datetime,
    ) -> bool:
        """Set the submitter's rating if the case is still theirs, in `statuses`, and still
        rated `before`; True when this call changed it."""
        result = await self._session.execute(
            update(S)
            .where(
                S.id == submission_id,
                S.person_id == person_id,
                S.status.in_(tuple(statuses)),
                S.rating.is_not_distinct_from(before),
            )
            .values(rating=rating, rated_at=at, updated_at=at)
        )
        return bool(getattr(result, "rowcount", 0))

    async def add_followup(
        self, submission_id: int, *, person_id: int, text: str, at: datetime
    ) -> int:
        """Attach a follow-up to a submission; returns its id."""
        row = F(submission_id=submission_id, person_id=person_id, text=text, created_at=at)
        self._session.add(row)
        await self._session.flush()
        await self._session.execute(update(S).where(S.id == submission_id).values(updated_at=at))
        return row.id

    async def followups(self, submission_id: int) -> list[FollowupRecord]:
        """A submission's follow-ups, oldest first."""
        return await self._select(F.submission_id == submission_id)

    async def followups_of_person(self, person_id: int) -> list[FollowupRecord]:
        """Every follow-up a person wrote, oldest first."""
        return await self._select(F.person_id == person_id)

    async def _select(self, condition: Any) -> list[FollowupRecord]:
        rows = await self._session.execute(
            select(F.id, F.submission_id, S.code, F.text, F.created_at)
            .join(S, S.id == F.submission_id)
            .where(condition)
            .order_by(F.created_at, F.id)
        )
        return [FollowupRecord(*row) for row in rows]
