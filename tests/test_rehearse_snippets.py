"""Snippet extraction and annotations (pure: no shell, no cluster)."""
from __future__ import annotations

import pytest

from conftest import DATA
from deckops import deck
from deckops.rehearse.snippets import AnnotationError, extract, parse_annotation, resolve_aliases

DECK = """\
# One

<!-- rehearse: name=first timeout=5 -->
```console
$ k get pods \\
>   -o wide
NAME   READY
web    1/1
$ echo "a
> b"
a
b
```

---

# Two

```yaml
kind: Pod
```

<!-- rehearse: skip="no exec on kwok" -->
```bash
kubectl exec web -- ls | k logs web
```

```python
print("not a shell")
```

---

# Three

<!-- rehearse: teardown -->
```sh
echo bye
```

<!-- rehearse: setup expect-exit=1 stdin="y\\n" -->
```
$ false
```
"""


def snippets():
    found = extract(deck.parse(DECK, "t.md"))
    assert found.problems == []
    return found.snippets


def test_annotation_keys_and_values():
    assert parse_annotation('rehearse: skip="needs a node" timeout=2.5 expect-exit=3 name=x setup') == {
        "skip": "needs a node", "timeout": 2.5, "expect-exit": 3, "name": "x", "setup": True}
    assert parse_annotation("rehearse: skip") == {"skip": ""}
    assert parse_annotation('rehearse: stdin="yes\\nno"') == {"stdin": "yes\\nno"}


@pytest.mark.parametrize("text, key", [
    ("rehearse: colour=red", "colour"),
    ("rehearse: timeout=soon", "timeout"),
    ("rehearse: timeout=0", "timeout"),
    ("rehearse: expect-exit=1.5", "expect-exit"),
    ("rehearse: setup=please", "setup"),
    ("rehearse: name", "name"),
    ('rehearse: skip="open', ""),
    ("rehearse: needs=root", "needs"),
    ("rehearse: needs", "needs"),
    ("rehearse: allow-host-access", "allow-host-access"),  # only the command line grants it
])
def test_bad_annotations_name_the_key(text, key):
    with pytest.raises(AnnotationError) as err:
        parse_annotation(text)
    assert err.value.key == key


def test_order_setup_first_teardown_last_and_only_shell_fences():
    got = [(s.slide, s.role, s.commands[0].shown) for s in snippets()]
    assert got == [(3, "setup", "false"), (1, "main", "k get pods \\"), (2, "main", "kubectl exec web -- ls | k logs web"),
                   (3, "teardown", "echo bye")]


def test_console_commands_continuations_and_expected_lines():
    first = snippets()[1]
    assert first.name == "first" and first.timeout == 5 and first.console
    get, echo = first.commands
    assert get.text == "kubectl get pods \\\n  -o wide"
    assert [(e.text, e.line) for e in get.expected] == [("NAME   READY", 7), ("web    1/1", 8)]
    assert (get.line, get.end_line) == (5, 6)
    assert echo.text == 'echo "a\nb"' and [e.text for e in echo.expected] == ["a", "b"]


def test_script_fence_is_one_command_with_aliases_resolved_and_skip_reason():
    script = snippets()[2]
    assert not script.console and script.skip == "no exec on kwok"
    assert script.commands[0].text == "kubectl exec web -- ls | kubectl logs web"
    assert script.label == "slide 2: Two: kubectl exec web -- ls | k logs web"


def test_setup_annotation_values():
    setup = snippets()[0]
    assert (setup.expect_exit, setup.stdin, setup.skip) == (1, "y\\n", None)


def test_needs_host_access_is_read_from_its_annotation():
    found = extract(deck.parse("# A\n\n<!-- rehearse: needs=host-access stdin=ps -->\n```console\n"
                               "$ kubectl debug node/n -it --image=busybox:1.36\n```\n\n```console\n$ true\n```\n",
                               "t.md"))
    assert [(s.needs, s.stdin, s.skip) for s in found.snippets] == [(("host-access",), "ps", None), ((), None, None)]


def test_bad_annotation_is_a_positioned_problem():
    found = extract(deck.parse("# A\n\n<!-- rehearse: tiemout=3 -->\n```console\n$ true\n```\n", "t.md"))
    assert [(p.line, p.col) for p in found.problems] == [(3, 1)]
    assert "tiemout" in found.problems[0].message


def test_aliases_only_in_command_position():
    aliases = {"k": "kubectl", "g": "git"}
    assert resolve_aliases("k get pods | grep k && g log; echo k", aliases) == \
        "kubectl get pods | grep k && git log; echo k"
    assert resolve_aliases("x=$(k get ns)", aliases) == "x=$(kubectl get ns)"


def test_interactive_commands_are_flagged():
    found = extract(deck.parse("# A\n\n```console\n$ k run t -it --image=busybox -- sh\n$ k get pods\n```\n"))
    assert [c.interactive for c in found.snippets[0].commands] == [True, False]


def test_shell_fixture_deck():
    found = extract(deck.load(DATA / "rehearse" / "shell.md"))
    assert [s.slide for s in found.snippets] == [1, 2, 3, 4, 5, 6, 7]
    assert found.snippets[3].skip == "needs a real node"
