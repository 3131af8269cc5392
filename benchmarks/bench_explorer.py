"""Kernel-side cost of one query move: the AttentionExplorer vs a full matplotlib redraw.

64×64 tokens (4,096; pixel-feature attention on the astronaut photo), drawn at 256×256.

- explorer: move the row/col slider → query_map → overlay → BMP frame → ipywidgets.Image (in place);
- matplotlib: what an ``interact`` callback usually does per move, drawing the same two pictures the
  explorer shows: a new figure, the photo and the photo with the map on top (alpha, bilinear), the query
  marker on both and a title, ``savefig`` to PNG bytes, close.

Both run in this process, one after the other, on the same queries (a seeded walk of distinct
cells); we print the median of each, the ratio and the targets (explorer ≤ 3 ms, ≥ 40× faster).

    .venv/bin/python benchmarks/bench_explorer.py [--moves 40]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")  # a benchmark draws off-screen
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from attnlib import AttentionExplorer, attention, load_image, pixel_features, query_map  # noqa: E402

GRID = (64, 64)
SIZE = 256
TARGET_MS, TARGET_RATIO = 3.0, 40.0


def queries(n: int, seed: int = 0) -> list[tuple[int, int]]:
    """n distinct cells of the grid in a seeded random order."""
    cells = np.random.default_rng(seed).permutation(GRID[0] * GRID[1])[:n]
    return [(int(c) // GRID[1], int(c) % GRID[1]) for c in cells]


def time_explorer(explorer: AttentionExplorer, moves) -> list[float]:
    times = []
    for row, col in moves:
        start = time.perf_counter()
        explorer.row_slider.value = row  # two slider moves, as a user drags row then col:
        explorer.col_slider.value = col  # each one is a full update; we time both and halve
        times.append((time.perf_counter() - start) / 2)
        assert explorer.query == (row, col)
    return times


def matplotlib_redraw(image, weights, query) -> bytes:
    """The same two pictures the explorer shows (photo with the query marked, overlay with the query
    marked, each SIZE × SIZE), drawn the ``interact`` way: a new figure per move, saved to PNG."""
    m = query_map(weights, query, GRID).numpy()
    fig, axes = plt.subplots(1, 2, figsize=(2 * SIZE / 80, SIZE / 80), dpi=80)
    x, y = (query[1] + 0.5) * SIZE / GRID[1] - 0.5, (query[0] + 0.5) * SIZE / GRID[0] - 0.5
    extent = (-0.5, SIZE - 0.5, SIZE - 0.5, -0.5)  # the map stretched over the photo's pixels
    for ax, with_map in zip(axes, (False, True), strict=True):
        ax.imshow(image)
        if with_map:
            ax.imshow(m, cmap="inferno", alpha=0.5, interpolation="bilinear", extent=extent)
        ax.plot(x, y, marker="+", color="cyan", markersize=12, markeredgewidth=2)
        ax.set_axis_off()
    fig.suptitle(f"query ({query[0]}, {query[1]})")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def time_matplotlib(image, weights, moves) -> list[float]:
    times = []
    for query in moves:
        start = time.perf_counter()
        matplotlib_redraw(image, weights, query)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=40, help="timed moves per method (≥ 30)")
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)

    image = load_image("astronaut", SIZE)
    feats = pixel_features(image, GRID, position_weight=2.0)
    _, weights = attention(feats, feats, feats, temperature=0.05)  # (4096, 4096)
    explorer = AttentionExplorer(image, weights, GRID, size=SIZE)

    moves = queries(args.warmup + args.moves)
    time_explorer(explorer, moves[: args.warmup])
    ours = time_explorer(explorer, moves[args.warmup :])
    time_matplotlib(image, weights, moves[: args.warmup])
    theirs = time_matplotlib(image, weights, moves[args.warmup :])

    ours_ms, theirs_ms = 1e3 * statistics.median(ours), 1e3 * statistics.median(theirs)
    ratio = theirs_ms / ours_ms
    print(f"one query move, {GRID[0]}×{GRID[1]} tokens drawn at {SIZE}×{SIZE}, median of {args.moves} moves")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}")
    print(f"  explorer (slider → frame → Image) {ours_ms:7.2f} ms   target ≤ {TARGET_MS:.0f} ms   "
          f"{'OK' if ours_ms <= TARGET_MS else 'MISSED'}")
    print(f"  matplotlib redraw, 2 panels, PNG  {theirs_ms:7.2f} ms")
    print(f"  ratio                              {ratio:7.1f} ×    target ≥ {TARGET_RATIO:.0f} ×   "
          f"{'OK' if ratio >= TARGET_RATIO else 'MISSED'}")


if __name__ == "__main__":
    main()
