"""Builds a `Digest` for a scope and period: SQL figures from storage, names from config,
personal data redacted, sensitive texts hidden."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from config import taxonomy, texts
from handlers.digest import CountRow, Digest, DigestItem, Period, Problem
from handlers.digest_text import digest_text
from handlers.ports import Clock
from handlers.roles import Scope
from nlp.pii import redact
from storage.db import Database
from storage.digests import DigestQueries, DigestScope, PeriodCounts
from storage.records import AWAITING_STATUSES

TOP_PROBLEMS = 5


def period_bounds(period: Period, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The period's local midnights, as aware datetimes (compared with UTC in the database)."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=tz)

    return midnight(period.start), midnight(period.end)


def _rows(
    current: Counter[str | None] | Counter[str],
    previous: Counter[str | None] | Counter[str],
    names: Mapping[str, str],
    missing: str,
) -> tuple[CountRow, ...]:
    """Every code seen in either period, largest first; unknown codes keep their code."""
    codes = set(current) | set(previous)
    rows = [
        CountRow(
            code=code or "",
            label=names.get(code, code) if code else missing,
            current=current.get(code, 0),  # type: ignore[arg-type]
            previous=previous.get(code, 0),  # type: ignore[arg-type]
        )
        for code in codes
    ]
    return tuple(sorted(rows, key=lambda row: (-row.current, -row.previous, row.label)))


async def build_digest(
    db: Database,
    scope: DigestScope,
    period: Period,
    *,
    unit_name: str,
    now: datetime,
    tz: ZoneInfo,
    with_items: bool = True,
) -> Digest:
    """The digest of `scope` over `period`, compared with the period before."""
    queries = DigestQueries(db)
    start, end = period_bounds(period, tz)
    before_start, before_end = period_bounds(period.previous(), tz)
    current: PeriodCounts = await queries.counts(scope, start, end, now)
    previous: PeriodCounts = await queries.counts(scope, before_start, before_end, now)
    problems = tuple(
        Problem(
            size=cluster.size,
            topic=cluster.topic,
            locality=cluster.locality_name,
            text=redact(cluster.text),
        )
        for cluster in await queries.top_clusters(scope, start, end, limit=TOP_PROBLEMS)
    )
    items: list[DigestItem] = []
    if with_items:
        async for row in queries.items(scope, start, end):
            waiting = row.status in AWAITING_STATUSES
            items.append(
                DigestItem(
                    code=row.code,
                    created_at=row.created_at.astimezone(tz),
                    kind=row.kind,
                    topic=row.topic,
                    locality=row.locality_name,
                    group=row.target_group,
                    status=row.status,
                    text=texts.DIGEST_HIDDEN_TEXT if row.sensitive else redact(row.text),
                    flags=row.flags,
                    due_at=row.answer_due_at.astimezone(tz) if row.answer_due_at else None,
                    answered_at=row.answered_at.astimezone(tz) if row.answered_at else None,
                    overdue=bool(waiting and row.answer_due_at and row.answer_due_at < now),
                    hidden=row.sensitive,
                )
            )
    return Digest(
        unit_name=unit_name,
        period=period,
        generated_at=now.astimezone(tz),
        total=current.total,
        previous_total=previous.total,
        by_topic=_rows(current.by_topic, previous.by_topic, taxonomy.TOPICS, texts.DIGEST_NO_TOPIC),
        by_kind=_rows(current.by_kind, previous.by_kind, taxonomy.KINDS, texts.DIGEST_NO_TOPIC),
        by_locality=_rows(current.by_locality, previous.by_locality, {}, texts.DIGEST_NO_LOCALITY),
        by_group=_rows(
            current.by_group, previous.by_group, taxonomy.TARGET_GROUPS, texts.DIGEST_NO_GROUP
        ),
        problems=problems,
        awaiting_answer=current.awaiting_answer,
        overdue=current.overdue,
        sensitive=current.sensitive,
        items=tuple(items),
        ratings=current.ratings,
        rating_average=current.rating_total / current.ratings if current.ratings else None,
    )


class ChatDigests:
    """The engine's `Digests` port: the SQL digest of a scope, rendered as chat text."""

    def __init__(self, db: Database, tz: ZoneInfo, clock: Clock) -> None:
        self.db, self.tz, self.clock = db, tz, clock

    async def text(self, scope: Scope, period: Period, unit_name: str) -> str:
        """The digest of `scope` over `period` as one chat message (channels split it)."""
        digest = await build_digest(
            self.db,
            DigestScope(
                province_code=scope.province_code,
                locality_codes=scope.locality_codes,
                topics=scope.topics,
            ),
            period,
            unit_name=unit_name,
            now=self.clock(),
            tz=self.tz,
            with_items=False,
        )
        return digest_text(digest)
