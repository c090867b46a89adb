"""Local stand-ins for Telegram and YooKassa, and local PostgreSQL/Redis servers for tests and the demo."""
