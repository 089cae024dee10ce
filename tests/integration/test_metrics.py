"""`GET /metrics` over real HTTP, on SQLite and PostgreSQL: updates counted per channel as they
reach the engine through the Telegram webhook, their latency, a failing update, and the outbox
backlog, in the Prometheus text format."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from bot.metrics import Metrics
from bot.web import build_web_app
from handlers.intake import Engine
from handlers.messages import Event, Incoming, UserRef
from storage.db import Database
from storage.inbox import NewInboxItem
from storage.outbox import OutboxStore
from tests.channels import Harness


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by (name, labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_updates_latency_failures_and_backlog(db: Database, engine: Engine) -> None:
    harness = Harness("telegram", db, engine)
    await harness.start()
    metrics = Metrics(engine, db, harness.inbox)
    try:
        base = await harness._serve(build_web_app(harness.inbox, metrics=metrics))
        resident = harness.resident("metrics-1")
        await resident.act(("cmd", "start"))
        await resident.act(("cmd", "trogiup"))
        await resident.redeliver()  # re-delivered: handled (as a no-op), counted again
        # An update the engine cannot handle counts as failed: here a clock gone wrong (a
        # naive time, which storage refuses) makes the first write raise.
        clock = engine.clock
        engine.clock = lambda: clock().replace(tzinfo=None)
        broken = Incoming(
            user=UserRef("telegram", "metrics-broken"),
            chat_id="1",
            update_id="metrics-broken-1",
            event=Event.TEXT,
            received_at=clock(),
            text="xin chào",
        )
        with pytest.raises(StatementError, match="naive datetime"):
            await engine.handle(broken)
        engine.clock = clock
        outbox = OutboxStore(db)
        for number in range(2):
            await outbox.enqueue(
                key=f"metrics:{number}",
                channel="telegram",
                chat_id="1",
                text="x",
                due_at=engine.clock() + timedelta(days=1),
                now=engine.clock(),
            )
        # An update waiting in the inbox (of a channel this process does not serve).
        waiting = NewInboxItem("zalo_oa", "metrics-w", "zalo_oa:1", {}, engine.clock())
        await harness.inbox.store.add([waiting])
        async with harness.session.get(base + "/metrics") as reply:
            assert reply.status == 200
            assert reply.headers["Content-Type"].startswith("text/plain")
            scraped = samples(await reply.text())
        async with db.engine.begin() as conn:
            await conn.execute(text("DELETE FROM inbox"))
    finally:
        await harness.close()
    telegram = (("channel", "telegram"),)
    assert scraped[("ykien_updates_received_total", telegram)] == 4
    assert scraped[("ykien_updates_processed_total", telegram)] == 3
    assert scraped[("ykien_updates_failed_total", telegram)] == 1
    assert scraped[("ykien_update_seconds_count", telegram)] == 4
    assert scraped[("ykien_update_seconds_sum", telegram)] > 0
    assert scraped[("ykien_updates_in_flight", ())] == 0
    assert scraped[("ykien_outbox_backlog", ())] == 2
    assert scraped[("ykien_inbox_backlog", ())] == 1
