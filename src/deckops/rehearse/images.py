"""What a snippet needs from the cluster's nodes: the images it names (a local real node has only those built
offline) and running containers (kwok's fake nodes run none) (pure)."""
from __future__ import annotations

import re
from typing import Callable, Iterator, NamedTuple

from .snippets import Command, Snippet

# kubectl run/debug/create --image X, --image=X; debug --set-image=c=X,d=Y; `image: X` in applied YAML
_FLAG = re.compile(r"--image[= ]\s*['\"]?([^\s'\"]+)")
_SET_IMAGE = re.compile(r"--set-image[= ]\s*['\"]?([^\s'\"]+)")
_YAML = re.compile(r"^\s*-?\s*image:\s*['\"]?([^\s'\"#]+)", re.M)


class Missing(NamedTuple):
    command: Command
    line: int  # the file line that names the image
    image: str


def named(command: Command) -> Iterator[tuple[int, str]]:
    """(file line, image) for every image a kubectl command names (its heredoc included)."""
    if "kubectl" not in command.text:
        return
    text = command.text
    found = [(m.start(1), m.group(1)) for m in _FLAG.finditer(text)]
    found += [(m.start(1), ref.split("=", 1)[1]) for m in _SET_IMAGE.finditer(text)
              for ref in m.group(1).split(",") if "=" in ref]
    found += [(m.start(1), m.group(1)) for m in _YAML.finditer(text)]
    for offset, image in sorted(found):
        if "$" not in image:  # a shell variable: not known before it runs
            yield command.line + text.count("\n", 0, offset), image


def missing(snippet: Snippet, available: Callable[[str], bool]) -> list[Missing]:
    return [Missing(c, line, image) for c in snippet.commands for line, image in named(c) if not available(image)]


# kubectl commands that need a container to run: exec, attach, port-forward, cp, and debug -it (attaches to it)
_RUNS = re.compile(r"\bkubectl\s+(?:[^|;&]*\s)?(?:exec|attach|port-forward|cp)\s")
_DEBUG_IT = re.compile(r"\bkubectl\s+debug\b[^|;&]*\s(?:-it|-ti|--tty|-i)\b")


def needs_containers(snippet: Snippet) -> str | None:
    """The first command that needs a running container, as shown on the slide, or None."""
    for command in snippet.commands:
        if _RUNS.search(command.text + " ") or _DEBUG_IT.search(command.text):
            return command.shown
    return None
