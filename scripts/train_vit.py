"""Train notebook 10's small ViT on cluttered digits and save its weights to attnlib/weights/vit_digits.pt.

The model is ``VisionTransformer(**DIGITS_VIT)``: 48 × 48 pictures, a 6 × 6 grid of 8 × 8 patches, a class token,
3 pre-norm blocks of 4 heads (attnlib's ``attention``), 64 wide, a small convolutional stem. Data: 8,000 training
pictures of ``make_cluttered_digits`` (split "train", seed 0), 1,000 held-out ones (split "test", seed 1: digits
never seen in training). 1,000 steps of AdamW on batches of 64 with a one-cycle learning rate, one thread, fixed
seeds: a retrain writes the same bytes (torch.save records the file's name inside the archive, so compare
files of the same name). The script asserts held-out accuracy ≥ 0.9 and prints its training time.

    .venv/bin/python scripts/train_vit.py            # writes attnlib/weights/vit_digits.pt
    .venv/bin/python scripts/train_vit.py --out /tmp/retrain/vit_digits.pt   # then: sha256sum both
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from attnlib import VisionTransformer, make_cluttered_digits
from attnlib.modules.vit import DIGITS_VIT

STEPS, BATCH, LR, WEIGHT_DECAY = 1000, 64, 2e-3, 0.05
N_TRAIN, N_TEST = 8000, 1000
BAR = 0.9
OUT = Path(__file__).resolve().parent.parent / "attnlib" / "weights" / "vit_digits.pt"


@torch.no_grad()
def accuracy(model, images, labels) -> float:
    model.eval()
    return float((model(images).argmax(1) == labels).float().mean())


def train(model, images, labels) -> None:
    optimiser = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=LR, total_steps=STEPS, pct_start=0.1)
    batches = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(STEPS):
        pick = torch.randint(0, len(images), (BATCH,), generator=batches)
        loss = F.cross_entropy(model(images[pick]), labels[pick])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
    model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    train_set = make_cluttered_digits(N_TRAIN, seed=0, split="train")
    test_set = make_cluttered_digits(N_TEST, seed=1, split="test")
    data_s = time.perf_counter() - start
    torch.manual_seed(0)
    model = VisionTransformer(**DIGITS_VIT)
    start = time.perf_counter()
    train(model, train_set.images, train_set.labels)
    train_s = time.perf_counter() - start
    acc = accuracy(model, test_set.images, test_set.labels)
    print(f"data {data_s:.1f} s, training {train_s:.1f} s ({STEPS} steps of {BATCH}, 1 thread); "
          f"held-out accuracy {acc:.3f} on {N_TEST} pictures of unseen digits")
    assert acc >= BAR, f"held-out accuracy {acc:.3f} is below the bar {BAR}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out)
    print(f"saved {args.out.name}, sha256 {hashlib.sha256(args.out.read_bytes()).hexdigest()[:16]}")


if __name__ == "__main__":
    main()
