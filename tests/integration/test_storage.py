"""Storage on SQLite and PostgreSQL: the migrations, the types, and concurrent units of work."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from handlers.intake import Engine
from handlers.messages import Event
from nlp.locality import LocalityIndex
from storage import db as storage_db
from storage import models
from storage.db import Database, alembic_config
from storage.records import NewSubmission
from tests.dialogue import Resident


async def test_migrations_match_the_models(db: Database) -> None:
    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, models.metadata)

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_downgrade_and_upgrade_again(db: Database) -> None:
    def cycle(connection, config):
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        command.upgrade(config, "head")

    async with db.engine.begin() as conn:
        await conn.run_sync(cycle, alembic_config(db.url))
    async with db.unit_of_work() as uow:
        assert await uow.updates.claim("test", "1", datetime.now(UTC))


async def test_an_interrupted_first_upgrade_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed halfway through its first upgrade, a SQLite file has no half schema: the next
    start upgrades it (the driver used to commit each CREATE on its own)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'first.sqlite3'}"

    def interrupted(connection: Connection, config: Config) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "0008")
        raise KeyboardInterrupt  # what an interrupted process sees mid-upgrade

    async def tables() -> list[str]:
        async with db.engine.connect() as conn:
            found = await conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
            return [row[0] for row in found]

    db = Database(url)
    try:
        monkeypatch.setattr(storage_db, "_upgrade_on", interrupted)
        with pytest.raises(KeyboardInterrupt):
            await db.upgrade()
        assert await tables() == []
        monkeypatch.undo()
        await db.upgrade()
        assert {"people", "submissions", "inbox", "alembic_version"} <= set(await tables())
        async with db.unit_of_work() as uow:
            assert await uow.updates.claim("test", "1", datetime.now(UTC))
    finally:
        await db.dispose()


async def test_times_come_back_aware_and_equal(db: Database) -> None:
    hanoi = datetime(2026, 2, 17, 23, 45, 1, tzinfo=timezone(timedelta(hours=7)))
    async with db.unit_of_work() as uow:
        person = await uow.people.add(
            pseudonym="ND-1", channel="test", external_id="x", consent_version="v", at=hanoi
        )
        await uow.commit()
    async with db.unit_of_work() as uow:
        again = await uow.people.get_by_channel("test", "x")
    assert again is not None and again.consent_at == hanoi == person.created_at
    assert again.consent_at.tzinfo is not None


async def test_claim_is_once_per_channel_and_update(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.unit_of_work() as uow:
        assert await uow.updates.claim("telegram", "42", now)
        assert not await uow.updates.claim("telegram", "42", now)
        assert await uow.updates.claim("zalo_bot", "42", now)
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert not await uow.updates.claim("telegram", "42", now)


async def test_iter_all_streams_every_row_in_order(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.unit_of_work() as uow:
        person = await uow.people.add(
            pseudonym="ND-2", channel="test", external_id="y", consent_version="v", at=now
        )
        for number in range(25):
            await uow.submissions.add(
                NewSubmission(
                    code=f"YK-{number:06d}",
                    person_id=person.id,
                    kind="gop_y",
                    text=f"ý kiến {number}",
                    channel="test",
                    created_at=now,
                    status="da_tiep_nhan",
                )
            )
        await uow.commit()
    async with db.unit_of_work() as uow:
        codes = [s.code async for s in uow.submissions.iter_all(batch_size=7)]
    assert codes == [f"YK-{n:06d}" for n in range(25)]


def _second_process(db: Database, engine: Engine) -> tuple[Database, Engine]:
    """Another engine with its own connection pool, as a second bot process would have."""
    other = Database(db.url)
    return other, Engine(
        other.unit_of_work, engine.localities, engine.clock, ZoneInfo("UTC"), engine.analyzer
    )


async def test_two_processes_receive_the_same_update(
    db: Database, engine: Engine, localities: LocalityIndex
) -> None:
    other_db, other = _second_process(db, engine)
    try:
        resident = Resident(engine)
        await resident.act(("cmd", "start"))
        incoming = resident.last
        assert incoming is not None
        press = replace(
            incoming, update_id="same-update", payload="consent:yes", event=Event.BUTTON
        )
        results = await asyncio.gather(engine.handle(press), other.handle(press))
        assert sorted(len(r) for r in results) == [0, 1]
        async with db.engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(models.Person)) == 1
    finally:
        await other_db.dispose()


async def test_two_processes_race_on_submit(db: Database, engine: Engine) -> None:
    other_db, other = _second_process(db, engine)
    try:
        resident = Resident(engine)
        await resident.act(("cmd", "start"))
        await resident.act(("press", "consent:yes"))
        await resident.act(("press", "kind:gop_y"))
        await resident.act(("say", "Đề nghị sửa đèn đường ở tổ dân phố 3, tối rất nguy hiểm."))
        await resident.act(("press", "att:done"))
        await resident.act(("press", "loc:skip"))
        await resident.act(("press", "grp:skip"))
        assert resident.last is not None
        first = replace(resident.last, update_id="press-a", payload="confirm:submit")
        second = replace(resident.last, update_id="press-b", payload="confirm:submit")
        await asyncio.gather(engine.handle(first), other.handle(second))
        async with db.engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(models.Submission)) == 1
    finally:
        await other_db.dispose()
