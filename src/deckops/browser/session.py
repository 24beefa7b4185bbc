"""One headless Chromium (the system one, through Playwright) reused for every deck of a run."""
from __future__ import annotations

import asyncio
import base64
import os
import shlex
import shutil
import tempfile
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from .. import proc
from ..marp import CHROME_ARGS, find_chrome
from ..proc import ToolError

THUMB_SCALE = 0.25  # 1280x720 slides -> 320x180 thumbnails, captured in one screenshot per deck
PAGES = 4  # decks measured at once: page loads and screenshots overlap in Chromium's processes
LAUNCH_TIMEOUT = 120.0  # s: Playwright starts Chromium in about 1.5 s here, much longer on a loaded machine


class Browser:
    """`with Browser() as b: b.measure_many([(html, shot), ...], script)`; never downloads a browser.

    Playwright's async API on a private event loop, behind a blocking interface: several pages work
    at once while callers stay simple.

    Chromium runs in the render sandbox (proc.Sandbox): of the disk it sees `pages` (read-only), where the
    caller stages what it loads, and a home of its own; the network only with `network`. Both folders are
    in a temp folder of the browser's own (in `base`, e.g. the output folder), removed when it closes.
    """

    def __init__(self, chrome: str | None = None, *, base: Path | None = None, network: bool = False):
        self.chrome = chrome or find_chrome()
        self.network = network
        prefix = f".tmp-{os.getpid()}-" if base else "deckops-browser-"  # .tmp-<pid>-*: see workdir.remove_stale
        self.dir = Path(tempfile.mkdtemp(prefix=prefix, dir=base)).resolve()
        self.pages = self.dir / "pages"
        self.pages.mkdir()
        self._loop = asyncio.new_event_loop()
        self._pw = self._browser = self._context = None
        self._launch: Future | None = None

    def start(self) -> "Browser":
        """Launch Chromium in a background thread and return at once (deckops lints meanwhile); entering
        the `with` block waits for it. The loop is only ever run by one thread at a time."""
        if self._launch is None:
            self._launch = proc.background(self._loop.run_until_complete, self._start())
        return self

    def __enter__(self) -> "Browser":
        try:
            self.start()._launch.result()
        except BaseException:
            self._settle()
            raise
        return self

    def _settle(self) -> None:
        """After a failed launch, or ^C while Chromium launches: let the launch end (seconds), then stop what it
        started. Closing the loop while the launch still ran on it raised RuntimeError (exit 1, not 130)."""
        try:
            self._launch.result(timeout=LAUNCH_TIMEOUT)
        except BaseException:  # noqa: BLE001 - it did not start (or will not in time): nothing to stop
            self._launch = None
        self.close()

    def close(self) -> None:
        """Stop a browser that was started but not used (nothing left to check); a no-op after `with`."""
        if self._loop.is_closed():
            return
        if self._launch is not None:
            try:
                self._launch.result()
            except BaseException:  # noqa: BLE001 - it did not start: nothing to stop
                self._launch = None
        if self._launch is None:
            if not self._loop.is_running():  # a launch that hangs past LAUNCH_TIMEOUT keeps its loop
                self._loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            self.__exit__(None, None, None)

    def _executable(self) -> str:
        """A launcher Playwright starts as 'the browser': Chromium inside the sandbox, Playwright's
        arguments and pipes (fds 3 and 4) passed through."""
        home = self.dir / "home"
        home.mkdir(exist_ok=True)
        box = proc.Sandbox(home=home, read=(self.pages, Path(self.chrome).resolve().parent), network=self.network)
        argv = proc.sandboxed_argv([self.chrome], box)
        launcher = self.dir / "chromium"
        launcher.write_text(f"#!/bin/sh\nexec {shlex.join(argv)} \"$@\"\n")
        launcher.chmod(0o700)
        return str(launcher)

    async def _start(self) -> None:
        from playwright.async_api import Error, async_playwright

        launcher = self._executable()  # bubblewrap missing: exit 2 before Playwright starts
        self._pw = await async_playwright().start()
        try:
            self._browser = await self._pw.chromium.launch(executable_path=launcher, args=list(CHROME_ARGS))
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
            shutil.rmtree(self.dir, ignore_errors=True)

    def measure(self, html: Path, script: str) -> list[dict]:
        return self.measure_many([(html, 1, False)], script)[0][0]

    def measure_many(self, jobs: list[tuple[Path, int, bool]], script: str,
                     after=None) -> list[list[list[dict]] | None]:
        """Measure each page, PAGES at a time: the slides of each deck it holds (see combine.py), frames
        relative to the deck's first slide. A page whose slides do not split into its decks gives None
        (measure those decks alone).

        With `shot`, the page is also captured, scaled down, as few JPEGs as its height allows;
        `after(job, shot)` runs in a worker thread for each capture (Chromium goes on meanwhile).
        The pages are reused from job to job: opening a page costs more than navigating one.
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
                if result is None:
                    return None
                per_deck, shots = result
                if after is not None:
                    for shot in shots:
                        await loop.run_in_executor(None, after, index, shot)
                return per_deck

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
                            script: str) -> tuple[list[list[dict]], list[Shot]] | None:
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
        tops = [min(s["rect"][1] for s in deck) if deck else 0.0 for deck in per]
        for deck, top in zip(per, tops):  # frames relative to the deck's first slide, joined or not
            for s in deck:
                s["rect"] = [s["rect"][0], s["rect"][1] - top, s["rect"][2], s["rect"][3]]
        shots = []
        if shot:
            for band in _bands(per, tops):
                shots.append(await self._capture(cdp, band, per, tops))
        return per, shots

    async def _capture(self, cdp, band: list[tuple[int, int, int]], per: list[list[dict]], tops: list[float]) -> Shot:
        """One capture of a band of consecutive slides, scaled down by Chromium itself (cheaper than resizing
        the viewport or a device scale factor below 1, which leaves off-screen parts black)."""
        shown = [(k, s) for k, start, stop in band for s in per[k][start:stop]]
        top = min(tops[k] + s["rect"][1] for k, s in shown)
        bottom = max(tops[k] + s["rect"][1] + s["rect"][3] for k, s in shown)
        width = max(s["rect"][0] + s["rect"][2] for _, s in shown)
        clip = {"x": 0, "y": top, "width": width, "height": bottom - top, "scale": THUMB_SCALE}
        capture = await cdp.send("Page.captureScreenshot", {"format": "jpeg", "quality": 90, "clip": clip,
                                                            "captureBeyondViewport": True})
        return Shot(base64.b64decode(capture["data"]),
                    [(k, per[k], start, stop, top - tops[k]) for k, start, stop in band])


@dataclass(frozen=True)
class Shot:
    """A JPEG (at THUMB_SCALE) of a band of consecutive slides of one page. Per deck it shows: its index on
    the page, all its slides (frames relative to its first slide), the range [start, stop) of them in the
    picture, and where the picture's top is in the deck's frame coordinates (page px)."""

    jpeg: bytes
    decks: list[tuple[int, list[dict], int, int, float]]


MAX_SHOT = 60_000  # page px per capture: 15,000 px of JPEG at 1/4 (JPEG stops at 65,535)


def _bands(per: list[list[dict]], tops: list[float]) -> list[list[tuple[int, int, int]]]:
    """Consecutive slides grouped into captures of at most MAX_SHOT page px: (deck, start, stop) ranges.
    A long deck spans several captures; several short decks share one."""
    bands: list[list[list[int]]] = []
    band_top = 0.0
    for k, deck in enumerate(per):
        for n, s in enumerate(deck):
            y0 = tops[k] + s["rect"][1]
            y1 = y0 + s["rect"][3]
            if not bands or y1 - band_top > MAX_SHOT:
                bands.append([])
                band_top = y0
            band = bands[-1]
            if band and band[-1][0] == k:
                band[-1][2] = n + 1
            else:
                band.append([k, n, n + 1])
    return [[(k, start, stop) for k, start, stop in band] for band in bands]
