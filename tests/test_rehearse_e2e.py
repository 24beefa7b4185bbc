"""`deckops rehearse --cluster local` with real kubectl against the real local control plane (kwok nodes)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import DATA, PATIENCE, ROOT, golden, run_cli, wait_for

pytestmark = pytest.mark.cluster
E2E = DATA / "rehearse" / "e2e.md"


def _namespaces(cluster) -> dict[str, str]:
    out = subprocess.run([str(cluster.kubectl), "--kubeconfig", str(cluster.kubeconfig), "get", "ns", "-o", "json"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return {n["metadata"]["name"]: n["status"]["phase"] for n in json.loads(out)["items"]}


def _gone(cluster, name: str) -> bool:
    """Deleted, or being deleted (we do not wait for the namespace controller)."""
    return _namespaces(cluster).get(name, "Terminating") == "Terminating"


def test_e2e_deck_on_the_local_cluster(local_cluster, tmp_path):
    junit, html = tmp_path / "e2e.xml", tmp_path / "e2e.html"
    res = run_cli("rehearse", "--cluster", "local", "--cluster-name", local_cluster.name,
                  "--junit", str(junit), "--report", str(html), "--out", str(tmp_path / "dist"), "tests/data/rehearse/e2e.md")
    assert res.returncode == 1, res.stdout + res.stderr
    namespace = re.search(r"namespace (deckops-rehearse-[a-z0-9]{6})", res.stdout).group(1)
    golden("rehearse-e2e.txt", re.sub(r"\d+\.\d\ds", "N.NNs", res.stdout.replace(namespace, "NAMESPACE").replace(str(tmp_path), "TMP")
                                                       .replace(local_cluster.context, "CONTEXT")))
    failing = [l for l in res.stdout.splitlines() if " FAIL " in l]
    assert failing == [l for l in failing if "slide 7 " in l] and len(failing) == 1
    assert "skipped: shows a skipped slide in the reports" in res.stdout

    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert [n for n, c in cases.items() if c.find("failure") is not None] == [
        "slide 7: Which image?: kubectl get pod web -o jsonpath='{.spec.containers[0].image}{\"\\n\"}'"]
    assert "+busybox:1.36" in cases[next(n for n in cases if n.startswith("slide 7"))].find("failure").text
    assert [n for n, c in cases.items() if c.find("skipped") is not None] == [
        "slide 9: Look inside: kubectl exec -it web -- busybox | head -1"]
    page = html.read_text()
    assert "7 passed, 1 failed, 1 skipped" in page and '<span class="add">+busybox:1.36</span>' in page

    assert _gone(local_cluster, namespace)
    assert "default" in _namespaces(local_cluster)  # the fixture's cluster was running: it is left up


def test_interrupt_deletes_the_namespace(local_cluster, tmp_path, spawn):
    deck = tmp_path / "slow.md"
    deck.write_text(f"# Slow\n\n<!-- rehearse: timeout=7200 -->\n```bash\nkubectl create configmap marker\n"
                    f"kubectl config view --minify -o jsonpath='{{..namespace}}' > {tmp_path}/ns\nsleep 3600\n```\n")
    child = spawn([sys.executable, "-m", "deckops", "rehearse", "--cluster", "local", "--cluster-name",
                   local_cluster.name, str(deck)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                  text=True, env={**os.environ, "NO_COLOR": "1"})

    def namespace_written() -> bool:
        assert child.poll() is None, child.communicate()
        return (tmp_path / "ns").exists() and bool((tmp_path / "ns").read_text())

    wait_for(namespace_written, what="the snippet's namespace")
    namespace = (tmp_path / "ns").read_text()
    assert namespace.startswith("deckops-rehearse-")
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=PATIENCE)
    assert child.returncode == 130, err
    assert _gone(local_cluster, namespace)


def test_sandbox_context_by_kubeconfig(local_cluster, tmp_path):
    """--kubeconfig/--context path (no --cluster): kwok-* is a sandbox, the user's file is never modified."""
    before = local_cluster.kubeconfig.read_bytes()
    deck = tmp_path / "d.md"
    deck.write_text("# A\n\n```console\n$ kubectl get pods\nNo resources found in deckops-rehearse-abc123 "
                    "namespace.\n```\n")
    res = run_cli("rehearse", "--kubeconfig", str(local_cluster.kubeconfig), "--context", local_cluster.context,
                  str(deck))
    assert res.returncode == 0, res.stdout + res.stderr
    assert local_cluster.kubeconfig.read_bytes() == before


def test_cluster_local_is_brought_up_and_down_when_not_running(local_cluster, tmp_path):
    """A second, named local cluster: started for the run, stopped after it (the fixture's stays up)."""
    from deckops import localcluster

    name = "rehearse-own"
    deck = tmp_path / "d.md"
    deck.write_text("# A\n\n```console\n$ kubectl get namespace default -o name\nnamespace/default\n```\n")
    try:
        res = run_cli("rehearse", "--cluster", "local", "--cluster-name", name, str(deck))
        assert res.returncode == 0, res.stdout + res.stderr
        assert "context kwok-rehearse-own" in res.stdout
        assert not localcluster.is_running(name)
        assert localcluster.is_running(local_cluster.name)
    finally:
        localcluster.down(name)


def test_the_flagship_gives_the_same_verdicts_three_times(local_cluster):
    """Racy output (rollouts, PIDs, generated names, pty timing) must not make verdicts flicker."""
    verdicts = []
    for _ in range(3):
        res = run_cli("rehearse", "--cluster", "local", "--cluster-name", local_cluster.name,
                      "slides/advanced-kubernetes-debugging.md")
        assert res.returncode == 0, res.stdout + res.stderr
        verdicts.append([re.sub(r"\s+\d+\.\d\ds\s+", " ", l) for l in res.stdout.splitlines()
                         if re.match(r"  (slide|setup|teardown)", l)])
    assert verdicts[0] == verdicts[1] == verdicts[2]
    if local_cluster.nodes == "real":  # the debug -it slide ran for real; only offline and host-access skips
        assert sum("SKIP" in l for l in verdicts[0]) == 4 and not any("FAIL" in l for l in verdicts[0])


def test_an_image_the_real_node_cannot_get_fails_at_its_line(real_cluster, tmp_path):
    """One clear failure at the slide line, at once, instead of waiting out an ImagePullBackOff."""
    deck = tmp_path / "talk.md"
    deck.write_text("# Start a pod\n\n```console\n$ kubectl run web --image=nginx:1.27 --restart=Never\n"
                    "pod/web created\n```\n\n---\n\n# Nothing ran\n\n```console\n$ kubectl get pods -o name\n```\n")
    res = run_cli("rehearse", "--cluster", "local", "--cluster-name", real_cluster.name, str(deck))
    assert res.returncode == 1, res.stdout + res.stderr
    assert f"{deck}:4: image-unavailable: image nginx:1.27 is not available offline" in res.stdout, res.stdout
    assert "deckops cluster images" in res.stdout
    # at once: nothing ran for slide 1 (0.00 s), rather than waiting out an ImagePullBackOff
    assert re.search(r"slide 1 +FAIL +0\.00s", res.stdout) and "1 passed, 1 failed" in res.stdout, res.stdout
