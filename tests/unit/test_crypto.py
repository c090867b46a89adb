"""Key rotation in the cipher: several keys, the first encrypts, fingerprints that do not move."""

import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from core.crypto import TokenCipher, TokenCipherError, cipher_from_settings
from core.settings import Settings

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
OLD = TokenCipher.generate_key()
NEW = TokenCipher.generate_key()


def settings(monkeypatch, encryption: str | None, fingerprint: str | None = None) -> Settings:
    for name, value in (
        ("TOKEN_ENCRYPTION_KEY", encryption),
        ("TOKEN_FINGERPRINT_KEY", fingerprint),
    ):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def test_every_key_decrypts_and_the_first_encrypts():
    sealed_old = TokenCipher(OLD).encrypt(TOKEN)
    both = TokenCipher(f"{NEW},{OLD}", fingerprint_key=OLD)
    assert both.key_count == 2
    assert both.decrypt(sealed_old) == TOKEN
    sealed = both.encrypt(TOKEN)
    assert Fernet(NEW.encode()).decrypt(sealed.encode()).decode() == TOKEN
    with pytest.raises(TokenCipherError, match="TOKEN_ENCRYPTION_KEY differs"):
        TokenCipher(OLD).decrypt(sealed)
    # spaces and a trailing comma are tolerated; a sequence works too
    assert TokenCipher(f" {NEW} , {OLD} ,", fingerprint_key=OLD).decrypt(sealed) == TOKEN
    assert TokenCipher([NEW, OLD], fingerprint_key=OLD).decrypt(sealed_old) == TOKEN


def test_rotate_moves_a_value_to_the_first_key():
    sealed_old = TokenCipher(OLD).encrypt(TOKEN)
    both = TokenCipher(f"{NEW},{OLD}", fingerprint_key=OLD)
    assert not both.on_primary_key(sealed_old)
    rotated = both.rotate(sealed_old)
    assert both.on_primary_key(rotated)
    assert TokenCipher(NEW).decrypt(rotated) == TOKEN
    foreign = TokenCipher(TokenCipher.generate_key()).encrypt(TOKEN)
    assert not both.on_primary_key(foreign)
    with pytest.raises(TokenCipherError, match="none of the keys") as caught:
        both.rotate(foreign)
    assert caught.value.__cause__ is None and foreign not in str(caught.value)


def test_single_key_fingerprint_is_todays_derivation():
    expected_key = hashlib.sha256(b"bot-pool-fingerprint:" + OLD.encode()).digest()
    expected = hmac.new(expected_key, TOKEN.encode(), hashlib.sha256).hexdigest()
    assert TokenCipher(OLD).fingerprint(TOKEN) == expected
    assert TokenCipher(OLD, fingerprint_key=OLD).fingerprint(TOKEN) == expected


def test_fingerprint_stable_across_adding_a_key(monkeypatch):
    before = cipher_from_settings(settings(monkeypatch, OLD))
    during = cipher_from_settings(settings(monkeypatch, f"{NEW},{OLD}", fingerprint=OLD))
    after = cipher_from_settings(settings(monkeypatch, NEW, fingerprint=OLD))
    assert before.fingerprint(TOKEN) == during.fingerprint(TOKEN) == after.fingerprint(TOKEN)
    # without TOKEN_FINGERPRINT_KEY the new key alone would change every fingerprint
    assert cipher_from_settings(settings(monkeypatch, NEW)).fingerprint(TOKEN) != (
        before.fingerprint(TOKEN)
    )


def test_two_keys_without_fingerprint_key_is_a_settings_error(monkeypatch):
    with pytest.raises(ValidationError) as caught:
        settings(monkeypatch, f"{NEW},{OLD}")
    text = str(caught.value)
    assert "TOKEN_FINGERPRINT_KEY is not set" in text and "lists 2 keys" in text
    assert NEW not in text and OLD not in text
    # an empty value (as in .env.example) counts as unset
    with pytest.raises(ValidationError, match="TOKEN_FINGERPRINT_KEY is not set"):
        settings(monkeypatch, f"{NEW},{OLD}", fingerprint="")
    # the cipher refuses too, for anyone building it without Settings
    with pytest.raises(TokenCipherError, match="TOKEN_FINGERPRINT_KEY is not set"):
        TokenCipher(f"{NEW},{OLD}")


def test_one_key_needs_no_fingerprint_key(monkeypatch):
    cipher = cipher_from_settings(settings(monkeypatch, OLD, fingerprint=""))
    assert cipher.key_count == 1
    assert cipher.decrypt(cipher.encrypt(TOKEN)) == TOKEN


@pytest.mark.parametrize(
    "value",
    ["not-a-key", f"{NEW},not-a-key", "short,", f"{NEW[:-2]}"],
    ids=["garbage", "good-then-garbage", "short-then-empty", "truncated"],  # NEW is random
)
def test_bad_keys_are_a_clear_error_without_the_key(value):
    with pytest.raises(TokenCipherError, match=r"is not a valid key.*genkey") as caught:
        TokenCipher(value, fingerprint_key=OLD)
    assert "not-a-key" not in str(caught.value) and NEW[:20] not in str(caught.value)
    assert caught.value.__cause__ is None


def test_which_key_is_bad_is_said_by_position():
    with pytest.raises(TokenCipherError, match=r"key 2 of 2"):
        TokenCipher(f"{NEW},not-a-key", fingerprint_key=OLD)


def test_unset_or_empty_key_from_settings(monkeypatch):
    for value in (None, "", " , "):
        with pytest.raises(TokenCipherError, match="TOKEN_ENCRYPTION_KEY is not set"):
            cipher_from_settings(settings(monkeypatch, value))
