"""The one place that knows marp-cli: where it lives, its argv, its exit codes and its warning lines."""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from . import proc
from .errors import UsageError

# `--images png` writes <stem>.NNN.png; the other formats one file each.
FORMAT_FLAGS = {
    "html": (),
    "pdf": ("--pdf",),
    "pptx": ("--pptx",),
    "png": ("--images", "png"),
}
FORMAT_EXT = {"html": ".html", "pdf": ".pdf", "pptx": ".pptx", "png": ".png"}
NEEDS_BROWSER = frozenset({"pdf", "pptx", "png"})

# marp-cli's CLIErrorCode (src/error.ts): what each exit code means and how to fix it.
EXIT_CODES = {
    1: "marp-cli failed",
    2: "marp-cli found no browser: set CHROME_PATH to Chromium or Chrome, or install chromium (./setup.sh)",
    3: "marp-cli's server port is already in use: pick another --port",
    4: "marp-cli cannot spawn the snap Chromium: install chromium from apt or set CHROME_PATH",
    5: "marp-cli needs LibreOffice (soffice) for this conversion",
}
# Warnings deckops causes on purpose and that say nothing about the deck.
_EXPECTED = ("Insecure local file accessing is enabled",)
_LINE = re.compile(r"^\[\s*(INFO|WARN|ERROR)\s*\]\s?(.*)$")
_DONE = re.compile(r"^(.+?) => (.+)$")
CHROME_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run")
# a development checkout (editable install): its node_modules holds deckops' own marp-cli
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Message:
    """One `[ WARN ]`-style message of marp-cli, continuation lines joined."""

    level: str  # "INFO" | "WARN" | "ERROR"
    text: str

    @property
    def done(self) -> tuple[str, str] | None:
        """(input, output) for an `a.md => a.pdf` progress line."""
        m = _DONE.match(self.text) if self.level == "INFO" else None
        return (m.group(1), m.group(2)) if m else None


def find_marp(root: Path, configured: str = "", *, install=None) -> Path:
    """The marp-cli to run, first found: the config's `marp` path, the talk repo's node_modules, deckops' own
    (its checkout's node_modules in a development install, else the pinned one in deckops' cache). None found:
    `install()` (deckops setup) when given, else exit 2 naming `deckops setup`. Never a global marp."""
    if configured:
        exe = Path(os.path.abspath(Path(root) / configured))  # not resolved: .bin/marp is a link into the package
        if not (exe.is_file() and os.access(exe, os.X_OK)):
            raise UsageError(f"marp = {configured!r} in the config: not an executable file ({exe})")
        if exe.parent.name != ".bin" or exe.parent.parent.name != "node_modules":
            # the sandbox mounts the marp's node_modules (sandbox()); anything else would expose its folder
            raise UsageError(f"marp = {configured!r} in the config: must be a node_modules/.bin/marp (the render "
                             "sandbox lets marp-cli see its node_modules folder only)")
        return exe
    from . import setup_node

    in_checkout = (_PACKAGE_ROOT / "pyproject.toml").is_file()
    checkout = [_PACKAGE_ROOT / "node_modules" / ".bin" / "marp"] if in_checkout else []
    for exe in (Path(root) / "node_modules" / ".bin" / "marp", *checkout):
        if exe.is_file():
            return exe
    cached = setup_node.cached_marp()
    if cached is not None:
        return cached
    if install is None:
        raise UsageError("marp-cli is not installed: run `deckops setup` (installs the pinned "
                         f"{setup_node.PACKAGE}@{setup_node.pinned_version()} with npm)")
    return install()


# chromium-headless-shell first: Chromium's headless build (what Playwright and Puppeteer launch for headless
# work), same Blink as `chromium` without the desktop browser around it. Measured here: marp-cli renders 20
# decks to PDF in 5.0 s instead of 7.0 s, a page load costs a third of the CPU, and every browser check gives
# the same numbers in both (tests/test_browser.py).
BROWSERS = ("chromium-headless-shell", "chromium", "google-chrome", "chromium-browser", "google-chrome-stable")


def find_chrome() -> str:
    """CHROME_PATH, then chromium-headless-shell / chromium / google-chrome on PATH; exit 2 with the fix."""
    env = os.environ.get("CHROME_PATH")
    if env:
        if Path(env).is_file() and os.access(env, os.X_OK):
            return env
        raise UsageError(f"CHROME_PATH={env} is not an executable file: point it at Chromium or Chrome")
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise UsageError("no Chromium found: set CHROME_PATH=/path/to/chromium, or install it "
                     "(apt-get install chromium-headless-shell, or run ./setup.sh)")


def version(marp: Path) -> str:
    """marp-cli and marp-core versions from their package.json (no node start-up)."""
    mods = marp.resolve().parents[2] if marp.resolve().parent.name == "marp-cli" else marp.parent.parent
    out = []
    for pkg in ("marp-cli", "marp-core"):
        try:
            out.append(json.loads((mods / "@marp-team" / pkg / "package.json").read_text())["version"])
        except (OSError, ValueError, KeyError):
            out.append("?")
    return "/".join(out)


def argv(marp: Path, fmt: str, input_dir: Path, out_dir: Path, *, themes=(), html=False,
         template="bespoke", parallel=5) -> list[str]:
    """One batch conversion of every deck under input_dir into out_dir (same relative layout)."""
    cmd = [str(marp), "--no-stdin", "--no-config-file", "-I", str(input_dir), "-o", str(out_dir),
           "-P", str(max(1, parallel)), "--template", template, *FORMAT_FLAGS[fmt]]
    if fmt in NEEDS_BROWSER:
        # safe only because Chromium runs in the sandbox (proc.Sandbox): it sees the staged copy, not the disk
        cmd.append("--allow-local-files")
    if html:
        cmd.append("--html")
    for t in themes:
        cmd += ["--theme-set", str(t)]
    return cmd


def sandbox(marp: Path, chrome: str | None, *, home: Path, read=(), write=(), network: bool = False) -> proc.Sandbox:
    """The sandbox a marp-cli batch runs in: its node_modules, node and Chromium (read-only) besides the
    given folders. `home` is HOME and TMPDIR, so Chromium's profiles land there and go with the run's temp
    folder (marp-cli leaves them behind otherwise)."""
    node = shutil.which("node")
    tools = [marp.parent.parent, marp.parent.parent.resolve()]  # node_modules (or where it really is)
    if chrome:
        tools.append(Path(chrome).resolve().parent)
    env = {"NO_COLOR": "1", "FORCE_COLOR": "0", **({"CHROME_PATH": chrome} if chrome else {})}
    return proc.Sandbox(home=home, read=(*read, *dict.fromkeys(tools)), write=tuple(write), network=network,
                        env=tuple(env.items()), path=(Path(node).resolve().parent,) if node else ())


# The bare template's screen layout, applied to bespoke's slide container: every slide shown, one per viewport.
_BARE_LAYOUT = ('<style media="screen">html,body{background:#000;margin:0}'
                'div[id=":$p"]>svg[data-marpit-svg]{display:block;width:100vw;height:100vh}</style>')


def bare_from_bespoke(html: str) -> str | None:
    """marp's bespoke HTML turned into the bare template's layout (all slides visible, no bespoke JS/CSS).

    Saves a second marp-cli run for the browser checks. marp-core's own script (auto-scaling) and the theme
    CSS stay as they are. None when the HTML does not look like marp-cli 4's bespoke output.
    """
    if html.count('<div id=":$p">') != 1 or '<div class="bespoke-marp-osc">' not in html:
        return None
    out = _drop_blocks(_drop_blocks(html, "script", "bespoke"), "style", "bespoke-marp")
    start = out.find('<div class="bespoke-marp-osc">')
    end = out.find("</div>", start)
    out = out[:start] + out[end + len("</div>"):]
    if "bespoke-marp" in out.split('<div id=":$p">')[0] or "</head>" not in out:
        return None
    return out.replace("</head>", _BARE_LAYOUT + "</head>", 1)


def _drop_blocks(html: str, tag: str, marker: str) -> str:
    """Remove each <tag>...</tag> block whose text contains marker (blocks are not nested in marp's HTML)."""
    out, pos = [], 0
    while (i := html.find(f"<{tag}", pos)) >= 0:
        j = html.find(f"</{tag}>", i)
        if j < 0:
            break
        j += len(tag) + 3
        out.append(html[pos:i])
        if marker not in html[i:j]:
            out.append(html[i:j])
        pos = j
    out.append(html[pos:])
    return "".join(out)


def parse(log: str) -> list[Message]:
    """marp-cli's stderr -> messages; wrapped continuation lines (indented) are joined."""
    msgs: list[Message] = []
    for raw in log.splitlines():
        m = _LINE.match(raw)
        if m:
            msgs.append(Message(m.group(1), m.group(2).strip()))
        elif msgs and raw.startswith(" ") and raw.strip():
            last = msgs[-1]
            msgs[-1] = Message(last.level, f"{last.text} {raw.strip()}")
    return msgs


def warnings(msgs: list[Message]) -> list[Message]:
    return [m for m in msgs if m.level == "WARN" and not m.text.startswith(_EXPECTED)]


class Batch:
    """One running marp-cli process; its merged stdout/stderr goes to a log file we follow for progress."""

    def __init__(self, cmd: list[str], *, cwd: Path, box: proc.Sandbox, log: Path):
        self.cmd, self.log, self.seen = cmd, log, 0
        self.popen = proc.spawn(proc.sandboxed_argv(cmd, box, cwd=cwd), cwd=cwd, log=log)

    def poll(self, on_message, final: bool = False) -> bool:
        """Report new `a.md => a.pdf` lines; True while the process runs."""
        running = self.popen.poll() is None
        if on_message is not None:
            msgs = parse(_read(self.log))
            if running and not final:  # the last message may still grow a continuation line
                msgs = msgs[:-1]
            for m in msgs[self.seen:]:
                if m.done:
                    on_message(m)
            self.seen = max(self.seen, len(msgs))
        return running

    def kill(self) -> None:
        proc.kill_group(self.popen)
        self.popen.wait()

    def result(self) -> list[Message]:
        """The messages of a finished batch; a non-zero exit raises ToolError showing the whole log."""
        text = _read(self.log)
        code = self.popen.returncode
        if code != 0:
            raise proc.ToolError(self.cmd, EXIT_CODES.get(code, EXIT_CODES[1]), code, "", text)
        return parse(text)


def wait(batches: list[Batch], *, timeout: float, on_message=None) -> list[list[Message]]:
    """Wait for every batch (killing all of them on timeout, error or ^C); their messages in order."""
    deadline = time.monotonic() + timeout
    try:
        while running := [b for b in batches if b.poll(on_message)]:
            if time.monotonic() > deadline:
                raise proc.ToolError(batches[0].cmd, f"timed out after {timeout:g}s", None, "",
                                     _read(batches[0].log))
            proc.wait_any([b.popen for b in running], 0.05)  # back as soon as a batch ends
        for b in batches:
            b.poll(on_message, final=True)
        return [b.result() for b in batches]
    finally:
        for b in batches:
            b.kill()


def _read(log: Path) -> str:
    try:
        return log.read_text(errors="replace")
    except OSError:
        return ""
