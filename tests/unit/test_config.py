"""The activation config: validation on both sides, the token encrypted in transit."""

import json

import pytest

from core.crypto import TokenCipher
from pool.config import ActivationConfig, ConfigError

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"


def make(**over):
    fields = dict(
        activation_id="a1",
        bot_token=TOKEN,
        admin_telegram_id=987654321,
        client_id="client_003",
        company_name="  Салон   Анны ",
    )
    fields.update(over)
    return ActivationConfig.create(**fields)


def test_valid_config_round_trips_with_the_token_encrypted():
    cipher = TokenCipher(TokenCipher.generate_key())
    config = make()
    assert config.company_name == "Салон Анны"
    raw = config.dumps(cipher, "2026-11-24T10:00:00+00:00")
    assert TOKEN not in raw
    assert json.loads(raw)["client_id"] == "client_003"
    assert ActivationConfig.loads(raw, cipher) == config


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bot_token", "12345", "malformed bot token"),
        ("bot_token", "", "malformed bot token"),
        ("admin_telegram_id", "abc", "admin Telegram id"),
        ("admin_telegram_id", -5, "admin Telegram id"),
        ("admin_telegram_id", 0, "admin Telegram id"),
        ("client_id", "client_1", "client_NNN"),
        ("client_id", "../etc", "client_NNN"),
        ("company_name", "   ", "company name is empty"),
        ("company_name", "x" * 201, "longer than 200"),
    ],
)
def test_invalid_fields_are_refused_with_a_reason(field, value, message):
    with pytest.raises(ConfigError, match=message):
        make(**{field: value})


def test_worker_side_refuses_garbage_and_foreign_keys():
    cipher = TokenCipher(TokenCipher.generate_key())
    with pytest.raises(ConfigError, match="not valid JSON"):
        ActivationConfig.loads("{nope", cipher)
    foreign = make().dumps(TokenCipher(TokenCipher.generate_key()), "t")
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEY differs"):
        ActivationConfig.loads(foreign, cipher)
    tampered = json.loads(make().dumps(cipher, "t"))
    tampered["client_id"] = "client_x"
    with pytest.raises(ConfigError, match="client_NNN"):
        ActivationConfig.loads(json.dumps(tampered), cipher)
