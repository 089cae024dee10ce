"""Property-based fuzzing of every webhook route over real HTTP, on SQLite and PostgreSQL: any
body — random bytes, random JSON, update-shaped JSON with random fields, deep nesting — gets an
answer below 500, and a refused request (4xx) stores nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.web import TELEGRAM_SECRET_HEADER
from handlers.intake import Engine
from storage import models
from storage.db import Database
from tests.channels import TELEGRAM_SECRET, ZALO_BOT_SECRET, Harness
from tests.fakes import zalo_bot_server as zb
from tests.fakes.zalo_oa_server import DEFAULT_APP_ID, DEFAULT_SECRET_KEY, sign

ROUTES = {
    "telegram": "/webhooks/telegram",
    "zalo_bot": "/webhooks/zalo-bot",
    "zalo_oa": "/webhooks/zalo-oa",
}
FUZZ = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
STORED = (
    models.InboxItem,
    models.Submission,
    models.Person,
    models.Conversation,
    models.InboundUpdate,
)

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)
# Shaped like each channel's updates, so that parsing gets past the first checks.
telegram_like = st.fixed_dictionaries(
    {"update_id": st.integers(min_value=-(2**63), max_value=2**63)},
    optional={
        "message": st.dictionaries(
            st.sampled_from(["message_id", "from", "chat", "date", "text", "photo", "document"]),
            json_values,
        ),
        "callback_query": st.dictionaries(
            st.sampled_from(["id", "from", "data", "message", "chat_instance"]), json_values
        ),
        "edited_message": json_values,
    },
)
zalo_like = st.fixed_dictionaries(
    {"event_name": st.sampled_from(["message.text.received", "user_send_text", "x", ""])},
    optional={
        "message": st.dictionaries(
            st.sampled_from(["text", "from", "chat", "message_id", "date", "photo_url"]),
            json_values,
        ),
        "sender": st.dictionaries(st.sampled_from(["id", "name"]), json_values),
        "timestamp": st.text(max_size=15) | st.integers(),
        "app_id": st.just(DEFAULT_APP_ID) | st.text(max_size=10),
        "result": json_values,
        "ok": st.booleans(),
    },
)
bodies = (
    st.binary(max_size=300)
    | json_values.map(lambda value: json.dumps(value).encode())
    | telegram_like.map(lambda value: json.dumps(value).encode())
    | zalo_like.map(lambda value: json.dumps(value).encode())
)
DEEP = b"[" * 50_000 + b"]" * 50_000
DEEP_OBJECT = b'{"a":' * 40 + b"1" + b"}" * 40


async def stored_rows(db: Database) -> tuple[int, ...]:
    async with db.unit_of_work() as uow:
        return tuple(
            [
                int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)
                for model in STORED
            ]
        )


def headers_for(channel: str, raw: bytes) -> dict[str, str]:
    """The channel's authentication, valid, so that the body itself is what gets tested."""
    headers = {"Content-Type": "application/json"}
    if channel == "telegram":
        headers[TELEGRAM_SECRET_HEADER] = TELEGRAM_SECRET
    elif channel == "zalo_bot":
        headers[zb.SECRET_HEADER] = ZALO_BOT_SECRET
    else:
        try:
            timestamp = str(json.loads(raw).get("timestamp", ""))
        except (ValueError, AttributeError, RecursionError, UnicodeDecodeError):
            timestamp = ""
        headers["X-ZEvent-Signature"] = sign(DEFAULT_APP_ID, raw, timestamp, DEFAULT_SECRET_KEY)
    return headers


@pytest.fixture(params=list(ROUTES))
async def harness(request: pytest.FixtureRequest, db: Database, engine: Engine) -> Any:
    """One channel's fakes and our webhook app, shared by every example of a test."""
    started = Harness(request.param, db, engine)
    await started.start()
    yield started
    await started.close()


@FUZZ
@given(raw=bodies)
@example(raw=DEEP)
@example(raw=DEEP_OBJECT)
@example(raw=b"")
@example(raw=b"\xff\xfe{")
async def test_no_body_fails_a_route_or_leaves_what_it_refused(
    harness: Harness, db: Database, raw: bytes
) -> None:
    before = await stored_rows(db)
    channel = harness.channel
    url = harness.base + ROUTES[channel]
    async with harness.session.post(url, data=raw, headers=headers_for(channel, raw)) as reply:
        status = reply.status
        await reply.read()
    assert status < 500, (status, raw[:200])
    if status >= 400:
        assert await stored_rows(db) == before, (status, raw[:200])
    await harness.inbox.settled()  # what was taken is handled before the next example counts


def test_nesting_is_bounded() -> None:
    from bot import json_body

    assert json_body.depth({"a": [1, {"b": []}]}) == 4
    assert json_body.loads(b'{"a": {"b": 1}}') == {"a": {"b": 1}}
    for raw in (DEEP, DEEP_OBJECT):
        with pytest.raises(ValueError):
            json_body.loads(raw)
