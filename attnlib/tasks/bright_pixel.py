"""The smallest hard-attention problem: where is the bright pixel?

A 1-D image of ``N`` pixels. A policy looks at **one** pixel ``a``, drawn from ``pi = softmax(theta)``, and
is rewarded with what it sees, ``R = image[a]``. The expected reward ``J(theta) = Σ_a pi_a · image_a`` is
small enough to enumerate, so the exact gradient is known and the REINFORCE estimate can be checked
against it (notebook 08):

- :func:`bright_pixel`: the image (grey background, one bright pixel);
- :func:`exact_policy_gradient`: ``∇_theta J`` by summing over every pixel the policy could pick;
- :func:`reinforce_samples`: one REINFORCE estimate ``(R − b) ∇_theta log pi_a`` per sampled pixel.
"""

from __future__ import annotations

import torch

from .._checks import check_finite, check_float_tensor, check_int, shape_str

__all__ = ["bright_pixel", "exact_policy_gradient", "reinforce_samples"]


def bright_pixel(n: int = 8, *, where: int = 5, background: float = 0.5, bright: float = 1.0) -> torch.Tensor:
    """A 1-D image ``(n,)``: every pixel ``background`` except pixel ``where``, which is ``bright``."""
    n = check_int(n, "n", minimum=2, what=" (pixels in the image)")
    where = check_int(where, "where", minimum=0, maximum=n - 1, what=" (the bright pixel's index)")
    image = torch.full((n,), float(background))
    image[where] = float(bright)
    return image


def _check_policy(logits, image) -> None:
    check_float_tensor(logits, "logits", "(N,)", min_dim=1)
    check_float_tensor(image, "image", "(N,)", min_dim=1)
    if logits.dim() != 1 or image.shape != logits.shape:
        raise ValueError(
            f"logits and image must both have shape (N,); got {shape_str(logits.shape)} and {shape_str(image.shape)}"
        )
    check_finite(logits, "logits")
    check_finite(image, "image")


def exact_policy_gradient(logits: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    """``∇_theta J`` for ``J = E_{a ~ softmax(logits)}[image[a]]``, by enumeration: logits, image ``(N,)`` → ``(N,)``.

    Every pixel ``a`` contributes ``pi_a · image_a · ∇ log pi_a``, with ``∇ log pi_a = onehot(a) − pi`` (the
    gradient of a log-softmax entry).
    """
    _check_policy(logits, image)
    pi = torch.softmax(logits.detach(), dim=0)
    grad = torch.zeros_like(pi)
    for a in range(len(pi)):
        score = -pi.clone()
        score[a] += 1  # ∇ log pi_a
        grad += pi[a] * image[a] * score
    return grad


def reinforce_samples(
    logits: torch.Tensor,
    image: torch.Tensor,
    n_samples: int,
    *,
    baseline: float = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``n_samples`` REINFORCE estimates of ``∇_theta J``, one per row: ``(n_samples, N)``.

    Each draws ``a ~ softmax(logits)``, reads ``R = image[a]`` and returns ``(R − baseline) · ∇ log pi_a``.
    Their mean is unbiased for any constant ``baseline`` (``E[∇ log pi_a] = 0``); a baseline near ``E[R]``
    makes their variance smaller.
    """
    _check_policy(logits, image)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    if isinstance(baseline, bool) or not isinstance(baseline, int | float):
        raise TypeError(f"baseline must be a number (a constant subtracted from the reward); got {baseline!r}")
    pi = torch.softmax(logits.detach(), dim=0)
    actions = torch.multinomial(pi, n_samples, replacement=True, generator=generator)  # (n_samples,)
    score = torch.nn.functional.one_hot(actions, len(pi)).to(pi.dtype) - pi  # ∇ log pi_a, (n_samples, N)
    reward = image[actions]
    return (reward - baseline)[:, None] * score
