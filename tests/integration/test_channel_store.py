"""Channel state on SQLite and PostgreSQL: tokens (single-use refresh), contacts, held replies."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from config import texts
from handlers.intake import Engine
from storage.channels import ChannelStore
from storage.db import Database
from tests.dialogue import Resident

NOW = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)


async def test_tokens_are_stored_and_each_replacement_bumps_the_version(db: Database) -> None:
    store = ChannelStore(db)
    assert await store.get_token("zalo_oa") is None
    first = await store.put_token("zalo_oa", "A1", NOW + timedelta(hours=25), "R1", NOW)
    assert (first.access_token, first.refresh_token, first.version) == ("A1", "R1", 1)
    async with store.locked_token("zalo_oa") as (current, save):
        assert current == first
        await save("A2", NOW + timedelta(hours=50), "R2", NOW)
    again = await store.get_token("zalo_oa")
    assert again is not None
    assert (again.access_token, again.refresh_token, again.version) == ("A2", "R2", 2)
    assert again.access_expires_at == NOW + timedelta(hours=50)


async def test_a_failed_refresh_keeps_the_old_tokens(db: Database) -> None:
    store = ChannelStore(db)
    await store.put_token("zalo_oa", "A1", NOW, "R1", NOW)
    with pytest.raises(RuntimeError):
        async with store.locked_token("zalo_oa") as (_current, save):
            await save("A2", NOW, "R2", NOW)
            raise RuntimeError("the OAuth server failed after we wrote")
    kept = await store.get_token("zalo_oa")
    assert kept is not None and kept.refresh_token == "R1"


async def test_concurrent_refreshes_spend_the_refresh_token_once(db: Database) -> None:
    store = ChannelStore(db)
    await store.put_token("zalo_oa", "A1", NOW, "R1", NOW)
    spent: list[str] = []

    async def refresh() -> None:
        async with store.locked_token("zalo_oa") as (current, save):
            assert current is not None
            if current.version > 1:
                return  # someone else refreshed while we waited for the lock
            spent.append(current.refresh_token)
            await asyncio.sleep(0.05)  # the OAuth call
            await save("A2", NOW, "R2", NOW)

    # On PostgreSQL a second engine stands for a second bot process; SQLite serves one process,
    # where two tasks share the database's serialised units of work.
    other = db if db.is_sqlite else Database(db.url)
    try:
        await asyncio.gather(refresh(), _refresh_with(ChannelStore(other), spent))
    finally:
        if other is not db:
            await other.dispose()
    assert spent == ["R1"]


async def _refresh_with(store: ChannelStore, spent: list[str]) -> None:
    await asyncio.sleep(0.01)
    async with store.locked_token("zalo_oa") as (current, save):
        assert current is not None
        if current.version > 1:
            return
        spent.append(current.refresh_token)
        await save("A3", NOW, "R3", NOW)


async def test_contacts_track_the_last_message_replies_and_reachability(db: Database) -> None:
    store = ChannelStore(db)
    await store.note_inbound("zalo_oa", "u1", "m1", NOW)
    await store.note_reply("zalo_oa", "u1")
    await store.note_reply("zalo_oa", "u1")
    contact = await store.get_contact("zalo_oa", "u1")
    assert contact is not None
    assert (contact.last_message_id, contact.replies_to_last) == ("m1", 2)
    assert contact.unreachable_since is None
    await store.mark_unreachable("zalo_oa", "u1", NOW + timedelta(days=8))
    contact = await store.get_contact("zalo_oa", "u1")
    assert contact is not None and contact.unreachable_since == NOW + timedelta(days=8)
    await store.note_inbound("zalo_oa", "u1", "m2", NOW + timedelta(days=9))
    contact = await store.get_contact("zalo_oa", "u1")
    assert contact is not None
    assert (contact.last_message_id, contact.replies_to_last, contact.unreachable_since) == (
        "m2",
        0,
        None,
    )
    await store.mark_unreachable("zalo_oa", "never-wrote", NOW)
    assert (await store.get_contact("zalo_oa", "never-wrote")) is not None


async def test_pending_messages_come_back_in_order_once(db: Database) -> None:
    store = ChannelStore(db)
    await store.add_pending("zalo_oa", "u1", ["một", "hai"], NOW)
    await store.add_pending("zalo_oa", "u2", ["khác"], NOW)
    await store.add_pending("zalo_oa", "u1", ["ba"], NOW)
    with pytest.raises(ConnectionError):
        async with store.pending("zalo_oa", "u1") as texts:
            assert texts == ["một", "hai", "ba"]
            raise ConnectionError("delivery failed")
    async with store.pending("zalo_oa", "u1") as texts:
        assert texts == ["một", "hai", "ba"]  # kept after the failed delivery
    async with store.pending("zalo_oa", "u1") as texts:
        assert texts == []
    async with store.pending("zalo_oa", "u2") as texts:
        assert texts == ["khác"]


async def test_erasing_a_person_forgets_what_channels_keep_about_them(
    engine: Engine, db: Database
) -> None:
    store = ChannelStore(db)
    resident, neighbour = Resident(engine, "u1", "zalo_oa"), Resident(engine, "u2", "zalo_oa")
    for person in (resident, neighbour):
        await person.act(("cmd", "start"))
        await person.act(("press", "consent:yes"))
        await store.note_inbound("zalo_oa", person.user.external_id, "m1", NOW)
        await store.add_pending("zalo_oa", person.user.external_id, ["trả lời chờ gửi"], NOW)
    await resident.act(("cmd", "xoadulieu"))
    assert await resident.act(("press", "erase:yes")) == [texts.ERASED]
    assert await store.get_contact("zalo_oa", "u1") is None
    async with store.pending("zalo_oa", "u1") as texts_held:
        assert texts_held == []
    assert await store.get_contact("zalo_oa", "u2") is not None
    async with store.pending("zalo_oa", "u2") as texts_held:
        assert texts_held == ["trả lời chờ gửi"]
