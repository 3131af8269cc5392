"""Self-attention over the pixels of a feature map: SAGAN's layer and the Non-local block.

Both take a feature map ``x`` of shape ``(B, C, H, W)`` and return ``(out, weights)``:
``out`` has the shape of ``x``; ``weights`` is ``(B, N, N')`` with ``N = H * W`` query pixels
(flattened row-major, token ``n = row * W + col``) and ``N'`` key pixels. **Row i is query
pixel i's map** over the keys, so ``weights[b, i].reshape(H', W')`` is a picture.

- :class:`SelfAttention2d` is the ``Self_Attn`` layer of SAGAN (Zhang et al., 2019), with the
  same parameter names, so its checkpoints load unchanged.
- :class:`NonLocal2d` is the Non-local block (Wang et al., 2018) with its four pairwise
  functions, laid out like the widely used PyTorch implementation so its checkpoints load too.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import shape_str

__all__ = ["SelfAttention2d", "NonLocal2d", "NONLOCAL_MODES"]

#: The pairwise functions :class:`NonLocal2d` knows.
NONLOCAL_MODES = ("gaussian", "embedded_gaussian", "dot_product", "concatenation")


def _check_channels(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int (a number of channels); got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}")
    return value


def _check_feature_map(x, channels: int) -> None:
    want = f"(B, {channels}, H, W)"
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape {want}; got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor of shape {want}; got dtype {x.dtype}")
    if x.dim() != 4 or x.shape[1] != channels:
        raise ValueError(f"x must have shape {want}; got {shape_str(x.shape)}")


def _tokens(x: torch.Tensor) -> torch.Tensor:
    """Feature map ``(B, C, H, W)`` → one row per pixel ``(B, H * W, C)``, row-major."""
    return x.flatten(2).transpose(1, 2)


class SelfAttention2d(nn.Module):
    """SAGAN's self-attention layer over the pixels of a feature map.

    Three 1×1 convolutions make the three branches:
    ``query_conv`` and ``key_conv``: C → C // 8 channels, ``value_conv``: C → C channels.
    ``gamma`` (shape ``[1]``) starts at 0, so a new layer returns its input unchanged.

    forward: x ``(B, C, H, W)`` → ``(out (B, C, H, W), attention (B, N, N))``, ``N = H * W``:

    1. energy ``s[i, j] = q_i · k_j`` (no division by √d: SAGAN does not scale);
    2. ``attention = softmax(s)`` over the keys j, so each row sums to 1;
    3. ``o_i = Σ_j attention[i, j] v_j`` and ``out = gamma * o + x``.
    """

    def __init__(self, in_dim: int):
        super().__init__()
        in_dim = _check_channels(in_dim, "in_dim")
        if in_dim < 8:
            raise ValueError(
                f"in_dim must be at least 8 (query and key have in_dim // 8 channels, which would be 0); got {in_dim}"
            )
        self.in_dim = in_dim
        self.query_conv = nn.Conv2d(in_dim, in_dim // 8, kernel_size=1)
        self.key_conv = nn.Conv2d(in_dim, in_dim // 8, kernel_size=1)
        self.value_conv = nn.Conv2d(in_dim, in_dim, kernel_size=1)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_feature_map(x, self.in_dim)
        q = _tokens(self.query_conv(x))  # (B, N, C//8)
        k = _tokens(self.key_conv(x))  # (B, N, C//8)
        v = _tokens(self.value_conv(x))  # (B, N, C)
        energy = q @ k.transpose(1, 2)  # (B, N, N): row i = query pixel i
        attention = torch.softmax(energy, dim=-1)
        o = attention @ v  # (B, N, C)
        o = o.transpose(1, 2).reshape(x.shape)  # back to (B, C, H, W)
        return self.gamma * o + x, attention

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}"


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
        in_channels = _check_channels(in_channels, "in_channels")
        if inter_channels is None:
            inter_channels = max(in_channels // 2, 1)
        inter_channels = _check_channels(inter_channels, "inter_channels")
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
        _check_feature_map(x, self.in_channels)
        if self.sub_sample and min(x.shape[-2:]) < 2:
            raise ValueError(
                f"x must be at least 2×2 in (H, W) for sub_sample=True (a 2×2 max-pool makes the keys); "
                f"got {shape_str(x.shape)}; use a larger map or sub_sample=False"
            )
        if self.mode == "gaussian":
            theta = _tokens(x)  # (B, N, C)
            phi = _tokens(self.phi(x)) if self.sub_sample else theta  # (B, N', C)
        else:
            theta = _tokens(self.theta(x))  # (B, N, inter)
            phi = _tokens(self.phi(x))  # (B, N', inter)
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
        g = _tokens(self.g(x))  # (B, N', inter)
        y = (weights @ g).transpose(1, 2)  # (B, inter, N)
        y = y.reshape(x.shape[0], self.inter_channels, *x.shape[2:])
        return self.W(y) + x, weights

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, sub_sample={self.sub_sample}, bn_layer={self.bn_layer}"
