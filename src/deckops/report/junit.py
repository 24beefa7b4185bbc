"""JUnit XML for `deckops rehearse`: one testcase per snippet, failures carry the diff."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Sequence

from ..files import write_atomic

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0


def _clean(text: str) -> str:
    return _ILLEGAL.sub("?", text)


def testcase_name(result) -> str:
    return _clean(result.snippet.label)


def _case(result, classname: str) -> ET.Element:
    s = result.snippet
    case = ET.Element("testcase", classname=classname, name=testcase_name(result), time=f"{result.seconds:.3f}",
                      file=s.deck, line=str(s.commands[0].line if s.commands else s.fence_line))
    if result.status == "skip":
        ET.SubElement(case, "skipped", message=_clean(result.reason))
    elif result.status == "fail":
        first = result.failures[0]
        fail = ET.SubElement(case, "failure", type=first.failure, message=_clean(first.message))
        fail.text = _clean(result.failure_text())
    output = "".join(f"$ {c.command.shown}\n{c.outcome.output}" for c in result.commands)
    if output:
        ET.SubElement(case, "system-out").text = _clean(output)
    return case


def _suite(deck, results) -> ET.Element:
    count = {k: sum(r.status == k for r in results) for k in ("fail", "skip")}
    suite = ET.Element("testsuite", name=_clean(deck.path), tests=str(len(results)), failures=str(count["fail"]),
                       errors="0", skipped=str(count["skip"]), time=f"{sum(r.seconds for r in results):.3f}")
    classname = Path(deck.path).stem
    suite.extend(_case(r, classname) for r in results)
    return suite


def render(runs: Sequence[tuple]) -> str:
    """runs: (Deck, [SnippetResult]) per deck."""
    root = ET.Element("testsuites", name="deckops rehearse")
    root.extend(_suite(deck, results) for deck, results in runs)
    for key in ("tests", "failures", "skipped"):
        root.set(key, str(sum(int(s.get(key)) for s in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(path: Path, runs: Sequence[tuple]) -> None:
    write_atomic(Path(path), render(runs).encode("utf-8"))
