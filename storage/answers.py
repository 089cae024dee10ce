"""Officers' answers, the outbox as seen from inside a unit of work, text search, and the
answer-deadline figures the reminder planner needs (aggregated in SQL).

Storage must not import the NLP, so the search folds texts in SQL with its own table of
Vietnamese letters: the caller passes words already folded (lower case, no diacritics).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models
from storage.records import AWAITING_STATUSES

if TYPE_CHECKING:  # storage.digests imports storage.db, which imports the repositories
    from storage.db import Database
    from storage.digests import DigestScope

S = models.Submission

# Who may read a text: the same rule as storage.digests (a denunciation, or these flags).


@dataclass(frozen=True)
class AnswerRecord:
    """A stored answer."""

    id: int
    submission_id: int
    person_id: int | None
    text: str
    created_at: datetime


def _vietnamese_folding() -> tuple[str, str]:
    """Every Vietnamese letter with a diacritic (both cases) and its plain lower-case letter.

    Combining marks (text typed in decomposed form) come last and fold to nothing.
    """
    tones = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
    source: list[str] = []
    target: list[str] = []
    for base in "aăâeêioôơuưy":
        plain = unicodedata.normalize("NFD", base)[0]
        forms = [base] + [unicodedata.normalize("NFC", base + tone) for tone in tones]
        for form in forms:
            for cased in (form, form.upper()):
                if not cased.isascii() and len(cased) == 1 and cased not in source:
                    source.append(cased)
                    target.append(plain)
    source += ["đ", "Đ"]
    target += ["d", "d"]
    marks = "".join((*tones, "\u0302", "\u0306", "\u031b"))
    return "".join(source) + marks, "".join(target)


FOLD_FROM, FOLD_TO = _vietnamese_folding()


_FOLD_TABLE = {
    ord(char): FOLD_TO[index : index + 1] or None for index, char in enumerate(FOLD_FROM)
}
SQLITE_FOLD_FUNCTION = "ykien_fold"


def fold_text(value: str | None) -> str | None:
    """`value` in lower case without Vietnamese diacritics (SQLite's fold, in Python)."""
    return None if value is None else value.translate(_FOLD_TABLE).lower()


def folded(column: Any, dialect: str) -> Any:
    """`column` in lower case without Vietnamese diacritics, as an SQL expression.

    PostgreSQL has translate(); SQLite calls `fold_text`, registered by `prepare_folding` (its
    lower() only knows ASCII, and ~150 nested replace() calls overflow its parser). Both scan
    the scope's rows.
    """
    if dialect == "postgresql":
        return func.lower(func.translate(column, FOLD_FROM, FOLD_TO))
    return getattr(func, SQLITE_FOLD_FUNCTION)(column)


def _register_fold(connection: Connection) -> None:
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    dbapi.create_function(SQLITE_FOLD_FUNCTION, 1, fold_text, deterministic=True)


async def prepare_folding(session: AsyncSession) -> None:
    """Give the session's SQLite connection the folding function (PostgreSQL needs nothing)."""
    if session.bind.dialect.name == "sqlite":
        connection = await session.connection()
        await connection.run_sync(_register_fold)


def scope_conditions(
    province_code: str | None, locality_codes: Sequence[str], topics: Sequence[str]
) -> list[Any]:
    """The digest's scope filter (see storage.digests.DigestScope)."""
    conditions: list[Any] = []
    if province_code:
        conditions.append(S.province_code == province_code)
    if locality_codes:
        conditions.append(S.locality_code.in_(tuple(locality_codes)))
    if topics:
        conditions.append(S.topic.in_(tuple(topics)))
    return conditions


class SqlAnswers:
    """Answers to submissions, in the unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, *, submission_id: int, person_id: int | None, text: str, at: datetime
    ) -> int:
        """Store an answer; returns its id. The status change that goes with it is the
        caller's (storage.cases.SqlCases.change_status), so each answer is one change."""
        row = models.Answer(
            submission_id=submission_id, person_id=person_id, text=text, created_at=at
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def recipient(self, submission_id: int) -> tuple[str, str] | None:
        """The submitter's (channel, external id); None once they erased their data."""
        row = (
            await self._session.execute(
                select(models.Person.channel, models.Person.external_id)
                .join(S, S.person_id == models.Person.id)
                .where(S.id == submission_id)
            )
        ).first()
        return (row.channel, row.external_id) if row else None

    async def list_for(self, submission_id: int) -> list[AnswerRecord]:
        """A submission's answers, oldest first."""
        rows = await self._session.scalars(
            select(models.Answer)
            .where(models.Answer.submission_id == submission_id)
            .order_by(models.Answer.id)
        )
        return [
            AnswerRecord(row.id, row.submission_id, row.person_id, row.text, row.created_at)
            for row in rows
        ]


@dataclass(frozen=True)
class AwaitingSummary:
    """Submissions awaiting an answer in a scope: how many, and the first ones by due date."""

    count: int
    items: tuple[tuple[str, datetime], ...]  # (code, answer_due_at)


class AnswerDueQueries:
    """Counts of submissions awaiting an answer, per scope and due window, in SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def awaiting(
        self,
        scope: DigestScope,
        *,
        due_after: datetime | None,
        due_until: datetime,
        limit: int = 10,
    ) -> AwaitingSummary:
        """Unanswered submissions of `scope` whose answer is due in (due_after, due_until]."""
        where = [
            S.status.in_(AWAITING_STATUSES),
            S.answered_at.is_(None),
            S.answer_due_at.is_not(None),
            S.answer_due_at <= due_until,
            *scope_conditions(scope.province_code, scope.locality_codes, scope.topics),
        ]
        if due_after is not None:
            where.append(S.answer_due_at > due_after)
        count_stmt = select(func.count(literal(1))).select_from(S).where(*where)
        items_stmt = (
            select(S.code, S.answer_due_at)
            .where(*where)
            .order_by(S.answer_due_at, S.id)
            .limit(limit)
        )
        async with self._db.engine.connect() as conn:
            count = int(await conn.scalar(count_stmt) or 0)
            items = tuple((row.code, row.answer_due_at) for row in await conn.execute(items_stmt))
        return AwaitingSummary(count, items)
