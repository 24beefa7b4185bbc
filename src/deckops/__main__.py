"""Entry point: the only sys.exit; one handler maps failures to exit codes (0, 1, 2, 130)."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from .cli import dispatch
    from .config import ConfigError
    from .errors import UsageError
    from .proc import ToolError

    try:
        return dispatch(argv)
    except KeyboardInterrupt:
        print("deckops: interrupted", file=sys.stderr)
        return 130
    except (UsageError, ConfigError) as exc:
        print(f"deckops: error: {exc}", file=sys.stderr)
        return 2
    except ToolError as exc:
        print(f"deckops: error: {exc.describe()}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
