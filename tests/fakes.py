"""Small stand-ins the tests share (the recording Telegram session is in `tests/screens.py`)."""

from __future__ import annotations


class RecordingNotifier:
    """A buyer notifier that records each call as `(method name, *arguments)` in `sent`."""

    def __init__(self) -> None:
        self.sent: list[tuple] = []

    def __getattr__(self, name):
        async def record(*args):
            self.sent.append((name, *args))

        return record
