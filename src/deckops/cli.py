"""argparse subcommands; wires the modules together (nothing imports this module but __main__)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .config import Config
from .decks import collect_decks, emit, exit_code, lint_decks, report
from .errors import UsageError

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
    p.add_argument("--keep", action="store_true", help="keep the kind cluster / namespace after the run")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first failing snippet")
    p.add_argument("--update", action="store_true", help="rewrite the decks' expected output from the real run")
    p.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report")
    p.add_argument("--report", type=Path, metavar="FILE", help="write an HTML report with slide pictures")
    p.add_argument("--out", type=Path, help="output directory for thumbnails (default: dist/)")
    p.add_argument("--cluster-name", help="name of the --cluster local control plane (default: deckops)")
    p.add_argument("--no-cluster", action="store_true", help="run the snippets without any cluster or namespace")
    p.add_argument("--output-limit", type=int, metavar="BYTES",
                   help="bytes of each command's output kept in results and reports; the rest is counted "
                        "(default: 1000000)")

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

    p = sub.add_parser("cluster", help="a local Kubernetes cluster built from Go modules (no Docker): control "
                       "plane, a real node where it can run, kwok nodes")
    p.add_argument("action", choices=("build", "up", "down", "status", "kubeconfig", "images"))
    p.add_argument("--name", default="deckops", help="cluster name (default: deckops)")
    p.add_argument("--nodes", choices=("real", "fake"),
                   help="a real kubelet node (default where it can run) or kwok's fake nodes only")

    return parser


def load_config(args) -> Config:
    from . import config as config_mod

    if getattr(args, "config", None) and not args.config.is_file():
        raise UsageError(f"{args.config}: config file not found")
    first = (getattr(args, "decks", None) or ["."])[0]
    start = Path(first) if Path(first).is_dir() else Path(first).parent
    config = config_mod.load(start, args.config)
    _apply_rule_args(args, config)
    return config


def _apply_rule_args(args, config: Config) -> Config:
    """Check the config's and the command line's rule names (exit 2 with a did-you-mean)."""
    from .lint.catalogue import validate, validate_args

    if config.select or config.ignore or config.severity:
        validate(config)
    validate_args("--select", getattr(args, "select", None) or ())
    validate_args("--ignore", getattr(args, "ignore", None) or ())
    return config


def _with_rule_args(args, config: Config) -> Config:
    """--select replaces the config's selection, --ignore adds to it (every stage: lint, render, check)."""
    import dataclasses

    overrides = {}
    if getattr(args, "select", None):
        overrides["select"] = tuple(args.select)
    if getattr(args, "ignore", None):
        overrides["ignore"] = tuple(config.ignore) + tuple(args.ignore)
    return dataclasses.replace(config, **overrides) if overrides else config


def cmd_lint(args) -> int:
    import dataclasses

    config = _with_rule_args(args, load_config(args))
    if args.online:
        config = dataclasses.replace(config, online=True)
    decks = collect_decks(args.decks, config, getattr(args, "shard", None))
    diags = lint_decks(decks, config)
    emit(report(diags, len(decks), args), args.output)
    return exit_code(diags)


def cmd_inspect(args) -> int:
    from . import deck as deck_mod
    from .report import model

    config = load_config(args)
    decks = [deck_mod.load(p) for p in collect_decks(args.decks, config)]
    emit((model.render_json if args.format == "json" else model.render_text)(decks), args.output)
    failed = [i for d in decks for i in d.issues if i.kind in ("read", "too-large")]
    for issue in failed:
        print(f"deckops: error: {issue.message}", file=sys.stderr)
    return 2 if failed else 0


def cmd_rules(args) -> int:
    from .lint.catalogue import catalogue

    for e in catalogue().values():
        print(f"{e.code}  {e.name:<24} {e.severity:<8} {e.stage:<6} {e.family:<10} {e.summary}")
    return 0


def cmd_render(args) -> int:
    from . import render

    return render.run(args, _with_rule_args(args, load_config(args)))


def cmd_check(args) -> int:
    from .extras import require_render

    require_render("check")
    from . import browser

    return browser.run(args, _with_rule_args(args, load_config(args)))


def cmd_build(args) -> int:
    from .extras import require_render

    require_render("build")
    from . import pipeline

    return pipeline.run(args, _with_rule_args(args, load_config(args)))


def cmd_serve(args) -> int:
    from . import serve

    return serve.run(args, load_config(args))


def cmd_rehearse(args) -> int:
    from .rehearse import command

    from .findings import apply

    config = _with_rule_args(args, load_config(args))
    return command.run(args, config, keep=lambda diags: apply(diags, config))


def cmd_cluster(args) -> int:
    from . import localcluster

    return localcluster.run(args)


def cmd_setup(args) -> int:
    from . import marp, setup_node

    print(f"deckops setup: {setup_node.PACKAGE}@{setup_node.pinned_version()} in {setup_node.cache_dir()}",
          file=sys.stderr, flush=True)
    exe = setup_node.install(force=args.force)
    print(f"marp-cli  {setup_node.verify(exe)}  {exe}")
    print(f"chromium  {marp.find_chrome()}")
    return 0


def cmd_init(args) -> int:
    from . import init

    if args.dir.exists() and not args.dir.is_dir():
        raise UsageError(f"{args.dir}: not a folder")
    for path in init.create(args.dir):
        print(f"created {path}")
    print(f"next: cd {args.dir} && deckops lint && deckops check && deckops rehearse --no-cluster", file=sys.stderr)
    return 0


def cmd_doctor(args) -> int:
    from . import doctor

    config = load_config(args)
    needed = doctor.required(config)
    missing = 0
    for check in doctor.run_checks(config):
        state = "ok" if check.found else ("MISSING" if check.feature in needed else "absent")
        missing += state == "MISSING"
        detail = check.found or f"fix: {check.fix}"
        print(f"{state:<8} {check.name:<28} {check.feature:<8} {detail}")
    print(f"deckops doctor: {missing} missing for {', '.join(sorted(needed))}", file=sys.stderr)
    return 1 if missing else 0


def cmd_merge(args) -> int:
    from . import merge
    from .files import FileError, read_checked

    named = []
    for path in args.reports:
        try:
            named.append((str(path), read_checked(path, "report").decode("utf-8", errors="replace")))
        except FileError as exc:
            raise UsageError(str(exc)) from None
    kind, text, failed = merge.merge(named)
    emit(text, args.output)
    print(f"deckops merge: {len(named)} {kind} reports{f' -> {args.output}' if args.output else ''}", file=sys.stderr)
    return 1 if failed else 0


COMMANDS = {
    "lint": cmd_lint,
    "inspect": cmd_inspect,
    "rules": cmd_rules,
    "render": cmd_render,
    "check": cmd_check,
    "build": cmd_build,
    "serve": cmd_serve,
    "rehearse": cmd_rehearse,
    "cluster": cmd_cluster,
    "setup": cmd_setup,
    "init": cmd_init,
    "doctor": cmd_doctor,
    "merge": cmd_merge,
}


def dispatch(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help/--version
        return int(exc.code or 0)
    if not args.command:
        parser.print_help()
        return 2
    return COMMANDS[args.command](args)
