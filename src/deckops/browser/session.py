"""One headless Chromium (the system one, through Playwright) reused for every deck of a run."""
from __future__ import annotations

import asyncio
import base64
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
        self._context = await self._browser.new_context(viewport={"width": 1280, "height": 720})

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

    def measure(self, html: Path, script: str) -> list[dict]:
        return self.measure_many([(html, 1, False)], script)[0][0][0]

    def measure_many(self, jobs: list[tuple[Path, int, bool]], script: str,
                     after=None) -> list[list[tuple[list[dict], bytes]] | None]:
        """Measure each page, PAGES at a time: per deck it holds (see combine.py), its slides and, when asked,
        a JPEG of them. A page whose slides do not split into its decks gives None (measure those alone).

        The pages are reused from job to job: opening a page costs more than navigating one.
        `after(job, deck, slides, jpeg)` runs in a worker thread as each page is done (Chromium goes on).
        """
        loop = self._loop

        async def all_():
            pool: asyncio.Queue = asyncio.Queue()
            for _ in range(min(PAGES, len(jobs))):
                page = await self._context.new_page()
                pool.put_nowait((page, await self._context.new_cdp_session(page)))

            async def one(html, decks, shot):
                page = await pool.get()
                try:
                    return await self._measure(*page, html, decks, shot, script)
                finally:
                    pool.put_nowait(page)

            async def then(index, job):
                result = await one(*job)
                if after is not None and result is not None:
                    for k, (slides, jpeg) in enumerate(result):
                        await loop.run_in_executor(None, after, index, k, slides, jpeg)
                return result

            try:
                return await asyncio.gather(*(then(i, job) for i, job in enumerate(jobs)))
            finally:
                while not pool.empty():
                    await pool.get_nowait()[0].close()

        return self._loop.run_until_complete(all_())

    async def _measure(self, page, cdp, html: Path, decks: int, shot: bool, script: str):
        from playwright.async_api import Error

        try:
            return await self._measure_page(page, cdp, html, decks, shot, script)
        except Error as exc:
            raise ToolError([self.chrome, html.as_uri()], f"Chromium could not check the page: {exc.message}") from None

    async def _measure_page(self, page, cdp, html: Path, decks: int, shot: bool,
                            script: str) -> list[tuple[list[dict], bytes]] | None:
        await page.goto(html.resolve().as_uri(), wait_until="load", timeout=60_000)
        slides = await page.evaluate(script)
        per: list[list[dict]] = [[] for _ in range(decks)]
        for s in slides:
            d = s.pop("deck", 0)
            if decks == 1:  # marp's own bare template has no container per deck: its ordinals mean nothing
                d = 0
            if not 0 <= d < decks:
                return None
            per[d].append(s)
        if decks > 1 and not all(per):
            return None
        out = []
        for deck_slides in per:
            jpeg = b""
            if shot and deck_slides:
                # one capture of the deck's slides, scaled down by Chromium itself (cheaper than resizing the
                # viewport or a device scale factor below 1, which leaves off-screen parts black)
                top = min(s["rect"][1] for s in deck_slides)
                bottom = max(s["rect"][1] + s["rect"][3] for s in deck_slides)
                width = max(s["rect"][0] + s["rect"][2] for s in deck_slides)
                clip = {"x": 0, "y": top, "width": width, "height": bottom - top, "scale": THUMB_SCALE}
                capture = await cdp.send("Page.captureScreenshot", {"format": "jpeg", "quality": 90, "clip": clip,
                                                                    "captureBeyondViewport": True})
                jpeg = base64.b64decode(capture["data"])
                for s in deck_slides:  # frames relative to the capture
                    s["rect"] = [s["rect"][0], s["rect"][1] - top, s["rect"][2], s["rect"][3]]
            out.append((deck_slides, jpeg))
        return out
