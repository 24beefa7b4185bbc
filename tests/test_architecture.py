"""Imports run one way (docs/architecture.md): foundation <- deck <- libraries <- findings/report <- commands.
A module may import its own layer or a lower one; this test fails when an import runs the other way."""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "deckops"

LAYERS = {
    0: {"deckops", "__version__", "errors", "_shipped", "files", "proc", "config", "diagnostic", "marpit", "_failsafe",
        "directives", "annotations", "filerefs", "setup_node", "shard", "extras"},
    1: {"deck"},
    2: {"lint", "kubectl_help", "marp", "render", "browser", "rehearse", "localcluster"},
    3: {"findings", "report"},
    4: {"cli", "__main__", "decks", "pipeline", "serve", "init", "doctor", "merge"},
}
LAYER = {name: n for n, names in LAYERS.items() for name in names}

# Upward imports that exist today, each a `run()` that is a command in disguise (it selects decks, prints a
# report, picks an exit code) inside a library package; docs/architecture.md lists them as the next move into
# the commands layer. The list may only shrink: a new upward import fails the test.
KNOWN_DEBT = {
    ("browser", "decks"), ("browser", "report"), ("browser", "findings"),
    ("render", "decks"), ("render", "report"), ("render", "findings"),
    ("rehearse", "decks"), ("rehearse", "report"),
}


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "deckops"


def _edges():
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                targets = [".".join(base + [node.module])] if node.module else \
                    [".".join(base + [a.name]) for a in node.names]
                for target in targets:
                    yield _top(module), _top(target), f"{path.relative_to(SRC)}:{node.lineno}"


def test_every_module_has_a_layer():
    tops = {_top(a) for a, _, _ in _edges()} | {_top(b) for _, b, _ in _edges()}
    assert tops - set(LAYER) == set(), "add new modules to LAYERS (and to docs/architecture.md)"


def test_imports_run_one_way():
    upward = sorted({(a, b, where) for a, b, where in _edges()
                     if LAYER.get(a, 9) < LAYER.get(b, 9) and (a, b) not in KNOWN_DEBT})
    assert upward == [], "imports against the layers:\n" + "\n".join(f"{w}: {a} -> {b}" for a, b, w in upward)


def test_known_debt_is_still_real():
    """An entry of KNOWN_DEBT that no longer exists must be removed, so the list only shrinks."""
    present = {(a, b) for a, b, _ in _edges()}
    assert KNOWN_DEBT <= present, sorted(KNOWN_DEBT - present)
