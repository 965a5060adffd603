"""Applying hunks in memory: offsets, file ends, failures with their reason, reversal."""

import pytest

from folint.patch.apply import HunkFailed, apply_hunks, reversed_hunks
from folint.patch.diff import parse_diff

BASE = "".join(f"line {i}\n" for i in range(1, 21))


def hunks(diff):
    (change,), _ = parse_diff(diff)
    return change.hunks


def test_applies_and_records_added_lines_and_gaps():
    diff = "--- a/f.c\n+++ b/f.c\n@@ -4,3 +4,3 @@\n line 4\n-line 5\n+LINE 5\n line 6\n"
    done = apply_hunks(BASE, hunks(diff))
    assert done.text == BASE.replace("line 5\n", "LINE 5\n")
    assert done.added == {5} and done.gaps == {5}


def test_hunk_lands_at_an_offset_when_lines_moved():
    moved = "extra 1\nextra 2\n" + BASE
    diff = "--- a/f.c\n+++ b/f.c\n@@ -4,3 +4,4 @@\n line 4\n line 5\n+new\n line 6\n"
    done = apply_hunks(moved, hunks(diff))
    assert done.text.split("\n")[7] == "new" and done.added == {8}
    assert hunks(diff)[0].applied_at is None  # only the applied copy is marked


def test_insertion_with_zero_context_and_new_file():
    diff = "--- a/f.c\n+++ b/f.c\n@@ -2,0 +3,1 @@\n+inserted\n"
    assert apply_hunks(BASE, hunks(diff)).text.split("\n")[2] == "inserted"
    new = "--- /dev/null\n+++ b/n.c\n@@ -0,0 +1,2 @@\n+a\n+b\n"
    assert apply_hunks("", hunks(new)).text == "a\nb\n"


def test_file_without_newline_at_end():
    text = "a\nb"
    diff = "--- a/f.c\n+++ b/f.c\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n"
    assert apply_hunks(text, hunks(diff)).text == "a\nb\nc\n"


def test_form_feed_does_not_split_lines():
    text = "a\n\x0c\nb\n"
    diff = "--- a/f.c\n+++ b/f.c\n@@ -1,3 +1,3 @@\n a\n \x0c\n-b\n+c\n"
    assert apply_hunks(text, hunks(diff)).text == "a\n\x0c\nc\n"


@pytest.mark.parametrize("text, reason", [
    (BASE.replace("line 5", "line five"), "its context (from 'line 4') is not in the file"),
    (BASE.replace("\n", "\r\n"), "the patch has LF line endings and the file has CRLF"),
    (BASE.replace("line 5", "line  5"), "matches only if white space is ignored"),
])
def test_failure_says_why(text, reason):
    diff = "--- a/f.c\n+++ b/f.c\n@@ -4,3 +4,3 @@\n line 4\n-line 5\n+LINE 5\n line 6\n"
    with pytest.raises(HunkFailed) as exc:
        apply_hunks(text, hunks(diff))
    assert reason in exc.value.reason and exc.value.hunk.index == 1


def test_second_hunk_failing_is_named():
    diff = ("--- a/f.c\n+++ b/f.c\n@@ -2,1 +2,1 @@\n-line 2\n+LINE 2\n"
            "@@ -9,1 +9,1 @@\n-line nine\n+LINE 9\n")
    with pytest.raises(HunkFailed) as exc:
        apply_hunks(BASE, hunks(diff))
    assert exc.value.hunk.index == 2


def test_reversed_hunks_undo_the_patch():
    diff = "--- a/f.c\n+++ b/f.c\n@@ -4,3 +4,3 @@\n line 4\n-line 5\n+LINE 5\n line 6\n"
    after = apply_hunks(BASE, hunks(diff)).text
    assert apply_hunks(after, reversed_hunks(hunks(diff))).text == BASE
