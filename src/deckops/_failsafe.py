"""js-yaml's FAILSAFE schema on PyYAML: every scalar a string, errors where js-yaml has them (used by directives)."""
from __future__ import annotations

import yaml
from yaml.constructor import ConstructorError

_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"})


class _Loader(yaml.BaseLoader):
    def scan_to_next_token(self):
        # js-yaml takes a tab as separation space after `key:` or `-`; PyYAML refuses it ("cannot start any token")
        super().scan_to_next_token()
        while self.peek() == "\t" and self.column > 0:
            self.forward()
            super().scan_to_next_token()


    def scan_plain_spaces(self, indent, start_mark):
        # js-yaml lets a tab separate the words of a plain scalar (`a\tb: c`); PyYAML ends the scalar there
        tabs = 0
        while self.peek(tabs) in " \t":
            tabs += 1
        if "\t" in self.prefix(tabs) and self.peek(tabs) not in "\0\r\n\x85\u2028\u2029#":
            chunk = self.prefix(tabs)
            self.forward(tabs)
            return [chunk]
        return super().scan_plain_spaces(indent, start_mark)

    def parse_block_mapping_key(self):
        # js-yaml reads `: value` (no key) as the key "" (PyYAML: "while parsing a block mapping")
        if self.check_token(yaml.tokens.ValueToken):
            self.state = self.parse_block_mapping_value
            return self.process_empty_scalar(self.peek_token().start_mark)
        return super().parse_block_mapping_key()

    def scan_anchor(self, TokenClass):
        # js-yaml: an anchor or alias name runs to the next space or flow indicator (`&lt;` is one);
        # PyYAML allows only letters, digits, `-` and `_`
        start = self.get_mark()
        self.forward()
        length = 0
        while self.peek(length) not in "\0 \t\r\n\x85\u2028\u2029\ufeff,[]{}":
            length += 1
        if not length:
            raise yaml.scanner.ScannerError("while scanning an anchor or alias", start,
                                            "expected a name, but found nothing", self.get_mark())
        value = self.prefix(length)
        self.forward(length)
        return TokenClass(value, start, self.get_mark())


# YAML 1.1 (PyYAML) breaks lines at NEL, LS and PS; YAML 1.2 (js-yaml) reads them as ordinary characters.
# They stand in as private-use characters while PyYAML reads, and are put back in the result.
_HIDE = str.maketrans({"\x85": "\ue085", "\u2028": "\ue028", "\u2029": "\ue029"})
_SHOW = str.maketrans({"\ue085": "\x85", "\ue028": "\u2028", "\ue029": "\u2029"})


def _restore(data):
    if isinstance(data, str):
        return data.translate(_SHOW)
    if isinstance(data, list):
        return [_restore(x) for x in data]
    if isinstance(data, dict):
        return {_restore(k): _restore(v) for k, v in data.items()}
    return data


def load(text: str, max_nodes: int):
    """(data, None), or (None, YamlError) for a resource limit; raises yaml.YAMLError where js-yaml throws."""
    from .directives import YamlError

    hidden = text.translate(_HIDE)
    if hidden.startswith("...") and hidden[3:4] in ("", " ", "\t", "\n"):
        hidden = hidden[3:]  # js-yaml skips a document-end marker that opens the stream
    loader = _Loader(hidden)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        if _check(node, {}) > max_nodes:
            return None, YamlError(f"YAML block expands to more than {max_nodes:,} values through aliases "
                                   "(an alias bomb?)", 0, 0, limit=True)
        data = loader.construct_document(node)
        return (_restore(data) if hidden != text else data), None
    finally:
        loader.dispose()


def _check(node, memo: dict) -> int:
    """Refuse what FAILSAFE refuses (other tags, duplicate keys); return the node count with aliases expanded."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # cycles count once
    if node.tag not in _TAGS:
        raise ConstructorError(None, None, f"unknown tag !<{node.tag}>", node.start_mark)
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_check(n, memo) for n in node.value)
    elif isinstance(node, yaml.MappingNode):
        seen = set()
        for k, v in node.value:
            size += _check(k, memo) + _check(v, memo)
            name = k.value if isinstance(k, yaml.ScalarNode) else id(k)
            if name in seen:
                raise ConstructorError(None, None, f"duplicated mapping key `{name}`", k.start_mark)
            seen.add(name)
    memo[key] = size = min(size, 10**9)
    return size
