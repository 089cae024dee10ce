"""`ykien zalo oa-authorize` against FakeZaloOa's OAuth endpoint, storing into SQLite/PostgreSQL.

The command runs its own event loop (asyncio.run), so each test runs it in a worker thread while
the fake keeps serving on the test's loop.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from bot import zalo_cli
from bot.nlp_cli import InputError
from config.settings import Settings
from storage.channels import ChannelStore
from storage.db import Database
from tests.fakes.zalo_oa_server import DEFAULT_APP_ID, DEFAULT_APP_SECRET, FakeZaloOa

REDIRECT = "https://ykien.example/zalo/callback"


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZaloOa]:
    async with FakeZaloOa() as server:
        yield server


def settings_for(db: Database, zalo: FakeZaloOa, **overrides: str) -> Settings:
    values = {
        "YKIEN_DATABASE_URL": db.url,
        "ZALO_OA_APP_ID": DEFAULT_APP_ID,
        "ZALO_OA_APP_SECRET": DEFAULT_APP_SECRET,
        "ZALO_OAUTH_BASE_URL": zalo.oauth_base_url,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ykien")
    sub = parser.add_subparsers(dest="command", required=True)
    zalo_cli.add_parsers(sub)
    return parser.parse_args(["zalo", "oa-authorize", *argv])


class Admin:
    """Plays the OA admin at the terminal: reads the printed URL, answers the prompts."""

    def __init__(self, zalo: FakeZaloOa, answer: Callable[[FakeZaloOa, str], str]) -> None:
        self.zalo = zalo
        self.answer = answer
        self.printed: list[str] = []
        self.prompts: list[str] = []

    def say(self, line: str) -> None:
        self.printed.append(line)

    def prompt(self, question: str) -> str:
        self.prompts.append(question)
        urls = [line for line in self.printed if "/v4/oa/permission?" in line]
        assert len(urls) == 1, self.printed
        return self.answer(self.zalo, urls[0])


async def run_cli(args: argparse.Namespace, settings: Settings, admin: Admin) -> None:
    await asyncio.to_thread(zalo_cli.run, args, settings, prompt=admin.prompt, say=admin.say)


def approve(zalo: FakeZaloOa, url: str) -> str:
    """The admin allows access and pastes the whole redirect URL."""
    return zalo.approve(url)


async def test_authorize_stores_the_tokens(db: Database, zalo: FakeZaloOa) -> None:
    admin = Admin(zalo, approve)
    before = datetime.now(UTC)
    await run_cli(parse("--redirect-uri", REDIRECT), settings_for(db, zalo), admin)

    record = await ChannelStore(db).get_token(f"zalo_oa:{DEFAULT_APP_ID}")
    assert record is not None
    (request,) = zalo.token_requests
    assert (request["grant_type"], request["error"]) == ("authorization_code", 0)
    assert record.access_token in zalo.issued_tokens
    assert record.refresh_token in zalo.issued_tokens
    expected = before + timedelta(seconds=90000)
    assert expected <= record.access_expires_at <= expected + timedelta(minutes=1)
    # The permission URL carried our redirect and an S256 challenge of the verifier that was sent.
    url = next(line for line in admin.printed if "/v4/oa/permission?" in line)
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == [REDIRECT]
    assert len(query["state"][0]) >= 16
    printed = "\n".join(admin.printed)
    assert record.access_token not in printed and record.refresh_token not in printed
    assert "Done" in admin.printed[-1]


async def test_a_bare_code_is_accepted(db: Database, zalo: FakeZaloOa) -> None:
    def paste_code(zalo: FakeZaloOa, url: str) -> str:
        return parse_qs(urlsplit(zalo.approve(url)).query)["code"][0]

    await run_cli(
        parse("--redirect-uri", REDIRECT), settings_for(db, zalo), Admin(zalo, paste_code)
    )
    assert await ChannelStore(db).get_token(f"zalo_oa:{DEFAULT_APP_ID}") is not None


async def test_the_redirect_uri_is_asked_when_not_given(db: Database, zalo: FakeZaloOa) -> None:
    answers = iter([REDIRECT])

    def answer(zalo: FakeZaloOa, url: str) -> str:
        return zalo.approve(url)

    admin = Admin(zalo, answer)
    original = admin.prompt

    def prompt(question: str) -> str:
        if "Callback" in question:
            admin.prompts.append(question)
            return next(answers)
        return original(question)

    admin.prompt = prompt  # type: ignore[method-assign]
    await run_cli(parse(), settings_for(db, zalo), admin)
    assert len(admin.prompts) == 2
    assert await ChannelStore(db).get_token(f"zalo_oa:{DEFAULT_APP_ID}") is not None


async def test_a_redirect_of_another_authorisation_is_refused(
    db: Database, zalo: FakeZaloOa
) -> None:
    def other_state(zalo: FakeZaloOa, url: str) -> str:
        redirect = urlsplit(zalo.approve(url))
        query = {k: v[0] for k, v in parse_qs(redirect.query).items()}
        query["state"] = "someone-elses-state"
        return f"{REDIRECT}?{urlencode(query)}"

    with pytest.raises(InputError, match="state mismatch"):
        await run_cli(
            parse("--redirect-uri", REDIRECT), settings_for(db, zalo), Admin(zalo, other_state)
        )
    assert zalo.token_requests == []
    assert await ChannelStore(db).get_token(f"zalo_oa:{DEFAULT_APP_ID}") is None


async def test_a_code_bound_to_another_verifier_is_refused(db: Database, zalo: FakeZaloOa) -> None:
    def foreign_code(zalo: FakeZaloOa, url: str) -> str:
        return zalo.register_challenge("challenge-of-another-run")

    with pytest.raises(InputError, match="Zalo refused the code"):
        await run_cli(
            parse("--redirect-uri", REDIRECT), settings_for(db, zalo), Admin(zalo, foreign_code)
        )
    (request,) = zalo.token_requests
    assert request["error"] != 0
    assert await ChannelStore(db).get_token(f"zalo_oa:{DEFAULT_APP_ID}") is None


@pytest.mark.parametrize("missing", ["ZALO_OA_APP_ID", "ZALO_OA_APP_SECRET"])
async def test_missing_app_settings_are_a_clear_error(
    db: Database, zalo: FakeZaloOa, missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(missing, raising=False)
    settings = settings_for(db, zalo).model_copy(update={missing.lower(): None})
    admin = Admin(zalo, approve)
    with pytest.raises(InputError, match="ZALO_OA_APP_ID and ZALO_OA_APP_SECRET"):
        await run_cli(parse("--redirect-uri", REDIRECT), settings, admin)
    assert admin.printed == []
    assert zalo.token_requests == []


def test_the_parser_takes_code_and_redirect_uri() -> None:
    args = parse("--redirect-uri", REDIRECT, "--code", "abc")
    assert (args.command, args.zalo_command, args.redirect_uri, args.code) == (
        "zalo",
        "oa-authorize",
        REDIRECT,
        "abc",
    )


def test_code_is_extracted_from_what_the_admin_pastes() -> None:
    assert zalo_cli.extract_code(" abc123 ", "S") == "abc123"
    assert zalo_cli.extract_code(f"{REDIRECT}?code=abc&state=S&oa_id=1", "S") == "abc"
    assert zalo_cli.extract_code(f"{REDIRECT}?code=abc", "S") == "abc"  # state not echoed
    assert zalo_cli.extract_code("code=abc&state=S", "S") == "abc"
    with pytest.raises(InputError, match="state mismatch"):
        zalo_cli.extract_code(f"{REDIRECT}?code=abc&state=T", "S")
    with pytest.raises(InputError, match="no `code`"):
        zalo_cli.extract_code(f"{REDIRECT}?error=access_denied&state=S", "S")
    with pytest.raises(InputError, match="No code"):
        zalo_cli.extract_code("  ", "S")
