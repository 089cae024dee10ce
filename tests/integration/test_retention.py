"""The retention job on SQLite and PostgreSQL: a case closed longer ago than the retention keeps
only its redacted text (and follow-ups), loses its photos, and is counted as before; recent and
open cases, and open consultations, keep everything; a second run does nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.retention import RetentionPlanner
from config import cases as config
from handlers.consultation_setup import create_consultation
from handlers.sections import split_text
from storage import models
from storage.consultation_records import NewConsultation
from storage.db import Database
from storage.records import AttachmentRecord
from tests.integration.test_answers import submit
from tests.integration.test_roles_chat import audit

NOW = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)
RAW = "Đường Lê Lợi ngập nước mỗi khi mưa, gọi tôi 0912 345 678."
PHOTO = AttachmentRecord(kind="photo", file_id="photo-1", width=800)


async def close(db: Database, code: str, status: str, at: datetime) -> None:
    async with db.unit_of_work() as uow:
        submission = await uow.submissions.get_by_code(code)
        assert submission is not None
        assert await uow.cases.change_status(
            submission.id, before=submission.status, after=status, at=at
        )
        await uow.cases.add_followup(
            submission.id, person_id=submission.person_id or 0, text="Bổ sung: 0988 111 222.", at=at
        )
        await uow.commit()


async def case(db: Database, code: str) -> tuple[str, bool, list[str], int]:
    """(text, whether erased, follow-up texts, attachments)."""
    async with db.unit_of_work() as uow:
        submission = await uow.submissions.get_by_code(code)
        assert submission is not None
        row = await uow.session.get(models.Submission, submission.id)
        assert row is not None
        followups = [f.text for f in await uow.cases.followups(submission.id)]
        photos = await uow.session.scalar(
            select(func.count())
            .select_from(models.Attachment)
            .where(models.Attachment.submission_id == submission.id)
        )
        return row.text, row.raw_erased_at is not None, followups, int(photos or 0)


async def test_raw_texts_go_a_retention_after_the_close(db: Database) -> None:
    old_closed = await submit(db, external_id="r1", text=RAW, attachments=(PHOTO,))
    old_refused = await submit(db, external_id="r2", text=RAW)
    recent = await submit(db, external_id="r3", text=RAW, attachments=(PHOTO,))
    still_open = await submit(db, external_id="r4", text=RAW)
    long_ago = NOW - timedelta(days=400)
    await close(db, old_closed, config.CLOSED, long_ago)
    await close(db, old_refused, config.NOT_COMPETENT, long_ago)
    await close(db, recent, config.CLOSED, NOW - timedelta(days=10))
    async with db.unit_of_work() as uow:
        for ends, text in (
            (long_ago, "Tôi đồng ý, gọi 0912 345 678."),
            (NOW, "Đồng ý 0912 345 678."),
        ):
            consultation = await create_consultation(
                uow,
                NewConsultation(
                    title="Dự thảo X",
                    issuer="Ủy ban MTTQ",
                    unit_code=None,
                    opens_at=ends - timedelta(days=30),
                    closes_at=ends + timedelta(days=1),
                    created_by="test",
                ),
                split_text("Điều 1. Phạm vi\nNội dung.").sections,
                ends - timedelta(days=30),
                whole_label="Toàn văn",
            )
            person = await uow.people.add(
                pseudonym=f"ND-{consultation.id}",
                channel="test",
                external_id=f"c{consultation.id}",
                consent_version="v",
                at=ends,
            )
            sections = await uow.consultations.sections(consultation.id)
            await uow.consultations.put_comment(
                consultation_id=consultation.id,
                section_id=sections[1].id,
                person_id=person.id,
                stance="tan_thanh",
                text=text,
                redacted=text.replace("0912 345 678", "[SĐT]"),
                flags=("pii",),
                restricted=False,
                target_group=None,
                unit_code=None,
                channel="test",
                at=ends,
            )
        await uow.commit()

    planner = RetentionPlanner(db, days=365)
    assert await planner.erase(NOW) == (2, 1)

    for code in (old_closed, old_refused):
        text, erased, followups, photos = await case(db, code)
        assert erased and "0912" not in text and "[SĐT]" in text
        assert text.startswith("Đường Lê Lợi ngập nước mỗi khi mưa")
        assert followups == ["Bổ sung: [SĐT]."] and photos == 0
    assert await case(db, recent) == (RAW, False, ["Bổ sung: 0988 111 222."], 1)
    assert (await case(db, still_open))[:2] == (RAW, False)
    async with db.unit_of_work() as uow:
        comments = list(
            await uow.session.execute(
                select(
                    models.ConsultationComment.text, models.ConsultationComment.redacted
                ).order_by(models.ConsultationComment.id)
            )
        )
        counted = await uow.session.scalar(select(func.count()).select_from(models.Submission))
    assert [tuple(row) for row in comments] == [
        (None, "Tôi đồng ý, gọi [SĐT]."),
        ("Đồng ý 0912 345 678.", "Đồng ý [SĐT]."),
    ]
    assert counted == 4
    [entry] = [row for row in await audit(db) if row[1] == "retention.erased"]
    assert entry[3] == {"cases": 2, "comments": 1, "days": 365}
    # Done once: a second run finds nothing and writes nothing.
    assert await planner.erase(NOW + timedelta(minutes=1)) == (0, 0)
    assert len([row for row in await audit(db) if row[1] == "retention.erased"]) == 1
