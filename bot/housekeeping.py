"""The housekeeping job: rows that only serve for a while are dropped once they cannot serve.

- The key of each processed update (`inbound_updates`) makes a re-delivery a no-op. Telegram
  and Zalo re-deliver for hours, not days: keys older than UPDATE_KEYS_KEPT go, a bounded batch
  per sweep, so the table stays the size of a week's traffic.
- Duplicate grouping looks for candidates in the current month's scope only; the band keys of
  months before the previous one go (clusters, sizes and memberships stay).

Runs in the scheduler's sweep, like the retention job. Nothing here is personal data.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, tzinfo

from bot.scheduler import Planner, Scheduled
from storage.db import Database
from storage.outbox import OutboxStore

logger = logging.getLogger(__name__)
UPDATE_KEYS_KEPT = timedelta(days=7)
BATCH = 5000


class HousekeepingPlanner(Planner):
    """Prunes processed-update keys and past months' band keys; plans no message."""

    def __init__(self, db: Database, display_tz: tzinfo) -> None:
        self._db = db
        self._tz = display_tz

    async def plan(self, since: datetime, now: datetime, outbox: OutboxStore) -> list[Scheduled]:
        """One batch of pruning, in one transaction."""
        await self.tidy(now)
        return []

    async def tidy(self, now: datetime) -> tuple[int, int]:
        """(update keys, band keys) dropped now."""
        local = now.astimezone(self._tz).date().replace(day=1)
        previous_month = (local - timedelta(days=1)).replace(day=1)
        async with self._db.unit_of_work() as uow:
            updates = await uow.updates.forget_before(now - UPDATE_KEYS_KEPT, BATCH)
            keys = await uow.clusters.forget_keys(f"{previous_month:%Y-%m}")
            await uow.commit()
        if updates or keys:
            logger.info("housekeeping: %d update keys, %d band keys dropped", updates, keys)
        return updates, keys
