"""Coverage-guided fuzz target (atheris) for the deck parser and the pure lint rules.

Run: .venv/bin/python fuzz/fuzz_deck.py -max_total_time=60 CORPUS_DIR fuzz/seeds  (CORPUS_DIR gets new inputs)
Any exception escaping deck.parse, or a position outside the file, is a crash.
"""
import sys

import atheris

with atheris.instrument_imports():
    from deckops import config, deck
    from deckops.lint import lint

CONFIG = config.Config(select=("parse-error", "front-matter-invalid", "empty-slide", "unknown-directive",
                               "directive-value", "directive-scope", "missing-slide-break", "setext-heading",
                               "unbalanced-html", "fence-language", "image-alt"))


def check(data: bytes) -> None:
    d = deck.parse(data, "fuzz.md")
    n = max(len(d.lines), 1)
    for x in lint(d, CONFIG):
        if x.code == "D000" or not 1 <= x.line <= n:
            raise AssertionError(f"bad finding {x}")


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
