"""The tenant bot's screens, declared with aiogram-dialog: one dialog per module, every
`StatesGroup` in `states.py`, what dialogs share in `common.py`."""
