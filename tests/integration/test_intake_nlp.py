"""The NLP wired into intake: labels, flags and cluster stored with each submission; receipts."""

from __future__ import annotations

import re

from config import taxonomy, texts
from handlers.intake import Engine
from storage.db import Database
from storage.records import SubmissionRecord
from tests.dialogue import Resident, receipt_code, receipt_pattern

FLOODED_ROAD = [
    "Đường Nguyễn Trãi đoạn trước chợ Bình Tây ngập sâu mỗi khi mưa, xe chết máy hàng loạt.",
    "duong nguyen trai truoc cho binh tay mua xuong la ngap toi dau goi, de nghi xu ly",
    "Mưa chiều nay đường Nguyễn Trãi chỗ chợ Bình Tây lại ngập sâu, nước tràn vào nhà.",
]


async def submit(
    engine: Engine,
    db: Database,
    who: str,
    text: str,
    *,
    kind: str = "phan_anh",
    locality: str | None = "phuong ben thanh",
) -> tuple[list[str], SubmissionRecord]:
    """One resident's whole submission; returns the receipt replies and the stored record."""
    resident = Resident(engine, who)
    await resident.act(("cmd", "start"))
    await resident.act(("press", "consent:yes"))
    await resident.act(("press", f"kind:{kind}"))
    await resident.act(("say", text))
    await resident.act(("press", "att:done"))
    if locality is None:
        await resident.act(("press", "loc:skip"))
    else:
        await resident.act(("say", locality))
    await resident.act(("press", "grp:skip"))
    replies = await resident.act(("press", "confirm:submit"))
    async with db.unit_of_work() as uow:
        stored = await uow.submissions.get_by_code(receipt_code(replies))
    assert stored is not None
    return replies, stored


async def test_labels_are_stored_and_the_receipt_names_the_field(
    engine: Engine, db: Database
) -> None:
    replies, stored = await submit(engine, db, "r1", FLOODED_ROAD[0])
    assert stored.topic == "giao_thong_ha_tang"
    assert re.fullmatch(receipt_pattern(stored.code, "giao_thong_ha_tang"), replies[0])
    assert stored.kind == "phan_anh"
    assert stored.predicted_kind in {**taxonomy.KINDS, **taxonomy.EXTRA_KINDS}
    assert 0.0 < (stored.topic_confidence or 0) <= 1.0
    assert 0.0 < (stored.kind_confidence or 0) <= 1.0
    assert stored.flags == []
    assert stored.cluster_id is not None


async def test_flags_are_stored_with_their_evidence(engine: Engine, db: Database) -> None:
    text = "Xin gọi lại cho tôi theo số 0903 123 456 về việc cấp sổ đỏ bị chậm."
    _, stored = await submit(engine, db, "r2", text, kind="to_cao", locality=None)
    codes = [flag["code"] for flag in stored.flags]
    assert codes.count("pii") == 1 and "to_cao" in codes
    (pii,) = [flag for flag in stored.flags if flag["code"] == "pii"]
    evidence = pii["evidence"][0]
    assert text[evidence["start"] : evidence["end"]] == "0903 123 456"
    assert evidence["source"].startswith("pii:")


async def test_an_emergency_gets_the_emergency_numbers_first(engine: Engine, db: Database) -> None:
    text = "Cứu với, nhà số 5 hẻm 12 đang cháy lớn, khói đen mù mịt, có người bị kẹt bên trong!"
    replies, stored = await submit(engine, db, "r3", text, locality=None)
    assert "khan_cap" in [flag["code"] for flag in stored.flags]
    assert replies[0].startswith(texts.EMERGENCY_ADVICE)
    _, ordinary = await submit(engine, db, "r4", FLOODED_ROAD[0], locality=None)
    assert "khan_cap" not in [flag["code"] for flag in ordinary.flags]


async def test_residents_reporting_one_problem_share_a_cluster(
    engine: Engine, db: Database
) -> None:
    stored = [
        (await submit(engine, db, f"flood-{n}", text))[1] for n, text in enumerate(FLOODED_ROAD)
    ]
    assert len({s.cluster_id for s in stored}) == 1
    _, other = await submit(engine, db, "light", "Đèn đường hẻm 40 Lê Lợi tắt cả tuần nay.")
    assert other.cluster_id != stored[0].cluster_id
    # the same words elsewhere (no commune given) are another cluster
    _, elsewhere = await submit(engine, db, "far", FLOODED_ROAD[0], locality=None)
    assert elsewhere.cluster_id != stored[0].cluster_id
    async with db.unit_of_work() as uow:
        assert stored[0].cluster_id is not None
        cluster = await uow.clusters.get(stored[0].cluster_id)
    assert cluster is not None
    assert cluster.size == 3
    assert cluster.representative_submission_id == stored[0].id
    assert cluster.representative_text == FLOODED_ROAD[0]
