"""The flagship talk in slides/: the seed draft's defects are fixed, and it lints, renders, checks and rehearses clean."""
from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, SEED, run_cli
from deckops import deck as deck_mod

TALK = ROOT / "slides" / "advanced-kubernetes-debugging.md"
THEME = ROOT / "themes" / "k8s-debugging.css"
DIAGRAM = ROOT / "images" / "pod_sidecar_namespaces.svg"
DIAGRAM_SLIDE = 6  # "Kubernetes and Linux namespaces"
# colours that only the namespace diagram uses: the shared-namespaces band and the ephemeral container
DIAGRAM_FILLS = ((0x14, 0x53, 0x2D), (0x50, 0x07, 0x24))


@pytest.fixture(scope="module")
def talk():
    return deck_mod.load(TALK)


@pytest.fixture(scope="module")
def seed():
    return deck_mod.load(SEED)


def _slide_text(deck, slide) -> str:
    return "\n".join(deck.lines[slide.start_line - 1:slide.end_line])


def _commands(deck) -> list[str]:
    return [line.text for s in deck.slides for f in s.fences for line in f.lines if line.kind in ("command", "script")]


def _debug_without_target(command: str) -> bool:
    """`kubectl debug` (or `k debug`) with no POD / node/NAME word before `--`."""
    words = command.split()
    if words[:2] not in (["kubectl", "debug"], ["k", "debug"]):
        return False
    args = words[2:words.index("--")] if "--" in words else words[2:]
    return all(a.startswith("-") for a in args)


# Each defect of the draft, as a predicate that is true on the seed and must be false on the talk.
DEFECTS = {
    "front matter does not parse": lambda d: d.front_matter is None or d.front_matter.error is not None,
    "not the custom theme": lambda d: (d.front_matter.data or {}).get("theme") != "k8s-debugging",
    "inline style: in the front matter": lambda d: "style" in (d.front_matter.data or {}) or "style:" in d.text[:2000],
    "%2F in an image path": lambda d: any("%2F" in i.src.upper() for s in d.slides for i in s.images),
    "generic alt text": lambda d: any(i.alt.strip().lower() in ("", "test", "image") for s in d.slides for i in s.images),
    "misspelt mirrord": lambda d: "mirrod" in d.text,
    "misspelt Inspektor Gadget": lambda d: "Inspector Gadget" in d.text,
    "`k debug` without a pod": lambda d: any(_debug_without_target(line) for line in _commands(d)),
    "empty slides": lambda d: any(s.empty for s in d.slides),
    "one-word slide": lambda d: any(len(re.findall(r"\w+", _slide_text(d, s))) <= 1 for s in d.slides),
    "two h1 headings on one slide": lambda d: any(sum(h.level == 1 for h in s.headings) > 1 for s in d.slides),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_seed_defect_is_fixed(defect, talk, seed):
    check = DEFECTS[defect]
    assert check(seed), f"the predicate for {defect!r} no longer finds it in the seed"
    assert not check(talk), defect


def test_front_matter_keeps_the_dark_theme_header_footer_and_pagination(talk):
    data = talk.front_matter.data
    assert data["marp"] == "true" and data["paginate"] == "true"
    assert data["class"] == "invert"
    assert data["header"] == "Advanced Kubernetes Debugging"
    assert data["footer"] == "Konrad Heimel 23-06-08"


def test_theme_is_a_marp_theme_built_on_default(talk):
    css = THEME.read_text(encoding="utf-8")
    assert re.search(r"/\*\s*@theme\s+k8s-debugging\s*\*/", css)
    assert "@import 'default';" in css
    assert ".columns" in css  # the two-column style moved here from the draft's inline `style:`


def test_talk_follows_the_outline(talk):
    titles = [s.title or "" for s in talk.slides]
    assert 12 <= len(titles) <= 20, titles
    assert titles[1] == "Agenda"
    text = talk.text
    for needle in ("mirrord exec --target pod/", "docker-compose", "namespaces", "sidecar", "v1.25",
                   "--target=app", "--copy-to=", "kubectl debug node/", "kubectl krew install gadget",
                   "kubectl gadget deploy", "kubectl gadget run trace_"):
        assert needle in text, needle


def test_namespace_diagram_is_used_and_is_a_real_diagram(talk):
    slide = talk.slides[DIAGRAM_SLIDE - 1]
    assert [i.src for i in slide.images] == ["../images/pod_sidecar_namespaces.svg"]
    svg = ET.parse(DIAGRAM).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.tag == f"{ns}svg" and svg.find(f"{ns}title") is not None
    labels = " ".join(t.text or "" for t in svg.iter(f"{ns}text"))
    for word in ("app", "proxy", "debugger", "ephemeral", "net", "ipc", "uts", "mnt", "pid", "--target"):
        assert word in labels, word
    assert len(list(svg.iter(f"{ns}rect"))) >= 10


def test_lint_is_clean():
    res = run_cli("lint", "--format", "json", "slides/")
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads(res.stdout)
    assert report["diagnostics"] == [], report["diagnostics"]
    assert report["summary"]["files"] == 1


def test_every_snippet_runs_or_says_why_not(talk):
    """Fences that cannot run here carry a skip reason; the rest run under `rehearse` (see the cluster test)."""
    from deckops.rehearse.snippets import parse_annotation

    shell = [f for s in talk.slides for f in s.fences if f.lang in ("bash", "sh", "console", "shell")]
    assert len(shell) >= 8
    skipped = 0
    for slide in talk.slides:
        for comment in (c for c in slide.comments if c.kind == "rehearse"):
            ann = parse_annotation(comment.text)
            if "skip" in ann:
                skipped += 1
                assert len(ann["skip"]) > 15, f"line {comment.line}: say why it is skipped"
    assert 0 < skipped < len(shell)


def _ppm_pixels(ppm: bytes):
    """(width, height, rgb bytes) of a binary P6 PPM as written by pdftoppm."""
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    return int(header.group(1)), int(header.group(2)), ppm[header.end():]


def _count_colour(rgb: bytes, colour: tuple[int, int, int], tol: int = 6) -> int:
    return sum(1 for i in range(0, len(rgb), 3)
               if all(abs(rgb[i + k] - colour[k]) <= tol for k in range(3)))


@pytest.mark.browser
def test_pdf_has_one_page_per_slide_and_shows_the_diagram(talk, tmp_path):
    res = run_cli("render", "--to", "pdf", "--out", str(tmp_path), "slides/")
    assert res.returncode == 0, res.stdout + res.stderr
    pdf = tmp_path / "advanced-kubernetes-debugging.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60, check=True).stdout
    assert int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)) == len(talk.slides)

    def page(n: int) -> bytes:
        return subprocess.run(["pdftoppm", "-r", "40", "-f", str(n), "-l", str(n), str(pdf)],
                              capture_output=True, timeout=60, check=True).stdout

    _, _, with_diagram = _ppm_pixels(page(DIAGRAM_SLIDE))
    _, _, without = _ppm_pixels(page(DIAGRAM_SLIDE + 1))
    for colour in DIAGRAM_FILLS:
        assert _count_colour(with_diagram, colour) > 200, f"diagram colour {colour} missing on the PDF page"
        assert _count_colour(without, colour) == 0


@pytest.mark.browser
def test_browser_check_finds_no_overflow_and_no_broken_image(tmp_path):
    res = run_cli("check", "--format", "json", "--out", str(tmp_path), "slides/")
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads(res.stdout)
    assert report["diagnostics"] == [], report["diagnostics"]


@pytest.mark.cluster
def test_rehearse_on_the_local_cluster(local_cluster, tmp_path):
    junit = tmp_path / "rehearse.xml"
    res = run_cli("rehearse", "--cluster", "local", "--cluster-name", local_cluster.name,
                  "--junit", str(junit), "slides/")
    assert res.returncode == 0, res.stdout + res.stderr
    summary = re.search(r"(\d+) passed, (\d+) failed, (\d+) skipped", res.stdout)
    passed, failed, skipped = map(int, summary.groups())
    assert failed == 0 and passed >= 4 and skipped >= 1, res.stdout
    skips = [case.find("skipped") for case in ET.parse(junit).getroot().iter("testcase")]
    reasons = [(s.get("message") or s.text or "").strip() for s in skips if s is not None]
    assert len(reasons) == skipped
    assert all(len(r) > 15 for r in reasons), reasons


def _verdicts(stdout: str) -> dict[str, tuple[str, str]]:
    """'slide 11' -> ('PASS', '') or ('SKIP', its reason), from rehearse's terminal report."""
    found, last = {}, None
    for line in stdout.splitlines():
        m = re.match(r"  ((?:slide \d+)|setup|teardown)\s+(PASS|FAIL|SKIP)", line)
        if m:
            last = m.group(1)
            found.setdefault(last, (m.group(2), ""))
        elif last and line.strip().startswith("skipped: "):
            found[last] = (found[last][0], line.strip().removeprefix("skipped: "))
    return found


@pytest.mark.cluster
def test_with_allow_host_access_only_the_offline_snippets_are_skipped(real_cluster):
    """The node-debugging slide runs on the real node with the flag, and is skipped naming the flag without it;
    after the run the policy guards every namespace again and no node-debugger pod is left."""
    from deckops.localcluster import hostguard

    args = ("rehearse", "--cluster", "local", "--cluster-name", real_cluster.name, "slides/")
    res = run_cli(*args, "--allow-host-access")
    assert res.returncode == 0, res.stdout + res.stderr
    verdicts = _verdicts(res.stdout)
    assert verdicts["slide 11"] == ("PASS", ""), res.stdout
    skipped = {k: why for k, (v, why) in verdicts.items() if v == "SKIP"}
    assert sorted(skipped) == ["slide 13", "slide 14", "slide 5"], res.stdout
    assert "network" in skipped["slide 5"] and "network" in skipped["slide 13"] and "eBPF" in skipped["slide 14"]
    assert "8 passed, 0 failed, 3 skipped" in res.stdout

    kubectl = [str(real_cluster.kubectl), "--kubeconfig", str(real_cluster.kubeconfig)]
    binding = json.loads(subprocess.run([*kubectl, "get", "validatingadmissionpolicybinding", hostguard.NAME, "-o",
                                         "json"], capture_output=True, text=True, timeout=60, check=True).stdout)
    assert hostguard.exempted(binding) == []
    left = subprocess.run([*kubectl, "get", "pods", "-A", "-l", "app.kubernetes.io/managed-by=kubectl-debug", "-o",
                           "name"], capture_output=True, text=True, timeout=60, check=True).stdout
    assert left == ""

    res = run_cli(*args)
    assert res.returncode == 0, res.stdout + res.stderr
    state, why = _verdicts(res.stdout)["slide 11"]
    assert state == "SKIP" and "--allow-host-access" in why, res.stdout
