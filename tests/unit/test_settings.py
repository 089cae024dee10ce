"""Settings come from the documented environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("YKIEN_DATA_DIR", "YKIEN_DATABASE_URL", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.data_dir == Path("var")
    assert settings.resolved_database_url == "sqlite+aiosqlite:///var/ykien.sqlite3"
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8080)
    assert settings.telegram_api_base_url == "https://api.telegram.org"
    assert settings.telegram_bot_token is None


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=123:abc\nYKIEN_HTTP_PORT=9000\n")
    monkeypatch.setenv("YKIEN_DATA_DIR", "/srv/ykien")
    monkeypatch.setenv("YKIEN_DATABASE_URL", "postgresql+asyncpg://u@h/db")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret-value")
    settings = Settings()
    assert settings.data_dir == Path("/srv/ykien")
    assert settings.resolved_database_url == "postgresql+asyncpg://u@h/db"
    assert settings.http_port == 9000
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings) and "s3cret" not in repr(settings)
