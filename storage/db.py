"""The database: engine from a URL, schema upgrades through Alembic, and units of work."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from storage.repositories import SqlUnitOfWork

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class Database:
    """One engine per process; hands out units of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; serialising our own units of work avoids
        # SQLITE_BUSY when a deferred read transaction tries to upgrade to a write.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    def unit_of_work(self) -> SqlUnitOfWork:
        """A new unit of work: one transaction, committed once by its user."""
        return SqlUnitOfWork(self._sessions, self._write_lock)

    async def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision, all or nothing."""
        engine = self._upgrade_engine()
        try:
            async with engine.begin() as conn:
                await conn.run_sync(_upgrade_on, alembic_config(self.url))
        finally:
            if engine is not self.engine:
                await engine.dispose()
        logger.info("database schema is up to date (%s)", self.engine.dialect.name)

    def _upgrade_engine(self) -> AsyncEngine:
        """The engine to migrate with: ours, or on a SQLite file one that makes DDL transactional.

        The sqlite3 driver runs CREATE and ALTER outside any transaction, so a process killed
        in the middle of its first upgrade left half a schema that no restart could upgrade.
        A connection of its own, with the driver's transaction handling off and an explicit
        BEGIN IMMEDIATE, puts the whole upgrade in one transaction. Only for the upgrade: the
        units of work keep the driver's behaviour that their locking was designed around.
        """
        database = make_url(self.url).database
        if not self.is_sqlite or database in (None, "", ":memory:"):
            return self.engine
        engine = create_async_engine(self.url, poolclass=NullPool, connect_args={"timeout": 30})

        def on_connect(dbapi_connection: Any, record: Any) -> None:
            _sqlite_pragmas(dbapi_connection, record)
            dbapi_connection.isolation_level = None  # the driver no longer BEGINs or COMMITs

        event.listen(engine.sync_engine, "connect", on_connect)
        event.listen(
            engine.sync_engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE")
        )
        return engine

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _upgrade_on(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
