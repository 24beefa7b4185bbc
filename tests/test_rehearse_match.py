"""Matchers, Kubernetes masks and diffs (pure)."""
from __future__ import annotations

import pytest

from deckops.rehearse.match import NO_MASKS, Masks, compare, glob_to_regex, line_matches

K8S = Masks.build()

# `kubectl get pods -o wide` from two runs: other hashes, ages, IPs, column widths
RUN1 = """\
NAME                   READY   STATUS    RESTARTS   AGE   IP           NODE
web-7d4b9c8f6d-x2kqp   1/1     Running   0          12s   10.244.0.5   kwok-node-0
job-hx4tz              0/1     Completed 0          3m    10.0.0.17    kwok-node-1""".splitlines()
RUN2 = """\
NAME                   READY   STATUS    RESTARTS   AGE     IP            NODE
web-5f8c6b7d9b-pq7wz   1/1     Running   0          2m41s   10.244.10.25  kwok-node-0
job-9sk2v              0/1     Completed 0          1d      10.0.0.9      kwok-node-1""".splitlines()


@pytest.mark.parametrize("expected, actual, ok", [
    ("hello", "hello", True),
    ("hello", "hello ", False),
    (r"id-\d+ (re)", "id-42", True),
    (r"id-\d+ (re)", "id-42x", False),  # a regex must match the whole line
    ("[bad (re)", "[bad", False),  # a broken regex is a mismatch, not a crash
    ("pod/* created (glob)", "pod/web created", True),
    ("a?c (glob)", "abc", True),
    (r"a\* (glob)", "a*", True),
    (r"a\* (glob)", "ab", False),
])
def test_line_matchers(expected, actual, ok):
    assert line_matches(expected, actual, NO_MASKS) is ok


def test_glob_translation():
    assert glob_to_regex(r"x*y?.\?") == r"x.*y.\.\?"


def test_pod_tables_match_across_runs_with_k8s_masks():
    assert compare(RUN1, RUN2, K8S).ok
    assert not compare(RUN1, RUN2, NO_MASKS).ok


def test_masks_keep_what_matters():
    other_status = [l.replace("Running", "Pending") for l in RUN2]
    assert not compare(RUN1, other_status, K8S).ok
    other_name = [l.replace("web-", "api-") for l in RUN2]
    assert not compare(RUN1, other_name, K8S).ok


@pytest.mark.parametrize("line, masked", [
    ("uid: 0b5e1f3a-1111-2222-3333-444455556666", "uid: <uid>"),
    ('  resourceVersion: "81234"', 'resourceVersion: "<resource-version>"'),
    ("creationTimestamp: 2026-11-26T07:16:51Z", "creationTimestamp: <timestamp>"),
    ("Start Time:   Thu, 26 Nov 2026 07:16:51 +0000", "Start Time: <timestamp>"),
    ("Normal  Scheduled  5s  default-scheduler", "Normal Scheduled <duration> default-scheduler"),
    ("IP: 10.244.0.5", "IP: <ip>"),
    ("nginx:1.27 ready", "nginx:1.27 ready"),  # an image tag is not a duration
    ("deployment.apps/web created", "deployment.apps/web created"),
    ("No resources found in deckops-rehearse-4cp4j4 namespace.", "No resources found in <namespace> namespace."),
])
def test_individual_masks(line, masked):
    assert K8S.apply(line) == masked


def test_ellipsis_swallows_any_lines_even_none():
    assert compare(["a", "...", "z"], ["a", "b", "c", "z"]).ok
    assert compare(["a", "...", "z"], ["a", "z"]).ok
    assert compare(["..."], []).ok
    assert not compare(["a", "...", "z"], ["a", "b"]).ok


def test_diff_is_positioned_at_the_slide_line():
    result = compare(["one", "three"], ["one", "two"], first_line=30, label="deck.md:30")
    assert not result.ok
    assert result.diff == ("--- deck.md:30 (slide)", "+++ deck.md:30 (actual)", "@@ -30,2 +30,2 @@",
                           " one", "-three", "+two")


def test_merged_keeps_matching_patterns_and_takes_new_output():
    result = compare([r"id-\d+ (re)", "old", "end"], ["id-7", "new", "end"], K8S)
    assert not result.ok
    assert result.merged == (r"id-\d+ (re)", "new", "end")
    assert compare(list(result.merged), ["id-9", "new", "end"], K8S).ok


def test_ellipsis_absorbs_changed_lines_when_that_is_cheapest():
    result = compare(["a", "...", "old", "end"], ["a", "x", "new", "end"])
    assert not result.ok and result.diff[-2:] == ("-old", " end")
    assert result.merged == ("a", "...", "end")


def test_merged_keeps_the_slide_text_for_masked_lines():
    result = compare(RUN1 + ["gone"], RUN2, K8S)
    assert result.merged == tuple(RUN1)
    assert result.diff[-1] == "-gone"


@pytest.mark.parametrize("suffix", ["lfxgv", "x8k2p", "22222", "bcdfg"])
def test_random_suffixes_with_or_without_digits(suffix):
    assert K8S.apply(f"Defaulting debug container name to debugger-{suffix}.") == \
        "Defaulting debug container name to debugger<suffix>."


@pytest.mark.parametrize("word", ["web-nginx", "my-alpine", "kube-proxy", "node-exporter", "pod-start"])
def test_words_after_a_hyphen_are_not_suffixes(word):
    assert K8S.apply(word) == word


# --- racy output (issue 16): what varies between runs is masked or left out, never written by --update ----

from deckops.rehearse.match import Masks as _Masks, compare as _compare  # noqa: E402


def test_rollout_progress_lines_are_not_compared_nor_written():
    expected = ['deployment "web" successfully rolled out']
    runs = [['Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...',
             'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...',
             'deployment "web" successfully rolled out'],
            ['deployment "web" successfully rolled out']]
    for actual in runs:
        assert _compare(expected, actual, _Masks.build()).ok
    stale = _compare(['deployment "api" successfully rolled out'], runs[0], _Masks.build())
    assert not stale.ok and stale.merged == ('deployment "web" successfully rolled out',)
    assert not _compare(expected, runs[0], _Masks.build(k8s=False)).ok  # k8s-masks: false compares them


def test_terminating_pods_restarts_and_age_are_not_compared():
    expected = ["NAME                   READY   STATUS    RESTARTS   AGE",
                "web-7d4b9c8f6d-x2kqp   1/1     Running   0          12s"]
    actual = ["NAME                   READY   STATUS        RESTARTS      AGE",
              "web-5c9f8b7d4f-q8wzt   1/1     Running       2 (3s ago)    4s",
              "web-7d4b9c8f6d-bbbbb   1/1     Terminating   0             40s"]
    result = _compare(expected, actual, _Masks.build())
    assert result.ok, result.diff
    assert not any("Terminating" in l for l in _compare(["x"], actual, _Masks.build()).merged)


def test_replica_sets_of_a_restarted_rollout_match_in_any_order():
    """`rollout restart` stamps a time into the pod template: the new ReplicaSet's hash, and so its place in
    kubectl's name order, changes on every run (seen on the real node: the table came out in either order)."""
    expected = ["NAME             DESIRED   CURRENT   READY   AGE",
                "web-5d84849455   0         0         0       7s",
                "web-7c6589666b   2         2         2       5s"]
    actual = ["NAME             DESIRED   CURRENT   READY   AGE",
              "web-59c4cb889d   2         2         2       5s",
              "web-5d84849455   0         0         0       8s"]
    result = _compare(expected, actual, _Masks.build())
    assert result.ok, result.diff
    assert not _compare(expected, actual[:1] + [actual[1].replace("2   ", "1   ", 1), actual[2]], _Masks.build()).ok
    # what --update writes does not depend on the order kubectl printed
    flipped = [actual[0], actual[2], actual[1]]
    assert _compare(["x"], actual, _Masks.build()).merged == _compare(["x"], flipped, _Masks.build()).merged
    assert not _compare(expected, actual, _Masks.build(k8s=False)).ok


def test_update_lays_out_a_table_again_without_the_terminating_rows():
    """kubectl sized STATUS for `Terminating`; the row is not written, so neither is its width."""
    actual = ["NAME                   READY   STATUS        RESTARTS   AGE",
              "web-68867c8d56-plmjh   1/1     Running       0          4s",
              "web-5d84849455-pz9tk   1/1     Terminating   0          40s",
              "web-68867c8d56-xq2kp   1/1     Running       0          2s",
              "",
              "NAME   READY   UP-TO-DATE   AVAILABLE   AGE",
              "web    2/2     2            2           7s"]
    merged = _compare(["x"], actual, _Masks.build()).merged
    assert merged == ("NAME                   READY   STATUS    RESTARTS   AGE",
                      "web-68867c8d56-plmjh   1/1     Running   0          4s",
                      "web-68867c8d56-xq2kp   1/1     Running   0          2s",
                      "",
                      "NAME   READY   UP-TO-DATE   AVAILABLE   AGE",
                      "web    2/2     2            2           7s")
    wide = [("NAME                   READY   STATUS        RESTARTS   AGE   IP           NODE          "
             "NOMINATED NODE   READINESS GATES"),
            ("web-68867c8d56-plmjh   1/1     Running       0          5s    10.88.0.10   e-flag-node   "
             "<none>           <none>"),
            ("web-5d84849455-pz9tk   1/1     Terminating   0          40s   10.88.0.9    e-flag-node   "
             "<none>           <none>")]
    assert _compare(["x"], wide, _Masks.build()).merged == (
        ("NAME                   READY   STATUS    RESTARTS   AGE   IP           NODE          NOMINATED NODE   "
         "READINESS GATES"),
        "web-68867c8d56-plmjh   1/1     Running   0          5s    10.88.0.10   e-flag-node   <none>           <none>")
    # a table that lost nothing is written exactly as kubectl printed it
    assert _compare(["x"], actual[4:], _Masks.build()).merged == tuple(actual[4:])


def test_a_prompt_drawn_again_before_the_typed_command_is_not_compared_nor_written():
    """busybox sh redraws its prompt when `kubectl debug -it` attaches: one run in three showed `/ # ` on a
    line of its own before `/ # ps` (real node)."""
    one = ["If you don't see a command prompt, try pressing enter.", "", "/ # ps", "PID   USER     COMMAND",
           "    1 root     /checkout", "/ # "]
    two = one[:2] + ["/ # "] + one[2:]
    assert _compare(one, two, _Masks.build()).ok
    assert _compare(["x"], two, _Masks.build()).merged == _compare(["x"], one, _Masks.build()).merged
    assert _compare(["$ ", "$ ls"], ["$ ls"], _Masks.build()).ok
    # a prompt that ends the output, or one followed by something else, stays
    assert _compare(["x"], one, _Masks.build()).merged[-1] == "/ # "
    assert not _compare(["/ # ", "total 0"], ["total 0"], _Masks.build()).ok
    assert not _compare(one, two, _Masks.build(k8s=False)).ok
