"""Near-duplicate clusters in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import func, select, text

from nlp.duplicates import SIMILAR, band_keys, cluster_scope, signature, similarity
from storage import models
from storage.db import Database, alembic_config
from storage.records import AttachmentRecord, ClusterRecord, NewSubmission
from tests.unit.test_duplicates import OTHER_PROBLEMS, PARAPHRASES

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
NOVEMBER = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
_codes = itertools.count(1)


async def _person(db: Database, external_id: str = "resident") -> int:
    async with db.unit_of_work() as uow:
        person = await uow.people.add(
            pseudonym=f"ND-{external_id}",
            channel="test",
            external_id=external_id,
            consent_version="v1",
            at=NOVEMBER,
        )
        await uow.commit()
    return person.id


async def _submit(
    db: Database,
    person_id: int,
    body: str,
    *,
    locality: str | None = "26734",
    at: datetime = NOVEMBER,
    pause: float = 0.0,
) -> ClusterRecord:
    """Store a submission and cluster it in one unit of work, as the intake does."""
    async with db.unit_of_work() as uow:
        stored = await uow.submissions.add(
            NewSubmission(
                code=f"YK-{next(_codes):06d}",
                person_id=person_id,
                kind="phan_anh",
                text=body,
                channel="test",
                created_at=at,
                status="da_tiep_nhan",
                locality_code=locality,
                province_code="79",
                attachments=(AttachmentRecord(kind="photo", file_id="f"),),
            )
        )
        sig = signature(body)
        cluster = await uow.clusters.assign(
            submission_id=stored.id,
            scope=cluster_scope(locality, "79", at.astimezone(VIETNAM).date()),
            signature=sig,
            band_keys=band_keys(sig),
            similarity=similarity,
            threshold=SIMILAR,
            at=at,
        )
        await asyncio.sleep(pause)  # hold the transaction open (concurrency tests)
        await uow.commit()
    return cluster


async def test_thirty_paraphrases_make_one_cluster_and_other_problems_their_own(
    db: Database,
) -> None:
    person = await _person(db)
    flood = [await _submit(db, person, body) for body in PARAPHRASES]
    others = [await _submit(db, person, body) for body in OTHER_PROBLEMS]

    assert {c.id for c in flood} == {flood[0].id}
    assert [c.size for c in flood] == list(range(1, 31))
    assert flood[-1].representative_text == PARAPHRASES[0]
    assert flood[0].id not in {c.id for c in others}
    assert others[3].id == others[4].id  # the two reports about Lê Lợi
    assert len({c.id for c in others}) == len(OTHER_PROBLEMS) - 1

    async with db.unit_of_work() as uow:
        listed = await uow.clusters.list_in_scope("2026-11:26734")
        assert [(c.size, c.representative_text) for c in listed] == [
            (30, PARAPHRASES[0]),
            (2, OTHER_PROBLEMS[3]),
        ]
        assert len(await uow.clusters.list_in_scope("2026-11:26734", min_size=1)) == 9
        assert await uow.clusters.list_in_scope("2026-11:26734", min_size=1, limit=1) == [listed[0]]
        assert await uow.clusters.get(flood[0].id) == listed[0]
        assert await uow.clusters.get(10**9) is None
        members = await uow.submissions.list_by_person(person)
    assert [m.cluster_id for m in members[:30]] == [flood[0].id] * 30
    async with db.engine.connect() as conn:
        first = await conn.scalar(
            select(models.Cluster.representative_submission_id).where(
                models.Cluster.id == flood[0].id
            )
        )
        stored = await conn.scalar(
            select(func.count())
            .select_from(models.Submission)
            .where(models.Submission.signature.is_not(None))
        )
    assert first == members[0].id
    assert stored == len(PARAPHRASES) + len(OTHER_PROBLEMS)


async def test_the_same_problem_elsewhere_or_another_month_is_another_cluster(
    db: Database,
) -> None:
    person = await _person(db)
    here = await _submit(db, person, PARAPHRASES[0])
    again = await _submit(db, person, PARAPHRASES[1], at=NOVEMBER + timedelta(days=3))
    other_commune = await _submit(db, person, PARAPHRASES[1], locality="26737")
    next_month = await _submit(db, person, PARAPHRASES[1], at=NOVEMBER + timedelta(days=11))
    no_commune = await _submit(db, person, PARAPHRASES[1], locality=None)
    assert again.id == here.id and again.size == 2
    assert len({here.id, other_commune.id, next_month.id, no_commune.id}) == 4
    assert (other_commune.scope, next_month.scope) == ("2026-11:26737", "2026-12:26734")
    assert no_commune.scope == "2026-11:79"


async def test_assign_is_idempotent(db: Database) -> None:
    person = await _person(db)
    first = await _submit(db, person, PARAPHRASES[0])
    async with db.unit_of_work() as uow:
        submission = (await uow.submissions.list_by_person(person))[0]
        sig = signature(PARAPHRASES[5])
        again = await uow.clusters.assign(
            submission_id=submission.id,
            scope="2026-11:elsewhere",
            signature=sig,
            band_keys=band_keys(sig),
            similarity=similarity,
            threshold=SIMILAR,
            at=NOVEMBER,
        )
        assert again == first
        with pytest.raises(LookupError):
            await uow.clusters.assign(
                submission_id=10**9,
                scope="x",
                signature=sig,
                band_keys=band_keys(sig),
                similarity=similarity,
                threshold=SIMILAR,
                at=NOVEMBER,
            )


async def test_erasure_clears_signatures_and_keeps_counts(db: Database) -> None:
    resident, neighbour = await _person(db, "a"), await _person(db, "b")
    cluster = await _submit(db, resident, PARAPHRASES[0])
    await _submit(db, neighbour, PARAPHRASES[1])
    async with db.unit_of_work() as uow:
        await uow.submissions.anonymise_person(resident, "[đã xoá]", NOVEMBER)
        await uow.commit()
    async with db.unit_of_work() as uow:
        after = await uow.clusters.get(cluster.id)
    assert after is not None and after.size == 2 and after.representative_text == "[đã xoá]"
    async with db.engine.connect() as conn:
        signatures = (
            await conn.execute(
                select(models.Submission.text, models.Submission.signature).order_by(
                    models.Submission.id
                )
            )
        ).all()
    assert signatures[0] == ("[đã xoá]", None)
    assert signatures[1][1] is not None
    # The neighbour's signature still draws later reports into the cluster.
    joined = await _submit(db, neighbour, PARAPHRASES[23])
    assert joined.id == cluster.id and joined.size == 3


async def test_keys_of_past_months_can_be_forgotten(db: Database) -> None:
    person = await _person(db)
    november = await _submit(db, person, PARAPHRASES[0])
    december = await _submit(db, person, PARAPHRASES[0], at=NOVEMBER + timedelta(days=11))
    async with db.unit_of_work() as uow:
        assert await uow.clusters.forget_keys("2026-12") == len(
            band_keys(signature(PARAPHRASES[0]))
        )
        await uow.commit()
    async with db.unit_of_work() as uow:
        kept = await uow.clusters.get(november.id)
    assert kept is not None and kept.size == 1  # the cluster stays, it only takes no newcomers
    assert (await _submit(db, person, PARAPHRASES[1])).id != november.id
    later = NOVEMBER + timedelta(days=12)
    assert (await _submit(db, person, PARAPHRASES[1], at=later)).id == december.id


async def test_signatures_of_another_size_are_ignored(db: Database) -> None:
    """After a change of signature parameters, old members are not compared (nor crash)."""
    person = await _person(db)
    old = await _submit(db, person, PARAPHRASES[0])
    async with db.engine.begin() as conn:
        await conn.execute(models.Submission.__table__.update().values(signature=b"\0" * 256))
    new = await _submit(db, person, PARAPHRASES[0])
    assert new.id != old.id and new.size == 1


async def test_concurrent_units_of_work_never_lose_a_count(db: Database) -> None:
    """Several processes add reports of one problem at once: every one is counted."""
    if db.is_sqlite:
        pytest.skip("SQLite serves one process; its units of work are serialised")
    person = await _person(db)
    seed = await _submit(db, person, PARAPHRASES[0])
    second = Database(db.url)  # another process's connection pool
    try:
        results = await asyncio.gather(
            *(
                _submit(where, person, PARAPHRASES[i % 2 * 19], pause=0.05)
                for i, where in enumerate([db, second] * 6)
            )
        )
    finally:
        await second.dispose()
    assert {c.id for c in results} == {seed.id}
    async with db.unit_of_work() as uow:
        final = await uow.clusters.get(seed.id)
    async with db.engine.connect() as conn:
        members = await conn.scalar(
            select(func.count())
            .select_from(models.Submission)
            .where(models.Submission.cluster_id == seed.id)
        )
    assert final is not None and final.size == members == 13
    assert sorted(c.size for c in results) == list(range(2, 14))


async def test_upgrading_and_downgrading_keeps_submissions_and_attachments(
    db: Database,
) -> None:
    """0002 alters `submissions`; on SQLite a careless copy would cascade to attachments."""

    def migrate(connection, config, revision: str, down: bool) -> None:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    person = await _person(db)
    cluster = await _submit(db, person, PARAPHRASES[0])
    async with db.engine.begin() as conn:
        await conn.run_sync(migrate, alembic_config(db.url), "0001", True)
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM attachments"))).scalar() == 1
        assert (await conn.execute(text("SELECT cluster_id FROM submissions"))).scalar() is None
    async with db.engine.begin() as conn:
        await conn.run_sync(migrate, alembic_config(db.url), "head", False)
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM attachments"))).scalar() == 1
    async with db.unit_of_work() as uow:
        assert await uow.clusters.list_in_scope(cluster.scope, min_size=1) == []
        stored = (await uow.submissions.list_by_person(person))[0]
    assert stored.cluster_id is None
    again = await _submit(db, person, PARAPHRASES[1])
    assert again.size == 1  # the old clustering is gone; new reports start afresh
