"""Inputs that made lint take quadratic time (issue 18), as generators of n units; shared by
tests/test_hostile.py (growth ratios at small n) and bench/hostile.py (the sizes of the report)."""
from __future__ import annotations

GROWTH = {
    # name: (one unit, units in the report's input, about 1.2 MB or less)
    "empty-slides": (lambda n: "---\n" * n, 100_000),
    "image-openers": (lambda n: "![" * n, 200_000),
    "tag-openers": (lambda n: "<a" * n, 300_000),
    "comment-lines": (lambda n: "<!--\n" * n, 200_000),
    "text-comments": (lambda n: "text <!-- \n" * n, 100_000),
    "link-closers": (lambda n: "](" * n, 300_000),
    "links-paragraph": (lambda n: " ".join(f"[l{i}](http://x/{i})" for i in range(n)), 50_000),
    "backticks": (lambda n: "`a ``b " * n, 100_000),
    "brackets-then-one-close": (lambda n: "[" * n + "]", 200_000),
    "inline-comment-openers": (lambda n: "x <!" * n, 200_000),
    "one-long-word": (lambda n: "# T\n\n" + "x" * n + "\n", 1_000_000),
}
