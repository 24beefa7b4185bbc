"""`deckops init`: write a talk repository's skeleton into DIR (never overwriting)."""
from __future__ import annotations

import sys

from .. import init
from ..errors import UsageError


def run(args) -> int:
    if args.dir.exists() and not args.dir.is_dir():
        raise UsageError(f"{args.dir}: not a folder")
    for path in init.create(args.dir):
        print(f"created {path}")
    print(f"next: cd {args.dir} && deckops lint && deckops check && deckops rehearse --no-cluster", file=sys.stderr)
    return 0
