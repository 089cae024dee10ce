"""Moderators' label corrections as training examples: the latest one per submission and field.

The texts are residents' words: they are read here for training and never written elsewhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased

from storage import models
from storage.db import Database

C = models.LabelCorrection
S = models.Submission


@dataclass(frozen=True)
class CorrectedLabel:
    """A submission's text with the label a moderator gave it for one field (topic or kind)."""

    text: str
    field: str
    label: str


async def iter_corrected_labels(
    db: Database, *, erased_placeholder: str, batch_size: int = 2000
) -> AsyncIterator[CorrectedLabel]:
    """Stream the latest correction per (submission, field), in batches by correction id.

    Texts erased at the resident's request (``erased_placeholder``) and empty texts are left out.
    """
    newer = aliased(C)
    # "Latest" is by time, then id (two corrections in the same instant: the later row wins).
    superseded = exists().where(
        newer.submission_id == C.submission_id,
        newer.field == C.field,
        or_(
            newer.created_at > C.created_at,
            and_(newer.created_at == C.created_at, newer.id > C.id),
        ),
    )
    last_id = 0
    while True:
        stmt = (
            select(C.id, C.field, C.after, S.text)
            .join(S, S.id == C.submission_id)
            .where(C.id > last_id, ~superseded, S.text != erased_placeholder, S.text != "")
            .order_by(C.id)
            .limit(batch_size)
        )
        async with db.engine.connect() as conn:
            rows = list(await conn.execute(stmt))
        if not rows:
            return
        for row in rows:
            if row.text.strip():
                yield CorrectedLabel(text=row.text, field=row.field, label=row.after)
        last_id = rows[-1].id


async def corrected_labels(
    db: Database, *, erased_placeholder: str, batch_size: int = 2000
) -> list[CorrectedLabel]:
    """Every latest correction with its text (see `iter_corrected_labels`), oldest first."""
    return [
        label
        async for label in iter_corrected_labels(
            db, erased_placeholder=erased_placeholder, batch_size=batch_size
        )
    ]
