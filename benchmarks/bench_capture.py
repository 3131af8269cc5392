"""What capturing the attention costs, on a ViT-S/16-sized Hugging Face ViTModel in its default SDPA attention.

Random weights (no download): 12 layers, 6 heads, 384 wide, 224 × 224 input → 197 tokens. In one run:

- the plain forward ``model(x)`` (SDPA, no grad) vs ``capture_attention(model, x)`` (the same forward plus
  forward hooks and softmax(q kᵀ · scale) of every layer), at batch 1 and 8: the ratio (goal ≤ 1.5×);
- ``rollout`` over the captured 12 layers of 197 tokens, one image (goal ≤ 5 ms).

Medians of ``--repeats`` alternating runs; timings depend on the machine and its load (on a shared machine, run
it twice and with ``--threads 1``).

    .venv/bin/python benchmarks/bench_capture.py [--repeats 9] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from transformers import ViTConfig, ViTModel

from attnlib import capture_attention, rollout

GOAL_RATIO, GOAL_ROLLOUT_MS = 1.5, 5.0


def vit_small() -> ViTModel:
    config = ViTConfig(hidden_size=384, num_hidden_layers=12, num_attention_heads=6, intermediate_size=1536,
                       image_size=224, patch_size=16)
    torch.manual_seed(0)
    return ViTModel(config, add_pooling_layer=False).eval()


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def paired(plain, captured, repeats: int) -> tuple[float, float, float]:
    """Alternate the two so a change in the machine's load hits both alike → medians of each and of the
    pairs' ratios (the ratio of one pair is measured under one load)."""
    a, b = [], []
    for _ in range(repeats):
        a.append(median_ms(plain, 1))
        b.append(median_ms(captured, 1))
    return statistics.median(a), statistics.median(b), statistics.median(y / x for x, y in zip(a, b, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = vit_small()
    assert model.config._attn_implementation == "sdpa"
    print(f"ViTModel, ViT-S/16 size (12 layers, 6 heads, 384 wide, 224 × 224, 197 tokens), SDPA attention, "
          f"{args.threads} threads, median of {args.repeats}")
    for batch in (1, 8):
        x = torch.randn(batch, 3, 224, 224, generator=torch.Generator().manual_seed(0))

        def plain(x=x):
            with torch.no_grad():
                model(x)

        def captured(x=x):
            capture_attention(model, x)

        plain(), captured()  # warm-up
        t_plain, t_capture, ratio = paired(plain, captured, args.repeats)
        verdict = "ok" if ratio <= GOAL_RATIO else "over the goal"
        print(f"batch {batch}: plain forward {t_plain:7.1f} ms | capture_attention {t_capture:7.1f} ms | "
              f"ratio {ratio:.2f}× (median of paired runs; goal ≤ {GOAL_RATIO}×: {verdict})")
    weights = capture_attention(model, torch.randn(1, 3, 224, 224)).weights  # (12, 1, 6, 197, 197)
    times = [median_ms(lambda: rollout(weights, prefix=1), 1) for _ in range(5 * args.repeats)]
    t_rollout, best = statistics.median(times), min(times)
    verdict = "ok" if t_rollout <= GOAL_ROLLOUT_MS else "over the goal"
    print(f"rollout over {tuple(weights.shape)}: median {t_rollout:.2f} ms, best {best:.2f} ms "
          f"(goal ≤ {GOAL_ROLLOUT_MS} ms for the median: {verdict})")


if __name__ == "__main__":
    main()
