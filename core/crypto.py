"""Bot tokens at rest: Fernet (AES-128-CBC + HMAC-SHA256) with `TOKEN_ENCRYPTION_KEY`.

`fingerprint()` is a keyed hash for finding a token without decrypting every row
(e.g. "is this token already used by an active tenant?").
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


class TokenCipherError(Exception):
    pass


class TokenCipher:
    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError) as exc:
            raise TokenCipherError(
                "TOKEN_ENCRYPTION_KEY is not a valid key: generate one with `booking-pool genkey`"
            ) from exc
        self._mac_key = hashlib.sha256(b"bot-pool-fingerprint:" + key.encode()).digest()

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, data: str) -> str:
        try:
            return self._fernet.decrypt(data.encode()).decode()
        except InvalidToken as exc:
            raise TokenCipherError(
                "cannot decrypt a stored token: TOKEN_ENCRYPTION_KEY differs from the one "
                "it was encrypted with"
            ) from exc

    def fingerprint(self, token: str) -> str:
        return hmac.new(self._mac_key, token.encode(), hashlib.sha256).hexdigest()


def cipher_from_settings(settings) -> TokenCipher:
    if settings.token_encryption_key is None:
        raise TokenCipherError(
            "TOKEN_ENCRYPTION_KEY is not set: generate one with `booking-pool genkey` "
            "and put it in the environment"
        )
    return TokenCipher(settings.token_encryption_key.get_secret_value())
