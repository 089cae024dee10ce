"""`ykien audit --since DATE [--json]`: the audit log for an inspector or an operator.

Entries name people by pseudonym and never hold message texts, so the listing is safe to hand over.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.nlp_cli import InputError
from config import texts
from config.settings import Settings
from storage.db import Database


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `audit`."""
    audit = sub.add_parser("audit", help="list the audit log from a date on")
    audit.add_argument("--since", required=True, help="YYYY-MM-DD (local date)")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")


def parse_since(text: str, tz: ZoneInfo) -> datetime:
    """The local midnight starting the given date."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as error:
        raise InputError(texts.AUDIT_BAD_DATE.format(date=text)) from error
    return datetime.combine(day, time(), tzinfo=tz)


def run(args: argparse.Namespace, settings: Settings) -> None:
    """Print every entry since the date, oldest first (local times)."""
    tz = ZoneInfo(settings.timezone)
    since = parse_since(args.since, tz)

    async def listing() -> None:
        db = Database(settings.resolved_database_url)
        try:
            await db.upgrade()
            count = 0
            async with db.unit_of_work() as uow:
                async for entry in uow.audit.since(since):
                    count += 1
                    at = entry.at.astimezone(tz)
                    if args.json:
                        row = {
                            "id": entry.id,
                            "at": at.isoformat(),
                            "actor": entry.actor,
                            "action": entry.action,
                            "subject": entry.subject,
                            "details": entry.details,
                        }
                        print(json.dumps(row, ensure_ascii=False, sort_keys=True))
                    else:
                        details = json.dumps(entry.details, ensure_ascii=False, sort_keys=True)
                        print(
                            f"{at:%Y-%m-%d %H:%M:%S}  {entry.actor:<16} {entry.action:<28} "
                            f"{entry.subject or '-':<16} {details}"
                        )
            if not args.json and not count:
                print(texts.AUDIT_EMPTY.format(date=args.since))
        finally:
            await db.dispose()

    asyncio.run(listing())
