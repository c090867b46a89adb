"""The operator's Master Bot and alerts (see issue 5)."""
