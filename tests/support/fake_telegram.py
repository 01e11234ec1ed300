"""A fake Telegram Bot API server: the real wire format, driven by the real aiogram client.

Why a server and not a mocked session: the channel's error mapping depends on what really
happens on the wire (a 429 body with `parameters.retry_after`, a 500, a request that was
written and then never answered), and later tests assert on *what he would see on her phone*.
So the fake keeps, per chat, the ordered list of messages a phone would show (hers and the
bot's, with inline keyboards, edits and deletions) and records every call it was made.

Wire format (as api.telegram.org):
- `POST /bot<token>/<method>`, parameters as JSON, urlencoded or multipart form (aiogram sends
  a form whose nested values are JSON strings); method names are case-insensitive.
- answers `{"ok": true, "result": ...}` or
  `{"ok": false, "error_code": N, "description": "...", "parameters": {"retry_after": N}}`.

Supported methods: getMe, sendMessage, editMessageText, deleteMessage, deleteMessages (1-100
ids), answerCallbackQuery, setWebhook, deleteWebhook, getWebhookInfo, getUpdates (long polling).

Driving it from a test::

    async with FakeTelegram() as fake:                 # serves on 127.0.0.1, random port
        settings TELEGRAM_API_BASE = fake.url
        update = fake.user_sends(4242, "hello")         # her message appears in chat 4242
        await deliver(update, webhook_url, secret)      # webhook mode: post it like Telegram
        # (polling mode: the update waits in the getUpdates queue instead)
        fake.screen(4242)                               # what her phone shows now
        fake.calls("sendMessage")                       # what the bot asked for, with times

Fault injection, consumed one per call of the method, in the order queued::

    fake.rate_limit("sendMessage", retry_after=1)       # 429 Too Many Requests
    fake.server_error("sendMessage")                    # 500
    fake.fail("sendMessage", 400, "Bad Request: ...")   # any error answer
    fake.delay("sendMessage", 0.2)                      # answer late (but answer)
    fake.hang("sendMessage")                            # carry the call out, never answer
    fake.latency_ms = 20                                # added to every call

Chat-level behaviour a real chat has: `block(chat_id)` (she blocked the bot: 403), `deactivate`
(403 user is deactivated); sending to a chat that never wrote to the bot gives 400 "chat not
found". Messages older than 48 hours cannot be deleted (`advance(seconds)` moves the fake clock).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web

DEFAULT_TOKEN = "123456:TEST-token-not-real"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DELETE_WINDOW = 48 * 3600  # a bot may delete messages in a private chat for 48 hours
MAX_TEXT = 4096
MAX_DELETE_IDS = 100

_JSON_FIELDS = {"reply_markup", "message_ids", "allowed_updates", "link_preview_options", "entities"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "max_connections"}
_BOOL_FIELDS = {"drop_pending_updates", "show_alert", "disable_notification", "protect_content"}
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ApiError(Exception):
    """An error answer of the Bot API (raised inside the fake, turned into the JSON body)."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


@dataclass
class ChatMessage:
    """One message as her phone shows it."""

    message_id: int
    sender: Literal["bot", "user"]
    text: str
    date: int
    reply_markup: dict[str, Any] | None = None
    edited: bool = False
    edit_date: int | None = None

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(callback_data, label) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b.get("callback_data", ""), b.get("text", "")) for row in rows for b in row]

    def as_dict(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "from": self.sender, "text": self.text,
                "buttons": self.buttons, "date": self.date, "edited": self.edited}


@dataclass
class Chat:
    """A private chat between one user and the bot."""

    chat_id: int
    messages: list[ChatMessage] = field(default_factory=list)
    next_message_id: int = 1
    blocked: bool = False  # she blocked the bot
    deactivated: bool = False  # her account was deleted
    deleted_ids: list[int] = field(default_factory=list)  # what the bot deleted, in order

    def find(self, message_id: int) -> ChatMessage | None:
        return next((m for m in self.messages if m.message_id == message_id), None)


@dataclass(frozen=True)
class Call:
    """One request the fake received. `at` is time.monotonic() on arrival."""

    method: str
    params: dict[str, Any]
    at: float
    token_ok: bool = True
    limited: bool = False  # refused with 429 by the enforced limits: it never reached her chat


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or before) answering one call normally."""

    status: int | None = None
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    hang: bool = False
    apply: bool = True  # for hang: carry the call out before going silent


class FakeTelegram:
    """The fake Bot API. Use `async with FakeTelegram() as fake:` or `start()` / `close()`."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_username: str = "weather_notes_bot",
                 bot_first_name: str = "Weather notes", latency_ms: float = 0.0,
                 require_https_webhook: bool = False) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.latency_ms = latency_ms
        self.require_https_webhook = require_https_webhook
        self.chats: dict[int, Chat] = {}
        self.recorded: list[Call] = []
        self.faults: dict[str, deque[Fault]] = {}
        self.webhook: dict[str, Any] | None = None
        self.pending_updates: list[dict[str, Any]] = []
        self.answered_callbacks: dict[str, dict[str, Any]] = {}
        self.open_callbacks: set[str] = set()
        self.clock_offset = 0.0
        # Telegram's limits, enforced when set (429 with retry_after, as the real API answers)
        self.global_limit: float | None = None  # messages per second to all chats
        self.chat_limit: float | None = None  # messages per second to one chat
        self.limit_refusals = 0
        # a gateway in front of the API (a proxy, a load balancer) answering for it: (status, html)
        self.gateway_down: tuple[int, bool] | None = None
        self.gateway_refusals = 0
        self._sends: deque[float] = deque()
        self._chat_sends: dict[int, float] = {}
        self.slow_chats: dict[int, float] = {}  # chat id -> seconds every send to it takes
        self._site: web.TCPSite | None = None
        self._port = 0
        self.url = ""
        self._update_ids = itertools.count(700_000_001)
        self._callback_ids = itertools.count(5_550_000_000_000_000_001)
        self._new_update = asyncio.Event()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            name.lower(): fn for name, fn in {
                "getMe": self._get_me, "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text, "deleteMessage": self._delete_message,
                "editMessageReplyMarkup": self._edit_reply_markup,
                "deleteMessages": self._delete_messages, "answerCallbackQuery": self._answer_callback,
                "setWebhook": self._set_webhook, "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
            }.items()
        }

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port if self.url else 0)
        await site.start()
        self._site = site
        self._port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{self._port}"
        return self.url

    async def refuse_connections(self) -> None:
        """An outage: the port stops listening (connection refused) until `accept_connections`."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner is not None and self._runner.server is not None:
            await self._runner.server.shutdown(0.1)  # and the open keep-alive connections drop

    async def accept_connections(self) -> None:
        assert self._runner is not None
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        self._site = site

    def gateway_outage(self, status: int = 502, *, html: bool = True) -> None:
        """An outage behind a gateway: every call is answered by the gateway with `status` (nginx's
        HTML error page, or JSON) and never reaches the API, until `gateway_back`."""
        self.gateway_down = (status, html)

    def gateway_back(self) -> None:
        self.gateway_down = None

    def enforce_limits(self, per_second: float = 30.0, per_chat_per_second: float | None = 1.0) -> None:
        """Refuse sendMessage above Telegram's limits with 429, like the real API."""
        self.global_limit, self.chat_limit = per_second, per_chat_per_second

    def _over_limit(self, chat_id: Any, now: float) -> bool:
        """Counted at `now`, when the request arrived (before its body was read: a busy event loop
        between the two bunched arrivals that had come spaced)."""
        if self.global_limit is not None:
            while self._sends and self._sends[0] <= now - 1.0:
                self._sends.popleft()
            if len(self._sends) >= self.global_limit:
                return True
        if self.chat_limit is not None and isinstance(chat_id, int):
            last = self._chat_sends.get(chat_id)
            if last is not None and now - last < 1.0 / self.chat_limit:
                return True
            self._chat_sends[chat_id] = now
        self._sends.append(now)
        return False

    async def close(self) -> None:
        self._release.set()  # hung and long-polling calls return now
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # -- the clock ------------------------------------------------------------------------

    def now(self) -> int:
        return int(time.time() + self.clock_offset)

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on (message dates, the 48-hour deletion window)."""
        self.clock_offset += seconds

    # -- faults ---------------------------------------------------------------------------

    def _queue(self, method: str, fault: Fault, times: int) -> None:
        self.faults.setdefault(method.lower(), deque()).extend([fault] * times)

    def fail(self, method: str, status: int, description: str, *, retry_after: int | None = None,
             times: int = 1) -> None:
        """The next `times` calls of `method` get this error answer and change nothing."""
        self._queue(method, Fault(status=status, description=description, retry_after=retry_after), times)

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        self.fail(method, 429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after,
                  times=times)

    def server_error(self, method: str, times: int = 1) -> None:
        self.fail(method, 500, "Internal Server Error", times=times)

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer the next calls normally, but only after `seconds`."""
        self._queue(method, Fault(delay=seconds), times)

    def hang(self, method: str, times: int = 1, *, apply: bool = True) -> None:
        """Never answer the next calls (until close). With `apply` the call is carried out first:
        the message reaches her phone, the answer is lost (the case a client must treat as 'may
        have gone out')."""
        self._queue(method, Fault(hang=True, apply=apply), times)

    # -- chats as her phone shows them ----------------------------------------------------

    def chat(self, chat_id: int) -> Chat:
        return self.chats.setdefault(int(chat_id), Chat(int(chat_id)))

    def screen(self, chat_id: int) -> list[dict[str, Any]]:
        """What anyone holding her phone would see in this chat, oldest first."""
        chat = self.chats.get(int(chat_id))
        return [m.as_dict() for m in chat.messages] if chat else []

    def bot_texts(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.screen(chat_id) if m["from"] == "bot"]

    def block(self, chat_id: int) -> None:
        """She blocked the bot: sends and edits get 403."""
        self.chat(chat_id).blocked = True

    def deactivate(self, chat_id: int) -> None:
        self.chat(chat_id).deactivated = True

    def add_messages(self, chat_id: int, count: int, sender: Literal["bot", "user"] = "bot",
                     text: str = "...") -> list[int]:
        """Fill a chat directly (no update, no call recorded): for deletion tests."""
        return [self._append(self.chat(chat_id), sender, text).message_id for _ in range(count)]

    def calls(self, method: str | None = None) -> list[Call]:
        """Every call received (with a wrong token too), optionally only one method's."""
        if method is None:
            return list(self.recorded)
        return [c for c in self.recorded if c.method.lower() == method.lower()]

    # -- the user's side ------------------------------------------------------------------

    def user_sends(self, chat_id: int, text: str, *, chat_type: str = "private") -> dict[str, Any]:
        """She types `text`: the message appears in the chat and an Update is produced.

        Without a webhook the update also waits in the getUpdates queue (polling mode)."""
        chat = self.chat(chat_id)
        msg = self._append(chat, "user", text)
        update = {"update_id": next(self._update_ids), "message": self._message_json(chat, msg, chat_type)}
        return self._emit(update)

    def user_presses(self, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        """She presses the inline button with `data` under the bot's message `message_id`."""
        chat = self.chat(chat_id)
        msg = chat.find(message_id)
        if msg is None or msg.sender != "bot":
            raise LookupError("no bot message with that id in this chat")
        if data not in [d for d, _label in msg.buttons]:
            raise LookupError("that message has no button with this data")
        query_id = str(next(self._callback_ids))
        self.open_callbacks.add(query_id)
        update = {"update_id": next(self._update_ids), "callback_query": {
            "id": query_id, "from": self._user_json(chat.chat_id), "message": self._message_json(chat, msg),
            "chat_instance": f"ci{chat.chat_id % 100000}", "data": data,
        }}
        return self._emit(update)

    def raw_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """An update of any other type (edited_message, my_chat_member, ...), queued like the rest."""
        return self._emit({"update_id": next(self._update_ids), kind: payload})

    async def push(self, update: dict[str, Any]) -> int:
        """Deliver an update to the webhook the bot registered, with its secret, as Telegram does."""
        if self.webhook is None:
            raise RuntimeError("no webhook is set")
        return await deliver(update, self.webhook["url"], self.webhook.get("secret_token"))

    def _emit(self, update: dict[str, Any]) -> dict[str, Any]:
        if self.webhook is None:
            self.pending_updates.append(update)
            self._new_update.set()
        return update

    # -- request handling -----------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        if self.gateway_down is not None:  # the gateway answers; the API never sees the request
            self.gateway_refusals += 1
            return _gateway_page(*self.gateway_down)
        method = request.match_info["method"]
        token_ok = request.match_info["token"] == self.token
        try:
            params = await _read_params(request)
        except ValueError:
            params = {}
            self.recorded.append(Call(method, params, arrived, token_ok))
            return _error(ApiError(400, "Bad Request: can't parse request parameters"))
        self.recorded.append(Call(method, params, arrived, token_ok))
        key = method.lower()
        if key == "sendmessage":
            if self._over_limit(params.get("chat_id"), arrived):
                self.limit_refusals += 1
                self.recorded[-1] = Call(method, params, self.recorded[-1].at, token_ok, limited=True)
                return _error(ApiError(429, "Too Many Requests: retry after 1", retry_after=1))
            if params.get("chat_id") in self.slow_chats:
                await asyncio.sleep(self.slow_chats[params["chat_id"]])
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        if not token_ok:
            return _error(ApiError(401, "Unauthorized"))
        queue = self.faults.get(key)
        fault = queue.popleft() if queue else None
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            return _error(ApiError(fault.status, fault.description, fault.retry_after))
        try:
            if key == "getupdates":
                result = await self._get_updates(params)
            elif fault is not None and fault.hang and not fault.apply:
                result = None
            elif key in self._methods:
                result = self._methods[key](params)
            else:
                raise ApiError(404, "Not Found")
        except ApiError as err:
            return _error(err)
        if fault is not None and fault.hang:
            await self._release.wait()
        return web.json_response({"ok": True, "result": result})

    # -- methods --------------------------------------------------------------------------

    def _bot_json(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name, "username": self.bot_username}

    def _user_json(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "A", "language_code": "en"}

    def _message_json(self, chat: Chat, msg: ChatMessage, chat_type: str = "private") -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self._bot_json() if msg.sender == "bot" else self._user_json(chat.chat_id),
            "chat": {"id": chat.chat_id, "type": chat_type, "first_name": "A"},
            "date": msg.date, "text": msg.text,
        }
        if chat_type != "private":
            out["chat"] = {"id": chat.chat_id, "type": chat_type, "title": "A group"}
        if msg.reply_markup:
            out["reply_markup"] = msg.reply_markup
        if msg.edit_date is not None:
            out["edit_date"] = msg.edit_date
        return out

    def _append(self, chat: Chat, sender: Literal["bot", "user"], text: str,
                reply_markup: dict[str, Any] | None = None) -> ChatMessage:
        msg = ChatMessage(chat.next_message_id, sender, text, self.now(), reply_markup)
        chat.next_message_id += 1
        chat.messages.append(msg)
        return msg

    def _reachable_chat(self, params: dict[str, Any]) -> Chat:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int) or chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        chat = self.chats[chat_id]
        if chat.deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _get_me(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {**self._bot_json(), "can_join_groups": False, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._reachable_chat(params)
        text = params.get("text") or ""
        if not str(text).strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = _checked_markup(params.get("reply_markup"))
        msg = self._append(chat, "bot", text, markup)
        return self._message_json(chat, msg)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._reachable_chat(params)
        msg = chat.find(_as_int(params.get("message_id")))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if msg.sender != "bot":
            raise ApiError(400, "Bad Request: message can't be edited")
        text = params.get("text") or ""
        if not str(text).strip():
            raise ApiError(400, "Bad Request: message text is empty")
        markup = _checked_markup(params.get("reply_markup"))
        if text == msg.text and markup == msg.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and "
                                "reply markup are exactly the same as a current content and reply markup "
                                "of the message")
        msg.text, msg.reply_markup, msg.edited, msg.edit_date = text, markup, True, self.now()
        return self._message_json(chat, msg)

    def _edit_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        """As the real method: an absent reply_markup removes the inline keyboard."""
        chat = self._reachable_chat(params)
        msg = chat.find(_as_int(params.get("message_id")))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if msg.sender != "bot":
            raise ApiError(400, "Bad Request: message can't be edited")
        markup = _checked_markup(params.get("reply_markup"))
        if markup == msg.reply_markup or (not markup and not msg.buttons):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and "
                                "reply markup are exactly the same as a current content and reply markup "
                                "of the message")
        msg.reply_markup, msg.edited, msg.edit_date = markup, True, self.now()
        return self._message_json(chat, msg)

    def _deletable(self, chat: Chat, message_id: int) -> ChatMessage | None:
        msg = chat.find(message_id)
        if msg is not None and self.now() - msg.date > DELETE_WINDOW:
            return None
        return msg

    def _remove(self, chat: Chat, msg: ChatMessage) -> None:
        chat.messages.remove(msg)
        chat.deleted_ids.append(msg.message_id)

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._reachable_chat(params)
        message_id = _as_int(params.get("message_id"))
        msg = chat.find(message_id)
        if msg is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        if self._deletable(chat, message_id) is None:
            raise ApiError(400, "Bad Request: message can't be deleted for everyone")
        self._remove(chat, msg)
        return True

    def _delete_messages(self, params: dict[str, Any]) -> bool:
        """As the real method: 1-100 ids; ids not found (or too old) are skipped silently."""
        chat = self._reachable_chat(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise ApiError(400, "Bad Request: message identifiers are not specified")
        if len(ids) > MAX_DELETE_IDS:
            raise ApiError(400, "Bad Request: too many messages to delete")
        for message_id in ids:
            msg = self._deletable(chat, _as_int(message_id))
            if msg is not None:
                self._remove(chat, msg)
        return True

    def _answer_callback(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self.open_callbacks:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.open_callbacks.discard(query_id)
        self.answered_callbacks[query_id] = params
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params)
        if self.require_https_webhook and not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self.pending_updates.clear()
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": params.get("allowed_updates")}
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.pending_updates.clear()
        return True

    def _get_webhook_info(self, _params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {"url": "", "has_custom_certificate": False,
                                "pending_update_count": len(self.pending_updates)}
        if self.webhook is not None:
            info["url"] = self.webhook["url"]
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long polling: `offset` confirms every earlier update; waits up to `timeout` seconds."""
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = _as_int(params.get("offset", 0) or 0)
        if offset:
            self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]
        limit = max(1, min(100, _as_int(params.get("limit", 100) or 100)))
        allowed = params.get("allowed_updates") or None
        deadline = time.monotonic() + float(params.get("timeout", 0) or 0)
        while True:
            ready = [u for u in self.pending_updates if allowed is None or any(k in u for k in allowed)]
            if ready or time.monotonic() >= deadline or self._release.is_set():
                return ready[:limit]
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except TimeoutError:
                pass


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, "Bad Request: invalid integer value") from None


def _checked_markup(markup: Any) -> dict[str, Any] | None:
    if markup in (None, ""):
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not str(button.get("text", "")).strip():
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
    return markup


def _coerce(name: str, value: Any) -> Any:
    """Form fields arrive as strings; decode them as the Bot API does."""
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        return json.loads(value)
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. "@channelname"
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


async def _read_params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        return {k: _coerce(k, v) for k, v in data.items()}
    if request.can_read_body:
        form = await request.post()
        return {k: _coerce(k, v) for k, v in form.items() if isinstance(v, str)}
    return {k: _coerce(k, v) for k, v in request.query.items()}


GATEWAY_REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


def _gateway_page(status: int, html: bool) -> web.Response:
    """What nginx in front of an API sends when it cannot get an answer (its default error page)."""
    reason = GATEWAY_REASONS.get(status, "Error")
    if not html:
        return web.json_response({"error": reason, "status": status}, status=status)
    page = (f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
    return web.Response(status=status, text=page, content_type="text/html")


def _error(err: ApiError) -> web.Response:
    return web.json_response(err.body(), status=err.code)


async def deliver(update: dict[str, Any], webhook_url: str, secret: str | None,
                  *, session: aiohttp.ClientSession | None = None) -> int:
    """POST an update to a webhook as Telegram does (JSON, secret header); returns the status."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    if session is not None:
        async with session.post(webhook_url, json=update, headers=headers) as resp:
            await resp.read()
            return resp.status
    async with aiohttp.ClientSession() as http, http.post(webhook_url, json=update, headers=headers) as resp:
        await resp.read()
        return resp.status
