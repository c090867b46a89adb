"""A local stand-in for the YooKassa API v3 (payments) with a control API for tests and demos."""
