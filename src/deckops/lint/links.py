"""Remote link checks for broken-link under --online: HEAD (then GET) with timeouts and an on-disk cache."""
from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from .. import files
from .engine import Context, Finding

TIMEOUT = 5.0
TTL_OK = 24 * 3600
TTL_FAILED = 3600
USER_AGENT = "deckops-link-check/0.1"


def _cache_path():
    return files.CACHE_HOME / "links.json"


def _load() -> dict:
    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _fresh(entry, now: float) -> bool:
    if not isinstance(entry, list) or len(entry) != 3:
        return False
    ok, _, stamp = entry
    return now - stamp < (TTL_OK if ok else TTL_FAILED)


def probe(url: str) -> tuple[bool, str]:
    """(reachable, reason) for one URL; never raises."""
    for method in ("HEAD", "GET"):
        req = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
                return True, f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            if method == "HEAD" and exc.code in (403, 405, 501):
                continue  # some servers refuse HEAD only
            return exc.code < 400, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return False, str(getattr(exc, "reason", exc))
    return False, "no answer"


# demo addresses in talks point at the speaker's laptop or cluster, not at the internet
_DEMO_HOSTS = re.compile(r"^(localhost|0\.0\.0\.0|example\.(com|org|net))$|\.(localhost|local|svc|internal|example)$",
                         re.I)


def _demo(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    return bool(_DEMO_HOSTS.search(host)) or host.endswith(".cluster.local")


def check_remote(ctx: Context, links):
    links = [l for l in links if not _demo(l.href)]
    cache, now = _load(), time.time()
    todo = sorted({l.href for l in links if not _fresh(cache.get(l.href), now)})
    if todo:
        with ThreadPoolExecutor(max_workers=8) as pool:
            for url, (ok, reason) in zip(todo, pool.map(probe, todo)):
                cache[url] = [ok, reason, now]
        files.write_atomic(_cache_path(), json.dumps(cache, indent=0, sort_keys=True).encode())
    for link in links:
        ok, reason, _ = cache[link.href]
        if not ok:
            yield Finding(link.line, link.col, f"link `{link.href}` is not reachable ({reason})",
                          "fix or remove the link; results are cached for an hour")
