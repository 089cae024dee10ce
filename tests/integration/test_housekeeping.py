"""The housekeeping job on SQLite and PostgreSQL: processed-update keys older than a week are
dropped in bounded batches (a re-delivery within the week is still a no-op), and the band keys
of months before the previous one go while clusters stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from bot import housekeeping
from bot.housekeeping import UPDATE_KEYS_KEPT, HousekeepingPlanner
from storage import models
from storage.db import Database

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# 00:30 on 1 December in Vietnam is still 30 November in UTC: the month is the local one.
NOW = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)


async def update_keys(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        found = await conn.execute(select(models.InboundUpdate.update_id))
        return sorted(found.scalars())


async def band_scopes(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        found = await conn.execute(select(models.ClusterKey.scope))
        return sorted(found.scalars())


async def seed(db: Database) -> None:
    """Update keys of several ages; one cluster with band keys in each of four months."""
    ages = {"week-old": UPDATE_KEYS_KEPT + timedelta(minutes=1), "old": timedelta(days=30)}
    ages |= {"recent": UPDATE_KEYS_KEPT - timedelta(minutes=1), "new": timedelta(0)}
    rows = [
        {"channel": "telegram", "update_id": name, "processed_at": NOW - age}
        for name, age in ages.items()
    ]
    async with db.engine.begin() as conn:
        await conn.execute(insert(models.InboundUpdate), rows)
        for month in ("2026-09", "2026-10", "2026-11", "2026-12"):
            scope = f"{month}:26734"
            cluster = await conn.scalar(
                insert(models.Cluster)
                .values(scope=scope, size=1, representative_submission_id=1)
                .values(created_at=NOW, updated_at=NOW)
                .returning(models.Cluster.id)
            )
            key = {"scope": scope, "cluster_id": cluster, "submission_id": 1}
            await conn.execute(insert(models.ClusterKey), [{**key, "band_key": "ab"}])


async def test_drops_week_old_update_keys_and_past_months_band_keys(db: Database) -> None:
    await seed(db)
    planner = HousekeepingPlanner(db, VIETNAM)
    assert await planner.tidy(NOW) == (2, 2)
    assert await update_keys(db) == ["new", "recent"]
    # Local date 1 December: November's keys still serve late duplicates, September's and
    # October's do not.
    assert await band_scopes(db) == ["2026-11:26734", "2026-12:26734"]
    async with db.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(models.Cluster)) == 4
    assert await planner.tidy(NOW) == (0, 0)
    # A re-delivered update of the kept week is still recognised.
    async with db.unit_of_work() as uow:
        assert not await uow.updates.claim("telegram", "recent", NOW)


async def test_a_batch_at_a_time(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    await seed(db)
    monkeypatch.setattr(housekeeping, "BATCH", 1)
    planner = HousekeepingPlanner(db, VIETNAM)
    assert (await planner.tidy(NOW))[0] == 1
    assert len(await update_keys(db)) == 3
    assert (await planner.tidy(NOW))[0] == 1
    assert await update_keys(db) == ["new", "recent"]
