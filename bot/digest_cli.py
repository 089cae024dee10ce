"""`ykien digest run`: write a unit's digest files for a period without sending anything."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import bench_digest
from bot.digests import build_digest
from bot.nlp_cli import InputError
from bot.reports import write_all
from config import texts
from config.settings import Settings
from handlers.digest import Period
from handlers.digest_text import digest_text
from nlp.locality import LocalityIndex
from storage.db import Database
from storage.digests import DigestScope


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `digest run`."""
    digest = sub.add_parser("digest", help="officers' digests and report files")
    digest_sub = digest.add_subparsers(dest="digest_command", required=True)
    run = digest_sub.add_parser("run", help="write the Word, Excel and chart files of a period")
    run.add_argument("--period", required=True, help="the month, YYYY-MM or MM/YYYY")
    run.add_argument("--unit", help="a province (2 digits) or commune/ward code (5 digits)")
    run.add_argument("--out", required=True, type=Path, help="directory for the files")
    run.add_argument("--number", default="…", help="the report's number (Số …/BC-MTTQ)")


def add_bench_parser(bench_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `bench digest`."""
    bench = bench_sub.add_parser("digest", help="a province's monthly digest at 10k-1M rows")
    bench.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated")
    bench.add_argument("--database-url", help="an EMPTY database (default: throw-away SQLite)")


def scope_of(unit: str | None, localities: LocalityIndex) -> tuple[DigestScope, str, str]:
    """The scope, unit name and place name of an administrative unit code (None: everything)."""
    if not unit:
        return DigestScope(), texts.DIGEST_ALL_UNITS, ""
    locality = localities.get(unit.strip())
    if locality is None:
        raise InputError(texts.DIGEST_UNKNOWN_UNIT.format(unit=unit))
    if locality.level == "province":
        return DigestScope(province_code=locality.code), locality.name, locality.name
    return DigestScope(locality_codes=(locality.code,)), locality.label, locality.province_name


def run(args: argparse.Namespace, settings: Settings) -> None:
    """Build the digest and write its files; print where, and the chat text."""
    try:
        period = Period.parse_month(args.period)
    except ValueError as error:
        raise InputError(texts.DIGEST_BAD_PERIOD.format(period=args.period)) from error
    scope, unit_name, place = scope_of(args.unit, LocalityIndex.from_vietnam_provinces())
    tz = ZoneInfo(settings.timezone)

    async def build() -> None:
        db = Database(settings.resolved_database_url)
        try:
            await db.upgrade()
            digest = await build_digest(
                db, scope, period, unit_name=unit_name, now=datetime.now(UTC), tz=tz
            )
        finally:
            await db.dispose()
        paths = write_all(
            digest,
            args.out,
            issuer=texts.DIGEST_ISSUER.format(unit=unit_name),
            number=args.number,
            place=place or unit_name,
            tz=tz,
        )
        print(digest_text(digest))
        print()
        print(
            texts.DIGEST_WRITTEN.format(
                count=len(paths), period=period.label, unit=unit_name, directory=args.out
            )
        )
        for path in paths:
            print(f"  {path}")

    asyncio.run(build())


def bench(args: argparse.Namespace) -> dict[str, object]:
    """Run `bench digest` on the given (or a throw-away SQLite) database."""
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    if args.database_url:
        return bench_digest.main_sync(args.database_url, sizes)
    with tempfile.TemporaryDirectory() as scratch:
        return bench_digest.main_sync(f"sqlite+aiosqlite:///{scratch}/bench.sqlite3", sizes)
