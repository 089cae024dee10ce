"""Repositories of the unit tree and of enrollment invites; none of them commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models
from storage.records import InviteRecord, UnitRecord, UnitUsage


def _unit(row: models.Unit) -> UnitRecord:
    return UnitRecord(
        code=row.code,
        name=row.name,
        kind=row.kind,
        parent_code=row.parent_code,
        locality_code=row.locality_code,
        target_group=row.target_group,
        digest=row.digest or "monthly",
        digest_weekday=int(row.digest_weekday or 0),
    )


def _invite(row: models.Invite) -> InviteRecord:
    return InviteRecord(
        id=row.id,
        role=row.role,
        unit_code=row.unit_code,
        topics=tuple(row.topics or ()),
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_by_person_id=row.used_by_person_id,
        created_at=row.created_at,
        designated=bool(row.designated),
    )


class SqlUnits:
    """The unit tree: small (thousands of rows at most), so callers walk it in memory."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, code: str) -> UnitRecord | None:
        """One unit by code."""
        row = await self._session.get(models.Unit, code)
        return _unit(row) if row else None

    async def list_all(self) -> list[UnitRecord]:
        """Every unit, by code."""
        rows = await self._session.scalars(select(models.Unit).order_by(models.Unit.code))
        return [_unit(row) for row in rows]

    async def upsert(self, units: Sequence[UnitRecord]) -> None:
        """Insert or update units; give parents before children (foreign keys check each row)."""
        for unit in units:
            row = await self._session.get(models.Unit, unit.code)
            if row is None:
                row = models.Unit(code=unit.code)
                self._session.add(row)
            row.name = unit.name
            row.kind = unit.kind
            row.parent_code = unit.parent_code
            row.locality_code = unit.locality_code
            row.target_group = unit.target_group
            row.digest = unit.digest
            row.digest_weekday = unit.digest_weekday
            # One flush per row keeps the insert order the caller chose.
            await self._session.flush()

    async def usage(self, code: str) -> UnitUsage:
        """How many child units, people and invites still point at a unit."""

        async def count(model: type[models.Base], column: object) -> int:
            return int(
                await self._session.scalar(
                    select(func.count()).select_from(model).where(column == code)  # type: ignore[operator]
                )
                or 0
            )

        return UnitUsage(
            children=await count(models.Unit, models.Unit.parent_code),
            people=await count(models.Person, models.Person.unit_code),
            invites=await count(models.Invite, models.Invite.unit_code),
        )

    async def delete(self, code: str) -> None:
        """Remove a unit (the caller checked `usage` first)."""
        row = await self._session.get(models.Unit, code)
        if row is not None:
            await self._session.delete(row)
            await self._session.flush()


class SqlInvites:
    """Enrollment invites; the secrets themselves are never stored, only their sha256."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        token_hash: str,
        code_hash: str,
        role: str,
        unit_code: str,
        topics: Sequence[str],
        expires_at: datetime,
        at: datetime,
        designated: bool = False,
    ) -> InviteRecord:
        """Store a new invite (`designated`: its officer reads the unit's restricted items)."""
        row = models.Invite(
            token_hash=token_hash,
            code_hash=code_hash,
            role=role,
            unit_code=unit_code,
            topics=list(topics),
            expires_at=expires_at,
            created_at=at,
            designated=designated,
        )
        self._session.add(row)
        await self._session.flush()
        return _invite(row)

    async def find(self, hashes: Sequence[str]) -> InviteRecord | None:
        """The invite whose token or code has one of these hashes."""
        if not hashes:
            return None
        row = await self._session.scalar(
            select(models.Invite)
            .where(
                or_(
                    models.Invite.token_hash.in_(list(hashes)),
                    models.Invite.code_hash.in_(list(hashes)),
                )
            )
            .limit(1)
        )
        return _invite(row) if row else None

    async def mark_used(self, invite_id: int, person_id: int, at: datetime) -> bool:
        """Use an invite that is neither used nor expired; False if another redemption won."""
        result = await self._session.execute(
            update(models.Invite)
            .where(
                models.Invite.id == invite_id,
                models.Invite.used_at.is_(None),
                models.Invite.expires_at > at,
            )
            .values(used_at=at, used_by_person_id=person_id)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
