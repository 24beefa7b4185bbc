"""D404: YAML fences with apiVersion/kind validated offline against the Kubernetes JSON schemas."""
from __future__ import annotations

import re
from functools import lru_cache

import yaml

from .diskcache import ResultCache
from .engine import Context, Finding

YAML_LANGS = frozenset({"yaml", "yml"})
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same marks, much faster
_UNEXPECTED = re.compile(r"'([^']+)' (?:was|were) unexpected")


@lru_cache(maxsize=1)
def _schema_version() -> str:
    from kubernetes_validate import utils

    return str(utils.all_versions()[-1])


@lru_cache(maxsize=256)
def _validator(api_version: str, kind: str):
    """A jsonschema validator for (apiVersion, kind), or None when no schema exists (CRDs)."""
    import jsonschema
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    version = _schema_version()
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group}.json", version)
    except (FileNotFoundError, utils.VersionNotSupportedError):
        return None
    defs = _definitions(folder, version)
    registry = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


@lru_cache(maxsize=2)
def _definitions(folder: str, version: str):
    from kubernetes_validate import utils

    return utils.schema_contents(f"{folder}/_definitions.json", version)


def manifest_invalid(ctx: Context):
    cache = ResultCache.of(ctx.cache, "manifests", _identity())
    for s in ctx.deck.slides:
        for f in s.fences:
            if f.lang in YAML_LANGS and "apiVersion" in f.content and "kind" in f.content and "{{" not in f.content:
                yield from _cached(cache, f)
    cache.save()


def _identity() -> str:
    from kubernetes_validate import version

    return f"kubernetes-validate {version.__version__} schema {_schema_version()} strict"


def _cached(cache: ResultCache, f):
    """Findings relative to the fence (line/col offsets), so a moved block still hits the cache."""
    rel = cache.get(f.content)
    if rel is None:
        rel = [[x.line - f.line, x.col - f.col, x.message, x.hint] for x in _check_fence(f)]
        cache.put(f.content, rel)
    for dl, dc, message, hint in rel:
        yield Finding(f.line + dl, f.col + dc, message, hint)


def _check_fence(f):
    def pos(mark) -> tuple[int, int]:
        return f.line + 1 + mark.line, f.col + mark.column

    try:
        docs = list(yaml.compose_all(f.content, Loader=_LOADER))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None and mark.line >= f.content.count("\n"):
            mark = getattr(exc, "context_mark", None) or mark  # at the end: blame what was left open
        line, col = pos(mark) if mark else (f.line, f.col)
        yield Finding(line, col, f"manifest is not valid YAML: {getattr(exc, 'problem', exc)}",
                      "fix the indentation or quoting; `kubectl apply` would reject it")
        return
    for node in docs:
        if isinstance(node, yaml.MappingNode):
            yield from _check_doc(node, pos)


def _check_doc(node, pos):
    data = yaml.SafeLoader(" ").construct_document(node)
    if not isinstance(data, dict) or not isinstance(data.get("apiVersion"), str) or not isinstance(
            data.get("kind"), str):
        return
    validator = _validator(data["apiVersion"], data["kind"])
    if validator is None:
        return  # custom resources have no offline schema
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    for err in errors:
        target = _node_at(node, list(err.absolute_path), err)
        line, col = pos(target.start_mark)
        yield Finding(line, col, f"{data['kind']} ({data['apiVersion']}): {_path(err)}{_message(err)}",
                      _hint(err, _schema_version().rsplit(".", 1)[0]))


def _node_at(node, path, err):
    """The YAML node to blame: the unexpected key, the key of the object missing a field, or the bad value."""
    key_node = node
    for part in path:
        found = _child(node, part)
        if found is None:
            break
        key_node, node = found
    if err.validator == "additionalProperties" and isinstance(node, yaml.MappingNode):
        names = set(_UNEXPECTED.findall(err.message))
        for key, _ in node.value:
            if key.value in names:
                return key
    if err.validator == "required" or isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        return key_node
    return node


def _child(node, part):
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


def _path(err) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path]
    return ("`" + "".join(parts).lstrip(".") + "`: ") if parts else ""


def _message(err) -> str:
    msg = err.message
    return msg if len(msg) <= 160 else msg[:157] + "..."


def _hint(err, version: str) -> str:
    if err.validator == "additionalProperties":
        return f"check the spelling of the field (schema: Kubernetes {version}, `kubectl explain` shows the fields)"
    if err.validator == "required":
        return "add the missing field"
    return f"fix the value (schema: Kubernetes {version})"
