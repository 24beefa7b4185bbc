"""Files of the deckops checkout that an installed deckops needs, and where they go inside the package.

setup.py copies each one into the wheel; `path()` finds the package's copy, else (an editable install or a
checkout) the original. Plain data: setup.py reads SHIPPED without importing deckops.
"""
from __future__ import annotations

from pathlib import Path

# checkout path -> path inside the installed deckops package
SHIPPED = {
    "package.json": "node/package.json",  # the pinned @marp-team/marp-cli (deckops setup)
    "package-lock.json": "node/package-lock.json",
    "tools": "tools",  # the local cluster's Go modules (localcluster.paths finds deckops/tools/k8s)
    ".github/workflows/deck.yml": "templates/talk/.github/workflows/deck.yml",  # deckops init
}

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parents[1]


def path(checkout_path: str) -> Path:
    """The installed copy of a shipped file, else the checkout's own."""
    inside = _PACKAGE / SHIPPED[checkout_path]
    return inside if inside.exists() else _CHECKOUT / checkout_path
