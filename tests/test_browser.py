"""Browser checks in real Chromium on decks rendered by the real marp-cli; one browser for the session."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import DATA, SEED, run_cli
from deckops.browser import checks, thumbnail_path
from deckops.browser.measure import SCRIPT
from deckops.config import Config
from deckops.render import Renderer, plan

pytestmark = pytest.mark.browser
TALK = DATA / "render" / "talk"


@pytest.fixture(scope="session")
def browser():
    from deckops.browser.session import Browser

    with Browser() as b:
        yield b


@pytest.fixture(scope="session")
def seed_html(tmp_path_factory, browser):
    """The seed deck rendered once with the bare template (as `deckops check` does), staged where the
    sandboxed browser can read it."""
    repo = tmp_path_factory.mktemp("seed")
    (repo / ".git").mkdir()
    deck = repo / "seed.md"
    deck.write_bytes(SEED.read_bytes())
    [target], _ = plan([deck], repo)
    renderer = Renderer(Config(root=repo), repo / "dist", tmp_path_factory.mktemp("work"))
    pending = renderer.start([target], ["html"], template="bare", in_place=True, base=browser.pages)
    renderer.finish(pending)
    return target, pending.staged[target].with_suffix(".html")


def test_seed_overflows_on_slides_3_and_6_only_and_identically_every_run(browser, seed_html):
    target, html = seed_html
    runs = [checks.diagnostics(target.deck, "seed.md", browser.measure(html, SCRIPT)) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    overflow = [d for d in runs[0] if d.code == "D601"]
    assert [d.message.split(":")[0] for d in overflow] == ["slide 3", "slide 6"]
    px = [int(d.message.split(", ")[1].split()[0]) for d in overflow]
    assert 90 <= px[0] <= 110 and 65 <= px[1] <= 85, px
    # positioned at the first overflowing element's source line, inside the slide
    assert [d.line for d in overflow] == [67, 109]
    assert [(d.code, d.line) for d in runs[0] if d.code == "D602"] == [("D602", 73)]


def test_headless_shell_and_full_chromium_measure_the_same(browser, seed_html):
    """deckops prefers chromium-headless-shell (cheaper); the numbers must not depend on which one runs."""
    from deckops.browser.session import Browser

    found = {name: shutil.which(name) for name in ("chromium-headless-shell", "chromium")}
    missing = [name for name, path in found.items() if not path]
    if missing:  # setup.sh installs both on Debian; elsewhere one may be absent
        pytest.skip(f"not installed here: {', '.join(missing)}")
    _, html = seed_html
    results = []
    for path in found.values():
        with Browser(path) as b:  # its sandbox sees its own pages folder only: the staged copy goes there
            src = html.parents[1]
            shutil.copytree(src, b.pages / "seed")
            results.append(b.measure(b.pages / "seed" / html.relative_to(src), SCRIPT))
    assert results[0] == results[1]
    assert [n for n, s in enumerate(results[0], 1) if s["overflowY"] > 0] == [3, 6]


def test_check_cli_reports_json_writes_thumbnails_and_contact_sheet(tmp_path: Path):
    talk = tmp_path / "talk"
    shutil.copytree(TALK, talk)
    (talk / ".git").mkdir()
    dist = talk / "dist"
    r = run_cli("check", str(talk / "slides"), "--out", str(dist), "--format", "json", cwd=talk)
    assert r.returncode == 1, r.stderr
    found = {(Path(d["path"]).name, d["line"], d["code"]) for d in json.loads(r.stdout)["diagnostics"]}
    # lint found both missing images (one an advanced-background layer): the browser does not report them again
    assert {("broken.md", 7, "D301"), ("broken.md", 28, "D301")} <= found
    assert not any(code == "D602" for _, _, code in found)
    assert any(name == "broken.md" and code == "D601" and line == 24 for name, line, code in found)
    assert not any(name == "good.md" and code in ("D601", "D602") for name, _, code in found)
    assert (dist / "good.contact.png").stat().st_size > 1000
    thumbs = sorted(p.name for p in (dist / "good" / "thumbs").glob("*.png"))
    assert thumbs == ["001.png", "002.png", "003.png"]
    from PIL import Image

    with Image.open(dist / "good" / "thumbs" / "001.png") as thumb:  # what the rehearsal report embeds
        thumb.load()  # decodes the whole (run-length deflated) stream
        assert (thumb.format, thumb.size, thumb.mode) == ("PNG", (320, 180), "RGB")
        assert len(thumb.getcolors(1 << 16) or ()) > 2  # a slide, not a blank
    assert thumbnail_path(dist, talk / "slides" / "good.md", 2) == dist / "good" / "thumbs" / "002.png"
    again = run_cli("check", str(talk / "slides"), "--out", str(dist), "--format", "json", cwd=talk)
    assert again.stdout == r.stdout and again.returncode == 1  # from the cache, same results


def test_build_renders_html_pdf_and_checks(tmp_path: Path):
    talk = tmp_path / "talk"
    shutil.copytree(TALK, talk)
    (talk / ".git").mkdir()
    (talk / "slides" / "broken.md").unlink()
    r = run_cli("build", str(talk / "slides"), "--out", str(talk / "dist"), cwd=talk)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("good.html", "good.pdf", "good.contact.png", "good/thumbs/003.png"):
        assert (talk / "dist" / name).is_file(), name
    mtime = (talk / "dist" / "good.pdf").stat().st_mtime_ns
    items = "".join(f"- item {n}\n" for n in range(1, 25))
    (talk / "slides" / "long.md").write_text(f"---\nmarp: true\n---\n\n# A long list\n\n{items}")
    r = run_cli("build", str(talk / "slides"), "--out", str(talk / "dist"), cwd=talk)
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"long\.md:\d+:1: D601 overflow slide 1: ", r.stdout), r.stdout
    assert (talk / "dist" / "good.pdf").stat().st_mtime_ns == mtime  # unchanged deck: not rendered again


def test_bare_layout_made_from_bespoke_measures_like_marps_bare_template(browser, seed_html, tmp_path):
    from deckops import marp

    target, bare_html = seed_html
    renderer = Renderer(Config(root=target.root), tmp_path / "dist", tmp_path)
    renderer.finish(renderer.start([target], ["html"]))
    made = marp.bare_from_bespoke((tmp_path / "dist" / "seed.html").read_text())
    assert made is not None and "bespoke-marp-osc" not in made
    page = bare_html.with_name("seed.from-bespoke.html")  # beside the staged deck: same relative images
    page.write_text(made)
    assert browser.measure(page, SCRIPT) == browser.measure(bare_html, SCRIPT)
    assert marp.bare_from_bespoke("<html><body>not marp</body></html>") is None


def test_decks_joined_in_one_page_measure_as_they_do_alone(browser, tmp_path):
    """Decks that render alike share one Chromium page (browser/combine.py): same numbers, slide by slide."""
    from deckops.browser import _bare_pages

    repo = tmp_path / "talk"
    shutil.copytree(TALK, repo)
    (repo / ".git").mkdir()
    seed = SEED.read_text()
    (repo / "slides" / "seed-a.md").write_text(seed)
    (repo / "slides" / "seed-b.md").write_text(seed.replace("# Advanced", "# Even more advanced", 1))
    for n in range(3):
        (repo / "slides" / f"good-{n}.md").write_text((repo / "slides" / "good.md").read_text() * (n + 1))
    (repo / "slides" / "gaia.md").write_text("---\nmarp: true\ntheme: gaia\n---\n\n# Another theme\n")
    out = repo / "dist"
    (tmp_path / "work").mkdir()
    renderer = Renderer(Config(root=repo), out, tmp_path / "work")
    targets, _ = plan(sorted((repo / "slides").glob("*.md")), repo)
    renderer.finish(renderer.start(targets, ["html"]))

    def measured(pages):
        pictured = set()  # the slides of each deck the captures show

        def after(i, shot):
            for k, _slides, start, stop, _ in shot.decks:
                pictured.add((pages[i][1][k].path.name, start, stop))

        results = browser.measure_many([(html, len(ts), True) for html, ts in pages], SCRIPT, after=after)
        assert None not in results
        return {t.path.name: slides for (_, ts), res in zip(pages, results) for t, slides in zip(ts, res)}, pictured

    joined = _bare_pages(renderer, browser, targets, out)
    alone = _bare_pages(renderer, browser, targets, out, joined=False)
    # the seed's front matter is invalid, so marp drops its theme and style: it renders like the others
    assert sorted(len(ts) for _, ts in joined) == [1, 7]  # gaia.md has other CSS: a page of its own
    assert len(alone) == len(targets) == 8
    (together, shown), (apart, shown_apart) = measured(joined), measured(alone)
    assert together == apart and shown == shown_apart and len(shown) == 8
    assert [n for n, s in enumerate(together["seed-b.md"], 1) if s["overflowY"] > 0] == [3, 6]
    assert together["broken.md"][0]["failed"] == ["../images/does-not-exist.png"]


def test_chromium_is_prelaunched_during_lint_only_when_a_deck_changed(tmp_path):
    """`check` and `build` start Chromium while lint runs when a deck is newer than the output's cache."""
    import os

    from deckops.browser import prelaunch
    from deckops.render.cache import CACHE_NAME

    def chromiums() -> set[int]:
        found = set()
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and b"chromium" in (entry / "cmdline").read_bytes().split(b"\0")[0]:
                    found.add(int(entry.name))
            except OSError:
                continue
        return found

    before = chromiums()
    deck = tmp_path / "talk.md"
    deck.write_text("# Talk\n")
    out = tmp_path / "dist"
    early = prelaunch([deck], out)  # no cache yet: launched in the background
    assert early is not None
    with early as browser:  # entering waits for the launch; the checks use it like any browser
        assert browser.measure_many([], SCRIPT) == []
    early.close()  # a no-op after `with`
    assert not early.dir.exists() and not out.exists()  # its own folder (pages, profile) went; no empty DIR made
    out.mkdir()
    (out / CACHE_NAME).write_text("{}")
    os.utime(deck, ns=(1, 1))  # older than the cache: the outputs are probably current
    assert prelaunch([deck], out) is None
    forced = prelaunch([deck], out, force=True)
    assert forced is not None
    forced.close()  # started, never used: stopped without a `with`
    assert chromiums() <= before  # nothing left running


def test_a_deck_taller_than_one_capture_gets_every_thumbnail(tmp_path: Path):
    """400 slides are 288,000 px of page: more than one JPEG can hold, so the captures split inside the deck."""
    (tmp_path / ".git").mkdir()
    deck = tmp_path / "long.md"
    deck.write_text("---\nmarp: true\n---\n" + "\n---\n\n".join(f"# Slide {n}\n\n- point {n}\n" for n in range(400)))
    r = run_cli("check", str(deck), "--out", str(tmp_path / "dist"), cwd=tmp_path)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    thumbs = sorted((tmp_path / "dist" / "long" / "thumbs").glob("*.png"))
    assert len(thumbs) == 400 and (tmp_path / "dist" / "long.contact.png").is_file()


def test_captures_are_bands_of_whole_slides_within_the_size_limit():
    from deckops.browser.session import MAX_SHOT, _bands

    per = [[{"rect": [0, n * 720, 1280, 720]} for n in range(count)] for count in (3, 200, 2)]
    tops = [0.0, 3 * 720.0, 203 * 720.0]
    bands = _bands(per, tops)
    covered = [(k, n) for band in bands for k, start, stop in band for n in range(start, stop)]
    assert covered == [(k, n) for k, deck in enumerate(per) for n in range(len(deck))]  # each slide once, in order
    for band in bands:
        ys = [tops[k] + per[k][n]["rect"][1] for k, start, stop in band for n in range(start, stop)]
        assert max(ys) + 720 - min(ys) <= MAX_SHOT
    assert len(bands) == 3 and bands[0][0] == (0, 0, 3)  # the short deck shares the first capture


def test_ctrl_c_while_chromium_launches_is_exit_130_and_leaves_nothing(tmp_path: Path):
    """^C while Playwright starts Chromium raised 'RuntimeError: Cannot close a running event loop' (exit 1).
    A Chromium that marks its start and then takes 3 s makes sure the ^C lands during the launch, on a machine
    of any load (the ^C is sent when the mark appears, not after a fixed delay)."""
    import os
    import subprocess
    import sys

    real = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    slow = tmp_path / "bin" / "slow-chromium"
    slow.parent.mkdir()
    slow.write_text(f"#!/bin/sh\nsleep 3\nexec {real} \"$@\"\n")
    slow.chmod(0o755)
    script = f"""
import os, signal, sys, threading, time
from pathlib import Path
from deckops.browser.session import Browser
def launching():  # the slow launcher runs (in the render sandbox, so seen in /proc, not by a file it writes)
    for p in Path("/proc").iterdir():
        try:
            if p.name.isdigit() and int(p.name) != os.getpid() and {str(slow).encode()!r} in (p / "cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False
def interrupt_when_launching():
    while not launching():
        time.sleep(0.05)
    print("launching", flush=True)
    os.kill(os.getpid(), signal.SIGINT)
threading.Thread(target=interrupt_when_launching, daemon=True).start()
try:
    with Browser({str(slow)!r}, base=Path({str(tmp_path)!r})):
        print("launched")
except KeyboardInterrupt:
    print("interrupted")
    sys.exit(130)
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL, env={**os.environ})
    assert r.returncode == 130 and r.stdout.split() == ["launching", "interrupted"], r.stdout + r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    assert not list(tmp_path.glob(".tmp-*"))  # the browser's folder went with it
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline_has(p, str(slow))]
    assert not left  # no Chromium (nor its launcher) left behind


def _cmdline_has(proc_dir: Path, needle: str) -> bool:
    try:
        return needle.encode() in (proc_dir / "cmdline").read_bytes()
    except OSError:
        return False
