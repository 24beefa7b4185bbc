"""`deckops merge`: the reports of CI shards (SARIF, deckops JSON, JUnit) joined into one of the same kind."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Literal

from .errors import UsageError

Kind = Literal["sarif", "json", "junit"]


def detect(name: str, text: str) -> tuple[Kind, object]:
    """The report's kind and its parsed document; a file of no known kind is a one-line usage error."""
    stripped = text.lstrip()
    if stripped.startswith("<"):
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise UsageError(f"{name}: not valid XML ({exc})") from None
        if root.tag in ("testsuites", "testsuite"):
            return "junit", root
        raise UsageError(f"{name}: XML but not JUnit (root element <{root.tag}>)")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{name}: neither JSON nor XML ({exc})") from None
    if isinstance(doc, dict) and isinstance(doc.get("runs"), list):
        return "sarif", doc
    if isinstance(doc, dict) and isinstance(doc.get("diagnostics"), list) and isinstance(doc.get("summary"), dict):
        return "json", doc
    raise UsageError(f"{name}: not a deckops SARIF, JSON or JUnit report")


def merge(named: list[tuple[str, str]]) -> tuple[Kind, str, bool]:
    """(kind, merged text, whether it holds errors or failures) of reports given as (name, text)."""
    if not named:
        raise UsageError("deckops merge: give the shard reports to merge")
    parsed = [detect(name, text) for name, text in named]
    kinds = {k for k, _ in parsed}
    if len(kinds) > 1:
        raise UsageError(f"deckops merge: cannot mix {', '.join(sorted(kinds))} reports")
    kind = kinds.pop()
    text, failed = MERGERS[kind]([doc for _, doc in parsed])
    return kind, text, failed


def _sarif(docs: list[dict]) -> tuple[str, bool]:
    runs = [run for doc in docs for run in doc["runs"]]
    rules = {r["id"]: r for run in runs for r in run.get("tool", {}).get("driver", {}).get("rules", [])}
    ordered = [rules[k] for k in sorted(rules)]
    index = {r["id"]: i for i, r in enumerate(ordered)}
    results = []
    for run in runs:
        for res in run.get("results", []):
            results.append({**res, "ruleIndex": index[res["ruleId"]]} if res.get("ruleId") in index else res)
    results.sort(key=_sarif_key)
    first = runs[0] if runs else {"tool": {"driver": {"name": "deckops"}}}
    driver = {**first["tool"]["driver"], "rules": ordered}
    merged = {**docs[0], "runs": [{**first, "tool": {**first["tool"], "driver": driver}, "results": results}]}
    failed = any(r.get("level") == "error" for r in results)
    return json.dumps(merged, indent=2, ensure_ascii=False) + "\n", failed


def _sarif_key(res: dict):
    loc = (res.get("locations") or [{}])[0].get("physicalLocation", {})
    region = loc.get("region", {})
    return (loc.get("artifactLocation", {}).get("uri", ""), region.get("startLine", 0),
            region.get("startColumn", 0), res.get("ruleId", ""))


def _json(docs: list[dict]) -> tuple[str, bool]:
    diags = sorted((d for doc in docs for d in doc["diagnostics"]),
                   key=lambda d: (d.get("path", ""), d.get("line", 0), d.get("column", 0), d.get("code", "")))
    keys = dict.fromkeys(k for doc in docs for k in doc["summary"])
    summary = {k: sum(int(doc["summary"].get(k, 0)) for doc in docs) for k in keys}
    merged = {**docs[0], "diagnostics": diags, "summary": summary}
    return json.dumps(merged, indent=2, ensure_ascii=False) + "\n", summary.get("errors", 0) > 0


def _junit(roots: list[ET.Element]) -> tuple[str, bool]:
    suites = [s for r in roots for s in ([r] if r.tag == "testsuite" else r.findall("testsuite"))]
    suites.sort(key=lambda s: s.get("name", ""))
    top = ET.Element("testsuites", name=next((r.get("name") for r in roots if r.get("name")), "deckops"))
    top.extend(suites)
    for key in ("tests", "failures", "errors", "skipped"):
        top.set(key, str(sum(int(s.get(key, 0) or 0) for s in suites)))
    top.set("time", f"{sum(float(s.get('time', 0) or 0) for s in suites):.3f}")
    ET.indent(top)
    failed = int(top.get("failures")) + int(top.get("errors")) > 0
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode") + "\n", failed


MERGERS = {"sarif": _sarif, "json": _json, "junit": _junit}
