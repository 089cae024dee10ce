"""Digest figures aggregated in SQL, on SQLite and PostgreSQL, against hand-counted data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from storage import models
from storage.db import Database
from storage.digests import DigestQueries, DigestScope

OCT = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
NOW = datetime(2026, 11, 21, tzinfo=UTC)
_codes = iter(range(1, 10_000))


def _row(**fields: Any) -> dict[str, Any]:
    created = fields.pop("created_at", datetime(2026, 10, 5, tzinfo=UTC))
    return {
        "code": f"YK-T{next(_codes):05d}",
        "person_id": None,
        "kind": "phan_anh",
        "text": "Đường ngập",
        "channel": "telegram",
        "created_at": created,
        "updated_at": created,
        "status": "da_tiep_nhan",
        "locality_code": "26734",
        "locality_name": "Phường Bến Thành",
        "province_code": "79",
        "target_group": None,
        "topic": "giao_thong_ha_tang",
        "flags": [],
        "needs_review": False,
        "cluster_id": None,
        "answer_due_at": None,
        **fields,
    }


async def _seed(db: Database) -> None:
    at = datetime(2026, 10, 2, tzinfo=UTC)
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(models.Cluster),
            [
                {
                    "id": 1,
                    "scope": "2026-10:26734",
                    "size": 3,
                    "representative_submission_id": 1,
                    "created_at": at,
                    "updated_at": at,
                },
                {
                    "id": 2,
                    "scope": "2026-10:26734",
                    "size": 2,
                    "representative_submission_id": 4,
                    "created_at": at,
                    "updated_at": at,
                },
                {
                    "id": 3,
                    "scope": "2026-10:26734",
                    "size": 2,
                    "representative_submission_id": 6,
                    "created_at": at,
                    "updated_at": at,
                },
            ],
        )
        rows = [
            # cluster 1: three flood reports, one overdue
            _row(
                id=1,
                cluster_id=1,
                text="Đường Lê Lợi ngập, gọi 0912 345 678",
                answer_due_at=NOW - timedelta(days=1),
            ),
            _row(id=2, cluster_id=1, answer_due_at=NOW + timedelta(days=3)),
            _row(id=3, cluster_id=1, status="da_tra_loi", answer_due_at=NOW - timedelta(days=9)),
            # cluster 2: two land complaints in another commune
            _row(
                id=4,
                cluster_id=2,
                kind="khieu_nai",
                topic="dat_dai",
                locality_code="26737",
                locality_name="Phường Sài Gòn",
                target_group="nong_dan",
                text="Sổ đỏ chậm",
            ),
            _row(
                id=5,
                cluster_id=2,
                kind="khieu_nai",
                topic="dat_dai",
                locality_code="26737",
                locality_name="Phường Sài Gòn",
                target_group="nong_dan",
            ),
            # cluster 3: denunciations: counted, never shown as a problem
            _row(id=6, cluster_id=3, kind="to_cao", topic="hanh_chinh_can_bo"),
            _row(
                id=7,
                cluster_id=3,
                kind="gop_y",
                topic="hanh_chinh_can_bo",
                flags=[{"code": "xuc_pham", "evidence": []}],
            ),
            # outside the period, the province or both
            _row(id=8, created_at=datetime(2026, 9, 30, 23, 59, tzinfo=UTC)),
            _row(id=9, created_at=datetime(2026, 9, 12, tzinfo=UTC), topic="y_te"),
            _row(id=10, province_code="01", locality_code="00004", locality_name="Phường Ba Đình"),
            _row(id=11, created_at=datetime(2026, 11, 1, tzinfo=UTC)),
        ]
        await conn.execute(insert(models.Submission), rows)


async def test_counts_of_a_province_month(db: Database) -> None:
    await _seed(db)
    counts = await DigestQueries(db).counts(DigestScope(province_code="79"), *OCT, NOW)
    assert counts.total == 7
    assert counts.by_topic == {"giao_thong_ha_tang": 3, "dat_dai": 2, "hanh_chinh_can_bo": 2}
    assert counts.by_kind == {"phan_anh": 3, "khieu_nai": 2, "to_cao": 1, "gop_y": 1}
    assert counts.by_group == {None: 5, "nong_dan": 2}
    assert counts.by_locality == {"Phường Bến Thành": 5, "Phường Sài Gòn": 2}
    assert counts.sensitive == 2  # the denunciation and the insult
    assert counts.awaiting_answer == 6  # all but the answered one
    assert counts.overdue == 1  # awaiting and past due; the answered late one does not count


async def test_scope_by_commune_and_topic_and_the_previous_month(db: Database) -> None:
    await _seed(db)
    queries = DigestQueries(db)
    commune = await queries.counts(DigestScope(locality_codes=("26737",)), *OCT, NOW)
    assert (commune.total, dict(commune.by_topic)) == (2, {"dat_dai": 2})
    topic = await queries.counts(DigestScope("79", topics=("giao_thong_ha_tang",)), *OCT, NOW)
    assert topic.total == 3
    september = (datetime(2026, 9, 1, tzinfo=UTC), OCT[0])
    before = await queries.counts(DigestScope(province_code="79"), *september, NOW)
    assert dict(before.by_topic) == {"giao_thong_ha_tang": 1, "y_te": 1}
    empty = await queries.counts(DigestScope(province_code="48"), *OCT, NOW)
    assert (empty.total, empty.sensitive, dict(empty.by_topic)) == (0, 0, {})


async def test_top_clusters_leave_out_sensitive_ones_and_keep_their_order(db: Database) -> None:
    await _seed(db)
    clusters = await DigestQueries(db).top_clusters(DigestScope(province_code="79"), *OCT)
    assert [(c.cluster_id, c.size) for c in clusters] == [(1, 3), (2, 2)]
    assert clusters[0].text == "Đường Lê Lợi ngập, gọi 0912 345 678"  # raw: the caller redacts
    assert (clusters[1].topic, clusters[1].locality_name) == ("dat_dai", "Phường Sài Gòn")
    assert await DigestQueries(db).top_clusters(DigestScope(province_code="79"), *OCT, limit=1)


async def test_items_stream_every_row_of_the_period_in_batches(db: Database) -> None:
    await _seed(db)
    items = [
        item
        async for item in DigestQueries(db).items(
            DigestScope(province_code="79"), *OCT, batch_size=2
        )
    ]
    assert [i.code for i in items] == sorted(i.code for i in items)
    assert len(items) == 7
    flagged = [i for i in items if i.sensitive]
    assert len(flagged) == 2 and any(i.flags == ("xuc_pham",) for i in flagged)
    assert all(i.created_at.tzinfo is not None for i in items)


async def test_the_digest_uses_local_months_names_redaction_and_hides_sensitive_texts(
    db: Database,
) -> None:
    from zoneinfo import ZoneInfo

    from bot.digests import build_digest
    from config import taxonomy, texts
    from handlers.digest import Period

    await _seed(db)
    digest = await build_digest(
        db,
        DigestScope(province_code="79"),
        Period.month(2026, 10),
        unit_name="TP. Hồ Chí Minh",
        now=NOW,
        tz=ZoneInfo("Asia/Ho_Chi_Minh"),
    )
    # 23:59 UTC on 30 September is 06:59 on 1 October in Vietnam: it belongs to October.
    assert digest.total == 8
    assert digest.previous_total == 1  # 12 September
    top = digest.by_topic[0]
    assert (top.code, top.label, top.current, top.previous) == (
        "giao_thong_ha_tang",
        taxonomy.TOPICS["giao_thong_ha_tang"],
        4,
        0,
    )
    assert {row.code: row.previous for row in digest.by_topic}["y_te"] == 1
    assert digest.problems[0].text == "Đường Lê Lợi ngập, gọi [SĐT]"
    assert digest.problems[0].size == 3
    hidden = [item for item in digest.items if item.text == texts.DIGEST_HIDDEN_TEXT]
    assert sorted(item.kind for item in hidden) == ["gop_y", "to_cao"]
    assert all("0912" not in item.text for item in digest.items)
    assert [item.overdue for item in digest.items].count(True) == 1
    assert digest.sensitive == 2 and digest.overdue == 1
