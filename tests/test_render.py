"""Render: marp-cli argv/warnings (pure), planning and cache (pure), and real renders with the pinned marp-cli."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, PATIENCE, descendants, run_cli, wait_for
from deckops import marp, proc
from deckops.errors import UsageError
from deckops.commands.render import parse_formats
from deckops.render.cache import digest
from deckops.render.plan import plan
from deckops.render.warnings import diagnostics as warning_diags

TALK = DATA / "render" / "talk"

# marp-cli 4.5.1's stderr for a batch of two decks, as captured (wrapped lines included)
MARP_LOG = """\
[  INFO ] Converting 2 markdowns... (Parallelism: up to 4 workers)
[  WARN ] Insecure local file accessing is enabled for conversion from
          r0/slides/good.md.
[  WARN ] The local file is missing and will be ignored. Make sure the file path
          is correct.
[  INFO ] r0/slides/broken.md => pdf/r0/slides/broken.pdf
[  INFO ] r0/slides/good.md => pdf/r0/slides/good.pdf
"""


@pytest.fixture
def talk(tmp_path: Path) -> Path:
    """The render fixture repo copied into a temp dir (a fake .git marks the repo root)."""
    dst = tmp_path / "talk"
    shutil.copytree(TALK, dst)
    (dst / ".git").mkdir()
    return dst


def test_parse_formats():
    assert parse_formats("pdf,html,pdf") == ["pdf", "html"]
    with pytest.raises(UsageError, match="html, pdf, pptx, png"):
        parse_formats("pdf,docx")


def test_marp_argv_is_batched_and_confined():
    cmd = marp.argv(Path("m"), "pdf", Path("in"), Path("out"), themes=[Path("themes")], parallel=7)
    assert cmd[:3] == ["m", "--no-stdin", "--no-config-file"]
    assert cmd[cmd.index("-I") + 1] == "in" and cmd[cmd.index("-P") + 1] == "7"
    assert "--allow-local-files" in cmd and "--html" not in cmd
    assert cmd[cmd.index("--theme-set") + 1] == "themes"
    assert "--allow-local-files" not in marp.argv(Path("m"), "html", Path("in"), Path("out"))


def test_marp_log_parsing_joins_wrapped_lines():
    msgs = marp.parse(MARP_LOG)
    assert [m.level for m in msgs] == ["INFO", "WARN", "WARN", "INFO", "INFO"]
    assert msgs[2].text.endswith("Make sure the file path is correct.")
    assert msgs[3].done == ("r0/slides/broken.md", "pdf/r0/slides/broken.pdf")
    assert [m.text[:20] for m in marp.warnings(msgs)] == ["The local file is mi"]


def test_marp_warning_is_positioned_at_the_missing_image(talk: Path):
    targets, _ = plan([talk / "slides" / "good.md", talk / "slides" / "broken.md"], talk)
    staged = {t: talk / "stage" / "r0" / t.rel for t in targets}
    diags = warning_diags([marp.parse(MARP_LOG)], staged, talk / "stage")
    assert [(Path(d.path).name, d.line, d.code) for d in diags] == [("broken.md", 7, "D603"), ("broken.md", 28, "D603")]
    assert "does-not-exist.png" in diags[0].message


def test_plan_refuses_files_outside_the_repo(talk: Path):
    deck = talk / "slides" / "escape.md"
    deck.write_text("# x\n\n![secret](../../outside.png)\n")
    targets, diags = plan([deck], talk)
    assert targets == []
    assert [(d.code, d.line, d.col) for d in diags] == [("D304", 3, 1)]


def test_plan_refuses_two_decks_with_one_stem(talk: Path):
    (talk / "other").mkdir()
    shutil.copy(talk / "slides" / "good.md", talk / "other" / "good.md")
    with pytest.raises(UsageError, match="both render to good"):
        plan([talk / "slides" / "good.md", talk / "other" / "good.md"], talk)


def test_digest_changes_with_assets_and_options(talk: Path):
    [t], _ = plan([talk / "slides" / "good.md"], talk)
    base = digest(t, "pdf", {"marp": "4.5.1"}, [])
    assert base == digest(t, "pdf", {"marp": "4.5.1"}, [])
    assert base != digest(t, "html", {"marp": "4.5.1"}, [])
    assert base != digest(t, "pdf", {"marp": "4.5.2"}, [])
    (talk / "images" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    [t2], _ = plan([talk / "slides" / "good.md"], talk)
    assert base != digest(t2, "pdf", {"marp": "4.5.1"}, [])


def test_no_chromium_is_exit_2_naming_the_fix(talk: Path):
    r = run_cli("render", str(talk / "slides" / "good.md"), "--to", "pdf", "--out", str(talk / "dist"),
                env={"CHROME_PATH": str(talk / "no-such-chrome")})
    assert r.returncode == 2, r.stderr
    assert "CHROME_PATH" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("render", str(talk / "slides" / "good.md"), "--to", "pdf", "--out", str(talk / "dist"),
                env={"CHROME_PATH": "", "PATH": str(Path(sys.executable).parent)})
    assert r.returncode == 2
    assert "no Chromium found" in r.stderr and "apt-get install chromium" in r.stderr


def pdf_pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


@pytest.mark.browser
def test_render_real_decks_then_skip_then_rebuild_one(talk: Path):
    dist = talk / "dist"
    r = run_cli("render", str(talk / "slides"), "--to", "html,pdf,png", "--out", str(dist), cwd=talk)
    assert r.returncode == 0, r.stderr
    assert "2 rendered, 0 current" in r.stderr
    for stem, slides in (("good", 3), ("broken", 3)):
        assert pdf_pages(dist / f"{stem}.pdf") == slides
        html = (dist / f"{stem}.html").read_text()
        assert html.count("data-marpit-svg") >= slides and "<section" in html
        assert sorted(p.name for p in (dist / stem).glob("*.png")) == [f"{n:03d}.png" for n in range(1, slides + 1)]
    # the missing image: a positioned marp warning, not swallowed
    assert re.search(r"broken\.md:7:1: D603 marp-warning .*does-not-exist\.png", r.stdout), r.stdout
    assert not list(dist.glob(".tmp-*"))

    mtime = (dist / "good.pdf").stat().st_mtime_ns
    r = run_cli("render", str(talk / "slides"), "--to", "html,pdf,png", "--out", str(dist), cwd=talk)
    assert "0 rendered, 2 current" in r.stderr and (dist / "good.pdf").stat().st_mtime_ns == mtime

    (talk / "images" / "logo.svg").write_text(
        "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><rect width='10' height='10'/></svg>")
    r = run_cli("render", str(talk / "slides"), "--to", "pdf", "--out", str(dist), cwd=talk)
    assert "1 rendered, 1 current" in r.stderr, r.stderr  # only good.md uses the logo
    r = run_cli("render", str(talk / "slides"), "--to", "pdf", "--out", str(dist), "--force", cwd=talk)
    assert "2 rendered, 0 current" in r.stderr


@pytest.mark.browser
def test_interrupted_render_leaves_no_temp_files_or_half_pdf(talk: Path, spawn):
    dist = talk / "dist"
    env = {**os.environ, "NO_COLOR": "1"}
    p = spawn([sys.executable, "-m", "deckops", "render", str(talk / "slides"), "--to", "pdf,png", "--out", str(dist)],
              cwd=talk, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def marp_running() -> list[int]:
        return [pid for pid in descendants(p.pid) if b"marp" in _cmdline(pid)]

    running = wait_for(marp_running, what="marp-cli under deckops render")  # ^C only once marp-cli really runs
    assert list(dist.glob(".tmp-*")), "render's temp folder should exist while marp-cli runs"
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=PATIENCE)
    assert p.returncode == 130, err  # interrupted, not finished before the ^C
    assert not list(dist.glob(".tmp-*"))
    assert not [pid for pid in running if _cmdline(pid)]  # marp-cli went with it
    for pdf in dist.glob("*.pdf"):  # either absent or whole
        assert pdf_pages(pdf) > 0


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.browser
def test_concurrent_runs_on_one_dir_take_turns(talk: Path, spawn):
    dist = talk / "dist"
    cmd = [sys.executable, "-m", "deckops", "render", str(talk / "slides"), "--to", "html", "--out", str(dist)]
    procs = [spawn(cmd, cwd=talk, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=2 * PATIENCE), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    assert sum("2 rendered" in err for _, err in results) == 1  # the second found them current
    assert (dist / "good.html").read_text().count("data-marpit-svg") >= 3
    assert not list(dist.glob(".tmp-*"))


def test_check_reports_a_reference_outside_the_repo_once_and_renders_nothing(talk: Path):
    deck = talk / "slides" / "escape.md"
    deck.write_text("# Escape\n\n![secret](../../outside.png)\n")
    r = run_cli("check", str(deck), "--out", str(talk / "dist"), cwd=talk)
    assert r.returncode == 1, r.stderr
    assert len(re.findall(r"escape\.md:3:1: D304 ", r.stdout)) == 1, r.stdout
    assert not (talk / "dist" / "escape.html").exists()


@pytest.mark.parametrize("code,reason", [(1, "marp-cli failed"), (2, "found no browser")])
def test_a_marp_failure_shows_its_log_and_what_the_exit_code_means(tmp_path: Path, code, reason):
    from deckops.proc import ToolError

    script = f"echo '[ ERROR ] Failed converting deck.md' >&2; exit {code}"  # marp-cli's own way to fail
    box = proc.Sandbox(home=tmp_path, write=(tmp_path,))
    batch = marp.Batch(["sh", "-c", script], cwd=tmp_path, box=box, log=tmp_path / "marp.log")
    with pytest.raises(ToolError) as exc:
        marp.wait([batch], timeout=30)
    text = exc.value.describe()
    assert reason in text and f"exit code: {code}" in text and "Failed converting deck.md" in text


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("script") is None, reason="needs util-linux `script` to fake a terminal")
def test_progress_bar_on_a_terminal_and_quiet_in_ci(talk: Path):
    cmd = f"{sys.executable} -m deckops render slides --to html --out dist --force"

    def on_tty(ci: bool) -> str:
        env = {k: v for k, v in os.environ.items() if k != "CI"} | ({"CI": "true"} if ci else {})
        return subprocess.run(["script", "-qc", cmd, "/dev/null"], cwd=talk, env=env, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL).stdout

    assert "rendering" in on_tty(ci=False)
    assert "rendering" not in on_tty(ci=True)


@pytest.mark.browser
def test_html_true_passes_html_to_marp_and_warns_d604(talk: Path):
    (talk / "deckops.toml").write_text("html = true\n")
    deck = talk / "slides" / "raw.md"
    deck.write_text('# Raw\n\n<span style="color:red">red</span>\n')
    r = run_cli("render", str(deck), "--to", "html", "--out", str(talk / "dist"), cwd=talk)
    assert r.returncode == 0, r.stderr
    assert re.search(r"deckops\.toml:1:1: D604 html-enabled .*<script>", r.stdout), r.stdout
    assert 'style="color:red"' in (talk / "dist" / "raw.html").read_text()
    (talk / "deckops.toml").write_text("html = false\n")
    r = run_cli("render", str(deck), "--to", "html", "--out", str(talk / "dist"), cwd=talk)
    assert "D604" not in r.stdout and "1 rendered" in r.stderr  # the option is part of the cache key
    assert 'style="color:red"' not in (talk / "dist" / "raw.html").read_text()


def test_staged_copy_holds_only_the_deck_and_the_files_it_references(talk: Path, tmp_path: Path):
    from deckops.render.workdir import stage

    (talk / "images" / "unrelated.txt").write_text("not referenced by any deck")
    targets, _ = plan([talk / "slides" / "good.md", talk / "slides" / "broken.md"], talk)
    staged = stage(targets, tmp_path / "stage")
    files = sorted(str(p.relative_to(tmp_path / "stage")) for p in (tmp_path / "stage").rglob("*") if p.is_file())
    assert files == ["r0/images/logo.svg", "r0/slides/broken.md", "r0/slides/good.md"]
    assert staged[targets[0]].read_bytes() == (talk / "slides" / "good.md").read_bytes()


def test_cache_entry_is_current_only_with_the_same_hash_and_all_outputs(talk: Path, tmp_path: Path):
    from deckops.render.cache import Cache

    [t], _ = plan([talk / "slides" / "good.md"], talk)
    (tmp_path / "good.pdf").write_bytes(b"%PDF")
    cache = Cache(tmp_path)
    cache.put(t, "pdf", "h1", ["good.pdf"])
    cache.save()
    again = Cache(tmp_path)
    assert again.current(t, "pdf", "h1", tmp_path) is not None
    assert again.current(t, "pdf", "h2", tmp_path) is None
    (tmp_path / "good.pdf").unlink()
    assert again.current(t, "pdf", "h1", tmp_path) is None
    (tmp_path / ".deckops-cache.json").write_text("{not json")
    assert Cache(tmp_path).entries == {}  # a damaged cache means a full rebuild, not a crash
