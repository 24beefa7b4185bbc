"""The one config validator (config.py: CONFIG_KEYS, REHEARSE_KEYS, validate): every problem of a file at once,
each naming the file, the key (and the line where the parser gives one), one error type, exit 2; the same table
checks deckops.toml, [tool.deckops.rehearse], rehearse's sidecar files and the user's own config."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli
from deckops import config
from deckops.config import CONFIG_KEYS, REHEARSE_KEYS, ConfigError, Where, validate
from deckops.rehearse import settings

BAD_TOML = """\
selct = ["D1"]
html = "yes"
themes = ["/", "themes"]
ignore = ["overflw"]

[severity]
image-alt = "loud"

[rehearse]
timeout = -1
clustr = "local"
env = { HOME = "/tmp/x" }
"""


def repo(tmp_path: Path, toml: str) -> Path:
    (tmp_path / ".git").mkdir(parents=True)
    (tmp_path / "deckops.toml").write_text(toml)
    (tmp_path / "deck.md").write_text("---\nmarp: true\n---\n\n# A\n")
    return tmp_path


def test_every_problem_of_a_config_file_at_once(tmp_path):
    r = run_cli("lint", "deck.md", cwd=repo(tmp_path, BAD_TOML))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = [l.strip().replace(f"{tmp_path}/", "") for l in r.stderr.removeprefix("deckops: error: ").splitlines()]
    assert lines == [
        "deckops.toml: [tool.deckops] selct: unknown key (did you mean 'select'?); allowed: "
        + ", ".join(sorted(CONFIG_KEYS)),
        "deckops.toml: [tool.deckops] html: expected true or false, got 'yes'",
        "deckops.toml: [tool.deckops] themes: '/' is outside the repository; allowed: folders relative to the "
        "repository root, without '..'",
        "deckops.toml: [tool.deckops] severity.image-alt: got 'loud'; allowed: error, warning, info, off",
        "deckops.toml: [tool.deckops.rehearse] timeout: expected a positive number of seconds, got -1",
        "deckops.toml: [tool.deckops.rehearse] clustr: unknown key (did you mean 'cluster'?); allowed: "
        + ", ".join(sorted(REHEARSE_KEYS)),
        "deckops.toml: [tool.deckops.rehearse] env.HOME: refused: deckops sets HOME for every snippet "
        "(KUBECONFIG, HOME, KUBECACHEDIR, DECKOPS_NAMESPACE cannot be changed by the repository)",
        "deckops.toml: [tool.deckops] ignore: 'overflw' is no rule name or code; did you mean 'overflow'?",
    ], r.stderr


@pytest.mark.parametrize("command", [("lint",), ("rehearse", "--no-cluster"), ("inspect",)])
def test_every_command_reads_the_config_through_the_validator(tmp_path, command):
    r = run_cli(*command, "deck.md", cwd=repo(tmp_path, '[rehearse]\noutput-limit = "big"\nk8s-masks = 1\n'))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "[tool.deckops.rehearse] output-limit: expected a number of bytes" in r.stderr
    assert "[tool.deckops.rehearse] k8s-masks: expected true or false, got 1" in r.stderr


def test_a_sidecar_reports_every_problem_with_its_line(tmp_path):
    root = repo(tmp_path, "")
    (root / "deck.rehearse.yaml").write_text("timeout: soon\nenv:\n  KUBECONFIG: /x\n  OK: 1\n"
                                             "masks:\n  id: '['\ncontext: prod\n")
    r = run_cli("rehearse", "--no-cluster", "deck.md", cwd=root)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = [l.strip() for l in r.stderr.removeprefix("deckops: error: ").splitlines()]
    side = "deck.rehearse.yaml"
    assert lines == [
        f"{side}:1:1: timeout: expected a positive number of seconds, got 'soon'",
        f"{side}:3:3: env.KUBECONFIG: refused: deckops sets KUBECONFIG for every snippet (KUBECONFIG, HOME, "
        "KUBECACHEDIR, DECKOPS_NAMESPACE cannot be changed by the repository)",
        f"{side}:6:3: masks.id: bad regular expression: unterminated character set at position 0",
        f"{side}:7:1: context: refused in a file of the repository (a deck may not choose or widen the cluster "
        "it reaches); pass --context on the command line",
    ], r.stderr


def test_the_users_own_config_goes_through_the_same_validator(tmp_path):
    home = tmp_path / "home"
    (home / "deckops").mkdir(parents=True)
    (home / "deckops" / "config.toml").write_text('sandbox-contexts = 3\nsandbox-context = ["x"]\n')
    r = run_cli("rehearse", "--no-cluster", "deck.md", cwd=repo(tmp_path / "r", ""),
                env={"XDG_CONFIG_HOME": str(home)})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "config.toml: sandbox-contexts: expected a list of strings, got 3" in r.stderr
    assert "config.toml: sandbox-context: unknown key (did you mean 'sandbox-contexts'?)" in r.stderr


def test_one_table_one_error_type():
    """settings.py keeps no key list of its own: its checks are config.validate over REHEARSE_KEYS."""
    assert not hasattr(settings, "KEYS") and not hasattr(settings, "_check")
    values, problems = validate({"timeout": 5, "cluster": "kind", "aliases": {"kc": "kubectl"}}, REHEARSE_KEYS,
                                Where("x"))
    assert (values, problems) == ({"timeout": 5.0, "cluster": "kind", "aliases": {"kc": "kubectl"}}, [])
    with pytest.raises(ConfigError) as err:
        settings.merge(settings.Settings(), {"cluster": "gke", "timeout": 0}, Where("side.yaml", "", {"cluster": (2, 1)}))
    assert str(err.value) == ("side.yaml:2:1: cluster: expected one of local, kind, got 'gke'\n"
                              "  side.yaml: timeout: expected a positive number of seconds, got 0")
    assert [p.key for p in err.value.problems] == ["cluster", "timeout"]


def test_a_valid_config_loads(tmp_path):
    root = repo(tmp_path, 'select = ["D1", "overflow"]\nthemes = "themes"\n[rehearse]\ntimeout = 5\n'
                          '[severity]\nD601 = "warning"\n')
    cfg = config.load(root, check=lambda c: [])
    assert (cfg.select, cfg.themes, dict(cfg.rehearse), dict(cfg.severity)) == \
        (("D1", "overflow"), ("themes",), {"timeout": 5}, {"D601": "warning"})
