"""deckops doctor: each part found with its version and path, or missing with its fix; exit 1 when a feature
the repo uses lacks a part (a machine without Node, npm or Chromium is made by leaving them off PATH)."""
from __future__ import annotations

import re
from pathlib import Path

from conftest import run_cli
from test_setup_init import _path_without


def _lines(stdout: str) -> dict[str, str]:
    return {m.group(2): m.group(1) + " " + m.group(4) for m in
            re.finditer(r"^(\w+) +(.+?) {2,}(\w+) +(.*)$", stdout, re.M)}


def _talk(tmp: Path, rehearse: str = "") -> Path:
    talk = tmp / "talk"
    (talk / ".git").mkdir(parents=True)
    (talk / "deckops.toml").write_text(rehearse)
    return talk


def test_doctor_on_this_machine_finds_the_render_toolchain(tmp_path):
    res = run_cli("doctor", cwd=_talk(tmp_path))
    found = _lines(res.stdout)
    for name in ("node", "npm", "marp-cli", "chromium", "bubblewrap", "shellcheck", "python: playwright"):
        assert found[name].startswith("ok "), res.stdout
    assert re.search(r"^ok +chromium +render +\d+\.[\d.]+ /\S+$", res.stdout, re.M), res.stdout
    assert res.returncode == (0 if "MISSING" not in res.stdout else 1)
    assert res.stderr.startswith("deckops doctor: ")


def test_doctor_without_node_npm_chromium_names_each_fix_and_exits_1(tmp_path):
    path = _path_without(tmp_path, "node", "npm", "chromium", "chromium-headless-shell", "google-chrome")
    env = {"PATH": path, "CHROME_PATH": "", "DECKOPS_CACHE": str(tmp_path / "cache")}
    env = {k: v for k, v in env.items()}
    res = run_cli("doctor", cwd=_talk(tmp_path), env=env)
    assert res.returncode == 1, res.stdout + res.stderr
    found = _lines(res.stdout)
    assert found["node"] == "MISSING fix: sudo apt-get install -y nodejs npm"
    assert found["npm"] == "MISSING fix: sudo apt-get install -y nodejs npm"
    assert found["chromium"].startswith("MISSING fix: sudo apt-get install -y chromium-headless-shell")
    assert "Traceback" not in res.stderr


def test_cluster_parts_are_required_only_when_the_repo_rehearses_on_a_cluster(tmp_path):
    path = _path_without(tmp_path, "kind", "docker")
    plain = run_cli("doctor", cwd=_talk(tmp_path), env={"PATH": path})
    assert _lines(plain.stdout)["kind"].startswith("absent fix: ")
    (tmp_path / "talk" / "deckops.toml").write_text('[rehearse]\ncluster = "kind"\n')
    kind = run_cli("doctor", cwd=tmp_path / "talk", env={"PATH": path})
    assert _lines(kind.stdout)["kind"].startswith("MISSING fix: ")
    assert kind.returncode == 1
