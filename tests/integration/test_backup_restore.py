"""The tested restore: deploy/backup.sh, then deploy/restore.sh into a fresh PostgreSQL database.

A database is filled through the `ykien` command (units, deadlines, an invite, then the demo:
submissions with photos, cases and an answer, moderation, a consultation with comments and its
report files); backup.sh dumps it and tars the data directory; restore.sh loads the dump into
a new, empty database and unpacks the tarball. Every table must come back with the same rows,
the sequences where they were, the schema unchanged, the report files byte for byte, the
application must read the copy as it read the original, and `ykien db upgrade` on the copy must
change nothing. PostgreSQL only (the scripts use pg_dump and pg_restore).
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import deadlines, units_cli
from bot.cli import build_parser
from bot.export import export_text
from config.settings import Settings
from storage.db import Database, alembic_config
from tests.conftest import _admin
from tests.e2e.test_cli import Cli, make_cli

REPO = Path(__file__).resolve().parents[2]
BACKUP = REPO / "deploy" / "backup.sh"
RESTORE = REPO / "deploy" / "restore.sh"
TOOLS = ("pg_dump", "pg_restore", "psql")
DAY = 24 * 3600
# Tables the filling below must have put rows in, or the comparison proves little.
FILLED = (
    "people",
    "submissions",
    "attachments",
    "answers",
    "audit_log",
    "clusters",
    "consultations",
    "consultation_sections",
    "consultation_comments",
    "deadlines",
    "invites",
    "outbox",
    "units",
)


@dataclass(frozen=True)
class DatabaseState:
    """Everything a restore must reproduce: rows, sequence positions and the schema."""

    rows: dict[str, list[str]]
    sequences: dict[str, int | None]
    schema: list[tuple[str, ...]]


async def _state(url: str) -> DatabaseState:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            tables = (
                await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
                )
            ).scalars()
            rows = {}
            for table in list(tables):
                result = await conn.execute(text(f'SELECT * FROM "{table}"'))
                rows[table] = sorted(repr(tuple(row)) for row in result)
            result = await conn.execute(
                text(
                    "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
                )
            )
            sequences = {name: value for name, value in result}
            columns = await conn.execute(
                text(
                    "SELECT table_name, column_name, data_type, is_nullable, "
                    "coalesce(column_default, '') FROM information_schema.columns "
                    "WHERE table_schema = 'public'"
                )
            )
            indexes = await conn.execute(
                text(
                    "SELECT 'index', indexname, indexdef FROM pg_indexes "
                    "WHERE schemaname = 'public'"
                )
            )
            constraints = await conn.execute(
                text(
                    "SELECT 'constraint', conrelid::regclass::text, conname, "
                    "pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE connamespace = 'public'::regnamespace"
                )
            )
            schema = sorted(
                tuple(str(value) for value in row)
                for result in (columns, indexes, constraints)
                for row in result
            )
            return DatabaseState(rows, sequences, schema)
    finally:
        await engine.dispose()


async def _scalar(url: str, statement: str) -> object:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(statement))).scalar_one()
    finally:
        await engine.dispose()


def _script(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def databases(postgres_url: str) -> Iterator[tuple[str, str]]:
    """Two new databases on the test server: the original and the (empty) restore target."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not on PATH: the backup scripts need the PostgreSQL client "
            "tools (Debian: apt-get install postgresql-client)"
        )
    server = postgres_url.rsplit("/", 1)[0]
    suffix = uuid.uuid4().hex[:10]
    names = (f"ykien_backup_src_{suffix}", f"ykien_backup_dst_{suffix}")
    created = []
    try:
        for name in names:
            asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
            created.append(name)
        yield f"{server}/{names[0]}", f"{server}/{names[1]}"
    finally:
        for name in created:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _quiet(_line: str) -> None:
    """What the setup commands print is not under test here."""


def _fill(cli: Cli) -> None:
    """Real data through our own commands, as an operator and residents would make it: the
    setup commands in this process (each `ykien` start costs seconds), the demo as a program."""
    settings = Settings(
        YKIEN_DATABASE_URL=cli.env["YKIEN_DATABASE_URL"], YKIEN_DATA_DIR=cli.data_dir
    )
    parser = build_parser()
    units_cli.run(parser.parse_args(["units", "load"]), settings, say=_quiet)
    deadlines.run(parser.parse_args(["deadlines", "load"]), settings, say=_quiet)
    invite = ["invite", "create", "--role", "officer", "--unit", "hcm-ben-thanh", "--designated"]
    units_cli.run(parser.parse_args(invite), settings, say=_quiet)
    _ok(cli.run("demo"))


async def _export(url: str) -> str:
    db = Database(url)
    try:
        out = io.StringIO()
        await export_text(db, "jsonl", out)
        return out.getvalue()
    finally:
        await db.dispose()


def _aged(path: Path, days: float) -> Path:
    path.write_bytes(b"an earlier backup")
    then = time.time() - days * DAY
    os.utime(path, (then, then))
    return path


@pytest.mark.postgres
def test_a_restored_backup_is_the_same_database(
    tmp_path: Path, nlp_settings: Settings, databases: tuple[str, str]
) -> None:
    source, target = databases
    cli = make_cli(tmp_path / "host", nlp_settings.model_dir).with_env(YKIEN_DATABASE_URL=source)
    _fill(cli)
    original = asyncio.run(_state(source))
    for table in FILLED:
        assert original.rows[table], f"the filling left {table} empty"
    reports = sorted(p.relative_to(cli.data_dir) for p in (cli.data_dir / "reports").rglob("*.*"))
    assert any(p.suffix == ".docx" for p in reports), reports

    # Backups older than the retention go; others' files and recent backups stay.
    backups = tmp_path / "backups"
    backups.mkdir()
    expired = [
        _aged(backups / "ykien-20260101T000000Z.dump", 9),
        _aged(backups / "ykien-data-20260101T000000Z.tar.gz", 9),
    ]
    kept = [
        _aged(backups / "ykien-20261115T000000Z.dump", 6),
        _aged(backups / "notes-20260101.dump", 30),
    ]
    env = {**cli.env, "YKIEN_BACKUP_DIR": str(backups), "YKIEN_BACKUP_KEEP_DAYS": "7"}
    written = dict(
        line.split("\t", 1) for line in _ok(_script(BACKUP, env=env)).splitlines() if line
    )
    dump, tarball = Path(written["database"]), Path(written["data"])
    assert dump.parent == tarball.parent == backups
    assert dump.name.startswith("ykien-") and dump.suffix == ".dump"
    for made in (dump, tarball):
        assert made.stat().st_size > 0
        assert made.stat().st_mode & 0o077 == 0, f"{made.name} is readable by others"
    assert not any(path.exists() for path in expired)
    assert all(path.exists() for path in kept)
    assert not list(backups.glob("*.partial"))
    with tarfile.open(tarball) as archive:
        members = archive.getnames()
    assert not [name for name in members if "models" in name], "models are rebuilt, not saved"

    # Restore into the empty database (taken from -d; an ykien-style URL, with asyncpg's ssl=).
    restored_dir = tmp_path / "restored-data"
    env = {k: v for k, v in cli.env.items() if k not in ("YKIEN_DATABASE_URL", "YKIEN_DATA_DIR")}
    printed = _ok(
        _script(
            RESTORE,
            "-d",
            f"{target}?ssl=disable",
            "-t",
            tarball,
            "-D",
            restored_dir,
            dump,
            env=env,
        )
    )
    counts = {
        table: int(rows) for table, rows in (line.split("\t") for line in printed.splitlines())
    }
    assert counts == {table: len(rows) for table, rows in original.rows.items()}
    assert counts["submissions"] > 0 and "alembic_version" in counts

    restored = asyncio.run(_state(target))
    for table, rows in original.rows.items():
        assert restored.rows[table] == rows, f"{table} differs after the restore"
    assert restored == original

    # A few rows as a person would check them (Vietnamese text round-trips intact).
    newest = "SELECT code || ' ' || status || ' ' || text FROM submissions ORDER BY id DESC LIMIT 1"
    assert asyncio.run(_scalar(target, newest)) == asyncio.run(_scalar(source, newest))
    answer = "SELECT text FROM answers ORDER BY id LIMIT 1"
    assert asyncio.run(_scalar(target, answer)) == asyncio.run(_scalar(source, answer))
    title = "SELECT title FROM consultations ORDER BY id LIMIT 1"
    restored_title = asyncio.run(_scalar(target, title))
    assert restored_title == asyncio.run(_scalar(source, title))
    assert any(ch in str(restored_title) for ch in "ạảấầẩẫậắằẳẵặẹẻẽếềểễệịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ")

    # The report files, byte for byte.
    for relative in reports:
        assert (restored_dir / relative).read_bytes() == (cli.data_dir / relative).read_bytes()
    assert not (restored_dir / "models").exists()

    # The application reads the copy as it read the original.
    exported = asyncio.run(_export(source))
    assert exported and asyncio.run(_export(target)) == exported

    # Upgrading the restored database is a no-op: already at head, nothing changes.
    url = cli.env["YKIEN_DATABASE_URL"]
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert original.rows["alembic_version"] == [repr((head,))]
    _ok(cli.with_env(YKIEN_DATABASE_URL=target).run("db", "upgrade"))
    assert asyncio.run(_state(target)) == original

    # A second restore onto the now filled database is refused and changes nothing.
    again = _script(RESTORE, "-d", target, dump, env=env)
    assert again.returncode != 0
    assert "not empty" in again.stderr
    assert asyncio.run(_state(target)) == original


def test_backup_refuses_an_sqlite_url(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "YKIEN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/ykien.sqlite3",
        "YKIEN_BACKUP_DIR": str(tmp_path / "backups"),
        "YKIEN_DATA_DIR": str(tmp_path),
    }
    result = _script(BACKUP, env=env)
    assert result.returncode != 0
    assert "SQLite" in result.stderr
    assert not (tmp_path / "backups").exists()


def test_a_second_host_backs_up_its_data_directory_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "reports" / "2026-10" / "telegram-1").mkdir(parents=True)
    (data / "reports" / "2026-10" / "telegram-1" / "bao-cao.docx").write_bytes(b"report")
    (data / "models").mkdir()
    (data / "models" / "topic.npz").write_bytes(b"model")
    (data / "ykien.sqlite3").write_bytes(b"live database")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    backups = tmp_path / "backups"
    written = _ok(_script(BACKUP, "-d", "-", "-D", data, "-o", backups, env=env)).splitlines()
    assert [line.split("\t")[0] for line in written] == ["data"]
    assert not list(backups.glob("*.dump"))
    with tarfile.open(written[0].split("\t")[1]) as archive:
        names = {name.removeprefix("./") for name in archive.getnames()}
    assert "reports/2026-10/telegram-1/bao-cao.docx" in names
    assert not {name for name in names if name.startswith("models") or "sqlite3" in name}
