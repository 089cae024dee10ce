"""The retention job: raw personal data erased a configurable time after a case closes.

A closed case (đã đóng, không thuộc thẩm quyền) keeps its raw text for `days`; then the text and
its follow-ups are replaced by their redacted forms (phone and ID numbers, e-mail, bank accounts,
house addresses become [SĐT], [CCCD], …) and its photos and locations are dropped, so digests,
exports and counts keep working on what is left. Comments on a consultation keep only their
redacted text `days` after it closed. Runs in the scheduler's sweep, a bounded batch at a time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.scheduler import Planner, Scheduled
from config import cases as cases_config
from nlp.pii import redact
from storage.db import Database
from storage.outbox import OutboxStore

logger = logging.getLogger(__name__)
BATCH = 500


class RetentionPlanner(Planner):
    """Erases what fell due; plans no message."""

    def __init__(self, db: Database, days: int) -> None:
        self._db = db
        self._keep = timedelta(days=days)

    async def plan(self, since: datetime, now: datetime, outbox: OutboxStore) -> list[Scheduled]:
        """One batch of each kind of erasure, in one transaction, audited when it did any."""
        await self.erase(now)
        return []

    async def erase(self, now: datetime) -> tuple[int, int]:
        """(cases, comments) whose raw texts were erased now."""
        before = now - self._keep
        async with self._db.unit_of_work() as uow:
            due = await uow.submissions.due_for_retention(
                cases_config.RETENTION_STATUSES, before, BATCH
            )
            if due:
                await uow.submissions.erase_raw(
                    [(submission_id, redact(text)) for submission_id, text, _ in due],
                    [(fid, redact(text)) for _, _, followups in due for fid, text in followups],
                    now,
                )
            comments = await uow.consultations.erase_raw_before(before, now)
            if due or comments:
                await uow.audit.add(
                    actor="system",
                    action="retention.erased",
                    at=now,
                    details={"cases": len(due), "comments": comments, "days": self._keep.days},
                )
                await uow.commit()
                logger.info("retention: %d cases, %d comments erased", len(due), comments)
        return len(due), comments
