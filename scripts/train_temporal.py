"""Train notebook 09's two models, assert their bars, and save them in attnlib/weights.

    .venv/bin/python scripts/train_temporal.py            # both
    .venv/bin/python scripts/train_temporal.py dates      # or: clips

- dates: a DateTranslator (GRU encoder–decoder, Bahdanau attention) on 8,000 written dates
  (make_dates seed 1), one pass, batch 32, Adam lr 1e-2; scored by exact match (all ten characters
  right) on 2,000 held-out dates (split "test", seed 2). Bar: 0.95.
- clips: a ClipClassifier (per-frame CNN + attention pooling over frames) on 2,000 clips
  (make_clips seed 1), 3 passes, batch 16, Adam lr 3e-3; scored on 500 held-out clips (seed 2) by
  accuracy (bar: 0.95) and the mean frame weight on the event frame against 1/T (bar: 0.5).

Seeded (torch.manual_seed(0), one thread, data in a seeded order): a retrain writes byte-identical
files. Training times are printed as wall-clock and CPU seconds (on a shared machine the CPU time is
the one that does not depend on the other users). Each file holds {"config", "state_dict", "history"}
and loads with torch.load(weights_only=True).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from attnlib import (
    EVENTS,
    FORMATS,
    INPUT_VOCAB,
    ISO_LENGTH,
    OUTPUT_VOCAB,
    ClipClassifier,
    DateTranslator,
    event_mass,
    make_clips,
    make_dates,
)
from attnlib.tasks.clips import CLIP_WEIGHTS
from attnlib.tasks.dates import DATE_WEIGHTS

OUT = Path(__file__).resolve().parents[1] / "attnlib" / "weights"
DATES = dict(train=dict(n=8_000, seed=1), test=dict(n=2_000, split="test", seed=2), epochs=1, batch_size=32, lr=1e-2)
CLIPS = dict(train=dict(n=2_000, seed=1), test=dict(n=500, seed=2), epochs=3, batch_size=16, lr=3e-3)


def train(model, n: int, loss_of, *, epochs: int, batch_size: int, lr: float):
    """Adam on ``loss_of(model, batch_indices)`` over ``n`` examples in a seeded order.

    → ``(model in eval mode, the loss of every step)``."""
    torch.manual_seed(0)
    order_rng = torch.Generator().manual_seed(0)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=order_rng)
        for start in range(0, n, batch_size):
            loss = loss_of(model, order[start : start + batch_size])
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            losses.append(round(loss.item(), 5))
    return model.eval(), losses


class Timer:
    """Wall-clock and CPU seconds of a ``with`` block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.1f} s ({self.cpu:.1f} s CPU)"


def save(model, losses: list[float], name: str) -> None:
    torch.save({"config": model.config, "state_dict": model.state_dict(), "history": {"loss": losses}}, OUT / name)


def train_dates() -> Timer:
    data, test = make_dates(**DATES["train"]), make_dates(**DATES["test"])

    def loss_of(model, batch):
        width = int(data.mask[batch].sum(1).max())  # trim the batch's padding
        logits, _ = model(data.inputs[batch, :width], data.mask[batch, :width], data.targets[batch])
        return F.cross_entropy(logits.flatten(0, 1), data.targets[batch].flatten())

    torch.manual_seed(0)
    model = DateTranslator(len(INPUT_VOCAB), len(OUTPUT_VOCAB), ISO_LENGTH)
    with Timer() as timer:
        model, losses = train(model, len(data.texts), loss_of, epochs=DATES["epochs"],
                              batch_size=DATES["batch_size"], lr=DATES["lr"])
    with torch.no_grad():
        logits, _ = model(test.inputs, test.mask)
    exact = (logits.argmax(-1) == test.targets).all(1)  # (n,): all ten characters right
    print(f"dates: exact match {exact.float().mean():.3f} on {len(exact)} held-out dates, train {timer}")
    for f, fmt in enumerate(FORMATS):
        print(f"    {fmt:32s} {exact[test.formats == f].float().mean():.3f}")
    assert exact.float().mean() >= 0.95, "the date translator misses its bar (exact match >= 0.95)"
    save(model, losses, DATE_WEIGHTS)
    return timer


def train_clips() -> Timer:
    data, test = make_clips(**CLIPS["train"]), make_clips(**CLIPS["test"])

    def loss_of(model, batch):
        logits, _ = model(data.clips[batch])
        return F.cross_entropy(logits, data.labels[batch])

    torch.manual_seed(0)
    model = ClipClassifier(len(EVENTS))
    with Timer() as timer:
        model, losses = train(model, len(data.labels), loss_of, epochs=CLIPS["epochs"],
                              batch_size=CLIPS["batch_size"], lr=CLIPS["lr"])
    with torch.no_grad():
        logits, weights = model(test.clips)
    accuracy = float((logits.argmax(-1) == test.labels).float().mean())
    mass, uniform = event_mass(weights, test.event_frames)
    top = float((weights.argmax(-1) == test.event_frames).float().mean())
    print(f"clips: accuracy {accuracy:.3f} on {len(test.labels)} held-out clips, weight on the event frame "
          f"{mass:.3f} (uniform {uniform:.4f}), event frame the most weighted in {top:.1%}, train {timer}")
    assert accuracy >= 0.95, "the clip classifier misses its bar (accuracy >= 0.95)"
    assert mass >= 0.5, "the frame weights miss their bar (mean weight on the event frame >= 0.5)"
    save(model, losses, CLIP_WEIGHTS)
    return timer


def main(names: list[str]) -> None:
    tasks = {"dates": train_dates, "clips": train_clips}
    names = names or list(tasks)
    unknown = sorted(set(names) - set(tasks))
    if unknown:
        raise SystemExit(f"unknown names {unknown}; choose from {list(tasks)}")
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, one thread", flush=True)
    timers = {name: tasks[name]() for name in names}
    wall, cpu = sum(t.wall for t in timers.values()), sum(t.cpu for t in timers.values())
    each = ", ".join(f"{name} {timer}" for name, timer in timers.items())
    print(f"training time: {each}; total {wall:.1f} s ({cpu:.1f} s CPU)")


if __name__ == "__main__":
    main(sys.argv[1:])
