"""The Zalo OA channel end to end: signed webhooks into our aiohttp app, replies through our
client to FakeZaloOa over real HTTP on 127.0.0.1, tokens and contacts in the database.

Every test runs on SQLite and on PostgreSQL (the `engine`/`db` fixtures).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.channels.zalo_oa import CHANNEL, ZaloOaAdapter, ZaloOaClient
from bot.channels.zalo_oauth import (
    OaNotAuthorisedError,
    OaTokens,
    ZaloOaError,
    ZaloOAuth,
    code_challenge,
    make_code_verifier,
)
from bot.inbox import Inbox
from bot.web import MAX_BODY_BYTES, build_web_app
from config import taxonomy, texts
from handlers.intake import Engine, IntakeLimits
from handlers.messages import Incoming, Outgoing
from nlp.locality import LocalityIndex
from storage.channels import ChannelStore
from storage.db import Database
from tests.conftest import FrozenClock
from tests.dialogue import receipt_pattern
from tests.fakes.zalo_oa_server import (
    DEFAULT_APP_ID,
    DEFAULT_APP_SECRET,
    DEFAULT_SECRET_KEY,
    FakeZaloOa,
    Posted,
    sign,
)
from tests.inbox import running_inbox
from tests.rows import count_rows, row_counts

TOKEN_NAME = f"zalo_oa:{DEFAULT_APP_ID}"
# Beyond 2**53, so that any trip through int/float would change it.
USER = "6142494823000000001"
OTHER_USER = "6142494823000000002"
CONTENT = "Cống thoát nước ở hẻm 42 bị nghẹt, mưa xuống là ngập tới gối, xin cho nạo vét sớm."
LOCALITY_QUERY = "phuong ben thanh"
WEBHOOK_PATH = "/webhooks/zalo-oa"
TABLES = ("inbox", "inbound_updates", "conversations", "people", "submissions", "channel_contacts")
TABLES += ("pending_messages",)
NOTICE = texts.PRIVACY_NOTICE.format(version=texts.PRIVACY_NOTICE_VERSION)


def numbered(*labels: str) -> str:
    """The numbered choice lines a reply ends with on Zalo."""
    return "\n\n" + "\n".join(f"{i}. {label}" for i, label in enumerate(labels, start=1))


class Alerts:
    """Collects operator alerts."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def __call__(self, message: str) -> None:
        self.messages.append(message)


class OaHook:
    """Zalo's side: posts signed events to our webhook and collects what the bot sent back."""

    def __init__(self, zalo: FakeZaloOa, adapter: ZaloOaAdapter, inbox: Inbox, url: str) -> None:
        self.zalo = zalo
        self.adapter = adapter
        self.inbox = inbox
        self.url = url

    async def post(self, event: dict[str, Any]) -> Posted:
        """POST one signed event; the answer only (the inbox's worker may still be on it)."""
        return await self.zalo.sign_and_post(self.url, event)

    async def deliver(self, event: dict[str, Any], expect: int | None = 1) -> list[dict[str, Any]]:
        """POST an event, wait for its replies to be sent, and return them."""
        before = len(self.zalo.sent)
        posted = await self.post(event)
        assert posted.status == 200, posted
        assert posted.body == {"error": 0}
        await self.inbox.settled()
        new = self.zalo.sent[before:]
        if expect is not None:
            assert len(new) == expect, [m["text"] for m in new]
        return new

    async def say(self, user: str, message: str, expect: int | None = 1) -> list[dict[str, Any]]:
        """The resident types a message."""
        return await self.deliver(self.zalo.text_event(user, message), expect)


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZaloOa]:
    async with FakeZaloOa() as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def store(db: Database) -> ChannelStore:
    return ChannelStore(db)


@pytest.fixture
def alerts() -> Alerts:
    return Alerts()


def make_tokens(
    store: ChannelStore,
    session: aiohttp.ClientSession,
    zalo: FakeZaloOa,
    clock: FrozenClock,
    alerts: Alerts,
) -> OaTokens:
    """Tokens of the fake's app, as one bot process would hold them."""
    oauth = ZaloOAuth(session, zalo.oauth_base_url, DEFAULT_APP_ID, DEFAULT_APP_SECRET)
    return OaTokens(store, oauth, name=TOKEN_NAME, clock=clock, alert=alerts)


@pytest.fixture
def tokens(
    store: ChannelStore,
    session: aiohttp.ClientSession,
    zalo: FakeZaloOa,
    clock: FrozenClock,
    alerts: Alerts,
) -> OaTokens:
    return make_tokens(store, session, zalo, clock, alerts)


async def authorise(store: ChannelStore, zalo: FakeZaloOa, clock: FrozenClock) -> tuple[str, str]:
    """Store a fresh pair minted by the fake, valid 25 hours from now (as after oa-authorize)."""
    access, refresh = zalo.issue_tokens()
    await store.put_token(TOKEN_NAME, access, clock() + timedelta(hours=25), refresh, clock())
    return access, refresh


@pytest.fixture
async def authorised(store: ChannelStore, zalo: FakeZaloOa, clock: FrozenClock) -> tuple[str, str]:
    return await authorise(store, zalo, clock)


@pytest.fixture
def client(session: aiohttp.ClientSession, zalo: FakeZaloOa, tokens: OaTokens) -> ZaloOaClient:
    # Fast throttle and back-off: the tests must not wait for Zalo's real pacing.
    return ZaloOaClient(
        session, zalo.api_base_url, tokens, max_per_second=1000.0, backoff_base=0.01
    )


@pytest.fixture
def adapter(client: ZaloOaClient, engine: Engine, store: ChannelStore) -> ZaloOaAdapter:
    return ZaloOaAdapter(
        client, engine, store, app_id=DEFAULT_APP_ID, secret_key=DEFAULT_SECRET_KEY
    )


async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def inbox(db: Database, engine: Engine) -> AsyncIterator[Inbox]:
    """The inbox webhooks store events in, its worker running."""
    async with running_inbox(db, engine.clock) as running:
        yield running


@pytest.fixture
async def hook(zalo: FakeZaloOa, adapter: ZaloOaAdapter, inbox: Inbox) -> AsyncIterator[OaHook]:
    async for base_url in _serve(build_web_app(inbox, zalo_oa=adapter)):
        yield OaHook(zalo, adapter, inbox, base_url + WEBHOOK_PATH)


# --- the whole intake -----------------------------------------------------------------------


def recipients(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [m["recipient"] for m in messages]


async def test_whole_intake_over_the_oa_webhook(
    hook: OaHook,
    zalo: FakeZaloOa,
    db: Database,
    store: ChannelStore,
    localities: LocalityIndex,
    authorised: tuple[str, str],
) -> None:
    follow = await hook.deliver(zalo.follow_event(USER), expect=2)
    assert [m["text"] for m in follow] == [
        texts.WELCOME,
        NOTICE + numbered(texts.BUTTON_CONSENT_YES, texts.BUTTON_CONSENT_NO),
    ]
    # A follow has no message to reply against: these go by user id.
    assert recipients(follow) == [{"user_id": USER}] * 2

    async def step(event: dict[str, Any], *expected: str) -> None:
        sent = await hook.deliver(event, expect=len(expected))
        assert [m["text"] for m in sent] == list(expected)
        assert recipients(sent) == [{"message_id": event["message"]["msg_id"]}] * len(sent)
        assert all(m["user_id"] == USER for m in sent)

    continue_line = numbered(texts.BUTTON_CONTINUE)
    await step(zalo.text_event(USER, "1"), texts.CHOOSE_KIND + numbered(*taxonomy.KINDS.values()))
    limits = IntakeLimits()
    await step(
        zalo.text_event(USER, "2"),
        texts.ASK_TEXT.format(kind=taxonomy.KINDS["phan_anh"], limit=limits.max_text_chars),
    )
    await step(zalo.text_event(USER, CONTENT), texts.ASK_ATTACHMENTS + continue_line)
    photo_url = "https://photo.example/zalo/cong-nghet.jpg"
    await step(
        zalo.image_event(USER, url=photo_url),
        texts.ATTACHMENT_PHOTO_ADDED.format(count=1, limit=limits.max_photos) + continue_line,
    )
    await step(
        zalo.location_event(USER, "10.7721", "106.6983"),
        texts.ATTACHMENT_LOCATION_ADDED + continue_line,
    )
    await step(zalo.text_event(USER, "1"), texts.ASK_LOCALITY + numbered(texts.BUTTON_SKIP))
    label = localities.match(LOCALITY_QUERY, limit=1)[0].locality.label
    groups = [*taxonomy.TARGET_GROUPS.values(), texts.BUTTON_SKIP]
    await step(
        zalo.text_event(USER, LOCALITY_QUERY),
        texts.LOCALITY_SET.format(label=label),
        texts.ASK_GROUP + numbered(*groups),
    )
    summary = texts.SUMMARY.format(
        kind=taxonomy.KINDS["phan_anh"],
        text=CONTENT,
        attachments=texts.SUMMARY_ATTACHMENTS.format(
            photos=1, location=texts.SUMMARY_WITH_LOCATION
        ),
        locality=label,
        group=texts.SUMMARY_SKIPPED,
    )
    choices = numbered(
        texts.BUTTON_SUBMIT,
        texts.BUTTON_EDIT_TEXT,
        texts.BUTTON_EDIT_KIND,
        texts.BUTTON_EDIT_LOCALITY,
        texts.BUTTON_EDIT_GROUP,
        texts.BUTTON_CANCEL,
    )
    await step(zalo.text_event(USER, str(len(groups))), summary + choices)

    submit = zalo.text_event(USER, "1")
    (receipt,) = await hook.deliver(submit)
    assert receipt["recipient"] == {"message_id": submit["message"]["msg_id"]}
    found = re.search(r"YK-[0-9A-Z]{6}", receipt["text"])
    assert found, receipt
    assert re.fullmatch(receipt_pattern(found.group(0)), receipt["text"])

    async with db.unit_of_work() as uow:
        submission = await uow.submissions.get_by_code(found.group(0))
    assert submission is not None
    assert (submission.channel, submission.kind, submission.text) == (CHANNEL, "phan_anh", CONTENT)
    assert submission.locality_name == label
    photo, where = submission.attachments
    assert (photo.kind, photo.file_id) == ("photo", photo_url)
    assert (where.kind, where.latitude, where.longitude) == ("location", 10.7721, 106.6983)
    async with db.unit_of_work() as uow:
        person = await uow.people.get_by_channel(CHANNEL, USER)
    assert person is not None and person.external_id == USER
    contact = await store.get_contact(CHANNEL, USER)
    assert contact is not None
    assert (contact.last_message_id, contact.replies_to_last) == (submit["message"]["msg_id"], 1)
    assert await count_rows(db, "pending_messages") == 0


# --- addressing: message id while free, user id after ---------------------------------------


async def test_replies_go_by_message_id_within_48_hours(
    hook: OaHook,
    zalo: FakeZaloOa,
    adapter: ZaloOaAdapter,
    clock: FrozenClock,
    authorised: tuple[str, str],
) -> None:
    event = zalo.text_event(USER, "xin chào")
    await hook.deliver(event, expect=2)
    msg_id = event["message"]["msg_id"]

    clock.advance(hours=47, minutes=59)
    await adapter.deliver(USER, [Outgoing(USER, "Trả lời trong hạn")])
    assert zalo.sent[-1]["recipient"] == {"message_id": msg_id}

    clock.advance(minutes=1)  # exactly 48 hours after the resident's message
    await adapter.deliver(USER, [Outgoing(USER, "Trả lời quá hạn")])
    assert zalo.sent[-1]["recipient"] == {"user_id": USER}
    assert zalo.sent[-1]["text"] == "Trả lời quá hạn"


async def test_replies_go_by_user_id_after_eight(
    hook: OaHook,
    zalo: FakeZaloOa,
    adapter: ZaloOaAdapter,
    store: ChannelStore,
    authorised: tuple[str, str],
) -> None:
    event = zalo.text_event(USER, "xin chào")
    await hook.deliver(event, expect=2)  # welcome and notice: 2 of the 8
    msg_id = event["message"]["msg_id"]

    await adapter.deliver(USER, [Outgoing(USER, f"tin {i}") for i in range(8)])
    later = zalo.sent[-8:]
    assert recipients(later) == [{"message_id": msg_id}] * 6 + [{"user_id": USER}] * 2
    assert [m["text"] for m in later] == [f"tin {i}" for i in range(8)]
    contact = await store.get_contact(CHANNEL, USER)
    assert contact is not None and contact.replies_to_last == 8

    # A new message restarts the quota.
    again = zalo.text_event(USER, "/trogiup")
    (help_reply,) = await hook.deliver(again)
    assert help_reply["recipient"] == {"message_id": again["message"]["msg_id"]}
    assert help_reply["text"] == texts.HELP


async def test_long_replies_are_split_at_2000_characters(
    hook: OaHook, zalo: FakeZaloOa, adapter: ZaloOaAdapter, authorised: tuple[str, str]
) -> None:
    await hook.deliver(zalo.text_event(USER, "xin chào"), expect=2)
    long_text = "\n".join(f"Dòng {i}: " + "x" * 90 for i in range(50))
    assert len(long_text) > 4000
    await adapter.deliver(USER, [Outgoing(USER, long_text)])
    chunks = [m["text"] for m in zalo.sent[2:]]
    assert len(chunks) == 3
    assert all(0 < len(chunk) <= 2000 for chunk in chunks)
    assert "\n".join(chunks) == long_text


# --- what the webhook refuses or ignores ----------------------------------------------------


def _raw(event: dict[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    "signer",
    [
        pytest.param(lambda z, raw, e: None, id="missing"),
        pytest.param(lambda z, raw, e: "", id="empty"),
        pytest.param(lambda z, raw, e: "mac=" + "0" * 64, id="zeros"),
        pytest.param(
            lambda z, raw, e: sign(e["app_id"], raw, e["timestamp"], "another-key"), id="other-key"
        ),
        pytest.param(
            lambda z, raw, e: sign(e["app_id"], raw + b" ", e["timestamp"], z.secret_key),
            id="other-body",
        ),
        pytest.param(
            lambda z, raw, e: sign(e["app_id"], raw, "1", z.secret_key), id="other-timestamp"
        ),
        pytest.param(lambda z, raw, e: z.signature_for(raw, e)[:-2], id="truncated"),
    ],
)
async def test_bad_signature_is_forbidden_and_stores_nothing(
    hook: OaHook, zalo: FakeZaloOa, db: Database, authorised: tuple[str, str], signer: Any
) -> None:
    event = zalo.text_event(USER, "/start")
    raw = _raw(event)
    posted = await zalo.post_raw(hook.url, raw, signature=signer(zalo, raw, event))
    assert posted.status == 403
    await hook.inbox.settled()
    assert zalo.send_attempts == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


async def test_event_of_another_app_is_forbidden_even_if_signed(
    hook: OaHook, zalo: FakeZaloOa, db: Database, authorised: tuple[str, str]
) -> None:
    event = {**zalo.text_event(USER, "/start"), "app_id": "1111111111111111111"}
    posted = await hook.post(event)  # signed with that app id and our secret key
    assert posted.status == 403
    await hook.inbox.settled()
    assert zalo.send_attempts == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


async def test_an_untouched_copy_of_a_signed_event_passes(
    hook: OaHook, zalo: FakeZaloOa, authorised: tuple[str, str]
) -> None:
    # The control for the test above: the raw bytes are signed, not a re-serialisation.
    event = zalo.text_event(USER, "/start")
    raw = json.dumps(event, ensure_ascii=True, indent=1).encode()
    posted = await zalo.post_raw(hook.url, raw, signature=zalo.signature_for(raw, event))
    assert posted.status == 200
    await hook.inbox.settled()
    assert len(zalo.sent) == 2


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"event_name": "user_send_text", ', id="truncated"),
        pytest.param(b"not json", id="text"),
        pytest.param(b"\xff\xfe\x00", id="not-utf8"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_malformed_json_is_bad_request(
    hook: OaHook, zalo: FakeZaloOa, db: Database, raw: bytes
) -> None:
    posted = await zalo.post_raw(hook.url, raw, signature="mac=" + "0" * 64)
    assert posted.status == 400
    assert posted.body == {"error": "malformed JSON"}
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize("body", [[1, 2], "event", None, 5])
async def test_json_that_is_not_an_object_is_bad_request(
    hook: OaHook, zalo: FakeZaloOa, db: Database, body: Any
) -> None:
    posted = await zalo.post_raw(hook.url, json.dumps(body).encode(), signature=None)
    assert posted.status == 400
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


async def test_body_over_one_megabyte_is_too_large(
    hook: OaHook, zalo: FakeZaloOa, db: Database, authorised: tuple[str, str]
) -> None:
    event = zalo.text_event(USER, "a" * MAX_BODY_BYTES)
    raw = _raw(event)
    assert len(raw) > MAX_BODY_BYTES
    posted = await zalo.post_raw(hook.url, raw, signature=zalo.signature_for(raw, event))
    assert posted.status == 413
    await hook.inbox.settled()
    assert zalo.send_attempts == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


async def test_the_same_event_twice_has_one_effect(
    hook: OaHook, zalo: FakeZaloOa, db: Database, store: ChannelStore, authorised: tuple[str, str]
) -> None:
    event = zalo.text_event(USER, "xin chào")
    first = await hook.deliver(event, expect=2)
    contact = await store.get_contact(CHANNEL, USER)
    assert contact is not None and contact.replies_to_last == 2
    counts = await row_counts(db, TABLES)

    second = await hook.deliver(event, expect=0)  # Zalo retries the same event

    assert first[0]["text"] == texts.WELCOME
    assert second == []
    assert await row_counts(db, TABLES) == counts
    assert counts["inbound_updates"] == 1
    again = await store.get_contact(CHANNEL, USER)
    assert again == contact  # the retry did not restart the reply quota


@pytest.mark.parametrize(
    "make_event",
    [
        pytest.param(lambda z: z.seen_event(USER), id="seen"),
        pytest.param(lambda z: z.received_event(USER), id="received"),
        pytest.param(lambda z: z.unfollow_event(USER), id="unfollow"),
        pytest.param(lambda z: z.event("user_submit_info", info={"phone": "0901"}), id="info"),
        pytest.param(lambda z: z.event("brand_new_event"), id="unknown"),
    ],
)
async def test_ignored_events_answer_200_and_store_nothing(
    hook: OaHook,
    zalo: FakeZaloOa,
    db: Database,
    authorised: tuple[str, str],
    make_event: Callable[[FakeZaloOa], dict[str, Any]],
) -> None:
    await hook.deliver(make_event(zalo), expect=0)
    assert zalo.send_attempts == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


async def test_unsupported_messages_get_their_answer(
    hook: OaHook, zalo: FakeZaloOa, authorised: tuple[str, str]
) -> None:
    (sticker,) = await hook.deliver(zalo.sticker_event(USER))
    assert sticker["text"] == texts.UNSUPPORTED["sticker"]
    (document,) = await hook.deliver(zalo.file_event(USER))
    assert document["text"] == texts.UNSUPPORTED["document"]


async def test_failed_handling_is_retried_from_the_inbox_and_answered_once(
    hook: OaHook,
    zalo: FakeZaloOa,
    engine: Engine,
    db: Database,
    authorised: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handle = engine.handle
    failures: list[str] = []

    async def fails_once(incoming: Incoming) -> list[Outgoing]:
        if not failures:
            failures.append(incoming.update_id)
            raise RuntimeError("database went away")
        return await handle(incoming)

    monkeypatch.setattr(engine, "handle", fails_once)
    event = zalo.text_event(USER, "xin chào")
    # Stored before the 200; the first try fails and the retry, a second later, answers.
    assert len(await hook.deliver(event, expect=2)) == 2
    assert failures == [event["message"]["msg_id"]]
    assert await hook.deliver(event, expect=0) == []
    assert await count_rows(db, "inbound_updates") == 1
    assert await count_rows(db, "inbox") == 0


async def test_the_200_is_answered_before_the_event_is_handled(
    hook: OaHook, zalo: FakeZaloOa, db: Database, authorised: tuple[str, str]
) -> None:
    zalo.hold_sends()
    # If the webhook waited for the send, this would time out: the fake holds it.
    posted = await asyncio.wait_for(hook.post(zalo.text_event(USER, "xin chào")), timeout=10)
    assert posted.status == 200
    assert zalo.sent == []
    await zalo.wait_for_attempts(1)  # the worker handled it and is sending, held by the fake
    assert await count_rows(db, "inbound_updates") == 1
    assert await count_rows(db, "conversations") == 1
    assert zalo.sent == []
    zalo.release_sends()
    await hook.inbox.settled()
    assert zalo.sent[0]["text"] == texts.WELCOME


# --- tokens ---------------------------------------------------------------------------------


async def test_access_token_is_refreshed_ahead_of_expiry(
    hook: OaHook,
    zalo: FakeZaloOa,
    store: ChannelStore,
    clock: FrozenClock,
    authorised: tuple[str, str],
) -> None:
    access, _refresh = authorised
    clock.advance(hours=23, minutes=59)  # more than the one-hour margin left: no refresh
    await hook.say(USER, "xin chào", expect=2)
    assert zalo.refresh_requests() == []
    assert {m["access_token"] for m in zalo.sent} == {access}

    clock.advance(minutes=2)  # now less than an hour before expiry
    await hook.say(USER, "1")
    (refresh_request,) = zalo.refresh_requests()
    assert refresh_request["form"]["refresh_token"] == authorised[1]
    assert refresh_request["error"] == 0
    record = await store.get_token(TOKEN_NAME)
    assert record is not None
    assert record.version == 2
    assert record.access_expires_at == clock() + timedelta(seconds=90000)  # "90000", a string
    assert zalo.sent[-1]["access_token"] == record.access_token != access


async def test_rejected_token_is_refreshed_and_the_send_retried_once(
    hook: OaHook, zalo: FakeZaloOa, store: ChannelStore, authorised: tuple[str, str]
) -> None:
    zalo.invalidate_access_tokens()  # revoked early, though not expired by the clock
    sent = await hook.say(USER, "xin chào", expect=2)
    assert sent[0]["text"] == texts.WELCOME
    assert len(zalo.refresh_requests()) == 1
    assert [a["error"] for a in zalo.send_attempts] == [-216, 0, 0]
    record = await store.get_token(TOKEN_NAME)
    assert record is not None and record.version == 2
    assert {m["access_token"] for m in sent} == {record.access_token}


async def test_a_second_rejection_after_the_refresh_is_not_retried(
    client: ZaloOaClient, zalo: FakeZaloOa, authorised: tuple[str, str]
) -> None:
    zalo.fail_next_sends(-216, count=2)
    with pytest.raises(ZaloOaError) as raised:
        await client.send_text({"user_id": USER}, "xin chào")
    assert raised.value.code == -216
    assert len(zalo.send_attempts) == 2
    assert len(zalo.refresh_requests()) == 1


async def test_concurrent_refreshes_spend_the_refresh_token_once(
    db: Database,
    store: ChannelStore,
    session: aiohttp.ClientSession,
    zalo: FakeZaloOa,
    clock: FrozenClock,
    alerts: Alerts,
) -> None:
    access, refresh = zalo.issue_tokens()
    await store.put_token(TOKEN_NAME, access, clock() + timedelta(minutes=30), refresh, clock())
    # On PostgreSQL a second engine stands for a second bot process; SQLite serves one process.
    other = db if db.is_sqlite else Database(db.url)
    try:
        first = make_tokens(store, session, zalo, clock, alerts)
        second = make_tokens(ChannelStore(other), session, zalo, clock, alerts)
        zalo.hold_token_requests()
        one = asyncio.create_task(first.access_token())
        two = asyncio.create_task(second.access_token())
        await zalo.wait_for_token_requests(1)
        # Give the other process time to reach the row lock (or, were it broken, the server).
        await asyncio.sleep(0.2)
        zalo.release_token_requests()
        results = await asyncio.gather(one, two)
    finally:
        if other is not db:
            await other.dispose()
    assert len(zalo.refresh_requests()) == 1
    assert results[0] == results[1]
    assert results[0][1] == 2
    assert alerts.messages == []


async def test_concurrent_rejections_refresh_once(
    client: ZaloOaClient, zalo: FakeZaloOa, store: ChannelStore, authorised: tuple[str, str]
) -> None:
    zalo.invalidate_access_tokens()
    await asyncio.gather(*(client.send_text({"user_id": USER}, f"tin {i}") for i in range(5)))
    assert len(zalo.refresh_requests()) == 1
    assert len(zalo.sent) == 5
    record = await store.get_token(TOKEN_NAME)
    assert record is not None and record.version == 2


async def test_refused_refresh_token_alerts_once_and_replies_wait(
    hook: OaHook,
    zalo: FakeZaloOa,
    db: Database,
    store: ChannelStore,
    clock: FrozenClock,
    alerts: Alerts,
    authorised: tuple[str, str],
) -> None:
    zalo.revoke_refresh_tokens()  # e.g. spent by a copy of the bot elsewhere
    clock.advance(hours=24, minutes=30)
    posted = await hook.post(zalo.text_event(USER, "xin chào"))
    assert posted.status == 200  # the resident's message is stored all the same
    await hook.inbox.settled()
    assert len(alerts.messages) == 1
    assert "ykien zalo oa-authorize" in alerts.messages[0]
    assert zalo.sent == []
    assert await count_rows(db, "inbound_updates") == 1
    assert await count_rows(db, "pending_messages") == 2

    # The next message: no second alert, and the refused token is not tried again.
    await hook.deliver(zalo.text_event(USER, "1"), expect=0)
    assert len(alerts.messages) == 1
    assert len(zalo.refresh_requests()) == 1
    assert await count_rows(db, "pending_messages") == 3

    # The admin authorises again; the resident writes; the held replies come first.
    await authorise(store, zalo, clock)
    sent = await hook.say(USER, "/trogiup", expect=4)
    assert sent[0]["text"] == texts.WELCOME
    assert sent[2]["text"].startswith(texts.CHOOSE_KIND)
    assert sent[3]["text"] == texts.HELP
    assert await count_rows(db, "pending_messages") == 0
    assert len(alerts.messages) == 1


async def test_without_stored_tokens_the_error_says_what_to_run(
    client: ZaloOaClient, zalo: FakeZaloOa
) -> None:
    with pytest.raises(OaNotAuthorisedError, match="ykien zalo oa-authorize"):
        await client.send_text({"user_id": USER}, "xin chào")
    assert zalo.send_attempts == []


async def test_without_stored_tokens_the_webhook_still_stores_and_keeps_replies(
    hook: OaHook, zalo: FakeZaloOa, db: Database
) -> None:
    await hook.deliver(zalo.text_event(USER, "xin chào"), expect=0)
    assert await count_rows(db, "inbound_updates") == 1
    assert await count_rows(db, "pending_messages") == 2


# --- out of reach, rate limits, pacing ------------------------------------------------------


@pytest.mark.parametrize("code", [-230, -232])
async def test_out_of_reach_keeps_replies_until_the_resident_writes_again(
    hook: OaHook,
    zalo: FakeZaloOa,
    db: Database,
    store: ChannelStore,
    clock: FrozenClock,
    authorised: tuple[str, str],
    code: int,
) -> None:
    await hook.say(USER, "xin chào", expect=2)
    zalo.fail_next_sends(code, count=1, user_id=USER)
    consent = zalo.text_event(USER, "1")
    await hook.deliver(consent, expect=0)
    contact = await store.get_contact(CHANNEL, USER)
    assert contact is not None and contact.unreachable_since == clock()
    assert await count_rows(db, "pending_messages") == 1
    # Stopped at the refusal: nothing else was tried for this resident.
    assert [a["error"] for a in zalo.send_attempts][-1] == code

    clock.advance(days=7, hours=1)
    (_access, _refresh) = await authorise(store, zalo, clock)  # tokens kept fresh meanwhile
    choose = zalo.text_event(USER, "2")
    held, ask_text = await hook.deliver(choose, expect=2)
    assert held["text"] == texts.CHOOSE_KIND + numbered(*taxonomy.KINDS.values())
    assert ask_text["text"] == texts.ASK_TEXT.format(
        kind=taxonomy.KINDS["phan_anh"], limit=IntakeLimits().max_text_chars
    )
    assert recipients([held, ask_text]) == [{"message_id": choose["message"]["msg_id"]}] * 2
    assert await count_rows(db, "pending_messages") == 0
    contact = await store.get_contact(CHANNEL, USER)
    assert contact is not None and contact.unreachable_since is None


async def test_out_of_reach_keeps_the_rest_of_a_reply_in_order(
    hook: OaHook, zalo: FakeZaloOa, adapter: ZaloOaAdapter, authorised: tuple[str, str]
) -> None:
    await hook.say(USER, "xin chào", expect=2)
    zalo.fail_next_sends(-230, count=1, user_id=USER)
    await adapter.deliver(USER, [Outgoing(USER, "một"), Outgoing(USER, "hai")])
    await adapter.deliver(USER, [Outgoing(USER, "ba")])  # still out of reach: kept as well
    assert len(zalo.sent) == 2
    sent = await hook.say(USER, "/trogiup", expect=4)
    assert [m["text"] for m in sent] == ["một", "hai", "ba", texts.HELP]


async def test_other_users_are_not_affected_by_one_out_of_reach(
    hook: OaHook, zalo: FakeZaloOa, authorised: tuple[str, str]
) -> None:
    zalo.fail_next_sends(-230, count=5, user_id=USER)
    await hook.deliver(zalo.text_event(USER, "xin chào"), expect=0)
    sent = await hook.say(OTHER_USER, "xin chào", expect=2)
    assert {m["user_id"] for m in sent} == {OTHER_USER}


async def test_rate_limit_backs_off_and_succeeds(
    hook: OaHook, zalo: FakeZaloOa, authorised: tuple[str, str]
) -> None:
    zalo.fail_next_sends(-32, count=2)
    sent = await hook.say(USER, "xin chào", expect=2)
    assert sent[0]["text"] == texts.WELCOME
    assert [a["error"] for a in zalo.send_attempts] == [-32, -32, 0, 0]


async def test_persistent_rate_limit_gives_up_on_that_reply_only(
    client: ZaloOaClient, zalo: FakeZaloOa, adapter: ZaloOaAdapter, authorised: tuple[str, str]
) -> None:
    zalo.fail_next_sends(-32, count=client.rate_limit_retries + 1)
    await adapter.deliver(USER, [Outgoing(USER, "một"), Outgoing(USER, "hai")])
    assert [m["text"] for m in zalo.sent] == ["hai"]
    assert len(zalo.send_attempts) == client.rate_limit_retries + 2


async def test_other_errors_skip_the_reply_and_go_on(
    zalo: FakeZaloOa, adapter: ZaloOaAdapter, db: Database, authorised: tuple[str, str]
) -> None:
    zalo.fail_next_sends(-201, count=1)
    await adapter.deliver(USER, [Outgoing(USER, "một"), Outgoing(USER, "hai")])
    assert [m["text"] for m in zalo.sent] == ["hai"]
    assert await count_rows(db, "pending_messages") == 0


async def test_sends_are_paced(
    session: aiohttp.ClientSession, zalo: FakeZaloOa, tokens: OaTokens, authorised: tuple[str, str]
) -> None:
    paced = ZaloOaClient(session, zalo.api_base_url, tokens, max_per_second=20.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(paced.send_text({"user_id": USER}, f"tin {i}") for i in range(6)))
    # Six sends at 20 per second need at least five intervals of 50 ms.
    assert loop.time() - started >= 5 * 0.05 * 0.95
    assert len(zalo.sent) == 6


# --- logs -----------------------------------------------------------------------------------


async def test_logs_carry_no_message_text_and_no_token(
    hook: OaHook,
    zalo: FakeZaloOa,
    engine: Engine,
    clock: FrozenClock,
    authorised: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Ours at DEBUG; the drivers' DEBUG output (aiosqlite echoes SQL parameters) is not ours.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")
    secret_words = "Nhà số 12 bị đổ rác trộm mỗi đêm, số điện thoại hàng xóm 0901234567."
    await hook.deliver(zalo.follow_event(USER), expect=2)
    await hook.say(USER, "1")
    zalo.invalidate_access_tokens()  # a refresh on the way
    await hook.say(USER, "2")
    zalo.fail_next_sends(-230, count=1)  # an unreachable resident on the way
    await hook.deliver(zalo.text_event(USER, secret_words), expect=0)
    clock.advance(days=8)
    await hook.deliver(zalo.text_event(USER, "Thêm: rác đổ cả ban ngày"), expect=2)

    # A failure while handling must not quote the text either (at INFO and above).
    handle = engine.handle

    async def fails_once(incoming: Incoming) -> list[Outgoing]:
        monkeypatch.setattr(engine, "handle", handle)  # the inbox's retry succeeds
        raise RuntimeError(f"constraint failed for {incoming.text}")

    monkeypatch.setattr(engine, "handle", fails_once)
    stored = await hook.post(zalo.text_event(USER, secret_words))
    assert stored.status == 200
    await hook.inbox.settled()
    assert any(r.name == "bot.inbox" and r.levelno == logging.WARNING for r in caplog.records)

    # One refresh after the -216, one ahead of expiry eight days later.
    assert len(zalo.refresh_requests()) == 2
    assert len(zalo.issued_tokens) == 6
    everything = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in [*zalo.issued_tokens, DEFAULT_APP_SECRET, DEFAULT_SECRET_KEY]:
        assert secret not in everything
    visible = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert visible, "the flow logs ids and events at INFO"
    for record in visible:
        line = record.getMessage() + (record.exc_text or "")
        for words in (secret_words, "0901234567", "rác đổ cả ban ngày"):
            assert words not in line, line
        for sent in zalo.sent:
            assert sent["text"] not in line, line
    assert any(USER in r.getMessage() for r in visible)  # ids are what the logs name


# --- the OAuth endpoint ---------------------------------------------------------------------


def oauth_for(session: aiohttp.ClientSession, zalo: FakeZaloOa, secret: str) -> ZaloOAuth:
    return ZaloOAuth(session, zalo.oauth_base_url, DEFAULT_APP_ID, secret)


async def test_exchange_code_with_pkce(session: aiohttp.ClientSession, zalo: FakeZaloOa) -> None:
    verifier = make_code_verifier()
    code = zalo.register_challenge(code_challenge(verifier))
    access, expires_in, refresh = await oauth_for(session, zalo, DEFAULT_APP_SECRET).exchange_code(
        code, verifier
    )
    assert (access, refresh) == tuple(zalo.issued_tokens)
    assert expires_in == 90000
    (request,) = zalo.token_requests
    assert request["form"] == {
        "app_id": DEFAULT_APP_ID,
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
    }


async def test_exchange_with_the_wrong_verifier_is_refused(
    session: aiohttp.ClientSession, zalo: FakeZaloOa
) -> None:
    code = zalo.register_challenge(code_challenge(make_code_verifier()))
    with pytest.raises(ZaloOaError) as raised:
        await oauth_for(session, zalo, DEFAULT_APP_SECRET).exchange_code(code, "x" * 43)
    assert raised.value.code < 0
    assert zalo.issued_tokens == []


async def test_wrong_app_secret_is_refused(
    session: aiohttp.ClientSession, zalo: FakeZaloOa
) -> None:
    _access, refresh = zalo.issue_tokens()
    with pytest.raises(ZaloOaError) as raised:
        await oauth_for(session, zalo, "not-the-secret").refresh(refresh)
    assert raised.value.code < 0
    assert raised.value.message  # Zalo's reason, for the operator


async def test_a_refresh_token_works_once(session: aiohttp.ClientSession, zalo: FakeZaloOa) -> None:
    oauth = oauth_for(session, zalo, DEFAULT_APP_SECRET)
    _access, refresh = zalo.issue_tokens()
    new_access, _seconds, new_refresh = await oauth.refresh(refresh)
    assert new_access != _access and new_refresh != refresh
    with pytest.raises(ZaloOaError) as raised:
        await oauth.refresh(refresh)
    assert raised.value.code == -14014


@pytest.mark.parametrize(
    ("given", "seconds"), [("90000", 90000), (" 3600 ", 3600), ("soon", 3600), ("0", 3600)]
)
async def test_expires_in_is_read_tolerantly(
    session: aiohttp.ClientSession, zalo: FakeZaloOa, given: str, seconds: int
) -> None:
    zalo.expires_in = given
    _access, refresh = zalo.issue_tokens()
    _new, expires_in, _refresh = await oauth_for(session, zalo, DEFAULT_APP_SECRET).refresh(refresh)
    assert expires_in == seconds
