"""Declarative screens of the Sales Bot (aiogram-dialog): one dialog per module."""
