"""What the installed kubectl accepts, read from its own help output; parsed lazily, cached per kubectl version."""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .. import files, proc

HELP_TIMEOUT = 20.0
FORMAT = 3  # bump when the parsed shape changes: older cache files are re-read from kubectl
_CMD_LINE = re.compile(r"^  ([a-z][\w-]*)\s{2,}\S")
_FLAG_LINE = re.compile(r"^\s+(?:-(\w), )?--([\w-]+)=(.*):\s*$")
_SAFE = re.compile(r"[^\w.+-]")


@dataclass(frozen=True)
class Slot:
    """One required piece of a usage line: a positional argument, or one of some flags."""

    label: str
    positional: bool
    flags: frozenset[str] = frozenset()


def resolve_binary(configured: str = "") -> str | None:
    """Config `kubectl`, then the kubectl deckops built (localcluster), then `kubectl` on PATH."""
    if configured:
        return configured if Path(configured).is_file() else shutil.which(configured)
    try:
        from ..localcluster import kubectl_path

        built = kubectl_path()
    except Exception:  # noqa: BLE001 - the cluster module is optional here: any failure means "not built"
        built = None
    return str(built) if built else shutil.which("kubectl")


def parse_flags(text: str) -> dict[str, dict]:
    """`    -n, --namespace='':` lines -> {"namespace": {"short": "n", "value": True}}."""
    flags = {}
    for line in text.splitlines():
        m = _FLAG_LINE.match(line)
        if m:
            flags[m.group(2)] = {"short": m.group(1) or "", "value": m.group(3) not in ("false", "true")}
    return flags


def _section(text: str, title: str) -> list[str]:
    lines = text.splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == title)
    except StopIteration:
        return []
    out = []
    for line in lines[start + 1:]:
        if line and not line[0].isspace():
            break
        out.append(line)
    return out


def parse_commands(lines: list[str]) -> list[str]:
    return [m.group(1) for m in map(_CMD_LINE.match, lines) if m]


def parse_root(text: str) -> dict:
    commands, plugins, in_plugins = [], [], False
    for line in text.splitlines():
        if line and not line.startswith(" "):
            in_plugins = line.strip().startswith("Subcommands provided by plugins")
            continue
        m = _CMD_LINE.match(line)
        if m:
            (plugins if in_plugins else commands).append(m.group(1))
    return {"commands": sorted(set(commands)), "plugins": sorted(set(plugins))}


def parse_command(text: str, path: str) -> dict:
    usage = next((l.strip() for l in _section(text, "Usage:") if l.strip()), "")
    aliases = next((l.strip() for l in _section(text, "Aliases:") if l.strip()), "")
    if not aliases:  # kubectl prints the aliases flush left on the next line
        lines = text.splitlines()
        idx = next((i for i, l in enumerate(lines) if l.strip() == "Aliases:"), None)
        aliases = lines[idx + 1].strip() if idx is not None and idx + 1 < len(lines) else ""
    return {
        "aliases": [a.strip() for a in aliases.split(",") if a.strip()],
        "usage": usage,
        "flags": parse_flags("\n".join(_section(text, "Options:"))),
        "subcommands": sorted(parse_commands(_section(text, "Available Commands:"))),
        "slots": [s.__dict__ | {"flags": sorted(s.flags)} for s in _trusted(usage_slots(usage, path), text, path)],
    }


def _trusted(slots: list[Slot], text: str, path: str) -> list[Slot]:
    """A flag the usage line shows as required stays required only if every example uses it:
    `create job NAME --image=image` has an example with `--from` instead."""
    examples = [l.strip() for l in _section(text, "Examples:") if l.strip().startswith(f"kubectl {path} ")]
    return [s for s in slots if s.positional or not examples or
            all(any(f in e.split() or any(w.startswith(f + "=") for w in e.split()) for f in s.flags)
                for e in examples)]


# --- usage lines --------------------------------------------------------------------------------------

def _drop_optional(text: str) -> str:
    """Remove top-level [...] groups; inside (...) they are alternatives and stay."""
    out, depth, parens = [], 0, 0
    for ch in text:
        if ch == "[" and parens == 0:
            depth += 1
        elif ch == "]" and parens == 0 and depth:
            depth -= 1
        elif depth == 0:
            parens += (ch == "(") - (ch == ")")
            out.append(ch)
    return "".join(out)


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        depth += ch in "([" and 1 or (ch in ")]" and -1 or 0)
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _group_slot(group: str) -> Slot:
    alts = [a.strip().strip("[]").strip() for a in _split_top(group[1:-1], "|")]
    flags = {a.split()[0].split("=")[0] for a in alts if a.startswith("-")}
    positional = any(a and not a.startswith("-") for a in alts)
    return Slot(" | ".join(alts), positional, frozenset(flags))


def usage_slots(usage: str, path: str) -> list[Slot]:
    """Required pieces of `kubectl PATH ...` before `--`: `(POD | TYPE/NAME)` -> one positional slot."""
    rest = usage.split(path, 1)[1] if path and path in usage else usage.partition(" ")[2]
    rest = _drop_optional(rest.split(" -- ", 1)[0])
    slots, skip = [], False
    for token in _tokens(rest):
        if skip:
            skip = False
            continue
        if token.startswith("("):
            slots.append(_group_slot(token))
        elif token.startswith("-") and token != "--":
            name = token.split("=")[0]
            # usage lines also show optional short flags as if required (`attach ... -c CONTAINER`):
            # trust only file inputs and `--flag=VALUE` forms (`run --image=image`)
            if name in ("-f", "-k") or (name.startswith("--") and "=" in token):
                slots.append(Slot(token, False, frozenset({name})))
            else:
                skip = "=" not in token
        elif token in ("--", "SUBCOMMAND") or "..." in token or re.search(r"_N(\b|=|_)", token):
            continue  # `KEY_N=VAL_N`: the optional repetitions after `...`
        elif token.isupper() or token.startswith("<") or "/" in token or "_" in token or token[:1].isupper():
            slots.append(Slot(token, True))
    return _merge_flag_values(slots)


def _merge_flag_values(slots: list[Slot]) -> list[Slot]:
    """`-f FILENAME` is one slot, not a flag slot and a positional one."""
    out: list[Slot] = []
    for s in slots:
        if s.positional and out and not out[-1].positional and "=" not in out[-1].label and \
                out[-1].label.startswith("-") and " " not in out[-1].label:
            out[-1] = Slot(f"{out[-1].label} {s.label}", False, out[-1].flags)
            continue
        out.append(s)
    return out


def _tokens(text: str) -> list[str]:
    tokens, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == " " and depth == 0:
            if cur:
                tokens.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if cur:
        tokens.append("".join(cur))
    return tokens


# --- the cache ---------------------------------------------------------------------------------------

class KubectlHelp:
    """Help data of one kubectl binary; fetches `kubectl PATH --help` on first use and saves it per version."""

    def __init__(self, binary: str):
        self.binary = binary
        self.version = self._version()
        self.path = files.CACHE_HOME / "kubectl-help" / f"{_SAFE.sub('_', self.version)}.json"
        self.data = self._load()
        self.dirty = False

    def _run(self, *args: str) -> str:
        res = proc.run([self.binary, *args], timeout=HELP_TIMEOUT, env=_env(), check=False)
        return res.stdout

    def _version(self) -> str:
        out = self._run("version", "--client")
        first = next((l for l in out.splitlines() if l.strip()), "")
        return first.split(":", 1)[-1].strip() or "unknown"

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("version") == self.version and data.get("format") == FORMAT:
                return data
        except (OSError, ValueError):
            pass
        return {"version": self.version, "format": FORMAT, "commands": {}}

    def root(self) -> dict:
        if "root" not in self.data:
            root = parse_root(self._run("--help"))
            if not root["commands"]:
                raise proc.ToolError([self.binary, "--help"], "its help lists no commands: not a working kubectl")
            self.data["root"] = root
            self.dirty = True
        return self.data["root"]

    def global_flags(self) -> dict:
        if "options" not in self.data:
            self.data["options"] = parse_flags(self._run("options"))
            self.dirty = True
        return self.data["options"]

    def command(self, path: tuple[str, ...]) -> dict:
        key = " ".join(path)
        if key not in self.data["commands"]:
            self.data["commands"][key] = parse_command(self._run(*path, "--help"), key)
            self.dirty = True
        return self.data["commands"][key]

    def subcommand(self, path: tuple[str, ...], word: str) -> str | None:
        """The subcommand of PATH that WORD names, also through its aliases (`top pods` -> `top pod`)."""
        subs = self.command(path)["subcommands"]
        if word in subs:
            return word
        for sub in subs:
            if word in self.command((*path, sub)).get("aliases", ()):
                return sub
        return None

    def save(self) -> None:
        if self.dirty:
            files.write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True).encode())
            self.dirty = False


def prefetch(binary: str, words) -> KubectlHelp:
    """A helper holding what checking `kubectl WORD ...` lines asks for first: the root help, the global
    flags and the help of each WORD that is a kubectl command (lint starts this before the deck is parsed)."""
    helper = KubectlHelp(binary)
    commands = helper.root()["commands"]
    helper.global_flags()
    for word in words:
        if word in commands:
            helper.command((word,))
    return helper


def _env() -> dict:
    import os

    # help output must not depend on a user's kubeconfig or colour settings
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    return keep | {"KUBECONFIG": os.devnull}


def slots_of(cmd: dict) -> list[Slot]:
    return [Slot(s["label"], s["positional"], frozenset(s["flags"])) for s in cmd.get("slots", [])]
