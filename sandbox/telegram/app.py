"""The fake Telegram over HTTP: the Bot API at `/bot{token}/{method}` and a control API at
`/_sandbox/` that plays the users (send a message, press a button, block the bot) and shows
what they would see (transcripts, waiting for the bot's reply, stats).
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import FileField

from sandbox.telegram.errors import (
    CONFLICT_POLLER,
    CONFLICT_WEBHOOK,
    NOT_FOUND,
    UNAUTHORIZED,
    ApiError,
    ControlError,
    bad_request,
)
from sandbox.telegram.state import TOKEN_RE, BotAccount, Chat, SandboxState, StoredFile
from sandbox.telegram.validation import (
    MAX_CAPTION,
    MAX_TEXT,
    decode_json,
    format_text,
    image_size,
    inline_only,
    parse_commands,
    parse_reply_markup,
)

log = logging.getLogger("sandbox.telegram")

STATE = web.AppKey("sandbox_telegram_state", SandboxState)

MAX_UPLOAD = 50 * 1024 * 1024
MAX_PHOTO = 10 * 1024 * 1024
MAX_WAIT = 120.0
DISCONNECT_CHECK = 0.25  # how often a long poll looks whether its client went away

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)

_dumps = partial(json.dumps, ensure_ascii=False)


class Lifecycle:
    """Set when the server shuts down, so that long polls and waits answer at once."""

    def __init__(self) -> None:
        self.stopping = False


LIFECYCLE = web.AppKey("sandbox_telegram_lifecycle", Lifecycle)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


# --- parameters --------------------------------------------------------------------------


class Params:
    """Bot API parameters from the query string and a JSON, urlencoded or multipart body."""

    def __init__(self, values: dict[str, Any], files: dict[str, FileField]) -> None:
        self.values = values
        self.files = files

    def get(self, name: str) -> Any:
        value = self.values.get(name)
        return None if value == "" else value

    def str(self, name: str) -> str | None:
        value = self.get(name)
        return None if value is None else str(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            raise bad_request(f"wrong parameter {name}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"wrong parameter {name}") from None

    def float(self, name: str, default: float) -> float:
        value = self.get(name)
        if value is None:
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"wrong parameter {name}") from None

    def bool(self, name: str) -> bool:
        value = self.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).strip().lower() in ("true", "1", "yes")

    def json(self, name: str) -> Any:
        value = self.get(name)
        if value is None:
            return None
        return decode_json(value, f"can't parse {name} JSON object")


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    files: dict[str, FileField] = {}
    if request.method == "POST" and request.can_read_body:
        ctype = request.content_type
        try:
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise bad_request("can't parse JSON object")
                values.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, FileField):
                        files[key] = value
                    elif isinstance(value, bytes | bytearray):
                        values[key] = value.decode("utf-8", errors="replace")
                    else:
                        values[key] = value
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        except (ValueError, aiohttp.ClientPayloadError):
            raise bad_request("can't parse request body") from None
    return Params(values, files)


@dataclass(slots=True)
class Call:
    """One Bot API call. `request` is None when the call comes in-process
    (`sandbox.telegram.inprocess`): nothing is stopping, and the client never goes away."""

    state: SandboxState
    bot: BotAccount
    token: str
    params: Params
    request: web.Request | None = None

    @property
    def stopping(self) -> bool:
        return self.request is not None and self.request.app[LIFECYCLE].stopping

    @property
    def client_gone(self) -> bool:
        if self.request is None:
            return False
        transport = self.request.transport
        return transport is None or transport.is_closing()


Method = Callable[[Call], Awaitable[Any]]
METHODS: dict[str, tuple[str, Method]] = {}


def method(name: str) -> Callable[[Method], Method]:
    def register(func: Method) -> Method:
        METHODS[name.lower()] = (name, func)
        return func

    return register


# --- Bot API: the bot itself -------------------------------------------------------------


@method("getMe")
async def get_me(call: Call) -> Any:
    return call.bot.me_api()


@method("logOut")
async def log_out(call: Call) -> Any:
    call.state.revoke_bot(call.token)  # the cloud API stops answering this token
    return True


@method("close")
async def close(call: Call) -> Any:
    return True


# --- Bot API: updates --------------------------------------------------------------------


@method("getUpdates")
async def get_updates(call: Call) -> Any:
    bot, params = call.bot, call.params
    if bot.webhook:
        raise ApiError(409, CONFLICT_WEBHOOK)
    offset = params.int("offset", 0)
    limit = min(max(params.int("limit", 100), 1), 100)
    timeout = max(params.float("timeout", 0.0), 0.0)
    allowed = params.json("allowed_updates")
    if allowed is not None:
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        bot.allowed_updates = [str(item) for item in allowed]

    poll = object()
    if bot.poll is not None:
        bot.conflicts += 1
        log.info("bot @%s: a second getUpdates terminates the first", bot.username)
    bot.poll = poll
    bot.signal.fire()
    bot.active_pollers += 1
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        bot.confirm(offset)
        while True:
            waiter = bot.signal.waiter()
            if bot.poll is not poll:
                raise ApiError(409, CONFLICT_POLLER)
            if not call.state.token_is_valid(bot, call.token):
                raise ApiError(401, UNAUTHORIZED)
            if bot.webhook:
                raise ApiError(409, CONFLICT_WEBHOOK)
            updates = bot.pending(limit)
            remaining = deadline - loop.time()
            if updates or remaining <= 0 or call.stopping or call.client_gone:
                return updates
            try:
                async with asyncio.timeout(min(remaining, DISCONNECT_CHECK)):
                    await waiter.wait()
            except TimeoutError:
                pass
    finally:
        bot.active_pollers -= 1
        if bot.poll is poll:
            bot.poll = None


@method("setWebhook")
async def set_webhook(call: Call) -> Any:
    bot, params = call.bot, call.params
    url = params.str("url") or ""
    if params.bool("drop_pending_updates"):
        bot.updates.clear()
    if not url:
        bot.webhook = None
        return True
    match = re.match(r"^https://[^/:]+(?::(\d+))?(/.*)?$", url)
    if not match:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if match.group(1) and match.group(1) not in ("80", "88", "443", "8443"):
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    secret = params.str("secret_token")
    if secret is not None and not re.match(r"^[A-Za-z0-9_-]{1,256}$", secret):
        raise bad_request("secret token contains unallowed characters")
    allowed = params.json("allowed_updates")
    if isinstance(allowed, list):
        bot.allowed_updates = [str(item) for item in allowed]
    bot.webhook = {"url": url, "max_connections": params.int("max_connections", 40)}
    bot.signal.fire()  # an in-flight getUpdates now answers 409
    return True


@method("deleteWebhook")
async def delete_webhook(call: Call) -> Any:
    call.bot.webhook = None
    if call.params.bool("drop_pending_updates"):
        call.bot.updates.clear()
    return True


@method("getWebhookInfo")
async def get_webhook_info(call: Call) -> Any:
    bot = call.bot
    info: dict[str, Any] = {
        "url": bot.webhook["url"] if bot.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if bot.webhook:
        info["max_connections"] = bot.webhook["max_connections"]
        if bot.allowed_updates:
            info["allowed_updates"] = list(bot.allowed_updates)
    return info


# --- Bot API: messages -------------------------------------------------------------------


def _reply_to(call: Call, chat: Chat) -> int | None:
    params = call.params
    reply = params.json("reply_parameters")
    allow = params.bool("allow_sending_without_reply")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow = allow or bool(reply.get("allow_sending_without_reply"))
    else:
        message_id = params.int("reply_to_message_id")
    if not message_id:
        return None
    if chat.live(int(message_id)) is None:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return int(message_id)


def _text(call: Call, name: str = "text") -> tuple[str, list[dict[str, Any]] | None]:
    params = call.params
    raw = params.str(name)
    if raw is None or not raw.strip():
        raise bad_request("message text is empty")
    text, entities = format_text(raw, params.str("parse_mode"), params.get("entities"))
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities


def _caption(call: Call) -> tuple[str | None, list[dict[str, Any]] | None]:
    params = call.params
    raw = params.str("caption")
    if raw is None:
        return None, None
    caption, entities = format_text(
        raw, params.str("parse_mode"), params.get("caption_entities"), field="caption_entities"
    )
    if len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return caption, entities


@method("sendMessage")
async def send_message(call: Call) -> Any:
    chat = call.state.target_chat(call.bot, call.params.get("chat_id"))
    text, entities = _text(call)
    markup = parse_reply_markup(call.params.get("reply_markup"))
    reply_to = _reply_to(call, chat)
    call.state.check_flood(call.bot)
    return call.state.bot_sends(
        call.bot, chat, text=text, entities=entities, reply_markup=markup, reply_to=reply_to
    )


def _input_file(call: Call, name: str, kind: str) -> StoredFile:
    params = call.params
    value = params.get(name)
    upload = params.files.get(name)
    if upload is None and isinstance(value, str) and value.startswith("attach://"):
        upload = params.files.get(value.removeprefix("attach://"))
        if upload is None:
            raise bad_request(f"there is no {name} in the request")
    if upload is not None:
        data = upload.file.read()
        if not data:
            raise bad_request("file must be non-empty")
        if len(data) > (MAX_PHOTO if kind == "photo" else MAX_UPLOAD):
            raise ApiError(413, "Request Entity Too Large")
        file_name = upload.filename or name
        mime = mimetypes.guess_type(file_name)[0] or upload.content_type
        if kind == "photo":
            size = image_size(data)
            if size is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            return call.state.store_file("photo", data, file_name, mime, size)
        return call.state.store_file("document", data, file_name, mime)
    if value is None:
        raise bad_request(f"there is no {name} in the request")
    if not isinstance(value, str):
        raise bad_request(f"wrong type of the {name} field")
    if value.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")
    stored = call.state.files.get(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if kind == "photo" and stored.kind != "photo":
        raise bad_request("can't use file of type Document as Photo")
    return stored


async def _send_file(call: Call, kind: str) -> Any:
    chat = call.state.target_chat(call.bot, call.params.get("chat_id"))
    stored = _input_file(call, kind, kind)
    caption, caption_entities = _caption(call)
    markup = parse_reply_markup(call.params.get("reply_markup"))
    reply_to = _reply_to(call, chat)
    call.state.check_flood(call.bot)
    return call.state.bot_sends(
        call.bot,
        chat,
        caption=caption,
        caption_entities=caption_entities,
        reply_markup=markup,
        reply_to=reply_to,
        document=stored if kind == "document" else None,
        photo=stored if kind == "photo" else None,
    )


@method("sendDocument")
async def send_document(call: Call) -> Any:
    return await _send_file(call, "document")


@method("sendPhoto")
async def send_photo(call: Call) -> Any:
    return await _send_file(call, "photo")


def _edit_target(call: Call):
    if call.params.get("inline_message_id") is not None:
        raise bad_request("MESSAGE_ID_INVALID")
    return call.state.editable(call.bot, call.params.get("chat_id"), call.params.get("message_id"))


@method("editMessageText")
async def edit_message_text(call: Call) -> Any:
    chat, record = _edit_target(call)
    text, entities = _text(call)
    if record.text is None:
        raise bad_request("there is no text in the message to edit")
    markup = inline_only(parse_reply_markup(call.params.get("reply_markup")))
    return call.state.edit(
        call.bot, chat, record, text=text, entities=entities, reply_markup=markup, change="text"
    )


@method("editMessageCaption")
async def edit_message_caption(call: Call) -> Any:
    chat, record = _edit_target(call)
    if record.document is None and record.photo is None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = _caption(call)
    markup = inline_only(parse_reply_markup(call.params.get("reply_markup")))
    return call.state.edit(
        call.bot,
        chat,
        record,
        caption=caption,
        caption_entities=entities,
        reply_markup=markup,
        change="caption",
    )


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> Any:
    chat, record = _edit_target(call)
    markup = inline_only(parse_reply_markup(call.params.get("reply_markup")))
    return call.state.edit(call.bot, chat, record, reply_markup=markup, change="markup")


@method("deleteMessage")
async def delete_message(call: Call) -> Any:
    call.state.delete(call.bot, call.params.get("chat_id"), call.params.get("message_id"))
    return True


@method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> Any:
    params = call.params
    call.state.answer_callback(
        call.bot,
        params.get("callback_query_id"),
        text=params.str("text"),
        show_alert=params.bool("show_alert"),
        url=params.str("url"),
    )
    return True


@method("sendChatAction")
async def send_chat_action(call: Call) -> Any:
    call.state.target_chat(call.bot, call.params.get("chat_id"))
    if call.params.str("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


@method("getChat")
async def get_chat(call: Call) -> Any:
    chat = call.state.target_chat(call.bot, call.params.get("chat_id"), sending=False)
    user = call.state.users[chat.user_id]
    return {
        **user.chat_api(),
        "accent_color_id": user.id % 7,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
            "gifts_from_channels": True,
        },
    }


# --- Bot API: commands and descriptions --------------------------------------------------


def _commands_key(call: Call) -> tuple[str, str]:
    scope = call.params.json("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in COMMAND_SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    if scope["type"] in ("chat", "chat_administrators", "chat_member"):
        # Telegram: a chat the bot has never talked in is "chat not found"
        call.state.target_chat(call.bot, scope.get("chat_id"), sending=False)
    return json.dumps(scope, sort_keys=True), call.params.str("language_code") or ""


@method("setMyCommands")
async def set_my_commands(call: Call) -> Any:
    commands = parse_commands(call.params.get("commands") or "[]")
    key = _commands_key(call)
    if commands:
        call.bot.commands[key] = commands
    else:
        call.bot.commands.pop(key, None)
    return True


@method("getMyCommands")
async def get_my_commands(call: Call) -> Any:
    return call.bot.commands.get(_commands_key(call), [])


@method("deleteMyCommands")
async def delete_my_commands(call: Call) -> Any:
    call.bot.commands.pop(_commands_key(call), None)
    return True


def _set_text(call: Call, store: dict[str, str], name: str, limit: int) -> bool:
    value = call.params.str(name) or ""
    if len(value) > limit:
        raise bad_request(f"{name} is too long")
    language = call.params.str("language_code") or ""
    if value:
        store[language] = value
    else:
        store.pop(language, None)
    return True


def _get_text(call: Call, store: dict[str, str]) -> str:
    language = call.params.str("language_code") or ""
    return store.get(language, store.get("", ""))


@method("setMyDescription")
async def set_my_description(call: Call) -> Any:
    return _set_text(call, call.bot.descriptions, "description", 512)


@method("getMyDescription")
async def get_my_description(call: Call) -> Any:
    return {"description": _get_text(call, call.bot.descriptions)}


@method("setMyShortDescription")
async def set_my_short_description(call: Call) -> Any:
    return _set_text(call, call.bot.short_descriptions, "short_description", 120)


@method("getMyShortDescription")
async def get_my_short_description(call: Call) -> Any:
    return {"short_description": _get_text(call, call.bot.short_descriptions)}


@method("setMyName")
async def set_my_name(call: Call) -> Any:
    return _set_text(call, call.bot.names, "name", 64)


@method("getMyName")
async def get_my_name(call: Call) -> Any:
    return {"name": _get_text(call, call.bot.names) or call.bot.first_name}


# --- Bot API: the endpoint ---------------------------------------------------------------


async def call_method(
    state: SandboxState,
    token: str,
    name: str,
    params: Callable[[], Awaitable[Params]],
    request: web.Request | None = None,
) -> tuple[int, dict[str, Any]]:
    """Run Bot API method `name` for `token`: the HTTP status and the JSON body Telegram would
    answer. `params` reads the parameters once the token and the method are known to be good.
    The HTTP endpoint and the in-process session (`sandbox.telegram.inprocess`) both come
    through here."""
    bot: BotAccount | None = None
    try:
        if not TOKEN_RE.match(token):
            raise ApiError(404, NOT_FOUND)
        bot = state.bot_by_token(token)
        if bot is None or not bot.active:
            state.unauthorized_requests += 1
            raise ApiError(401, UNAUTHORIZED)
        entry = METHODS.get(name.lower())
        if entry is None:
            raise ApiError(404, NOT_FOUND)
        canonical, func = entry
        bot.requests[canonical] += 1
        result = await func(Call(state, bot, token, await params(), request))
        return 200, {"ok": True, "result": result}
    except ApiError as error:
        return error.status, error.payload()
    except ControlError:  # e.g. logOut of a token revoked meanwhile
        return 401, {"ok": False, "error_code": 401, "description": UNAUTHORIZED}
    except Exception:
        who = f"@{bot.username}" if bot else "an unknown bot"
        log.exception("%s failed for %s", name, who)
        return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}


async def bot_api(request: web.Request) -> web.Response:
    state = request.app[STATE]
    token = request.match_info["token"]
    name = request.match_info["method"]
    status, body = await call_method(state, token, name, partial(read_params, request), request)
    return _json(body, status)


# --- control API -------------------------------------------------------------------------


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise ControlError(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ControlError(400, f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be an integer") from None


def _required(data: Any, name: str) -> Any:
    value = data.get(name)
    if value is None or value == "":
        raise ControlError(400, f"{name} is required")
    return value


def control(
    func: Callable[[SandboxState, web.Request], Awaitable[Any]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            result = await func(request.app[STATE], request)
        except ControlError as error:
            return _json({"ok": False, "error": error.message}, error.status)
        if isinstance(result, web.StreamResponse):
            return result
        return _json(result)

    return handler


def _bot_info(bot: BotAccount) -> dict[str, Any]:
    return {
        "id": bot.id,
        "username": bot.username,
        "first_name": bot.first_name,
        "active": bot.active,
    }


async def register_bot(state: SandboxState, request: web.Request) -> Any:
    body = await _body(request)
    bot = state.register_bot(
        str(_required(body, "token")), str(_required(body, "username")), body.get("first_name")
    )
    return _bot_info(bot)


async def list_bots(state: SandboxState, request: web.Request) -> Any:
    return [_bot_info(bot) for bot in state.bots.values()]


async def revoke_bot(state: SandboxState, request: web.Request) -> Any:
    if request.method == "DELETE":
        token = request.match_info["token"]
    else:
        token = str(_required(await _body(request), "token"))
    return {**_bot_info(state.revoke_bot(token)), "revoked": True}


async def create_user(state: SandboxState, request: web.Request) -> Any:
    body = await _body(request)
    user = state.ensure_user(
        _int(_required(body, "user_id"), "user_id"), body.get("first_name"), body.get("username")
    )
    return user.to_api()


async def block_user(state: SandboxState, request: web.Request) -> Any:
    body = await _body(request)
    bot = state.bot_by_username(_required(body, "bot"))
    blocked = body.get("blocked", True)
    if not isinstance(blocked, bool):
        raise ControlError(400, "blocked must be true or false")
    return state.block(bot, _int(_required(body, "user_id"), "user_id"), blocked)


async def user_message(state: SandboxState, request: web.Request) -> Any:
    body = await _body(request)
    bot = state.bot_by_username(_required(body, "bot"))
    reply_to = body.get("reply_to_message_id")
    return state.user_sends(
        bot,
        _int(_required(body, "user_id"), "user_id"),
        text=body.get("text"),
        contact=body.get("contact"),
        first_name=body.get("first_name"),
        username=body.get("username"),
        reply_to_message_id=None if reply_to is None else _int(reply_to, "reply_to_message_id"),
    )


async def user_callback(state: SandboxState, request: web.Request) -> Any:
    body = await _body(request)
    bot = state.bot_by_username(_required(body, "bot"))
    data = _required(body, "data")
    if not isinstance(data, str):
        raise ControlError(400, "data must be a string")
    return state.user_presses(
        bot,
        _int(_required(body, "user_id"), "user_id"),
        _int(_required(body, "message_id"), "message_id"),
        data,
    )


async def transcript(state: SandboxState, request: web.Request) -> Any:
    query = request.query
    bot = state.bot_by_username(_required(query, "bot"))
    return state.transcript(bot, _int(_required(query, "user_id"), "user_id"))


async def wait_for_bot(state: SandboxState, request: web.Request) -> Any:
    """The first bot message or edit after `after` (a message id) or `since` (an event seq)."""
    query = request.query
    bot = state.bot_by_username(_required(query, "bot"))
    user_id = _int(_required(query, "user_id"), "user_id")
    try:
        timeout = min(max(float(query.get("timeout", 10)), 0.0), MAX_WAIT)
    except ValueError:
        raise ControlError(400, "timeout must be a number") from None
    chat = state.chat(bot, user_id)
    after = _int(query.get("after", 0), "after")
    since = _int(query["since"], "since") if "since" in query else chat.cursor_after(after)
    lifecycle = request.app[LIFECYCLE]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        waiter = chat.signal.waiter()
        reply = chat.bot_reply(since)
        if reply is not None:
            return reply
        remaining = deadline - loop.time()
        if remaining <= 0 or lifecycle.stopping:
            break
        try:
            async with asyncio.timeout(min(remaining, DISCONNECT_CHECK)):
                await waiter.wait()
        except TimeoutError:
            pass
        if request.transport is None:
            break
    last = state.last_lines(bot, user_id)
    return _json(
        {
            "ok": False,
            "error": f"no message from @{bot.username} to user {user_id} within {timeout:g} s "
            f"(after message {after}, event {since}); last messages: {last or 'none'}",
        },
        408,
    )


async def stats(state: SandboxState, request: web.Request) -> Any:
    return state.stats()


async def download(state: SandboxState, request: web.Request) -> Any:
    stored = state.files.get(request.match_info["file_id"])
    if stored is None:
        raise ControlError(404, "no such file")
    return web.Response(
        body=stored.data,
        content_type=stored.mime_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{stored.file_name or "file"}"'},
    )


# --- the application ---------------------------------------------------------------------


async def _on_shutdown(app: web.Application) -> None:
    app[LIFECYCLE].stopping = True
    state = app[STATE]
    for bot in state.bots.values():
        bot.signal.fire()
    for chat in state.chats.values():
        chat.signal.fire()


def build_app(state: SandboxState | None = None) -> web.Application:
    """A fresh fake Telegram; pass a `SandboxState` to share or inspect it."""
    app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
    app[STATE] = state if state is not None else SandboxState()
    app[LIFECYCLE] = Lifecycle()
    app.on_shutdown.append(_on_shutdown)
    app.router.add_post("/_sandbox/bots", control(register_bot))
    app.router.add_get("/_sandbox/bots", control(list_bots))
    app.router.add_post("/_sandbox/bots/revoke", control(revoke_bot))
    app.router.add_delete("/_sandbox/bots/{token}", control(revoke_bot))
    app.router.add_post("/_sandbox/users", control(create_user))
    app.router.add_post("/_sandbox/users/block", control(block_user))
    app.router.add_post("/_sandbox/updates/message", control(user_message))
    app.router.add_post("/_sandbox/updates/callback", control(user_callback))
    app.router.add_get("/_sandbox/transcript", control(transcript))
    app.router.add_get("/_sandbox/wait", control(wait_for_bot))
    app.router.add_get("/_sandbox/stats", control(stats))
    app.router.add_get("/_sandbox/files/{file_id}", control(download))
    app.router.add_route("GET", "/bot{token}/{method}", bot_api)
    app.router.add_route("POST", "/bot{token}/{method}", bot_api)
    return app


_TOKEN_IN_PATH = re.compile(r"^(/bot|/_sandbox/bots/(?!revoke$))[^/]+")


def redact_path(path: str) -> str:
    """A request path with the bot token cut out, fit for a log line."""
    return _TOKEN_IN_PATH.sub(r"\1<token>", path)


class AccessLogger(AbstractAccessLogger):
    """aiohttp's access log without bot tokens (they travel in the URL path)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %.3fs',
            request.remote,
            request.method,
            redact_path(request.path),
            response.status,
            time,
        )


class SandboxServer:
    """Runs `build_app()` on a local port: `async with SandboxServer() as server: server.url`."""

    def __init__(
        self,
        state: SandboxState | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        access_log: bool = False,
    ) -> None:
        self.state = state if state is not None else SandboxState()
        self.host = host
        self.port = port
        self._access_log = access_log
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the sandbox server is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> str:
        app = build_app(self.state)
        runner = web.AppRunner(
            app,
            access_log_class=AccessLogger,
            access_log=logging.getLogger("aiohttp.access") if self._access_log else None,
            shutdown_timeout=5.0,
            handle_signals=False,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
