"""One headless Chromium (the system one, through Playwright) reused for every deck of a run."""
from __future__ import annotations

import asyncio
from pathlib import Path

from ..marp import CHROME_ARGS, find_chrome
from ..proc import ToolError

THUMB_SCALE = 0.25  # 1280x720 slides -> 320x180 thumbnails, captured in one screenshot per deck
PAGES = 4  # decks measured at once: page loads and screenshots overlap in Chromium's processes


class Browser:
    """`with Browser() as b: b.measure_many([(html, shot), ...], script)`; never downloads a browser.

    Playwright's async API on a private event loop, behind a blocking interface: several pages work
    at once while callers stay simple.
    """

    def __init__(self, chrome: str | None = None):
        self.chrome = chrome or find_chrome()
        self._loop = asyncio.new_event_loop()
        self._pw = self._browser = self._context = None

    def __enter__(self) -> "Browser":
        try:
            self._loop.run_until_complete(self._start())
        except BaseException:
            self._loop.close()
            raise
        return self

    async def _start(self) -> None:
        from playwright.async_api import Error, async_playwright

        self._pw = await async_playwright().start()
        try:
            self._browser = await self._pw.chromium.launch(executable_path=self.chrome, args=list(CHROME_ARGS))
        except Error as exc:
            await self._pw.stop()
            raise ToolError([self.chrome, *CHROME_ARGS], f"Chromium did not start: {exc.message}") from None
        self._context = await self._browser.new_context(viewport={"width": 1280, "height": 720},
                                                        device_scale_factor=THUMB_SCALE)

    def __exit__(self, *exc) -> None:
        async def stop():
            try:
                await self._browser.close()
            finally:
                await self._pw.stop()

        try:
            self._loop.run_until_complete(stop())
        finally:
            self._loop.close()

    def measure(self, html: Path, shot: Path | None, script: str) -> list[dict]:
        return self.measure_many([(html, shot)], script)[0]

    def measure_many(self, jobs: list[tuple[Path, Path | None]], script: str, after=None) -> list[list[dict]]:
        """Measure each rendered deck (and screenshot it when a shot path is given), PAGES at a time.

        The pages are reused from deck to deck: opening a page costs more than navigating one.
        `after(index, slides)` runs in a worker thread as each deck is done (image work overlaps Chromium's).
        """
        loop = self._loop

        async def all_():
            pool: asyncio.Queue = asyncio.Queue()
            for _ in range(min(PAGES, len(jobs))):
                pool.put_nowait(await self._context.new_page())

            async def one(html, shot):
                page = await pool.get()
                try:
                    slides = await self._measure(page, html, shot, script)
                finally:
                    pool.put_nowait(page)
                return slides

            async def then(index, job):
                slides = await one(*job)
                if after is not None:
                    await loop.run_in_executor(None, after, index, slides)
                return slides

            try:
                return await asyncio.gather(*(then(i, job) for i, job in enumerate(jobs)))
            finally:
                while not pool.empty():
                    await pool.get_nowait().close()

        return self._loop.run_until_complete(all_())

    async def _measure(self, page, html: Path, shot: Path | None, script: str) -> list[dict]:
        await page.set_viewport_size({"width": 1280, "height": 720})
        await page.goto(html.resolve().as_uri(), wait_until="load", timeout=60_000)
        slides = await page.evaluate(script)
        if shot is not None and slides:
            # a viewport as tall as the page: at a device scale below 1 Chromium leaves the part of a
            # full-page capture outside the viewport black (the script froze the slide sizes)
            bottom = max(s["rect"][1] + s["rect"][3] for s in slides)
            await page.set_viewport_size({"width": 1280, "height": int(bottom) + 1})
            await page.screenshot(path=str(shot), type="jpeg", quality=90, scale="device", animations="disabled")
        return slides
