"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, an engine, a frozen clock.

PostgreSQL: a throw-away database is created per test session on the server named by
YKIEN_TEST_POSTGRES_URL (default: the local one, trust auth) and dropped afterwards. In CI
(CI set) a missing server fails the run; elsewhere those tests are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import units_cli
from bot.nlp_models import build_analyzer, load_or_train_classifier
from config.settings import Settings
from handlers.intake import Engine
from nlp.analyzer import Analyzer
from nlp.locality import LocalityIndex
from storage.db import Database
from tests.dialogue import NoAnalyzer

ADMIN_URL = os.environ.get(
    "YKIEN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
TABLES = ("audit_log", "inbound_updates", "attachments", "submissions", "conversations", "people")
TABLES += ("cluster_keys", "clusters", "channel_tokens", "channel_contacts", "pending_messages")
TABLES += ("invites", "units")
TABLES += ("outbox",)
TABLES += ("deadline_done", "deadlines")
TABLES += ("answers",)
TABLES += ("followups", "label_corrections")
TABLES += ("consultation_comments", "consultation_sections", "consultations", "subscriptions")
TABLES += ("rate_windows",)
TABLES += ("inbox",)


async def _admin(statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
    admin = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a freshly migrated PostgreSQL database for this test session."""
    name = f"ykien_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, Exception) as error:  # asyncpg raises several unrelated types
        message = f"PostgreSQL is not reachable at {ADMIN_URL}: {error}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI requires it)")
        pytest.skip(message)
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def localities() -> LocalityIndex:
    """The administrative units, built once."""
    return LocalityIndex.from_vietnam_provinces()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file; each test gets a copy (migrating costs a second)."""
    path = tmp_path_factory.mktemp("template") / "ykien.sqlite3"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database URL for each engine: a migrated SQLite file of its own, or the session's
    PostgreSQL database (emptied by `db`)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "ykien.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database (both kinds were migrated once per session)."""
    database = Database(database_url)
    if not database.is_sqlite:
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


@pytest.fixture
async def units(db: Database) -> None:
    """The shipped unit tree (config/units.yaml)."""
    await units_cli.store_units(db, units_cli.read_units_file(units_cli.DEFAULT_UNITS_FILE))


@pytest.fixture
def officers(db: Database, localities: LocalityIndex, clock: FrozenClock, units: None) -> Engine:
    """An engine for officers over the shipped units (submissions are seeded, not typed)."""
    return Engine(db.unit_of_work, localities, clock, ZoneInfo("Asia/Ho_Chi_Minh"), NoAnalyzer())


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        """Move time forward."""
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FrozenClock:
    """Frozen at 09:30 on 21 November 2026, Vietnam time."""
    return FrozenClock(datetime(2026, 11, 21, 2, 30, tzinfo=UTC))


@pytest.fixture(scope="session")
def nlp_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose data dir holds the models trained once per session on the real corpus."""
    settings = Settings(YKIEN_DATA_DIR=tmp_path_factory.mktemp("nlp-data"))
    load_or_train_classifier(settings)
    return settings


@pytest.fixture(scope="session")
def analyzer(nlp_settings: Settings) -> Analyzer:
    """The shipped NLP analyzer (loaded from the session's trained models)."""
    return build_analyzer(nlp_settings)


@pytest.fixture
def engine(
    db: Database, localities: LocalityIndex, clock: FrozenClock, analyzer: Analyzer
) -> Engine:
    """The intake engine over the test database."""
    return Engine(db.unit_of_work, localities, clock, ZoneInfo("Asia/Ho_Chi_Minh"), analyzer)
