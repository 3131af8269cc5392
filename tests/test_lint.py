"""ruff over the package, tests, scripts, benchmarks and notebooks (ruff reads .ipynb)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    targets = [p for p in ("attnlib", "tests", "notebooks", "benchmarks", "scripts") if (ROOT / p).exists()]
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", *targets], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
