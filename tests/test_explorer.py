"""AttentionExplorer: synchronous state, selectors, click conversion, still picture, frame encoder."""

import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image

from attnlib import AttentionExplorer, lazy_rows, overlay
from attnlib.viz import encode

GRID = (8, 16)  # non-square on purpose
N = GRID[0] * GRID[1]


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def image():
    return np.random.default_rng(0).random((40, 80, 3)).astype(np.float32)


def weights(*lead, seed=0):
    return torch.softmax(3 * rand(*lead, N, N, seed=seed), dim=-1)


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


CYAN = [0, 255, 255]


# ---- state ------------------------------------------------------------------------------------

def test_select_updates_query_and_picture_synchronously():
    e = AttentionExplorer(image(), weights(), GRID, size=64)
    before = e.picture.copy()
    e.select(2, 13)
    assert e.query == (2, 13)
    assert e.row_slider.value == 2 and e.col_slider.value == 13
    assert e.picture.shape == (64, 128, 3) and e.picture.dtype == np.uint8
    assert not np.array_equal(e.picture, before)
    assert "query (2, 13)" in e.readout.value
    np.testing.assert_array_equal(decode(e.overlay_widget.value), e.picture)


def test_picture_is_the_overlay_of_the_queried_row_with_a_marker():
    w = weights(seed=1)
    e = AttentionExplorer(image(), w, GRID, size=64, cmap="viridis", opacity=0.7)
    e.select(5, 3)
    # independent map: row 5 * 16 + 3 of the weights, laid out as 8 rows of 16
    want = overlay(e.painter.image, w[5 * 16 + 3].view(8, 16), cmap="viridis", opacity=0.7)
    # the marker sits at the centre of cell (5, 3): 64/8 = 8 px per cell → pixel (x, y) = (28, 44)
    assert e.picture[44, 28].tolist() == CYAN
    far = np.ones((64, 128), dtype=bool)
    far[44 - 10 : 44 + 11, 28 - 10 : 28 + 11] = False
    np.testing.assert_array_equal(e.picture[far], want[far])
    shown = decode(e.image_widget.value)  # the plain image, marked at the same place
    assert shown[44, 28].tolist() == CYAN
    np.testing.assert_array_equal(shown[far], e.painter.image[far])


def test_marker_is_a_cyan_cross_in_a_black_ring():
    e = AttentionExplorer(image(), weights(), GRID, size=256)  # drawn at 256 × 512: cells of 32 × 32 px
    e.select(4, 8)
    want = overlay(e.painter.image, e.current_map())
    x, y = 272, 144  # cell (4, 8) spans x 256…287 and y 128…159: its centre pixel (rounded half up)
    dy, dx = np.mgrid[: e.picture.shape[0], : e.picture.shape[1]]
    dy, dx = dy - y, dx - x
    dist = np.hypot(dx, dy)
    cross = ((np.abs(dy) <= 1) & (np.abs(dx) <= 6)) | ((np.abs(dx) <= 1) & (np.abs(dy) <= 6))  # 3 px wide arms
    shown = decode(e.image_widget.value)
    for picture, plain in [(e.picture, want), (shown, e.painter.image)]:
        assert (picture[cross] == CYAN).all()
        assert (picture[~cross & (dist >= 5.5) & (dist <= 6.5)] == 0).all()  # the black ring
        inside, outside = ~cross & (dist <= 3.5), dist > 7.5  # the map shows inside the ring and around it
        np.testing.assert_array_equal(picture[inside | outside], plain[inside | outside])


def test_slider_moves_update_state():
    e = AttentionExplorer(image(), weights(), GRID, size=32)
    e.select(0, 0)
    first = e.picture.copy()
    e.row_slider.value = 7
    assert e.query == (7, 0)
    second = e.picture.copy()
    e.col_slider.value = 15
    assert e.query == (7, 15)
    assert not np.array_equal(first, second) and not np.array_equal(second, e.picture)
    assert "query (7, 15)" in e.readout.value


def test_select_redraws_once():
    e = AttentionExplorer(image(), weights(), GRID, size=32)
    calls = []
    original = e._redraw
    e._redraw = lambda: (calls.append(1), original())
    e.select(3, 4)
    assert len(calls) == 1 and e.query == (3, 4)


def test_lazy_row_fn_gives_the_same_picture():
    q, k = rand(N, 4, seed=2), rand(N, 4, seed=3)
    full = torch.softmax(q @ k.T / 2.0, dim=-1)
    a = AttentionExplorer(image(), full, GRID, size=32)
    b = AttentionExplorer(image(), lazy_rows(q, k), GRID, size=32)
    for cell in [(0, 0), (4, 9), (7, 15)]:
        a.select(*cell)
        b.select(*cell)
        np.testing.assert_array_equal(a.picture, b.picture)


def test_prefix_tokens():
    w = torch.softmax(rand(1 + N, 1 + N, seed=4), dim=-1)
    e = AttentionExplorer(image(), w, GRID, prefix=1, size=32)
    e.select(1, 1)
    want = overlay(e.painter.image, w[1 + 17, 1:].view(8, 16))
    far = np.ones((32, 64), dtype=bool)
    far[:14, :14] = False  # the marker, centred on cell (1, 1) at pixel (6, 6)
    np.testing.assert_array_equal(e.picture[far], want[far])


# ---- selectors ------------------------------------------------------------------------------------

def test_no_selector_without_leading_dims():
    e = AttentionExplorer(image(), weights(), GRID, size=32)
    assert e.selectors == {} and e.head is None and e.layer is None
    with pytest.raises(ValueError, match="no head dim"):
        e.select(0, 0, head=1)


def test_head_selector_for_heads():
    w = weights(3, seed=5)
    e = AttentionExplorer(image(), w, GRID, size=32)
    assert list(e.selectors) == ["head"] and e.selectors["head"].max == 2
    assert "attn-explorer-head" in e.selectors["head"]._dom_classes
    e.select(4, 4)
    pictures = []
    for head in range(3):
        e.selectors["head"].value = head
        assert e.head == head and f"head {head}" in e.readout.value
        pictures.append(e.picture.copy())
        torch.testing.assert_close(e.current_map(), w[head, 4 * 16 + 4].view(8, 16))
    assert not np.array_equal(pictures[0], pictures[1])


def test_layer_and_head_selectors():
    w = weights(2, 3, seed=6)
    e = AttentionExplorer(image(), w, GRID, size=32)
    assert list(e.selectors) == ["layer", "head"]
    e.select(1, 2, layer=1, head=2)
    assert (e.query, e.layer, e.head) == ((1, 2), 1, 2)
    torch.testing.assert_close(e.current_map(), w[1, 2, 18].view(8, 16))
    assert repr(e) == "AttentionExplorer: query (1, 2), layer 1, head 2 on a 8×16 grid"
    with pytest.raises(ValueError, match="head must be an int 0 <= head <= 2; got 3"):
        e.select(0, 0, head=3)


def test_too_many_leading_dims():
    with pytest.raises(ValueError, match="at most two leading dims"):
        AttentionExplorer(image(), weights(2, 2, 2), GRID, size=32)


# ---- click ------------------------------------------------------------------------------------------

def test_click_converts_displayed_pixels_to_cells():
    e = AttentionExplorer(image(), weights(), GRID, size=64)  # drawn at 64×128
    # displayed twice as large (a zoomed browser): 256 × 128 px; 8 × 16 cells of 16 × 16 px
    e.handle_click({"relativeX": 100, "relativeY": 120, "boundingRectWidth": 256, "boundingRectHeight": 128})
    assert e.query == (120 // 16, 100 // 16) == (7, 6)
    e.handle_click({"relativeX": 0, "relativeY": 0, "boundingRectWidth": 256, "boundingRectHeight": 128})
    assert e.query == (0, 0)
    e.handle_click({"relativeX": 256, "relativeY": 128, "boundingRectWidth": 256, "boundingRectHeight": 128})
    assert e.query == (7, 15)  # the far edge belongs to the last cell


def test_click_without_bounding_rect_uses_the_drawn_size():
    e = AttentionExplorer(image(), weights(), GRID, size=64)  # 64 × 128 px, 8 px per cell
    e.handle_click({"relativeX": 33.5, "relativeY": 17.9})
    assert e.query == (2, 4)
    assert "query (2, 4)" in e.readout.value


# ---- static fallback ----------------------------------------------------------------------------------

def test_mimebundle_text_jpeg_and_widget_view():
    smooth = np.linspace(0, 1, 40 * 80 * 3, dtype=np.float32).reshape(40, 80, 3)  # JPEG is made for photos, not noise
    e = AttentionExplorer(smooth, weights(), GRID, query=(3, 11), size=64)
    bundle = e._repr_mimebundle_()
    assert bundle["text/plain"] == "AttentionExplorer: query (3, 11) on a 8×16 grid"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    still = decode(base64.b64decode(bundle["image/jpeg"]))  # lossy: close to the still picture, not equal
    assert still.shape == e._still_picture().shape
    assert np.abs(still.astype(int) - e._still_picture()).mean() < 4
    again = AttentionExplorer(smooth, weights(), GRID, query=(3, 11), size=64)._repr_mimebundle_()
    assert again["text/plain"] == bundle["text/plain"] and again["image/jpeg"] == bundle["image/jpeg"]


def test_still_picture_shows_photo_overlay_and_caption():
    w = weights(2, 3, seed=7)
    e = AttentionExplorer(image(), w, GRID, size=64)  # drawn at 64 × 128
    e.select(5, 3, layer=1, head=2)
    row = w[1, 2, 5 * 16 + 3]  # the shown map, taken by hand: its peak and (min–max) colour range are in the caption
    want = f"peak {row.max():.4f} · colours {row.min():.4f} to {row.max():.4f}"
    assert e._caption() == f"still picture · query (5, 3), layer 1, head 2 · {want} · run the cell for sliders"
    still = e._still_picture()
    assert still.dtype == np.uint8 and still.shape == (64 + 16, 128 + 4 + 128, 3)  # 16-px caption strip, 4-px gap
    photo, overlaid, strip = still[:64, :128], still[:64, 132:], still[64:]
    np.testing.assert_array_equal(overlaid, e.picture)
    # the photo, marked at the centre of cell (5, 3): 8 px per cell → pixel (x, y) = (28, 44); unchanged elsewhere
    assert photo[44, 28].tolist() == CYAN
    far = np.ones((64, 128), dtype=bool)
    far[44 - 10 : 44 + 11, 28 - 10 : 28 + 11] = False
    np.testing.assert_array_equal(photo[far], e.painter.image[far])
    assert (still[:64, 128:132] == 32).all()  # the gap
    assert (strip > 200).any() and (strip[:, -4:] == 32).all()  # white text that stays inside the strip
    e.select(0, 0, layer=0, head=0)
    assert not np.array_equal(e._still_picture(), still)  # the still follows the state


def test_css_classes_for_browser_tests():
    e = AttentionExplorer(image(), weights(), GRID, size=32)
    for widget, css in [
        (e.image_widget, "attn-explorer-image"),
        (e.overlay_widget, "attn-explorer-overlay"),
        (e.row_slider, "attn-explorer-row"),
        (e.col_slider, "attn-explorer-col"),
        (e.readout, "attn-explorer-readout"),
    ]:
        assert css in widget._dom_classes


# ---- bad inputs and the frame encoder --------------------------------------------------------------------

def test_bad_inputs():
    with pytest.raises(ValueError, match="outside"):
        AttentionExplorer(image(), weights(), GRID, query=(8, 0))
    with pytest.raises(ValueError, match="prefix"):
        AttentionExplorer(image(), weights(), (8, 8))
    with pytest.raises(ValueError, match="square"):
        AttentionExplorer(image(), torch.ones(N, N + 1), GRID)
    with pytest.raises(ValueError, match="size"):
        AttentionExplorer(image(), weights(), GRID, size=4)
    with pytest.raises(ValueError, match="image must have shape"):
        AttentionExplorer(np.zeros((4, 4, 2)), weights(), GRID)
    e = AttentionExplorer(image(), weights(), GRID, size=32)
    with pytest.raises(ValueError, match="outside"):
        e.select(0, 16)


def test_live_frames_decode_to_the_picture():
    e = AttentionExplorer(image(), weights(), GRID, size=32)
    e.select(3, 5)
    decoded = Image.open(io.BytesIO(e.overlay_widget.value))
    assert e.overlay_widget.format == "bmp" and decoded.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(decoded), e.picture)
    rgb = np.random.default_rng(0).integers(0, 256, size=(13, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(encode(rgb, "BMP")))), rgb)


def test_readout_names_the_peak_and_the_colour_range():
    w = weights(seed=8)
    e = AttentionExplorer(image(), w, GRID, size=32, normalize=(0.0, 0.5))
    e.select(2, 9)
    row = w[2 * 16 + 9]
    peak = int(row.argmax())
    assert f"peak {row.max():.4f} at ({peak // 16}, {peak % 16})" in e.readout.value
    assert "colour bar 0.0000 → 0.5000" in e.readout.value  # a fixed range is shown as given
    assert e.colour_bar.value[:8] == b"\x89PNG\r\n\x1a\n"
