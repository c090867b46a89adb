"""`python -m scripts.play`: reading a clock move and printing a chat message."""

from datetime import UTC, datetime, timedelta

import pytest

from scripts.play import parse_when, render

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+2h", NOW + timedelta(hours=2)),
        ("+1d", NOW + timedelta(days=1)),
        ("-30m", NOW - timedelta(minutes=30)),
        ("+1.5d", NOW + timedelta(days=1, hours=12)),
        ("2030-03-05T10:00+03:00", datetime(2030, 3, 5, 7, 0, tzinfo=UTC)),
        ("now", None),
    ],
)
def test_clock_moves(text, expected):
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize("text", ["2030-03-05T10:00", "tomorrow", "+2w"])
def test_a_clock_move_without_a_zone_or_unit_is_refused(text):
    with pytest.raises(ValueError):
        parse_when(text, NOW)


def test_a_message_is_shown_with_its_buttons():
    message = {
        "from": "bot",
        "text": "Выберите день\nна этой неделе",
        "deleted": False,
        "reply_markup": {"inline_keyboard": [[{"text": "Пн 04.03"}, {"text": "Вт 05.03"}]]},
    }
    assert render(message) == [
        "🤖 bot  | Выберите день",
        "       | на этой неделе",
        "       | [Пн 04.03]  [Вт 05.03]",
    ]
    assert render({"from": "user", "text": "/start", "deleted": True}) == [
        "👤 user | [удалено ботом]"
    ]
