"""The `ykien` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram.error import TelegramError

from bot import (
    audit_cli,
    bench_broadcast,
    bench_consultation,
    bench_dedup,
    bench_intake,
    consultation_cli,
    deadlines,
    digest_cli,
    nlp_cli,
    units_cli,
    workers,
    zalo_cli,
)
from bot.app import App, build_app
from bot.channels.shell_adapter import run_shell
from bot.demo import run_demo
from bot.export import FORMATS, export_text, export_xlsx
from bot.runner import UsageError, run_channels
from config import texts
from config.settings import Settings
from storage.db import Database

logger = logging.getLogger("ykien")


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def cmd_run(app: App, _args: argparse.Namespace) -> None:
    """Run every configured channel (polling, or webhooks where a URL is set) until a signal."""
    await run_channels(app, _stop_event(), serve=False)


async def cmd_serve(app: App, args: argparse.Namespace) -> None:
    """Like `run`, but Telegram and Zalo Bot take webhooks and /healthz always answers."""
    stop = _stop_event()
    if args.worker_process:
        # A worker of `serve --workers N`: it shares the port with its siblings, and stops when
        # its parent is gone (killed outright, it could not stop us), or it would serve on.
        watch = asyncio.create_task(workers.stop_when_orphaned(stop))
    await run_channels(app, stop, serve=True, reuse_port=args.worker_process)
    if args.worker_process:
        watch.cancel()


def serve_workers(settings: Settings, count: int) -> None:
    """`serve --workers N` (N > 1): prepare once, then supervise N serving processes."""
    if settings.resolved_database_url.startswith("sqlite"):
        raise UsageError(
            "Several workers need PostgreSQL: set YKIEN_DATABASE_URL (SQLite: one process)."
        )
    asyncio.run(workers.prepare(settings))
    try:
        workers.Supervisor(count).run()
    except workers.WorkersFailed as error:
        raise UsageError(str(error)) from error


async def cmd_shell(app: App, args: argparse.Namespace) -> None:
    """Chat with the engine in the terminal."""
    await run_shell(app.engine, user_id=args.user)


async def cmd_demo(app: App, args: argparse.Namespace) -> None:
    """Run the sample conversations and print what was stored."""
    print(texts.DEMO_DATABASE.format(url=app.settings.resolved_database_url))
    await run_demo(
        app.engine,
        app.db,
        print,
        verbose=args.verbose,
        reports_dir=app.settings.data_dir / "reports",
    )


async def cmd_export(app: App, args: argparse.Namespace) -> None:
    """Export every submission."""
    if args.format == "xlsx":
        if not args.out:
            raise UsageError("--out FILE is required for xlsx.")
        count = await export_xlsx(app.db, Path(args.out))
    elif args.out:
        with Path(args.out).open("w", encoding="utf-8", newline="") as out:  # noqa: ASYNC230
            count = await export_text(app.db, args.format, out)
    else:
        count = await export_text(app.db, args.format, sys.stdout)
    logger.info("exported %d submissions", count)


async def cmd_db_upgrade(settings: Settings) -> None:
    """Apply every pending migration."""
    db = Database(settings.resolved_database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="ykien", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run every configured channel (polling, or webhooks where set)")
    serve = sub.add_parser("serve", help="like run, with webhooks for every channel and /healthz")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="processes sharing the port (more than 1 needs PostgreSQL)",
    )
    serve.add_argument(workers.WORKER_FLAG, action="store_true", help=argparse.SUPPRESS)
    shell = sub.add_parser("shell", help="chat with the bot in the terminal")
    shell.add_argument("--user", default="local", help="identity of the terminal resident")
    demo = sub.add_parser("demo", help="run sample conversations on the configured database")
    demo.add_argument("--verbose", action="store_true", help="print every conversation")
    export = sub.add_parser("export", help="export every submission")
    export.add_argument("--format", choices=FORMATS, default="jsonl")
    export.add_argument("--out", help="file to write (default: standard output)")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply pending migrations")
    nlp_cli.add_parsers(sub)
    zalo_cli.add_parsers(sub)
    digest_cli.add_parsers(sub)
    audit_cli.add_parsers(sub)
    units_cli.add_parsers(sub)
    deadlines.add_parsers(sub)
    consultation_cli.add_parsers(sub)
    bench = sub.add_parser("bench", help="measure speed (figures for the release notes)")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True)
    bench_nlp = bench_sub.add_parser("nlp", help="first-start training and pipeline throughput")
    bench_nlp.add_argument("--messages", type=int, default=20_000)
    bench_nlp.add_argument("--runs", type=int, default=3)
    digest_cli.add_bench_parser(bench_sub)
    broadcast = bench_sub.add_parser("broadcast", help="a digest to N officers at Telegram's rate")
    broadcast.add_argument("--messages", type=int, default=10_000)
    consultation = bench_sub.add_parser(
        "consultation", help="a million comments on a 50-section draft, then the report"
    )
    consultation.add_argument("--comments", type=int, default=1_000_000)
    consultation.add_argument("--sections", type=int, default=50)
    consultation.add_argument(
        "--engine", type=int, default=20_000, help="how many of them go through the engine"
    )
    consultation.add_argument("--concurrency", type=int, default=8)
    consultation.add_argument("--database-url", help="an EMPTY database (default: SQLite)")
    intake = bench_sub.add_parser("intake", help="webhook updates/s and latency vs bare aiohttp")
    intake.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    intake.add_argument("--database-url", help="with --db postgresql: a scratch database")
    intake.add_argument("--workers", type=_positive, default=1)
    intake.add_argument("--seconds", type=float, default=10.0)
    # Telegram's default for a webhook (setWebhook max_connections).
    intake.add_argument("--connections", type=_positive, default=40)
    intake.add_argument("--runs", type=_positive, default=3)
    bench_dedup = bench_sub.add_parser("dedup", help="near-duplicate grouping at scale")
    bench_dedup.add_argument("--rows", type=int, default=100_000)
    bench_dedup.add_argument("--database-url", help="default: a throw-away SQLite file")
    return parser


COMMANDS: dict[str, Callable[[App, argparse.Namespace], Awaitable[None]]] = {
    "run": cmd_run,
    "serve": cmd_serve,
    "shell": cmd_shell,
    "demo": cmd_demo,
    "export": cmd_export,
}


def _bench(args: argparse.Namespace, settings: Settings) -> None:
    if args.bench_command == "nlp":
        result = nlp_cli.bench_nlp(settings, messages=args.messages, runs=args.runs)
    elif args.bench_command == "digest":
        result = digest_cli.bench(args)
    elif args.bench_command == "consultation":
        result = bench_consultation.main_sync(args, settings)
    elif args.bench_command == "intake":
        result = bench_intake.main(args, settings)
    elif args.bench_command == "broadcast":
        print(bench_broadcast.main_sync(args.messages))
        return
    elif args.database_url:
        result = asyncio.run(bench_dedup.run_dedup_bench(args.database_url, args.rows))
    else:
        with tempfile.TemporaryDirectory() as scratch:
            url = f"sqlite+aiosqlite:///{scratch}/bench.sqlite3"
            result = asyncio.run(bench_dedup.run_dedup_bench(url, args.rows))
    print(json.dumps(result, ensure_ascii=False, indent=2))


async def _main(args: argparse.Namespace, settings: Settings) -> None:
    if args.command == "db":
        await cmd_db_upgrade(settings)
        return
    app = await build_app(settings)
    try:
        await COMMANDS[args.command](app, args)
    finally:
        await app.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `ykien` console script."""
    args = build_parser().parse_args(argv)
    settings = Settings()
    # force: importing underthesea installs its own root handler, which would make this a no-op.
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    # httpx logs every request URL at INFO, and Telegram URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # aiosqlite logs every statement's parameters at DEBUG: message texts and OAuth tokens.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    try:
        if args.command == "nlp":
            nlp_cli.run(args, settings)
        elif args.command == "zalo":
            zalo_cli.run(args, settings)
        elif args.command == "digest":
            digest_cli.run(args, settings)
        elif args.command == "audit":
            audit_cli.run(args, settings)
        elif args.command in ("units", "invite"):
            units_cli.run(args, settings)
        elif args.command == "deadlines":
            deadlines.run(args, settings)
        elif args.command == "consultation":
            consultation_cli.run(args, settings)
        elif args.command == "bench":
            _bench(args, settings)
        elif args.command == "serve" and args.workers > 1 and not args.worker_process:
            serve_workers(settings, args.workers)
        else:
            asyncio.run(_main(args, settings))
    except nlp_cli.InputError as error:
        print(f"ykien: {error}", file=sys.stderr)
        return 2
    except UsageError as error:
        print(f"ykien: {error}", file=sys.stderr)
        return 2
    except TelegramError as error:
        # PTB's messages name the failure, never the URL (which would carry the token).
        print(f"ykien: Telegram API: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (`| head`) left: stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
