"""`ykien zalo oa-authorize`: an OA admin grants the bot access; the tokens go to the database.

The PKCE verifier only lives in this process, so the URL is printed and the code is read back in
the same run: pasted at the prompt, or given with `--code`.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp

from bot.channels.zalo_oauth import (
    ZaloOaError,
    ZaloOAuth,
    authorize_url,
    code_challenge,
    make_code_verifier,
    oa_token_name,
)
from bot.nlp_cli import InputError
from config.settings import Settings
from storage.channels import ChannelStore
from storage.db import Database


class ZaloSetupError(InputError):
    """The authorisation cannot go on; the message tells the operator why (exit status 2)."""


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `zalo oa-authorize`."""
    zalo = sub.add_parser("zalo", help="Zalo Official Account administration")
    zalo_sub = zalo.add_subparsers(dest="zalo_command", required=True)
    authorize = zalo_sub.add_parser(
        "oa-authorize", help="let an OA admin grant the bot access and store the tokens"
    )
    authorize.add_argument(
        "--redirect-uri",
        help="the callback URL registered for the app in Zalo for Developers (asked if missing)",
    )
    authorize.add_argument(
        "--code", help="the code (or the whole redirect URL) instead of the prompt"
    )


def run(
    args: argparse.Namespace,
    settings: Settings,
    *,
    prompt: Callable[[str], str] = input,
    say: Callable[[str], None] = print,
) -> None:
    """Dispatch a `zalo` subcommand."""
    if args.zalo_command == "oa-authorize":
        authorize(settings, args.redirect_uri, args.code, prompt=prompt, say=say)


def extract_code(answer: str, state: str) -> str:
    """The authorisation code from what the admin pasted: the code, or the redirect URL."""
    answer = answer.strip()
    if not answer:
        raise ZaloSetupError("No code was given.")
    if "?" not in answer and "=" not in answer:
        return answer
    query = parse_qs(urlsplit(answer).query) if "?" in answer else parse_qs(answer)
    given_state = query.get("state", [None])[0]
    if given_state is not None and given_state != state:
        raise ZaloSetupError(
            "The redirect URL belongs to another authorisation (state mismatch); start again."
        )
    code = query.get("code", [None])[0]
    if not code:
        raise ZaloSetupError("The redirect URL carries no `code` parameter.")
    return code


def authorize(
    settings: Settings,
    redirect_uri: str | None,
    code: str | None,
    *,
    prompt: Callable[[str], str] = input,
    say: Callable[[str], None] = print,
) -> None:
    """Print the permission URL, read back the code, exchange it and store the tokens."""
    app_id = settings.zalo_oa_app_id
    secret = settings.zalo_oa_app_secret
    if not app_id or secret is None or not secret.get_secret_value():
        raise ZaloSetupError(
            "ZALO_OA_APP_ID and ZALO_OA_APP_SECRET must be set (Zalo for Developers, app settings)."
        )
    if not redirect_uri:
        if code is not None:
            raise ZaloSetupError("--redirect-uri is required together with --code.")
        redirect_uri = prompt("Callback URL registered for the app: ").strip()
        if not redirect_uri:
            raise ZaloSetupError("A callback (redirect) URL is required.")
    verifier = make_code_verifier()
    state = secrets.token_urlsafe(16)
    url = authorize_url(
        settings.zalo_oauth_base_url, app_id, redirect_uri, code_challenge(verifier), state
    )
    say("Open this address as an admin of the Official Account and allow access:")
    say(url)
    say("Zalo then opens the callback URL; copy its `code` parameter (or the whole address).")
    answer = code if code is not None else prompt("Code or redirect URL: ")
    auth_code = extract_code(answer, state)
    expires_in = asyncio.run(
        _exchange_and_store(settings, app_id, secret.get_secret_value(), auth_code, verifier)
    )
    say(
        f"Done: the Official Account's tokens are stored (app {app_id}). The access token is "
        f"valid for about {expires_in // 3600} h and is refreshed automatically."
    )


async def _exchange_and_store(
    settings: Settings, app_id: str, app_secret: str, auth_code: str, verifier: str
) -> int:
    """Trade the code for tokens and store them; the access token's lifetime in seconds."""
    async with aiohttp.ClientSession() as session:
        oauth = ZaloOAuth(session, settings.zalo_oauth_base_url, app_id, app_secret)
        try:
            access, expires_in, refresh = await oauth.exchange_code(auth_code, verifier)
        except ZaloOaError as error:
            raise ZaloSetupError(
                f"Zalo refused the code ({error.code}: {error.message}). Start again."
            ) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ZaloSetupError(
                f"Zalo's OAuth server could not be reached ({type(error).__name__})."
            ) from None
    db = Database(settings.resolved_database_url)
    try:
        await db.upgrade()
        now = datetime.now(UTC)
        await ChannelStore(db).put_token(
            oa_token_name(app_id), access, now + timedelta(seconds=expires_in), refresh, now
        )
    finally:
        await db.dispose()
    return expires_in
