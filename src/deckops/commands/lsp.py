"""`deckops lsp`: the language server on stdin/stdout until the editor closes it (lsp/server.py)."""
from __future__ import annotations

from ..errors import UsageError


def run(args) -> int:
    try:
        from ..lsp.server import main
    except ImportError as exc:  # pygls / lsprotocol come with the lsp extra
        raise UsageError(f"deckops lsp needs the lsp extra ({exc.name} is missing): "
                         "pip install 'deckops[lsp]'") from None
    return main()
