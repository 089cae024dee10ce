"""Residents on every real channel, for running the same dialogue tables over all of them.

Each channel harness starts its fake server(s) and our webhook app on 127.0.0.1, and a resident
on it turns table actions into that channel's updates, over real HTTP both ways:

- `shell`: typed lines through `bot.channels.shell_adapter` (no HTTP: it is a terminal);
- `telegram`: Telegram updates POSTed to `/webhooks/telegram`, replies read from FakeTelegram;
- `zalo_bot`: Bot API webhooks to `/webhooks/zalo-bot`, replies read from FakeZaloBot;
- `zalo_oa`: signed OA events to `/webhooks/zalo-oa`, replies read from FakeZaloOa.

Channels without buttons show choices as numbered lines: there a "press" becomes the typed
number of that choice, and the numbered lines are cut off the replies before comparing, so one
table serves every channel.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any, ClassVar, Protocol

import aiohttp
from aiohttp import web

from bot.alerts import ChatSender
from bot.channels import shell_adapter, zalo_bot, zalo_oa
from bot.channels.telegram_adapter import TelegramAdapter, make_bot
from bot.channels.telegram_outbox import TelegramButtonSender
from bot.channels.zalo_oauth import OaTokens, ZaloOAuth, oa_token_name
from bot.inbox import Inbox
from bot.runner import split_sender
from bot.scheduler import ButtonSender, Scheduler
from bot.web import TELEGRAM_SECRET_HEADER, build_web_app
from handlers.intake import Engine
from handlers.messages import Outgoing, UserRef
from storage.channels import ChannelStore
from storage.db import Database
from tests.fakes import telegram_updates as tg_updates
from tests.fakes import zalo_bot_server as zb
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.zalo_oa_server import (
    DEFAULT_APP_ID,
    DEFAULT_APP_SECRET,
    DEFAULT_SECRET_KEY,
    FakeZaloOa,
)
from tests.inbox import running_inbox

CHANNELS = ("shell", "telegram", "zalo_bot", "zalo_oa")
# What a resident can do on each channel besides text, commands and choices.
CAPABILITIES: dict[str, frozenset[str]] = {
    "shell": frozenset({"photo", "location"}),
    "telegram": frozenset({"photo", "location", "sticker", "buttons"}),
    "zalo_bot": frozenset({"photo", "sticker"}),
    "zalo_oa": frozenset({"photo", "location", "sticker"}),
}
TELEGRAM_TOKEN = "246810:DIALOGUE-TEST-TOKEN"
TELEGRAM_SECRET = "dialogue-telegram-secret-0123456789"
ZALO_BOT_SECRET = "dialogue-zalo-bot-secret"
# Zalo names a photo by its CDN URL, often longer than a Telegram file id: stored whole.
PHOTO_URL = "https://photo-stal.zadn.vn/zalo/anh-chup.jpg?" + "&".join(
    f"k{i}=v{i:04d}" for i in range(40)
)
LOCATION = (10.7721, 106.6983)
NUMBERED_TAIL = re.compile(r"\n\n(?:\d+\. [^\n]*\n?)+\Z")


class Unexpressible(Exception):
    """The channel has no way to do this action (e.g. a location on the Zalo Bot Platform)."""


class ChannelResident(Protocol):
    """A resident as the dialogue tables drive them, on one channel."""

    user: UserRef

    async def act(self, action: tuple[str, ...]) -> list[str]: ...

    async def redeliver(self) -> list[str]: ...


def without_choices(text: str) -> str:
    """A reply as a table expects it: without the numbered choice lines of button-less channels."""
    return NUMBERED_TAIL.sub("", text)


async def _choice_number(db: Database, user: UserRef, payload: str) -> str:
    """The number a resident types to choose `payload` among the choices shown last."""
    async with db.unit_of_work() as uow:
        conversation = await uow.conversations.get_for_update(user.channel, user.external_id)
    options = conversation.data.get("options", []) if conversation is not None else []
    payloads = [option[0] for option in options]
    # A choice no longer on offer: a resident can only type a number that is not one.
    return str(payloads.index(payload) + 1) if payload in payloads else str(len(payloads) + 1)


class _TextResident:
    """Shared by the button-less channels: presses become typed numbers."""

    channel = ""
    capabilities: frozenset[str] = frozenset()

    def __init__(self, db: Database, external_id: str) -> None:
        self.db = db
        self.user = UserRef(self.channel, external_id)
        self._last: Any = None

    async def act(self, action: tuple[str, ...]) -> list[str]:
        """Do one table action; returns the reply texts without numbered choices."""
        verb, *args = action
        if verb == "press":
            verb, args = "say", [await _choice_number(self.db, self.user, args[0])]
        if verb in {"photo", "location", "sticker"} and verb not in self.capabilities:
            raise Unexpressible(f"{self.channel} cannot send a {verb}")
        self._last = self.update(verb, args)
        return [without_choices(text) for text in await self.send(self._last)]

    async def redeliver(self) -> list[str]:
        """Deliver the previous update again, as a retrying platform would."""
        return [without_choices(text) for text in await self.send(self._last)]

    def update(self, verb: str, args: list[str]) -> Any:
        """The channel's update for an action."""
        raise NotImplementedError

    async def send(self, update: Any) -> list[str]:
        """Deliver an update; returns the texts the bot sent back."""
        raise NotImplementedError


# --- shell ----------------------------------------------------------------------------------


class ShellResident(_TextResident):
    """A resident typing in `ykien shell`."""

    channel = shell_adapter.CHANNEL
    capabilities = CAPABILITIES["shell"]

    def __init__(self, db: Database, engine: Engine, external_id: str) -> None:
        super().__init__(db, external_id)
        self.engine = engine
        self._ids = itertools.count(1)

    def update(self, verb: str, args: list[str]) -> Any:
        """The typed line of an action, with its own update id."""
        if verb == "say":
            line = args[0]
        elif verb == "cmd":
            line = f"/{args[0]} {args[1] if len(args) > 1 else ''}".strip()
        elif verb == "photo":
            line = f"{shell_adapter.PHOTO_PREFIX} {args[0] if args else ''}".strip()
        elif verb == "location":
            line = f"{shell_adapter.LOCATION_PREFIX} {LOCATION[0]},{LOCATION[1]}"
        else:
            raise Unexpressible(f"shell: {verb}")
        return shell_adapter.parse_line(
            line, self.user, self.engine, update_id=f"{self.user.external_id}-{next(self._ids)}"
        )

    async def send(self, update: Any) -> list[str]:
        """Hand the line to the engine and render its replies as the terminal shows them."""
        return [shell_adapter.render(reply) for reply in await self.engine.handle(update)]


# --- Zalo Bot Platform ----------------------------------------------------------------------


class ZaloBotResident(_TextResident):
    """A resident writing to the bot on the Zalo Bot Platform (webhook delivery)."""

    channel = zalo_bot.CHANNEL
    capabilities = CAPABILITIES["zalo_bot"]

    def __init__(
        self, db: Database, fake: zb.FakeZaloBot, inbox: Inbox, url: str, external_id: str
    ) -> None:
        super().__init__(db, external_id)
        self.fake = fake
        self.inbox = inbox
        self.url = url

    def update(self, verb: str, args: list[str]) -> Any:
        """The Bot API update of an action."""
        user = self.user.external_id
        if verb == "say":
            return zb.text_update(args[0], user_id=user)
        if verb == "cmd":
            text = f"/{args[0]} {args[1] if len(args) > 1 else ''}".strip()
            return zb.text_update(text, user_id=user)
        if verb == "photo":
            return zb.image_update(PHOTO_URL, caption=args[0] if args else None, user_id=user)
        if verb == "sticker":
            return zb.sticker_update(user_id=user)
        raise Unexpressible(f"zalo_bot: {verb}")

    async def send(self, update: Any) -> list[str]:
        """POST the webhook; the replies come once the inbox's worker handled it."""
        before = len(self.fake.sent)
        status, body = await self.fake.post_webhook(self.url, update, secret=ZALO_BOT_SECRET)
        assert status == 200, (status, body)
        await self.inbox.settled()
        return [message["text"] for message in self.fake.sent[before:]]


# --- Zalo OA --------------------------------------------------------------------------------


class ZaloOaResident(_TextResident):
    """A follower writing to the Official Account."""

    channel = zalo_oa.CHANNEL
    capabilities = CAPABILITIES["zalo_oa"]

    def __init__(
        self,
        db: Database,
        fake: FakeZaloOa,
        inbox: Inbox,
        url: str,
        external_id: str,
    ) -> None:
        super().__init__(db, external_id)
        self.fake = fake
        self.inbox = inbox
        self.url = url

    def update(self, verb: str, args: list[str]) -> Any:
        """The OA event of an action."""
        user = self.user.external_id
        if verb == "say":
            return self.fake.text_event(user, args[0])
        if verb == "cmd":
            return self.fake.text_event(
                user, f"/{args[0]} {args[1] if len(args) > 1 else ''}".strip()
            )
        if verb == "photo":
            return self.fake.image_event(user, url=PHOTO_URL)
        if verb == "location":
            return self.fake.location_event(user, str(LOCATION[0]), str(LOCATION[1]))
        if verb == "sticker":
            return self.fake.sticker_event(user)
        raise Unexpressible(f"zalo_oa: {verb}")

    async def send(self, update: Any) -> list[str]:
        """POST the signed event, wait for the replies sent after the 200."""
        before = len(self.fake.sent)
        posted = await self.fake.sign_and_post(self.url, update)
        assert posted.status == 200, posted
        await self.inbox.settled()
        return [message["text"] for message in self.fake.sent[before:]]


# --- Telegram -------------------------------------------------------------------------------


class TelegramResident:
    """A Telegram user: buttons are real inline-keyboard presses."""

    channel = "telegram"
    capabilities = CAPABILITIES["telegram"]
    _update_ids = itertools.count(900_000)

    def __init__(
        self,
        fake: FakeTelegram,
        session: aiohttp.ClientSession,
        inbox: Inbox,
        url: str,
        user_id: int,
    ) -> None:
        self.fake = fake
        self.session = session
        self.inbox = inbox
        self.url = url
        self.user_id = user_id
        self.user = UserRef("telegram", str(user_id))
        self._last: dict[str, Any] | None = None

    async def act(self, action: tuple[str, ...]) -> list[str]:
        """Do one table action; returns the reply texts."""
        verb, *args = action
        uid, update_id = self.user_id, next(self._update_ids)
        if verb == "say":
            update = tg_updates.text_update(args[0], user_id=uid, update_id=update_id)
        elif verb == "cmd":
            update = tg_updates.command_update(args[0], *args[1:], user_id=uid, update_id=update_id)
        elif verb == "press":
            update = self._press(args[0], update_id)
        elif verb == "photo":
            caption = args[0] if args else None
            update = tg_updates.photo_update(caption, user_id=uid, update_id=update_id)
        elif verb == "location":
            update = tg_updates.location_update(*LOCATION, user_id=uid, update_id=update_id)
        elif verb == "sticker":
            update = tg_updates.sticker_update(user_id=uid, update_id=update_id)
        else:
            raise Unexpressible(f"telegram: {verb}")
        self._last = update
        return await self._post(update)

    async def document(
        self,
        file_name: str,
        data: bytes,
        mime_type: str = "application/octet-stream",
        *,
        file_size: int | None = None,
    ) -> list[str]:
        """Send a file (FakeTelegram serves `data` through getFile); returns the reply texts.
        `file_size`: the size the update announces, when it is not the data's."""
        update = tg_updates.document_update(
            file_name,
            mime_type,
            user_id=self.user_id,
            update_id=next(self._update_ids),
            file_size=len(data) if file_size is None else file_size,
        )
        self.fake.files[update["message"]["document"]["file_id"]] = data
        self._last = update
        return await self._post(update)

    async def redeliver(self) -> list[str]:
        """POST the previous update again, as Telegram does after a failed answer."""
        assert self._last is not None
        return await self._post(self._last)

    def _press(self, payload: str, update_id: int) -> dict[str, Any]:
        # The newest message sent to this user that offers the button.
        for index in range(len(self.fake.sent) - 1, -1, -1):
            message = self.fake.sent[index]
            markup = message.get("reply_markup")
            if str(message.get("chat_id")) != str(self.user_id) or not isinstance(markup, dict):
                continue
            offered = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
            if payload in offered:
                return tg_updates.callback_update(
                    payload,
                    user_id=self.user_id,
                    message_text=message["text"],
                    message_id=index + 1,  # FakeTelegram numbers sent messages 1, 2, 3, ...
                    reply_markup=markup,
                    update_id=update_id,
                )
        # A stale button: an old keyboard's press, as a resident scrolling up would send.
        return tg_updates.callback_update(payload, user_id=self.user_id, update_id=update_id)

    async def _post(self, update: dict[str, Any]) -> list[str]:
        before = len(self.fake.sent)
        headers = {TELEGRAM_SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": "application/json"}
        async with self.session.post(self.url, data=json.dumps(update), headers=headers) as reply:
            assert reply.status == 200, await reply.text()
        await self.inbox.settled()
        return [message["text"] for message in self.fake.sent[before:]]


# --- harness --------------------------------------------------------------------------------


class Harness:
    """One channel's servers; hands out residents on it."""

    def __init__(self, channel: str, db: Database, engine: Engine) -> None:
        self.channel = channel
        self.db = db
        self.engine = engine
        self.capabilities = CAPABILITIES[channel]
        self._stack = AsyncExitStack()
        self._names: dict[str, int] = {}

    async def start(self) -> None:
        """Start the fakes and our webhook app for the channel."""
        stack = self._stack
        self.session = await stack.enter_async_context(aiohttp.ClientSession())
        self.inbox = await stack.enter_async_context(running_inbox(self.db, self.engine.clock))
        if self.channel == "telegram":
            self.telegram = await stack.enter_async_context(FakeTelegram(TELEGRAM_TOKEN))
            adapter = TelegramAdapter(make_bot(TELEGRAM_TOKEN, self.telegram.root_url), self.engine)
            self.telegram_adapter = adapter
            await adapter.bot.initialize()
            stack.push_async_callback(adapter.bot.shutdown)
            self.base = await self._serve(
                build_web_app(self.inbox, telegram=adapter, telegram_secret=TELEGRAM_SECRET)
            )
        elif self.channel == "zalo_bot":
            self.zalo_bot = await stack.enter_async_context(zb.FakeZaloBot())
            client = zalo_bot.ZaloBotClient(self.session, zb.DEFAULT_TOKEN, self.zalo_bot.base_url)
            adapter_zb = zalo_bot.ZaloBotAdapter(
                client, self.engine, webhook_secret=ZALO_BOT_SECRET, send_interval=0.0
            )
            self.zalo_bot_client = client
            self.base = await self._serve(build_web_app(self.inbox, zalo_bot=adapter_zb))
        elif self.channel == "zalo_oa":
            self.zalo_oa = await stack.enter_async_context(FakeZaloOa())
            store = ChannelStore(self.db)
            access, refresh = self.zalo_oa.issue_tokens()
            now = self.engine.clock()
            name = oa_token_name(DEFAULT_APP_ID)
            await store.put_token(name, access, now + timedelta(hours=25), refresh, now)
            oauth = ZaloOAuth(
                self.session, self.zalo_oa.oauth_base_url, DEFAULT_APP_ID, DEFAULT_APP_SECRET
            )

            async def alert(message: str) -> None:
                raise AssertionError(f"unexpected alert: {message}")

            tokens = OaTokens(store, oauth, name=name, clock=self.engine.clock, alert=alert)
            client_oa = zalo_oa.ZaloOaClient(
                self.session, self.zalo_oa.api_base_url, tokens, max_per_second=1000.0
            )
            self.oa = zalo_oa.ZaloOaAdapter(
                client_oa, self.engine, store, app_id=DEFAULT_APP_ID, secret_key=DEFAULT_SECRET_KEY
            )
            self.base = await self._serve(build_web_app(self.inbox, zalo_oa=self.oa))

    async def _serve(self, app: web.Application) -> str:
        runner = web.AppRunner(app)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def close(self) -> None:
        """Stop everything started."""
        await self._stack.aclose()

    async def deliver(self) -> dict[str, int]:
        """Send what the outbox holds for this channel, as the running service would at once."""
        if not hasattr(self, "_outbox"):
            senders: dict[str, ChatSender] = {}
            buttons: dict[str, ButtonSender] = {}
            if self.channel == "telegram":
                buttons["telegram"] = TelegramButtonSender(self.telegram_adapter.bot)
            elif self.channel == "zalo_bot":
                # As bot.runner sends: split to the Bot API's 2,000 characters.
                senders["zalo_bot"] = split_sender(
                    self.zalo_bot_client.send_message, zalo_bot.MAX_TEXT_LENGTH
                )
            elif self.channel == "zalo_oa":

                async def send_oa(chat: str, text: str) -> None:
                    await self.oa.deliver(chat, [Outgoing(chat_id=chat, text=text)])

                senders["zalo_oa"] = send_oa
            else:

                async def print_line(chat: str, text: str) -> None:
                    self.shell_printed.append((chat, text))

                senders["shell"] = print_line
            self.shell_printed: list[tuple[str, str]] = []
            self._outbox = Scheduler(
                self.db,
                clock=self.engine.clock,
                planners=[],
                senders=senders,
                button_senders=buttons,
            )
        return await self._outbox.deliver()

    def received(self, chat: str) -> list[str]:
        """Every text that reached `chat` so far, oldest first (on Telegram, edits included)."""
        if self.channel == "telegram":
            texts = []
            for name, params in self.telegram.calls:
                if name.lower() in ("sendmessage", "editmessagetext") and str(
                    params.get("chat_id")
                ) == str(chat):
                    texts.append(str(params.get("text", "")))
            return texts
        if self.channel == "zalo_bot":
            return [m["text"] for m in self.zalo_bot.sent if m.get("chat_id") == chat]
        if self.channel == "zalo_oa":
            return [m["text"] for m in self.zalo_oa.sent if m.get("user_id") == chat]
        return [text for to, text in getattr(self, "shell_printed", []) if to == chat]

    def moderator(self, name: str) -> ChannelModerator:
        """A person called `name` on this channel who will moderate (the role is given apart)."""
        return ChannelModerator(self, self.resident(name))

    def resident(self, name: str = "resident-1") -> ChannelResident:
        """A resident called `name` (each name gets its own channel identity)."""
        number = self._names.setdefault(name, len(self._names) + 1)
        if self.channel == "shell":
            return ShellResident(self.db, self.engine, name)
        if self.channel == "telegram":
            url = f"{self.base}/webhooks/telegram"
            return TelegramResident(
                self.telegram, self.session, self.inbox, url, 700_100_200 + number
            )
        if self.channel == "zalo_bot":
            user = f"6ede9afa66b88fe6d6{number:02x}"
            url = f"{self.base}/webhooks/zalo-bot"
            return ZaloBotResident(self.db, self.zalo_bot, self.inbox, url, user)
        user = str(6_142_494_823_000_000_000 + number)
        url = f"{self.base}/webhooks/zalo-oa"
        return ZaloOaResident(self.db, self.zalo_oa, self.inbox, url, user)


@asynccontextmanager
async def channel_harness(channel: str, db: Database, engine: Engine) -> AsyncIterator[Harness]:
    """A started harness for `channel`, stopped afterwards."""
    harness = Harness(channel, db, engine)
    try:
        await harness.start()
        yield harness
    finally:
        await harness.close()


# --- moderators -----------------------------------------------------------------------------


class ChannelModerator:
    """A moderator on one channel: reads what the review queue sends them, decides with the
    queue message's buttons on Telegram and with typed commands elsewhere.

    Every action returns the texts that reached the moderator's chat meanwhile, Telegram's
    in-place edits included (a decision there replaces the queue message).
    """

    # Decisions typed where buttons are missing; per label: show, choose, the /sua key.
    DECIDE: ClassVar[dict[str, str]] = {"ok": "duyet", "hc": "hanche", "sp": "spam"}
    FIELDS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "topic": ("lt", "t", "linhvuc"),
        "kind": ("lk", "k", "loai"),
    }

    def __init__(self, harness: Harness, resident: ChannelResident) -> None:
        self.harness = harness
        self.resident = resident
        self.user = resident.user
        self.buttons = "buttons" in harness.capabilities

    async def act(self, action: tuple[str, ...], code: str) -> list[str]:
        """("inbox",), ("decide", ok|hc|sp) or ("fix", topic|kind, value) on case `code`;
        any other action is the resident's (consent, commands)."""
        verb, *args = action
        before = len(self.harness.received(self.user.external_id))
        if verb == "inbox":
            await self.harness.deliver()
        elif verb == "decide" and self.buttons:
            await self._press(f"mod:{args[0]}:{code}")
        elif verb == "decide":
            return await self.resident.act(("cmd", self.DECIDE[args[0]], code))
        elif verb == "fix" and self.buttons:
            show, choose, _ = self.FIELDS[args[0]]
            await self._press(f"mod:{show}:{code}")
            await self._press(f"mod:{choose}:{code}:{args[1]}")
        elif verb == "fix":
            command = f"{code} {self.FIELDS[args[0]][2]}={args[1]}"
            return await self.resident.act(("cmd", "sua", command))
        else:
            return await self.resident.act(action)
        return [without_choices(t) for t in self.harness.received(self.user.external_id)[before:]]

    async def _press(self, payload: str) -> None:
        """Press `payload` on the newest message of the chat that offers it now."""
        assert isinstance(self.resident, TelegramResident)
        telegram, chat = self.harness.telegram, self.user.external_id
        update_id = next(TelegramResident._update_ids)
        for message in reversed(telegram.messages_in(chat)):
            markup = message.get("reply_markup") or {}
            offered = [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]
            if payload in offered:
                update = tg_updates.callback_update(
                    payload,
                    user_id=self.resident.user_id,
                    message_text=message["text"],
                    message_id=message["message_id"],
                    reply_markup=markup,
                    update_id=update_id,
                )
                break
        else:  # no message offers it any more: an old keyboard's press
            update = tg_updates.callback_update(
                payload, user_id=self.resident.user_id, update_id=update_id
            )
        await self.resident._post(update)
