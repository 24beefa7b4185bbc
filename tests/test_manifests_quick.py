"""manifests.Quick, D404's quick check, held to jsonschema: it may say "valid" only where jsonschema finds no error
(it is sound), and it does pass everyday manifests (else it saves nothing)."""
from __future__ import annotations

import copy
import datetime
import random
import re

import pytest
import yaml

from conftest import DATA
from deckops.lint import manifests

EVERYDAY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}, annotations: {note: "x"}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          args: ["--port", "80"]
          ports: [{containerPort: 80, protocol: TCP}]
          resources: {limits: {cpu: 500m, memory: 128Mi}, requests: {cpu: 0.1}}
          env: [{name: MODE, value: "prod"}]
          readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 5}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}], type: ClusterIP}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {key: value}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: [sh, -c, "echo hi"]}]
"""
VALUES = [1, 2.5, 2.0, True, False, None, "x", "", [], {}, {"a": 1}, datetime.date(2024, 1, 1), "Always", -1,
          "25%", 10**20, float("nan"), b"bytes"]


def documents() -> list[dict]:
    docs = list(yaml.safe_load_all(EVERYDAY))
    for path in sorted(DATA.rglob("*.md")):
        for m in re.finditer(r"```ya?ml\n(.*?)```", path.read_text(encoding="utf-8", errors="replace"), re.S):
            try:
                docs += [d for d in yaml.safe_load_all(m.group(1)) if isinstance(d, dict)]
            except yaml.YAMLError:
                pass
    return [d for d in docs if isinstance(d.get("apiVersion"), str) and isinstance(d.get("kind"), str)
            and manifests._schema(d["apiVersion"], d["kind"]) is not None]


def mutated(doc: dict, rnd: random.Random) -> dict:
    """The document with one value replaced, one key removed or added, or one list item appended."""
    doc = copy.deepcopy(doc)
    places = []

    def walk(node, parent, key):
        places.append((parent, key, node))
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in list(children):
            walk(v, node, k)

    walk(doc, None, None)
    parent, key, node = rnd.choice(places[1:])
    value, how = rnd.choice(VALUES), rnd.randrange(4)
    if how == 1 and isinstance(parent, dict):
        del parent[key]
    elif how == 2 and isinstance(node, dict):
        node[rnd.choice(["nmae", "labels", "replicas", "image", 3])] = value
    elif how == 3 and isinstance(node, list):
        node.append(value)
    else:
        parent[key] = value
    return doc


def judged(doc: dict, like: dict | None = None) -> tuple[bool, list]:
    """(the quick check's verdict, jsonschema's errors) for doc against the schema of `like` (default: its own)."""
    api, kind = (like or doc)["apiVersion"], (like or doc)["kind"]
    quick = manifests.Quick(manifests._schema(api, kind),
                            manifests._load(f"{manifests._folder()}/_definitions.json")).valid(doc)
    return quick, list(manifests._validator(api, kind).iter_errors(doc))


def test_everyday_manifests_pass_the_quick_check():
    for doc in yaml.safe_load_all(EVERYDAY):
        quick, errors = judged(doc)
        assert errors == [] and quick, doc["kind"]


@pytest.mark.parametrize("seed", range(4))
def test_the_quick_check_never_passes_what_jsonschema_rejects(seed):
    rnd = random.Random(seed)
    docs = documents()
    assert len(docs) >= 5
    passed = rejected = 0
    for doc in docs:
        for _ in range(25):
            candidate = mutated(doc, rnd)
            quick, errors = judged(candidate, doc)
            assert not (quick and errors), (candidate, [e.message for e in errors])
            passed += quick
            rejected += bool(errors)
    assert passed and rejected  # (both kinds were met)


def test_schemas_and_version_as_kubernetes_validate_reads_them():
    import kubernetes_validate
    from kubernetes_validate import utils

    assert manifests._schema_version() == utils.all_versions()[-1]
    assert manifests._package_version() == kubernetes_validate.__version__


def test_valid_manifests_are_judged_without_jsonschema(tmp_path):
    """jsonschema (and kubernetes_validate's utils, which import it) cost ~0.2 s to import: only an invalid
    manifest needs them."""
    import subprocess
    import sys

    deck = tmp_path / "deck.md"
    deck.write_text("# Manifests\n\n```yaml\n" + EVERYDAY.split("---")[0].strip() + "\n```\n", encoding="utf-8")
    code = ("import sys; from pathlib import Path; from deckops import deck; from deckops.config import Config; "
            "from deckops.lint import lint; "
            f"out = lint(deck.load(Path({str(deck)!r})), Config(root=Path({str(tmp_path)!r}), select=('D404',)), {{}}); "
            "print(len(out), 'jsonschema' in sys.modules, 'kubernetes_validate.utils' in sys.modules)")
    env = {"PATH": "/usr/bin:/bin", "DECKOPS_CACHE": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert run.stdout.split() == ["0", "False", "False"], run.stderr
    deck.write_text(deck.read_text().replace("replicas: 2", "replicas: two"), encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert run.stdout.split() == ["1", "True", "False"], run.stderr
