"""Moderators' corrections read back as training examples, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from storage import models
from storage.corrections import CorrectedLabel, corrected_labels, iter_corrected_labels
from storage.db import Database
from tests.corrections_data import START, Corrected, seed_corrections

ERASED = "[erased]"


async def _labels(db: Database, batch_size: int = 2000) -> list[CorrectedLabel]:
    return await corrected_labels(db, erased_placeholder=ERASED, batch_size=batch_size)


async def test_the_latest_correction_per_submission_and_field_wins(db: Database) -> None:
    await seed_corrections(
        db,
        [
            Corrected(
                "Rác ùn ứ đầu hẻm",
                [
                    ("topic", "khac", "giao_thong_ha_tang"),
                    ("kind", "phan_anh", "gop_y"),
                    ("topic", "giao_thong_ha_tang", "moi_truong"),
                ],
            ),
            Corrected("Xin hỏi lịch tiêm chủng", [("kind", "phan_anh", "hoi_dap")]),
        ],
    )
    assert sorted(await _labels(db), key=lambda c: (c.text, c.field)) == [
        CorrectedLabel("Rác ùn ứ đầu hẻm", "kind", "gop_y"),
        CorrectedLabel("Rác ùn ứ đầu hẻm", "topic", "moi_truong"),
        CorrectedLabel("Xin hỏi lịch tiêm chủng", "kind", "hoi_dap"),
    ]


async def test_latest_is_by_time_then_by_id(db: Database) -> None:
    (first, second) = await seed_corrections(
        db, [Corrected("Đèn đường tắt", []), Corrected("Cống tắc", [])]
    )
    rows = [
        # A row written later (higher id) but dated earlier does not win ...
        (first, "dien_nuoc_vien_thong", START + timedelta(minutes=5)),
        (first, "giao_thong_ha_tang", START + timedelta(minutes=1)),
        # ... and of two corrections in the same instant, the later row does.
        (second, "moi_truong", START),
        (second, "giao_thong_ha_tang", START),
    ]
    async with db.engine.begin() as conn:
        for submission_id, after, at in rows:
            await conn.execute(
                insert(models.LabelCorrection).values(
                    submission_id=submission_id, field="topic", after=after, created_at=at
                )
            )
    assert {c.text: c.label for c in await _labels(db)} == {
        "Đèn đường tắt": "dien_nuoc_vien_thong",
        "Cống tắc": "giao_thong_ha_tang",
    }


async def test_erased_and_empty_texts_are_left_out(db: Database) -> None:
    await seed_corrections(
        db,
        [
            Corrected(ERASED, [("topic", "khac", "dat_dai")]),
            Corrected("", [("topic", "khac", "dat_dai")]),
            Corrected("  \n ", [("kind", "phan_anh", "gop_y")]),
            Corrected("Sổ đỏ chậm cấp", [("topic", "khac", "dat_dai")]),
        ],
    )
    assert await _labels(db) == [CorrectedLabel("Sổ đỏ chậm cấp", "topic", "dat_dai")]


async def test_many_corrections_stream_in_batches_in_order(db: Database) -> None:
    items = [Corrected(f"Ý kiến số {n}", [("topic", "khac", "van_hoa_xa_hoi")]) for n in range(7)]
    items[3] = Corrected("Ý kiến số 3", [("topic", "khac", "y_te"), ("topic", "y_te", "giao_duc")])
    await seed_corrections(db, items)
    streamed = [c async for c in iter_corrected_labels(db, erased_placeholder=ERASED, batch_size=2)]
    assert [c.text for c in streamed] == [f"Ý kiến số {n}" for n in range(7)]
    assert streamed[3].label == "giao_duc"
    assert await _labels(db, batch_size=3) == streamed
