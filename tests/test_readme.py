"""The README's two quick-start commands are what CI and learners run: keep them honest."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands():
    block = re.search(r"## Quick start.*?```(?:bash|sh)?\n(.*?)```", README, re.S)
    assert block, "README has no Quick start code block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_quick_start_is_two_commands():
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    assert "jupyter lab" in commands[0] and "notebooks/00_start_here.ipynb" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert quick_start_commands()[1] in ci


def test_series_table_lists_every_notebook_that_exists():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"notebooks/{path.name}" in README, f"README's series table does not link {path.name}"
