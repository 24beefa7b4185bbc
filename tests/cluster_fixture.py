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
    nodes: str = "fake"  # "real": one real node (kubelet, containerd) beside the kwok ones


NOT_BUILT = ("the local control plane is not built: run `deckops cluster build` first (./setup.sh and .ci/run do; "
             "a cold Go build takes ~40 min on 2 cores, so it never starts inside a test)")


def require_built() -> None:
    """Tests use the binaries built ahead; without them: fail in CI (its build step must have run), else skip,
    with the reason printed either way."""
    from deckops.localcluster import build

    if not build.is_built():
        (pytest.fail if os.environ.get("CI") else pytest.skip)(NOT_BUILT)


@pytest.fixture(scope="session")
def local_cluster():
    """Bring the local cluster up once per session (a real node where its prerequisites are present);
    `down` runs even if tests or `up` fail. Neither `cluster up` nor the fixture builds."""
    from deckops import localcluster
    from deckops.localcluster import cluster

    require_built()
    try:
        kubeconfig = localcluster.up(CLUSTER_NAME)
    except BaseException:
        localcluster.down(CLUSTER_NAME)
        raise
    try:
        yield LocalCluster(CLUSTER_NAME, kubeconfig, localcluster.kubectl_path(), f"kwok-{CLUSTER_NAME}",
                           cluster.nodes_of(CLUSTER_NAME) or "fake")
    finally:
        localcluster.down(CLUSTER_NAME)


@pytest.fixture(scope="session")
def real_cluster(local_cluster):
    """The session cluster, when it has a real node (skips with the reason otherwise)."""
    from deckops.localcluster import node

    if local_cluster.nodes != "real":
        pytest.skip("no real node in the session cluster: " + ("; ".join(node.missing(local_cluster.name))
                                                                or "started with fake nodes"))
    return local_cluster
