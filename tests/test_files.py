"""Atomic writes: readable outputs, a rewritten file keeps its mode, no temp file left on failure."""
from __future__ import annotations

import os
import stat

import pytest

from deckops.files import write_atomic


def test_new_file_gets_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "out" / "a.html", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out" / "a.html").stat().st_mode) == 0o644


def test_rewrite_keeps_mode_and_content_is_whole(tmp_path):
    deck = tmp_path / "deck.md"
    deck.write_bytes(b"old")
    deck.chmod(0o640)
    write_atomic(deck, b"new")
    assert deck.read_bytes() == b"new" and stat.S_IMODE(deck.stat().st_mode) == 0o640


def test_failed_write_leaves_no_temp_file(tmp_path):
    with pytest.raises(TypeError):
        write_atomic(tmp_path / "x.pdf", object())  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


# --- issue 18: outputs refuse what is not a regular file; reads check type and size first ------------------

import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from conftest import DATA, PATIENCE, ROOT, run_cli, wait_for  # noqa: E402
from deckops import files as files_mod  # noqa: E402

SHELL_DECK = DATA / "rehearse" / "shell.md"


def _special(tmp_path, kind: str):
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    elif kind == "device":
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a second /dev/null, ours to lose
    elif kind == "symlink":
        (tmp_path / "target.txt").write_text("keep me")
        path.symlink_to(tmp_path / "target.txt")
    elif kind == "folder":
        path.mkdir()
    return path


def _unchanged(tmp_path, kind: str, path) -> bool:
    checks = {"fifo": stat.S_ISFIFO, "socket": stat.S_ISSOCK, "device": stat.S_ISCHR, "symlink": stat.S_ISLNK,
              "folder": stat.S_ISDIR}
    ok = checks[kind](os.lstat(path).st_mode)
    return ok and (kind != "symlink" or (tmp_path / "target.txt").read_text() == "keep me")


KINDS = ["fifo", "socket", "device", "symlink", "folder"]


@pytest.mark.parametrize("kind", KINDS)
def test_write_atomic_refuses_what_is_not_a_regular_file(tmp_path, kind):
    path = _special(tmp_path, kind)
    with pytest.raises(files_mod.FileError, match="refusing to write: it is"):
        write_atomic(path, b"x")
    assert _unchanged(tmp_path, kind, path)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp file left


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("option", ["lint --output", "rehearse --junit", "rehearse --report"])
def test_cli_outputs_refuse_special_targets_in_one_line(tmp_path, kind, option):
    path = _special(tmp_path, kind)
    command, flag = option.split()
    extra = ["--no-cluster"] if command == "rehearse" else []
    res = run_cli(command, *extra, flag, str(path), str(SHELL_DECK))
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith(f"deckops: error: {path}: refusing to write: it is")
    assert "Traceback" not in res.stderr
    assert _unchanged(tmp_path, kind, path)


@pytest.mark.parametrize("kind", ["fifo", "device", "symlink"])
def test_update_refuses_a_deck_that_is_not_a_regular_file(tmp_path, kind):
    path = _special(tmp_path, kind)
    if kind == "symlink":  # a stale deck behind a link: --update would have replaced the link with a file
        (tmp_path / "target.txt").write_text(SHELL_DECK.read_text())
        res = run_cli("rehearse", "--no-cluster", "--update", str(path))
        assert res.returncode == 2 and "refusing to write: it is a symbolic link" in res.stderr
        assert path.is_symlink() and (tmp_path / "target.txt").read_text() == SHELL_DECK.read_text()
    else:
        res = run_cli("rehearse", "--no-cluster", "--update", str(path), timeout=PATIENCE)
        assert res.returncode == 2 and "Traceback" not in res.stderr


def test_out_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "dist").write_text("not a folder")
    res = run_cli("render", "--out", str(tmp_path / "dist"), str(SHELL_DECK))
    assert res.returncode == 2
    assert res.stderr.splitlines() == [f"deckops: error: {tmp_path / 'dist'}: cannot create the output folder: "
                                       "a file of that name is in the way"]


def test_out_under_a_file_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    res = run_cli("render", "--out", str(tmp_path / "file" / "dist"), str(SHELL_DECK))
    assert res.returncode == 2 and len(res.stderr.splitlines()) == 1 and "Not a directory" in res.stderr


@pytest.mark.parametrize("what", ["/dev/zero", "fifo", "folder", "huge"])
def test_kubeconfig_type_and_size_are_checked_before_reading(tmp_path, what):
    path = {"/dev/zero": "/dev/zero", "fifo": None, "folder": None, "huge": tmp_path / "huge"}[what]
    if what in ("fifo", "folder"):
        path = _special(tmp_path, what)
    if what == "huge":
        with open(path, "wb") as fh:
            fh.truncate(64 * 1024 * 1024)  # sparse: no disk used
    # refused before any read (once /dev/zero was read for 2.6 GB and a FIFO hung: run_cli's bound would fail)
    res = run_cli("rehearse", "--kubeconfig", str(path), str(SHELL_DECK), timeout=PATIENCE)
    assert res.returncode == 2 and len(res.stderr.splitlines()) == 1, res.stderr
    assert res.stderr.startswith(f"deckops: error: {path}: cannot read kubeconfig: ")


def test_read_checked_reads_regular_files_only(tmp_path):
    (tmp_path / "ok").write_bytes(b"abc")
    assert files_mod.read_checked(tmp_path / "ok", "config") == b"abc"
    with pytest.raises(files_mod.FileError, match="more than the 2 allowed"):
        files_mod.read_checked(tmp_path / "ok", "config", limit=2)
    with pytest.raises(files_mod.FileError, match="it is a FIFO"):
        files_mod.read_checked(_special(tmp_path, "fifo"), "config")


def _repo(tmp_path, toml: str):
    (tmp_path / ".git").mkdir()
    (tmp_path / "deckops.toml").write_text(toml)
    (tmp_path / "d.md").write_text("# A\n")
    return tmp_path / "d.md"


def test_deeply_nested_config_is_one_line(tmp_path):
    deck = _repo(tmp_path, "a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    res = run_cli("lint", str(deck))
    assert res.returncode == 2
    assert res.stderr.splitlines() == [f"deckops: error: {tmp_path / 'deckops.toml'}: [tool.deckops] -: "
                                       "invalid TOML: nested too deeply"]


@pytest.mark.parametrize("entry", ["/", "../..", "~/themes"])
def test_themes_outside_the_repo_are_a_config_error(tmp_path, entry):
    deck = _repo(tmp_path, f'themes = ["{entry}"]\n')
    res = run_cli("lint", str(deck), timeout=PATIENCE)  # (once `/` was walked for CSS before this error)
    assert res.returncode == 2 and res.stdout == "" and len(res.stderr.splitlines()) == 1, res.stderr
    assert "themes:" in res.stderr and "outside the repository" in res.stderr


def test_unsearchable_folder_while_finding_the_config_is_one_line(tmp_path, monkeypatch):
    from deckops import config

    real = type(tmp_path).is_file

    def is_file(self):
        if self.parent == tmp_path / "locked":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(type(tmp_path), "is_file", is_file)
    with pytest.raises(config.ConfigError, match="cannot look for deckops.toml here: Permission denied"):
        config.find(tmp_path / "locked")


def test_config_that_is_a_fifo_or_huge_is_refused(tmp_path):
    from deckops import config

    import threading

    fifo = tmp_path / "deckops.toml"
    os.mkfifo(fifo)
    unblock = threading.Timer(10, lambda: os.close(os.open(fifo, os.O_WRONLY)))  # a hanging read ends: the
    unblock.start()  # test fails instead of hanging
    try:
        with pytest.raises(config.ConfigError, match="it is a FIFO"):
            config.load(tmp_path, fifo)
    finally:
        unblock.cancel()
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    (tmp_path / "big.toml").write_bytes(b"#" * (9 * 1024 * 1024))
    with pytest.raises(config.ConfigError, match="more than the"):
        config.load(tmp_path, tmp_path / "big.toml")


# --- SIGTERM and stale temp folders --------------------------------------------------------------------------

def test_stale_temp_folders_of_dead_runs_are_removed(tmp_path):
    from deckops.render.workdir import temp_dir

    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs
    stale = tmp_path / f".tmp-{dead.pid}-abc123"
    live = tmp_path / f".tmp-{os.getppid()}-def456"  # a live pid: maybe another run on this folder
    for d in (stale, live):
        (d / "sub").mkdir(parents=True)
    with temp_dir(tmp_path) as mine:
        assert mine.exists() and not stale.exists() and live.exists()
    assert not mine.exists() and live.exists()


def test_sigterm_cleans_up_like_interrupt(tmp_path, spawn):
    deck = tmp_path / "d.md"
    deck.write_text(f"# A\n\n<!-- rehearse: timeout=7200 -->\n```bash\nsleep 3073 & touch {tmp_path}/ready\nwait\n```\n")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    child = spawn([sys.executable, "-m", "deckops", "rehearse", "--no-cluster", str(deck)], cwd=ROOT,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)})
    wait_for(lambda: (tmp_path / "ready").exists(), what="the snippet")
    child.terminate()
    out, err = child.communicate(timeout=PATIENCE)  # (sleep 3073 outlasts it: only the cleanup ends the run)
    assert child.returncode == 143 and err.strip() == "deckops: terminated"
    assert list(tmp.iterdir()) == []
