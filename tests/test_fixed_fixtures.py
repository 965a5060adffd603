"""Every ``fixtures/<CODE>/<case>.fixed.c``: ``folint --fix`` on a copy of ``<case>.c``
gives exactly that file, and leaves nothing more to fix."""

import shutil

import pytest

from conftest import FIXTURES
from folint import fixes
from folint.config import Config
from folint.runner import RunOptions, run
from folint.selection import build_rules

PAIRS = sorted(str(p.relative_to(FIXTURES))[: -len(".fixed.c")] for p in FIXTURES.glob("FOL*/*.fixed.c"))


def plan_for(path, code):
    result = run([str(path)], Config(), RunOptions(jobs=1, select=[code], simulate=False))
    collected = fixes.collect_fixes(result.findings, build_rules(Config()))
    assert not collected.errors, collected.errors
    return collected, fixes.make_plan(collected.fixes, lambda p: True)


@pytest.mark.parametrize("case", PAIRS)
def test_fixed_fixture(tmp_path, case):
    code = case.split("/")[0]
    work = tmp_path / (case.split("/")[1] + ".c")
    shutil.copy(FIXTURES / f"{case}.c", work)
    collected, plan = plan_for(work, code)
    assert plan.accepted and not plan.skipped, plan.skipped
    fixes.apply_plan(plan)
    assert work.read_text() == (FIXTURES / f"{case}.fixed.c").read_text()
    collected, _ = plan_for(work, code)
    assert collected.fixes == []
