"""`deckops rehearse`: run the decks' snippets against a sandbox cluster and compare their output; exit 0 nothing
failed, 1 a snippet failed, 2 refusal/usage/cluster error."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ..findings import apply
from ..rehearse import rehearsal
from ..rehearse.progress import Progress
from ._common import load_config, with_rule_args
from .deck_files import collect_decks


def run(args) -> int:
    config = with_rule_args(args, load_config(args))
    plans = rehearsal.plan(collect_decks(args.decks, config), config)
    progress = Progress(sys.stdout)
    started = time.monotonic()
    rehearsal.rehearse(plans, config, options(args), progress, keep=lambda diags: apply(diags, config))
    progress.summary([r for p in plans for r in p.results], time.monotonic() - started)
    if args.record:
        print(f"recordings in {args.record}")
    _outputs(args, config, plans)
    return 1 if any(rehearsal.failed(p.results) for p in plans) else 0


def in_build(decks: list[Path], config, out: Path) -> int:
    """build's last step when the config or a deck's settings name a cluster (`cluster = "local"`): the rehearsal,
    every green snippet recorded in OUT/recordings (demo --replay, deckops time) and the report in
    OUT/rehearsal.html; 1 when a snippet failed."""
    plans = rehearsal.plan(decks, config)
    if not any(p.settings.cluster for p in plans):
        return 0
    recordings, report = out / "recordings", out / "rehearsal.html"
    progress = Progress(sys.stdout)
    started = time.monotonic()
    rehearsal.rehearse(plans, config, rehearsal.Options(record=recordings), progress,
                       keep=lambda diags: apply(diags, config))
    progress.summary([r for p in plans for r in p.results], time.monotonic() - started)
    from ..report import html

    html.write(report, [(p.deck, p.results) for p in plans], out, recordings)
    print(f"deckops build: rehearsal report {report}, recordings in {recordings}", file=sys.stderr)
    return 1 if any(rehearsal.failed(p.results) for p in plans) else 0


def options(args) -> rehearsal.Options:
    return rehearsal.Options(cluster=args.cluster, context=args.context, kubeconfig=args.kubeconfig,
                             allow_context=tuple(args.allow_context), keep=args.keep, fail_fast=args.fail_fast,
                             output_limit=args.output_limit, cluster_name=args.cluster_name,
                             no_cluster=args.no_cluster, record=args.record,
                             allow_host_access=args.allow_host_access)


def _outputs(args, config, plans: list[rehearsal.Plan]) -> None:
    """--junit, --findings, --report and --update, after the run."""
    runs = [(p.deck, p.results) for p in plans]
    if args.junit:
        from ..report import junit

        junit.write(args.junit, runs)
        print(f"wrote {args.junit}")
    if args.findings:
        from ..files import write_atomic
        from ..rehearse.verdict import diagnostics
        from ..report import json_report

        found = [d for _, results in runs for r in results for d in diagnostics(r)]
        write_atomic(args.findings, json_report.render(found, len(runs)).encode())
        print(f"wrote {args.findings}")
    if args.report:
        from ..report import html

        out = args.out or (config.root / config.out)
        html.write(args.report, runs, out, args.record)
        print(f"wrote {args.report}")
    if args.update:
        from ..rehearse import update

        for plan in plans:
            changed = update.rewrite(plan.path, plan.deck, plan.results)
            if changed:
                print(f"updated {plan.path}: {changed} command output(s) rewritten")
