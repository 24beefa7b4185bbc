"""Imports run one way (docs/architecture.md): foundation <- deck <- libraries <- findings/report <- commands <- cli.
A module may import its own layer or a lower one; this test fails when an import runs the other way, and when a
library behaves like a command (prints, or takes an argparse Namespace)."""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "deckops"

LAYERS = {
    0: {"deckops", "__version__", "errors", "_shipped", "files", "proc", "config", "diagnostic", "marpit", "_failsafe",
        "directives", "annotations", "filerefs", "setup_node", "shard", "extras", "helpers", "relay"},
    1: {"deck", "chunks"},
    2: {"lint", "marp", "render", "browser", "rehearse", "localcluster", "init", "doctor", "merge"},
    3: {"findings", "report", "lsp", "serve"},
    4: {"commands"},
    5: {"cli", "__main__"},
}
LAYER = {name: n for n, names in LAYERS.items() for name in names}

# Upward imports that exist today: none. The list may only shrink; a new upward import fails the test.
KNOWN_DEBT: set[tuple[str, str]] = set()


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "deckops"


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield path, module, ast.parse(path.read_text(encoding="utf-8"))


def _targets(node: ast.AST, path: Path, module: str) -> list[str]:
    """The deckops modules an import statement names, relative (`from ..x import y`) or absolute."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "deckops"]
    if not isinstance(node, ast.ImportFrom):
        return []
    if not node.level:
        return [node.module] if node.module and node.module.split(".")[0] == "deckops" else []
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    return [".".join(base + [node.module])] if node.module else [".".join(base + [a.name]) for a in node.names]


def _edges():
    for path, module, tree in _modules():
        for node in ast.walk(tree):
            for target in _targets(node, path, module):
                yield _top(module), _top(target), f"{path.relative_to(SRC)}:{node.lineno}"


def test_every_module_has_a_layer():
    tops = {_top(a) for a, _, _ in _edges()} | {_top(b) for _, b, _ in _edges()}
    tops |= {_top(module) for _, module, _ in _modules()}
    assert tops - set(LAYER) == set(), "add new modules to LAYERS (and to docs/architecture.md)"


def test_imports_run_one_way():
    upward = sorted({(a, b, where) for a, b, where in _edges()
                     if LAYER.get(a, 9) < LAYER.get(b, 9) and (a, b) not in KNOWN_DEBT})
    assert upward == [], "imports against the layers:\n" + "\n".join(f"{w}: {a} -> {b}" for a, b, w in upward)


def test_known_debt_is_still_real():
    """An entry of KNOWN_DEBT that no longer exists must be removed, so the list only shrinks."""
    present = {(a, b) for a, b, _ in _edges()}
    assert KNOWN_DEBT <= present, sorted(KNOWN_DEBT - present)


def _command_habits(tree: ast.AST) -> list[tuple[int, str]]:
    """What only the commands layer does: print, write to sys.stdout/sys.stderr, import argparse, take `args`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            found.append((node.lineno, "print()"))
        elif isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr") \
                and isinstance(node.value, ast.Name) and node.value.id == "sys":
            found.append((node.lineno, f"sys.{node.attr}"))
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and "argparse" in \
                [getattr(node, "module", None), *(a.name for a in node.names)]:
            found.append((node.lineno, "argparse"))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                any(a.arg == "args" for a in node.args.args + node.args.kwonlyargs):
            found.append((node.lineno, f"{node.name}(args): an argparse Namespace"))
    return found


# Library modules that still print: none; the list may only shrink.
PRINTING_DEBT: set[str] = set()


def test_libraries_do_not_print_or_see_the_command_line():
    """Below the commands layer nothing prints or reads argparse: libraries log notes (logger `deckops.*`) and
    return results; commands/ prints them and picks the exit code."""
    bad = []
    for path, module, tree in _modules():
        rel = path.relative_to(SRC).as_posix()
        if LAYER[_top(module)] >= LAYER["commands"] or rel in PRINTING_DEBT:
            continue
        bad += [f"{rel}:{line}: {what}" for line, what in _command_habits(tree)]
    assert bad == [], "command habits in a library:\n" + "\n".join(bad)


def test_printing_debt_is_still_real():
    for rel in PRINTING_DEBT:
        path = SRC / rel
        assert path.is_file() and _command_habits(ast.parse(path.read_text(encoding="utf-8"))), rel


def test_every_subcommand_has_its_module():
    """`deckops NAME` runs commands/NAME.py: every subcommand cli.py defines has one, with run(args)."""
    from deckops.cli import build_parser

    parser = build_parser()
    names = next(a for a in parser._actions if a.dest == "command").choices
    for name in names:
        tree = ast.parse((SRC / "commands" / f"{name}.py").read_text(encoding="utf-8"))
        assert any(isinstance(n, ast.FunctionDef) and n.name == "run" for n in tree.body), name
