"""Arshif (أرشيف): a clean, deduplicated SQLite archive of an Arabic news site."""

__version__ = "0.1.0"
