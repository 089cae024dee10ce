"""`ykien units` and `ykien invite create` as an operator runs them: real subprocesses, SQLite."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from pathlib import Path

import pytest

from config import restricted, texts
from tests.e2e.test_cli import REPO, Cli

BOT = "ykien_e2e_bot"
LINK = re.compile(rf"^  Liên kết Telegram: https://t\.me/{BOT}\?start=([A-Za-z0-9_-]{{32}})$", re.M)
CODE = re.compile(r"«/thamgia ([2-9A-HJKMNP-Z]{8})»")


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A CLI with its own data dir (these commands load no NLP model)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "YKIEN_", "ZALO_"))
    }
    env.update(
        YKIEN_DATA_DIR=str(tmp_path / "data"),
        YKIEN_LOG_LEVEL="DEBUG",
        TELEGRAM_BOT_USERNAME=BOT,
        PYTHONPATH=str(REPO),
        PYTHONIOENCODING="utf-8",
    )
    return Cli(tmp_path, env)


def rows(cli: Cli, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(cli.database) as conn:
        return list(conn.execute(sql).fetchall())


def test_units_load_list_and_invite_create(cli: Cli) -> None:
    loaded = cli.run("units", "load")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith(texts.UNITS_LOADED.format(count=9, path="").split(" từ")[0])
    listed = cli.run("units", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    # Each line: code — name [kind, locality] · the unit's digest schedule.
    assert (
        lines[0]
        == "hcm — Ủy ban MTTQ Việt Nam Thành phố Hồ Chí Minh [mttq, 79] · tổng hợp: hằng tháng"
    )
    ward = "  hcm-ben-thanh — Ủy ban MTTQ Việt Nam Phường Bến Thành [mttq, 26743] · tổng hợp:"
    assert any(line.startswith(ward) for line in lines)
    assert len(lines) == 9 and all(line.startswith("  ") for line in lines[1:])

    created = cli.run("invite", "create", "--role", "officer", "--unit", "hcm-ben-thanh")
    assert created.returncode == 0, created.stderr
    link, code = LINK.search(created.stdout), CODE.search(created.stdout)
    assert link and code, created.stdout
    token, short = link.group(1), code.group(1)
    # Nothing secret in the logs (DEBUG included) or the database; only the hashes are kept.
    stored = b"".join(path.read_bytes() for path in cli.data_dir.glob("ykien.sqlite3*"))
    for secret in (token, short):
        assert secret not in created.stderr
        assert secret.encode() not in stored
    ((token_hash, code_hash, role, unit, used),) = rows(
        cli, "SELECT token_hash, code_hash, role, unit_code, used_at FROM invites"
    )
    assert token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert code_hash == hashlib.sha256(short.encode()).hexdigest()
    assert (role, unit, used) == ("officer", "hcm-ben-thanh", None)
    assert rows(cli, "SELECT action FROM audit_log WHERE action = 'invite.created'")

    second = cli.run("invite", "create", "--role", "admin", "--unit", "hcm", "--expires", "1d")
    assert second.returncode == 0, second.stderr
    assert LINK.search(second.stdout).group(1) != token  # type: ignore[union-attr]


def test_operator_mistakes_are_explained_and_store_nothing(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "units:\n  - code: a\n    name: A\n    kind: mttq\n    locality: '79'\n"
        "  - code: b\n    name: B\n    kind: mttq\n    parent: ghost\n",
        encoding="utf-8",
    )
    result = cli.run("units", "load", str(bad))
    assert result.returncode == 2
    assert "Dòng 6, đơn vị «b»: đơn vị cấp trên «ghost» không tồn tại" in result.stderr
    assert rows(cli, "SELECT count(*) FROM units") == [(0,)]

    for args, message in [
        (("--role", "officer", "--unit", "nowhere"), "Không có đơn vị «nowhere»"),
        (("--role", "resident", "--unit", "hcm"), "Vai trò «resident» không mời được"),
        (("--role", "officer", "--unit", "hcm", "--expires", "1y"), "Thời hạn «1y»"),
        (("--role", "officer", "--unit", "hcm", "--topics", "bogus"), "lĩnh vực «bogus»"),
        (("--role", "moderator", "--unit", "hcm", "--designated"), "Chỉ vai trò cán bộ"),
    ]:
        result = cli.run("invite", "create", *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr, result.stderr
    assert rows(cli, "SELECT count(*) FROM invites") == [(0,)]


def test_invite_create_designated(cli: Cli) -> None:
    assert cli.run("units", "load").returncode == 0
    created = cli.run(
        "invite", "create", "--role", "officer", "--unit", "hcm-ben-thanh", "--designated"
    )
    assert created.returncode == 0, created.stderr
    assert restricted.INVITE_CREATED_DESIGNATED in created.stdout
    assert CODE.search(created.stdout), created.stdout
    plain = cli.run("invite", "create", "--role", "officer", "--unit", "hcm-ben-thanh")
    assert plain.returncode == 0, plain.stderr
    assert restricted.INVITE_CREATED_DESIGNATED not in plain.stdout
    assert rows(cli, "SELECT role, designated FROM invites ORDER BY id") == [
        ("officer", 1),
        ("officer", 0),
    ]


def test_units_add_and_remove(cli: Cli) -> None:
    assert cli.run("units", "load").returncode == 0
    added = cli.run(
        "units", "add", "bt-hoi-nct", "--name", "Chi hội NCT", "--kind", "hoi_nct",
        "--parent", "hcm-ben-thanh", "--target-group", "nguoi_cao_tuoi",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert rows(cli, "SELECT locality_code FROM units WHERE code = 'bt-hoi-nct'") == [("26743",)]
    refused = cli.run("units", "remove", "hcm-ben-thanh")
    assert refused.returncode == 2 and "1 đơn vị trực thuộc" in refused.stderr
    assert cli.run("units", "remove", "bt-hoi-nct").returncode == 0
    assert cli.run("units", "remove", "hcm-ben-thanh").returncode == 0
    assert rows(cli, "SELECT count(*) FROM units") == [(8,)]
