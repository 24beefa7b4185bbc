"""What the `render` extra adds, and the one-line error when a command needs it and it is not installed."""
from __future__ import annotations

import importlib.util

from .errors import UsageError

RENDER = {"playwright": "Playwright", "PIL": "Pillow", "watchfiles": "watchfiles"}  # module -> package


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except (ValueError, ImportError):  # a module blocked or half-installed
        return True


def require_render(command: str, modules: tuple[str, ...] = ("playwright", "PIL")) -> None:
    """Exit 2 naming the install command when `deckops COMMAND` needs packages of the render extra."""
    missing = [RENDER[m] for m in modules if _missing(m)]
    if missing:
        raise UsageError(f"deckops {command} needs {', '.join(missing)} (the render extra): "
                         "pip install 'deckops[render]'")
