"""The README's promises: its two commands come first, and its config example is valid config."""
from __future__ import annotations

import re
import tomllib

from conftest import ROOT

from deckops import config

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert [line.split("#")[0].strip() for line in first_block] == [
        "./setup.sh && .venv/bin/python build.py", ".venv/bin/python -m pytest"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./setup.sh" in ci and ".venv/bin/python -m pytest" in ci


def test_readme_config_example_loads():
    block = re.search(r"```toml\n(.*?)```", README, re.S).group(1)
    table = tomllib.loads(block)["tool"]["deckops"]
    cfg = config.from_table(table, "README.md", ROOT)
    assert cfg.severity["image-alt"] == "error" and cfg.aliases["k"] == "kubectl"
