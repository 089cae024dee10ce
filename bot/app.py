"""Composition root: read settings once, build every object once, hand them down."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.digests import ChatDigests
from bot.nlp_models import build_analyzer
from config.settings import Settings
from handlers.intake import Engine
from handlers.ports import Clock
from nlp.analyzer import Analyzer
from nlp.locality import LocalityIndex
from storage.db import Database

logger = logging.getLogger(__name__)


def system_clock() -> datetime:
    """The current time in UTC, time-zone aware."""
    return datetime.now(UTC)


@dataclass
class App:
    """Everything a command needs, built from settings."""

    settings: Settings
    db: Database
    localities: LocalityIndex
    engine: Engine
    analyzer: Analyzer

    async def close(self) -> None:
        """Release the database connections."""
        await self.db.dispose()


async def build_app(settings: Settings, *, clock: Clock = system_clock) -> App:
    """Open (and migrate) the database and build the engine."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    await db.upgrade()
    localities = LocalityIndex.from_vietnam_provinces()
    # Loads the models from the data dir; the first start (or a changed corpus) trains them.
    analyzer = build_analyzer(settings)
    tz = ZoneInfo(settings.timezone)
    engine = Engine(
        db.unit_of_work,
        localities,
        clock,
        tz,
        analyzer,
        digests=ChatDigests(db, tz, clock),
        bootstrap_admin=settings.bootstrap_admin,
        moderator_chats=settings.moderator_chat_list,
        rate_limit=settings.rate_limit_per_minute or None,
    )
    return App(settings=settings, db=db, localities=localities, engine=engine, analyzer=analyzer)
