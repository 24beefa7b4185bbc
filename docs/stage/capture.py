"""Make docs/stage's pictures from real runs: `deckops demo` in tmux (capture-pane text -> SVG with deckops'
own writer) and the rehearsal report with an embedded recording (a PNG from the project's Chromium).

  .venv/bin/python docs/stage/capture.py live CLUSTER_NAME RECORDINGS   # flagship, live on the local cluster
  .venv/bin/python docs/stage/capture.py fallback DIR                   # a failing snippet, then p
  .venv/bin/python docs/stage/capture.py report REPORT.html [SLIDE]     # one slide of the report (default 9)
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from deckops.rehearse import record

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SIZE = (34, 110)


def tmux_run(command: str, keys: list[tuple[str, float]], wait: float) -> list[str]:
    name = "deckops-stage-capture"
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(SIZE[1]), "-y", str(SIZE[0]),
                    f"{command}; sleep 600"], check=True)
    try:
        time.sleep(wait)
        for key, pause in keys:
            subprocess.run(["tmux", "send-keys", "-t", name, key], check=True)
            time.sleep(pause)
        text = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True,
                              check=True).stdout
        subprocess.run(["tmux", "send-keys", "-t", name, "q"], check=True)  # demo cleans up (namespace, cluster)
        time.sleep(15)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    lines = text.rstrip("\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def save(name: str, lines: list[str], title: str) -> None:
    (HERE / f"{name}.txt").write_text("\n".join(lines) + "\n")
    (HERE / f"{name}.svg").write_text(record.svg(lines, SIZE, title))


def main(argv: list[str]) -> None:
    py = f"{ROOT}/.venv/bin/python -m deckops"
    if argv[0] == "live":
        cluster, recordings = argv[1], argv[2]
        lines = tmux_run(f"cd {ROOT} && {py} demo slides/advanced-kubernetes-debugging.md --cluster local "
                         f"--cluster-name {cluster} --from 7 --pace 30 --recordings {recordings}",
                         [("Enter", 4), ("Enter", 6), ("Enter", 3), ("Enter", 6), ("Enter", 4), ("Enter", 6),
                          ("Enter", 3), ("Enter", 5)], wait=60)
        save("demo-live", lines, "deckops demo, live on the local cluster")
    elif argv[0] == "fallback":
        lines = tmux_run(f"cd {argv[1]} && {py} demo talk.md --no-cluster --recordings rec --pace 30",
                         [("Enter", 3), ("p", 3)], wait=5)
        save("demo-fallback", lines, "deckops demo: a failed snippet, then its recording")
    elif argv[0] == "report":
        from playwright.sync_api import sync_playwright

        from deckops.marp import find_chrome

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=find_chrome(), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 700})
            page.route("http*://**", lambda route: route.abort())
            page.goto(Path(argv[1]).resolve().as_uri())
            page.wait_for_selector(".cast .ap-player")
            time.sleep(1)
            slide = page.locator(f"#slide-{argv[2] if len(argv) > 2 else 9}")
            slide.scroll_into_view_if_needed()
            slide.screenshot(path=str(HERE / "report.png"))
            browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
