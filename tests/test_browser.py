"""Real-browser test of the live explorer: JupyterLab + headless Chromium + Playwright.

The test writes a small notebook into its tmp dir, opens it in JupyterLab, runs all cells, then
acts like a learner: one key press on the row slider, one click on the image. After each it checks
that the overlay picture changed, that the readout and the sliders name the new query pixel, and,
from the pixels on screen, that the overlay's hottest cell is that query's cell (the notebook's
weights peak at each query's own cell, so a stale or wrong picture fails).
Screenshots are saved in the test's tmp dir (the paths are printed; see them with ``pytest -s``).

Skipped when Chromium (/usr/bin/chromium, or the path in env ATTN_CHROMIUM) or Playwright is missing,
except on CI (env CI=true), where it fails instead. Deselect with ``pytest -m "not browser"``.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from browser_support import (
    arm_new_picture,
    chromium_page,
    ci_requires_browser,
    lab_server,
    missing_reason,
    open_and_run_all,
    wait_new_picture,
    write_notebook,
)

pytestmark = pytest.mark.browser

GRID = (8, 8)  # token grid (rows, cols) of the test notebook's attention weights

# The notebook under test. Weights: each query attends to a Gaussian blob around its own cell, so
# the hottest cell of the overlay is the query's own cell; the test reads that back from the pixels
# on screen. cmap and alpha are spelled out because hottest_cell() relies on them.
NOTEBOOK_CELLS = [
    """\
import torch
from attnlib import AttentionExplorer, load_image

H, W = 8, 8
rows, cols = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
centers = torch.stack([rows.flatten(), cols.flatten()], dim=-1).float()  # (N, 2)
weights = torch.softmax(-torch.cdist(centers, centers) ** 2 / 2.0, dim=-1)  # (N, N), row = query
image = load_image("astronaut", size=(128, 128))
""",
    'explorer = AttentionExplorer(image, weights, (H, W), cmap="inferno", opacity=0.5)\nexplorer',
]

IMAGE = ".attn-explorer-image"
OVERLAY = "img.attn-explorer-overlay"
ROW_HANDLE = ".attn-explorer-row .noUi-handle"
COL_HANDLE = ".attn-explorer-col .noUi-handle"
READOUT = ".attn-explorer-readout"


def query_pattern(row: int, col: int) -> str:
    """A regex (valid in Python and JavaScript) for a readout naming query pixel ``(row, col)``."""
    return rf"\(\s*{row}\s*,\s*{col}\s*\)"


def shows_query(readout: str, row: int, col: int) -> bool:
    return re.search(query_pattern(row, col), readout) is not None


def wait_readout(page, row: int, col: int, timeout_ms: float = 10_000) -> None:
    """Wait until the readout names (row, col): it may update a moment after the picture."""
    page.wait_for_function(
        "([sel, pattern]) => new RegExp(pattern).test(document.querySelector(sel).innerText)",
        arg=[READOUT, query_pattern(row, col)],
        timeout=timeout_ms,
    )


def slider_value(page, handle_selector: str) -> int:
    return round(float(page.locator(handle_selector).get_attribute("aria-valuenow")))


def hottest_cell(page) -> tuple[int, int]:
    """The grid cell where the overlay on screen is most coloured by the map, read from pixels.

    overlay = 0.5 · image + 0.5 · inferno(map), and the left image shows the same picture without the
    map, so overlay − 0.5 · image is the colour-mapped attention (inferno: brighter = more weight).
    Pixels identical in both (the query marker, drawn on top of each) are left out.
    """
    from PIL import Image

    def pixels(selector):
        return np.asarray(Image.open(io.BytesIO(page.locator(selector).screenshot())).convert("RGB"), float)

    image, overlay = pixels(IMAGE), pixels(OVERLAY)
    assert image.shape == overlay.shape, f"image {image.shape} and overlay {overlay.shape} differ on screen"
    heat = (overlay - 0.5 * image).mean(axis=-1)
    keep = np.any(overlay != image, axis=-1)
    h, w = GRID
    rows = np.minimum(np.arange(heat.shape[0]) * h // heat.shape[0], h - 1)
    cols = np.minimum(np.arange(heat.shape[1]) * w // heat.shape[1], w - 1)
    cell_of = rows[:, None] * w + cols[None, :]
    total = np.bincount(cell_of[keep], weights=heat[keep], minlength=h * w)
    count = np.bincount(cell_of[keep], minlength=h * w)
    best = int(np.argmax(total / np.maximum(count, 1)))
    return divmod(best, w)


@pytest.fixture
def lab(tmp_path):
    reason = missing_reason()
    if reason is not None:
        if ci_requires_browser():
            pytest.fail(f"CI must run the browser test, but: {reason}")
        pytest.skip(reason)
    with lab_server(tmp_path / "lab") as server:
        yield server


def test_explorer_in_jupyterlab(lab, tmp_path):
    write_notebook(lab.root / "explorer_test.ipynb", NOTEBOOK_CELLS)

    def shot(page, name):
        path = tmp_path / name
        page.screenshot(path=str(path))
        print(f"screenshot: {path}")

    with chromium_page() as page:
        try:
            open_and_run_all(page, lab, "explorer_test.ipynb", OVERLAY)
            shot(page, "01_after_run_all.png")
            overlay = page.locator(OVERLAY)
            src0 = overlay.get_attribute("src")
            row0, col0 = slider_value(page, ROW_HANDLE), slider_value(page, COL_HANDLE)
            assert shows_query(page.locator(READOUT).inner_text(), row0, col0)
            assert hottest_cell(page) == (row0, col0)

            # 1. One key press on the row slider moves the query one row down.
            key = "ArrowRight" if row0 < GRID[0] - 1 else "ArrowLeft"
            row1 = row0 + 1 if key == "ArrowRight" else row0 - 1
            page.locator(ROW_HANDLE).focus()
            arm_new_picture(page, OVERLAY)
            page.keyboard.press(key)
            wait_new_picture(page)
            wait_readout(page, row1, col0)
            shot(page, "02_after_row_key.png")
            assert slider_value(page, ROW_HANDLE) == row1
            assert shows_query(page.locator(READOUT).inner_text(), row1, col0)
            assert overlay.get_attribute("src") != src0
            assert hottest_cell(page) == (row1, col0), "the picture on screen is not the new query's map"

            # 2. A click on the image picks the cell under the pointer as the new query.
            row2, col2 = (GRID[0] - 2 if row1 < GRID[0] // 2 else 1), (1 if col0 >= GRID[1] // 2 else GRID[1] - 2)
            box = page.locator(IMAGE).bounding_box()
            x = box["x"] + box["width"] * (col2 + 0.5) / GRID[1]
            y = box["y"] + box["height"] * (row2 + 0.5) / GRID[0]
            src1 = overlay.get_attribute("src")
            arm_new_picture(page, OVERLAY)
            page.mouse.click(x, y)
            wait_new_picture(page)
            wait_readout(page, row2, col2)
            shot(page, "03_after_click.png")
            assert (slider_value(page, ROW_HANDLE), slider_value(page, COL_HANDLE)) == (row2, col2)
            assert shows_query(page.locator(READOUT).inner_text(), row2, col2)
            assert overlay.get_attribute("src") != src1
            assert hottest_cell(page) == (row2, col2), "the picture on screen is not the clicked query's map"
        except Exception:
            shot(page, "failure.png")
            print("jupyter lab log (tail):\n" + lab.log_tail())
            raise
