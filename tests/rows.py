"""Row counts, for tests that check what an update did (or did not) write."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text

from storage.db import Database


async def count_rows(db: Database, table: str) -> int:
    """Number of rows in one of our tables."""
    async with db.engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def row_counts(db: Database, tables: Iterable[str]) -> dict[str, int]:
    """Rows in each of `tables`."""
    return {table: await count_rows(db, table) for table in tables}
