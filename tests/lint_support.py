"""Lint tests keep deckops' caches (kubectl help, shellcheck, manifests, links) in a temp dir, not ~/.cache."""
from __future__ import annotations

import pytest

from deckops import files


@pytest.fixture(scope="session")
def lint_cache_dir(tmp_path_factory):
    cache = tmp_path_factory.mktemp("deckops-cache")
    built = files.cache_home() / "k8s"  # the kubectl `deckops cluster build` made stays visible
    if built.is_dir():
        (cache / "k8s").symlink_to(built)
    return cache


@pytest.fixture(autouse=True)
def _lint_cache(lint_cache_dir, monkeypatch):
    monkeypatch.setattr(files, "CACHE_HOME", lint_cache_dir)
    monkeypatch.setenv("DECKOPS_CACHE", str(lint_cache_dir))  # for the CLI run in a subprocess
