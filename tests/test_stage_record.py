"""`rehearse --record DIR`: asciicast v2 recordings (timed output, size, hidden credentials) and an SVG per green
snippet, written only inside DIR; real shell runs (--no-cluster)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import run_cli

from deckops.rehearse import record

DECK = """---
marp: true
---

# Hello

```console
$ echo hello; sleep 0.4; echo world
hello
world
```

---

# Secrets

```console
$ printf 'token: abcdefghijklmnopqrstuvwxyz\\nTOK=s3cr3t-value\\n'
token: abcdefghijklmnopqrstuvwxyz
TOK=s3cr3t-value
$ X=5; echo "x is $X" >&2
x is 5
```

---

# Broken

```console
$ echo changed
unchanged
```
"""


def _deck(tmp_path: Path, name: str = "talk.md") -> Path:
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / "talk.rehearse.yaml").write_text("masks:\n  tok: 's3cr3t-\\w+'\n")
    deck = tmp_path / name
    deck.write_text(DECK)
    return deck


def test_green_snippets_are_recorded_with_timing_and_hidden_credentials(tmp_path):
    deck = _deck(tmp_path)
    res = run_cli("rehearse", "--no-cluster", "--record", "rec", deck.name, cwd=tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr  # slide 3 is stale on purpose
    folder = tmp_path / "rec" / "talk"
    assert sorted(p.name for p in folder.iterdir()) == [
        "slide-001-1.cast", "slide-001-1.svg", "slide-002-1.cast", "slide-002-1.svg"]  # no recording of a failure
    rows = [json.loads(l) for l in (folder / "slide-001-1.cast").read_text().splitlines()]
    head, events = rows[0], rows[1:]
    assert head["version"] == 2 and (head["width"], head["height"]) == (120, 40) and head["timestamp"] > 0
    assert events[0] == [0.0, "m", "echo hello; sleep 0.4; echo world"]
    assert events[1] == [0.0, "o", "$ echo hello; sleep 0.4; echo world\r\n"]
    hello, world = events[2], events[3]
    assert (hello[1:], world[1:]) == (["o", "hello\r\n"], ["o", "world\r\n"])
    assert world[0] - hello[0] >= 0.35  # the real pause between the two lines is kept
    assert head["duration"] >= world[0]
    second = (folder / "slide-002-1.cast").read_text()
    assert "abcdefghijklmnopqrstuvwxyz\\r\\n" not in second and "token: <credential>" in second
    assert "s3cr3t-value" not in second.split("\n", 3)[3] and "TOK=<tok>" in second  # the deck's own mask
    assert "x is 5" in second  # stderr is part of the session
    cast = record.read(folder / "slide-002-1.cast")
    assert [c for c, _ in cast.commands()] == [
        "printf 'token: abcdefghijklmnopqrstuvwxyz\\nTOK=s3cr3t-value\\n'", 'X=5; echo "x is $X" >&2']
    svg = ET.fromstring((folder / "slide-002-1.svg").read_text())
    texts = [t.text.replace("\xa0", " ") for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[-2:] == ['$ X=5; echo "x is $X" >&2', "x is 5"]


def test_a_failed_run_keeps_the_last_green_recording(tmp_path):
    deck = _deck(tmp_path)
    assert run_cli("rehearse", "--no-cluster", "--record", "rec", deck.name, cwd=tmp_path).returncode == 1
    kept = (tmp_path / "rec" / "talk" / "slide-001-1.cast").read_text()
    deck.write_text(DECK.replace("echo world\n", "echo world; false\n", 1))
    assert run_cli("rehearse", "--no-cluster", "--record", "rec", deck.name, cwd=tmp_path).returncode == 1
    assert (tmp_path / "rec" / "talk" / "slide-001-1.cast").read_text() == kept


def test_nothing_is_written_outside_the_folder(tmp_path):
    """A deck named `...md` (stem `..`) still records inside DIR; no temporary files are left."""
    deck = _deck(tmp_path, "...md")
    before = {p for p in tmp_path.rglob("*")}
    run_cli("rehearse", "--no-cluster", "--record", "rec", deck.name, cwd=tmp_path)
    new = {p for p in tmp_path.rglob("*")} - before
    assert new and all(p.is_relative_to(tmp_path / "rec") for p in new), new
    assert not [p for p in new if p.name.endswith(".tmp")]
    assert not (tmp_path.parent / "slide-001-1.cast").exists()


def test_names_and_folders():
    from deckops.rehearse.snippets import Snippet

    snips = [Snippet("d.md", 0, "setup", 0, (), False, role="setup"), Snippet("d.md", 3, "t", 1, (), True),
             Snippet("d.md", 3, "t", 4, (), True), Snippet("d.md", 12, "u", 6, (), True)]
    assert record.names(snips) == ["setup-1", "slide-003-1", "slide-003-2", "slide-012-1"]
    assert record.deck_folder(Path("/r"), "a/../../x y.md") == Path("/r/x_y")
    assert record.deck_folder(Path("/r"), "...md") == Path("/r/deck")


def test_hider_keeps_columns_and_lines_of_a_private_key():
    hide = record.Hider.for_deck({})
    assert hide("password: hunter2hunter2x   other") == "password: <credential>   other"
    assert hide("-----BEGIN RSA PRIVATE KEY-----\n") == "<private-key>\n"
    assert hide("A" * 64 + "\n") == "<private-key>\n"
    assert hide("NAME    READY   STATUS\n") == "NAME    READY   STATUS\n"


def test_a_broken_recording_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.cast"
    bad.write_text('{"version": 2, "width": 80, "height": 24}\n[0.1, "o"]\n')
    try:
        record.read(bad)
    except record.CastError as exc:
        assert str(exc) == f"{bad}: not an asciicast v2 recording: line 2: not an event [time, code, data]"
    else:
        raise AssertionError("no error")


@pytest.mark.cluster
@pytest.mark.browser
def test_build_records_when_a_cluster_is_configured(local_cluster, tmp_path):
    """build's last step: with `cluster = "local"` in the config, the rehearsal records into dist/recordings and
    writes dist/rehearsal.html, the recording embedded."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "slides").mkdir()
    (tmp_path / "slides" / "talk.md").write_text(
        "---\nmarp: true\n---\n\n# Config maps\n\n```console\n$ kubectl create configmap stage "
        "--from-literal=talk=demo\nconfigmap/stage created\n```\n")
    (tmp_path / "deckops.toml").write_text(f'[rehearse]\ncluster = "local"\ncluster-name = "{local_cluster.name}"\n')
    res = run_cli("build", cwd=tmp_path, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    cast = record.read(tmp_path / "dist" / "recordings" / "talk" / "slide-001-1.cast")
    assert cast.commands()[0][1][-1][1] == "configmap/stage created\r\n"
    assert 'data-cast="slide-001-1"' in (tmp_path / "dist" / "rehearsal.html").read_text()


def test_build_does_not_rehearse_without_a_cluster_configured(tmp_path):
    from deckops.commands.rehearse import in_build
    from deckops.config import Config

    (tmp_path / "talk.md").write_text("# A\n\n```console\n$ touch ran.txt\n```\n")
    assert in_build([tmp_path / "talk.md"], Config(root=tmp_path), tmp_path / "dist") == 0
    assert not (tmp_path / "ran.txt").exists() and not (tmp_path / "dist").exists()
