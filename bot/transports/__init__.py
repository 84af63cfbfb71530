"""Runtimes over the same `Assistant`: console, replay, python-telegram-bot and aiogram."""
