"""The owner's /admin as dialogs: outdated and foreign buttons, what a dialog lets through
(commands, the customers' buttons), /cancel, and its Redis keys expiring."""

from __future__ import annotations

from bots import texts
from tests.integration.booking_stand import CLIENT, OWNER
from tests.integration.test_booking_more import answer_of

ALICE = 7200001


async def _button(salon, user: int, label: str) -> tuple[int, str]:
    """The newest message of `user`'s chat with the button `label`: its id and data."""
    return await salon.tg._find_button(salon.username, user, label)


async def _bot_messages(salon, user: int) -> int:
    return sum(m["from"] == "bot" for m in await salon.tg.transcript(salon.username, user))


async def test_an_outdated_admin_button_says_so_and_changes_nothing(salon):
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_SERVICES)
    old_message, add_service = await _button(salon, OWNER, texts.ADMIN_ADD_SERVICE)
    reply = await tg.ask(bot, OWNER, "/admin")  # a new menu; the old screen is left as it was
    assert reply["message_id"] != old_message and "Управление" in reply["text"]
    sent = await _bot_messages(salon, OWNER)

    query = await tg.press(bot, OWNER, old_message, add_service)
    assert await answer_of(salon, OWNER, query) == texts.STALE_BUTTON
    assert await _bot_messages(salon, OWNER) == sent  # answered, and nothing else was sent
    reply = await tg.ask(bot, OWNER, "Маникюр; 90; 2000")  # not a service: no form is open
    assert reply["text"] == texts.UNKNOWN
    assert await salon.fetch("SELECT 1 FROM client_001.services") == []


async def test_a_stranger_pressing_the_owners_admin_button_gets_nothing_of_it(salon, redis_client):
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_SERVICES)
    message_id, add_service = await _button(salon, OWNER, texts.ADMIN_ADD_SERVICE)

    # the same data, pressed by someone else (forwarded or typed by hand) on a message of theirs
    menu = await tg.ask(bot, ALICE, "/start")
    before = len(tg.requests(salon.bot))
    query = await tg.forge_press(bot, ALICE, menu["message_id"], add_service)
    made = [(r.method, r.params, r.status) for r in tg.requests(salon.bot)[before:]]
    answer = {"callback_query_id": query, "text": texts.STALE_BUTTON, "show_alert": "true"}
    assert made == [("answerCallbackQuery", answer, 200)]
    assert await redis_client.keys(f"{CLIENT}:fsm:*:{ALICE}:*") == []

    # the owner's dialog is untouched: the button still opens the form
    reply = await tg.click(bot, OWNER, texts.ADMIN_ADD_SERVICE)
    assert reply["message_id"] == message_id and reply["text"] == texts.ASK_SERVICE


async def test_a_press_the_handler_answered_itself_is_answered_once(salon):
    tg, bot = salon.tg, salon.username
    await salon.catalogue.add_service("Маникюр", 90, 2000)
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_SERVICES)
    await tg.click(bot, OWNER, "Маникюр")
    confirm = await tg.click(bot, OWNER, texts.DELETE)  # «Удалить услугу?» first
    assert confirm["text"] == texts.SERVICE_DELETE_ASK.format(
        name="Маникюр", affected=texts.AFFECTED_NONE
    )
    message_id, delete = await _button(salon, OWNER, texts.DELETE_YES)

    # what the bot asks of Telegram for the owner's press (a second answer would be refused)
    before = len(tg.requests(salon.bot))
    query = await tg.press(bot, OWNER, message_id, delete)
    made = tg.requests(salon.bot)[before:]
    answers = [(r.params, r.status) for r in made if r.method == "answerCallbackQuery"]
    assert answers == [
        ({"callback_query_id": query, "text": texts.SERVICE_DELETED, "show_alert": "false"}, 200)
    ]
    [edit] = [r.params for r in made if r.method == "editMessageText"]
    assert edit["message_id"] == str(message_id) and edit["text"] == texts.SERVICES_EMPTY
    assert await salon.fetch("SELECT 1 FROM client_001.services WHERE active") == []


async def test_commands_and_customer_buttons_pass_an_open_admin_dialog(salon):
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/start")
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_SERVICES)
    reply = await tg.click(bot, OWNER, texts.MENU_ABOUT)  # the customers' menu above
    assert reply["text"].startswith("«Салон Анны»")
    reply = await tg.ask(bot, OWNER, "привет")  # no question asked: not the dialog's
    assert reply["text"] == texts.UNKNOWN

    await tg.click(bot, OWNER, texts.ADMIN_ADD_SERVICE)
    sent = await tg.send_contact(bot, OWNER, "+79990000001", "Анна")
    reply = await tg.wait_for_reply(bot, OWNER, after=sent["message_id"])
    assert reply["text"] == texts.ADMIN_HINT_INPUT
    reply = await tg.ask(bot, OWNER, "/my")  # asked for a service, a command is a command
    assert reply["text"] == texts.MY_EMPTY  # and it ends the form, as it ends a booking
    reply = await tg.ask(bot, OWNER, "/cancel")
    assert reply["text"] == texts.CANCELLED_INPUT
    reply = await tg.ask(bot, OWNER, "Маникюр; 90; 2000")  # the form was closed
    assert reply["text"] == texts.UNKNOWN
    assert await salon.fetch("SELECT 1 FROM client_001.services") == []


async def test_an_abandoned_admin_dialog_leaves_only_expiring_keys(salon, redis_client):
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_STAFF)
    await tg.click(bot, OWNER, texts.ADMIN_ADD_STAFF)  # and never answered
    keys = await redis_client.keys(f"{CLIENT}:fsm:*")
    assert any(":aiogd:stack:" in k for k in keys) and any(":aiogd:context:" in k for k in keys)
    for key in keys:
        assert 0 < await redis_client.ttl(key) <= 86400, key


async def test_cancel_in_an_admin_form_returns_to_the_admin_menu(salon):
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_SERVICES)
    await tg.click(bot, OWNER, texts.ADMIN_ADD_SERVICE)
    reply = await tg.ask(bot, OWNER, "/cancel")  # back where the owner was, not to /start
    assert reply["text"].startswith("⚙️") and "Салон Анны" in reply["text"]
    assert texts.ADMIN_SERVICES in [
        b["text"] for r in reply["reply_markup"]["inline_keyboard"] for b in r
    ]
    reply = await tg.ask(bot, OWNER, "Маникюр; 90; 2000")  # the form is closed
    assert reply["text"] == texts.UNKNOWN
    assert await salon.fetch("SELECT 1 FROM client_001.services") == []
    reply = await tg.click(bot, OWNER, texts.ADMIN_SERVICES)  # and the menu works
    assert reply["text"] == texts.SERVICES_EMPTY


async def test_the_owner_names_the_time_zone_by_its_city(salon):
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_SETTINGS)
    await tg.click(bot, OWNER, "Часовой пояс")
    reply = await tg.ask(bot, OWNER, "Мордор")
    assert reply["text"].startswith("Не знаю часовой пояс «Мордор»")
    reply = await tg.ask(bot, OWNER, "Екатеринбург")
    assert "Asia/Yekaterinburg" in reply["text"]
    rows = await salon.fetch("SELECT value FROM client_001.settings WHERE key = 'timezone'")
    assert [r["value"] for r in rows] == ['"Asia/Yekaterinburg"']
