"""D2xx: how the deck is cut into slides and what each slide holds."""
from __future__ import annotations

from .engine import Context, Finding


def empty_slide(ctx: Context):
    slides = ctx.deck.slides
    for s in slides:
        if not s.empty:
            continue
        trailing = all(t.empty for t in slides[s.index - 1:])
        where = "at the end of the deck" if trailing else "between slides"
        line = s.break_line or s.start_line
        yield Finding(line, 1, f"slide {s.index} is empty ({where})",
                      "remove the extra `---`" if s.break_line else "add content or remove the slide")
