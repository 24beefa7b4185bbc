"""pytest plugin: the session-scoped `local_cluster` (a real kwokctl control plane), torn down even on failure."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

CLUSTER_NAME = os.environ.get("DECKOPS_TEST_CLUSTER", "deckops-test")


@dataclass(frozen=True)
class LocalCluster:
    name: str
    kubeconfig: Path
    kubectl: Path
    context: str


@pytest.fixture(scope="session")
def local_cluster():
    """Bring the local cluster up once per session; `down` runs even if tests or `up` fail."""
    from deckops import localcluster
    from deckops.localcluster import build, paths

    if not build.is_built():
        try:
            paths.go_binary()
        except FileNotFoundError as exc:
            pytest.skip(f"local cluster not built and cannot be: {exc}")
    try:
        kubeconfig = localcluster.up(CLUSTER_NAME)
    except BaseException:
        localcluster.down(CLUSTER_NAME)
        raise
    try:
        yield LocalCluster(CLUSTER_NAME, kubeconfig, localcluster.kubectl_path(), f"kwok-{CLUSTER_NAME}")
    finally:
        localcluster.down(CLUSTER_NAME)
