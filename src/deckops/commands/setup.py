"""`deckops setup`: install the pinned marp-cli into deckops' cache and find Chromium."""
from __future__ import annotations

import sys


def run(args) -> int:
    from .. import marp, setup_node

    print(f"deckops setup: {setup_node.PACKAGE}@{setup_node.pinned_version()} in {setup_node.cache_dir()}",
          file=sys.stderr, flush=True)
    exe = setup_node.install(force=args.force)
    print(f"marp-cli  {setup_node.verify(exe)}  {exe}")
    print(f"chromium  {marp.find_chrome()}")
    return 0
