"""A small, seeded fit loop with a progress bar.

:func:`fit` trains any model whose ``forward(images)`` returns ``(logits, ...)`` with Adam and
cross-entropy, for two kinds of task:

- per-pixel labels ``(n, H, W)`` (``-1`` = not scored) and logits ``(B, K, H, W)``;
- one label per picture ``(n,)`` and logits ``(B, K)`` (classification).

The same seed and thread count give the same weights, run after run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ._checks import check_int, check_positive, shape_str

__all__ = ["fit", "pixel_accuracy"]


@contextmanager
def _threads(n: int):
    """Run with ``n`` torch threads (fixed, so results reproduce), then restore the old count."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _check_data(images, labels) -> None:
    if not isinstance(images, torch.Tensor) or not isinstance(labels, torch.Tensor):
        raise TypeError("images and labels must be torch.Tensors of shapes (n, C, H, W) and (n, H, W) or (n,)")
    if images.dim() != 4 or not images.is_floating_point():
        got = f"{images.dtype} {shape_str(images.shape)}"
        raise ValueError(f"images must be a float tensor of shape (n, C, H, W); got {got}")
    if labels.dtype != torch.long:
        raise TypeError(f"labels must be torch.long class indices (-1 = not scored); got {labels.dtype}")
    n, _, h, w = images.shape
    if labels.shape not in ((n, h, w), (n,)):
        raise ValueError(
            f"labels must have shape ({n}, {h}, {w}) (one per pixel) or ({n},) (one per picture); "
            f"got {shape_str(labels.shape)}"
        )


@torch.no_grad()
def pixel_accuracy(
    model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, *, batch_size: int = 256
) -> float:
    """Share of scored pixels (``labels >= 0``) whose arg-max logit is the label.

    images ``(n, C, H, W)``, labels ``(n, H, W)``; with one label per picture ``(n,)`` (logits
    ``(B, K)``) it is the plain classification accuracy. The model is put in eval mode and left there.
    """
    _check_data(images, labels)
    model.eval()
    correct = total = 0
    for start in range(0, len(images), batch_size):
        logits = model(images[start : start + batch_size])[0]  # (b, K, H, W) or (b, K)
        target = labels[start : start + batch_size]
        scored = target >= 0
        correct += int((logits.argmax(1) == target)[scored].sum())
        total += int(scored.sum())
    return correct / max(total, 1)


def fit(
    model: torch.nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    epochs: int = 3,
    batch_size: int = 20,
    lr: float = 3e-3,
    seed: int = 0,
    threads: int = 1,
    track: Callable[[torch.nn.Module], float] | None = None,
    progress: bool = True,
    desc: str = "training",
) -> dict[str, list[float]]:
    """Train ``model`` in place on images ``(n, C, H, W)`` and labels ``(n, H, W)`` or ``(n,)``; return the history.

    Each epoch visits the pictures in a seeded random order. The history holds one entry per
    step: ``"loss"`` (the batch's cross-entropy over scored pixels), ``"accuracy"`` (the batch's
    pixel accuracy, before the step) and, with ``track(model) → float``, ``"tracked"`` (e.g. the
    value of SAGAN's γ after the step). ``progress`` shows a tqdm bar (a widget in Jupyter).
    """
    _check_data(images, labels)
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("threads", threads)):
        check_int(value, name, minimum=1)
    lr = check_positive(lr, "lr")
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "tracked": []}
    steps_per_epoch = -(-len(images) // batch_size)
    with _threads(threads):
        torch.manual_seed(seed)
        order_rng = torch.Generator().manual_seed(seed)
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        model.train()
        bar = tqdm(total=epochs * steps_per_epoch, desc=desc, disable=not progress, file=sys.stdout)
        for _ in range(epochs):
            order = torch.randperm(len(images), generator=order_rng)
            for start in range(0, len(images), batch_size):
                batch = order[start : start + batch_size]
                logits = model(images[batch])[0]  # (b, K, H, W) or (b, K)
                target = labels[batch]
                loss = F.cross_entropy(logits, target, ignore_index=-1)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                scored = target >= 0
                history["loss"].append(loss.item())
                history["accuracy"].append(float((logits.argmax(1) == target)[scored].float().mean()))
                if track is not None:
                    history["tracked"].append(float(track(model)))
                bar.update(1)
                bar.set_postfix(loss=f"{history['loss'][-1]:.3f}", refresh=False)
        bar.close()
    model.eval()
    return history
