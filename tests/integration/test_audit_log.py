"""The audit log read back from a moment on, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database

START = datetime(2026, 11, 1, tzinfo=UTC)


async def test_entries_since_a_moment_in_order_across_batches(db: Database) -> None:
    async with db.unit_of_work() as uow:
        for hours in (5, -1, 1, 3, 0):  # inserted out of time order: ids keep insertion order
            await uow.audit.add(
                actor="ND-1", action=f"a{hours}", at=START + timedelta(hours=hours),
                subject="YK-1", details={"n": hours},
            )  # fmt: skip
        await uow.commit()
    async with db.unit_of_work() as uow:
        found = [entry async for entry in uow.audit.since(START, batch_size=2)]
    assert [entry.action for entry in found] == ["a5", "a1", "a3", "a0"]
    assert found[0].at == START + timedelta(hours=5) and found[0].details == {"n": 5}
    async with db.unit_of_work() as uow:
        assert [e async for e in uow.audit.since(START + timedelta(days=1))] == []
