"""The bench scripts run on this checkout (a rename inside folint once broke one silently):
each is run on a small folder of fixtures, where a real tree is not needed."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_parse_errors_runs_on_the_fixtures():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "parse_errors.py"), str(ROOT / "fixtures" / "FOL001")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "kernelized:" in done.stdout and "function definitions" in done.stdout
