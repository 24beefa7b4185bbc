"""`deckops merge`: join the SARIF, JSON or JUnit reports of --shard runs into one."""
from __future__ import annotations

import sys

from .. import merge
from ..errors import UsageError
from ..files import FileError, read_checked
from ._common import emit


def run(args) -> int:
    named = []
    for path in args.reports:
        try:
            named.append((str(path), read_checked(path, "report").decode("utf-8", errors="replace")))
        except FileError as exc:
            raise UsageError(str(exc)) from None
    kind, text, failed = merge.merge(named)
    emit(text, args.output)
    print(f"deckops merge: {len(named)} {kind} reports{f' -> {args.output}' if args.output else ''}", file=sys.stderr)
    return 1 if failed else 0
