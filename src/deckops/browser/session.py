"""One headless Chromium (the system one, through Playwright) reused for every deck of a run."""
from __future__ import annotations

from pathlib import Path

from ..marp import CHROME_ARGS, find_chrome
from ..proc import ToolError

THUMB_SCALE = 0.25  # 1280x720 slides -> 320x180 thumbnails, captured in one screenshot per deck


class Browser:
    """`with Browser() as b: b.measure(html_path, shot)`; never downloads a browser."""

    def __init__(self, chrome: str | None = None):
        self.chrome = chrome or find_chrome()
        self._pw = self._browser = self._context = None

    def __enter__(self) -> "Browser":
        from playwright.sync_api import Error, sync_playwright

        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=self.chrome, args=list(CHROME_ARGS))
        except Error as exc:
            self._pw.stop()
            raise ToolError([self.chrome, *CHROME_ARGS], f"Chromium did not start: {exc.message}") from None
        self._context = self._browser.new_context(viewport={"width": 1280, "height": 720},
                                                  device_scale_factor=THUMB_SCALE)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._browser.close()
        finally:
            self._pw.stop()

    def measure(self, html: Path, shot: Path | None, script: str) -> list[dict]:
        """Load one rendered deck, run the measuring script; optionally a full-page screenshot."""
        page = self._context.new_page()
        try:
            page.goto(html.resolve().as_uri(), wait_until="load", timeout=60_000)
            slides = page.evaluate(script)
            if shot is not None and slides:
                # a viewport as tall as the page: at a device scale below 1 Chromium leaves the part of a
                # full-page capture outside the viewport black
                bottom = max(s["rect"][1] + s["rect"][3] for s in slides)
                page.set_viewport_size({"width": 1280, "height": int(bottom) + 1})
                page.screenshot(path=str(shot), scale="device", animations="disabled")
            return slides
        finally:
            page.close()
