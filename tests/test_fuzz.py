"""A short coverage-guided fuzz run (atheris/libFuzzer) of the parser and the pure lint rules."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_fuzz_parser_briefly(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "fuzz" / "fuzz_deck.py"), "-max_total_time=15",
                        "-rss_limit_mb=2048", f"-artifact_prefix={tmp_path}/", str(tmp_path), str(ROOT / "fuzz" / "seeds")],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Done" in r.stderr and not list(tmp_path.glob("crash-*"))
