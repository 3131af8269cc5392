"""Train the partner-task networks shipped in attnlib/weights, and print their figures.

    .venv/bin/python scripts/train_long_range.py            # all of PRETRAINED
    .venv/bin/python scripts/train_long_range.py cnn self_attention

Every network sees the same 3000 seeded training pictures (make_pairs seed 1) for 3 epochs
(batch 20, Adam, lr 3e-3, seed 0, one thread), and is scored on 500 held-out pictures (seed 2):
pixel accuracy, and for attention the mean share of a query's mass on its partner against chance.
Each file holds {"config", "state_dict", "history"} and loads with torch.load(weights_only=True).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from attnlib import PRETRAINED, PairNet, fit, make_pairs, partner_mass, pixel_accuracy

OUT = Path(__file__).resolve().parents[1] / "attnlib" / "weights"
TRAIN = dict(n=3000, seed=1)
TEST = dict(n=500, seed=2)
FIT = dict(epochs=3, batch_size=20, lr=3e-3, seed=0, threads=1)


def config(name: str) -> dict:
    """The PairNet arguments behind each name in PRETRAINED."""
    if name == "cnn":
        return {"attention": None}
    if name == "self_attention":
        return {"attention": "self_attention"}
    mode = name.removeprefix("non_local_").removesuffix("_sub")
    return {"attention": "non_local", "mode": mode, "sub_sample": name.endswith("_sub")}


def train_one(name: str, train, test) -> None:
    torch.manual_seed(FIT["seed"])
    net = PairNet(**config(name))
    track = (lambda m: m.attention.gamma.item()) if name == "self_attention" else None
    start = time.perf_counter()
    history = fit(net, train.images, train.labels, track=track, desc=name, **FIT)
    seconds = time.perf_counter() - start
    accuracy = pixel_accuracy(net, test.images, test.labels)
    line = f"{name:34s} accuracy {accuracy:.3f}  train {seconds:5.1f} s"
    if net.attention is not None:
        with torch.no_grad():
            _, weights = net(test.images)
        key_grid = (4, 4) if net.config["sub_sample"] else (8, 8)
        mass, chance = partner_mass(weights, test.masks, (8, 8), key_grid=key_grid)
        line += f"  mass on partner {mass:.3f} (chance {chance:.3f})"
    saved = {
        "config": net.config,
        "state_dict": net.state_dict(),
        "history": {k: [round(v, 5) for v in vals] for k, vals in history.items()},
    }
    torch.save(saved, OUT / f"pairs_{name}.pt")
    print(line, flush=True)


def main(names: list[str]) -> None:
    names = names or list(PRETRAINED)
    unknown = sorted(set(names) - set(PRETRAINED))
    if unknown:
        raise SystemExit(f"unknown names {unknown}; choose from {PRETRAINED}")
    OUT.mkdir(exist_ok=True)
    train, test = make_pairs(**TRAIN), make_pairs(**TEST)
    print(f"torch {torch.__version__}, {TRAIN['n']} training / {TEST['n']} test pictures, {FIT}", flush=True)
    for name in names:
        train_one(name, train, test)


if __name__ == "__main__":
    main(sys.argv[1:])
