"""The moderators' review queue in SQL: atomic decisions, label corrections, who is on duty."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models

AWAITING = "cho_duyet"
S = models.Submission


class SqlReview:
    """Review state changes inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open(self, submission_id: int, at: datetime) -> bool:
        """Put a submission in the queue unless a review was already asked."""
        result = await self._session.execute(
            update(S)
            .where(S.id == submission_id, S.review_state.is_(None))
            .values(review_state=AWAITING, updated_at=at)
        )
        return bool(getattr(result, "rowcount", 0))

    async def decide(
        self,
        submission_id: int,
        *,
        state: str,
        at: datetime,
        restricted: bool = False,
        status: str | None = None,
    ) -> bool:
        """Record a decision if the item still awaits one; False when another came first.

        One conditional UPDATE: on PostgreSQL a concurrent decider blocks on the row lock, then
        finds the condition false and matches no row; SQLite serialises writers anyway.
        """
        values: dict[str, object] = {"review_state": state, "reviewed_at": at, "updated_at": at}
        if restricted:
            values["restricted"] = True
        if status is not None:
            values.update(status=status, status_changed_at=at)
        result = await self._session.execute(
            update(S).where(S.id == submission_id, S.review_state == AWAITING).values(**values)
        )
        return bool(getattr(result, "rowcount", 0))

    async def set_label(
        self,
        submission_id: int,
        *,
        field: str,
        before: str | None,
        after: str,
        person_id: int | None,
        at: datetime,
        restrict: bool = False,
    ) -> None:
        """Set the topic or the kind and keep the correction (before/after) for training."""
        if field not in ("topic", "kind"):
            raise ValueError(f"no label {field!r}")
        values: dict[str, object] = {field: after, "updated_at": at}
        if restrict:
            values["restricted"] = True
        await self._session.execute(update(S).where(S.id == submission_id).values(**values))
        self._session.add(
            models.LabelCorrection(
                submission_id=submission_id,
                field=field,
                before=before,
                after=after,
                person_id=person_id,
                created_at=at,
            )
        )
        await self._session.flush()

    async def chats_of(
        self, roles: Sequence[str], *, on_duty: bool = False
    ) -> list[tuple[str, str]]:
        """(channel, private chat) of the people with one of `roles`, oldest first; only those
        on duty when asked."""
        person = models.Person
        stmt = select(person.channel, person.external_id).where(person.role.in_(list(roles)))
        if on_duty:
            stmt = stmt.where(person.on_duty.is_(True))
        rows = await self._session.execute(stmt.order_by(person.id))
        return [(channel, external_id) for channel, external_id in rows]

    async def set_on_duty(self, person_id: int, on_duty: bool) -> None:
        """Switch a moderator's duty."""
        await self._session.execute(
            update(models.Person).where(models.Person.id == person_id).values(on_duty=on_duty)
        )

    async def decided_by(self, code: str) -> str | None:
        """Who made the last review decision on a case, from the audit log."""
        entry = models.AuditEntry
        return await self._session.scalar(
            select(entry.actor)
            .where(entry.subject == code, entry.action == "review.decided")
            .order_by(entry.id.desc())
            .limit(1)
        )
