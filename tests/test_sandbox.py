"""The render sandbox, attacked: decks that reach for a file outside their repo, rendered by the real marp-cli
in real Chromium (PNG, PDF) and checked in the real Playwright Chromium. The secret is a solid magenta image
(or page, or font) outside the repo; its pixels must never reach an output.

The decks are rendered as the text check never saw them (`unchecked`: the whole repo's images staged, no
refusal), so what holds is the sandbox itself. Each bypass has a control: the same deck pointing at an image
inside the repo, which must render, so a test fails both when the sandbox leaks and when it blocks everything.
Verified once by turning the sandbox off (proc.sandboxed_argv returning argv as is): every bypass went red.
"""
from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

from conftest import run_cli
from deckops.config import Config
from deckops.render import Renderer
from deckops.render.plan import Target

pytestmark = pytest.mark.browser

MAGENTA, GREEN = (255, 0, 255), (0, 200, 0)
SECRET = "/outside/secret.png"  # placeholders in the decks below, replaced by real paths
OK = "../images/ok.png"

# name -> (deck with {img} where the secret or the control image goes, html on?)
BYPASSES = {
    "upper-case-url": ("---\nmarp: true\nstyle: 'section { background-image: URL(\"{img}\") }'\n---\n\n# A\n", False),
    "file-url": ("---\nmarp: true\nstyle: 'section { background: url(\"{file}\") }'\n---\n\n# A\n", False),
    "import-file-url": ("---\nmarp: true\nstyle: '@import url({css_file});'\n---\n\n# A\n", False),
    "image-set": ("---\nmarp: true\nstyle: 'section { background-image: image-set(\"{img}\" 1x) }'\n---\n\n# A\n",
                  False),
    "url-split-over-lines": ("---\nmarp: true\n---\n\n<style>\nsection { background-image: url(\n  \"{img}\"\n); }\n"
                             "</style>\n\n# A\n", False),
    "css-escape": ("---\nmarp: true\nstyle: 'section { background-image: \\75 rl(\"{img}\") }'\n---\n\n# A\n",
                   False),
    "unquoted-img-html-off": ("---\nmarp: true\n---\n\n# A\n\n<img src={img} width=1280 height=720>\n", False),
    "background-directive-file-url": ("---\nmarp: true\n---\n\n<!-- _backgroundImage: url('{file}') -->\n\n# A\n",
                                      False),
    "theme-css": ("---\nmarp: true\ntheme: evil-{variant}\n---\n\n# A\n", False),
    "symlink-in-repo": ("---\nmarp: true\nstyle: 'section { background-image: URL(\"{link}\") }'\n---\n\n# A\n",
                        False),
    "iframe-html-on": ("---\nmarp: true\n---\n\n# A\n\n<iframe src=\"{page}\" width=1200 height=600></iframe>\n",
                       True),
    "link-stylesheet-html-on": ("---\nmarp: true\n---\n\n<link rel=stylesheet href=\"{css_file}\">\n\n# A\n", True),
    "script-built-url-html-on": ("---\nmarp: true\n---\n\n# A\n\n<script>document.querySelectorAll('section')"
                                 ".forEach(s => s.style.background = 'u' + 'rl(\"{img}\")')</script>\n", True),
    "svg-image-html-on": ("---\nmarp: true\n---\n\n<svg width=1280 height=720><image href=\"{img}\" width=1280 "
                          "height=720 /></svg>\n", True),
}


def solid(path: Path, rgb: tuple[int, int, int], size: int = 64) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (size, size), rgb).save(path)
    return path


def count(image: Image.Image, rgb: tuple[int, int, int], tol: int = 40) -> int:
    """Pixels within tol of rgb (JPEG thumbnails and PDF rasters shift colours a little)."""
    colors = image.convert("RGB").getcolors(1 << 24) or []
    return sum(n for n, c in colors if all(abs(a - b) <= tol for a, b in zip(c, rgb)))


def make_world(base: Path) -> dict:
    """A secret outside the repo (image, page, stylesheet, font), a repo with the matching inside files."""
    outside = base / "outside"
    secret = solid(outside / "secret.png", MAGENTA)
    (outside / "secret.html").write_text("<body style='margin:0;background:#f0f'>SECRET-PAGE</body>")
    (outside / "secret.css").write_text("section { background: #f0f !important; }")
    repo = base / "repo"
    (repo / ".git").mkdir(parents=True)
    solid(repo / "images" / "ok.png", GREEN)
    (repo / "images" / "ok.html").write_text("<body style='margin:0;background:#00c800'>INSIDE-PAGE</body>")
    (repo / "images" / "ok.css").write_text("section { background: #00c800 !important; }")
    (repo / "images" / "link.png").symlink_to(secret)
    (repo / "themes").mkdir()
    for variant, img in (("bypass", secret), ("control", OK)):
        (repo / "themes" / f"evil-{variant}.css").write_text(
            f"/* @theme evil-{variant} */\nsection {{ width: 1280px; height: 720px; background: url(\"{img}\"); }}\n")
    return {"outside": outside, "repo": repo, "secret": secret}


def deck_text(name: str, variant: str, world: dict) -> str:
    template, _ = BYPASSES[name]
    repo, outside = world["repo"], world["outside"]
    if variant == "bypass":
        values = {"img": str(world["secret"]), "file": world["secret"].as_uri(), "css_file": (outside / "secret.css")
                  .as_uri(), "page": (outside / "secret.html").as_uri(), "link": str(repo / "images" / "link.png")}
    else:  # the same deck pointing inside the repo (relative: the sandbox sees the staged copy, not the repo)
        values = {"img": OK, "file": OK, "css_file": "../images/ok.css", "page": "../images/ok.html", "link": OK}
    text = template.replace("{variant}", variant)
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def unchecked(deck: Path, repo: Path) -> Target:
    """A render target as if the text check had missed every reference: nothing refused, every image of the
    repo staged (plan() would refuse most of these decks; the sandbox must hold without it)."""
    root = repo.resolve()
    files = tuple(sorted(p.resolve() for p in (repo / "images").iterdir() if p.resolve().is_relative_to(root)))
    return Target(deck, deck.read_bytes(), root, deck.resolve().relative_to(root), assets=files)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every bypass and its control rendered to PNG in two marp-cli batches (html off, html on)."""
    world = make_world(tmp_path_factory.mktemp("sandbox"))
    repo = world["repo"]
    out = repo / "dist"
    targets: dict[bool, list[Target]] = {False: [], True: []}
    for name, (_, html) in BYPASSES.items():
        for variant in ("bypass", "control"):
            deck = repo / "slides" / f"{name}.{variant}.md"
            deck.parent.mkdir(exist_ok=True)
            deck.write_text(deck_text(name, variant, world))
            targets[html].append(unchecked(deck, repo))
    for html, ts in targets.items():
        work = tmp_path_factory.mktemp("work")
        renderer = Renderer(Config(root=repo, html=html), out, work)
        renderer.finish(renderer.start(ts, ["png"]))
    return out


@pytest.mark.parametrize("name", sorted(BYPASSES))
def test_a_deck_cannot_render_a_file_from_outside_its_repo(rendered: Path, name: str):
    with Image.open(rendered / f"{name}.bypass" / "001.png") as png:
        assert count(png, MAGENTA) == 0, f"{name}: the secret outside the repo was rendered"
    with Image.open(rendered / f"{name}.control" / "001.png") as png:
        assert count(png, GREEN) > 10_000, f"{name}: the control (a file inside the repo) did not render"


def test_pdf_of_an_iframe_on_etc_passwd_holds_no_line_of_it(tmp_path: Path):
    world = make_world(tmp_path)
    repo = world["repo"]
    (repo / "images" / "notes.txt").write_text("INSIDE-MARKER\n")
    decks = {"passwd": "file:///etc/passwd", "inside": "../images/notes.txt"}
    targets = []
    for stem, src in decks.items():
        deck = repo / "slides" / f"{stem}.md"
        deck.parent.mkdir(exist_ok=True)
        deck.write_text(f"---\nmarp: true\n---\n\n# A\n\n<iframe src=\"{src}\" width=1200 height=500></iframe>\n")
        targets.append(unchecked(deck, repo))
    (tmp_path / "work").mkdir()
    renderer = Renderer(Config(root=repo, html=True), repo / "dist", tmp_path / "work")
    renderer.finish(renderer.start(targets, ["pdf"]))
    text = {stem: subprocess.run(["pdftotext", str(repo / "dist" / f"{stem}.pdf"), "-"], capture_output=True,
                                 text=True, check=True).stdout for stem in decks}
    assert "root:x:0:0" in Path("/etc/passwd").read_text()  # what a leak would show
    assert "root:" not in text["passwd"]
    assert "INSIDE-MARKER" in text["inside"]


def test_the_check_browser_cannot_load_a_font_or_image_from_outside(tmp_path: Path):
    """The Playwright Chromium of `deckops check`: a page in its own folder, @font-face and <img> pointing
    outside (both load when they point at copies inside)."""
    from deckops.browser.session import Browser

    font = next((p for p in Path("/usr/share/fonts").rglob("*.ttf")), None)
    if font is None:
        pytest.skip("no TrueType font installed")
    outside = tmp_path / "outside"
    solid(outside / "secret.png", MAGENTA)
    shutil.copyfile(font, outside / "secret.ttf")
    script = """async () => { await document.fonts.ready; const f = [...document.fonts][0];
      try { await f.load(); } catch (e) {} const i = document.images[0];
      return [{status: f.status, width: i.naturalWidth, rect: [0, 0, 0, 0]}]; }"""
    with Browser(base=tmp_path) as browser:
        shutil.copytree(outside, browser.pages / "inside")
        results = {}
        for where, base in (("outside", outside), ("inside", browser.pages / "inside")):
            page = browser.pages / f"{where}.html"
            page.write_text(f"<style>@font-face {{ font-family: s; src: url('{(base / 'secret.ttf').as_uri()}') }}"
                            f"body {{ font-family: s }}</style><p>x</p><img src='{(base / 'secret.png').as_uri()}'>")
            found = browser.measure(page, f"({script})()")[0]
            results[where] = {k: v for k, v in found.items() if k != "rect"}
    assert results["inside"] == {"status": "loaded", "width": 64}, results
    assert results["outside"] == {"status": "error", "width": 0}, results


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).hits.append(self.path)
        body = Path(self.server.png).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("online", [False, True])
def test_no_network_unless_online_allows_it(tmp_path: Path, online: bool):
    """A deck's remote image on this machine's loopback: offline, the sandbox has a network of its own and the
    server never hears from it; with `online = true` it is fetched and rendered."""
    world = make_world(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    server.png = str(world["secret"])
    _Counter.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        repo = world["repo"]
        (repo / "deckops.toml").write_text(f"online = {str(online).lower()}\n")
        deck = repo / "slides" / "remote.md"
        deck.parent.mkdir()
        url = f"http://127.0.0.1:{server.server_port}/pixel.png"
        deck.write_text(f"---\nmarp: true\n---\n\n![bg]({url})\n\n# Remote\n")
        r = run_cli("render", str(deck), "--to", "png", "--out", str(repo / "dist"), cwd=repo)
        assert r.returncode == 0, r.stderr
    finally:
        server.shutdown()
    with Image.open(repo / "dist" / "remote" / "001.png") as png:
        assert (count(png, MAGENTA) > 10_000) == online
    assert bool(_Counter.hits) == online, _Counter.hits


def test_a_committed_cache_cannot_make_check_skip_a_deck(tmp_path: Path):
    """A cache file that comes with the repo (or a pull request) is not signed with this user's key: the deck
    is rendered and checked again, so its findings cannot be forged away."""
    repo = tmp_path
    (repo / ".git").mkdir()
    deck = repo / "long.md"
    deck.write_text("---\nmarp: true\n---\n\n# A long list\n\n" + "".join(f"- item {n}\n" for n in range(30)))
    first = run_cli("check", str(deck), "--out", str(repo / "dist"), cwd=repo)
    assert first.returncode == 1 and "D601" in first.stdout, first.stdout + first.stderr
    cache = repo / "dist" / ".deckops-cache.json"
    doc = json.loads(cache.read_text())
    for entry in doc["entries"].values():
        entry["diags"] = []  # "nothing to see here"
    body = json.dumps({"entries": doc["entries"], "memo": doc.get("memo", {})}, sort_keys=True).encode()
    doc["mac"] = hmac.new(os.urandom(32), body, hashlib.sha256).hexdigest()  # signed on another machine
    cache.write_text(json.dumps(doc))
    again = run_cli("check", str(deck), "--out", str(repo / "dist"), cwd=repo)
    assert again.returncode == 1 and "D601" in again.stdout, again.stdout + again.stderr
    assert run_cli("check", str(deck), "--out", str(repo / "dist"), cwd=repo).stdout == first.stdout  # own cache


def test_marp_cli_profiles_go_with_the_run(tmp_path: Path):
    """marp-cli leaves a Chromium profile in TMPDIR after every PDF/PNG render: it lands in the run's temp
    folder (the sandbox's HOME and TMPDIR) and goes with it, never in /tmp."""
    (tmp_path / ".git").mkdir()
    deck = tmp_path / "talk.md"
    deck.write_text("---\nmarp: true\n---\n\n# Hello\n")
    before = set(Path("/tmp").glob("marp-cli-*"))
    r = run_cli("render", str(deck), "--to", "pdf,png", "--out", str(tmp_path / "dist"), cwd=tmp_path,
                env={"TMPDIR": "/tmp"})
    assert r.returncode == 0, r.stderr
    assert set(Path("/tmp").glob("marp-cli-*")) <= before
    assert not list((tmp_path / "dist").glob(".tmp-*"))


@pytest.mark.parametrize("command", [["render", "--to", "html"], ["render", "--to", "png"], ["check"]])
def test_without_bubblewrap_render_and_check_stop_with_exit_2_naming_the_fix(tmp_path: Path, command):
    """Never silently unsandboxed: no bwrap on PATH is one line, exit 2, and nothing rendered."""
    (tmp_path / ".git").mkdir()
    deck = tmp_path / "talk.md"
    deck.write_text("---\nmarp: true\n---\n\n# Hello\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("node", "sh", "env"):
        if shutil.which(tool):
            (bin_dir / tool).symlink_to(shutil.which(tool))
    chrome = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    r = run_cli(command[0], str(deck), *command[1:], "--out", str(tmp_path / "dist"), cwd=tmp_path,
                env={"PATH": f"{Path(sys.executable).parent}:{bin_dir}", "CHROME_PATH": chrome or ""})
    assert r.returncode == 2, r.stdout + r.stderr
    assert "bubblewrap" in r.stderr and "apt-get install bubblewrap" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not list((tmp_path / "dist").glob("talk*"))


def test_themes_are_staged_with_the_files_they_reference(tmp_path: Path):
    """A theme under themes/ reaches the sandbox as a staged copy, and so does an image only the theme names;
    the same theme's absolute url() to a file outside the repo stays out."""
    world = make_world(tmp_path)
    repo = world["repo"]
    solid(repo / "images" / "theme-bg.png", GREEN)
    (repo / "themes" / "brand.css").write_text(
        "/* @theme brand */\nsection { width: 1280px; height: 720px; background: url(\"../images/theme-bg.png\"); }\n"
        f"h1 {{ height: 300px; background: url(\"{world['secret']}\"); }}\n")
    deck = repo / "slides" / "branded.md"
    deck.parent.mkdir()
    deck.write_text("---\nmarp: true\ntheme: brand\n---\n\n# Branded\n")
    r = run_cli("render", str(deck), "--to", "png", "--out", str(repo / "dist"), cwd=repo)
    assert r.returncode == 0, r.stderr
    with Image.open(repo / "dist" / "branded" / "001.png") as png:
        assert count(png, GREEN) > 100_000 and count(png, MAGENTA) == 0


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to become nobody")
def test_the_sandbox_holds_for_a_normal_user_too(tmp_path: Path):
    """CI runners and laptops run deckops as a normal user: bubblewrap then works through a user namespace. The
    sandbox's own argv, run as `nobody`, lets Chromium show an image inside the pages folder and not one
    outside it (world-readable, so only the sandbox stands in the way)."""
    import tempfile

    from deckops import proc

    chrome = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    base = Path(tempfile.mkdtemp(dir="/tmp", prefix="deckops-nobody-"))
    try:
        base.chmod(0o755)
        secret = solid(base / "outside" / "secret.png", MAGENTA, 200)
        pages, home = base / "pages", base / "home"
        solid(pages / "ok.png", GREEN, 200)
        home.mkdir()
        shutil.chown(home, "nobody")
        for folder in (base / "outside", pages):
            folder.chmod(0o755)
        (pages / "p.html").write_text(f"<body style='margin:0'><img src='{secret.as_uri()}'>"
                                      f"<img src='ok.png'></body>")
        box = proc.Sandbox(home=home, read=(pages, Path(chrome).resolve().parent))
        shot = home / "shot.png"
        argv = proc.sandboxed_argv([chrome, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                    "--disable-background-networking", "--disable-component-update",
                                    f"--screenshot={shot}", "--window-size=500,300", (pages / "p.html").as_uri()],
                                   box, cwd=home)
        r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv],
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                           env={"PATH": os.environ["PATH"], "HOME": str(home), "TMPDIR": str(home)}, cwd=home)
        assert shot.is_file(), r.stderr
        with Image.open(shot) as png:
            assert count(png, GREEN) > 10_000 and count(png, MAGENTA) == 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_repos_own_marp_cli_runs_contained(tmp_path: Path):
    """deckops prefers the deck repo's node_modules/.bin/marp, so a pull request can replace the program itself.
    It runs in the same sandbox: a stand-in that reports what it can reach finds no secret in its environment,
    no /etc/passwd, no home, nothing outside the staged copy, and no network; the same probes on the host do."""
    (tmp_path / ".git").mkdir()
    solid(tmp_path / "outside" / "secret.png", MAGENTA)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    fake = repo / "node_modules" / ".bin" / "marp"
    fake.parent.mkdir(parents=True)
    fake.write_text("""#!/bin/bash
# a hostile marp-cli: writes what it can reach into every output
while [ $# -gt 0 ]; do case "$1" in -I) in="$2"; shift;; -o) out="$2"; shift;; esac; shift; done
report() {
  echo "env: $(env | grep -c DECKOPS_TEST_SECRET) secret";
  [ -e /etc/passwd ] && echo "passwd: visible"; [ -e "$HOST_HOME_PROBE" ] && echo "home: visible";
  [ -e "$SECRET_PROBE" ] && echo "secret: visible"; ls -d /root 2>/dev/null && echo "root: visible";
  (exec 3<>/dev/tcp/127.0.0.1/$PORT_PROBE) 2>/dev/null && echo "network: reached"; echo end;
}
cd "$in" && for f in $(find . -name '*.md'); do mkdir -p "$out/$(dirname "$f")"; report > "$out/${f%.md}.html"; done
""")
    fake.chmod(0o755)
    deck = repo / "talk.md"
    deck.write_text("# Hello\n")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    server.png = str(tmp_path / "outside" / "secret.png")
    _Counter.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    probes = {"DECKOPS_TEST_SECRET": "hunter2", "HOST_HOME_PROBE": str(Path.home()),
              "SECRET_PROBE": str(tmp_path / "outside" / "secret.png"), "PORT_PROBE": str(server.server_port)}
    try:
        # the probes reach the stand-in only through deckops' own environment, which the sandbox clears; so
        # they are baked into the script here, as a hostile program would have them compiled in
        text = fake.read_text()
        for key, value in probes.items():
            text = text.replace(f"${key}", value).replace(f"${{{key}}}", value)
        fake.write_text(text.replace("grep -c DECKOPS_TEST_SECRET", "grep -c hunter2"))
        host = subprocess.run(["bash", "-c", text.split("report() {", 1)[1].split("\n}\n", 1)[0]],
                              capture_output=True, text=True, env={**os.environ, **probes}).stdout
        r = run_cli("render", str(deck), "--to", "html", "--out", str(repo / "dist"), cwd=repo,
                    env=probes)
    finally:
        server.shutdown()
    assert r.returncode == 0, r.stderr
    inside = (repo / "dist" / "talk.html").read_text()
    assert inside.strip().splitlines() == ["env: 0 secret", "end"], inside
    for probe in ("env: 1 secret", "passwd: visible", "home: visible", "secret: visible", "network: reached"):
        assert probe in host, (probe, host)  # each probe would have found it outside the sandbox
