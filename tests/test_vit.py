"""attnlib's small VisionTransformer: token layout, shapes, errors, the shipped digits model; class-token maps."""

import matplotlib
import pytest
import torch

from attnlib import VisionTransformer, capture_attention, load_digits_vit, make_cluttered_digits, show_map, show_maps


def test_tokens_are_class_registers_then_patches_row_major():
    torch.manual_seed(0)
    model = VisionTransformer(image_size=(8, 12), patch_size=4, in_channels=1, dim=16, num_heads=2, registers=2)
    with torch.no_grad():
        model.pos_embed.zero_()
        x = torch.rand(1, 1, 8, 12)
        tokens = model.embed(x)
        patches = model.patch_embed(x)  # (1, 16, 2, 3)
    assert tokens.shape == (1, 3 + 6, 16) and model.prefix == 3 and model.grid == (2, 3)
    torch.testing.assert_close(tokens[0, 0], model.cls_token[0, 0])
    torch.testing.assert_close(tokens[0, 1:3], model.register_tokens[0])
    for r in range(2):
        for c in range(3):  # patch (r, c) is token prefix + r * gw + c
            torch.testing.assert_close(tokens[0, 3 + r * 3 + c], patches[0, :, r, c])


def test_forward_shape_and_stem_grid():
    torch.manual_seed(0)
    model = VisionTransformer(image_size=(16, 24), patch_size=8, num_classes=7, dim=16, depth=2, num_heads=2,
                              stem=4).eval()
    x = torch.rand(3, 1, 16, 24)
    assert model(x).shape == (3, 7)
    captured = capture_attention(model, x)  # the stem's 3×3 convolutions are not mistaken for the patch grid
    assert (captured.prefix, captured.grid, tuple(captured.weights.shape)) == (1, (2, 3), (2, 3, 2, 7, 7))


def test_errors_are_named():
    with pytest.raises(ValueError, match="multiple of patch_size"):
        VisionTransformer(image_size=30, patch_size=8)
    with pytest.raises(ValueError, match="divisible by num_heads"):
        VisionTransformer(dim=30, num_heads=4)
    with pytest.raises(ValueError, match="multiple of 4"):
        VisionTransformer(image_size=48, patch_size=6, stem=8)
    with pytest.raises(TypeError, match="registers must be an int"):
        VisionTransformer(registers=1.5)
    model = VisionTransformer()
    with pytest.raises(ValueError, match=r"images must have shape \(B, 1, 48, 48\); got \(2, 1, 32, 32\)"):
        model(torch.rand(2, 1, 32, 32))


def test_shipped_digits_vit_classifies_unseen_digits():
    model = load_digits_vit()
    test = make_cluttered_digits(300, seed=1, split="test")
    with torch.no_grad():
        accuracy = float((model(test.images).argmax(1) == test.labels).float().mean())
    assert accuracy >= 0.9
    assert not model.training


def test_class_token_maps_have_no_marker_and_say_so():
    matplotlib.use("Agg")
    image = torch.rand(24, 24).numpy()
    ax = show_map(image, torch.rand(3, 3), None, title="layer 0, head 1")
    assert ax.get_title() == "layer 0, head 1 · query: class token"
    assert len(ax.images) == 1  # the overlay only: no query marker (an image artist) drawn
    fig = show_maps(image, torch.rand(2, 3, 3), None)
    assert [a.get_title() for a in fig.axes[:2]] == ["query: class token"] * 2
