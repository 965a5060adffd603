"""One of each: the error guard (folint.guard), the process pool (folint.pool) and the
node helpers on SourceFile."""

import signal
import sys

import pytest

from folint.finding import FileError
from folint.guard import Failed, run_check
from folint.pool import parallel_map
from folint.source import SourceFile

_state: dict = {}


def _init(k):
    _state["k"] = k


def _times(x):
    return x * _state["k"]


def test_run_check_returns_the_value_or_one_error_line():
    errors: list[FileError] = []
    assert run_check(lambda a, b: a + b, 1, 2, path="x.c", errors=errors, what="FOL001") == 3
    assert errors == []

    def boom():
        raise KeyError("k")

    out = run_check(boom, path="x.c", errors=errors, what="tree index", consequence="file left out of the index; ")
    assert isinstance(out, Failed) and not out.too_deep and out.name == "KeyError"
    assert [str(e) for e in errors] == [
        "x.c: tree index: internal error KeyError: 'k'; file left out of the index; please report it with this file"]

    def deep():
        raise RecursionError()

    errors.clear()
    assert run_check(deep, path="x.c", errors=errors, what="FOL004").too_deep
    assert errors == []  # no line asked for
    run_check(deep, path="x.c", errors=errors, what="FOL004", too_deep="code nested too deeply")
    assert [str(e) for e in errors] == ["x.c: FOL004: code nested too deeply"]


def test_a_rule_that_fails_while_yielding_is_one_error_line():
    from folint.checker import check_source
    from folint.rule import Rule

    class Broken(Rule):
        code, name, scope = "FOL999", "broken", "file"

        def check(self, src):
            yield from ()
            raise ValueError("bad")

    result = check_source("x.c", b"int f(void) { return 0; }\n", [Broken()], prefilter=False)
    assert [str(e) for e in result.errors] == [
        "x.c: FOL999: internal error ValueError: bad; please report it with this file"]


def test_parallel_map_gives_the_same_results_in_workers_and_in_process():
    items = list(range(20))
    want = [x * 3 for x in items]
    assert list(parallel_map(_times, items, jobs=2, initializer=_init, initargs=(3,))) == want
    assert sorted(parallel_map(_times, items, jobs=2, initializer=_init, initargs=(3,), ordered=False)) == want
    assert list(parallel_map(_times, items, jobs=1, initializer=_init, initargs=(3,))) == want
    assert list(parallel_map(_times, items, jobs=2, initializer=_init, initargs=(3,), serial_below=50)) == want


def test_node_at_and_byte_at():
    src = SourceFile("t.c", b"int f(int *p)\n{\n\tfor (;;)\n\t\treturn g((h(p)));\n}\n")
    call_byte = src.raw.index(b"h(p)")
    assert src.byte_at(*src.position(call_byte)) == call_byte
    assert src.byte_at(4, 3) == src.raw.index(b"return")
    call = src.node_at(call_byte, "call_expression")
    assert call is not None and src.text(call) == "h(p)"  # right after "(": still found
    loop = src.node_at(src.raw.index(b"for"), ("for_statement", "while_statement"))
    assert loop is not None and loop.type == "for_statement"
    assert src.node_at(call_byte + 1, "call_expression") is None
    assert src.node_at(None, "call_expression") is None and src.node_at(10 ** 6, "call_expression") is None


def _pdeathsig(_item):
    import ctypes

    sig = ctypes.c_int(0)
    ctypes.CDLL(None, use_errno=True).prctl(2, ctypes.byref(sig), 0, 0, 0)  # PR_GET_PDEATHSIG
    return sig.value


def _no_setup():
    pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
def test_every_pool_worker_dies_with_its_parent_whatever_its_initializer():
    """The one pool sets the parent-death signal itself, so a caller whose initializer
    forgets it (the name search of check-patch did) leaves no worker behind a killed run."""
    got = list(parallel_map(_pdeathsig, list(range(8)), jobs=2, initializer=_no_setup))
    assert got == [signal.SIGKILL] * 8


def test_a_bug_of_folints_own_on_one_file_is_one_error_line_and_the_run_goes_on(tmp_path, monkeypatch):
    """Not a rule's (those are caught in folint.guard): the checker itself raising on one
    file gives that file one error line, and the other files are checked as ever."""
    import folint.index.collect as collect
    from folint.config import Config
    from folint.runner import RunOptions, run

    bug = "void f(struct folio *folio)\n{\n\tint i;\n\n\tfor (i = 0; i < folio_nr_pages(folio); i++)\n" \
          "\t\treturn put_page(folio_page(folio, i));\n}\n"
    (tmp_path / "a.c").write_text(bug)
    (tmp_path / "b.c").write_text(bug)
    real = collect.check_source

    def flaky(path, *a, **kw):
        if path.endswith("a.c"):
            raise AttributeError("'NoneType' object has no attribute 'start_byte'")
        return real(path, *a, **kw)

    monkeypatch.setattr(collect, "check_source", flaky)
    result = run([str(tmp_path)], Config(), RunOptions(jobs=1, simulate=False))
    assert [str(e) for e in result.errors] == [
        f"{tmp_path / 'a.c'}: internal error AttributeError: 'NoneType' object has no attribute 'start_byte'; "
        f"file not checked; please report it with this file"]
    assert {f.path for f in result.findings} == {str(tmp_path / "b.c")}
