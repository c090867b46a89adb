"""What Telegram checks before it accepts a message: reply markup, formatted text, commands, images.

Error texts are Telegram's own where we know them, so code that matches on them keeps working.
"""

from __future__ import annotations

import json
import re
import struct
from html import unescape
from typing import Any

from sandbox.telegram.errors import ApiError, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100

INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
REPLY_BUTTON_FIELDS = (
    "request_contact",
    "request_location",
    "request_poll",
    "request_users",
    "request_chat",
    "web_app",
    "icon_custom_emoji_id",
    "style",
)
INLINE_BUTTON_EXTRA = ("icon_custom_emoji_id", "style")
REPLY_KEYBOARD_OPTIONS = (
    "resize_keyboard",
    "one_time_keyboard",
    "is_persistent",
    "input_field_placeholder",
    "selective",
)

_MARKUP_JSON = "can't parse reply keyboard markup JSON object"
_URL = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


def decode_json(value: Any, error: str) -> Any:
    """A JSON field as it arrives: already decoded (JSON body) or a JSON string (form, query)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(error) from None
    return value


# --- reply markup ------------------------------------------------------------------------


def parse_reply_markup(raw: Any) -> dict[str, Any] | None:
    """Validate `reply_markup` and return it normalised (no nulls, string buttons expanded)."""
    if raw is None or raw == "":
        return None
    markup = decode_json(raw, _MARKUP_JSON)
    if not isinstance(markup, dict):
        raise bad_request(_MARKUP_JSON)
    if "inline_keyboard" in markup:
        return _inline_keyboard(markup["inline_keyboard"])
    if "keyboard" in markup:
        return _reply_keyboard(markup)
    if "remove_keyboard" in markup:
        if markup["remove_keyboard"] is not True:
            raise bad_request("can't parse keyboard remove: remove_keyboard must be true")
        return _options({"remove_keyboard": True}, markup, ("selective",))
    if "force_reply" in markup:
        if markup["force_reply"] is not True:
            raise bad_request("can't parse force reply: force_reply must be true")
        return _options({"force_reply": True}, markup, ("input_field_placeholder", "selective"))
    raise bad_request(_MARKUP_JSON)


def inline_only(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Edits accept only inline keyboards (or none)."""
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def _options(result: dict[str, Any], raw: dict[str, Any], names: tuple[str, ...]):
    for name in names:
        if raw.get(name) is not None:
            result[name] = raw[name]
    placeholder = result.get("input_field_placeholder")
    if placeholder is not None and (not isinstance(placeholder, str) or len(placeholder) > 64):
        raise bad_request("input field placeholder is too long")
    return result


def _rows(rows: Any, field: str) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field}" must be an Array of Arrays')
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return rows


def _inline_keyboard(rows: Any) -> dict[str, Any] | None:
    result: list[list[dict[str, Any]]] = []
    for row in _rows(rows, "inline_keyboard"):
        out_row = []
        for button in row:
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton expected"
                )
            text = button.get("text")
            if not isinstance(text, str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            actions = [name for name in INLINE_ACTIONS if button.get(name) is not None]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed "
                    "in the inline keyboard"
                )
            out = {"text": text}
            for name in (*actions, *INLINE_BUTTON_EXTRA):
                if button.get(name) is not None:
                    out[name] = button[name]
            data = out.get("callback_data")
            if data is not None and (
                not isinstance(data, str)
                or not data
                or len(data.encode("utf-8")) > MAX_CALLBACK_DATA
            ):
                raise bad_request("BUTTON_DATA_INVALID")
            url = out.get("url")
            if url is not None and (not isinstance(url, str) or not _URL.match(url)):
                raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
            out_row.append(out)
        if out_row:
            result.append(out_row)
    if not result:
        return None
    return {"inline_keyboard": result}


def _reply_keyboard(markup: dict[str, Any]) -> dict[str, Any]:
    result: list[list[dict[str, Any]]] = []
    for row in _rows(markup["keyboard"], "keyboard"):
        out_row = []
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
            if not button["text"].strip():
                raise bad_request("keyboard button text is empty")
            out = {"text": button["text"]}
            for name in REPLY_BUTTON_FIELDS:
                if button.get(name) is not None:
                    out[name] = button[name]
            out_row.append(out)
        if out_row:
            result.append(out_row)
    if not result:
        raise bad_request("keyboard must be non-empty")
    return _options({"keyboard": result}, markup, REPLY_KEYBOARD_OPTIONS)


def inline_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]


# --- formatted text ----------------------------------------------------------------------


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_OTHER_TAGS = {"a", "span", "blockquote", "tg-emoji", "tg-time"}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)?((?:\s+[^<>]*)?)>")
_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_ENTITY_REF = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


def _cant_parse(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode: plain text and entities (offsets in UTF-16 code units)."""
    out: list[str] = []
    length = 0  # UTF-16 length of the text produced so far
    stack: list[tuple[str, dict[str, Any]]] = []
    entities: list[dict[str, Any]] = []
    pos = 0

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    def emit(text: str) -> None:
        nonlocal length
        out.append(text)
        length += utf16_len(text)

    while pos < len(source):
        char = source[pos]
        if char == "&":
            match = _ENTITY_REF.match(source, pos)
            if match:
                emit(unescape(match.group(0)))
                pos = match.end()
                continue
            emit(char)
            pos += 1
            continue
        if char != "<":
            nxt = min(
                (i for i in (source.find("<", pos), source.find("&", pos)) if i >= 0),
                default=len(source),
            )
            emit(source[pos:nxt])
            pos = nxt
            continue
        match = _TAG.match(source, pos)
        if not match or not match.group(2):
            rest = source[pos + 1 :]
            name = re.match(r"[^\s>]*", rest).group(0)
            raise _cant_parse(f'Unsupported start tag "{name}" at byte offset {byte_offset(pos)}')
        closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            if not stack:
                raise _cant_parse(f"Unexpected end tag at byte offset {byte_offset(pos)}")
            open_name, entity = stack.pop()
            if open_name != name:
                raise _cant_parse(
                    f"Unmatched end tag at byte offset {byte_offset(pos)}, "
                    f'expected "</{open_name}>", found "</{name}>"'
                )
            entity["length"] = length - entity["offset"]
            if entity["type"] and entity["length"] > 0:
                entities.append(entity)
            pos = match.end()
            continue
        if name not in _SIMPLE_TAGS and name not in _OTHER_TAGS:
            raise _cant_parse(f'Unsupported start tag "{name}" at byte offset {byte_offset(pos)}')
        values = {
            m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
            for m in _ATTR.finditer(attrs)
        }
        entity: dict[str, Any] = {"type": _SIMPLE_TAGS.get(name), "offset": length}
        if name == "a":
            href = unescape(values.get("href", ""))
            user = re.match(r"^tg://user\?id=(\d+)$", href)
            if user:
                entity["type"] = "text_mention"
                entity["user"] = {"id": int(user.group(1)), "is_bot": False, "first_name": ""}
            elif href:
                entity["type"] = "text_link"
                entity["url"] = href
            else:
                entity["type"] = None
        elif name == "span":
            if values.get("class") != "tg-spoiler":
                raise _cant_parse(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(pos)}'
                )
            entity["type"] = "spoiler"
        elif name == "blockquote":
            entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        elif name == "tg-emoji":
            if "emoji-id" not in values:
                raise _cant_parse(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                    f"{byte_offset(pos)}"
                )
            entity["type"] = "custom_emoji"
            entity["custom_emoji_id"] = values["emoji-id"]
        elif name == "tg-time":
            entity["type"] = None
        elif name == "code" and stack and stack[-1][0] == "pre":
            language = values.get("class", "")
            if language.startswith("language-"):
                stack[-1][1]["language"] = language.removeprefix("language-")
            entity["type"] = None
        stack.append((name, entity))
        pos = match.end()
    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def format_text(
    text: str, parse_mode: str | None, entities: Any, *, field: str = "entities"
) -> tuple[str, list[dict[str, Any]] | None]:
    """Apply `parse_mode` (HTML only) or explicit entities; returns plain text and entities."""
    if entities not in (None, ""):
        decoded = decode_json(entities, f"can't parse {field} JSON object")
        if not isinstance(decoded, list):
            raise bad_request(f"can't parse {field} JSON object")
        return text, decoded or None
    if not parse_mode:
        return text, None
    mode = parse_mode.lower()
    if mode == "html":
        plain, found = parse_html(text)
        return plain, found or None
    if mode in ("markdown", "markdownv2"):
        # Markdown is passed through unparsed: the sandbox does not check its escaping rules.
        return text, None
    raise bad_request("unsupported parse_mode")


_BOT_COMMAND = re.compile(r"(?<![\w/])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{5,32})?(?![\w/])")


def command_entities(text: str) -> list[dict[str, Any]]:
    """The `bot_command` entities Telegram attaches to a user's message."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group(0)),
        }
        for m in _BOT_COMMAND.finditer(text)
    ]


# --- commands ----------------------------------------------------------------------------


def parse_commands(raw: Any) -> list[dict[str, str]]:
    commands = decode_json(raw, "can't parse commands JSON object")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands")
    result = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand")
        name = command.get("command")
        description = command.get("description")
        if not isinstance(name, str) or not _COMMAND.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not (1 <= len(description.strip()) <= 256):
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": name, "description": description})
    return result


# --- images ------------------------------------------------------------------------------


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or WebP image, or None if it is not one of them."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and len(data) >= 30:
        if data[12:16] == b"VP8X":
            width = int.from_bytes(data[24:27], "little") + 1
            height = int.from_bytes(data[27:30], "little") + 1
            return width, height
        if data[12:16] == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            return width & 0x3FFF, height & 0x3FFF
        if data[12:16] == b"VP8L" and len(data) >= 25:
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        return None
    if data.startswith(b"\xff\xd8"):
        pos = 2
        while pos + 9 < len(data):
            if data[pos] != 0xFF:
                return None
            marker = data[pos + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                pos += 2
                continue
            (size,) = struct.unpack(">H", data[pos + 2 : pos + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
                return width, height
            pos += 2 + size
    return None
