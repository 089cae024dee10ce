"""Submissions with moderators' label corrections, written straight into a test database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import insert, select

from storage import models
from storage.db import Database

START = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
_codes = count(1)


@dataclass(frozen=True)
class Corrected:
    """A submission's text and its corrections, oldest first: (field, before, after)."""

    text: str
    corrections: Sequence[tuple[str, str | None, str]]


async def seed_corrections(db: Database, items: Sequence[Corrected]) -> list[int]:
    """Store each item as a submission with its corrections a minute apart; returns the ids."""
    ids = []
    async with db.engine.begin() as conn:
        for item in items:
            code = f"YK-C{next(_codes):05d}"
            await conn.execute(
                insert(models.Submission).values(
                    code=code,
                    person_id=None,
                    kind="phan_anh",
                    text=item.text,
                    channel="telegram",
                    created_at=START,
                    updated_at=START,
                    status="da_tiep_nhan",
                    topic="khac",
                    flags=[],
                    needs_review=True,
                )
            )
            submission_id = (
                await conn.execute(
                    select(models.Submission.id).where(models.Submission.code == code)
                )
            ).scalar_one()
            ids.append(submission_id)
            for minute, (field, before, after) in enumerate(item.corrections, start=1):
                await conn.execute(
                    insert(models.LabelCorrection).values(
                        submission_id=submission_id,
                        field=field,
                        before=before,
                        after=after,
                        person_id=None,
                        created_at=START + timedelta(minutes=minute),
                    )
                )
    return ids
