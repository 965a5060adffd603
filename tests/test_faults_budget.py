"""Issue 14, part 6: per-file time and memory budgets.  A file over either is one error
line and the run goes on (in this process, in worker processes, in check-patch, in
kbuild); both are set in .folint.toml (``file-time-budget`` CPU seconds,
``file-memory-budget`` MiB estimated from the size before parsing; 0: no limit)."""

import pytest

from folint.cli import main
from folint.config import ConfigError, load_config
from folint.guard import BYTES_PER_SOURCE_BYTE, Budget

UNIT = ("int demo_save_{n}(struct folio *folio)\n{{\n\tlong i, nr = folio_nr_pages(folio);\n\n"
        "\tfor (i = 0; i < nr; i++)\n\t\treturn demo_save_tags(folio_page(folio, i));\n\treturn 0;\n}}\n")


def _dense(size: int) -> str:
    """Functions with a finding each, ``size`` bytes or a little more (about 3 CPU s a MB)."""
    out, n, got = [], 0, 0
    while got < size:
        out.append(UNIT.format(n=n))
        got += len(out[-1])
        n += 1
    return "".join(out)


def _tree(tmp_path, config: str, big: int, small: int = 1) -> None:
    (tmp_path / ".folint.toml").write_text(config)
    (tmp_path / "big.c").write_text(_dense(big))
    for k in range(small):
        (tmp_path / f"ok{k}.c").write_text(UNIT.format(n=k))


def _errors(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ": error: " in ln]


def test_a_file_over_the_memory_estimate_is_one_line_and_the_others_are_checked(tmp_path, capsys):
    _tree(tmp_path, "file-memory-budget = 1\n", 20_000)  # 20 KB needs about 2 MiB by the estimate
    assert main(["--no-cache", "--no-simulate", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert _errors(err) == [f"{tmp_path / 'big.c'}: error: skipped: {len(_dense(20_000))} bytes would take about "
                            f"{len(_dense(20_000)) * BYTES_PER_SOURCE_BYTE >> 20} MiB to check, more than the "
                            f"per-file budget of 1 MiB (raise file-memory-budget in .folint.toml to check it)"]
    assert "ok0.c:6:3:" in out and "big.c:" not in out


@pytest.mark.parametrize("small", [1, 70])  # 70 files: checked in worker processes
def test_a_file_over_its_cpu_time_is_one_line_and_the_run_goes_on(tmp_path, capsys, small):
    _tree(tmp_path, "file-time-budget = 0.3\n", 600_000, small)  # about 2 CPU s
    assert main(["--no-cache", "--no-simulate", "-j", "2", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert _errors(err) == [f"{tmp_path / 'big.c'}: error: stopped after 0.3 s of CPU time, the per-file budget: "
                            f"no findings for this file (raise file-time-budget in .folint.toml to check it)"]
    assert out.count("[FOL001]") == small and "big.c:" not in out


def test_zero_is_no_limit_and_the_defaults_hold_a_default_sized_file():
    assert Budget(0, 0).memory_error(10 << 30) is None
    assert Budget().memory_error(4 << 20) is None  # the default max-file-size fits the default budget
    assert "per-file budget of 1024 MiB" in Budget().memory_error(50 << 20)


def test_budgets_are_checked_in_the_configuration(tmp_path):
    for bad in ("file-time-budget = -1", "file-memory-budget = 1.5", 'file-time-budget = "x"'):
        (tmp_path / ".folint.toml").write_text(bad + "\n")
        with pytest.raises(ConfigError, match="budget"):
            load_config(tmp_path / ".folint.toml")
    (tmp_path / ".folint.toml").write_text("file-time-budget = 5\nfile-memory-budget = 0\n")
    c = load_config(tmp_path / ".folint.toml")
    assert Budget.of(c) == Budget(5.0, 0)


def test_check_patch_keeps_the_budget_for_the_patched_file(tmp_path, capsys):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / ".folint.toml").write_text("file-memory-budget = 1\n")
    (tmp_path / "tree" / "a.c").write_text(_dense(20_000))
    (tmp_path / "p.diff").write_text("diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1,1 +1,2 @@\n"
                                     f"+int x;\n {UNIT.format(n=0).splitlines()[0]}\n")
    main(["check-patch", "--no-simulate", "--no-cache", "--tree", str(tmp_path / "tree"), str(tmp_path / "p.diff")])
    err = capsys.readouterr().err
    assert len(_errors(err)) == 1 and "a.c: error: skipped:" in err and "file-memory-budget" in err


def test_a_file_over_max_file_size_is_not_estimated(tmp_path, capsys):
    """Over max-file-size, the size limit speaks (and a file with none of the rules' needles,
    like amdgpu's register headers, is skipped silently): no budget line on top."""
    (tmp_path / ".folint.toml").write_text("max-file-size = 10000\nfile-memory-budget = 1\n")
    (tmp_path / "regs.h").write_text("#define REG_A 0x1\n" * 2000)  # 40 KB, no needle
    (tmp_path / "big.c").write_text(_dense(40_000))  # 40 KB with needles
    main(["--no-cache", "--no-simulate", str(tmp_path)])
    errors = _errors(capsys.readouterr().err)
    assert len(errors) == 1 and "big.c: error: skipped:" in errors[0] and "max-file-size" in errors[0], errors
