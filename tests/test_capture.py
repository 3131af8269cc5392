"""capture_attention on real model code, each against an independent computation of the same weights.

- Hugging Face ViT, DeiT (with teacher) and DINOv2 with registers, built from small configs with random weights
  in their default SDPA attention: against the same model copied and switched to eager attention with
  ``output_attentions=True`` (the weights the library itself materialises);
- attnlib's VisionTransformer: against softmax(q kᵀ / √d) written out block by block;
- nn.MultiheadAttention inside nn.TransformerEncoder (batch_first, eval, the fused fast path): against the weights
  nn.MultiheadAttention returns itself with need_weights=True.

Every input is non-square (a 4 × 6 patch grid), so a swapped (h, w) shows up.
"""

import copy
import logging

import pytest
import torch
from torch import nn
from transformers import (
    DeiTConfig,
    DeiTForImageClassificationWithTeacher,
    Dinov2WithRegistersConfig,
    Dinov2WithRegistersModel,
    ViTConfig,
    ViTModel,
)

from attnlib import VisionTransformer, capture_attention, cls_map, query_map, rollout

GRID = (4, 6)  # every model below sees a 32 × 48 picture in 8 × 8 patches (attnlib's ViT: 16 × 24 in 4 × 4)
SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, patch_size=8)


def images(b=2, h=32, w=48, channels=3, seed=0):
    return torch.randn(b, channels, h, w, generator=torch.Generator().manual_seed(seed))


def hf_vit():
    torch.manual_seed(0)
    return ViTModel(ViTConfig(image_size=(32, 48), **SMALL)).eval()


def hf_deit():
    torch.manual_seed(0)
    return DeiTForImageClassificationWithTeacher(DeiTConfig(image_size=(32, 48), num_labels=5, **SMALL)).eval()


def hf_dinov2_registers():
    torch.manual_seed(0)  # a 32 × 32 config: DINOv2 interpolates its position embeddings to the 32 × 48 input
    return Dinov2WithRegistersModel(Dinov2WithRegistersConfig(image_size=32, num_register_tokens=4, **SMALL)).eval()


HF_MODELS = {"ViTModel": (hf_vit, 1), "DeiTWithTeacher": (hf_deit, 2), "Dinov2WithRegisters": (hf_dinov2_registers, 5)}


def main_output(out) -> torch.Tensor:
    return out.logits if hasattr(out, "logits") else out.last_hidden_state


def eager_attentions(model, x) -> torch.Tensor:
    """The reference: a copy of the model in eager attention, asked for its weights → (layers, B, heads, N, N)."""
    twin = copy.deepcopy(model)
    twin.set_attn_implementation("eager")
    with torch.no_grad():
        out = twin(x, output_attentions=True)
    assert len(out.attentions) == twin.config.num_hidden_layers
    return torch.stack(out.attentions)


def hooks_left(model) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


# ---- Hugging Face, SDPA attention -------------------------------------------------------------------


@pytest.mark.parametrize("name", HF_MODELS)
def test_hf_weights_equal_eager_attention(name):
    make, prefix = HF_MODELS[name]
    model, x = make(), images()
    assert model.config._attn_implementation == "sdpa"
    captured = capture_attention(model, x)
    want = eager_attentions(model, x)
    assert captured.weights.shape == (2, 2, 4, prefix + 24, prefix + 24)
    torch.testing.assert_close(captured.weights, want, atol=1e-6, rtol=1e-5)
    assert (captured.prefix, captured.grid) == (prefix, GRID)


@pytest.mark.parametrize("name", HF_MODELS)
def test_hf_outputs_and_model_unchanged(name):
    model, x = HF_MODELS[name][0](), images()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        plain = main_output(model(x))
    captured = capture_attention(model, x)
    assert torch.equal(main_output(captured.output), plain)
    assert model.config._attn_implementation == "sdpa"
    assert hooks_left(model) == 0
    assert not model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_hf_sdpa_output_attentions_gives_nothing():
    """What the notebook shows: in SDPA mode the model logs a warning and returns no weights (IndexError on [0])."""
    model, x = hf_vit(), images()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("transformers")
    logger.addHandler(handler)
    try:
        with torch.no_grad():
            out = model(x, output_attentions=True)
    finally:
        logger.removeHandler(handler)
    assert out.attentions == ()
    with pytest.raises(IndexError):
        out.attentions[0]
    # the warning is logged once per process; if an earlier test triggered it, there is nothing new to see
    assert all("does not support `output_attentions=True`" in r.getMessage() for r in records)


def test_naive_hook_on_hf_attention_gets_none():
    """A forward hook on the attention module sees (output, weights) with weights None in SDPA mode."""
    model, x = hf_vit(), images()
    seen = []
    handle = model.layers[0].attention.register_forward_hook(lambda m, i, out: seen.append(out[1]))
    try:
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()
    assert seen == [None]


def test_hooks_removed_after_an_exception_and_user_hooks_kept():
    model, x = hf_vit(), images()

    def boom(module, inputs, output):
        raise RuntimeError("a user's hook fails in layer 1")

    user = model.layers[1].register_forward_hook(boom)
    with pytest.raises(RuntimeError, match="user's hook"):
        capture_attention(model, x)
    assert hooks_left(model) == 1  # the user's own hook, nothing of ours
    user.remove()
    assert hooks_left(model) == 0
    assert model.config._attn_implementation == "sdpa"


def test_registers_prefix_slicing_and_rollout_shapes():
    captured = capture_attention(hf_dinov2_registers(), images())
    assert captured.prefix == 5  # class + 4 registers: 5 + 24 = 29 tokens, not 24 (dinov2 #90's 845 vs 841)
    w = captured.weights
    head_map = query_map(w[1, 0, 2], (3, 5), captured.grid, prefix=5)
    torch.testing.assert_close(head_map, w[1, 0, 2, 5 + 3 * 6 + 5, 5:].reshape(4, 6))
    torch.testing.assert_close(cls_map(w, captured.grid, prefix=5), w[..., 0, 5:].reshape(2, 2, 4, 4, 6))
    assert rollout(w, prefix=5).shape == (2, 29, 29)


# ---- orientation on a non-square grid (the dino #180 bug) ----------------------------------------------


def bright_patch_dinov2(cell) -> tuple[nn.Module, torch.Tensor]:
    """One-layer DINOv2 with registers whose every query attends to the one bright patch of a 32 × 48 picture.

    Patch embedding: the patch's total brightness times a fixed vector e (position embeddings 0), so after the
    layer norm a bright patch is e / |e|-ish and a dark one is 0. Query = u for every token, key = 10 u (eᵀ h):
    the bright patch's key scores about 10·|e|, every other token 0.
    """
    torch.manual_seed(0)
    config = Dinov2WithRegistersConfig(image_size=32, num_register_tokens=4, **{**SMALL, "num_hidden_layers": 1})
    model = Dinov2WithRegistersModel(config).eval()
    d = config.hidden_size
    e = torch.linspace(-1, 1, d)
    u = torch.ones(d) / d**0.5
    emb, attn = model.embeddings, model.encoder.layer[0].attention
    with torch.no_grad():
        emb.patch_embeddings.projection.weight.copy_(e[:, None, None, None].expand(d, 3, 8, 8))
        emb.patch_embeddings.projection.bias.zero_()
        for p in (emb.position_embeddings, emb.cls_token, emb.register_tokens):
            p.zero_()
        attn.q_proj.weight.zero_()
        attn.q_proj.bias.copy_(u)
        attn.k_proj.weight.copy_(10 * torch.outer(u, e))
        attn.k_proj.bias.zero_()
    x = torch.zeros(1, 3, 32, 48)
    row, col = cell
    x[:, :, 8 * row : 8 * row + 8, 8 * col : 8 * col + 8] = 1.0
    return model, x


@pytest.mark.parametrize("cell", [(0, 5), (3, 0), (2, 4)])
def test_non_square_grid_orientation(cell):
    model, x = bright_patch_dinov2(cell)
    captured = capture_attention(model, x)
    assert captured.grid == (4, 6)  # rows × columns of patches: 32 / 8 by 48 / 8, never (6, 4)
    for query in [(0, 0), (3, 5)]:
        m = query_map(captured.weights[0, 0, 0], query, captured.grid, prefix=captured.prefix)
        assert divmod(int(m.argmax()), 6) == cell  # with h and w swapped, (0, 5) would land at (1, 1)
        assert m.max() > 0.9
    cls = cls_map(captured.weights[0, 0, 0], captured.grid, prefix=captured.prefix)
    assert divmod(int(cls.argmax()), 6) == cell


# ---- attnlib's own ViT -------------------------------------------------------------------------------------


def test_attnlib_vit_weights_by_hand():
    torch.manual_seed(0)
    model = VisionTransformer(image_size=(16, 24), patch_size=4, in_channels=3, dim=32, depth=3, num_heads=4,
                              registers=2).eval()
    x = images(h=16, w=24)
    captured = capture_attention(model, x)
    assert (captured.prefix, captured.grid) == (3, GRID)
    with torch.no_grad():
        plain = model(x)
        tokens, want = model.embed(x), []
        for block in model.blocks:
            h = block.norm1(tokens)
            q = block.attn.q_proj(h).reshape(2, 27, 4, 8).transpose(1, 2)
            k = block.attn.k_proj(h).reshape(2, 27, 4, 8).transpose(1, 2)
            want.append(torch.softmax(q @ k.transpose(-1, -2) / 8**0.5, dim=-1))
            tokens = block(tokens)
    torch.testing.assert_close(captured.weights, torch.stack(want))
    assert torch.equal(captured.output, plain)
    assert hooks_left(model) == 0


# ---- nn.MultiheadAttention in nn.TransformerEncoder -----------------------------------------------------


class HandWrittenViT(nn.Module):
    """The ViT many people write themselves: a patch conv, a class token, nn.TransformerEncoder."""

    def __init__(self, norm_first: bool):
        super().__init__()
        self.patch = nn.Conv2d(3, 32, kernel_size=8, stride=8)
        self.cls = nn.Parameter(torch.randn(1, 1, 32))
        layer = nn.TransformerEncoderLayer(32, 4, dim_feedforward=64, batch_first=True, norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)

    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)
        return self.encoder(torch.cat([self.cls.expand(len(t), -1, -1), t], dim=1))


@pytest.mark.parametrize("norm_first", [False, True])
def test_multihead_attention_in_transformer_encoder(norm_first):
    torch.manual_seed(0)
    model, x = HandWrittenViT(norm_first).eval(), images()
    with torch.no_grad(), torch.profiler.profile() as prof:
        plain = model(x)
    fused = "aten::_transformer_encoder_layer_fwd" in {e.key for e in prof.key_averages()}
    assert fused  # the fast path: one fused kernel per layer, self_attn's forward never runs, no weights anywhere
    captured = capture_attention(model, x)
    assert (captured.prefix, captured.grid) == (1, GRID)
    # reference: run the layers one by one and ask nn.MultiheadAttention itself for its per-head weights
    want, tokens = [], torch.cat([model.cls.expand(2, -1, -1), model.patch(x).flatten(2).transpose(1, 2)], 1)
    with torch.no_grad():
        for layer in model.encoder.layers:
            h = layer.norm1(tokens) if norm_first else tokens
            _, w = layer.self_attn(h, h, h, need_weights=True, average_attn_weights=False)
            want.append(w)
            tokens = layer(tokens)
    torch.testing.assert_close(captured.weights, torch.stack(want), atol=1e-6, rtol=1e-5)
    # the capture's hooks make PyTorch take the layer's regular path for this call: same maths, float rounding
    torch.testing.assert_close(captured.output, plain, atol=1e-5, rtol=1e-5)
    assert hooks_left(model) == 0


def test_bare_transformer_encoder_needs_grid_and_sequence_first_layout():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32)  # batch_first=False: (N, B, E)
    encoder = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False).eval()
    tokens = torch.randn(1 + 6, 3, 16)
    with pytest.raises(ValueError, match="no patch embedding.*pass grid"):
        capture_attention(encoder, tokens)
    captured = capture_attention(encoder, tokens, grid=(2, 3))
    with torch.no_grad():
        mha = encoder.layers[0].self_attn  # nn.TransformerEncoder holds copies of the layer it was given
        _, want = mha(tokens, tokens, tokens, need_weights=True, average_attn_weights=False)
    assert captured.prefix == 1
    torch.testing.assert_close(captured.weights[0], want, atol=1e-6, rtol=1e-5)


def test_standalone_multihead_attention_by_hand():
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, t):
            return self.attn(t, t, t, need_weights=False)[0]

    net, t = Net().eval(), torch.randn(2, 4, 8)
    captured = capture_attention(net, t, grid=(2, 2))
    w_q, w_k, _ = net.attn.in_proj_weight.chunk(3)
    b_q, b_k, _ = net.attn.in_proj_bias.chunk(3)
    q = (t @ w_q.T + b_q).reshape(2, 4, 2, 4).transpose(1, 2)
    k = (t @ w_k.T + b_k).reshape(2, 4, 2, 4).transpose(1, 2)
    want = torch.softmax(q @ k.transpose(-1, -2) / 2.0, dim=-1)
    torch.testing.assert_close(captured.weights[0], want.detach())
    assert captured.prefix == 0


# ---- errors -------------------------------------------------------------------------------------------


def test_other_models_get_a_clear_error():
    cnn = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    with pytest.raises(ValueError, match="found no attention layer in Sequential.*q_proj and k_proj.*"
                                         "TransformerEncoderLayer.*MultiheadAttention"):
        capture_attention(cnn, images())


def test_argument_types():
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        capture_attention(lambda x: x, images())
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        capture_attention(hf_vit(), images().numpy())
    with pytest.raises(ValueError, match="grid must be"):
        capture_attention(hf_vit(), images(), grid=(0, 3))


def test_wrong_grid_is_named():
    with pytest.raises(ValueError, match="fewer than the 5×6 = 30 patches"):
        capture_attention(hf_vit(), images(), grid=(5, 6))


def test_masks_are_refused():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, batch_first=True).eval()
    tokens = torch.randn(2, 5, 16)
    pad = torch.zeros(2, 5, dtype=torch.bool)
    with pytest.raises(ValueError, match="src_key_padding_mask"):
        capture_attention(layer, tokens, grid=(2, 2), src_key_padding_mask=pad)
    assert hooks_left(layer) == 0


def test_attnlib_never_imports_transformers():
    import subprocess
    import sys

    code = (
        "import sys, torch, attnlib\n"
        "model = attnlib.VisionTransformer(image_size=16, patch_size=4, dim=8, depth=1, num_heads=2).eval()\n"
        "attnlib.capture_attention(model, torch.rand(1, 1, 16, 16))\n"
        "print('transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
