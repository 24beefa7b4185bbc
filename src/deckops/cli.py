"""argparse only: the subcommands and their arguments; `deckops NAME` runs commands/NAME.py's run(args) -> int.

To add a subcommand: one `sub.add_parser("NAME", ...)` block in build_parser() and a module commands/NAME.py with
`run(args) -> int` (docs/architecture.md). Nothing imports this module but __main__."""
from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from . import __version__

FORMAT_CHOICES = ("text", "json", "sarif", "github")


def _decks_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("decks", nargs="*", metavar="DECK",
                   help="Markdown decks or folders of them (default: slides/)")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, help="config file (default: nearest deckops.toml or pyproject.toml)")


def _rule_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", action="append", default=[], help="only these rules (name or code; repeatable)")
    p.add_argument("--ignore", action="append", default=[], help="skip these rules (name or code; repeatable)")


def _shard_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shard", metavar="I/N", help="only the decks of shard I of N (stable: a hash of each deck's "
                   "path and content); join the shards' reports with deckops merge")


def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMAT_CHOICES, default="text", help="output format (default: text)")
    p.add_argument("--output", "-o", type=Path, help="write the report to FILE instead of stdout")


HOST_ACCESS_HELP = ("run the snippets marked needs=host-access (kubectl debug node/...): on the local cluster, "
                    "pods in this run's namespace may use the node's host namespaces and files (root on this "
                    "machine) until the run ends; only this option grants it, no file of the repository can")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deckops",
        description="Build and validate Marp slide decks of technical talks: lint, render, "
                    "browser-check and rehearse them.",
    )
    parser.add_argument("--version", action="version", version=f"deckops {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("lint", help="report every defect of the decks as positioned diagnostics",
                       description="Lint decks: exit 0 clean, 1 on errors, 2 on usage/config/tool failure.")
    _decks_arg(p), _common(p), _report_args(p), _rule_args(p)
    p.add_argument("--online", action="store_true", help="also check remote links (with a cache and timeouts)")
    p.add_argument("--no-hints", action="store_true", help="text format: omit the hint lines")
    p.add_argument("--daemon", action="store_true", help="let your lint daemon run it (started when none runs; it "
                   "keeps each deck's parsed slides and rule results, so a lint after an edit redoes only the "
                   "slides edited); same output and exit code (deckops daemon stop|status)")

    _shard_arg(p)
    p = sub.add_parser("inspect", help="show the deck model: slides, lines, directives and notes as Marp reads them",
                       description="The deck as Marp reads it: one line per slide, or the whole model as JSON.")
    _decks_arg(p), _common(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--output", "-o", type=Path, help="write to FILE instead of stdout")

    p = sub.add_parser("rules", help="list every lint rule with its code, name and default severity")
    _common(p)

    p = sub.add_parser("render", help="render decks through the pinned marp-cli (html, pdf, pptx, png)",
                       description="Render decks with marp-cli into DIR/<stem>.html|.pdf|.pptx and DIR/<stem>/NNN.png.")
    _decks_arg(p), _common(p)
    _rule_args(p)
    p.add_argument("--to", default="html,pdf", help="comma-separated: html,pdf,pptx,png (default: html,pdf)")
    p.add_argument("--out", type=Path, help="output directory (default: dist/)")
    p.add_argument("--force", action="store_true", help="rebuild even when outputs are current")

    _shard_arg(p)
    p = sub.add_parser("check", help="lint + render HTML + check the slides in headless Chromium",
                       description="Browser checks: overflow, images that fail to load, contact sheets.")
    _decks_arg(p), _common(p), _report_args(p), _rule_args(p)
    p.add_argument("--out", type=Path, help="output directory (default: dist/)")
    p.add_argument("--force", action="store_true", help="re-render even when outputs are current")

    _shard_arg(p)
    p = sub.add_parser("build", help="the default pipeline on slides/: lint, render (html, pdf), browser checks")
    _decks_arg(p), _common(p), _rule_args(p)
    p.add_argument("--out", type=Path, help="output directory (default: dist/)")
    p.add_argument("--force", action="store_true", help="rebuild even when outputs are current")

    p = sub.add_parser("serve", help="watch slides/, images/, themes/; re-lint and re-render; live preview")
    _decks_arg(p), _common(p)
    p.add_argument("--port", type=int, default=8080, help="preview port on 127.0.0.1 (default: 8080)")
    p.add_argument("--out", type=Path, help="output directory (default: dist/)")

    p = sub.add_parser("rehearse", help="run the deck's snippets against a sandbox cluster and compare output",
                       description="Run every snippet in slide order against a Kubernetes sandbox; "
                                   "exit 0 nothing failed, 1 a snippet failed, 2 refusal/usage/cluster error.")
    _decks_arg(p), _common(p), _rule_args(p)
    p.add_argument("--cluster", choices=("local", "kind"), help="bring up a throwaway cluster for the run")
    p.add_argument("--context", help="kubeconfig context to use (default: current context)")
    p.add_argument("--kubeconfig", type=Path, help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    p.add_argument("--allow-context", action="append", default=[], metavar="NAME",
                   help="allow this non-sandbox context (dangerous)")
    p.add_argument("--allow-host-access", action="store_true", help=HOST_ACCESS_HELP)
    p.add_argument("--keep", action="store_true", help="keep the kind cluster / namespace after the run")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first failing snippet")
    p.add_argument("--update", action="store_true", help="rewrite the decks' expected output from the real run")
    p.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report")
    p.add_argument("--findings", type=Path, metavar="FILE", help="write the failures as findings in lint's JSON "
                   "format (code, name, severity, path, line, column, message; the diff as the hint)")
    p.add_argument("--report", type=Path, metavar="FILE", help="write an HTML report with slide pictures")
    p.add_argument("--record", type=Path, metavar="DIR", help="save each green snippet's session in "
                   "DIR/<deck>/ as an asciicast v2 recording and an SVG of its final screen (demo --replay)")
    p.add_argument("--out", type=Path, help="output directory for thumbnails (default: dist/)")
    p.add_argument("--cluster-name", help="name of the --cluster local control plane (default: deckops)")
    p.add_argument("--no-cluster", action="store_true", help="run the snippets without any cluster or namespace")
    p.add_argument("--output-limit", type=int, metavar="BYTES",
                   help="bytes of each command's output kept in results and reports; the rest is counted "
                        "(default: 1000000)")

    p = sub.add_parser("demo", help="drive the deck's snippets live on stage, or play their recordings",
                       description="For each snippet in slide order: its slide, the command typed out, Enter runs "
                                   "it in rehearse's sandboxed shell. Keys: Enter run/next, s skip, b back, r rerun, "
                                   "p play the recording, q quit (cleans up as rehearse does).")
    _decks_arg(p), _common(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--slide", type=int, metavar="N", help="only the snippets of slide N")
    where.add_argument("--from", dest="start", type=int, metavar="N", help="start at slide N")
    p.add_argument("--cluster", choices=("local", "kind"), help="bring up a throwaway cluster for the demo")
    p.add_argument("--context", help="kubeconfig context to use (default: current context)")
    p.add_argument("--kubeconfig", type=Path, help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    p.add_argument("--allow-context", action="append", default=[], metavar="NAME",
                   help="allow this non-sandbox context (dangerous)")
    p.add_argument("--allow-host-access", action="store_true", help=HOST_ACCESS_HELP)
    p.add_argument("--cluster-name", help="name of the --cluster local control plane (default: deckops)")
    p.add_argument("--no-cluster", action="store_true", help="run the snippets without any cluster or namespace")
    p.add_argument("--no-typing", action="store_true", help="show each command at once instead of typing it")
    p.add_argument("--pace", type=float, help="characters per second commands are typed at (default: 25)")
    p.add_argument("--recordings", type=Path, metavar="DIR", help="where p finds recordings (default: dist/recordings)")
    p.add_argument("--replay", type=Path, metavar="DIR", help="play the recordings in DIR instead of running anything")

    p = sub.add_parser("time", help="the talk's timing budget per slide: notes, demos, allowance; exit 1 over target",
                       description="Per slide: speaker notes read at --wpm, each demo's typing at --pace and its "
                                   "run time from the last rehearsal's recordings (or --junit), a fixed allowance, or "
                                   "the slide's <!-- time: 2m --> comment; exit 1 when the total is over --target.")
    _decks_arg(p), _common(p)
    p.add_argument("--target", metavar="DURATION",
                   help="the talk's length: 30m, 1h, 25:00 (default: config [tool.deckops.time] target)")
    p.add_argument("--wpm", type=float, help="words of speaker notes per minute (default: 140)")
    p.add_argument("--pace", type=float, help="characters per second demo types at (default: 25)")
    p.add_argument("--recordings", type=Path, metavar="DIR",
                   help="the rehearsal's recordings (default: dist/recordings)")
    p.add_argument("--junit", type=Path, metavar="FILE", help="run times from a rehearse JUnit report instead")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--output", "-o", type=Path, help="write to FILE instead of stdout")

    p = sub.add_parser("setup", help="install the pinned marp-cli into deckops' cache (npm) and find Chromium",
                       description="npm ci the pinned @marp-team/marp-cli into $DECKOPS_CACHE/node/<version> "
                                   "(default ~/.cache/deckops), verify it and find Chromium; exit 2 with the "
                                   "install command when Node.js, npm or Chromium is missing.")
    p.add_argument("--force", action="store_true", help="reinstall even when the cache has it")

    p = sub.add_parser("init", help="create a talk repository: slides/, images/, themes/, config, CI, pre-commit",
                       description="Write a talk skeleton into DIR (default: .): a starter deck that passes lint, "
                                   "check and rehearse --no-cluster, a theme, deckops.toml, .pre-commit-config.yaml, "
                                   ".github/workflows/deck.yml and .gitignore. Never overwrites: exit 2 naming "
                                   "the files that exist.")
    p.add_argument("dir", nargs="?", default=".", type=Path, metavar="DIR")

    p = sub.add_parser("doctor", help="what deckops needs and what this machine has, with the fix for each gap",
                       description="Python packages, Node.js, npm, marp-cli, Chromium, bubblewrap, kubectl, Go, the "
                                   "local cluster build, kind and Docker: found (version, path) or the command that "
                                   "fixes it. Exit 1 when something this repo's features need is missing.")
    _common(p)

    p = sub.add_parser("merge", help="join the SARIF, JSON or JUnit reports of --shard runs into one",
                       description="Merge reports of one kind (SARIF, deckops JSON or JUnit) into one; exit 1 when "
                                   "the merged report has errors or failures, 2 on unreadable or mixed inputs.")
    p.add_argument("reports", nargs="+", type=Path, metavar="REPORT")
    p.add_argument("--output", "-o", type=Path, help="write the merged report to FILE instead of stdout")

    p = sub.add_parser("lsp", help="the language server for editors (stdio): findings as you type, hover, quick "
                       "fixes",
                       description="Speak the Language Server Protocol on stdin/stdout: lint findings as diagnostics, "
                                   "directive hovers, quick fixes, and the commands deckops.check and deckops.rehearse "
                                   "(docs/editors.md). Needs the lsp extra.")
    p.add_argument("--stdio", action="store_true",
                   help="accepted and the default (clients such as vscode-languageclient add it)")

    p = sub.add_parser("daemon", help="the lint daemon `deckops lint --daemon` talks to: start, stop, status",
                       description="A long-lived deckops process that runs `deckops lint --daemon` command lines "
                                   "and keeps each deck's parsed slides and per-slide rule results between them; "
                                   "one per user and environment, reached through a socket in deckops' cache "
                                   "that only you can open. It exits after --idle seconds without a request.")
    p.add_argument("action", choices=("start", "stop", "status", "run"),
                   help="run: serve in the foreground (start runs it in the background)")
    p.add_argument("--idle", type=float, default=900.0, metavar="SECONDS",
                   help="exit after this long without a request (default: 900)")

    p = sub.add_parser("cluster", help="a local Kubernetes cluster built from Go modules (no Docker): control "
                       "plane, a real node where it can run, kwok nodes")
    p.add_argument("action", choices=("build", "up", "down", "status", "kubeconfig", "images"))
    p.add_argument("--name", default="deckops", help="cluster name (default: deckops)")
    p.add_argument("--nodes", choices=("real", "fake"),
                   help="a real kubelet node (default where it can run) or kwok's fake nodes only")

    return parser


def dispatch(argv: list[str] | None = None, run_command=None) -> int:
    """`run_command(argv) -> int`: __main__'s way to run a whole command line (the lint daemon runs its
    requests with it), given to the command as `args.run_command`."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help/--version
        return int(exc.code or 0)
    if not args.command:
        parser.print_help()
        return 2
    args.run_command = run_command
    return importlib.import_module(f"{__package__}.commands.{args.command}").run(args)
