"""Images a snippet names, what counts as available offline, and the images deckops builds (no cluster)."""
from __future__ import annotations

import io
import json
import tarfile

import pytest

from deckops.localcluster import images
from deckops.rehearse import images as rehearse_images
from deckops.rehearse.snippets import Command, Snippet


def _command(text: str, line: int = 10) -> Command:
    return Command(text, text.splitlines()[0], line, line + text.count("\n"))


@pytest.mark.parametrize("text, found", [
    ("kubectl run web --image=nginx:1.27", [(10, "nginx:1.27")]),
    ("kubectl run web --image nginx:1.27 --restart=Never", [(10, "nginx:1.27")]),
    ("kubectl debug -it checkout --image=busybox:1.36 --target=app -- sh", [(10, "busybox:1.36")]),
    ("kubectl debug checkout --copy-to=c --set-image=app=busybox:1.36,proxy=envoy:v1", [(10, "busybox:1.36"),
                                                                                        (10, "envoy:v1")]),
    ("kubectl apply -f - <<'YAML'\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27-alpine\nYAML",
     [(14, "nginx:1.27-alpine")]),
    ("kubectl run web --image=$IMAGE", []),  # known only when it runs
    ("echo --image=nginx", []),  # not a kubectl command
])
def test_images_named_by_a_command(text, found):
    assert list(rehearse_images.named(_command(text))) == found


def test_missing_lists_only_what_is_not_available():
    snippet = Snippet("d.md", 3, "t", 9, (_command("kubectl run a --image=busybox:1.36"),
                                              _command("kubectl run b --image=nginx:1.27", 11)), True)
    missing = rehearse_images.missing(snippet, images.is_available)
    assert [(m.line, m.image) for m in missing] == [(11, "nginx:1.27")]


@pytest.mark.parametrize("ref, full", [
    ("busybox", "docker.io/library/busybox:latest"),
    ("busybox:1.36", "docker.io/library/busybox:1.36"),
    ("library/busybox:1.36", "docker.io/library/busybox:1.36"),
    ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"),
    ("localhost:5000/app", "localhost:5000/app:latest"),
    ("deckops.local/checkout:1.0", "deckops.local/checkout:1.0"),
])
def test_normalize_as_containerd_names_images(ref, full):
    assert images.normalize(ref) == full


def test_available_offline():
    for ref in ("busybox", "busybox:latest", "busybox:1.36", "deckops.local/checkout:1.0"):
        assert images.is_available(ref), ref
    for ref in ("nginx:1.27-alpine", "busybox:1.37", "envoyproxy/envoy:v1.31.0"):
        assert not images.is_available(ref), ref
    assert "not available offline" in images.unavailable_message("nginx:1.27")
    assert images.BUILD_HINT in images.unavailable_message("nginx:1.27")


def test_docker_archive_is_reproducible_and_complete():
    layer = images.Layer({"bin": None, "bin/x": b"\x7fELF...", "bin/sh": "->/bin/x", "etc/passwd": "root\n"},
                         {"Cmd": ["sh"]})
    first = images.docker_archive(layer, ("docker.io/library/x:1",))
    assert first == images.docker_archive(layer, ("docker.io/library/x:1",))
    with tarfile.open(fileobj=io.BytesIO(first)) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        assert manifest[0]["RepoTags"] == ["docker.io/library/x:1"]
        config = json.load(outer.extractfile(manifest[0]["Config"]))
        with tarfile.open(fileobj=outer.extractfile(manifest[0]["Layers"][0])) as inner:
            members = {m.name: m for m in inner.getmembers()}
    assert members["bin/sh"].issym() and members["bin/sh"].linkname == "/bin/x"
    assert members["bin/x"].mode == 0o755 and members["etc/passwd"].mode == 0o644
    assert config["rootfs"]["diff_ids"][0].startswith("sha256:") and config["config"] == {"Cmd": ["sh"]}


@pytest.mark.parametrize("text, needs", [
    ("kubectl exec web -- nginx -v", True),
    ("kubectl -n x exec -it web -- sh", True),
    ("kubectl debug -it checkout --image=busybox:1.36 --target=app -- sh", True),
    ("kubectl port-forward pod/web 8080:80", True),
    ("kubectl cp web:/etc/passwd ./passwd", True),
    ("kubectl debug checkout --image=busybox:1.36 -- true", False),  # kwok gives it a status
    ("kubectl logs web", False),  # kwok serves a log file
    ("kubectl get pods -o wide | grep exec", False),
])
def test_commands_that_need_a_running_container(text, needs):
    snippet = Snippet("d.md", 3, "t", 9, (_command(text),), True)
    assert (rehearse_images.needs_containers(snippet) is not None) == needs
