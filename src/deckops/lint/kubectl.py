"""D403: kubectl invocations in code blocks checked against the installed kubectl's own help."""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from .. import proc
from ..helpers import did_you_mean
from .kubectl_help import KubectlHelp, resolve_binary, slots_of
from .engine import Context, Finding
from . import perslide
from .snippets import bad_lines, script_parts, shell_scripts

KNOWN_PLUGINS = frozenset({
    "krew", "gadget", "ns", "ctx", "neat", "tree", "view-secret", "images", "who-can", "access-matrix",
    "konfig", "oidc-login", "stern", "tail", "trace", "sniff", "node-shell", "df-pv", "resource-capacity",
    "cnpg", "rbac-tool", "score", "kyverno", "virt", "cert-manager", "cilium", "hns", "ingress-nginx",
    "minio", "directpv", "kuttl", "slice", "split-yaml", "whoami", "explore", "fuzzy", "get-all", "lineage",
    "modify-secret", "pexec", "rook-ceph", "sick-pods", "starboard", "tap", "tmux-exec", "view-allocations",
    "view-utilization", "graph", "kc", "kubesec-scan", "preflight", "support-bundle", "mtail", "deprecations",
    "outdated", "popeye", "np-viewer", "evict-pod", "blame", "example", "hello", "foo",
})
OPERATORS = frozenset({"|", "||", "&&", ";", "&", "(", ")", "|&", ";;"})
WRAPPERS = frozenset({"sudo", "time", "watch", "nohup", "env", "command", "exec", "xargs"})
# with these, the objects come from a file or a selector instead of positional names
FILE_INPUTS = frozenset({"--filename", "--kustomize", "--selector", "--all", "--raw"})
NO_POSITIONAL_CHECK = frozenset({"kustomize"})
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_HEREDOC = re.compile(r"<<-?\s*['\"]?([A-Za-z_][\w-]*)")


@dataclass
class Call:
    """One kubectl invocation: its words after `kubectl`, and where the command starts in the deck."""

    words: list[str]
    line: int
    col: int
    name: str  # as written: `kubectl`, `k`, ...
    source: str  # the logical line, to find word columns
    offset: int = 0  # where the command word starts in source


def start_usage(ctx: Context) -> None:
    """D403's prepare: kubectl's help is fetched (subprocesses) in a thread while the other rules run."""
    key = ("kubectl-usage", ctx.deck.path)
    if key not in ctx.cache:
        bad_lines(ctx)  # (bash -n) memoised here, so the thread only reads the shared cache
        script_parts(ctx)
        ctx.cache[key] = proc.background(lambda: list(_usage(ctx)))


def kubectl_usage(ctx: Context):
    running = ctx.cache.pop(("kubectl-usage", ctx.deck.path), None)
    yield from running.result() if running is not None else _usage(ctx)


def _usage(ctx: Context):
    binary = resolve_binary(ctx.config.kubectl)
    if binary is not None and script_parts(ctx) is not None:
        yield from _usage_by_slide(ctx, binary)
        return
    calls = list(_calls(ctx))
    if not calls:
        return
    if binary is None:
        yield Finding(calls[0].line, calls[0].col, "kubectl not found: kubectl commands were not checked",
                      "install kubectl, build it with `deckops cluster build`, or set `kubectl` in [tool.deckops]",
                      severity="info")
        return
    try:
        helper = _helper(ctx, binary)
        findings = [f for call in calls for f in _check(ctx, helper, call)]
        helper.save()
    except proc.ToolError as exc:  # a kubectl that hangs or cannot start: say so, do not crash the lint
        yield Finding(calls[0].line, calls[0].col, f"kubectl could not be queried ({exc.reason}): kubectl "
                      "commands were not checked", f"check `{binary} --help` by hand", severity="info")
        return
    yield from findings


def _usage_by_slide(ctx: Context, binary: str):
    """_usage slide by slide: a slide's findings are kept from the last lint while its scripts, kubectl, the
    aliases and plugins and the shell syntax errors are the same (perslide.py)."""
    parts, bad = script_parts(ctx), bad_lines(ctx)
    context = (binary, tuple(sorted(ctx.config.aliases.items())), tuple(ctx.config.plugins), tuple(sorted(bad.items())))
    helper: list[KubectlHelp] = []  # made on first use (it runs kubectl)
    failed: list[proc.ToolError] = []

    def slide(c: Context, span) -> list[Finding] | None:
        calls = list(_calls_in(c, parts[span[0].index - 1], bad))
        if not calls or failed:
            return [] if calls == [] else None
        try:
            if not helper:
                helper.append(_helper(c, binary))
            return [f for call in calls for f in _check(c, helper[0], call)]
        except proc.ToolError as exc:  # a kubectl that hangs or cannot start: say so, do not crash the lint
            failed.append(exc)
            return None

    found = perslide.each(ctx, "kubectl-usage", slide, context, perslide.findings_moved)
    if failed:  # one finding, at the deck's first call; nothing kept for the next lint
        perslide.forget(ctx, "kubectl-usage")
        first = next(c for part in parts for c in _calls_in(ctx, part, bad))
        yield Finding(first.line, first.col, f"kubectl could not be queried ({failed[0].reason}): kubectl "
                      "commands were not checked", f"check `{binary} --help` by hand", severity="info")
        return
    if helper:
        helper[0].save()
    for part in found:
        yield from part


def _helper(ctx: Context, binary: str) -> KubectlHelp:
    key = ("kubectl-help", binary)
    if key not in ctx.cache:
        early = ctx.cache.pop(("kubectl-help-early", binary), None)  # see early.py
        helper = None
        if early is not None:
            try:
                helper = early.result()
            except Exception:  # noqa: BLE001 - a broken kubectl: asked again below, so the finding names it
                pass
        ctx.cache[key] = helper or KubectlHelp(binary)
    return ctx.cache[key]


# --- finding kubectl calls in scripts -------------------------------------------------------------------

def _logical_lines(script):
    """(text, deck line, deck col) per logical line: `\\` continuations joined, heredoc bodies skipped."""
    rows = script.text.split("\n")
    i, heredoc = 0, None
    while i < len(script.lines):
        text, start = rows[i], i
        if heredoc is not None:
            heredoc = None if text.strip() == heredoc else heredoc
            i += 1
            continue
        while text.rstrip().endswith("\\") and i + 1 < len(script.lines):
            i += 1
            text = text.rstrip()[:-1] + " " + rows[i]
        m = _HEREDOC.search(text)
        heredoc = m.group(1) if m else None
        line, col = script.pos(start + 1, len(rows[start]) - len(rows[start].lstrip()) + 1)
        yield text, line, col
        i += 1


_TOKEN = re.compile(r"""\|\||&&|;;|\|&|[|;&()]|\d*[<>]+&?-?\d*|(?:[^\s'"\\|;&()<>]+|'[^']*'|"(?:[^"\\]|\\.)*"|\\.)+""")
_UNQUOTE = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)""")


def _words(text: str) -> list[str] | None:
    """Shell words and operators (quotes removed); None when quotes do not balance."""
    text = re.sub(r"(^|\s)#.*$", "", text)
    tokens, end = [], 0
    for m in _TOKEN.finditer(text):
        if text[end:m.start()].strip():
            return None  # something no token matched: an unbalanced quote
        tokens.append(m.group(0))
        end = m.end()
    if text[end:].strip():
        return None
    return [_UNQUOTE.sub(lambda m: m.group(1) if m.group(1) is not None else (
        m.group(2) if m.group(2) is not None else m.group(3)), t) for t in tokens]


def _simple_commands(text: str):
    tokens = _words(text)
    if tokens is None:
        return  # unbalanced quotes: shell-syntax reports it
    cmd: list[str] = []
    for tok in tokens:
        if tok in OPERATORS:
            if cmd:
                yield cmd
            cmd = []
        else:
            cmd.append(tok)
    if cmd:
        yield cmd


_REDIRECT = re.compile(r"\d*[<>]+&?-?\d*")


def _strip_redirects(words: list[str]) -> list[str]:
    """Drop `> file`, `2>&1`, `<<EOF` and the like: they are not arguments."""
    out, skip = [], False
    for w in words:
        if skip:
            skip = False
        elif _REDIRECT.fullmatch(w):
            skip = not ("&" in w and not w.endswith("&"))  # `2>&1` carries its target
        else:
            out.append(w)
    return out


def _program(words: list[str]) -> int:
    """Index of the program word: skip env assignments and wrappers like sudo/watch."""
    i = 0
    while i < len(words) and (_ASSIGN.match(words[i]) or words[i] in WRAPPERS or
                              (i > 0 and words[i - 1] in WRAPPERS and words[i].startswith("-"))):
        i += 1
    return i


def _calls(ctx: Context):
    yield from _calls_in(ctx, shell_scripts(ctx), bad_lines(ctx))


def _calls_in(ctx: Context, scripts, bad: dict):
    """The kubectl calls of these scripts (`bad`: snippets.bad_lines)."""
    aliases = dict(ctx.config.aliases)
    names = re.compile(r"(?<![\w-])(?:kubectl|" + "|".join(map(re.escape, sorted(aliases))) + r")(?![\w-])")
    for script in scripts:
        at = bad.get((script.text, script.bash))
        bad_line = script.pos(at)[0] if at is not None else None
        for text, line, col in _logical_lines(script):
            if line == bad_line or not names.search(text):
                continue  # no kubectl here (shlex is slow), or shell-syntax reports the line
            cursor = 0
            for words in _simple_commands(text):
                words = _strip_redirects(words)
                i = _program(words)
                if i >= len(words):
                    continue
                prog = words[i].rsplit("/", 1)[-1]
                expansion = shlex.split(aliases[prog]) if prog in aliases else [prog]
                if expansion[0].rsplit("/", 1)[-1] != "kubectl":
                    continue
                pos = text.find(words[i], cursor)
                cursor = max(pos, cursor) + 1
                yield Call(expansion[1:] + words[i + 1:], line, col + max(pos, 0) - _lead(text), words[i], text,
                           max(pos, 0))


def _lead(text: str) -> int:
    return len(text) - len(text.lstrip())


# --- checking one call ------------------------------------------------------------------------------

@dataclass
class _Parsed:
    path: list[str]
    spec: dict | None
    positional: list[str]
    seen: set[str]
    bad: list[str]
    unknown: str | None = None  # a subcommand kubectl does not have


def _walk(helper: KubectlHelp, words: list[str]) -> _Parsed:
    """Follow words down kubectl's command tree, consuming flags (and their values) on the way."""
    p = _Parsed([], None, [], set(), [])
    globals_, root, i = helper.global_flags(), helper.root(), 0
    while i < len(words) and words[i] != "--":
        w = words[i]
        if w.startswith("-") and w != "-":
            i = _flag(words, i, _all_flags(globals_, p.spec), p.seen, p.bad)
            continue
        if p.spec is None and w not in root["commands"]:
            p.unknown = w
            return p
        sub = helper.subcommand(tuple(p.path), w) if p.spec and p.spec["subcommands"] and not p.positional else None
        if p.spec is None or sub:
            p.path.append(sub or w)
            p.spec = helper.command(tuple(p.path))
        else:
            p.positional.append(w)
        i += 1
    if p.spec is not None:  # cobra reads flags after finding the command: judge them by the final one
        final = _all_flags(globals_, p.spec)
        shorts = {v["short"] for v in final.values() if v["short"]}
        known = [f for f in p.bad if f[2:] in final or (len(f) == 2 and f[1] in shorts)]
        p.seen.update(known)
        p.bad = [f for f in p.bad if f not in known]
    return p


def _check(ctx: Context, helper: KubectlHelp, call: Call):
    p = _walk(helper, call.words)
    if p.unknown is not None:
        yield from _unknown_command(ctx, call, p.unknown, helper.root())
        return
    if p.spec is None:
        return  # bare `kubectl` or only global flags: prints help
    name = "kubectl " + " ".join(p.path)
    for flag in p.bad:
        yield _flag_finding(call, name, flag, _all_flags(helper.global_flags(), p.spec))
    yield from _required(call, name, p.spec, p.positional, p.seen)


def _all_flags(globals_: dict, spec: dict | None) -> dict:
    return {**globals_, **(spec["flags"] if spec else {})}


def _flag(words: list[str], i: int, known: dict, seen: set, bad: list) -> int:
    """Consume one flag word (and its value); unknown flags go to `bad`. Returns the next index."""
    w = words[i]
    if w.startswith("--"):
        name, has_value = w[2:].split("=", 1)[0], "=" in w
        spec = known.get(name)
        if spec is None:
            bad.append(w.split("=", 1)[0])
            return i + 1
        seen.add("--" + name)
        if spec["short"]:
            seen.add("-" + spec["short"])
        return i + (2 if spec["value"] and not has_value else 1)
    shorts = {v["short"]: (k, v) for k, v in known.items() if v["short"]}
    for j, letter in enumerate(w[1:]):
        if letter not in shorts:
            bad.append("-" + letter)
            return i + 1
        long_name, spec = shorts[letter]
        seen.update({"-" + letter, "--" + long_name})
        if spec["value"]:
            return i + (1 if w[j + 2:] else 2)
    return i + 1


def _flag_finding(call: Call, name: str, flag: str, known: dict) -> Finding:
    line, col = _word_pos(call, flag)
    longs = {"--" + k for k in known}
    guess = did_you_mean(flag, longs) if flag.startswith("--") else None
    return Finding(line, col, f"`{name}` has no flag `{flag}` (per kubectl's own help)",
                   f"did you mean `{guess}`?" if guess else f"see `{name} --help` for its flags")


def _word_pos(call: Call, word: str) -> tuple[int, int]:
    start = call.offset
    idx = call.source.find(word, start)
    return call.line, call.col + (idx - start if idx >= 0 else 0)


def _unknown_command(ctx: Context, call: Call, word: str, root: dict):
    plugins = set(root.get("plugins", ())) | KNOWN_PLUGINS | set(ctx.config.plugins)
    if word in plugins:
        return
    line, col = _word_pos(call, word)
    guess = did_you_mean(word, root["commands"])
    yield Finding(line, col, f"`kubectl {word}`: unknown command (not in kubectl's help, and not a known plugin)",
                  f"did you mean `kubectl {guess}`?" if guess else
                  "fix the command, or add the plugin to `plugins` in [tool.deckops]")


def _required(call: Call, name: str, spec: dict, positional: list[str], seen: set):
    if any(f in seen for f in FILE_INPUTS):
        return
    if spec["subcommands"] and "SUBCOMMAND" in spec["usage"]:
        yield Finding(call.line, call.col, f"`{name}` needs a subcommand",
                      f"one of: {', '.join(spec['subcommands'][:12])}")
        return
    slots = slots_of(spec)
    missing_flags = [s for s in slots if not s.positional and not (s.flags & seen)]
    needed = [s for s in slots if s.positional and not (s.flags & seen)]
    for s in missing_flags:
        yield Finding(call.line, call.col, f"`{name}` is missing the required `{s.label}`",
                      f"usage: {spec['usage']}")
    if needed and len(positional) < len(needed) and name.split()[-1] not in NO_POSITIONAL_CHECK:
        first = needed[len(positional)]
        yield Finding(call.line, call.col, f"`{name}` is missing its {_first_alt(first.label)} argument",
                      _example(name, call, spec["usage"]))


def _first_alt(label: str) -> str:
    return label.split("|")[0].strip().split()[0]


def _example(name: str, call: Call, usage: str) -> str:
    if name == "kubectl debug":
        image = next((w for w in call.words if w.startswith("--image")), "--image=busybox")
        return f"name the pod to attach to: `kubectl debug POD {image} -it --target=CONTAINER`"
    return f"usage: {usage}"
