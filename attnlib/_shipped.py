"""The trained models shipped in ``attnlib/weights``: one loader for all of them."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

import torch
from torch import nn


def load_shipped(filename: str, build: Callable[..., nn.Module]) -> nn.Module:
    """``attnlib/weights/<filename>``, saved by a training script as ``{"config", "state_dict", "history"}``
    (tensors and plain values only, read with ``torch.load(..., weights_only=True)``) → ``build(**config)``
    with those weights, ``.history`` (the recorded training run) set, in eval mode."""
    path = resources.files("attnlib") / "weights" / filename
    with resources.as_file(path) as p:
        saved = torch.load(p, weights_only=True)
    net = build(**saved["config"])
    net.load_state_dict(saved["state_dict"])
    net.history = saved["history"]
    return net.eval()
