"""Drive VS Code (code-server, started by tools/try-vscode.sh) with Playwright's Chromium and check what
docs/editors.md says the extension does: the D102 squiggle and Problems row, the hover, the quick fix, and the two
palette commands. Hand-run, not in CI; prints one line per step, screenshots into --shots, exit 1 on a failed step.

    tools/try-vscode.sh    (sets up everything, then runs this)
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from playwright.sync_api import Error, Page, sync_playwright

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
SQUIGGLE = ".squiggly-error, .squiggly-warning, .squiggly-info"
PROBLEM_ROWS = ".markers-panel .monaco-list-row"
START = time.monotonic()


def log(*words: object) -> None:
    print(f"[{time.monotonic() - START:6.1f}s]", *words, flush=True)


def problems(page: Page) -> list[str]:
    return page.eval_on_selector_all(PROBLEM_ROWS, "els => els.map(e => e.innerText.replace(/\\n/g, ' | '))")


def open_file(page: Page, name: str) -> None:
    page.get_by_role("treeitem", name=name).first.click()
    page.wait_for_selector(f".tab.active[data-resource-name='{name}']", timeout=30000)


def palette(page: Page, title: str, code: str) -> str:
    """Run a palette command on the active deck; the Problems row of the finding `code` it brings back."""
    page.keyboard.press("F1")
    page.wait_for_selector(".quick-input-widget input", timeout=30000)
    page.keyboard.type(title)
    page.wait_for_timeout(1500)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{PROBLEM_ROWS}:has-text('{code}')", timeout=300000)
    return next(row for row in problems(page) if code in row)


def drive(page: Page, url: str, shots: Path) -> None:
    page.goto(url)
    page.wait_for_selector(".monaco-workbench", timeout=120000)
    page.wait_for_timeout(3000)
    log("workbench up")
    open_file(page, "deck.md")
    page.wait_for_selector(SQUIGGLE, timeout=180000)
    page.keyboard.press("Control+Shift+M")
    page.wait_for_selector(f"{PROBLEM_ROWS}:has-text('D102')", timeout=30000)
    log("deck.md squiggle and Problems:", problems(page))
    page.screenshot(path=str(shots / "1-problems.png"))

    box = page.locator(SQUIGGLE).first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".monaco-hover-content:has-text('on slide 1')", timeout=30000)
    log("hover:", page.inner_text(".monaco-hover-content").replace("\n", " | "))
    page.screenshot(path=str(shots / "2-hover.png"))
    page.mouse.move(5, 5)
    page.keyboard.press("Escape")

    page.mouse.click(box["x"] + 5, box["y"] + box["height"] / 2)
    fix = ".action-widget .monaco-list-row:has-text('paginate')"
    for _ in range(3):  # Ctrl+. before the editor has the code actions of the new cursor position shows nothing
        page.wait_for_timeout(2000)
        page.keyboard.press("Control+.")
        try:
            page.wait_for_selector(fix, timeout=10000)
            break
        except Error:
            page.keyboard.press("Escape")
    page.wait_for_selector(fix, timeout=1000)
    actions = page.eval_on_selector_all(".action-widget .monaco-list-row", "els => els.map(e => e.innerText)")
    log("quick fixes:", actions)
    page.screenshot(path=str(shots / "3-quickfix.png"))
    page.locator(".action-widget .monaco-list-row", has_text="paginate").first.click()
    page.wait_for_selector(SQUIGGLE, state="detached", timeout=60000)
    log("after the fix: line 3 =", page.locator(".view-line").nth(2).inner_text(), "; Problems:", problems(page))

    open_file(page, "overflow.md")
    page.wait_for_timeout(3000)
    log("deckops: Check this deck ->", palette(page, "deckops: Check this deck", "D601"))
    page.screenshot(path=str(shots / "4-check.png"))
    open_file(page, "demo.md")
    page.wait_for_timeout(3000)
    log("deckops: Rehearse this deck's snippets ->", palette(page, "deckops: Rehearse this deck", "D801"))
    page.screenshot(path=str(shots / "5-rehearse.png"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="code-server's URL with ?folder= the workspace")
    parser.add_argument("--shots", type=Path, required=True, help="folder for the screenshots")
    args = parser.parse_args()
    args.shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            drive(page, args.url, args.shots)
        except Error as error:  # a step timed out (TimeoutError is one): say which, keep the picture
            page.screenshot(path=str(args.shots / "failed.png"))
            log("FAILED:", str(error).splitlines()[0])
            return 1
        finally:
            browser.close()
    log("all steps passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
