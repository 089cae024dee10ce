"""Every shared dialogue table on every channel, over the channels' real HTTP code.

Runs on SQLite and PostgreSQL (the `engine`/`db` fixtures). A table that needs something a
channel cannot do (a location on the Zalo Bot Platform) is not generated for that channel;
`test_every_channel_module_has_a_resident` keeps the channel list complete.
"""

from __future__ import annotations

import pkgutil

import pytest
from sqlalchemy import func, select

import bot.channels
from handlers.intake import Engine
from storage import models
from storage.db import Database
from tests.channels import CAPABILITIES, CHANNELS, channel_harness
from tests.dialogue import assert_replies, receipt_code
from tests.tables import SHARED_TABLES

CASES = [
    pytest.param(channel, name, id=f"{channel}: {name}")
    for name, table in SHARED_TABLES.items()
    for channel in CHANNELS
    if table.requires <= CAPABILITIES[channel]
]


async def _stored_channels(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(select(models.Submission.channel))).scalars())


@pytest.mark.parametrize(("channel", "name"), CASES)
async def test_shared_table(channel: str, name: str, engine: Engine, db: Database) -> None:
    table = SHARED_TABLES[name]
    async with channel_harness(channel, db, engine) as harness:
        resident = harness.resident()
        for action, expected in table.rows:
            assert_replies(await resident.act(action), expected, (channel, action))
    assert await _stored_channels(db) == [channel] * table.stored


@pytest.mark.parametrize("channel", CHANNELS)
async def test_redelivery_and_status_on_every_channel(
    channel: str, engine: Engine, db: Database
) -> None:
    async with channel_harness(channel, db, engine) as harness:
        alice, bob = harness.resident("alice"), harness.resident("bob")
        rows = SHARED_TABLES["text only, buttons pressed"].rows
        for action, _ in rows[:-1]:
            await alice.act(action)
        receipt = await alice.act(rows[-1][0])
        assert await alice.redeliver() == []  # the platform retried: nothing happens twice
        code = receipt_code(receipt)
        (status,) = await alice.act(("cmd", "trangthai", code))
        assert code in status
        (other,) = await bob.act(("cmd", "trangthai", code))
        assert code in other and other != status  # not found for someone else
    async with db.engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(models.Submission))
    assert count == 1


def test_every_channel_module_has_a_resident() -> None:
    modules = {m.name for m in pkgutil.iter_modules(bot.channels.__path__)}
    # Helpers of a channel, not channels: the OA's OAuth, Telegram's outbox sender.
    helpers = {"zalo_oauth", "telegram_outbox"}
    adapters = {name.removesuffix("_adapter") for name in modules - helpers}
    assert adapters == set(CHANNELS)
    for name in SHARED_TABLES:
        assert any(SHARED_TABLES[name].requires <= CAPABILITIES[c] for c in CHANNELS), name
