"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with the keys of `TOKEN_ENCRYPTION_KEY`.

`TOKEN_ENCRYPTION_KEY` is a comma-separated list of Fernet keys (cryptography's `MultiFernet`):
the first one encrypts, every one decrypts. A single key is the common case. Rotating is: put a
new key in front, restart the services, run `booking-pool rotate-key` (re-encrypts everything
stored with the first key), drop the old key.

`fingerprint()` is a keyed hash for finding a token without decrypting every row (e.g. "is this
token already used by an active tenant?"; tenants' Redis passwords are derived with it too). Its
key comes from `TOKEN_FINGERPRINT_KEY`, or, while there is exactly one encryption key and that
setting is unset, from the encryption key itself (how every installation before rotation
worked). Fingerprints are stored, so that key must never change: with two or more encryption
keys `TOKEN_FINGERPRINT_KEY` is required.

No message here ever contains a key or a decrypted value.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

GENKEY_HINT = "generate one with `booking-pool genkey`"


class TokenCipherError(Exception):
    pass


def split_keys(value: str | bytes | Sequence[str]) -> list[str]:
    """`"k1, k2,"` → `["k1", "k2"]`: the keys of a `TOKEN_ENCRYPTION_KEY` value, in order."""
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item and item.strip()]


def fingerprint_key_problem(key_count: int, fingerprint_key: str | None) -> str | None:
    """Why these settings cannot build a cipher's fingerprint key, or None when they can."""
    if fingerprint_key or key_count <= 1:
        return None
    return (
        f"TOKEN_FINGERPRINT_KEY is not set but TOKEN_ENCRYPTION_KEY lists {key_count} keys: "
        "stored token fingerprints were made with a key that must not change while rotating. "
        "Set TOKEN_FINGERPRINT_KEY to the key TOKEN_ENCRYPTION_KEY held before the rotation began "
        "(the one that was alone in the list)"
    )


class TokenCipher:
    """Encrypt with the first key, decrypt with any; fingerprint with a key of its own.

    `keys` is one key, a comma-separated list (as in `TOKEN_ENCRYPTION_KEY`), or a sequence.
    """

    def __init__(
        self, keys: str | bytes | Sequence[str], *, fingerprint_key: str | None = None
    ) -> None:
        if isinstance(keys, bytes):
            keys = keys.decode("ascii", errors="replace")
        key_list = split_keys(keys)
        if not key_list:
            raise TokenCipherError(f"TOKEN_ENCRYPTION_KEY is empty: {GENKEY_HINT}")
        fernets = []
        for number, key in enumerate(key_list, 1):
            try:
                fernets.append(Fernet(key.encode()))
            except (ValueError, TypeError):
                where = "" if len(key_list) == 1 else f" (key {number} of {len(key_list)})"
                raise TokenCipherError(
                    f"TOKEN_ENCRYPTION_KEY is not a valid key{where}: {GENKEY_HINT}"
                ) from None  # the cause's text could quote the key
        problem = fingerprint_key_problem(len(key_list), fingerprint_key)
        if problem:
            raise TokenCipherError(problem)
        self._primary = fernets[0]
        self._fernet = MultiFernet(fernets)
        self.key_count = len(fernets)
        if fingerprint_key:
            mac_source = fingerprint_key
        elif isinstance(keys, str) and "," not in keys:
            mac_source = keys  # verbatim, as before lists of keys existed
        else:
            mac_source = key_list[0]
        self._mac_key = hashlib.sha256(b"bot-pool-fingerprint:" + mac_source.encode()).digest()

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, data: str) -> str:
        try:
            return self._fernet.decrypt(data.encode()).decode()
        except InvalidToken:
            raise TokenCipherError(
                "cannot decrypt a stored token: TOKEN_ENCRYPTION_KEY differs from the one "
                "it was encrypted with"
            ) from None

    def on_primary_key(self, data: str) -> bool:
        """True when `data` decrypts with the first key alone (nothing to rotate)."""
        try:
            self._primary.decrypt(data.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, data: str) -> str:
        """`data` re-encrypted with the first key (its original timestamp kept).

        Always a new ciphertext, even for data already on the first key: ask `on_primary_key`.
        """
        try:
            return self._fernet.rotate(data.encode()).decode()
        except InvalidToken:
            raise TokenCipherError(
                "cannot re-encrypt a stored value: none of the keys in TOKEN_ENCRYPTION_KEY "
                "decrypts it"
            ) from None

    def fingerprint(self, token: str) -> str:
        return hmac.new(self._mac_key, token.encode(), hashlib.sha256).hexdigest()


def cipher_from_settings(settings) -> TokenCipher:
    """The one place that builds the cipher from `Settings`."""
    key = settings.token_encryption_key
    if key is None or not split_keys(key.get_secret_value()):
        raise TokenCipherError(
            "TOKEN_ENCRYPTION_KEY is not set: generate one with `booking-pool genkey` "
            "and put it in the environment"
        )
    fingerprint_key = getattr(settings, "token_fingerprint_key", None)
    return TokenCipher(
        key.get_secret_value(),
        fingerprint_key=fingerprint_key.get_secret_value() if fingerprint_key else None,
    )
