"""Handlers of the Sales Bot, one router per feature (`build_router()` each)."""
