"""`deckops rules`: every rule of every stage with its code, name, default severity, stage and family."""
from __future__ import annotations

from ..lint.catalogue import catalogue


def run(args) -> int:
    for e in catalogue().values():
        print(f"{e.code}  {e.name:<24} {e.severity:<8} {e.stage:<8} {e.family:<10} {e.summary}")
    return 0
