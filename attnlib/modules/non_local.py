"""The Non-local block (Wang et al., 2018) for 2-D feature maps, with its four pairwise functions.

Takes a feature map ``x`` of shape ``(B, C, H, W)`` and returns ``(z, weights)``: ``z`` has the shape
of ``x``; ``weights`` is ``(B, N, N')`` with ``N = H * W`` query pixels (row-major) and ``N'`` key
pixels (fewer with sub-sampling). **Row i is query pixel i's map** over the keys. Laid out like the
widely used PyTorch implementation, so its checkpoints load too.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_feature_map, check_int, shape_str
from ._tokens import tokens

__all__ = ["NonLocal2d", "NONLOCAL_MODES"]

#: The pairwise functions :class:`NonLocal2d` knows.
NONLOCAL_MODES = ("gaussian", "embedded_gaussian", "dot_product", "concatenation")


class NonLocal2d(nn.Module):
    """The Non-local block of Wang et al. (2018) for 2-D feature maps.

    ``y_i = (1 / C(x)) Σ_j f(x_i, x_j) g(x_j)`` and ``z = W_z y + x``, with pairwise function ``f``:

    - ``"gaussian"``: ``exp(x_iᵀ x_j)``, normalised by a softmax over j (no learned θ, φ);
    - ``"embedded_gaussian"``: ``exp(θ(x_i)ᵀ φ(x_j))``, softmax over j;
    - ``"dot_product"``: ``θ(x_i)ᵀ φ(x_j)``, divided by N (the number of key positions);
    - ``"concatenation"``: ``ReLU(w_fᵀ [θ(x_i); φ(x_j)])``, divided by N.

    θ, φ, g are 1×1 convs C → ``inter_channels`` (default C // 2); ``W`` (= W_z) maps back to C.
    ``sub_sample=True`` follows g and φ by a 2×2 max-pool, so the keys live on a grid of half the
    height and width (N' = (H // 2) · (W // 2)); it needs H, W ≥ 2, and on an odd size the pool
    rounds down: the last row (odd H) or column (odd W) never becomes a key, though it still asks
    as a query. ``W``'s BatchNorm (with ``bn_layer``) or else its
    conv starts at zero, so a new block is the identity.

    forward: x ``(B, C, H, W)`` → ``(z (B, C, H, W), weights (B, N, N'))``; row i = query pixel i.
    """

    def __init__(
        self,
        in_channels: int,
        inter_channels: int | None = None,
        mode: str = "embedded_gaussian",
        sub_sample: bool = True,
        bn_layer: bool = True,
    ):
        super().__init__()
        in_channels = check_int(in_channels, "in_channels", minimum=1)
        if inter_channels is None:
            inter_channels = max(in_channels // 2, 1)
        inter_channels = check_int(inter_channels, "inter_channels", minimum=1)
        if mode not in NONLOCAL_MODES:
            raise ValueError(f"mode must be one of {', '.join(repr(m) for m in NONLOCAL_MODES)}; got {mode!r}")
        self.in_channels, self.inter_channels = in_channels, inter_channels
        for value, name in [(sub_sample, "sub_sample"), (bn_layer, "bn_layer")]:
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be True or False; got {value!r}")
        self.mode, self.sub_sample, self.bn_layer = mode, sub_sample, bn_layer

        def conv(c_in: int, c_out: int) -> nn.Conv2d:
            return nn.Conv2d(c_in, c_out, kernel_size=1)

        self.g = conv(in_channels, inter_channels)
        if mode != "gaussian":  # the plain Gaussian compares x itself: no θ, φ to learn
            self.theta = conv(in_channels, inter_channels)
            self.phi = conv(in_channels, inter_channels)
        if mode == "concatenation":  # w_f: [θ; φ] (2 · inter channels) → one score, then ReLU
            self.concat_project = nn.Sequential(nn.Conv2d(2 * inter_channels, 1, kernel_size=1, bias=False), nn.ReLU())
        if self.sub_sample:
            self.g = nn.Sequential(self.g, nn.MaxPool2d(2))
            self.phi = nn.Sequential(self.phi, nn.MaxPool2d(2)) if mode != "gaussian" else nn.MaxPool2d(2)
        if self.bn_layer:
            self.W = nn.Sequential(conv(inter_channels, in_channels), nn.BatchNorm2d(in_channels))
            last = self.W[1]
        else:
            self.W = conv(inter_channels, in_channels)
            last = self.W
        nn.init.zeros_(last.weight)  # z = W_z y + x starts as z = x
        nn.init.zeros_(last.bias)

    def pairwise(self, x: torch.Tensor) -> torch.Tensor:
        """The normalised pairwise weights ``f(x_i, x_j) / C(x)``: x ``(B, C, H, W)`` → ``(B, N, N')``."""
        check_feature_map(x, self.in_channels, dtype=self.W[0].weight.dtype if self.bn_layer else self.W.weight.dtype)
        if self.sub_sample and min(x.shape[-2:]) < 2:
            raise ValueError(
                f"x must be at least 2×2 in (H, W) for sub_sample=True (a 2×2 max-pool makes the keys); "
                f"got {shape_str(x.shape)}; use a larger map or sub_sample=False"
            )
        if self.mode == "gaussian":
            theta = tokens(x)  # (B, N, C)
            phi = tokens(self.phi(x)) if self.sub_sample else theta  # (B, N', C)
        else:
            theta = tokens(self.theta(x))  # (B, N, inter)
            phi = tokens(self.phi(x))  # (B, N', inter)
        if self.mode in ("gaussian", "embedded_gaussian"):
            return torch.softmax(theta @ phi.transpose(1, 2), dim=-1)
        if self.mode == "dot_product":
            f = theta @ phi.transpose(1, 2)
        else:  # concatenation: w_fᵀ[θ_i; φ_j] = w_θ·θ_i + w_φ·φ_j, built as a (2·inter, N, N') map
            n, n_keys = theta.shape[1], phi.shape[1]
            pairs = torch.cat(
                [
                    theta.transpose(1, 2).unsqueeze(-1).expand(-1, -1, n, n_keys),
                    phi.transpose(1, 2).unsqueeze(-2).expand(-1, -1, n, n_keys),
                ],
                dim=1,
            )
            f = self.concat_project(pairs).squeeze(1)  # (B, N, N')
        return f / f.shape[-1]  # C(x) = N', the number of key positions

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weights = self.pairwise(x)  # (B, N, N')
        g = tokens(self.g(x))  # (B, N', inter)
        y = (weights @ g).transpose(1, 2)  # (B, inter, N)
        y = y.reshape(x.shape[0], self.inter_channels, *x.shape[2:])
        return self.W(y) + x, weights

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, sub_sample={self.sub_sample}, bn_layer={self.bn_layer}"
