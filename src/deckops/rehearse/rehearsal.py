"""A rehearsal: decks -> snippets -> a guarded sandbox -> one shell per deck -> results (commands/rehearse.py
reports them)."""
from __future__ import annotations

import logging
import os
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Callable, Iterator, Literal, NamedTuple, Protocol

from .. import deck as deck_mod
from ..diagnostic import Diagnostic
from ..errors import UsageError
from . import images as images_mod, record as record_mod, settings as settings_mod, snippets as snip_mod
from .match import Masks
from .runner import Outcome, Session, Step
from . import verdict as verdict_mod
from .verdict import CommandResult, SnippetResult, judge

log = logging.getLogger(__name__)  # notes for the user: the commands layer shows them on stderr
DEFAULT_TIMEOUT = 60.0
Keep = Callable[[list[Diagnostic]], list[Diagnostic]] | None  # the finding filter (commands pass findings.apply)


class Plan(NamedTuple):
    path: Path
    deck: deck_mod.Deck
    settings: settings_mod.Settings
    snippets: list[snip_mod.Snippet]
    results: list[SnippetResult]


class Options(NamedTuple):
    """What the command line decides about a rehearsal (commands/rehearse.py fills it from its arguments)."""
    cluster: Literal["local", "kind"] | None = None
    context: str | None = None
    kubeconfig: Path | None = None
    allow_context: tuple[str, ...] = ()
    keep: bool = False
    fail_fast: bool = False
    output_limit: int | None = None
    cluster_name: str | None = None
    no_cluster: bool = False
    record: Path | None = None
    allow_host_access: bool = False  # run `needs=host-access` snippets; only the command line sets it


class Observer(Protocol):
    """What a rehearsal tells as it goes (rehearse/progress.py's Progress is one)."""

    def line(self, text: str) -> None: ...
    def deck(self, path: Path, count: int) -> None: ...
    def add(self, result: SnippetResult) -> None: ...
    def flush(self) -> None: ...


def rehearse(plans: list[Plan], config, options: Options, observer: Observer, keep: Keep = None) -> None:
    """Choose the sandbox (refusing a context that is not one, before any kubectl call), then run every deck's
    snippets in its own shell; each plan's results fill in as they come. keep: the finding filter (config and
    command-line select/ignore/severity, inline disables) that each snippet's failures pass through."""
    with sandboxed(plans, config, options, observer) as stage:
        for n, plan in enumerate(plans):
            _rehearse(plan, stage, n, options, observer, keep)
            if options.fail_fast and failed(plan.results):
                break


class Sandbox(NamedTuple):
    env: dict  # KUBECONFIG, PATH, DECKOPS_NAMESPACE: what every session of the run gets
    nodes: "Nodes"
    tmp: Path  # the run's own folder (homes, batch files, the session kubeconfig), removed after it
    host_access: bool = False  # --allow-host-access: `needs=host-access` snippets run


@contextmanager
def sandboxed(plans: list[Plan], config, options: Options, observer: Observer) -> Iterator[Sandbox]:
    """The guard, then the sandbox, for rehearse and demo alike: a context that is not a sandbox is refused
    before any kubectl call; on exit (also ^C and demo's q) the namespace is deleted and the folder removed."""
    base = settings_mod.from_config(config)
    trusted = trusted_sandboxes(config)
    choice = _choose(options, plans[0].settings if plans else base, config, trusted)  # the guard: nothing sent yet
    with tempfile.TemporaryDirectory(prefix="deckops-rehearse-") as tmp, ExitStack() as stack:
        needed = any(s.skip is None for p in plans for s in p.snippets)
        env, nodes = stack.enter_context(_sandbox(choice if needed else Choice("none"), Path(tmp), options,
                                                  observer))
        yield Sandbox(env, nodes, Path(tmp), options.allow_host_access)


def session(plan: Plan, sandbox: Sandbox, n: int, options: Options, *, record: bool = False,
            size: tuple[int, int] = record_mod.SIZE) -> Session:
    """Deck n's shell: its private HOME, the sandbox's kubeconfig, the deck's env, in the deck's folder."""
    # deckops' own keys last: the settings' env cannot name them (settings.PROTECTED_ENV)
    env = {"TERM": "dumb", "NO_COLOR": "1", **plan.settings.env, **_session_env(sandbox.env, sandbox.tmp, n)}
    limit = options.output_limit or plan.settings.output_limit
    return Session(env, cwd=plan.path.resolve().parent, tmp=sandbox.tmp, output_limit=limit, record=record,
                   size=size)


def masks_of(sets: settings_mod.Settings) -> Masks:
    return Masks.build(sets.k8s_masks, dict(sets.masks))


def runnable_here(plan: Plan, sandbox: Sandbox) -> list[snip_mod.Snippet]:
    """The plan's snippets, those the sandbox's nodes cannot run, or that need what the command line did not
    grant, marked skipped with the reason."""
    return _unrunnable(_ungranted(plan.snippets, sandbox.host_access), sandbox.nodes)


HOST_ACCESS_SKIP = ("needs host access (`needs=host-access`): its pod gets the node's namespaces and files, root on "
                    "the machine the node runs on; rehearse it on a sandbox cluster with --allow-host-access")


def _ungranted(snippets: list, host_access: bool) -> list:
    """`needs=host-access` snippets are skipped unless --allow-host-access was given: nothing in the repository
    (the deck, its sidecar, the config) can grant it."""
    if host_access:
        return snippets
    return [s._replace(skip=HOST_ACCESS_SKIP) if s.skip is None and "host-access" in s.needs else s
            for s in snippets]


def steps(snippet: snip_mod.Snippet) -> list[Step]:
    return _steps(snippet)


def trusted_sandboxes(config) -> tuple[str, ...]:
    """sandbox-contexts that may widen the guard: the user's own config only. The repository's config is as
    untrusted as its decks, so its sandbox-contexts is ignored here, with a warning."""
    if config.sandbox_contexts:
        log.warning(f"deckops rehearse: warning: {config.source}: sandbox-contexts ignored: a file in the "
                    f"repository cannot widen the sandbox guard; put it in {settings_mod.user_config_path()} or "
                    "pass --allow-context")
    patterns, warning = settings_mod.user_sandboxes(config.root)
    if warning:
        log.warning(f"deckops rehearse: warning: {warning}")
    return patterns


# what snippets see of the caller's environment: enough to run tools, never credentials or config locations
# (AWS_*, GOOGLE_APPLICATION_CREDENTIALS, KUBERNETES_SERVICE_HOST, XDG_CONFIG_HOME, SSH_AUTH_SOCK, ...)
_PASS_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "USER", "LOGNAME", "SHELL", "TMPDIR", "GOCACHE")


def _session_env(sandbox: dict, tmp: Path, n: int) -> dict:
    """A private HOME for each deck's session (`touch ~/x`, `~/.kube/config`, tool caches land there) and the
    generated kubeconfig as KUBECONFIG; deckops' own keys are applied last, so nothing overrides them."""
    home = tmp / f"home-{n}"
    (home / ".kube").mkdir(parents=True, exist_ok=True)
    passed = {k: v for k, v in os.environ.items() if k in _PASS_ENV or k.startswith("LC_")}
    return {**passed, "HOME": str(home), "KUBECACHEDIR": str(home / ".kube" / "cache"), **sandbox}


def failed(results) -> bool:
    return any(r.status == "fail" for r in results)


def plan(paths: list[Path], config) -> list[Plan]:
    """Each deck's snippets and settings, read before anything runs; a deck that cannot be rehearsed is a
    usage error naming its file and line."""
    base = settings_mod.from_config(config)
    for p in paths:
        if not p.is_file():  # lint reports such a path as a finding; rehearse has nothing to run
            raise UsageError(f"{p}: not a readable Markdown file")
    return [_plan(p, base) for p in paths]


def _plan(path: Path, base: settings_mod.Settings) -> Plan:
    deck = deck_mod.load(path)
    fatal = [i for i in deck.issues if i.kind in ("read", "too-large", "encoding")]
    if fatal:
        raise UsageError(f"{path}:{fatal[0].line}:{fatal[0].col}: {fatal[0].message}")
    sets = settings_mod.for_deck(base, path)
    found = snip_mod.extract(deck, sets.aliases)
    if found.problems:
        raise UsageError("\n".join(f"{path}:{p.line}:{p.col}: {p.message}" for p in found.problems))
    pre = [snip_mod.synthetic(str(path), "setup", c) for c in sets.setup]
    post = [snip_mod.synthetic(str(path), "teardown", c) for c in sets.teardown]
    return Plan(path, deck, sets, pre + found.snippets + post, [])


# --- which cluster, and the guard -------------------------------------------------------------------

class Choice(NamedTuple):
    kind: Literal["none", "local", "kind", "context"]
    context: str | None = None
    files: tuple[Path, ...] = ()
    name: str = "deckops"
    kubectl: str = ""


def _choose(options: Options, sets: settings_mod.Settings, config, trusted: tuple[str, ...] = ()) -> Choice:
    """Decide where snippets run; a context that is not a sandbox is refused here, before any kubectl call.
    The context comes from the command line or the caller's kubeconfig, never from the repository."""
    if options.no_cluster:
        return Choice("none")
    kind = options.cluster or (None if options.context else sets.cluster)
    if options.cluster and options.context:
        raise UsageError("--cluster and --context exclude each other")
    name = options.cluster_name or sets.cluster_name
    if kind in ("local", "kind"):
        return Choice(kind, name=name)
    from . import cluster  # (not imported for --no-cluster runs)

    files = tuple(cluster.kubeconfig_files(options.kubeconfig))
    context = options.context or cluster.current_context(files)
    server = cluster.server_of(files, context) if context else None
    cluster.guard(context, trusted, list(options.allow_context), server)
    return Choice("context", context, files, kubectl=cluster.find_kubectl(config.kubectl))


Available = Callable[[str], bool] | None  # can the cluster run this image? None: it can get any


class Nodes(NamedTuple):
    """What the target's nodes can do, as far as snippets care."""
    available: Available = None  # images (None: any)
    fake: str = ""  # why no container runs (kwok's fake nodes), or "" when they do


@contextmanager
def _sandbox(choice: Choice, tmp: Path, options: Options, observer: Observer) -> Iterator[tuple[dict, Nodes]]:
    """Yield the environment snippets need: KUBECONFIG (a temp copy, namespace set) and kubectl on PATH, and
    which images the cluster can run (a real local node: only those built offline). Without a cluster,
    KUBECONFIG is an empty file: the caller's $KUBECONFIG and ~/.kube/config are not seen."""
    if choice.kind == "none":
        empty = tmp / "kubeconfig"
        empty.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"
                         "current-context: \"\"\n", encoding="utf-8")
        yield {"KUBECONFIG": str(empty)}, Nodes()
        return
    from . import cluster

    with ExitStack() as stack:
        if choice.kind == "local":
            target = stack.enter_context(cluster.local(choice.name, options.keep))
        elif choice.kind == "kind":
            target = stack.enter_context(cluster.kind(tmp, options.keep))
        else:
            target = stack.enter_context(cluster.existing(choice.files, choice.context, choice.kubectl, tmp))
        ns, kubeconfig = stack.enter_context(cluster.namespace(target, tmp, options.keep))
        if options.allow_host_access:  # entered after the namespace: it ends first, before the namespace goes
            stack.enter_context(cluster.host_access(target, ns))
        observer.line(f"rehearsing on context {target.context}, namespace {ns}")
        if options.allow_host_access:
            observer.line(f"host access allowed in namespace {ns} for this run (--allow-host-access)")
        if target.nodes:
            log.info(f"deckops rehearse: the local cluster runs {target.nodes} nodes"
                     + (" (pods run: exec, logs, debug -it, port-forward, cp are real)" if target.nodes == "real"
                        else " (kwok: pods do not run)"))
        fake = ("the local cluster's nodes are kwok's: no container runs (deckops cluster up --nodes real "
                "where its prerequisites are present)") if target.nodes == "fake" else ""
        yield ({"KUBECONFIG": str(kubeconfig), "PATH": _path_with(target.kubectl, tmp), "DECKOPS_NAMESPACE": ns},
               Nodes(target.image_available, fake))


def _path_with(kubectl: str, tmp: Path) -> str:
    """PATH whose `kubectl` is the target's (the built one for --cluster local)."""
    binary = Path(kubectl)
    if binary.is_absolute() and binary.is_file():
        bin_dir = tmp / "bin"
        bin_dir.mkdir(exist_ok=True)
        link = bin_dir / "kubectl"
        if not link.exists():
            link.symlink_to(binary)
        return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    return os.environ.get("PATH", "")


# --- running ----------------------------------------------------------------------------------------

def _rehearse(plan: Plan, sandbox: Sandbox, n: int, options: Options, progress: Observer, keep: Keep = None) -> None:
    sets = plan.settings
    masks = masks_of(sets)
    recordings = options.record
    progress.deck(plan.path, len(plan.snippets))
    with session(plan, sandbox, n, options, record=bool(recordings)) as shell:
        hide, names = record_mod.Hider.for_deck(dict(sets.masks)), record_mod.names(plan.snippets)
        for result in _results(shell, runnable_here(plan, sandbox), masks, sets.timeout or DEFAULT_TIMEOUT,
                               options.fail_fast, sandbox.nodes.available, keep):
            plan.results.append(result)
            if recordings:  # as each one ends: an interrupted rehearsal keeps what it recorded
                record_mod.record_result(Path(recordings), names[len(plan.results) - 1], result, shell.text, hide)
            progress.add(result)
    progress.flush()


def _unrunnable(snippets: list, nodes: Nodes) -> list:
    """On fake nodes, a snippet that needs a running container (exec, debug -it, port-forward, cp) is skipped
    with the reason, instead of failing for the cluster's sake."""
    if not nodes.fake:
        return snippets
    out = []
    for s in snippets:
        shown = images_mod.needs_containers(s) if s.skip is None and s.role == "main" else None
        out.append(s._replace(skip=f"`{shown}` needs a running container; {nodes.fake}") if shown else s)
    return out


def _results(session: Session, snippets: list, masks: Masks, default_timeout: float,
             fail_fast: bool, available: Available = None, keep: Keep = None) -> Iterator[SnippetResult]:
    """Results in snippet order. Without --fail-fast every snippet is queued in the shell at once;
    with it, one at a time, so nothing runs after a failure (but teardown). A snippet naming an image the
    cluster cannot get fails at once at that line (instead of waiting out an ImagePullBackOff)."""
    blocked = {id(s): images_mod.missing(s, available) for s in snippets if s.skip is None and available}
    blocked = {k: v for k, v in blocked.items() if v}
    runnable = [s for s in snippets if s.skip is None and id(s) not in blocked]
    batches = [(_steps(s), s.timeout or default_timeout) for s in runnable]
    outcomes = iter(()) if fail_fast else session.run_batches(batches)
    stopped, k = False, -1
    for snippet in snippets:
        if snippet.skip is not None:
            yield SnippetResult(snippet, "skip", reason=snippet.skip or "skip")
            continue
        if id(snippet) in blocked:
            result = _kept(_image_failure(snippet, blocked[id(snippet)]), keep)
            stopped = stopped or (fail_fast and result.status == "fail")
            yield result
            continue
        k += 1
        steps, timeout = batches[k]
        if stopped and snippet.role != "teardown":
            yield SnippetResult(snippet, "skip", reason="not run (--fail-fast)")
            continue
        got = session.run_steps(steps, timeout) if fail_fast else next(outcomes)
        result = _kept(_verdict(snippet, got, masks, timeout), keep)
        stopped = stopped or (fail_fast and result.status == "fail")
        yield result


def _kept(result: SnippetResult, keep: Keep) -> SnippetResult:
    """The result after the one finding filter (its failures are findings D801-D805 at their lines)."""
    if keep is None or not result.failures:
        return result
    return verdict_mod.filtered(result, keep(verdict_mod.diagnostics(result)))


def _image_failure(snippet: snip_mod.Snippet, missing: list[images_mod.Missing]) -> SnippetResult:
    from ..localcluster import images

    first = missing[0]
    command = first.command._replace(line=first.line)
    return SnippetResult(snippet, "fail", (CommandResult(command, Outcome(None, "", 0.0), None, "image-unavailable",
                                                          images.unavailable_message(first.image)),))


def _steps(snippet: snip_mod.Snippet) -> list[Step]:
    interactive = any(c.interactive for c in snippet.commands) or snippet.pty
    steps = []
    for command in snippet.commands:
        pty = snippet.pty or command.interactive
        steps.append(Step(command.text, snippet.stdin if (pty or not interactive) else None, pty))
    return steps


def _verdict(snippet: snip_mod.Snippet, outcomes, masks: Masks, timeout: float) -> SnippetResult:
    last = len(snippet.commands) - 1
    done = [judge(snippet, c, o, masks, i == last, timeout)
            for i, (c, o) in enumerate(zip(snippet.commands, outcomes))]
    status = "fail" if any(c.failure for c in done) else "pass"
    return SnippetResult(snippet, status, tuple(done), sum(o.seconds for o in outcomes))
