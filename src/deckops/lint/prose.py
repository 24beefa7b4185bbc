"""D5xx: prose — what counts as prose on a line, glossary spellings and casings, and rare non-words one edit away
from a known term."""
from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from functools import lru_cache

from . import perslide
from .engine import Context, Finding

# wrong form -> right form; a key equal to its value only enforces that casing (any other casing is flagged)
GLOSSARY = {
    "Kubernetes": "Kubernetes", "K8S": "Kubernetes", "Kubernets": "Kubernetes", "Kubernates": "Kubernetes",
    "kubectl": "kubectl", "kube-ctl": "kubectl", "kube ctl": "kubectl",
    "Inspektor Gadget": "Inspektor Gadget", "Inspector Gadget": "Inspektor Gadget",
    "mirrord": "mirrord", "etcd": "etcd", "kubelet": "kubelet", "kube-proxy": "kube-proxy",
    "containerd": "containerd", "CRI-O": "CRI-O", "CoreDNS": "CoreDNS", "Helm": "Helm", "Istio": "Istio",
    "Linkerd": "Linkerd", "Prometheus": "Prometheus", "Grafana": "Grafana", "Cilium": "Cilium",
    "eBPF": "eBPF", "minikube": "minikube", "kubeadm": "kubeadm", "Kustomize": "Kustomize",
    "Argo CD": "Argo CD", "ArgoCD": "Argo CD", "GitHub": "GitHub", "GitLab": "GitLab", "YAML": "YAML",
    "OpenShift": "OpenShift", "Krew": "Krew", "Docker Desktop": "Docker Desktop",
}
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’-][^\W_]+)*")  # letters of any script: "Erklärung" is one word
# Each mask stops at the next character that could open another match, so a line of thousands of unclosed
# `<a`, `](` or `<!--` is scanned once, not once per opener (tests/test_hostile.py measures the growth).
_MASKS = (
    re.compile(r"\]\([^()]*\)"),  # link/image targets
    re.compile(r"<[^>\s<][^><]*>"),  # HTML tags and autolinks
)
_BACKTICKS = re.compile(r"`+")


def _mask_code_and_comments(text: str) -> str:
    """Blank code spans (a run of backticks up to the next run of the same length) and `<!-- ... -->`."""
    if "`" in text:
        runs = list(_BACKTICKS.finditer(text))
        by_len: dict[int, list[int]] = defaultdict(list)
        for i, m in enumerate(runs):
            by_len[len(m.group(0))].append(i)
        spans, i = [], 0
        while i < len(runs):
            same = by_len[len(runs[i].group(0))]
            k = bisect.bisect_right(same, i)
            if k == len(same):
                i += 1  # no closing run of this length: the backticks are text
                continue
            spans.append((runs[i].start(), runs[same[k]].end()))
            i = same[k] + 1
        if spans:
            chars = list(text)
            for a, b in spans:
                chars[a:b] = " " * (b - a)
            text = "".join(chars)
    if "<!--" in text:
        end = text.rfind("-->")
        if end > text.find("<!--"):
            head = _COMMENT_SPAN.sub(_blank, text[:end + 3])
            text = head + text[end + 3:]
    return text


_COMMENT_SPAN = re.compile(r"<!--.*?-->")
_CHUNK = re.compile(r"\S+")
# URLs and file names, tested per whitespace-separated chunk (a regex over the line could backtrack badly)
_URLISH = re.compile(r"://|^www\.|\.(?:png|jpe?g|gif|svg|webp|md|ya?ml|json|sh|py|go|io|com|org|dev|net)\b", re.I)
MAX_WORD = 40


def prose_lines(ctx: Context) -> list[tuple[int, str]]:
    """(line number, text with code/URLs/HTML blanked out) for every line of prose (memoised per deck)."""
    key = ("prose", ctx.deck.path)
    if key not in ctx.cache:
        parts = prose_parts(ctx)
        if parts is None:
            ctx.cache[key] = _prose(ctx.deck.lines, 1, len(ctx.deck.lines), ctx.deck.block_lines(html=True))
        else:
            ctx.cache[key] = [line for part in parts for line in part]
    return ctx.cache[key]


def prose_parts(ctx: Context) -> list[list[tuple[int, str]]] | None:
    """prose_lines() slide by slide (perslide.py: an unchanged slide's are kept from the last lint); None when
    the deck's slides cannot be taken one by one."""
    return perslide.each(ctx, "prose-lines", span_prose, moved=perslide.lines_moved)


def span_prose(ctx: Context, span) -> list[tuple[int, str]]:
    _, lo, hi = span
    return _prose(ctx.deck.lines, lo, hi, perslide.block_lines(ctx, span, html=True))


def _prose(lines, lo: int, hi: int, skip) -> list[tuple[int, str]]:
    return [(n, mask_prose(lines[n - 1])) for n in range(lo, hi + 1) if n not in skip and lines[n - 1].strip()]


LINE_MEMO = 1 << 16  # lines whose per-line work is remembered (pure functions of the line's text): the language
# server lints the same lines at every keystroke, and a deck repeats lines


@lru_cache(maxsize=LINE_MEMO)
def mask_prose(text: str) -> str:
    """One line with code spans, comments, link targets, HTML tags, URLs and file names blanked (same length)."""
    text = _mask_code_and_comments(text)
    for pat in _MASKS:
        text = pat.sub(_blank, text)
    if _URLISH.search(text):
        text = _CHUNK.sub(lambda m: _blank(m) if _URLISH.search(m.group(0)) else m.group(0), text)
    return text


def _blank(m: re.Match) -> str:
    return " " * len(m.group(0))


def glossary(ctx: Context) -> dict[str, str]:
    return {**GLOSSARY, **dict(ctx.config.glossary)}


def _term_pattern(terms) -> re.Pattern:
    alts = sorted({re.escape(t).replace(r"\ ", r"\s+") for t in terms}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(alts) + r")(?![\w-])", re.I)


def _pattern(ctx: Context) -> re.Pattern:
    terms = glossary(ctx)
    key = ("glossary-re", tuple(sorted(terms.items())))
    if key not in ctx.cache:
        ctx.cache[key] = _term_pattern(terms)
    return ctx.cache[key]


def _correction(found: str, terms: dict[str, str], canon_lower: dict[str, str]) -> str | None:
    """Wrong forms match exactly (K8S, not k8s); canonical terms match in any casing."""
    if found in terms:
        return None if terms[found] == found else terms[found]
    right = canon_lower.get(found.lower())
    return right if right and right != found else None


def _once(ctx: Context, name: str, compute) -> list[Finding]:
    """A rule's findings computed once per deck and run: spelling asks for terminology's and near-duplicate's
    positions too (one finding per cause), and they cost a pass over every prose line each."""
    key = ("findings-of", name)
    hit = ctx.cache.get(key)
    if hit is None or hit[0] is not ctx.deck:
        hit = ctx.cache[key] = (ctx.deck, list(compute(ctx)))
    return hit[1]


def terminology(ctx: Context) -> list[Finding]:
    return _once(ctx, "terminology", _terminology)


def near_duplicate_term(ctx: Context) -> list[Finding]:
    return _once(ctx, "near-duplicate-term", _near_duplicate_term)


@lru_cache(maxsize=LINE_MEMO)
def _term_hits(pattern: re.Pattern, text: str) -> tuple[tuple[int, str], ...]:
    return tuple((m.start(), m.group(0)) for m in pattern.finditer(text))


def _terminology(ctx: Context):
    terms = glossary(ctx)
    parts = perslide.each(ctx, "terminology", _span_terms, tuple(sorted(terms.items())), perslide.findings_moved)
    if parts is None:
        return _terms_in(ctx, prose_lines(ctx))
    return [f for part in parts for f in part]


def _span_terms(ctx: Context, span) -> list[Finding]:
    return list(_terms_in(ctx, span_prose(ctx, span)))  # (mask_prose remembers the lines: the slide's are cheap)


def _terms_in(ctx: Context, lines):
    terms = glossary(ctx)
    canon_lower = {v.lower(): v for v in terms.values()}
    pattern = _pattern(ctx)
    for line, text in lines:
        for start, written in _term_hits(pattern, text):
            found = " ".join(written.split())
            right = _correction(found, terms, canon_lower)
            if right is None:
                continue
            kind = "casing" if found.lower() == right.lower() else "spelling"
            yield Finding(line, start + 1, f"`{found}` should be written `{right}` ({kind})",
                          f"write `{right}`; extend or override the glossary under [tool.deckops.glossary]")


# --- near-duplicate-term ---------------------------------------------------------------------------

MIN_LEN = 5
MAX_RARE = 2


class Words:
    """One slide's (or the deck's) words for near-duplicate-term: how often each is written (lowercase, and in
    each written form), and the candidates, glossary terms blanked, with their positions."""

    def __init__(self, pattern: re.Pattern, lines):
        self.forms: Counter = Counter()
        words = []
        for line, text in lines:
            found, candidates = _line_words(pattern, text)
            self.forms.update(found)
            words.extend((w, line, col) for w, col in candidates)
        self.words = words
        self.seen: Counter = Counter()
        for form, n in self.forms.items():
            self.seen[form.lower()] += n
        self.candidates = Counter(w.lower() for w, _, _ in words)

    def moved(self, by: int) -> "Words":
        """The same words `by` lines further down (the counts are the same objects: perslide.Tally sees no
        change)."""
        out = Words.__new__(Words)
        out.forms, out.seen, out.candidates = self.forms, self.seen, self.candidates
        out.words = [(w, line + by, col) for w, line, col in self.words]
        return out


def _vocabulary(ctx: Context) -> tuple[list[Words], Counter, Counter, Counter]:
    """(the parts, slide by slide where it can; counts per lowercase word; per written form; per candidate)."""
    pattern = _pattern(ctx)
    context = tuple(sorted(glossary(ctx).items()))
    parts = perslide.each(ctx, "vocabulary", lambda c, span: Words(pattern, span_prose(c, span)), context,
                          Words.moved)
    if parts is None:
        whole = Words(pattern, prose_lines(ctx))
        return [whole], whole.seen, whole.forms, whole.candidates
    sums = [perslide.Tally.of(ctx, f"vocabulary-{k}", context, [getattr(p, k) for p in parts])
            for k in ("seen", "forms", "candidates")]
    return parts, *sums


@lru_cache(maxsize=LINE_MEMO)
def _line_words(pattern: re.Pattern, text: str) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """A prose line's written words, and its candidate words with columns once glossary terms (terminology's
    job) are blanked."""
    blanked = pattern.sub(_blank, text)
    return tuple(_WORD.findall(text)), tuple((m.group(0), m.start() + 1) for m in _WORD.finditer(blanked))


def _near_duplicate_term(ctx: Context):
    """A rare non-word one edit from a known term of the deck: never two real words, never two names."""
    parts, seen, forms, candidates = _vocabulary(ctx)
    counts = Counter(seen)
    for term in glossary(ctx).values():
        if " " not in term:
            counts[term.lower()] += 3  # glossary terms count as well known
    known = _known_terms(ctx)
    index = _index(ctx, counts, known)
    near_of: dict[str, str] = {}
    for low in candidates:
        if not MIN_LEN <= len(low) <= MAX_WORD or counts[low] > MAX_RARE or not low.isalpha():
            continue
        near = _neighbour(low, counts, index, known)
        if near and not known(low):
            near_of[low] = near
    if not near_of:
        return
    shown = _shown(forms)
    reported: set[str] = set()
    for part in parts:  # each at its first occurrence
        if near_of.keys().isdisjoint(part.candidates):
            continue
        for word, line, col in part.words:
            low = word.lower()
            if low not in near_of or low in reported:
                continue
            reported.add(low)
            near = shown.get(near_of[low], near_of[low])
            where = f"appears {seen[near.lower()]}x" if seen[near.lower()] else "is in the glossary"
            yield Finding(line, col, f"\"{word}\" appears {seen[low]}x but \"{near}\" {where}: a typo?",
                          f"write \"{near}\", or disable with "
                          "<!-- deckops-disable-next-line near-duplicate-term -->")


def _shown(forms: Counter) -> dict[str, str]:
    """The most common written form of each lowercase word (the first in sort order on a tie)."""
    shown: dict[str, str] = {}
    for form, _ in sorted(forms.items(), key=lambda kv: (-kv[1], kv[0])):
        shown.setdefault(form.lower(), form)
    return shown


def _index(ctx: Context, counts: Counter, known) -> dict[str, set[str]]:
    """_deletion_index of the deck's known words, kept while the set of those words does not change."""
    words = frozenset(w for w in counts if MIN_LEN - 1 <= len(w) <= MAX_WORD + 1 and known(w))
    hit = ctx.cache.get(("near-duplicate-index",))
    if hit is None or hit[0] != words:
        hit = ctx.cache[("near-duplicate-index",)] = (words, _deletion_index(words))
    return hit[1]


def _known_terms(ctx: Context):
    """Whether a lowercase word is a known term: the glossary, deckops' vocabulary, the project's words, the
    deck's code, and for a deck in a language with a dictionary (English), the dictionary. The answers are kept
    across lints with the same dictionaries and known words (the language server asks again at each keystroke)."""
    from . import spelling

    key = ("known-terms", ctx.deck.path)
    if key not in ctx.cache:
        tag, _ = spelling.language(ctx)
        names, dicts = spelling.dictionaries(tag)
        extra = spelling.vocabulary() | spelling.project_words(ctx) | spelling.code_words(ctx)
        extra |= {p.lower() for t in glossary(ctx).values() for p in t.split()}
        judge = (tuple(names), extra)
        memo = ctx.cache.get(("known-terms-memo",))
        if memo is None or memo[0] != judge:
            known = lru_cache(maxsize=LINE_MEMO)(spelling.Speller(dicts, extra).known)
            memo = ctx.cache[("known-terms-memo",)] = (judge, known)
        ctx.cache[key] = memo[1]
    return ctx.cache[key]


def _deletion_index(words) -> dict[str, set[str]]:
    """word-with-one-letter-deleted -> words: finds every edit-1 pair without comparing all pairs."""
    index: dict[str, set[str]] = defaultdict(set)
    for w in words:
        for i in range(len(w)):
            index[w[:i] + w[i + 1:]].add(w)
    return index


def _neighbour(word: str, counts: Counter, index, known) -> str | None:
    best = None
    candidates = set(index.get(word, ()))  # word + one letter
    for i in range(len(word) - 1):  # two neighbouring letters swapped
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if swapped in counts and known(swapped):
            candidates.add(swapped)
    for i in range(len(word)):
        shorter = word[:i] + word[i + 1:]
        if shorter in counts and known(shorter):
            candidates.add(shorter)  # word - one letter
        candidates.update(index.get(shorter, ()))  # same length, one letter changed (or swapped)
    for other in sorted(candidates):
        if other != word and counts[other] > counts[word] and _meaningful(word, other):
            if best is None or counts[other] > counts[best]:
                best = other
    return best


def _meaningful(a: str, b: str) -> bool:
    """Edit-1 pairs that are just inflections (pod/pods, use/used, build/built) are not typos."""
    if a[:-1] == b[:-1] or a.startswith(b) or b.startswith(a):
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]])
    return True
