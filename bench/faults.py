"""The fault trial of issue 14, rebuilt from our own inputs: one row per case.

    python bench/faults.py                 # every case, a table: part, case, expected, got, ok
    python bench/faults.py -k fifo         # only the cases whose name contains "fifo"
    python bench/faults.py --tree DIR      # whole-tree figures: time, peak RSS (main, summed tree), errors
    python bench/faults.py --series 1000   # check-patch on 1,000 patches of the long-series row's shape
    python bench/faults.py --series 250 --grow  # the same, each patch adding a line (later functions move)

Each case builds its inputs in a temporary folder (FIFOs, links to /dev/zero,
hostile functions, truncated patches, a scratch git repository, a corrupt
cache ...), runs folint in a child process with a timeout and an address-space
limit (so a runaway case cannot take the machine), and judges what came out.
Nothing here reads or writes outside its temporary folders.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PY = sys.executable
TIMEOUT = 30.0
MEM_LIMIT = 3 << 30  # bytes of address space per child
NO_DAC_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
                   "--inh-caps=-dac_override,-dac_read_search", "--"]

FOL001 = textwrap.dedent("""\
    int demo_save(struct folio *folio)
    {
    \tlong i, nr = folio_nr_pages(folio);

    \tfor (i = 0; i < nr; i++)
    \t\treturn demo_save_tags(folio_page(folio, i));
    \treturn 0;
    }
    """)

FOL006 = textwrap.dedent("""\
    static void demo_unlock(struct folio *folio)
    {
    \tunlock_page(&folio->page);
    }
    """)


@dataclass
class Proc:
    rc: int | None
    out: bytes
    err: bytes
    seconds: float
    peak_kib: int = 0
    cpu: float = 0.0  # user + system seconds (the machine is shared: wall time is noisy)

    @property
    def timed_out(self) -> bool:
        return self.rc is None

    def text(self) -> str:
        return (self.out + self.err).decode("utf-8", "replace")

    def traceback(self) -> bool:
        return b"Traceback (most recent call last)" in self.err

    def err_lines(self) -> list[str]:
        return [ln for ln in self.err.decode("utf-8", "replace").splitlines() if ln.strip()]

    def brief(self) -> str:
        if self.timed_out:
            return f"hung (killed after {self.seconds:.0f}s)"
        if self.traceback():
            last = [ln for ln in self.err_lines() if ln and not ln.startswith(" ")]
            return f"exit {self.rc}, traceback: {last[-1][:70] if last else '?'}"
        first = self.err_lines()[:1]
        return f"exit {self.rc}, {self.seconds:.1f}s ({self.cpu:.1f}s CPU)" + \
            (f", stderr: {first[0][:90]}" if first else "")


def _limits(mem: int):
    def pre():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    return pre


def folint(args: list[str], cwd: Path, *, stdin=subprocess.DEVNULL, env: dict | None = None,
           timeout: float = TIMEOUT, mem: int = MEM_LIMIT, shell_suffix: str | None = None,
           no_override: bool = False) -> Proc:
    """Run ``python -m folint ARGS`` (``shell_suffix``: through sh, e.g. ``'>&-'``)."""
    full_env = dict(os.environ, NO_COLOR="1", XDG_CACHE_HOME=str(cwd / ".cache"))
    full_env.update(env or {})
    cmd: list[str] | str = [PY, "-m", "folint", *args]
    if no_override and os.geteuid() == 0:  # root without the power to ignore file modes
        cmd = NO_DAC_OVERRIDE + cmd
    if shell_suffix is not None:
        cmd = " ".join(_q(c) for c in cmd) + " " + shell_suffix
    pre = _limits(mem)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=full_env, preexec_fn=pre, shell=shell_suffix is not None)
    try:
        out, err = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        rc = None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    return Proc(rc, out, err, time.perf_counter() - started, usage.ru_maxrss, cpu)


def _q(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="T", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="T",
               GIT_COMMITTER_EMAIL="t@example.org", GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env,
                          text=True).stdout


def repo_with_commits(d: Path) -> Path:
    repo = d / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.c").write_text("int a(void)\n{\n\treturn 0;\n}\n")
    git(repo, "add", "a.c")
    git(repo, "commit", "-q", "-m", "one")
    (repo / "a.c").write_text("int a(void)\n{\n\treturn 0;\n}\n" + FOL001)
    git(repo, "commit", "-q", "-am", "two")
    return repo


def patch_for(path: str, old: str, new: str) -> str:
    """A git diff turning ``old`` (a file's whole text) into ``new``."""
    import difflib

    body = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))
    return f"diff --git a/{path} b/{path}\n{body}"


def new_file_patch(path: str, text: str) -> str:
    lines = text.splitlines(True)
    return (f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n"
            f"+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n" + "".join("+" + ln for ln in lines))


# -- the cases ------------------------------------------------------------------
CASES = []


def case(part: str, name: str, expected: str):
    def deco(fn):
        CASES.append((part, name, expected, fn))
        return fn
    return deco


def ok_line(p: Proc, *needles: str, rc=(0, 1, 2)) -> bool:
    return (not p.timed_out and not p.traceback() and p.rc in rc
            and all(n.lower() in p.text().lower() for n in needles))


@case("1", "fifo-in-folder", "no hang; one error line for x.c (not a regular file)")
def c_fifo_scan(d: Path):
    (d / "t").mkdir()
    (d / "t" / "ok.c").write_text(FOL001)
    os.mkfifo(d / "t" / "x.c")
    p = folint(["--no-cache", "t"], d, timeout=10)
    return ok_line(p, "x.c", "regular file") and "FOL001" in p.text(), p.brief()


@case("1", "fifo-simulate", "no hang; exit 2, one line")
def c_fifo_sim(d: Path):
    os.mkfifo(d / "x.c")
    p = folint(["simulate", "x.c:demo_save"], d, timeout=10)
    return ok_line(p, "x.c", rc=(2,)) and len(p.err_lines()) == 1, p.brief()


@case("1", "fifo-named-by-patch", "no hang; one error line naming x.c")
def c_fifo_patch(d: Path):
    (d / "tree").mkdir()
    os.mkfifo(d / "tree" / "x.c")
    (d / "p.diff").write_text(patch_for("x.c", "int a;\n", "int b;\n"))
    p = folint(["check-patch", "--tree", "tree", "p.diff"], d, timeout=10)
    return ok_line(p, "x.c", rc=(2,)), p.brief()


@case("2", "symlink-to-dev-zero", "error line, no MemoryError, bounded memory")
def c_zero(d: Path):
    os.symlink("/dev/zero", d / "zero.c")
    p = folint(["--no-cache", "zero.c"], d, timeout=20)
    return ok_line(p, "zero.c") and "MemoryError" not in p.text(), p.brief()


@case("2", "symlink-to-dev-urandom", "error line, no MemoryError")
def c_urandom(d: Path):
    os.symlink("/dev/urandom", d / "rnd.c")
    p = folint(["--no-cache", "rnd.c"], d, timeout=20)
    return ok_line(p, "rnd.c") and "MemoryError" not in p.text(), p.brief()


@case("2", "check-patch-stdin-unbounded", "stdin from /dev/zero: exit 2, one line (over the limit)")
def c_stdin_zero(d: Path):
    with open("/dev/zero", "rb") as zero:
        p = folint(["check-patch", "--no-tree", "-"], d, stdin=zero, timeout=20)
    return ok_line(p, "stdin", rc=(2,)) and "MemoryError" not in p.text(), p.brief()


@case("3", "sim-squaring-loop", "finishes in seconds (C integer widths)")
def c_square(d: Path):
    (d / "sq.c").write_text(textwrap.dedent("""\
        int demo_sq(struct folio *folio)
        {
        \tunsigned long x = 3;
        \tint k;

        \tfor (k = 0; k < 40; k++)
        \t\tx = x * x;
        \treturn x;
        }
        """))
    p = folint(["simulate", "sq.c:demo_sq"], d, timeout=30)
    return ok_line(p, rc=(0, 1)) and p.seconds < 10, p.brief()


def _nested(depth: int, chain: bool) -> str:
    if chain:
        inner = "\t\tif (a == 0) {\n\t\t\treturn -1;\n\t\t}" + "".join(
            f" else if (a == {k}) {{\n\t\t\treturn -{k};\n\t\t}}" for k in range(1, depth))
    else:
        inner = "if (a) {" * depth + " return -1; " + "}" * depth
    return textwrap.dedent("""\
        int demo_deep(struct folio *folio, int a)
        {
        \tlong i, nr = folio_nr_pages(folio);
        \tint err;

        \tfor (i = 0; i < nr; i++) {
        \t\terr = demo_map(folio_page(folio, i));
        \t\tif (err) {
        %s
        \t\t}
        \t}
        \treturn 0;
        }
        """) % inner


@case("4", "nested-if-2000", "finishes in a few seconds")
def c_deep2000(d: Path):
    (d / "deep.c").write_text(_nested(2000, False))
    p = folint(["--no-cache", "--no-simulate", "deep.c"], d, timeout=60)
    return ok_line(p) and p.seconds < 10, p.brief()


@case("4", "nested-if-10000", "finishes; a nested-too-deeply line names the rule that gave up")
def c_deep10000(d: Path):
    (d / "deep.c").write_text(_nested(10000, False))
    p = folint(["--no-cache", "--no-simulate", "deep.c"], d, timeout=60)
    return ok_line(p) and p.seconds < 20, p.brief()


@case("4", "else-if-chain-3000", "finishes in a few seconds")
def c_chain(d: Path):
    (d / "chain.c").write_text(_nested(3000, True))
    p = folint(["--no-cache", "--no-simulate", "chain.c"], d, timeout=60)
    return ok_line(p) and p.seconds < 10, p.brief()


@case("5", "nul-after-8k", "a NUL past 8 KB (at 8 KB+1, in a token, a comment, before and after the finding, "
                          "in a patch): the FOL001 is reported, or one error line says why it may not be")
def c_nul(d: Path):
    pad = b"/*" + b" " * 8190 + b"*/\n"
    f = FOL001.encode()
    places = {"8k+1": pad[:8192] + b"\0" + pad[8193:] + f, "token": pad + f.replace(b"return demo", b"ret\0urn demo"),
              "comment": pad + b"/* \0 */\n" + f, "before": pad + b"int x;\0\n" + f, "after": pad + f + b"\0\n",
              "loop": pad + f.replace(b"\t\treturn", b"\t\t\0return")}
    bad = []
    for name, raw in places.items():
        (d / f"{name}.c").write_bytes(raw)
        p = folint(["--no-cache", "--no-simulate", f"{name}.c"], d)
        if not (ok_line(p) and ("FOL001" in p.text() or "NUL" in p.text())):
            bad.append(f"{name}: {p.brief()}")
    (d / "tree").mkdir()
    (d / "tree" / "a.c").write_bytes(pad + b"int x;\n")
    lines = places["token"][len(pad):].split(b"\n")[:-1]
    (d / "p.diff").write_bytes(b"diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -2,1 +2,%d @@\n int x;\n"
                               % (len(lines) + 1) + b"".join(b"+" + ln + b"\n" for ln in lines))
    for where in (["--tree", "tree"], ["--no-tree"]):
        p = folint(["check-patch", "--no-simulate", *where, "p.diff"], d)
        if not (ok_line(p) and "NUL" in p.text()):
            bad.append(f"patch {where[0]}: {p.brief()}")
    return not bad, "; ".join(bad) or f"{len(places)} files and 2 patch runs: finding or NUL line each"


@case("6", "huge-file-raised-limit", "50 MB with max-file-size 100 MB: one error line, bounded time and memory")
def c_huge(d: Path):
    (d / ".folint.toml").write_text("max-file-size = 104857600\n")
    unit = FOL001.replace("demo_save(", "demo_save_%d(")
    with open(d / "huge.c", "w") as fh:
        n = 0
        while fh.tell() < 50 << 20:
            fh.write(unit % n)
            n += 1
    p = folint(["--no-cache", "--no-simulate", "huge.c"], d, timeout=120, mem=6 << 30)
    return ok_line(p, "huge.c") and p.seconds < 100, p.brief() + f", peak {p.peak_kib // 1024} MiB"


@case("7", "long-line-many-findings", "1 MB line, >1000 findings: text report in bounded memory")
def c_longline(d: Path):
    calls = " ".join("unlock_page(&folio->page);" for _ in range(1300))
    pad = " " * (1 << 20)
    (d / "long.c").write_text(f"void demo_long(struct folio *folio)\n{{\n{pad}{calls}\n}}\n")
    p = folint(["--no-cache", "--no-simulate", "long.c"], d, timeout=120, mem=2 << 30)
    return ok_line(p, "FOL006") and len(p.out) < 50 << 20, p.brief() + f", {len(p.out) >> 20} MiB of report"


@case("8", "git-range-option-injection", "--git=--output=FILE: FILE untouched, exit 2, one line")
def c_inject(d: Path):
    repo = repo_with_commits(d)
    victim = d / "victim.txt"
    victim.write_text("precious\n")
    p = folint(["check-patch", f"--git=--output={victim}"], repo)
    return ok_line(p, rc=(2,)) and victim.read_text() == "precious\n", p.brief() + \
        ("" if victim.read_text() == "precious\n" else f", victim now {victim.stat().st_size} bytes")


@case("8", "git-range-dash-p", "--git=-p: refused, exit 2, one line")
def c_dash_p(d: Path):
    repo = repo_with_commits(d)
    p = folint(["check-patch", "--git=-p"], repo)
    return ok_line(p, rc=(2,)) and len(p.err_lines()) == 1, p.brief()


@case("8", "git-range-missing-ref", "says the ref does not exist, exit 2")
def c_noref(d: Path):
    repo = repo_with_commits(d)
    p = folint(["check-patch", "--git", "nosuchref..HEAD"], repo)
    said = any(w in p.text() for w in ("no commit named", "not exist", "unknown revision"))
    return ok_line(p, "nosuchref", rc=(2,)) and said and len(p.err_lines()) == 1, p.brief()


def _truncated(d: Path, text: str):
    repo = repo_with_commits(d)
    (d / "p.diff").write_text(text)
    p = folint(["check-patch", "--tree", str(repo), str(d / "p.diff")], d)
    return ok_line(p, "p.diff", rc=(2,)), p.brief()


_FULL = patch_for("a.c", "int a(void)\n{\n\treturn 0;\n}\n", "int a(void)\n{\n\treturn 1;\n}\n")


@case("9", "truncated-after-+++", "exit 2, one line naming the patch and where it ends")
def c_trunc_plus(d: Path):
    return _truncated(d, _FULL.split("@@")[0])


@case("9", "truncated-after-diff-git", "exit 2, one line")
def c_trunc_diff(d: Path):
    return _truncated(d, "diff --git a/a.c b/a.c\n")


@case("9", "truncated-in-@@-header", "exit 2, one line")
def c_trunc_hunk(d: Path):
    return _truncated(d, _FULL[:_FULL.index("@@") + 6])


@case("9", "base64-mail-undecodable", "exit 2, one line")
def c_b64(d: Path):
    mail = ("From 1234567890abcdef1234567890abcdef12345678 Mon Sep 17 00:00:00 2001\nFrom: T <t@example.org>\n"
            "Subject: [PATCH] demo\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: base64\n\nZGlmZiAtLWdpdCBh!!!***not base64 at all***\n")
    return _truncated(d, mail)


@case("10", "stdin-closed", "check-patch - <&-: one line, exit 2")
def c_stdin_closed(d: Path):
    p = folint(["check-patch", "--no-tree", "-"], d, shell_suffix="<&-")
    return ok_line(p, rc=(2,)) and len(p.err_lines()) == 1, p.brief()


@case("10", "stdout-closed", "folint FILE >&-: one line, exit 2")
def c_stdout_closed(d: Path):
    (d / "a.c").write_text(FOL001)
    p = folint(["--no-cache", "a.c"], d, shell_suffix=">&-")
    return ok_line(p, rc=(2,)) and len(p.err_lines()) == 1, p.brief()


@case("10", "stdout-dev-full", "folint FILE > /dev/full: one line, exit 2")
def c_full(d: Path):
    (d / "a.c").write_text(FOL001)
    p = folint(["--no-cache", "a.c"], d, shell_suffix="> /dev/full")
    return ok_line(p, rc=(2,)) and len(p.err_lines()) == 1, p.brief()


@case("10", "output-missing-folder", "-o nodir/r.txt: one line, exit 2")
def c_o_missing(d: Path):
    (d / "a.c").write_text(FOL001)
    p = folint(["--no-cache", "-o", "nodir/r.txt", "a.c"], d)
    return ok_line(p, rc=(2,)) and len(p.err_lines()) == 1, p.brief()


@case("10", "output-onto-folder", "-o FOLDER: one line, exit 2, no FOLDER.tmp left")
def c_o_folder(d: Path):
    (d / "a.c").write_text(FOL001)
    (d / "out").mkdir()
    p = folint(["--no-cache", "-o", "out", "a.c"], d)
    left = [x.name for x in d.iterdir() if x.name.startswith("out") and x.name != "out"]
    return ok_line(p, rc=(2,)) and not left and len(p.err_lines()) == 1, p.brief() + (f", left {left}" if left else "")


@case("11", "patch-creates-over-outside-symlink", "refused with one line, exit 2")
def c_sym_create(d: Path):
    (d / "tree").mkdir()
    (d / "outside.c").write_text("int secret;\n")
    os.symlink(d / "outside.c", d / "tree" / "new.c")
    (d / "p.diff").write_text(new_file_patch("new.c", FOL001))
    p = folint(["check-patch", "--tree", "tree", "p.diff"], d)
    return ok_line(p, "outside", rc=(2,)), p.brief()


@case("11", "patch-creates-in-symlinked-folder", "refused with one line, exit 2")
def c_sym_dir(d: Path):
    (d / "tree").mkdir()
    (d / "elsewhere").mkdir()
    os.symlink(d / "elsewhere", d / "tree" / "sub")
    (d / "p.diff").write_text(new_file_patch("sub/new.c", FOL001))
    p = folint(["check-patch", "--tree", "tree", "p.diff"], d)
    return ok_line(p, "outside", rc=(2,)), p.brief()


@case("11", "scan-symlink-out-of-tree", "the outside file is not read; a note counts the links not followed")
def c_sym_scan(d: Path):
    (d / "tree").mkdir()
    (d / "secret").mkdir()
    (d / "secret" / "s.c").write_text(FOL001)
    os.symlink(d / "secret" / "s.c", d / "tree" / "link.c")
    os.symlink(d / "secret", d / "tree" / "linkdir")
    (d / "tree" / "ok.c").write_text("int ok;\n")
    p = folint(["--no-cache", "tree"], d)
    return ok_line(p, "not followed", rc=(0,)) and "FOL001" not in p.text(), p.brief()


def series_mailbox(d: Path, n: int, funcs: int = 200, duplicate: int | None = None, grow: bool = False) -> Path:
    """A tree with one file of ``funcs`` functions (each with a FOL001) and a mailbox of
    ``n`` patches, each changing the return of one function as the previous patches left
    it (so each introduces a finding); ``duplicate``: the number of a patch sent twice;
    ``grow``: each patch also adds a line before the return (every later function moves)."""
    if grow:
        return _growing_series(d, n, funcs)
    vals = [1000 * k for k in range(funcs)]  # no two functions alike: a hunk applies at one place only

    def func(k: int) -> str:
        return (f"int demo_save_{k}(struct folio *folio)\n{{\n\tlong i, nr = folio_nr_pages(folio);\n\n"
                f"\tfor (i = 0; i < nr; i++)\n\t\treturn demo_save_tags(folio_page(folio, i), {vals[k]});\n"
                f"\treturn 0;\n}}\n\n")
    (d / "tree").mkdir()
    (d / "tree" / "s.c").write_text("".join(func(k) for k in range(funcs)))
    mails = []
    for p in range(n):
        k = (p * 7) % funcs
        old = f"\t\treturn demo_save_tags(folio_page(folio, i), {vals[k]});\n"
        vals[k] += 1
        new = f"\t\treturn demo_save_tags(folio_page(folio, i), {vals[k]});\n"
        mail = (f"From {p:040x} Mon Sep 17 00:00:00 2001\nFrom: T <t@example.org>\n"
                f"Subject: [PATCH] demo {p}\n\n---\ndiff --git a/s.c b/s.c\n--- a/s.c\n+++ b/s.c\n"
                f"@@ -{k * 9 + 6},1 +{k * 9 + 6},1 @@\n-{old}+{new}\n")
        mails.append(mail)
        if p + 1 == duplicate:
            mails.append(mail)
    (d / "series.mbox").write_text("".join(mails))
    return d / "series.mbox"


def _growing_series(d: Path, n: int, funcs: int) -> Path:
    import difflib

    vals = [1000 * k for k in range(funcs)]
    lines = []
    for k in range(funcs):
        lines += [f"int demo_save_{k}(struct folio *folio)\n", "{\n", "\tlong i, nr = folio_nr_pages(folio);\n",
                  "\n", "\tfor (i = 0; i < nr; i++)\n",
                  f"\t\treturn demo_save_tags(folio_page(folio, i), {vals[k]});\n", "\treturn 0;\n", "}\n", "\n"]
    (d / "tree").mkdir()
    (d / "tree" / "s.c").write_text("".join(lines))
    mails = []
    for p in range(n):
        k = (p * 7) % funcs
        at = lines.index(f"\t\treturn demo_save_tags(folio_page(folio, i), {vals[k]});\n")
        vals[k] += 1
        new = [*lines[:at - 1], f"\tdemo_note(folio, {p});\n", lines[at - 1],  # before the loop
               f"\t\treturn demo_save_tags(folio_page(folio, i), {vals[k]});\n", *lines[at + 1:]]
        diff = "".join(difflib.unified_diff(lines, new, "a/s.c", "b/s.c", n=3))
        mails.append(f"From {p:040x} Mon Sep 17 00:00:00 2001\nFrom: T <t@example.org>\n"
                     f"Subject: [PATCH] demo {p}\n\n---\ndiff --git a/s.c b/s.c\n{diff}\n")
        lines = new
    (d / "series.mbox").write_text("".join(mails))
    return d / "series.mbox"


@case("12", "long-series-250", "250 patches on one 1,800-line file, one sent twice: each patch's text parsed "
                               "from the last one's parse, only the functions it touches checked (the issue: "
                               "23 s), the duplicate one note, its finding once")
def c_series(d: Path):
    series_mailbox(d, 250, duplicate=100)
    p = folint(["check-patch", "-j", "1", "--no-simulate", "--tree", "tree", "series.mbox"], d, timeout=300)
    once = p.out.decode().count("[FOL001]") == 250
    note = p.err.decode().count("duplicate") == 1
    return ok_line(p, rc=(1,)) and once and note, p.brief() + f", {p.out.decode().count('[FOL001]')} findings, " \
        f"duplicate note {'once' if note else 'missing'}"


def _fix_tree(d: Path) -> Path:
    (d / "t").mkdir()
    f = d / "t" / "f.c"
    f.write_text(FOL006 + "\n" + FOL001)
    return f


@case("13", "fix-file-changed-mid-run", "says the file was skipped as changed; report lines match the new file")
def c_fix_changed(d: Path):
    f = _fix_tree(d)
    script = textwrap.dedent(f"""\
        import sys
        import folint.runner as r
        orig = r.run
        def run(*a, **k):
            res = orig(*a, **k)
            p = {str(f)!r}
            data = open(p).read()
            open(p, "w").write("/* added mid-run */\\n" + data)
            return res
        r.run = run
        from folint.cli import main
        sys.exit(main(["--fix", "--no-simulate", "--no-cache", "t"]))
        """)
    env = dict(os.environ, NO_COLOR="1", XDG_CACHE_HOME=str(d / ".cache"))
    proc = subprocess.run([PY, "-c", script], cwd=d, capture_output=True, env=env, timeout=TIMEOUT)
    p = Proc(proc.returncode, proc.stdout, proc.stderr, 0.0)
    text = p.text()
    # FOL001's return is on line 12 of the new file (11 before the one-line insertion), FOL006's
    # call on line 4 (3 before).
    lines_ok = "f.c:12:3:" in text and "f.c:4:2:" in text and "f.c:11:" not in text and "f.c:3:" not in text
    return ok_line(p, "changed") and lines_ok, p.brief() + ("" if lines_ok else ", line numbers of the old file")


@case("13", "fix-keeps-owner-mode-links", "owner, mode and the hard link kept after --fix")
def c_fix_owner(d: Path):
    f = _fix_tree(d)
    os.chmod(f, 0o640)
    os.chown(f, 65534, 65534)
    os.link(f, d / "hardlink.c")
    p = folint(["--fix", "--no-simulate", "--no-cache", "t"], d)
    st = f.stat()
    fixed = "folio_unlock" in f.read_text()
    same = (d / "hardlink.c").read_text() == f.read_text()
    got = f"owner {st.st_uid}, mode {st.st_mode & 0o777:o}, nlink {st.st_nlink}, fixed {fixed}, link same {same}"
    kept = st.st_uid == 65534 and st.st_mode & 0o777 == 0o640
    link_ok = (fixed and same and st.st_nlink == 2) or (not fixed and "link" in p.text())
    return ok_line(p) and kept and link_ok, p.brief() + "; " + got


def _bad_name_tree(d: Path) -> Path:
    t = d / "t"
    t.mkdir()
    (Path(os.fsdecode(bytes(t) + b"/caf\xe9.c"))).write_text(FOL001)
    return t


@case("14", "non-utf8-name-ascii-locale", "text report under LC_ALL=C, no traceback, name escaped")
def c_name_text(d: Path):
    _bad_name_tree(d)
    p = folint(["--no-cache", "--no-simulate", "t"], d, env={"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0",
                                                             "PYTHONCOERCECLOCALE": "0"})
    return ok_line(p, "FOL001", rc=(1,)) and "\\xe9" in p.text(), p.brief()


@case("14", "non-utf8-name-json", "JSON is valid UTF-8 without lone surrogates")
def c_name_json(d: Path):
    _bad_name_tree(d)
    p = folint(["--no-cache", "--no-simulate", "--format", "json", "t"], d, env={"LC_ALL": "C"})
    try:
        data = json.loads(p.out.decode("utf-8"))
        path = data["findings"][0]["path"]
        path.encode("utf-8")
        good = "\\xe9" in path
        got = f"path {path!r}"
    except (ValueError, KeyError, IndexError, UnicodeError) as e:
        good, got = False, f"{type(e).__name__}: {str(e)[:60]}"
    return ok_line(p, rc=(1,)) and good, p.brief() + "; " + got


def _tree_rule_tree(d: Path) -> Path:
    t = d / "t"
    t.mkdir()
    (t / "a.c").write_text("int demo_helper(struct page *page)\n{\n\treturn demo_x(page);\n}\n")
    (t / "b.c").write_text("int demo_user(struct folio *folio)\n{\n\treturn demo_helper(&folio->page);\n}\n")
    return t


@case("15", "corrupt-cache-db", "moved aside and rebuilt once, said so; the next run is quiet")
def c_cache_corrupt(d: Path):
    _tree_rule_tree(d)
    cache = d / "cache"
    cache.mkdir()
    first = folint(["--no-simulate", "--cache-dir", "cache", "t"], d)
    dbs = list(cache.glob("index-*.sqlite3"))
    if not dbs:
        return False, "no cache database was written: " + first.brief()
    dbs[0].write_bytes(b"this is not a database" * 100)
    for extra in cache.glob("index-*.sqlite3-*"):
        extra.unlink()
    a = folint(["--no-simulate", "--cache-dir", "cache", "t"], d)
    b = folint(["--no-simulate", "--cache-dir", "cache", "t"], d)
    said = "rebuil" in a.text().lower() or "moved" in a.text().lower()
    quiet = "cache" not in b.err.decode("utf-8", "replace").lower()
    return ok_line(a) and said and quiet, f"run 1: {a.brief()}; run 2: {b.brief()}"


@case("15", "read-only-cache", "a read-only cache is read (hits), no error")
def c_cache_ro(d: Path):
    t = _tree_rule_tree(d)
    cache = d / "cache"
    cache.mkdir()
    folint(["--no-simulate", "--cache-dir", "cache", "t"], d)
    for x in [d, t, *t.iterdir()]:
        os.chmod(x, 0o755 if x.is_dir() else 0o644)
    os.chmod(cache, 0o555)
    for x in cache.iterdir():
        os.chmod(x, 0o444)
    p = folint(["--no-simulate", "--cache-dir", str(cache), "t"], d, no_override=True)
    os.chmod(cache, 0o755)
    return ok_line(p, "FOL003", rc=(1,)) and "cache" not in p.err.decode("utf-8", "replace").lower(), p.brief()


@case("15", "worker-outlives-killed-parent", "no worker left 3 s after the main process is killed mid-file")
def c_orphans(d: Path):
    t = d / "t"
    t.mkdir()
    slow = _nested(10000, False)  # several seconds a file with simulation: the workers are busy
    for k in range(4):
        (t / f"a{k}.c").write_text(slow.replace("demo_deep", f"demo_deep{k}"))
    for k in range(64):
        (t / f"b{k}.c").write_text(FOL001.replace("demo_save(", f"demo_save{k}("))
    env = dict(os.environ, NO_COLOR="1", XDG_CACHE_HOME=str(d / ".cache"))
    p = subprocess.Popen([PY, "-m", "folint", "-j", "2", "--no-cache", str(t)], cwd=d, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(2.5)
    before = _session(p.pid)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    time.sleep(3)
    left = _session(p.pid)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return bool(before) and not left, f"{len(before)} processes before the kill, {len(left)} after"


def _session(sid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            out.append(int(entry))
    return out


@case("16", "hook-pre-merge-commit", "install-hook installs pre-merge-commit too (or documents why not)")
def c_merge_hook(d: Path):
    repo = repo_with_commits(d)
    p = folint(["install-hook"], repo)
    hooks = sorted(x.name for x in (repo / ".git" / "hooks").iterdir() if not x.name.endswith(".sample"))
    return ok_line(p, rc=(0,)) and "pre-merge-commit" in hooks, p.brief() + f"; hooks {hooks}"


# -- whole-tree figures ----------------------------------------------------------
def tree_figures(tree: str, extra: list[str]) -> None:
    """Time, peak RSS of the main process (/usr/bin/time -v) and of the summed process tree
    (sampled from /proc every 50 ms), error lines."""
    cmd = ["/usr/bin/time", "-v", PY, "-m", "folint", *extra, tree]
    started = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    peak = [0]

    def sample():
        while p.poll() is None:
            total = sum(_rss_kib(pid) for pid in _session(p.pid))
            peak[0] = max(peak[0], total)
            time.sleep(0.05)
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = p.communicate()
    th.join()
    seconds = time.perf_counter() - started
    text = err.decode("utf-8", "replace")
    main_kib = next((int(ln.split(":")[1]) for ln in text.splitlines() if "Maximum resident" in ln), 0)
    errors = [ln for ln in text.splitlines() if ": error: " in ln]
    summary = out.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
    print(f"{tree}: {' '.join(extra)}: {seconds:.1f} s, main peak {main_kib / 1024:.0f} MiB, "
          f"summed tree peak {peak[0] / 1024:.0f} MiB, {len(errors)} error lines; {summary[0]}")
    for ln in errors[:20]:
        print("    " + ln[:200])


def series_figures(n: int, grow: bool = False) -> None:
    """check-patch on ``n`` patches of the long-series row's shape (no duplicate): CPU seconds,
    wall seconds, findings (each patch introduces one).  ``grow``: each patch adds a line too."""
    d = Path(tempfile.mkdtemp(prefix="folint-series-"))
    try:
        series_mailbox(d, n, grow=grow)
        p = folint(["check-patch", "-j", "1", "--no-simulate", "--tree", "tree", "series.mbox"], d,
                   timeout=3600)
        print(f"{n} patches{' (each adds a line)' if grow else ''}: {p.brief()}, "
              f"{p.out.decode().count('[FOL001]')} findings")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _rss_kib(pid: int) -> int:
    try:
        for ln in Path(f"/proc/{pid}/status").read_text().splitlines():
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", default="", help="only cases whose name contains this")
    ap.add_argument("--tree", action="append", help="measure whole-tree figures on this tree instead")
    ap.add_argument("--args", default="", help="with --tree: extra folint arguments")
    ap.add_argument("--series", type=int, metavar="N", help="time check-patch on a series of N patches instead")
    ap.add_argument("--grow", action="store_true", help="with --series: each patch also adds a line (the later "
                                                        "functions move)")
    opts = ap.parse_args()
    if opts.series:
        return series_figures(opts.series, opts.grow)
    if opts.tree:
        for t in opts.tree:
            tree_figures(t, opts.args.split())
        return 0
    rows = []
    for part, name, expected, fn in CASES:
        if opts.k not in name:
            continue
        d = Path(tempfile.mkdtemp(prefix="folint-fault-"))
        os.chmod(d, 0o755)
        try:
            good, got = fn(d)
        except Exception as e:  # noqa: BLE001  a broken case is a row, not the end of the trial
            good, got = False, f"case error {type(e).__name__}: {e}"
        finally:
            shutil.rmtree(d, ignore_errors=True)
        rows.append((part, name, expected, got, "ok" if good else "FAULT"))
        print(f"{part:>3} {name:<36} {'ok' if good else 'FAULT':<5} {got}", file=sys.stderr, flush=True)
    print("| part | case | expected | got | |\n| --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(s.replace("|", "\\|") for s in row) + " |")
    bad = sum(r[4] != "ok" for r in rows)
    print(f"\n{len(rows) - bad} of {len(rows)} cases ok, {bad} faults")
    return 0


if __name__ == "__main__":
    sys.exit(main())
