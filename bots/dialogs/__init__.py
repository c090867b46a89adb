"""The tenant bot's screens as aiogram-dialog declarations: one dialog per module, all state
groups in `states.py`, shared widgets and handlers in `common.py`."""
