"""Declarative screens of the Master Bot (aiogram-dialog): one dialog per module."""
