"""Attention weights out of real vision transformers, with their fused attention left on.

PyTorch's fused attention (``scaled_dot_product_attention``, the fast path of ``nn.TransformerEncoderLayer``)
never materialises the ``(N, N)`` weights, so hooks on the attention's output find nothing and Hugging Face's
``output_attentions=True`` is not supported in its default SDPA mode. :func:`capture_attention` does not ask
the model for its weights: it records each layer's **queries and keys** with forward hooks and recomputes

    alpha = softmax(q kᵀ · scale)            per layer and head, row i = query token i,

exactly what the fused kernel computes inside. The model is not changed (no attention implementation
switched, no module replaced) and every hook is removed when it returns, also after an exception.

What it looks for, in this order:

- modules with ``q_proj`` and ``k_proj`` linear layers, a head count (``num_attention_heads`` or ``num_heads``)
  and a ``scaling`` factor: Hugging Face's ViT, DeiT and DINOv2(-with-registers) attention, and attnlib's
  :class:`~attnlib.modules.vit.VisionTransformer`;
- ``nn.TransformerEncoderLayer``: q and k recomputed from the layer's input (after ``norm1`` when
  ``norm_first``) with its ``self_attn.in_proj_weight``, so it works on the inference fast path too;
- any other ``nn.MultiheadAttention``: q and k from its ``query`` and ``key`` inputs.

The grid of patch tokens is read from the patch embedding (the first ``nn.Conv2d`` whose stride equals its
kernel size: its output is ``(B, C, gh, gw)``), and ``prefix = N - gh * gw`` is the number of tokens in front of
the grid: 1 for ViT's class token, 2 for DeiT (class + distillation), 1 + registers for DINOv2 with registers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ._checks import check_float_tensor, check_grid, shape_str

__all__ = ["Captured", "capture_attention"]

LOOKED_FOR = (
    "modules with q_proj and k_proj nn.Linear layers, a head count (num_attention_heads or num_heads) and a "
    "scaling factor (Hugging Face ViT/DeiT/DINOv2 attention, attnlib's VisionTransformer), "
    "nn.TransformerEncoderLayer, or nn.MultiheadAttention"
)


@dataclass(frozen=True)
class Captured:
    """What :func:`capture_attention` returns.

    - ``weights`` ``(layers, B, heads, N, N)``: softmax(q kᵀ · scale) of every layer, row i = query token i;
    - ``prefix``: tokens before the patch grid (class, distillation, register tokens);
    - ``grid`` ``(gh, gw)``: patch rows × patch columns, so token ``prefix + row * gw + col`` is patch (row, col);
    - ``output``: what ``model(x)`` returned, untouched.

    ``query_map(captured.weights[layer, b, head], query, captured.grid, prefix=captured.prefix)`` draws one map.
    """

    weights: torch.Tensor
    prefix: int
    grid: tuple[int, int]
    output: Any = None

    def __repr__(self) -> str:
        return f"Captured(weights={shape_str(self.weights.shape)}, prefix={self.prefix}, grid={self.grid})"


# ---- finding the attention layers ---------------------------------------------------------------


def _heads(module: nn.Module) -> int | None:
    for name in ("num_attention_heads", "num_heads"):
        value = getattr(module, name, None)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _is_qk_attention(module: nn.Module) -> bool:
    return (
        isinstance(getattr(module, "q_proj", None), nn.Linear)
        and isinstance(getattr(module, "k_proj", None), nn.Linear)
        and _heads(module) is not None
        and isinstance(getattr(module, "scaling", None), float)
    )


def _find_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(kind, module)`` for every attention layer we can read: ``"qk"``, ``"encoder_layer"`` or ``"mha"``."""
    found, inside_encoder_layers = [], set()
    for module in model.modules():
        if isinstance(module, nn.TransformerEncoderLayer):
            found.append(("encoder_layer", module))
            inside_encoder_layers.add(id(module.self_attn))
        elif _is_qk_attention(module):
            found.append(("qk", module))
    found += [
        ("mha", m)
        for m in model.modules()
        if isinstance(m, nn.MultiheadAttention) and id(m) not in inside_encoder_layers
    ]
    return found


def _patch_embedding(model: nn.Module) -> nn.Conv2d | None:
    for module in model.modules():
        if isinstance(module, nn.Conv2d) and module.kernel_size == module.stride:
            return module
    return None


# ---- reading q and k ------------------------------------------------------------------------------


def _argument(args, kwargs, position: int, name: str):
    return args[position] if len(args) > position else kwargs.get(name)


def _refuse_masks(where: str, **masks) -> None:
    given = [name for name, mask in masks.items() if mask is not None]
    if given:
        raise ValueError(
            f"capture_attention recomputes softmax(q kᵀ · scale) without masks, but {where} was called with "
            f"{', '.join(given)}; vision transformers over whole images use no mask"
        )


def _mha_qk(mha: nn.MultiheadAttention, query: torch.Tensor, key: torch.Tensor):
    """q ``(B, Nq, E)``, k ``(B, Nk, E)`` as ``mha`` projects them, whatever its layout."""
    if mha.bias_k is not None or mha.add_zero_attn:
        raise ValueError("capture_attention cannot read nn.MultiheadAttention with add_bias_kv or add_zero_attn")
    if query.dim() != 3:
        raise ValueError(f"nn.MultiheadAttention input must be batched (3 dims); got {shape_str(query.shape)}")
    if not mha.batch_first:
        query, key = query.transpose(0, 1), key.transpose(0, 1)
    e = mha.embed_dim
    if mha._qkv_same_embed_dim:
        w_q, w_k = mha.in_proj_weight[:e], mha.in_proj_weight[e : 2 * e]
    else:
        w_q, w_k = mha.q_proj_weight, mha.k_proj_weight
    b = mha.in_proj_bias
    b_q, b_k = (None, None) if b is None else (b[:e], b[e : 2 * e])
    return F.linear(query, w_q, b_q), F.linear(key, w_k, b_k)


class _Recorder:
    """Forward hooks that store each attention call's q and k; :meth:`remove` takes every hook off again."""

    def __init__(self) -> None:
        self.calls: list[dict] = []  # in the order the layers ran: {"q", "k", "heads", "scaling"}
        self.pending: dict[int, dict] = {}
        self.grid: tuple[int, int] | None = None
        self.handles: list = []

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles.clear()

    def _store(self, module: nn.Module, q, k, heads: int) -> None:
        d = q.shape[-1] // heads
        scaling = getattr(module, "scaling", d**-0.5)
        self.calls.append({"q": q.detach(), "k": k.detach(), "heads": heads, "scaling": float(scaling)})

    def watch_qk(self, module: nn.Module) -> None:
        def check_mask(mod, args, kwargs):
            _refuse_masks(type(mod).__name__, attention_mask=_argument(args, kwargs, 1, "attention_mask"))

        def keep(which):
            def hook(_linear, _inputs, output):
                slot = self.pending.setdefault(id(module), {})
                slot[which] = output
                if "q" in slot and "k" in slot:
                    del self.pending[id(module)]
                    self._store(module, slot["q"], slot["k"], _heads(module))

            return hook

        self.handles.append(module.register_forward_pre_hook(check_mask, with_kwargs=True))
        self.handles.append(module.q_proj.register_forward_hook(keep("q")))
        self.handles.append(module.k_proj.register_forward_hook(keep("k")))

    def watch_encoder_layer(self, layer: nn.TransformerEncoderLayer) -> None:
        def hook(mod, args, kwargs):
            src = _argument(args, kwargs, 0, "src")
            _refuse_masks(
                "nn.TransformerEncoderLayer",
                src_mask=_argument(args, kwargs, 1, "src_mask"),
                src_key_padding_mask=_argument(args, kwargs, 2, "src_key_padding_mask"),
            )
            x = mod.norm1(src) if mod.norm_first else src  # the self-attention's input, as the layer makes it
            q, k = _mha_qk(mod.self_attn, x, x)
            self._store(mod.self_attn, q, k, mod.self_attn.num_heads)

        self.handles.append(layer.register_forward_pre_hook(hook, with_kwargs=True))

    def watch_mha(self, mha: nn.MultiheadAttention) -> None:
        def hook(mod, args, kwargs):
            _refuse_masks(
                "nn.MultiheadAttention",
                key_padding_mask=_argument(args, kwargs, 3, "key_padding_mask"),
                attn_mask=_argument(args, kwargs, 5, "attn_mask"),
            )
            q, k = _mha_qk(mod, _argument(args, kwargs, 0, "query"), _argument(args, kwargs, 1, "key"))
            self._store(mod, q, k, mod.num_heads)

        self.handles.append(mha.register_forward_pre_hook(hook, with_kwargs=True))

    def watch_grid(self, conv: nn.Conv2d) -> None:
        def hook(_conv, _inputs, output):
            if self.grid is None:
                self.grid = (int(output.shape[-2]), int(output.shape[-1]))

        self.handles.append(conv.register_forward_hook(hook))


def _weights(call: dict) -> torch.Tensor:
    """q ``(B, N, heads·d)``, k ``(B, N, heads·d)`` → alpha ``(B, heads, N, N)``."""
    q, k, heads = call["q"], call["k"], call["heads"]
    b, n_q, n_k = q.shape[0], q.shape[1], k.shape[1]
    q = q.reshape(b, n_q, heads, -1).transpose(1, 2)  # (B, heads, N, d)
    k = k.reshape(b, n_k, heads, -1).transpose(1, 2)
    # torch's fused softmax, not attnlib.softmax: same formula, and several times faster on the ~20 million
    # weights of a ViT-S batch (no masks or NaN checks needed on a model's own finite projections)
    return torch.softmax((q @ k.transpose(-2, -1)) * call["scaling"], dim=-1)


# ---- the public function --------------------------------------------------------------------------


def capture_attention(model: nn.Module, x: torch.Tensor, *, grid=None, **forward_kwargs) -> Captured:
    """Run ``model(x, **forward_kwargs)`` once and return every layer's attention weights.

    model: an ``nn.Module`` with attention layers of a kind listed in this module's docstring.
    x: the model's input, e.g. images ``(B, 3, H, W)``; passed through unchanged.
    grid: ``(gh, gw)`` of the patch tokens; default: read from the patch embedding's output. Pass it for a
    model without one (e.g. a bare ``nn.TransformerEncoder`` on tokens).

    Returns a :class:`Captured` with ``weights (layers, B, heads, N, N)``, ``prefix``, ``grid`` and ``output``.
    Runs under ``torch.no_grad()``; the weights are those before any attention dropout (call ``model.eval()``
    for the weights the model uses at inference).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    check_float_tensor(x, "x", "(B, 3, H, W) images (or the tokens your model takes)", min_dim=2)
    if grid is not None:
        grid = check_grid(grid)
    layers = _find_layers(model)
    if not layers:
        raise ValueError(f"capture_attention found no attention layer in {type(model).__name__}; it looks for "
                         f"{LOOKED_FOR}")
    recorder = _Recorder()
    try:
        for kind, module in layers:
            getattr(recorder, {"qk": "watch_qk", "encoder_layer": "watch_encoder_layer", "mha": "watch_mha"}[kind])(
                module
            )
        conv = _patch_embedding(model) if grid is None else None
        if conv is not None:
            recorder.watch_grid(conv)
        with torch.no_grad():
            output = model(x, **forward_kwargs)
    finally:
        recorder.remove()
    if not recorder.calls:
        raise ValueError(
            f"capture_attention found {len(layers)} attention layer(s) in {type(model).__name__}, but none ran "
            "during model(x)"
        )
    weights = [_weights(call) for call in recorder.calls]
    shapes = {tuple(w.shape) for w in weights}
    if len(shapes) > 1:
        raise ValueError(
            f"the attention layers of {type(model).__name__} have different shapes "
            f"{sorted(shapes)}; capture_attention stacks layers of one shape (B, heads, N, N)"
        )
    grid = grid or recorder.grid
    if grid is None:
        raise ValueError(
            f"capture_attention found no patch embedding in {type(model).__name__} (an nn.Conv2d whose stride "
            "equals its kernel size) to read the token grid from; pass grid=(gh, gw)"
        )
    n = weights[0].shape[-1]
    prefix = n - grid[0] * grid[1]
    if prefix < 0:
        raise ValueError(
            f"the attention has N = {n} tokens, fewer than the {grid[0]}×{grid[1]} = {grid[0] * grid[1]} patches "
            "of the grid; check grid=(gh, gw)"
        )
    return Captured(weights=torch.stack(weights), prefix=prefix, grid=grid, output=output)
