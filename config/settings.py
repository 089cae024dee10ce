"""Runtime settings read from environment variables and an optional `.env` file."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str) -> AliasChoices:
    """Bind a field to exactly one environment variable name."""
    return AliasChoices(name)


class Settings(BaseSettings):
    """Everything an operator can set; read once by the composition root."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(Path("./var"), validation_alias=_env("YKIEN_DATA_DIR"))
    database_url: str | None = Field(None, validation_alias=_env("YKIEN_DATABASE_URL"))
    http_host: str = Field("127.0.0.1", validation_alias=_env("YKIEN_HTTP_HOST"))
    http_port: int = Field(8080, validation_alias=_env("YKIEN_HTTP_PORT"))
    log_level: str = Field("INFO", validation_alias=_env("YKIEN_LOG_LEVEL"))
    timezone: str = Field("Asia/Ho_Chi_Minh", validation_alias=_env("YKIEN_TIMEZONE"))

    nlp_review_threshold: float = Field(
        0.5, ge=0.0, le=1.0, validation_alias=_env("YKIEN_NLP_REVIEW_THRESHOLD")
    )
    nlp_corpus_dir: Path | None = Field(None, validation_alias=_env("YKIEN_NLP_CORPUS_DIR"))
    vihos_dir: Path | None = Field(None, validation_alias=_env("YKIEN_VIHOS_DIR"))

    telegram_bot_token: SecretStr | None = Field(None, validation_alias=_env("TELEGRAM_BOT_TOKEN"))
    telegram_api_base_url: str = Field(
        "https://api.telegram.org", validation_alias=_env("TELEGRAM_API_BASE_URL")
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("TELEGRAM_WEBHOOK_SECRET")
    )
    telegram_webhook_url: str | None = Field(None, validation_alias=_env("TELEGRAM_WEBHOOK_URL"))
    # Messages a second this process sends to Telegram (Telegram allows a bot about 30 in all:
    # with several workers, divide). Benchmarks against a fake Bot API raise it.
    telegram_send_rate: float = Field(29.0, gt=0, validation_alias=_env("TELEGRAM_SEND_RATE"))
    # The bot's @username (without the @), for invite deep links https://t.me/<name>?start=...
    telegram_bot_username: str | None = Field(None, validation_alias=_env("TELEGRAM_BOT_USERNAME"))

    # One identity that is an admin as soon as it writes (after consent): "channel:external_id",
    # e.g. "telegram:123456789"; from there on admins enrol others with `ykien invite create`.
    bootstrap_admin: str | None = Field(None, validation_alias=_env("YKIEN_BOOTSTRAP_ADMIN"))

    # Chats that receive operational alerts, as "channel:chat_id" separated by commas,
    # e.g. "telegram:123456789,zalo_bot:6ede9afa66b88fe6d6a9".
    admin_chats: str = Field("", validation_alias=_env("YKIEN_ADMIN_CHATS"))
    # Chats that receive the review queue (and urgent alerts), same form, e.g. a moderators'
    # Telegram group "telegram:-1001234567890"; unset: each moderator in their own chat.
    moderator_chats: str = Field("", validation_alias=_env("YKIEN_MODERATOR_CHATS"))
    # Messages one person may send per minute on a public channel; past it, one polite notice
    # and the rest of the minute is dropped. 0: no limit.
    rate_limit_per_minute: int = Field(20, ge=0, validation_alias=_env("YKIEN_RATE_LIMIT"))
    # Days after a case closes (or a consultation ends) that its raw texts are kept; then only
    # the redacted texts remain (phone numbers, ID numbers, addresses... replaced). 0: forever.
    retention_days: int = Field(365, ge=0, validation_alias=_env("YKIEN_RETENTION_DAYS"))
    # Webhook updates waiting in the inbox past which webhooks answer 503 (the platform
    # re-delivers later), and how long a process holds claimed updates before another takes over.
    inbox_limit: int = Field(10_000, ge=1, validation_alias=_env("YKIEN_INBOX_LIMIT"))
    inbox_lease_seconds: float = Field(
        30.0, gt=0, validation_alias=_env("YKIEN_INBOX_LEASE_SECONDS")
    )

    # The scheduler (digests, reminders) runs in one process: the holder of a PostgreSQL
    # advisory lock. Off: this process never schedules.
    scheduler_enabled: bool = Field(True, validation_alias=_env("YKIEN_SCHEDULER"))
    scheduler_grace_hours: float = Field(
        24.0, ge=0, validation_alias=_env("YKIEN_SCHEDULER_GRACE_HOURS")
    )
    digest_hour: int = Field(8, ge=0, le=23, validation_alias=_env("YKIEN_DIGEST_HOUR"))

    zalo_bot_token: SecretStr | None = Field(None, validation_alias=_env("ZALO_BOT_TOKEN"))
    zalo_bot_api_base_url: str = Field(
        "https://bot-api.zaloplatforms.com", validation_alias=_env("ZALO_BOT_API_BASE_URL")
    )
    zalo_bot_webhook_secret: SecretStr | None = Field(
        None, min_length=8, max_length=256, validation_alias=_env("ZALO_BOT_WEBHOOK_SECRET")
    )
    zalo_bot_webhook_url: str | None = Field(None, validation_alias=_env("ZALO_BOT_WEBHOOK_URL"))

    zalo_oa_app_id: str | None = Field(None, validation_alias=_env("ZALO_OA_APP_ID"))
    zalo_oa_app_secret: SecretStr | None = Field(None, validation_alias=_env("ZALO_OA_APP_SECRET"))
    zalo_oa_secret_key: SecretStr | None = Field(None, validation_alias=_env("ZALO_OA_SECRET_KEY"))
    zalo_oa_api_base_url: str = Field(
        "https://openapi.zalo.me", validation_alias=_env("ZALO_OA_API_BASE_URL")
    )
    zalo_oauth_base_url: str = Field(
        "https://oauth.zaloapp.com", validation_alias=_env("ZALO_OAUTH_BASE_URL")
    )

    @property
    def admin_chat_list(self) -> list[tuple[str, str]]:
        """`admin_chats` as (channel, chat id) pairs; malformed entries are left out."""
        return _chat_pairs(self.admin_chats)

    @property
    def moderator_chat_list(self) -> list[tuple[str, str]]:
        """`moderator_chats` as (channel, chat id) pairs; malformed entries are left out."""
        return _chat_pairs(self.moderator_chats)

    @property
    def model_dir(self) -> Path:
        """Where trained NLP models are kept."""
        return self.data_dir / "models"

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or an SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'ykien.sqlite3').as_posix()}"


def _chat_pairs(value: str) -> list[tuple[str, str]]:
    """`channel:chat_id,...` as pairs, leaving out malformed entries."""
    pairs = []
    for entry in value.split(","):
        channel, _, chat = entry.strip().partition(":")
        if channel.strip() and chat.strip():
            pairs.append((channel.strip(), chat.strip()))
    return pairs
