"""The bash session: state carries over, markers split output and status, timeouts and pty (plain shell, no cluster)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from deckops import proc
from deckops.rehearse.runner import Session, quote


def children() -> list[int]:
    """Live (non-zombie) child processes of this test process."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.fixture
def session(tmp_path):
    before = children()
    s = Session(tmp=tmp_path).start()
    pgid = s.proc.pid
    yield s
    s.close()
    assert proc.group_members(pgid) == []
    assert children() == before


def test_state_carries_over_between_commands(session, tmp_path):
    assert session.run(f"cd {tmp_path}; export A=1; B=two").status == 0
    out = session.run('echo "$A $B $(basename $PWD)"')
    assert (out.status, out.output) == (0, f"1 two {tmp_path.name}\n")


def test_exit_status_output_without_newline_and_stderr(session):
    assert session.run("printf 'no newline'").output == "no newline"
    assert session.run("echo oops >&2; exit_3() { return 3; }; exit_3") .status == 3
    assert session.run("echo oops >&2").output == "oops\n"


def test_marker_lookalike_and_quotes_are_just_output(session):
    out = session.run("echo 'DECKOPS-0000 1'; echo \"it's\"; printf '%s\\n' \"$'x'\"")
    assert out.output == "DECKOPS-0000 1\nit's\n$'x'\n"


def test_commands_do_not_eat_the_sessions_input(session):
    assert session.run("cat").output == ""
    assert session.run("echo still here").output == "still here\n"


def test_scripted_stdin_without_pty(session):
    out = session.run('read a b; echo "[$a|$b]"', stdin="hello world")
    assert out.output == "[hello|world]\n"


def test_pty_for_interactive_commands(session):
    out = session.run('[ -t 0 ] && [ -t 1 ] && echo tty; read x; echo "x=$x"', stdin="typed", pty=True)
    assert (out.status, out.output) == (0, "tty\ntyped\nx=typed\n")


def test_pty_input_is_typed_at_the_prompts_like_a_person(session):
    out = session.run('read -p "name? " n; echo "hi $n"; read -p "age? " a; echo "$n is $a"',
                      stdin="ada\\n36", pty=True)
    assert out.output == "name? ada\nhi ada\nage? 36\nada is 36\n"


def test_syntax_error_is_contained(session):
    out = session.run("if true; then")
    assert out.status == 2 and "syntax error" in out.output
    assert session.run("echo fine").output == "fine\n"


def test_timeout_kills_what_the_command_started_and_keeps_the_shell(session, tmp_path):
    session.run("export KEEP=me")
    out = session.run(f"sleep 30 & echo $! > {tmp_path}/bg; sleep 30", timeout=0.5)
    assert out.timed_out and out.status is None  # the timeout ended it (both sleeps would have run 30 s)
    assert sorted(proc.group_members(session.proc.pid)) == sorted({session.proc.pid, session.shell_pid})
    if session.namespace:  # `$!` is a pid inside the session's namespace: only the shell is left there
        assert list(proc.namespace_members(session.namespace)) == [session.shell_pid]
    else:
        background = int((tmp_path / "bg").read_text())
        assert not Path(f"/proc/{background}").exists() or "Z" in Path(f"/proc/{background}/stat").read_text().split()[2]
    assert session.run("echo $KEEP").output == "me\n"


def test_exit_ends_the_shell_and_the_next_command_gets_a_fresh_one(session):
    session.run("X=1")
    out = session.run("exit 4")
    assert out.shell_exited and out.status == 4
    assert session.run('echo "${X:-unset}"').output == "unset\n"


def test_background_children_are_killed_at_close(tmp_path):
    before = children()
    with Session(tmp=tmp_path) as s:
        s.run(f"sleep 60 & echo $! > {tmp_path}/pid")
        pgid = s.proc.pid
        assert len(proc.group_members(pgid)) == len({pgid, s.shell_pid}) + 1
    assert proc.group_members(pgid) == []
    assert children() == before


def test_quote_roundtrips_awkward_text(session):
    text = "a'b\\c\n\t\x01$HOME`x`"
    assert quote("it's") == "$'it\\'s'"
    out = session.run(f"printf '%s' {quote(text)}")
    assert out.output == text.replace("\x01", "\x01")


def test_queued_batches_timeout_in_the_middle_and_state_survives(session):
    from deckops.rehearse.runner import Step

    batches = [([Step("X=1"), Step("echo a$X")], 5), ([Step("sleep 30"), Step("echo never")], 0.5),
               ([Step("echo c$X")], 5)]
    got = list(session.run_batches(batches))
    assert [[o.output for o in b] for b in got] == [["", "a1\n"], [got[1][0].output], ["c1\n"]]
    assert got[1][0].timed_out and len(got[1]) == 1  # the rest of the timed-out batch did not run


def test_queued_batches_after_the_shell_exits_run_in_a_fresh_shell(session):
    from deckops.rehearse.runner import Step

    got = list(session.run_batches([([Step("Y=2"), Step("exit 5"), Step("echo lost")], 5),
                                    ([Step('echo "y=${Y:-unset}"')], 5)]))
    assert [(o.status, o.shell_exited) for o in got[0]] == [(0, False), (5, True)]
    assert got[1][0].output == "y=unset\n"


def test_empty_batch(session):
    assert session.run_steps([], 1) == []
