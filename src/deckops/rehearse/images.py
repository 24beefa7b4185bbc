"""Which container images a snippet names, and the one failure for those a local node cannot get (pure)."""
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
