"""D404: YAML fences with apiVersion/kind validated offline against the Kubernetes JSON schemas."""
from __future__ import annotations

import importlib.util
import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urljoin

import yaml

from .diskcache import ResultCache
from .engine import Context, Finding

YAML_LANGS = frozenset({"yaml", "yml"})
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same marks, much faster
_UNEXPECTED = re.compile(r"'([^']+)' (?:was|were) unexpected")


@lru_cache(maxsize=1)
def _package() -> Path | None:
    """kubernetes-validate's folder, found without importing it (its utils import jsonschema: ~0.2 s)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    return Path(list(spec.submodule_search_locations)[0]) if spec and spec.submodule_search_locations else None


@lru_cache(maxsize=1)
def _schema_version() -> str:
    """The newest schema version shipped (kubernetes_validate.utils.all_versions()[-1], read the same way)."""
    folder = _package() / "kubernetes-json-schema"
    versions = [_VERSION.sub(r"\1", p.name) for p in folder.iterdir() if _VERSION.match(p.name)]
    if all(_RELEASE.fullmatch(v) for v in versions):  # (packaging's Version orders these as the numbers do)
        return max(versions, key=lambda v: tuple(map(int, v.split("."))))
    from packaging.version import Version

    return sorted(versions, key=Version)[-1]


_VERSION = re.compile(r"^v([^-]*).*")
_RELEASE = re.compile(r"\d+(?:\.\d+)*")


def _folder() -> str:
    return f"kubernetes-json-schema/v{_schema_version()}-local-strict"


@lru_cache(maxsize=256)
def _schema(api_version: str, kind: str) -> dict | None:
    """The strict schema for (apiVersion, kind), or None when none exists (CRDs)."""
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        return _load(f"{_folder()}/{kind.lower()}-{group}.json")
    except OSError:
        return None


@lru_cache(maxsize=4)
def _load(name: str):
    return json.loads((_package() / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=256)
def _validator(api_version: str, kind: str):
    """A jsonschema validator for (apiVersion, kind): only for a document the quick check (_valid) does not pass."""
    import jsonschema
    from referencing import Registry, Resource

    schema = _schema(api_version, kind)
    registry = Resource.from_contents(_load(f"{_folder()}/_definitions.json")) @ (
        Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def manifest_invalid(ctx: Context):
    cache = ResultCache.of(ctx.cache, "manifests", _identity())
    for s in ctx.deck.slides:
        for f in s.fences:
            if f.lang in YAML_LANGS and "apiVersion" in f.content and "kind" in f.content and "{{" not in f.content:
                yield from _cached(cache, f)
    cache.save()


def _identity() -> str:
    return f"kubernetes-validate {_package_version()} schema {_schema_version()} strict"


def _package_version() -> str:
    """kubernetes_validate.__version__, read from its version.py (importing the package imports jsonschema)."""
    found = re.search(r"__version__ = ['\"]([^'\"]+)", (_package() / "version.py").read_text(encoding="utf-8"))
    if found:
        return found.group(1)
    from kubernetes_validate import version

    return version.__version__


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
    schema = _schema(data["apiVersion"], data["kind"])
    if schema is None:
        return  # custom resources have no offline schema
    if Quick(schema, _load(f"{_folder()}/_definitions.json")).valid(data):
        return
    errors = sorted(_validator(data["apiVersion"], data["kind"]).iter_errors(data),
                    key=lambda e: list(map(str, e.absolute_path)))
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


# --- the quick check -------------------------------------------------------------------------------------

_TYPES = {"object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
          "string": lambda v: isinstance(v, str), "null": lambda v: v is None,
          "boolean": lambda v: isinstance(v, bool),
          "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
          "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)}
# keywords that assert nothing here (jsonschema checks `format` only with a format checker, and D404 gives none)
_ANNOTATIONS = frozenset({"description", "format", "$schema", "$id", "title", "default", "example"})


class Quick:
    """A quick, sound judgement of the Kubernetes strict schemas: True only where jsonschema finds no error
    (type, enum, properties, additionalProperties, required, items, oneOf, $ref into the schema or its
    definitions); anything else it meets (another keyword, a value YAML made that JSON has no type for, a float
    where an integer is asked) is "not sure", and jsonschema judges. Validating 400 Deployments took jsonschema
    ~1 s; tests/test_manifests_quick.py holds the two to each other."""

    def __init__(self, schema: dict, definitions: dict):
        self.docs = {schema.get("$id", ""): schema, definitions.get("$id", ""): definitions}

    def valid(self, data) -> bool:
        try:
            return self._valid(data, next(iter(self.docs.values())), next(iter(self.docs)), 0)
        except _NotSure:
            return False

    def _valid(self, value, schema: dict, base: str, depth: int) -> bool:
        if depth > 200:
            raise _NotSure
        for key, rule in schema.items():
            if key in _ANNOTATIONS or key.startswith("x-kubernetes-"):
                continue
            check = _KEYWORDS.get(key)
            if check is None or not check(self, value, rule, schema, base, depth + 1):
                return False
        return True

    def _ref(self, value, ref: str, base: str, depth: int) -> bool:
        uri, _, pointer = ref.partition("#")
        target = urljoin(base, uri) if uri else base
        doc = self.docs.get(target)
        parts = pointer.split("/")
        if doc is None or len(parts) != 3 or parts[:2] != ["", "$defs"] or parts[2] not in doc.get("$defs", {}):
            raise _NotSure
        return self._valid(value, doc["$defs"][parts[2]], target, depth)


class _NotSure(Exception):
    pass


def _type(q: Quick, value, rule, schema, base, depth) -> bool:
    names = rule if isinstance(rule, list) else [rule]
    if not _json(value) or any(n not in _TYPES for n in names):
        raise _NotSure
    if any(_TYPES[n](value) for n in names):
        return True
    if isinstance(value, float) and "integer" in names and value.is_integer():
        raise _NotSure  # (2.0 is an integer to jsonschema)
    return False


def _json(value) -> bool:
    return value is None or isinstance(value, (str, bool, int, float, dict, list))


def _enum(q: Quick, value, rule, schema, base, depth) -> bool:
    if not isinstance(value, (str, type(None))) or not all(isinstance(x, (str, type(None))) for x in rule):
        raise _NotSure  # (1 == True in Python, not in JSON)
    return value in rule


def _properties(q: Quick, value, rule, schema, base, depth) -> bool:
    if not isinstance(value, dict):
        return True
    return all(q._valid(v, rule[k], base, depth) for k, v in value.items() if k in rule)


def _additional(q: Quick, value, rule, schema, base, depth) -> bool:
    if not isinstance(value, dict):
        return True
    if any(not isinstance(k, str) for k in value) or "patternProperties" in schema:
        raise _NotSure
    extra = [k for k in value if k not in schema.get("properties", {})]
    if rule is False:
        return not extra
    if rule is True:
        return True
    return all(q._valid(value[k], rule, base, depth) for k in extra)


def _required(q: Quick, value, rule, schema, base, depth) -> bool:
    return not isinstance(value, dict) or all(k in value for k in rule)


def _items(q: Quick, value, rule, schema, base, depth) -> bool:
    if not isinstance(value, list):
        return True
    if not isinstance(rule, dict) or "prefixItems" in schema:
        raise _NotSure
    return all(q._valid(v, rule, base, depth) for v in value)


def _one_of(q: Quick, value, rule, schema, base, depth) -> bool:
    return sum(1 for sub in rule if q._valid(value, sub, base, depth)) == 1


def _ref(q: Quick, value, rule, schema, base, depth) -> bool:
    return q._ref(value, rule, base, depth)


_KEYWORDS = {"type": _type, "enum": _enum, "properties": _properties, "additionalProperties": _additional,
             "required": _required, "items": _items, "oneOf": _one_of, "$ref": _ref}
