"""The synthesis report delivered when a consultation closes: written once, then sent with its
Word and Excel files to the issuing unit's officers (to the admins when no unit issued it)."""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from pathlib import Path

from bot.consultation_cli import write_report
from bot.scheduler import Planner, Scheduled
from config import consultation_chat as chat
from config import texts
from storage.consultation_records import ConsultationRecord
from storage.db import Database
from storage.outbox import OutboxStore
from storage.records import PersonRecord

logger = logging.getLogger(__name__)


class SynthesisPlanner(Planner):
    """Plans, for every consultation that closed in the window, its synthesis to each recipient.

    The files are written only when someone still lacks the message (a restart within the
    scheduler's grace re-plans and finds every key in the outbox), into
    `<reports>/consultation-ID/`, and travel as the message's files like the digests' reports.
    """

    def __init__(self, db: Database, tz: tzinfo, reports_dir: Path) -> None:
        self._db = db
        self._tz = tz
        self._reports_dir = reports_dir

    async def plan(self, since: datetime, now: datetime, outbox: OutboxStore) -> list[Scheduled]:
        """The synthesis messages of the consultations closed in (since, now]."""
        async with self._db.unit_of_work() as uow:
            closed = await uow.consultations.closed_between(since, now)
            staff = await uow.people.list_staff() if closed else []
        planned: list[Scheduled] = []
        for consultation in closed:
            keys = [
                (f"gy:{consultation.id}:synthesis:{p.channel}:{p.external_id}", p)
                for p in _recipients(consultation, staff)
            ]
            waiting = [(key, person) for key, person in keys if not await outbox.has(key)]
            if not waiting:
                continue
            docx, xlsx, count = await write_report(
                self._db,
                consultation.id,
                self._reports_dir / f"consultation-{consultation.id}",
                self._tz,
            )
            text = self._text(consultation, count)
            planned += [
                Scheduled(
                    key, person.channel, person.external_id, text, now, (str(docx), str(xlsx))
                )
                for key, person in waiting
            ]
            logger.info(
                "synthesis of consultation %s for %d recipients", consultation.id, len(waiting)
            )
        return planned

    def _text(self, consultation: ConsultationRecord, count: int) -> str:
        due = consultation.report_due.strftime("%d/%m/%Y") if consultation.report_due else None
        return chat.SYNTHESIS_READY.format(
            id=consultation.id,
            title=consultation.title,
            closes=consultation.closes_at.astimezone(self._tz).strftime(texts.DATETIME_FORMAT),
            count=count,
            due=chat.SYNTHESIS_DUE.format(due=due) if due else "",
        )


def _recipients(consultation: ConsultationRecord, staff: list[PersonRecord]) -> list[PersonRecord]:
    """The issuing unit's officers; the admins when there is no unit or it has no officer."""
    officers = [
        person
        for person in staff
        if person.role == "officer" and person.unit_code == consultation.unit_code
    ]
    if consultation.unit_code and officers:
        return officers
    return [person for person in staff if person.role == "admin"]
