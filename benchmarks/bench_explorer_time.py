"""Kernel-side cost of one output-step move in the AlignmentExplorer vs a full matplotlib redraw.

The date "Wednesday, September 29, 1999" (29 input characters, 10 output steps), drawn at 24 px per character.

- explorer: move the output-step slider → one AlignmentPicture frame (cached colours, text stamps) →
  BMP bytes → ipywidgets.Image, in place;
- matplotlib: what an ``interact`` callback usually does per move: a new figure with the same alignment
  (show_alignment with that step outlined), ``savefig`` to PNG bytes, close.

Also timed: one keystroke in the text box (the model runs once and a new picture is prepared). Both run
in this process, one after the other; we print medians and the ratio. On a shared machine the absolute
times vary; the ratio measured in the same run is the figure to quote.

    .venv/bin/python benchmarks/bench_explorer_time.py [--moves 40]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import matplotlib

matplotlib.use("Agg")  # a benchmark draws off-screen
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from attnlib import AlignmentExplorer, load_date_translator, show_alignment, translate_dates  # noqa: E402

TEXT = "Wednesday, September 29, 1999"


def time_moves(explorer: AlignmentExplorer, steps: list[int]) -> list[float]:
    times = []
    for step in steps:
        start = time.perf_counter()
        explorer.step_slider.value = step
        times.append(time.perf_counter() - start)
        assert explorer.step == step
    return times


def time_matplotlib(alignment, iso: str, steps: list[int]) -> list[float]:
    times = []
    for step in steps:
        start = time.perf_counter()
        ax = show_alignment(alignment, TEXT, iso, step=step, title=f"output step {step}")
        buffer = io.BytesIO()
        ax.figure.savefig(buffer, format="png")
        plt.close(ax.figure)
        times.append(time.perf_counter() - start)
    return times


def time_typing(explorer: AlignmentExplorer, n: int) -> list[float]:
    times = []
    for k in range(n):
        text = TEXT[: len(TEXT) - 1 - k % 2]  # alternate between two strings: every keystroke is new work
        start = time.perf_counter()
        explorer.text_box.value = text
        times.append(time.perf_counter() - start)
        assert explorer.text == text
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = load_date_translator()
    iso, alignments = translate_dates(model, TEXT)
    explorer = AlignmentExplorer(model, TEXT)
    steps = [(3 * k + 1) % 10 for k in range(args.moves)]  # every move changes the step
    move = statistics.median(time_moves(explorer, steps)) * 1e3
    redraw = statistics.median(time_matplotlib(alignments[0], iso[0], steps[:10])) * 1e3
    typing = statistics.median(time_typing(explorer, 10)) * 1e3
    print(f"alignment explorer, one output-step move: {move:.2f} ms (median of {args.moves})")
    print(f"matplotlib figure redraw per move:        {redraw:.1f} ms (median of 10)")
    print(f"ratio: the explorer is {redraw / move:.0f}× faster per move")
    print(f"one keystroke in the text box (model + new picture): {typing:.1f} ms (median of 10)")


if __name__ == "__main__":
    main()
