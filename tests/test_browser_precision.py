"""Browser check precision in real Chromium on decks rendered by the real marp-cli: one finding per cause,
each at the line that causes it; emoji offline as one info finding; thumbnails of the whole slide at one size;
overflow hints that exist in the deck's theme. tests/data/render/precision/ is the talk repo they check."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import DATA, golden, run_cli

pytestmark = pytest.mark.browser
PRECISION = DATA / "render" / "precision"
# lint's image findings and the stage findings only: the golden does not move with lint's prose rules
SELECT = ("--select", "D301", "--select", "D304", "--select", "D6")


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> tuple[Path, object]:
    repo = tmp_path_factory.mktemp("precision") / "talk"
    shutil.copytree(PRECISION, repo)
    (repo / ".git").mkdir()
    r = run_cli("check", "slides", *SELECT, "--out", "dist", cwd=repo)
    return repo, r


def test_check_reports_each_cause_once_at_its_line(checked):
    """The golden, and what it shows: a missing image on two slides is lint's (D301 at each line, no D602);
    a file the browser cannot decode on two slides is one D602 at its first line naming both slides; the emoji
    are one info finding; overflow is at the last block past the edge (the closing paragraph, the big image),
    and its hint names the custom theme's compact class, but no class for gaia or the default theme."""
    _, r = checked
    assert r.returncode == 1, r.stderr
    golden("check-precision.txt", r.stdout)
    lines = r.stdout.splitlines()
    assert [ln for ln in lines if "D602" in ln] == [
        "slides/precision.md:33:1: D602 image-not-rendered slides 5, 6: image `../images/broken.png` did not load "
        "in the browser"]
    assert sum("D605 emoji-offline" in ln for ln in lines) == 1
    overflow = {ln.split(": D601")[0] for ln in lines if " D601 " in ln}
    assert overflow == {"slides/precision.md:60:1", "slides/precision.md:68:1", "slides/gaia.md:22:1",
                        "slides/dense.md:19:1"}
    hints = [lines[i + 1] for i, ln in enumerate(lines) if " D601 " in ln]
    assert ["_class: compact" in h for h in hints] == ["slides/dense.md" in ln for ln in lines if " D601 " in ln]
    assert not any("_class: small" in h for h in hints)


def test_thumbnails_are_each_whole_slide_at_one_size(checked):
    """320x180 for 16:9, 240x180 for 4:3 (gaia's `size: 4:3`), every slide; the split background's image is in
    its thumbnail (the content layer beside it is only 60% of the slide)."""
    from PIL import Image

    from deckops.browser import sheet

    repo, _ = checked
    dist = repo / "dist"
    expect = {"precision": ((320, 180), 8), "dense": ((320, 180), 1), "gaia": ((240, 180), 2)}
    for stem, (size, count) in expect.items():
        thumbs = sorted((dist / stem / "thumbs").glob("*.png"))
        assert len(thumbs) == count, stem
        for path in thumbs:
            with Image.open(path) as im:
                assert im.size == size, (path, im.size)
        with Image.open(dist / f"{stem}.contact.png") as im:  # the grid is made of thumbnails of that size
            cols = min(sheet.COLUMNS, count)
            assert im.width == cols * (size[0] + sheet.GAP) + sheet.GAP
    with Image.open(dist / "precision" / "thumbs" / "002.png") as split:
        split = split.convert("RGB")
        red = [split.getpixel((x, 90)) for x in (200, 260, 315)]  # `bg right:40%`: x from 192 to 320
        assert all(r > 200 and g < 60 and b < 60 for r, g, b in red), red
        assert split.getpixel((20, 90)) == (255, 255, 255)
    with Image.open(dist / "gaia" / "thumbs" / "001.png") as gaia:  # no letterbox: the slide's own colour
        assert min(gaia.convert("RGB").getpixel((3, 90))) > 200


def test_emoji_with_network_are_never_image_errors(tmp_path: Path):
    """`online = true`: the sandbox has network; whether the CDN answers depends on this machine, so either
    the emoji load (nothing to say) or one info finding says the CDN could not be reached; never a D602."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "deckops.toml").write_text("online = true\n")
    (tmp_path / "e.md").write_text("---\nmarp: true\n---\n\n# Hi :wave:\n\n---\n\n# Two \U0001F600 \U0001F600\n")
    r = run_cli("check", "e.md", "--format", "json", "--out", "dist", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    found = [(d["code"], d["line"], d["severity"]) for d in json.loads(r.stdout)["diagnostics"]]
    assert found in ([], [("D605", 5, "info")]), found
    if found:
        [d] = json.loads(r.stdout)["diagnostics"]
        assert "3 emoji on slides 1, 2" in d["message"] and "could not be reached" in d["message"]


def test_build_reports_a_missing_image_once_not_again_as_marps_warning(tmp_path: Path):
    """marp-cli's PDF run warns about the missing file (D603, placed at the image); the browser's D602 at the
    same line is the one finding left. Lint's D301 is deselected so that the build goes on to render."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "m.md").write_text("---\nmarp: true\n---\n\n# M\n\n![A diagram](nothere.png)\n")

    def build(*select: str) -> list[str]:
        r = run_cli("build", "m.md", *[a for s in select for a in ("--select", s)], "--out", "dist", "--force",
                    cwd=tmp_path)
        return [ln.split(" ", 2)[0] + " " + ln.split(" ", 2)[1] for ln in r.stdout.splitlines() if ": D6" in ln]

    assert build("D603") == ["m.md:7:1: D603"]  # marp-cli does warn: the next assertion means something
    assert build("D602", "D603") == ["m.md:7:1: D602"]
