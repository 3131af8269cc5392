"""overlay and the matplotlib helpers against direct computations with matplotlib's own colormaps."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from attnlib import mark_query, overlay, save_figure, show_map, show_maps


def colours(name, values):
    """matplotlib's own colormap lookup: values in [0, 1] → RGB floats."""
    return matplotlib.colormaps[name](np.asarray(values, dtype=np.float64))[..., :3]


def blend(image01, colour01, opacity):
    return np.clip(np.rint(((1 - opacity) * image01 + opacity * colour01) * 255), 0, 255)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---- overlay: values ----------------------------------------------------------------------------

def test_overlay_tiny_case_minmax():
    rng = np.random.default_rng(0)
    image = rng.random((2, 2, 3)).astype(np.float32)
    m = np.array([[0.1, 0.4], [0.2, 0.3]], dtype=np.float32)
    got = overlay(image, m, cmap="viridis", opacity=0.3, grey=False)
    assert got.shape == (2, 2, 3) and got.dtype == np.uint8
    scaled = (m - 0.1) / 0.3  # minmax by hand
    want = blend(image, colours("viridis", scaled), 0.3)
    np.testing.assert_allclose(got, want, atol=1)


def test_overlay_grey_uint8_equals_rgb_float():
    rng = np.random.default_rng(1)
    grey = rng.integers(0, 256, size=(8, 6), dtype=np.uint8)
    rgb_float = np.repeat(grey[..., None], 3, axis=-1).astype(np.float32) / 255
    m = torch.rand(4, 3, generator=torch.Generator().manual_seed(1))
    a = overlay(grey, m, cmap="magma", opacity=0.6)
    b = overlay(rgb_float, m, cmap="magma", opacity=0.6)
    assert a.shape == (8, 6, 3)
    np.testing.assert_allclose(a.astype(int), b.astype(int), atol=1)


def test_overlay_uint8_rgb_matches_formula():
    image = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [128, 128, 128]]], dtype=np.uint8)
    m = np.array([[0.0, 0.25], [0.5, 1.0]], dtype=np.float32)
    got = overlay(image, m, cmap="inferno", opacity=0.5, normalize="none", grey=False)
    want = blend(image / 255.0, colours("inferno", m), 0.5)
    np.testing.assert_allclose(got, want, atol=1)


def test_overlay_draws_on_a_grey_copy_by_default():
    # grey = the mean of the three channels, the same in every channel: only the map adds colour
    image = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [30, 60, 90]]], dtype=np.uint8)
    m = np.array([[0.0, 0.25], [0.5, 1.0]], dtype=np.float32)
    got = overlay(image, m, cmap="inferno", opacity=0.5, normalize="none")
    grey = np.repeat((image / 255.0).mean(axis=-1, keepdims=True), 3, axis=-1)
    np.testing.assert_allclose(got, blend(grey, colours("inferno", m), 0.5), atol=1)
    assert np.ptp(overlay(image, m, opacity=0.0), axis=-1).max() == 0  # opacity 0: grey only


def test_normalize_none_keeps_absolute_scale():
    # a uniform-ish map of small weights: "none" draws it near the colormap's bottom, "minmax" stretches it
    m = np.full((4, 4), 1 / 16, dtype=np.float32)
    m[0, 0] += 1e-4
    image = np.zeros((4, 4, 3), dtype=np.float32)
    none = overlay(image, m, cmap="gray", opacity=1.0, normalize="none")
    minmax = overlay(image, m, cmap="gray", opacity=1.0, normalize="minmax")
    assert none.max() <= 20  # 1/16 of white
    assert minmax[0, 0].min() == 255 and minmax[3, 3].max() == 0  # noise stretched into a peak


def test_normalize_percentile_clips_outliers():
    rng = np.random.default_rng(2)
    m = rng.random((10, 10)).astype(np.float32)
    m[5, 5] = 100.0  # one outlier
    image = np.zeros((10, 10, 3), dtype=np.float32)
    got = overlay(image, m, cmap="viridis", opacity=1.0, normalize="percentile")
    lo, hi = np.percentile(m, [1, 99])
    want = blend(image, colours("viridis", np.clip((m - lo) / (hi - lo), 0, 1)), 1.0)
    np.testing.assert_allclose(got, want, atol=1)


def test_flat_map_minmax_is_bottom_colour():
    got = overlay(np.zeros((4, 4), np.float32), np.full((2, 2), 0.25, np.float32), cmap="viridis", opacity=1.0)
    want = blend(np.zeros((4, 4, 3)), np.broadcast_to(colours("viridis", [0.0])[0], (4, 4, 3)), 1.0)
    np.testing.assert_allclose(got, want, atol=1)


# ---- overlay: upsampling --------------------------------------------------------------------------

def test_upsample_nearest_gives_blocks():
    m = np.array([[0.0, 1.0], [0.5, 0.25]], dtype=np.float32)
    got = overlay(np.zeros((6, 6, 3), np.float32), m, cmap="viridis", opacity=1.0, normalize="none", upsample="nearest")
    want_small = blend(0, colours("viridis", m), 1.0)
    want = np.repeat(np.repeat(want_small, 3, axis=0), 3, axis=1)  # each cell a 3×3 block
    np.testing.assert_allclose(got, want, atol=1)


def test_upsample_bilinear_hand_checked():
    # [0, 1] over 4 pixels: pixel centres fall at source x = -0.25, 0.25, 0.75, 1.25 → values 0, .25, .75, 1
    m = np.array([[0.0, 1.0]], dtype=np.float32)
    got = overlay(np.zeros((1, 4), np.float32), m, cmap="viridis", opacity=1.0, normalize="none")
    want = blend(0, colours("viridis", [[0.0, 0.25, 0.75, 1.0]]), 1.0)
    np.testing.assert_allclose(got, want, atol=1)


def test_overlay_non_square_map_on_non_square_image():
    m = torch.zeros(3, 5)
    m[2, 4] = 1.0
    got = overlay(np.zeros((30, 50, 3), np.float32), m, cmap="gray", opacity=1.0, upsample="nearest")
    assert got.shape == (30, 50, 3)
    assert (got[20:, 40:] == 255).all() and (got[:20] == 0).all() and (got[:, :40] == 0).all()


# ---- overlay: bad inputs --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "image, err, match",
    [
        (np.zeros((4, 4, 4), np.float32), ValueError, r"\(H, W, 3\).*\(4, 4, 4\)"),
        (np.zeros((4, 4, 1), np.float32), ValueError, "shape"),
        (np.zeros(16, np.float32), ValueError, "shape"),
        (np.full((4, 4, 3), 2.0, np.float32), ValueError, r"\[0, 1\]"),
        (np.zeros((4, 4, 3), np.int64), TypeError, "uint8"),
        ([[0.0]], TypeError, "numpy array"),
    ],
)
def test_overlay_rejects_bad_images(image, err, match):
    with pytest.raises(err, match=match):
        overlay(image, np.ones((2, 2), np.float32))


def test_overlay_rejects_bad_maps_and_options():
    image = np.zeros((4, 4, 3), np.float32)
    nan_map = np.array([[0.1, np.nan], [0.2, 0.3]], dtype=np.float32)
    with pytest.raises(ValueError, match="NaN"):
        overlay(image, nan_map)
    with pytest.raises(ValueError, match="2-D map"):
        overlay(image, torch.ones(2, 2, 2))
    with pytest.raises(ValueError, match="normalize"):
        overlay(image, np.ones((2, 2)), normalize="zscore")
    with pytest.raises(ValueError, match="cmap"):
        overlay(image, np.ones((2, 2)), cmap="not_a_colormap")
    with pytest.raises(ValueError, match="upsample"):
        overlay(image, np.ones((2, 2)), upsample="bicubic")
    with pytest.raises(ValueError, match="opacity must be in"):
        overlay(image, np.ones((2, 2)), opacity=1.5)
    with pytest.raises(TypeError, match="opacity must be a number"):
        overlay(image, np.ones((2, 2)), opacity="0.5")


# ---- matplotlib helpers ---------------------------------------------------------------------------

def marker_xy(ax):
    """Centres of the query markers: every image on the axes after the first (the picture) is a marker."""
    centres = []
    for im in ax.images[1:]:
        left, right, bottom, top = im.get_extent()
        centres.append(((left + right) / 2, (bottom + top) / 2))
    return centres


def test_show_map_marks_the_query_cell_centre():
    image = np.zeros((64, 48, 3), np.float32)
    ax = show_map(image, torch.rand(4, 3), (1, 2))
    # cell (1, 2) of a 4×3 grid on a 64×48 image spans rows 16..32, cols 32..48 → centre (40, 24) in
    # pixel-edge units, i.e. (39.5, 23.5) in imshow's pixel-centre coordinates
    assert marker_xy(ax) and all(xy == (39.5, 23.5) for xy in marker_xy(ax))
    assert "query (1, 2)" in ax.get_title()
    assert len(ax.figure.axes) == 2  # the image and its colorbar


def test_show_map_title_colorbar_and_mass_contour():
    m = torch.zeros(8, 8)
    m[2:4, 2:4] = 1.0
    m += 0.01
    fig, ax = plt.subplots()
    out = show_map(np.zeros((32, 32)), m, (0, 7), ax=ax, title="head 3", colorbar=False, mass=0.6)
    assert out is ax and len(fig.axes) == 1
    assert ax.get_title().startswith("head 3 · query (0, 7)") and "60%" in ax.get_title()
    assert any(isinstance(c, matplotlib.contour.ContourSet) for c in ax.collections)


def contour_polygons(ax):
    """The polygons of the (one) mass contour on ``ax``, each an (n, 2) array of (x, y) vertices."""
    (contours,) = [c for c in ax.collections if isinstance(c, matplotlib.contour.ContourSet)]
    return [poly for path in contours.get_paths() for poly in path.to_polygons(closed_only=False)]


def cell_box(rows, cols, grid, image_hw):
    """Edges of a block of cells in imshow coordinates, by hand: cell c spans [c·W/w - 0.5, (c+1)·W/w - 0.5]."""
    (h, w), (height, width) = grid, image_hw
    return (cols[0] * width / w - 0.5, (cols[-1] + 1) * width / w - 0.5,
            rows[0] * height / h - 0.5, (rows[-1] + 1) * height / h - 0.5)


def shoelace_area(poly):
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


def test_mass_contour_runs_along_cell_edges_and_closes_at_the_image_border():
    # 8×8 map on a 32×48 image (cells 4 px high, 6 px wide): the top-right 2×2 cells hold 90 %, one
    # lone cell (5, 2) 8 %, the rest 2 % spread evenly → mass=0.95 is exactly those 5 cells
    m = torch.full((8, 8), 0.02 / 59)
    m[0:2, 6:8] = 0.9 / 4
    m[5, 2] = 0.08
    fig, ax = plt.subplots()
    show_map(np.zeros((32, 48)), m, (0, 7), ax=ax, colorbar=False, mass=0.95)
    polys = sorted(contour_polygons(ax), key=len, reverse=True)
    assert len(polys) == 2  # two separate regions, two outlines
    corner_cut = 6 / (2 * 8)  # the outline cuts each corner by half a sample (8 samples per cell side)
    for poly, (rows, cols) in zip(polys, [((0, 1), (6, 7)), ((5,), (2,))], strict=True):
        assert np.allclose(poly[0], poly[-1])  # closed, also where it runs along the image's top and right edges
        x0, x1, y0, y1 = cell_box(rows, cols, (8, 8), (32, 48))
        assert np.allclose(poly.min(0), (x0, y0)) and np.allclose(poly.max(0), (x1, y1))
        assert shoelace_area(poly) == pytest.approx((x1 - x0) * (y1 - y0), abs=4 * corner_cut**2)
    # the border segments lie on the image's edges: y = -0.5 (top) and x = 47.5 (right)
    assert np.isclose(polys[0][:, 1], -0.5).sum() >= 2 and np.isclose(polys[0][:, 0], 47.5).sum() >= 2


def test_mass_contour_of_the_whole_map_is_the_image_border():
    fig, ax = plt.subplots()
    show_map(np.zeros((16, 16)), torch.ones(4, 4), (1, 1), ax=ax, colorbar=False, mass=1.0)
    (poly,) = contour_polygons(ax)
    assert np.allclose(poly.min(0), (-0.5, -0.5)) and np.allclose(poly.max(0), (15.5, 15.5))


def test_show_maps_grid_titles_and_queries():
    maps = torch.rand(5, 4, 4, generator=torch.Generator().manual_seed(0))
    fig = show_maps(np.zeros((16, 16, 3), np.float32), maps, (2, 3), titles=[f"head {i}" for i in range(5)], ncols=3)
    assert isinstance(fig, matplotlib.figure.Figure)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == [f"head {i} · query (2, 3)" for i in range(5)]
    fig = show_maps(np.zeros((16, 16)), list(maps[:2]), [(0, 0), (3, 1)], colorbar=False)
    assert [ax.get_title() for ax in fig.axes] == ["query (0, 0)", "query (3, 1)"]
    assert marker_xy(fig.axes[1])[0] == (1.5 * 4 - 0.5, 3.5 * 4 - 0.5)


def test_show_maps_bad_inputs():
    maps = torch.rand(2, 4, 4)
    image = np.zeros((8, 8, 3), np.float32)
    with pytest.raises(ValueError, match="queries"):
        show_maps(image, maps, [(0, 0), (1, 1), (2, 2)])
    with pytest.raises(ValueError, match="titles"):
        show_maps(image, maps, (0, 0), titles=["only one"])
    with pytest.raises(ValueError, match="maps"):
        show_maps(image, torch.rand(4, 4), (0, 0))
    with pytest.raises(ValueError, match="outside"):
        show_maps(image, maps, (4, 0))


def test_mark_query_validates():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="outside the 4×4 grid"):
        mark_query(ax, (0, 4), (4, 4), (32, 32, 3))


def test_save_figure_writes_png(tmp_path):
    fig = show_maps(np.zeros((8, 8), np.float32), torch.rand(2, 2, 2), (0, 1))
    path = save_figure(fig, tmp_path / "maps.png", dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=".png"):
        save_figure(fig, tmp_path / "maps.jpg")
    with pytest.raises(ValueError, match="folder"):
        save_figure(fig, tmp_path / "missing" / "maps.png")


# ---- a fixed colour range (lo, hi), shared between maps ---------------------------------------------

def test_normalize_fixed_range_matches_formula_and_clips():
    m = np.array([[0.0, 0.01], [0.03, 0.08]], dtype=np.float32)  # 0.08 lies above hi = 0.04
    image = np.random.default_rng(3).random((2, 2, 3)).astype(np.float32)
    got = overlay(image, m, cmap="viridis", opacity=0.4, normalize=(0.0, 0.04), grey=False)
    want = blend(image, colours("viridis", np.clip(m / 0.04, 0, 1)), 0.4)  # (m - lo) / (hi - lo), by hand
    np.testing.assert_allclose(got, want, atol=1)


def test_normalize_fixed_range_puts_two_maps_on_one_scale():
    # the same shape at two strengths: minmax draws them identically, a shared range does not
    weak = np.array([[0.0, 0.01]], dtype=np.float32)
    strong = 4 * weak
    image = np.zeros((1, 2), np.float32)
    kw = dict(cmap="gray", opacity=1.0, upsample="nearest")
    assert (overlay(image, weak, **kw) == overlay(image, strong, **kw)).all()
    shared = (0.0, float(strong.max()))
    assert overlay(image, weak, normalize=shared, **kw)[0, 1, 0] == round(255 * 0.25)
    assert overlay(image, strong, normalize=shared, **kw)[0, 1, 0] == 255


def test_normalize_fixed_range_equal_to_none_for_0_1():
    m = torch.rand(3, 4, generator=torch.Generator().manual_seed(4))
    image = np.zeros((6, 8, 3), np.float32)
    np.testing.assert_array_equal(overlay(image, m, normalize=(0, 1)), overlay(image, m, normalize="none"))


def test_show_map_colorbar_uses_the_fixed_range():
    ax = show_map(np.zeros((8, 8)), torch.full((4, 4), 0.01), (0, 0), normalize=(0.0, 0.05))
    colorbar_ax = ax.figure.axes[1]
    lo, hi = sorted(colorbar_ax.get_ylim())
    assert (lo, hi) == pytest.approx((0.0, 0.05))


@pytest.mark.parametrize("bad", [(0.04, 0.0), (0.1, 0.1), (0.0, float("nan")), (0.0, float("inf")), (0.0,),
                                 (0.0, 0.5, 1.0), (False, 1.0), ("0", "1"), "zscore"])
def test_normalize_rejects_bad_ranges(bad):
    with pytest.raises(ValueError, match=r"normalize must be one of .* or a colour range \(lo, hi\)"):
        overlay(np.zeros((4, 4), np.float32), np.ones((2, 2), np.float32), normalize=bad)


# ---- show_map options: colour-bar label, a query grid finer than the map, dimming outside the mass --

def test_colorbar_label_on_show_map_and_every_panel_of_show_maps():
    ax = show_map(np.zeros((8, 8)), torch.rand(4, 4), (0, 0), colorbar_label="attention weight")
    assert ax.figure.axes[1].get_ylabel() == "attention weight"
    assert show_map(np.zeros((8, 8)), torch.rand(4, 4), (0, 0)).figure.axes[1].get_ylabel() == ""  # default: none
    fig = show_maps(np.zeros((8, 8)), torch.rand(3, 4, 4), (1, 1), colorbar_label="score")
    bars = [a for a in fig.axes if a.get_label() == "<colorbar>"]
    assert len(bars) == 3 and all(bar.get_ylabel() == "score" for bar in bars)


def test_colorbar_label_validates():
    with pytest.raises(TypeError, match="colorbar_label must be a string"):
        show_map(np.zeros((8, 8)), torch.rand(4, 4), (0, 0), colorbar_label=3)
    with pytest.raises(ValueError, match="colorbar=False"):
        show_map(np.zeros((8, 8)), torch.rand(4, 4), (0, 0), colorbar=False, colorbar_label="weight")


def test_grid_marks_the_query_on_its_own_grid_and_draws_the_coarse_map():
    # a 4×4 map (2×2-pooled keys) of a query on the 8×8 grid, on a 64×48 image: fine cells are 8 px high
    # and 6 px wide, so fine cell (3, 5) spans rows 24..32, cols 30..36 → centre (x, y) = (32.5, 27.5) in
    # imshow coordinates; on the map's own 4×4 grid the same (3, 5) would not even exist
    image = np.random.default_rng(5).random((64, 48, 3)).astype(np.float32)
    m = torch.rand(4, 4, generator=torch.Generator().manual_seed(5))
    ax = show_map(image, m, (3, 5), grid=(8, 8), upsample="nearest")
    assert all(xy == (32.5, 27.5) for xy in marker_xy(ax))
    assert "query (3, 5)" in ax.get_title()
    drawn = ax.get_images()[0].get_array()
    np.testing.assert_array_equal(drawn, overlay(image, m, upsample="nearest"))  # the map on its own 4×4 cells
    ax = show_map(image, m, (1, 2), grid=(4, 4))  # grid = the map's shape: the default
    assert marker_xy(ax)[0] == marker_xy(show_map(image, m, (1, 2)))[0] == (2.5 * 12 - 0.5, 1.5 * 16 - 0.5)


def test_grid_validates():
    image, m = np.zeros((16, 16)), torch.rand(2, 2)
    with pytest.raises(ValueError, match=r"outside the 4×4 grid"):
        show_map(image, m, (4, 0), grid=(4, 4))
    with pytest.raises(ValueError, match=r"outside the 2×2 grid"):
        show_map(image, m, (3, 3))  # without grid the query must lie on the map's own grid
    for bad in [(4,), (4, 0), (4.0, 4), "4x4", (True, 4)]:
        with pytest.raises(ValueError, match=r"grid must be a \(H, W\) pair of positive ints"):
            show_map(image, m, (0, 0), grid=bad)
    fig = show_maps(image, torch.rand(2, 2, 2), [(0, 0), (3, 1)], grid=(4, 4), colorbar=False)
    assert marker_xy(fig.axes[1])[0] == (1.5 * 4 - 0.5, 3.5 * 4 - 0.5)  # show_maps passes grid on


def test_dim_outside_darkens_exactly_the_cells_outside_the_mass_region():
    # 4×4 map on a 16×24 image (cells 4 px high, 6 px wide): cells (0, 0) and (2, 3) hold 45 % each, the
    # rest 10 % → mass=0.9 is those two cells; every pixel outside them is 30 % of its undimmed value
    m = torch.full((4, 4), 0.1 / 14)
    m[0, 0] = m[2, 3] = 0.45
    image = np.random.default_rng(6).random((16, 24, 3)).astype(np.float32)
    kw = dict(upsample="nearest", colorbar=False, mass=0.9)
    plain = show_map(image, m, (0, 0), **kw).get_images()[0].get_array().astype(float)
    ax = show_map(image, m, (0, 0), dim_outside=True, **kw)
    dimmed = ax.get_images()[0].get_array().astype(float)
    inside = np.zeros((16, 24), bool)
    inside[0:4, 0:6] = inside[8:12, 18:24] = True  # the two cells' pixels, by hand
    np.testing.assert_array_equal(dimmed[inside], plain[inside])
    np.testing.assert_allclose(dimmed[~inside], 0.3 * plain[~inside], atol=0.51)
    assert "rest dimmed" in ax.get_title()


def test_dim_outside_validates():
    with pytest.raises(ValueError, match="pass mass="):
        show_map(np.zeros((8, 8)), torch.rand(4, 4), (0, 0), dim_outside=True)
    with pytest.raises(TypeError, match="dim_outside must be True or False"):
        show_map(np.zeros((8, 8)), torch.rand(4, 4), (0, 0), mass=0.5, dim_outside="yes")


def test_review_gaps_get_named_errors():
    import attnlib

    with pytest.raises(ValueError, match=r"attn_map is empty"):
        overlay(np.zeros((8, 8)), torch.zeros(0, 4))
    with pytest.raises(TypeError, match=r"fig must be a matplotlib Figure; got str|fig must be a matplotlib Figure"):
        attnlib.save_figure("fig", "out.png")
    fig, ax = plt.subplots()
    ax.imshow(np.zeros((16, 16)))
    attnlib.mark_query(ax, (1, 2), 4, (16, 16))  # one int = a square grid, as everywhere else
    assert marker_xy(ax) == [(2.5 * 4 - 0.5, 1.5 * 4 - 0.5)]
    plt.close(fig)


def test_show_map_refuses_a_whole_matrix_or_a_flat_row():
    weights = torch.softmax(torch.randn(16, 16, generator=torch.Generator().manual_seed(0)), dim=-1)  # (N, N)
    with pytest.raises(ValueError, match=r"looks like a whole weight matrix.*query_map\(weights, query, grid\)"):
        show_map(np.zeros((8, 8)), weights, (0, 0))
    with pytest.raises(ValueError, match=r"flat row \(16,\).*query_map"):
        show_map(np.zeros((8, 8)), weights[3], (0, 0))
    show_map(np.zeros((8, 8)), weights[3].view(4, 4), (0, 3))  # one row, reshaped: a map (sums to 1 in total)


def test_show_map_text_size_is_set_once():
    ax = show_map(np.zeros((8, 8)), torch.rand(4, 4), (0, 0), fontsize=14, colorbar_label="attention weight")
    assert ax.title.get_fontsize() == 14
    bar = ax.figure.axes[1]
    assert bar.yaxis.label.get_fontsize() == 13 and bar.get_yticklabels()[0].get_fontsize() == 12
    with pytest.raises(ValueError, match="fontsize must be a number of points"):
        show_map(np.zeros((8, 8)), torch.rand(4, 4), (0, 0), fontsize=2)


def test_alpha_gets_pointed_to_opacity():
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'alpha'.*opacity="):
        show_map(np.zeros((8, 8)), torch.rand(4, 4), (0, 0), alpha=0.6)
    with pytest.raises(TypeError, match=r"overlay\(\) got an unexpected keyword argument 'colour'"):
        overlay(np.zeros((8, 8)), torch.rand(4, 4), colour="red")


def test_show_maps_takes_a_figure_size():
    fig = show_maps(np.zeros((8, 8)), torch.rand(2, 4, 4), (0, 0), figsize=(10, 4))
    assert tuple(fig.get_size_inches()) == (10, 4)
