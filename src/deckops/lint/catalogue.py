"""The rule catalogue of every stage: lint's rules (registry.py) and the findings made outside lint's engine by
marp-cli's run (render), the browser checks (check) and the snippets' verdicts (rehearse); and the one validator
of rule names in config and on the command line. The finding filter that uses it is findings.py."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..config import Config, ConfigError, Problem
from ..diagnostic import Severity
from ..errors import UsageError
from ..helpers import did_you_mean

Stage = Literal["lint", "render", "check", "rehearse"]
FAMILIES = {"D0": "parse", "D1": "directives", "D2": "structure", "D3": "assets", "D4": "snippets",
            "D5": "prose", "D6": "rendered", "D7": "audience", "D8": "rehearse"}


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    severity: Severity
    summary: str
    stage: Stage

    @property
    def family(self) -> str:
        return FAMILIES.get(self.code[:2], "other")


# findings made outside lint's rules: by marp-cli's run (render) and by the browser checks (check)
STAGE_RULES = {
    "D601": Entry("D601", "overflow", "error", "content past the slide's edge, measured in Chromium", "check"),
    "D602": Entry("D602", "image-not-rendered", "error", "an image that failed to load in the rendered slide",
                  "check"),
    "D603": Entry("D603", "marp-warning", "warning", "a warning marp-cli printed while rendering", "render"),
    "D604": Entry("D604", "html-enabled", "warning", "`html = true`: what the deck's HTML may now do", "render"),
    "D605": Entry("D605", "emoji-offline", "info", "emoji are twemoji images from a CDN the check could not reach",
                  "check"),
    # a snippet's verdict (rehearse/verdict.py FAILURE_RULES takes these names), at the line of the command on the slide
    "D801": Entry("D801", "stale-output", "error", "a command printed something else than the slide shows",
                  "rehearse"),
    "D802": Entry("D802", "exit-status", "error", "a command exited with another status than expected", "rehearse"),
    "D803": Entry("D803", "snippet-timeout", "error", "a command ran past its timeout and was killed", "rehearse"),
    "D804": Entry("D804", "shell-exited", "error", "a command ended the deck's shell", "rehearse"),
    "D805": Entry("D805", "image-unavailable", "error", "a snippet names an image the cluster cannot get",
                  "rehearse"),
}


def catalogue() -> dict[str, Entry]:
    from .registry import RULES

    lint = {c: Entry(r.code, r.name, r.severity, r.summary, "lint") for c, r in RULES.items()}
    return {**lint, **STAGE_RULES}


def _known(ident: str, entries) -> bool:
    from .engine import is_code

    return ident == "all" or any(ident in (e.name, e.code) or (is_code(ident) and e.code.startswith(ident))
                                 for e in entries)


def unknown_rules(idents, entries=None) -> list[tuple[str, str | None]]:
    """(entry, did-you-mean) for each rule name or code that names no rule."""
    if not idents:
        return []  # (no catalogue: it imports every rule, which a replayed lint never needs)
    entries = list((entries or catalogue()).values())
    names = [e.name for e in entries] + [e.code for e in entries]
    return [(i, did_you_mean(i, names, cutoff=0.6))
            for i in idents if not _known(i, entries)]


def problems(config: Config) -> list[Problem]:
    """Each misspelt rule in the config file, naming its key: an error (exit 2), not a silent no-op."""
    found = []
    for key, idents in (("select", config.select), ("ignore", config.ignore), ("severity", tuple(config.severity))):
        for ident, guess in unknown_rules(idents):
            found.append(Problem(config.source, key if key != "severity" else f"severity.{ident}",
                                 f"{ident!r} is no rule name or code" + (f"; did you mean {guess!r}?" if guess else
                                                                         "; `deckops rules` lists them"),
                                 "[tool.deckops]"))
    return found


def validate(config: Config) -> None:
    found = problems(config)
    if found:
        raise ConfigError(found)


def validate_args(option: str, idents) -> None:
    for ident, guess in unknown_rules(idents):
        raise UsageError(f"{option} {ident}: no such rule" + (f"; did you mean {guess!r}?" if guess else
                                                              "; `deckops rules` lists them"))
