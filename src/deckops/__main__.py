"""Entry point: the only sys.exit; one handler maps failures to exit codes (0, 1, 2, 130)."""
from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    from .cli import dispatch
    from .config import ConfigError
    from .errors import UsageError
    from .files import CACHE_HOME
    from .proc import ToolError

    # kubectl (rehearse, the local cluster, kubectl-usage) caches discovery under ~/.kube/cache by default;
    # deckops writes only to its output folder and its own cache, so point kubectl there (unless set).
    os.environ.setdefault("KUBECACHEDIR", str(CACHE_HOME / "kube"))
    try:
        return dispatch(argv)
    except KeyboardInterrupt:
        from .proc import kill_all

        kill_all()  # background shellcheck/kubectl runs: the interpreter would wait for their threads
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
