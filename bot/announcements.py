"""Announcements of consultations: queued once to every resident who opted in with /dangky
for a place the consultation is meant for (or for every place)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.scheduler import Planner, Scheduled
from config import consultation_chat as chat
from config import texts
from handlers.consultations import (
    OPEN_PREFIX,
    announcement_scopes,
    audience_phrase,
    reaches,
)
from storage.consultation_records import ConsultationRecord
from storage.db import Database
from storage.outbox import OutboxStore
from storage.records import UnitRecord

logger = logging.getLogger(__name__)
SUBSCRIBERS_PER_QUERY = 1000


class AnnouncementPlanner(Planner):
    """On each sweep, queues the announcement of every consultation that has opened.

    Unlike the digest planners it queues the messages itself, with a "Góp ý ngay" button, in
    the transaction that marks the consultation announced: a second scheduler, or a crash
    half-way, can neither announce twice nor leave a subscriber out. The outbox then sends
    them through each channel's rate-limited sender.
    """

    def __init__(self, db: Database, tz: tzinfo) -> None:
        self._db = db
        self._tz = tz

    async def plan(self, since: datetime, now: datetime, outbox: OutboxStore) -> list[Scheduled]:
        """Queue what is due (see the class); nothing is returned for the sweep to queue."""
        async with self._db.unit_of_work() as uow:
            due = await uow.consultations.due_announcements(now)
        for consultation in due:
            await self.announce(consultation, now)
        return []

    async def announce(self, consultation: ConsultationRecord, now: datetime) -> int:
        """Queue one consultation's announcement to every subscriber it reaches; how many."""
        buttons = [[(chat.BUTTON_ANNOUNCEMENT, f"{OPEN_PREFIX}{consultation.id}")]]
        queued = 0
        async with self._db.unit_of_work() as uow:
            if not await uow.consultations.claim_announcement(consultation.id, now):
                return 0
            units = await uow.units.list_all()
            text = self.text(consultation, units)
            scopes = announcement_scopes(consultation, units)
            after = 0
            while batch := await uow.consultations.subscribers(
                after_id=after, limit=SUBSCRIBERS_PER_QUERY
            ):
                for subscriber in batch:
                    if not reaches(subscriber.place, scopes):
                        continue
                    queued += await uow.outbox.enqueue(
                        key=f"gy:{consultation.id}:ann:{subscriber.person_id}",
                        channel=subscriber.channel,
                        chat_id=subscriber.chat_id,
                        text=text,
                        due_at=now,
                        now=now,
                        buttons=buttons,
                        subject=f"gy:{consultation.id}",
                    )
                after = batch[-1].person_id
            await uow.audit.add(
                actor="system",
                action="consultation.announced",
                subject=f"consultation:{consultation.id}",
                at=now,
                details={"recipients": queued},
            )
            await uow.commit()
        logger.info("consultation %s announced to %d subscribers", consultation.id, queued)
        return queued

    def text(self, consultation: ConsultationRecord, units: Sequence[UnitRecord]) -> str:
        """The announcement as residents read it: the officer's text, who asks, and for whom."""
        names = {unit.code: unit.name for unit in units}
        return chat.ANNOUNCEMENT.format(
            title=consultation.title,
            announcement=consultation.announcement or "",
            issuer=consultation.issuer,
            audience=audience_phrase(consultation, names),
            closes=consultation.closes_at.astimezone(self._tz).strftime(texts.DATETIME_FORMAT),
            id=consultation.id,
        )
