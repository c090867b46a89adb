"""A strict local stand-in for the Telegram Bot API (see `app.build_app`, `client.SandboxTelegram`).

`python -m sandbox.telegram --port 0` runs it; nothing is started by importing this package.
"""
