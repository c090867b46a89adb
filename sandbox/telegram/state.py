"""In-memory state of the fake Telegram: bots, users, private chats, update queues, transcripts.

Everything here is synchronous and single-threaded (one event loop). Waiting is done by the
HTTP layer with `Signal`s: each bot has one (new update, poller terminated, token revoked) and
each chat has one (a message was sent or edited).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import secrets
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.telegram.errors import (
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiError,
    ControlError,
    bad_request,
    forbidden,
)
from sandbox.telegram.validation import command_entities, inline_buttons

log = logging.getLogger("sandbox.telegram")

TOKEN_RE = re.compile(r"^(\d{1,20}):([A-Za-z0-9_-]{1,100})$")
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")

TRANSCRIPT_LIMIT = 1000
PENDING_UPDATES_LIMIT = 10_000
CALLBACK_QUERIES_LIMIT = 10_000
FILES_BYTES_LIMIT = 200 * 1024 * 1024
DEFAULT_UPDATES = frozenset({"message", "edited_message", "callback_query", "my_chat_member"})


class Signal:
    """Wakes every waiter at once; waiters take `waiter()` *before* checking their condition."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def waiter(self) -> asyncio.Event:
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    def fire(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None


@dataclass(slots=True)
class User:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for name in ("last_name", "username", "language_code"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        return data

    def chat_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass(slots=True)
class Relation:
    """What one user did with one bot."""

    started: bool = False
    blocked: bool = False


@dataclass(slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: Literal["document", "photo"]
    data: bytes
    file_name: str | None
    mime_type: str | None
    width: int = 0
    height: int = 0

    def to_api(self) -> dict[str, Any]:
        if self.kind == "photo":
            return {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": len(self.data),
            }
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data

    def summary(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.data),
            "sha256": hashlib.sha256(self.data).hexdigest(),
        }


@dataclass(slots=True)
class MessageRecord:
    message_id: int
    sender: Literal["user", "bot"]
    date: int
    seq: int  # the chat's event number when the message was created
    text: str | None = None
    entities: list[dict[str, Any]] | None = None
    caption: str | None = None
    caption_entities: list[dict[str, Any]] | None = None
    reply_markup: dict[str, Any] | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    contact: dict[str, Any] | None = None
    reply_to: int | None = None
    edit_date: int | None = None
    deleted: bool = False
    callbacks: list[dict[str, Any]] = field(default_factory=list)

    def to_transcript(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "from": self.sender,
            "date": self.date,
            "text": self.text,
            "entities": self.entities,
            "caption": self.caption,
            "reply_markup": self.reply_markup,
            "reply_to_message_id": self.reply_to,
            "edited": self.edit_date is not None,
            "deleted": self.deleted,
            "document": self.document.summary() if self.document else None,
            "photo": self.photo.summary() if self.photo else None,
            "contact": self.contact,
            "callbacks": [dict(c) for c in self.callbacks],
        }


@dataclass(slots=True)
class ChatEvent:
    seq: int
    message_id: int
    kind: Literal["message", "edit", "delete"]
    sender: Literal["user", "bot"]


class Chat:
    """A private chat between one bot and one user, with its bounded transcript."""

    def __init__(self, bot_id: int, user_id: int, limit: int) -> None:
        self.bot_id = bot_id
        self.user_id = user_id
        self.limit = limit
        self.next_message_id = 1
        self.seq = 0
        self.messages: OrderedDict[int, MessageRecord] = OrderedDict()
        self.events: deque[ChatEvent] = deque(maxlen=limit * 2)
        self.signal = Signal()
        digest = hashlib.sha256(f"{bot_id}:{user_id}".encode()).digest()
        self.chat_instance = str(-int.from_bytes(digest[:8], "big") // 2)

    def add(self, record_factory: Callable[[int, int], MessageRecord]) -> MessageRecord:
        self.seq += 1
        record = record_factory(self.next_message_id, self.seq)
        self.next_message_id += 1
        self.messages[record.message_id] = record
        while len(self.messages) > self.limit:
            self.messages.popitem(last=False)
        self.events.append(ChatEvent(self.seq, record.message_id, "message", record.sender))
        self.signal.fire()
        return record

    def touch(self, record: MessageRecord, kind: Literal["edit", "delete"]) -> None:
        self.seq += 1
        self.events.append(ChatEvent(self.seq, record.message_id, kind, record.sender))
        self.signal.fire()

    def live(self, message_id: int) -> MessageRecord | None:
        record = self.messages.get(message_id)
        if record is None or record.deleted:
            return None
        return record

    def cursor_after(self, message_id: int) -> int:
        """The event number at which message `message_id` was created (0 for 0)."""
        if message_id <= 0:
            return 0
        if message_id in self.messages:
            return self.messages[message_id].seq
        earlier = [r.seq for r in self.messages.values() if r.message_id <= message_id]
        if earlier:
            return max(earlier)
        if message_id >= self.next_message_id - 1:
            return self.seq
        return 0

    def bot_reply(self, since: int) -> dict[str, Any] | None:
        """The first bot message or edit after event `since`, as a waiting client gets it."""
        found = self.first_bot_event(since)
        if found is None:
            return None
        event, record = found
        return {**record.to_transcript(), "event": event.kind, "seq": event.seq}

    def first_bot_event(self, since: int) -> tuple[ChatEvent, MessageRecord] | None:
        for event in self.events:
            if event.seq <= since or event.sender != "bot" or event.kind == "delete":
                continue
            record = self.messages.get(event.message_id)
            if record is not None:
                return event, record
        return None


class BotAccount:
    def __init__(self, bot_id: int, token: str, username: str, first_name: str) -> None:
        self.id = bot_id
        self.token = token
        self.username = username
        self.first_name = first_name
        self.active = True
        self.next_update_id = 1
        self.updates: deque[dict[str, Any]] = deque()
        self.allowed_updates: list[str] = []
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.poll: object | None = None  # the getUpdates call now in flight
        self.active_pollers = 0
        self.conflicts = 0
        self.requests: Counter[str] = Counter()
        self.sent_times: deque[float] = deque()
        self.signal = Signal()

    def user_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def me_api(self) -> dict[str, Any]:
        return {
            **self.user_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def wants(self, update_type: str) -> bool:
        if self.allowed_updates:
            return update_type in self.allowed_updates
        return update_type in DEFAULT_UPDATES

    def confirm(self, offset: int) -> None:
        """getUpdates `offset`: updates before it are confirmed and forgotten."""
        if offset < 0:
            keep = -offset
            while len(self.updates) > keep:
                self.updates.popleft()
            return
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()

    def pending(self, limit: int) -> list[dict[str, Any]]:
        return [self.updates[i] for i in range(min(limit, len(self.updates)))]


@dataclass(slots=True)
class CallbackQueryRecord:
    id: str
    bot_id: int
    user_id: int
    message_id: int
    data: str
    answered: bool = False


class SandboxState:
    """The whole fake Telegram. Build one per server (or per test)."""

    def __init__(
        self,
        *,
        transcript_limit: int = TRANSCRIPT_LIMIT,
        flood_limit: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.transcript_limit = transcript_limit
        self.flood_limit = flood_limit  # messages per second per bot; None = no limit
        self.clock = clock
        self.bots: dict[int, BotAccount] = {}
        self._tokens: dict[str, int] = {}
        self._usernames: dict[str, int] = {}
        self.users: dict[int, User] = {}
        self.relations: dict[tuple[int, int], Relation] = {}
        self.chats: dict[tuple[int, int], Chat] = {}
        self.callback_queries: OrderedDict[str, CallbackQueryRecord] = OrderedDict()
        self.files: OrderedDict[str, StoredFile] = OrderedDict()
        self._files_bytes = 0
        self.unauthorized_requests = 0

    def now(self) -> int:
        return int(self.clock())

    # --- bots --------------------------------------------------------------------------

    def register_bot(self, token: str, username: str, first_name: str | None = None) -> BotAccount:
        match = TOKEN_RE.match(token or "")
        if not match:
            raise ControlError(400, "token must look like '<digits>:<letters, digits, _ or ->'")
        username = (username or "").removeprefix("@")
        if not USERNAME_RE.match(username) or not username.lower().endswith("bot"):
            raise ControlError(
                400,
                f"bad bot username {username!r}: 5-32 letters, digits or _, ending in 'bot'",
            )
        bot_id = int(match.group(1))
        owner = self._usernames.get(username.lower())
        if owner is not None and owner != bot_id:
            raise ControlError(409, f"username @{username} belongs to another bot")
        bot = self.bots.get(bot_id)
        if bot is None:
            bot = BotAccount(bot_id, token, username, first_name or username)
            self.bots[bot_id] = bot
        else:
            if bot.token != token:  # a new token for the same bot: the old one stops working
                self._tokens.pop(bot.token, None)
                bot.token = token
            self._usernames.pop(bot.username.lower(), None)
            bot.username = username
            if first_name:
                bot.first_name = first_name
            bot.active = True
        self._tokens[token] = bot_id
        self._usernames[username.lower()] = bot_id
        bot.signal.fire()
        log.info("bot @%s registered (id %s)", username, bot_id)
        return bot

    def revoke_bot(self, token: str) -> BotAccount:
        bot_id = self._tokens.pop(token, None)
        if bot_id is None:
            raise ControlError(404, "no active bot has this token")
        bot = self.bots[bot_id]
        bot.active = False
        bot.signal.fire()  # an in-flight long poll answers 401
        log.info("token of bot @%s revoked", bot.username)
        return bot

    def bot_by_token(self, token: str) -> BotAccount | None:
        bot_id = self._tokens.get(token)
        return None if bot_id is None else self.bots[bot_id]

    def token_is_valid(self, bot: BotAccount, token: str) -> bool:
        return bot.active and self._tokens.get(token) == bot.id

    def bot_by_username(self, username: str) -> BotAccount:
        name = str(username or "").removeprefix("@").lower()
        bot_id = self._usernames.get(name)
        if bot_id is None:
            known = ", ".join(f"@{b.username}" for b in self.bots.values()) or "none"
            raise ControlError(404, f"no bot @{name} is registered (registered: {known})")
        return self.bots[bot_id]

    # --- users and chats ---------------------------------------------------------------

    def ensure_user(
        self, user_id: int, first_name: str | None = None, username: str | None = None
    ) -> User:
        if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
            raise ControlError(400, "user_id must be a positive integer")
        if user_id in self.bots:
            raise ControlError(400, f"{user_id} is a bot's id, not a user's")
        user = self.users.get(user_id)
        if user is None:
            user = User(user_id, first_name or f"User {user_id}", username or None)
            self.users[user_id] = user
        else:
            if first_name:
                user.first_name = first_name
            if username:
                user.username = username
        return user

    def relation(self, bot: BotAccount, user_id: int) -> Relation:
        key = (bot.id, user_id)
        if key not in self.relations:
            self.relations[key] = Relation()
        return self.relations[key]

    def chat(self, bot: BotAccount, user_id: int) -> Chat:
        key = (bot.id, user_id)
        chat = self.chats.get(key)
        if chat is None:
            chat = Chat(bot.id, user_id, self.transcript_limit)
            self.chats[key] = chat
        return chat

    # --- updates -----------------------------------------------------------------------

    def enqueue(self, bot: BotAccount, update_type: str, payload: dict[str, Any]) -> int | None:
        if not bot.wants(update_type):
            return None
        update_id = bot.next_update_id
        bot.next_update_id += 1
        bot.updates.append({"update_id": update_id, update_type: payload})
        while len(bot.updates) > PENDING_UPDATES_LIMIT:
            bot.updates.popleft()
        bot.signal.fire()
        return update_id

    def message_api(self, bot: BotAccount, chat: Chat, record: MessageRecord) -> dict[str, Any]:
        user = self.users[chat.user_id]
        data: dict[str, Any] = {
            "message_id": record.message_id,
            "from": bot.user_api() if record.sender == "bot" else user.to_api(),
            "chat": user.chat_api(),
            "date": record.date,
        }
        if record.edit_date is not None:
            data["edit_date"] = record.edit_date
        if record.reply_to is not None:
            replied = chat.messages.get(record.reply_to)
            if replied is not None and not replied.deleted:
                inner = self.message_api(bot, chat, replied)
                inner.pop("reply_to_message", None)
                data["reply_to_message"] = inner
        if record.text is not None:
            data["text"] = record.text
            if record.entities:
                data["entities"] = record.entities
        if record.document is not None:
            data["document"] = record.document.to_api()
        if record.photo is not None:
            data["photo"] = [record.photo.to_api()]
        if record.caption is not None:
            data["caption"] = record.caption
            if record.caption_entities:
                data["caption_entities"] = record.caption_entities
        if record.contact is not None:
            data["contact"] = record.contact
        if record.reply_markup and "inline_keyboard" in record.reply_markup:
            data["reply_markup"] = record.reply_markup
        return data

    # --- what a user does (control API) ------------------------------------------------

    def _set_blocked(self, bot: BotAccount, user: User, blocked: bool) -> None:
        relation = self.relation(bot, user.id)
        if relation.blocked == blocked:
            return
        relation.blocked = blocked
        if not relation.started:
            return
        me = bot.user_api()
        member = {"status": "member", "user": me}
        kicked = {"status": "kicked", "user": me, "until_date": 0}
        self.enqueue(
            bot,
            "my_chat_member",
            {
                "chat": user.chat_api(),
                "from": user.to_api(),
                "date": self.now(),
                "old_chat_member": kicked if not blocked else member,
                "new_chat_member": kicked if blocked else member,
            },
        )

    def user_sends(
        self,
        bot: BotAccount,
        user_id: int,
        *,
        text: str | None = None,
        contact: dict[str, Any] | None = None,
        first_name: str | None = None,
        username: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        user = self.ensure_user(user_id, first_name, username)
        if text is None and contact is None:
            raise ControlError(400, "a message needs text or contact")
        if text is not None and (not isinstance(text, str) or not text or len(text) > 4096):
            raise ControlError(400, "text must be a string of 1-4096 characters")
        if contact is not None:
            if not isinstance(contact, dict) or not contact.get("phone_number"):
                raise ControlError(400, "contact needs phone_number")
            contact = {
                "phone_number": str(contact["phone_number"]),
                "first_name": str(contact.get("first_name") or user.first_name),
                **({"last_name": contact["last_name"]} if contact.get("last_name") else {}),
                "user_id": int(contact.get("user_id") or user.id),
            }
        relation = self.relation(bot, user.id)
        if relation.blocked:  # like the "Restart" button: unblocks, then the message goes out
            self._set_blocked(bot, user, False)
        relation.started = True
        chat = self.chat(bot, user.id)
        if reply_to_message_id is not None and chat.live(reply_to_message_id) is None:
            raise ControlError(400, f"message {reply_to_message_id} is not in this chat")
        record = chat.add(
            lambda message_id, seq: MessageRecord(
                message_id=message_id,
                sender="user",
                date=self.now(),
                seq=seq,
                text=text,
                entities=(command_entities(text) or None) if text else None,
                contact=contact,
                reply_to=reply_to_message_id,
            )
        )
        message = self.message_api(bot, chat, record)
        update_id = self.enqueue(bot, "message", message)
        return {**message, "update_id": update_id}

    def user_presses(
        self, bot: BotAccount, user_id: int, message_id: int, data: str, *, forged: bool = False
    ) -> dict[str, Any]:
        """The user presses the inline button with `data` on bot message `message_id`. `forged`:
        any data on any bot message of the chat, as a modified client (or one that still shows
        a keyboard the bot has since removed) can send — Telegram does not check it."""
        user = self.users.get(user_id)
        chat = self.chats.get((bot.id, user_id))
        if user is None or chat is None:
            raise ControlError(404, f"user {user_id} has no chat with @{bot.username}")
        if self.relation(bot, user_id).blocked:
            raise ControlError(400, f"user {user_id} has blocked @{bot.username}")
        record = chat.live(message_id)
        if record is None:
            raise ControlError(
                404, f"message {message_id} is not in the chat (deleted or never sent)"
            )
        if record.sender != "bot":
            raise ControlError(400, f"message {message_id} was sent by the user, not the bot")
        buttons = inline_buttons(record.reply_markup)
        if not forged and not any(b.get("callback_data") == data for b in buttons):
            available = [
                f"{b['text']!r} -> {b['callback_data']!r}" for b in buttons if "callback_data" in b
            ]
            raise ControlError(
                400,
                f"message {message_id} has no inline button with callback_data {data!r}; "
                f"its buttons: {', '.join(available) or 'none'}",
            )
        query_id = str(secrets.randbits(62))
        self.callback_queries[query_id] = CallbackQueryRecord(
            query_id, bot.id, user_id, message_id, data
        )
        while len(self.callback_queries) > CALLBACK_QUERIES_LIMIT:
            self.callback_queries.popitem(last=False)
        record.callbacks.append({"id": query_id, "data": data, "answered": False})
        query = {
            "id": query_id,
            "from": user.to_api(),
            "message": self.message_api(bot, chat, record),
            "chat_instance": chat.chat_instance,
            "data": data,
        }
        update_id = self.enqueue(bot, "callback_query", query)
        return {"callback_query_id": query_id, "update_id": update_id, "seq": chat.seq}

    def block(self, bot: BotAccount, user_id: int, blocked: bool) -> dict[str, Any]:
        user = self.ensure_user(user_id)
        self._set_blocked(bot, user, blocked)
        return {"user_id": user_id, "bot": bot.username, "blocked": blocked}

    def transcript(self, bot: BotAccount, user_id: int) -> list[dict[str, Any]]:
        chat = self.chats.get((bot.id, user_id))
        if chat is None:
            return []
        return [record.to_transcript() for record in chat.messages.values()]

    def last_lines(self, bot: BotAccount, user_id: int, count: int = 3) -> list[str]:
        """The chat's last messages in short, for an error that says what did arrive."""
        return [
            f"#{r['message_id']} {r['from']}: {r['text'] or r['caption'] or ''}"[:80]
            for r in self.transcript(bot, user_id)[-count:]
        ]

    # --- what a bot does (Bot API) -----------------------------------------------------

    def target_chat(self, bot: BotAccount, chat_id: Any, *, sending: bool = True) -> Chat:
        """Resolve `chat_id` the way Telegram does for a bot, with its 400/403 answers."""
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        try:
            numeric = int(chat_id)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        if numeric in self.bots:
            raise forbidden("bot can't send messages to bots")
        if numeric not in self.users:
            raise bad_request("chat not found")
        relation = self.relations.get((bot.id, numeric))
        if relation is None or not relation.started:
            if sending:
                raise forbidden("bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        if sending and relation.blocked:
            raise forbidden("bot was blocked by the user")
        return self.chat(bot, numeric)

    def check_flood(self, bot: BotAccount) -> None:
        if not self.flood_limit:
            return
        now = time.monotonic()
        while bot.sent_times and now - bot.sent_times[0] >= 1.0:
            bot.sent_times.popleft()
        if len(bot.sent_times) >= self.flood_limit:
            retry_after = max(1, int(1.0 - (now - bot.sent_times[0])) + 1)
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        bot.sent_times.append(now)

    def bot_sends(
        self,
        bot: BotAccount,
        chat: Chat,
        *,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption: str | None = None,
        caption_entities: list[dict[str, Any]] | None = None,
        reply_markup: dict[str, Any] | None = None,
        document: StoredFile | None = None,
        photo: StoredFile | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        record = chat.add(
            lambda message_id, seq: MessageRecord(
                message_id=message_id,
                sender="bot",
                date=self.now(),
                seq=seq,
                text=text,
                entities=entities,
                caption=caption,
                caption_entities=caption_entities,
                reply_markup=reply_markup,
                document=document,
                photo=photo,
                reply_to=reply_to,
            )
        )
        return self.message_api(bot, chat, record)

    def editable(
        self, bot: BotAccount, chat_id: Any, message_id: Any
    ) -> tuple[Chat, MessageRecord]:
        chat = self.target_chat(bot, chat_id, sending=False)
        if self.relation(bot, chat.user_id).blocked:
            raise forbidden("bot was blocked by the user")
        record = chat.live(_message_id(message_id))
        if record is None:
            raise bad_request("message to edit not found")
        if record.sender != "bot":
            raise bad_request("message can't be edited")
        return chat, record

    def edit(
        self,
        bot: BotAccount,
        chat: Chat,
        record: MessageRecord,
        *,
        reply_markup: dict[str, Any] | None,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption: str | None = None,
        caption_entities: list[dict[str, Any]] | None = None,
        change: Literal["text", "caption", "markup"],
    ) -> dict[str, Any]:
        before = (record.text, record.entities, record.caption, record.caption_entities)
        if change == "text":
            after = (text, entities, record.caption, record.caption_entities)
        elif change == "caption":
            after = (record.text, record.entities, caption, caption_entities)
        else:
            after = before
        if after == before and _same_markup(record.reply_markup, reply_markup):
            raise bad_request(NOT_MODIFIED)
        record.text, record.entities, record.caption, record.caption_entities = after
        if reply_markup is not None or _is_inline(record.reply_markup):
            # an edit without reply_markup drops the inline keyboard, as in Telegram; a reply
            # keyboard belongs to the chat and is not touched by edits
            record.reply_markup = reply_markup
        record.edit_date = self.now()
        chat.touch(record, "edit")
        return self.message_api(bot, chat, record)

    def delete(self, bot: BotAccount, chat_id: Any, message_id: Any) -> None:
        chat = self.target_chat(bot, chat_id, sending=False)
        record = chat.live(_message_id(message_id))
        if record is None:
            raise bad_request("message to delete not found")
        record.deleted = True
        chat.touch(record, "delete")

    def answer_callback(
        self,
        bot: BotAccount,
        query_id: Any,
        *,
        text: str | None,
        show_alert: bool,
        url: str | None,
    ) -> None:
        query = self.callback_queries.get(str(query_id or ""))
        if query is None or query.bot_id != bot.id or query.answered:
            raise bad_request(QUERY_TOO_OLD)
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        chat = self.chats.get((bot.id, query.user_id))
        record = chat.messages.get(query.message_id) if chat else None
        if record is not None:
            for entry in record.callbacks:
                if entry["id"] == query.id:
                    entry.update(answered=True, text=text, show_alert=show_alert, url=url)

    def store_file(
        self,
        kind: Literal["document", "photo"],
        data: bytes,
        file_name: str | None,
        mime_type: str | None,
        size: tuple[int, int] = (0, 0),
    ) -> StoredFile:
        prefix = "AgAC" if kind == "photo" else "BQAC"
        stored = StoredFile(
            file_id=prefix + secrets.token_urlsafe(24),
            file_unique_id="AQAD" + secrets.token_urlsafe(8),
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            width=size[0],
            height=size[1],
        )
        self.files[stored.file_id] = stored
        self._files_bytes += len(data)
        while self._files_bytes > FILES_BYTES_LIMIT and len(self.files) > 1:
            _, old = self.files.popitem(last=False)
            self._files_bytes -= len(old.data)
        return stored

    # --- stats -------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        bots = {}
        for bot in self.bots.values():
            bots[bot.username] = {
                "id": bot.id,
                "active": bot.active,
                "requests": dict(bot.requests),
                "requests_total": sum(bot.requests.values()),
                "active_pollers": bot.active_pollers,
                "conflicts": bot.conflicts,
                "pending_updates": len(bot.updates),
                "webhook": bool(bot.webhook),
                "chats": sum(1 for key in self.chats if key[0] == bot.id),
            }
        return {
            "bots": bots,
            "users": len(self.users),
            "unauthorized_requests": self.unauthorized_requests,
        }


def _message_id(value: Any) -> int:
    if value is None or value == "":
        raise bad_request("message identifier is not specified")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request("message identifier is not specified") from None


def _is_inline(markup: dict[str, Any] | None) -> bool:
    return markup is None or "inline_keyboard" in markup


def _same_markup(old: dict[str, Any] | None, new: dict[str, Any] | None) -> bool:
    def inline(markup: dict[str, Any] | None) -> str:
        if not markup or "inline_keyboard" not in markup:
            return ""
        return json.dumps(markup, sort_keys=True)

    return inline(old) == inline(new)
