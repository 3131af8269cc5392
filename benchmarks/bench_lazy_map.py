"""A pixel-level map without the N × N matrix: 256×256 pixel features = 65,536 tokens.

The full weights would be 65,536² float32 = 16 GiB. ``lazy_rows(q, k)`` computes one query's row
(65,536 weights, 256 kB) when asked. We measure, in a fresh subprocess (so its peak memory is
its own):

- time per query: ``query_map(row_fn, query, (256, 256))``, and the same plus ``overlay`` on the
  256×256 image, and one explorer move driven by the row_fn (target ≤ 50 ms per query);
- peak extra memory while doing so: the process's peak resident memory (``ru_maxrss``) at the end
  minus its resident memory (psutil) before the first query (target < 300 MB). torch allocates
  outside Python's heap, so tracemalloc would not see it.

    .venv/bin/python benchmarks/bench_lazy_map.py [--queries 30]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

GRID = (256, 256)
TARGET_MS, TARGET_MB = 50.0, 300.0


def child(n_queries: int) -> dict:
    import numpy as np
    import psutil
    import torch

    from attnlib import AttentionExplorer, lazy_rows, load_image, overlay, pixel_features, query_map

    torch.manual_seed(0)
    image = load_image("astronaut", GRID[0])
    feats = pixel_features(image, GRID, position_weight=2.0)  # (65536, 5)
    row_fn = lazy_rows(feats, feats, temperature=0.05)
    explorer = AttentionExplorer(image, row_fn, GRID, size=GRID[0])
    query_map(row_fn, (0, 0), GRID)  # warm-up
    rss_before = psutil.Process().memory_info().rss

    rng = np.random.default_rng(0)
    cells = [(int(r), int(c)) for r, c in rng.integers(0, GRID[0], size=(n_queries, 2))]
    t_map, t_draw, t_move = [], [], []
    for cell in cells:
        start = time.perf_counter()
        m = query_map(row_fn, cell, GRID)
        t_map.append(time.perf_counter() - start)
        overlay(image, m)
        t_draw.append(time.perf_counter() - start)
        start = time.perf_counter()
        explorer.select(*cell)
        t_move.append(time.perf_counter() - start)
        assert m.shape == GRID and abs(float(m.sum()) - 1) < 1e-3
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports kB
    return {
        "map_ms": 1e3 * statistics.median(t_map),
        "draw_ms": 1e3 * statistics.median(t_draw),
        "move_ms": 1e3 * statistics.median(t_move),
        "rss_before_mb": rss_before / 2**20,
        "peak_mb": peak / 2**20,
        "extra_mb": (peak - rss_before) / 2**20,
        "n": n_queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.queries)))
        return
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--queries", str(args.queries)],
        capture_output=True, text=True, check=True,
    )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    n_tokens = GRID[0] * GRID[1]
    full_gib = n_tokens**2 * 4 / 2**30
    print(f"lazy map at {n_tokens:,} tokens ({GRID[0]}×{GRID[1]} pixel features); "
          f"the full matrix would be {full_gib:.0f} GiB; median of {r['n']} queries")
    ok = "OK" if r["map_ms"] <= TARGET_MS else "MISSED"
    print(f"  query_map(row_fn)             {r['map_ms']:7.2f} ms   target ≤ {TARGET_MS:.0f} ms   {ok}")
    ok = "OK" if r["draw_ms"] <= TARGET_MS else "MISSED"
    print(f"  query_map + overlay 256×256   {r['draw_ms']:7.2f} ms   target ≤ {TARGET_MS:.0f} ms   {ok}")
    ok = "OK" if r["move_ms"] <= TARGET_MS else "MISSED"
    print(f"  explorer move (row_fn)        {r['move_ms']:7.2f} ms   target ≤ {TARGET_MS:.0f} ms   {ok}")
    ok = "OK" if r["extra_mb"] < TARGET_MB else "MISSED"
    print(f"  peak extra memory             {r['extra_mb']:7.1f} MB   target < {TARGET_MB:.0f} MB   {ok}"
          f"   (RSS {r['rss_before_mb']:.0f} MB before, peak {r['peak_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
