"""Shared platform code: settings, logging, PostgreSQL, migrations, Redis keys, token encryption."""
