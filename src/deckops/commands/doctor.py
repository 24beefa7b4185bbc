"""`deckops doctor`: what deckops needs and what this machine has, with the fix for each gap."""
from __future__ import annotations

import sys

from .. import doctor
from ._common import load_config


def run(args) -> int:
    config = load_config(args)
    needed = doctor.required(config)
    missing = 0
    for check in doctor.run_checks(config):
        state = "ok" if check.found else ("MISSING" if check.feature in needed else "absent")
        missing += state == "MISSING"
        detail = check.found or f"fix: {check.fix}"
        print(f"{state:<8} {check.name:<28} {check.feature:<8} {detail}")
    print(f"deckops doctor: {missing} missing for {', '.join(sorted(needed))}", file=sys.stderr)
    return 1 if missing else 0
