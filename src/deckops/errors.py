"""Exceptions that end a command with exit 2 and a one-line (or few-line) message."""
from __future__ import annotations


class UsageError(Exception):
    """Bad arguments or input the user must fix; exit 2."""
