"""The rule a notebook's stated time is checked against (CONTRIBUTING.md, "How long a lesson takes").

Counted on the main path, i.e. every cell before a ``## Going further`` heading:

- prose: markdown words at 120 words per minute (technical text with formulas), the References (a
  ``# References`` heading or a ``**References**`` paragraph, to the end of its cell) not counted: they are
  looked up, not read;
- code: 1.5 minutes per visible code cell (read it, run it, look at its output or figure);
- exercises: 7 minutes per ``## Exercise`` (read, write, run the checker, maybe reveal the solution);
  the exercise's own stub and hidden solution cells are part of those 7 minutes.
"""

import re

WORDS_PER_MINUTE = 120
MINUTES_PER_CODE_CELL = 1.5
MINUTES_PER_EXERCISE = 7


def source(cell) -> str:
    return "".join(cell.get("source", ""))


def main_path(cells) -> list:
    """The cells before the ``## Going further`` heading (all cells if there is none)."""
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown" and re.match(r"#+ Going further", source(cell)):
            return cells[:i]
    return cells


def prose_words(cells) -> int:
    words = 0
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        text = re.split(r"^(?:#+ References|\*\*References)", source(cell), flags=re.M)[0]
        words += len(re.findall(r"[\w’'-]+", text))
    return words


def lesson_stats(nb) -> dict:
    """Words, visible code cells, exercises and the estimated minutes of a notebook's main path."""
    cells = main_path(nb["cells"])
    exercises = sum(1 for c in cells if c["cell_type"] == "markdown" and re.match(r"## Exercise \d", source(c)))
    exercise_cells = 2 * exercises  # each exercise's stub cell and hidden solution cell
    code = sum(1 for c in cells if c["cell_type"] == "code" and source(c).strip()) - exercise_cells
    words = prose_words(cells)
    minutes = words / WORDS_PER_MINUTE + MINUTES_PER_CODE_CELL * code + MINUTES_PER_EXERCISE * exercises
    return {"words": words, "code_cells": code, "exercises": exercises, "cells": len(nb["cells"]), "minutes": minutes}


def stated_minutes(nb) -> int | None:
    """The N of "**Time:** about N minutes" in the first cell."""
    found = re.search(r"\*\*Time:\*\* about (\d+) minutes", source(nb["cells"][0]))
    return int(found.group(1)) if found else None
