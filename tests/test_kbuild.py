"""``make C=1 CHECK="folint kbuild"`` (issue 13, part 2).

The argument vectors below are the ones kbuild 6.12 builds for mm/swap.c on x86_64
defconfig: in the source tree (``make V=1 C=1 CHECK=echo mm/swap.o``: sparse's CHECKFLAGS,
then c_flags) and in an O= build folder (captured from a real build, see KBUILD_VECTOR_O;
the two agree flag for flag once the trees are one, which a test checks), kept as data.
The tests run them from scratch trees whose ``include/linux/kconfig.h`` and
``include/generated/autoconf.h`` are our own.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import time

import pytest

from conftest import KERNEL_TREE
from folint.buildconfig import BuildConfig
from folint.cli import main
from folint.commands.kbuild import build_config, parse_argv

KBUILD_VECTOR = (
    "-D__linux__ -Dlinux -D__STDC__ -Dunix -D__unix__ -Wbitwise -Wno-return-void -Wno-unknown-attribute "
    "-D__x86_64__ --arch=x86 -mlittle-endian -m64 -Wp,-MMD,mm/.swap.o.d -nostdinc -I./arch/x86/include "
    "-I./arch/x86/include/generated -I./include -I./arch/x86/include/uapi -I./arch/x86/include/generated/uapi "
    "-I./include/uapi -I./include/generated/uapi -include ./include/linux/compiler-version.h "
    "-include ./include/linux/kconfig.h -include ./include/linux/compiler_types.h -D__KERNEL__ "
    "-fmacro-prefix-map=./= -Werror -std=gnu11 -fshort-wchar -funsigned-char -fno-common -fno-PIE "
    "-fno-strict-aliasing -mno-sse -mno-mmx -mno-sse2 -mno-3dnow -mno-avx -fcf-protection=branch "
    "-fno-jump-tables -m64 -falign-jumps=1 -falign-loops=1 -mno-80387 -mno-fp-ret-in-387 "
    "-mpreferred-stack-boundary=3 -mskip-rax-setup -mtune=generic -mno-red-zone -mcmodel=kernel "
    "-Wno-sign-compare -fno-asynchronous-unwind-tables -mindirect-branch=thunk-extern "
    "-mindirect-branch-register -mindirect-branch-cs-prefix -mfunction-return=thunk-extern -fno-jump-tables "
    "-fpatchable-function-entry=16,16 -fno-delete-null-pointer-checks -O2 -fno-allow-store-data-races "
    "-fstack-protector-strong -fomit-frame-pointer -ftrivial-auto-var-init=zero -fno-stack-clash-protection "
    "-falign-functions=16 -fno-strict-overflow -fno-stack-check -fconserve-stack -fno-builtin-wcslen "
    "-fno-builtin-wcslen -Wall -Wextra -Wundef -Werror=implicit-function-declaration -Werror=implicit-int "
    "-Werror=return-type -Werror=strict-prototypes -Wno-format-security -Wno-trigraphs -Wno-frame-address "
    "-Wno-address-of-packed-member -Wmissing-declarations -Wmissing-prototypes -Wframe-larger-than=2048 "
    "-Wno-main -Wno-dangling-pointer -Wvla -Wno-pointer-sign -Wcast-function-type -Wno-array-bounds "
    "-Wno-stringop-overflow -Wno-alloc-size-larger-than -Wimplicit-fallthrough=5 -Werror=date-time "
    "-Werror=incompatible-pointer-types -Werror=designated-init -Wenum-conversion -Wunused "
    "-Wno-unused-but-set-variable -Wno-unused-const-variable -Wno-packed-not-aligned -Wno-format-overflow "
    "-Wno-format-truncation -Wno-stringop-truncation -Wno-override-init -Wno-missing-field-initializers "
    "-Wno-type-limits -Wno-shift-negative-value -Wno-maybe-uninitialized -Wno-sign-compare "
    "-Wno-unused-parameter -DKBUILD_MODFILE='\"mm/swap\"' -DKBUILD_BASENAME='\"swap\"' "
    "-DKBUILD_MODNAME='\"swap\"' -D__KBUILD_MODNAME=kmod_swap mm/swap.c"
)

# The same file in an out-of-tree build of 6.12 x86_64 defconfig, exactly as kbuild gave it to
# the checker: ``make -C /tmp/linux/linux-source-6.12 O=/tmp/kb-build V=1 C=2
# CHECK="echo FOLINTARGV" mm/swap.o`` (run in the build folder; the source by absolute path).
KBUILD_VECTOR_O = (
    '-D__linux__ -Dlinux -D__STDC__ -Dunix -D__unix__ -Wbitwise -Wno-return-void -Wno-unknown-attribute '
    '-D__x86_64__ --arch=x86 -mlittle-endian -m64 -Wp,-MMD,mm/.swap.o.d -nostdinc '
    '-I/tmp/linux/linux-source-6.12/arch/x86/include -I./arch/x86/include/generated '
    '-I/tmp/linux/linux-source-6.12/include -I./include '
    '-I/tmp/linux/linux-source-6.12/arch/x86/include/uapi -I./arch/x86/include/generated/uapi '
    '-I/tmp/linux/linux-source-6.12/include/uapi -I./include/generated/uapi -include '
    '/tmp/linux/linux-source-6.12/include/linux/compiler-version.h -include '
    '/tmp/linux/linux-source-6.12/include/linux/kconfig.h -include '
    '/tmp/linux/linux-source-6.12/include/linux/compiler_types.h -D__KERNEL__ '
    '-fmacro-prefix-map=/tmp/linux/linux-source-6.12/= -Werror -std=gnu11 -fshort-wchar -funsigned-char '
    '-fno-common -fno-PIE -fno-strict-aliasing -mno-sse -mno-mmx -mno-sse2 -mno-3dnow -mno-avx '
    '-fcf-protection=branch -fno-jump-tables -m64 -falign-jumps=1 -falign-loops=1 -mno-80387 '
    '-mno-fp-ret-in-387 -mpreferred-stack-boundary=3 -mskip-rax-setup -mtune=generic -mno-red-zone '
    '-mcmodel=kernel -Wno-sign-compare -fno-asynchronous-unwind-tables -mindirect-branch=thunk-extern '
    '-mindirect-branch-register -mindirect-branch-cs-prefix -mfunction-return=thunk-extern '
    '-fno-jump-tables -fpatchable-function-entry=16,16 -fno-delete-null-pointer-checks -O2 '
    '-fno-allow-store-data-races -fstack-protector-strong -fomit-frame-pointer '
    '-ftrivial-auto-var-init=zero -fno-stack-clash-protection -falign-functions=16 -fno-strict-overflow '
    '-fno-stack-check -fconserve-stack -fno-builtin-wcslen -fno-builtin-wcslen -Wall -Wextra -Wundef '
    '-Werror=implicit-function-declaration -Werror=implicit-int -Werror=return-type '
    '-Werror=strict-prototypes -Wno-format-security -Wno-trigraphs -Wno-frame-address '
    '-Wno-address-of-packed-member -Wmissing-declarations -Wmissing-prototypes -Wframe-larger-than=2048 '
    '-Wno-main -Wno-dangling-pointer -Wvla -Wno-pointer-sign -Wcast-function-type -Wno-array-bounds '
    '-Wno-stringop-overflow -Wno-alloc-size-larger-than -Wimplicit-fallthrough=5 -Werror=date-time '
    '-Werror=incompatible-pointer-types -Werror=designated-init -Wenum-conversion -Wunused '
    '-Wno-unused-but-set-variable -Wno-unused-const-variable -Wno-packed-not-aligned -Wno-format-overflow '
    '-Wno-format-truncation -Wno-stringop-truncation -Wno-override-init -Wno-missing-field-initializers '
    '-Wno-type-limits -Wno-shift-negative-value -Wno-maybe-uninitialized -Wno-sign-compare '
    '-Wno-unused-parameter -I/tmp/linux/linux-source-6.12/mm -Imm -DKBUILD_MODFILE=\'"mm/swap"\' '
    '-DKBUILD_BASENAME=\'"swap"\' -DKBUILD_MODNAME=\'"swap"\' -D__KBUILD_MODNAME=kmod_swap '
    '/tmp/linux/linux-source-6.12/mm/swap.c'
)

SWAP_C = """\
/* kbuild fixture (written for folint): the same early return in a function compiled
 * only with CONFIG_ARM64_MTE, in its !CONFIG_ARM64_MTE twin, and behind IS_ENABLED. */
#ifdef CONFIG_ARM64_MTE
int save_tags(struct folio *folio)
{
	long i, nr = folio_nr_pages(folio);

	for (i = 0; i < nr; i++)
		return mte_save_tags(folio_page(folio, i));
	return 0;
}
#else
int save_tags(struct folio *folio)
{
	long i, nr = folio_nr_pages(folio);

	for (i = 0; i < nr; i++)
		return mte_save_tags(folio_page(folio, i));
	return 0;
}
#endif

#if IS_ENABLED(CONFIG_SWAP) && !defined(CONFIG_DEBUG_OFF)
int swap_tags(struct folio *folio)
{
	long i, nr = folio_nr_pages(folio);

	for (i = 0; i < nr; i++)
		return mte_save_tags(folio_page(folio, i));
	return 0;
}
#endif
"""


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / "swap.c").write_text(SWAP_C)
    (tmp_path / "include" / "linux").mkdir(parents=True)
    (tmp_path / "include" / "generated").mkdir()
    (tmp_path / "include" / "linux" / "kconfig.h").write_text(
        "#ifndef __LINUX_KCONFIG_H\n#define __LINUX_KCONFIG_H\n#include <generated/autoconf.h>\n#endif\n")
    (tmp_path / "include" / "generated" / "autoconf.h").write_text(
        "/* our own */\n#define CONFIG_ARM64_MTE 1\n#define CONFIG_SWAP_MODULE 1\n#define CONFIG_NR_CPUS 64\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def kbuild(capsys, vector):
    code = main(["kbuild", *shlex.split(vector)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_real_vector_is_parsed(scratch):
    args = parse_argv(shlex.split(KBUILD_VECTOR))
    assert args.files == ["mm/swap.c"]
    assert args.defines["__KERNEL__"] == "1" and args.defines["KBUILD_MODNAME"] == '"swap"'
    assert args.includes[1] == "./include/linux/kconfig.h" and "./include" in args.include_dirs
    config, read = build_config(args)
    assert read == ["./include/linux/kconfig.h", os.path.join("./include", "generated", "autoconf.h")]
    assert config.evaluate("IS_ENABLED(CONFIG_ARM64_MTE)") is True
    assert config.evaluate("IS_BUILTIN(CONFIG_SWAP)") is False and config.evaluate("IS_MODULE(CONFIG_SWAP)")
    assert config.evaluate("CONFIG_NR_CPUS > 32") is True and config.evaluate("defined(CONFIG_NUMA)") is False


def test_findings_follow_the_configuration(capsys, scratch):
    code, out, err = kbuild(capsys, KBUILD_VECTOR)
    lines = err.splitlines()
    assert code == 0 and out == ""  # a checker never stops the build unless asked
    assert [ln.split(": warning: ")[0] for ln in lines] == ["mm/swap.c:9:3", "mm/swap.c:29:3"], err
    assert all(ln.endswith("[FOL001] (confirmed)") for ln in lines)
    code, _, _ = kbuild(capsys, "--fail " + KBUILD_VECTOR)
    assert code == 1


def test_without_the_configuration_every_branch_is_checked(capsys, scratch):
    vector = KBUILD_VECTOR.replace("-include ./include/linux/kconfig.h ", "")
    _, _, err = kbuild(capsys, vector)
    assert [ln.split(": warning: ")[0] for ln in err.splitlines()] == ["mm/swap.c:9:3", "mm/swap.c:18:3",
                                                                      "mm/swap.c:29:3"]
    # -U and -D on the command line win over autoconf.h
    _, _, err = kbuild(capsys, "-UCONFIG_ARM64_MTE -DCONFIG_DEBUG_OFF " + KBUILD_VECTOR)
    assert [ln.split(": warning: ")[0] for ln in err.splitlines()] == ["mm/swap.c:18:3"]


def test_no_file_is_a_usage_error(capsys, scratch):
    code, _, err = kbuild(capsys, "-Wall -O2")
    assert code == 2 and err.startswith("folint kbuild: error: no C file given")


def test_undecidable_conditions_are_left_alone():
    c = BuildConfig({"CONFIG_A": "1"})
    assert c.choose(["#ifndef _LINUX_SWAP_H"]) is None          # an include guard: not the build's business
    assert c.choose(["#if LINUX_VERSION_CODE > 5", "#else"]) is None
    assert c.choose(["#ifdef CONFIG_B", "#elif defined(CONFIG_A) || FOO", "#else"]) == 1
    assert c.choose(["#if defined(CONFIG_B) && FOO /* off */"]) == -1


def _can_build() -> str | None:
    if not (KERNEL_TREE / "Makefile").is_file():
        return f"no kernel tree at {KERNEL_TREE}"
    for tool in ("make", "gcc", "flex", "bison", "bc"):
        if shutil.which(tool) is None:
            return f"no {tool}: a kernel build needs make, gcc, flex, bison and bc"
    if not os.environ.get("FOLINT_KBUILD"):
        return "configuring and building 6.12 takes minutes on two cores: set FOLINT_KBUILD=1 to run it"
    return None


def test_the_out_of_tree_vector_reads_the_build_folders_autoconf(capsys, tmp_path, monkeypatch):
    """An O= build (the source tree stays clean): kbuild runs in the build folder, names the
    source by its absolute path, gives -I for both trees and -include kconfig.h from the
    source tree, whose <generated/autoconf.h> is the build folder's."""
    src, obj = tmp_path / "src", tmp_path / "obj"
    (src / "mm").mkdir(parents=True)
    (src / "mm" / "swap.c").write_text(SWAP_C)
    (src / "include" / "linux").mkdir(parents=True)
    (src / "include" / "linux" / "kconfig.h").write_text(
        "#ifndef __LINUX_KCONFIG_H\n#define __LINUX_KCONFIG_H\n#include <generated/autoconf.h>\n#endif\n")
    (obj / "include" / "generated").mkdir(parents=True)
    (obj / "include" / "generated" / "autoconf.h").write_text("#define CONFIG_ARM64_MTE 1\n#define CONFIG_SWAP 1\n")
    monkeypatch.chdir(obj)
    vector = KBUILD_VECTOR_O.replace("/tmp/linux/linux-source-6.12", str(src))
    args = parse_argv(shlex.split(vector))
    assert args.files == [f"{src}/mm/swap.c"] and args.defines["KBUILD_MODNAME"] == '"swap"'
    _, read = build_config(args)
    assert read == [f"{src}/include/linux/kconfig.h", os.path.join("./include", "generated", "autoconf.h")]
    code, out, err = kbuild(capsys, vector)
    assert code == 0 and out == ""
    assert [ln.split(": warning: ")[0] for ln in err.splitlines()] == [f"{src}/mm/swap.c:9:3", f"{src}/mm/swap.c:29:3"]


def test_the_in_tree_vector_is_the_out_of_tree_one_with_the_trees_made_one():
    """The two captured vectors agree flag for flag once the source tree is '.': the
    in-tree one lacks only the second -I./include and the -I of the source folder and
    the build folder that kbuild adds for an O= build."""
    out_of_tree = [t.replace("/tmp/linux/linux-source-6.12", ".") for t in shlex.split(KBUILD_VECTOR_O)]
    out_of_tree = [t for t in out_of_tree if t not in ("-I./mm", "-Imm")]
    out_of_tree.remove("-I./include")
    assert out_of_tree[:-1] == shlex.split(KBUILD_VECTOR)[:-1] and out_of_tree[-1] == "./mm/swap.c"


GCC_LINE = re.compile(r"^/\S+/mm/[\w/-]+\.[ch]:\d+:\d+: warning: .+ \[FOL\d{3}\] \((confirmed|unverified|inconclusive)\)$")


def test_real_tree_one_folder(tmp_path):
    """defconfig in an out-of-tree build folder (the source stays read-only, and is checked
    to be untouched), then ``make C=2 CHECK="folint kbuild" mm/``: every file of mm/ checked
    (C=2: whether rebuilt or not), exit 0, findings as gcc-style lines kbuild passes on.
    Measured on 6.12 (2 shared cores, -j2, the build included): 73 files checked, 7 warning
    lines, 108 s wall."""
    why = _can_build()
    if why:
        pytest.skip(why)
    out = tmp_path / "build"
    stamp = tmp_path / "stamp"
    stamp.write_text("")
    make = ["make", "-C", str(KERNEL_TREE), f"O={out}", f"-j{os.cpu_count() or 1}"]
    subprocess.run([*make, "-s", "defconfig"], check=True, capture_output=True, timeout=600)
    started = time.perf_counter()
    check = f"{sys.executable} -m folint kbuild"
    proc = subprocess.run([*make, "C=2", f"CHECK={check}", "mm/"], capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr[-2000:]
    checked = [ln for ln in proc.stdout.splitlines() if ln.strip().startswith("CHECK ") and "/mm/" in ln]
    warnings = [ln for ln in proc.stderr.splitlines() if ": warning: " in ln and "[FOL" in ln]
    assert len(checked) >= 50, proc.stdout[-2000:]
    assert warnings and all(GCC_LINE.match(ln) for ln in warnings), warnings[:3]
    assert "Traceback" not in proc.stderr and "folint kbuild: error" not in proc.stderr
    touched = subprocess.run(["find", str(KERNEL_TREE), "-newer", str(stamp)], capture_output=True, text=True)
    assert touched.stdout == "" and not (KERNEL_TREE / ".config").exists()  # O= kept the tree clean
    print(f"{len(checked)} files checked, {len(warnings)} warning lines, {seconds:.0f} s")
