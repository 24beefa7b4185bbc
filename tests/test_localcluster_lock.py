"""One real node per machine, also across cache folders (pure: a lock file and folders, no cluster)."""
from __future__ import annotations

from pathlib import Path

import pytest

from deckops.localcluster import node


@pytest.fixture
def lock(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(node, "LOCK", tmp_path / "deckops-real-node")
    monkeypatch.setenv("DECKOPS_CACHE", str(tmp_path / "mine"))
    return tmp_path / "deckops-real-node"


def _held(name: str) -> list[str]:
    return [w for w in node.missing(name) if "belongs to cluster" in w]


def test_a_holder_from_another_cache_folder_is_seen(lock, tmp_path):
    """A test run from another clone (its own DECKOPS_CACHE) held the node under a name this cache does not
    know: its kubelet's port was taken and the second `up` failed late, with the kubelet's log."""
    other = tmp_path / "other" / "clusters" / "cold-test" / "node"
    other.mkdir(parents=True)
    lock.write_text(f"cold-test\n{other}\n")
    assert node.owner() == "cold-test"
    assert _held("deckops-test") == [f"this machine's real node belongs to cluster cold-test of the cache folder "
                                     f"{tmp_path / 'other'} (deckops cluster down --name cold-test)"]
    assert _held("cold-test")  # the same name in this cache is another cluster
    other.rmdir()  # its state is gone: a stale lock
    assert node.owner() is None and _held("deckops-test") == []


def test_the_holder_of_this_cache_and_the_old_format(lock):
    mine = node.node_dir("deckops-test")
    mine.mkdir(parents=True)
    lock.write_text(f"deckops-test\n{mine}\n")
    assert _held("deckops-test") == [] and _held("other")[0].endswith("(deckops cluster down --name deckops-test)")
    lock.write_text("deckops-test\n")  # written by an older deckops: the name alone, in this cache
    assert node.owner() == "deckops-test" and _held("deckops-test") == []
    node._release("deckops-test")
    assert not lock.exists()


def test_release_leaves_another_caches_lock_alone(lock, tmp_path):
    other = tmp_path / "other" / "clusters" / "deckops-test" / "node"
    other.mkdir(parents=True)
    lock.write_text(f"deckops-test\n{other}\n")
    node._release("deckops-test")  # same name, other cache: not ours
    assert lock.exists()
