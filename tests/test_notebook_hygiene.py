"""Checks on the stored notebooks that nbval does not make: they were executed top to bottom on a
fresh kernel, carry no errors, stderr, machine paths or widget state, stay small, and follow the
lesson template (objectives, time, exercises with hidden solutions, references)."""

import json
import re
from pathlib import Path

import pytest
from lesson_time import lesson_stats, stated_minutes

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MACHINE_PATH = re.compile(r"(/work/|/tmp/|/root/|/home/|/private/var/|[A-Z]:\\\\Users)")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def text(cell):
    return "".join(cell.get("source", ""))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_small_and_executed_in_order(path):
    assert path.stat().st_size < 1_500_000, f"{path.name} is {path.stat().st_size / 1e6:.2f} MB (limit 1.5 MB)"
    nb = load(path)
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and text(c).strip()]
    counts = [c.get("execution_count") for c in code]
    assert None not in counts, f"{path.name}: unexecuted code cells"
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: not run top to bottom on a fresh kernel: {counts}"
    assert "widgets" not in nb.get("metadata", {}), f"{path.name}: stores widget state"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_errors_stderr_or_machine_paths(path):
    for i, cell in enumerate(load(path)["cells"]):
        for out in cell.get("outputs", []):
            where = f"{path.name} cell {i}"
            assert out["output_type"] != "error", f"{where}: stored error {out.get('ename')}: {out.get('evalue')}"
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), (
                f"{where}: stderr output {''.join(out['text'])[:200]!r}"
            )
            payload = "".join(out.get("text", "")) + json.dumps(
                {k: v for k, v in out.get("data", {}).items() if not k.startswith("image/")}
            )
            found = MACHINE_PATH.search(payload)
            assert not found, f"{where}: machine path {found.group(0)!r} in output"
        assert not MACHINE_PATH.search(text(cell)), f"{path.name} cell {i}: machine path in source"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_follows_the_lesson_template(path):
    cells = load(path)["cells"]
    first = text(cells[0])
    number = path.name[:2]
    assert cells[0]["cell_type"] == "markdown" and first.startswith(f"# {number} · "), (
        f"{path.name}: first cell should be the title '# {number} · …'"
    )
    assert re.search(r"you will be able to", first, re.I), f"{path.name}: no learning objectives in the first cell"
    assert re.search(r"\*\*Time", first), f"{path.name}: no time estimate in the first cell"
    markdown = "\n".join(text(c) for c in cells if c["cell_type"] == "markdown")
    assert re.search(r"^(#+ .*References|\*\*References)", markdown, re.M | re.I), f"{path.name}: no References"
    if number == "00":
        return
    exercises = re.findall(r"^## Exercise \d", markdown, re.M)
    assert len(exercises) >= 2, f"{path.name}: {len(exercises)} exercises, want at least 2"
    hidden = [
        c for c in cells
        if c["cell_type"] == "code" and c.get("metadata", {}).get("jupyter", {}).get("source_hidden")
    ]
    assert len(hidden) >= len(exercises), f"{path.name}: every exercise needs a hidden solution cell"
    for cell in hidden:
        shown = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))
        assert "✅" in shown, f"{path.name}: a hidden solution cell does not pass its checker: {shown[:200]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stated_time_follows_the_rule(path):
    """**Time:** about N minutes, where N is the rule's estimate for the main path rounded up (to at most 5
    minutes more), and N <= 45 (depth goes into a final "## Going further" section)."""
    nb = load(path)
    stated, stats = stated_minutes(nb), lesson_stats(nb)
    assert stated is not None, f"{path.name}: the first cell should say '**Time:** about N minutes'"
    estimate = stats["minutes"]
    assert estimate <= stated < estimate + 5, (
        f"{path.name}: states {stated} minutes, the rule estimates {estimate:.1f} (prose {stats['words']} words, "
        f"{stats['code_cells']} code cells, {stats['exercises']} exercises; CONTRIBUTING.md)"
    )
    assert stated <= 45, f"{path.name}: main path takes {stated} minutes; move depth to '## Going further'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_has_the_python3_kernelspec(path):
    spec = load(path).get("metadata", {}).get("kernelspec", {})
    assert spec.get("name") == "python3", f"{path.name}: kernelspec {spec!r}; Jupyter would ask which kernel to use"
