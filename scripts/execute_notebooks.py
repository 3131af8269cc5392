"""Regenerate the stored outputs of the course notebooks, in place, on a fresh kernel.

    .venv/bin/python scripts/execute_notebooks.py                       # all notebooks
    .venv/bin/python scripts/execute_notebooks.py notebooks/02_*.ipynb  # some

Each notebook is executed top to bottom with nbclient (what `jupyter nbconvert
--execute --inplace --ExecutePreprocessor.store_widget_state=False` does), widget
state is not stored (it would make every run a diff), and the wall time is printed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> None:
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"{path.name}: {execute(path.resolve()):.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
