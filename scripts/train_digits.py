"""Train the cluttered-digit networks shipped in attnlib/weights, and print their figures.

    .venv/bin/python scripts/train_digits.py            # all of DIGIT_NETS: cnn, se, cbam, input
    .venv/bin/python scripts/train_digits.py cbam input

Every network sees the same 4000 seeded training pictures (make_cluttered_digits seed 1, split "train")
for 4 epochs (batch 32, Adam, lr 3e-3, seed 0, one thread), and is scored on 1000 held-out pictures
whose digits it has never seen (seed 2, split "test"): accuracy, and for the spatial gates the mean
share of the gate's weight on the digit's box against chance. The script asserts each accuracy bar
and prints the training times: wall-clock, and the CPU time of this process (about the wall time
on an idle machine; on a shared one the wall time grows with the load, the CPU time does not).
Each file holds {"config", "state_dict", "history"} and loads with torch.load(weights_only=True);
a retrain gives byte-identical files.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from attnlib import DIGIT_NETS, DigitNet, box_mass, fit, make_cluttered_digits, pixel_accuracy

OUT = Path(__file__).resolve().parents[1] / "attnlib" / "weights"
TRAIN = dict(n=4000, seed=1, split="train")
TEST = dict(n=1000, seed=2, split="test")
FIT = dict(epochs=4, batch_size=32, lr=3e-3, seed=0, threads=1)
#: Held-out accuracy each network must reach (tests/test_digit_nets.py checks the shipped files against it).
BAR = 0.90


def train_one(name: str, train, test) -> tuple[float, float]:
    torch.manual_seed(FIT["seed"])
    net = DigitNet(DIGIT_NETS[name])
    start, cpu_start = time.perf_counter(), time.process_time()
    history = fit(net, train.images, train.labels, desc=name, progress=False, **FIT)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    accuracy = pixel_accuracy(net, test.images, test.labels)
    line = f"{name:6s} held-out accuracy {accuracy:.3f}  train {seconds:5.1f} s (CPU {cpu:4.1f} s)"
    with torch.no_grad():
        _, weights = net(test.images)
    spatial = {"cbam": lambda w: w[1], "input": lambda w: w}.get(name)
    if spatial is not None:
        mass, chance = box_mass(spatial(weights), test.boxes)
        line += f"  weight on the digit's box {mass:.3f} (chance {chance:.3f})"
    saved = {
        "config": net.config,
        "state_dict": net.state_dict(),
        "history": {k: [round(v, 5) for v in vals] for k, vals in history.items() if vals},
    }
    torch.save(saved, OUT / f"digits_{name}.pt")
    print(line, flush=True)
    assert accuracy >= BAR, f"{name}: held-out accuracy {accuracy:.3f} < {BAR}"
    return seconds, cpu


def main(names: list[str]) -> None:
    names = names or list(DIGIT_NETS)
    unknown = sorted(set(names) - set(DIGIT_NETS))
    if unknown:
        raise SystemExit(f"unknown names {unknown}; choose from {tuple(DIGIT_NETS)}")
    OUT.mkdir(exist_ok=True)
    train, test = make_cluttered_digits(**TRAIN), make_cluttered_digits(**TEST)
    print(f"torch {torch.__version__}, {TRAIN['n']} training / {TEST['n']} held-out pictures, {FIT}", flush=True)
    times = [train_one(name, train, test) for name in names]
    wall, cpu = (sum(t) for t in zip(*times, strict=True))
    print(f"training time, all {len(names)} networks: {wall:.1f} s wall, {cpu:.1f} s CPU (one thread)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
