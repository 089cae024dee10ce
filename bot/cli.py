"""The `ykien` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from telegram.error import TelegramError

from bot import bench_dedup, nlp_cli
from bot.app import App, build_app
from bot.channels.shell_adapter import run_shell
from bot.channels.telegram_adapter import ALLOWED_UPDATES, TelegramAdapter, make_bot
from bot.demo import run_demo
from bot.export import FORMATS, export_text, export_xlsx
from bot.web import build_web_app
from config import texts
from config.settings import Settings
from storage.db import Database

logger = logging.getLogger("ykien")


class UsageError(Exception):
    """A command cannot run with the given settings; the message says what to set."""


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _telegram(app: App) -> TelegramAdapter:
    token = app.settings.telegram_bot_token
    if token is None:
        raise UsageError("TELEGRAM_BOT_TOKEN is not set: there is no channel to run.")
    bot = make_bot(token.get_secret_value(), app.settings.telegram_api_base_url)
    return TelegramAdapter(bot, app.engine)


async def cmd_run(app: App, _args: argparse.Namespace) -> None:
    """Long-poll every configured channel until SIGINT/SIGTERM."""
    adapter = _telegram(app)
    stop = _stop_event()
    async with adapter.bot:
        logger.info("polling Telegram as @%s", adapter.bot.username)
        await adapter.poll(stop)


async def cmd_serve(app: App, _args: argparse.Namespace) -> None:
    """Serve webhooks on YKIEN_HTTP_HOST:YKIEN_HTTP_PORT until SIGINT/SIGTERM."""
    settings = app.settings
    # Handle SIGTERM from the start: /healthz answers before the webhook is registered, and a
    # signal in between must still shut down cleanly rather than kill the process.
    stop = _stop_event()
    adapter = None
    secret = ""
    if settings.telegram_bot_token is not None:
        if settings.telegram_webhook_secret is None:
            raise UsageError("TELEGRAM_WEBHOOK_SECRET is required to receive Telegram webhooks.")
        adapter = _telegram(app)
        secret = settings.telegram_webhook_secret.get_secret_value()
    runner = web.AppRunner(build_web_app(telegram=adapter, telegram_secret=secret))
    try:
        if adapter is not None:
            await adapter.bot.initialize()
        await runner.setup()
        site = web.TCPSite(runner, settings.http_host, settings.http_port)
        await site.start()
        logger.info("serving on http://%s:%s", settings.http_host, settings.http_port)
        if adapter is not None and settings.telegram_webhook_url:
            await adapter.bot.set_webhook(
                settings.telegram_webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
            )
            logger.info("Telegram webhook registered")
        await stop.wait()
    finally:
        await runner.cleanup()
        if adapter is not None:
            await adapter.bot.shutdown()


async def cmd_shell(app: App, args: argparse.Namespace) -> None:
    """Chat with the engine in the terminal."""
    await run_shell(app.engine, user_id=args.user)


async def cmd_demo(app: App, args: argparse.Namespace) -> None:
    """Run the sample conversations and print what was stored."""
    print(texts.DEMO_DATABASE.format(url=app.settings.resolved_database_url))
    await run_demo(app.engine, app.db, print, verbose=args.verbose)


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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="ykien", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="long-poll the configured channels")
    sub.add_parser("serve", help="serve webhooks (and /healthz)")
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
    bench = sub.add_parser("bench", help="measure speed (figures for the release notes)")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True)
    bench_nlp = bench_sub.add_parser("nlp", help="first-start training and pipeline throughput")
    bench_nlp.add_argument("--messages", type=int, default=20_000)
    bench_nlp.add_argument("--runs", type=int, default=3)
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
    try:
        if args.command == "nlp":
            nlp_cli.run(args, settings)
        elif args.command == "bench":
            _bench(args, settings)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
