"""Pictures and widgets of attention over time: colours against matplotlib's own colormap, geometry of the
outlines and bars, the widgets' synchronous state, still pictures and errors."""

import base64
import io
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image

from attnlib import (
    AlignmentExplorer,
    ClipExplorer,
    load_clip_classifier,
    load_date_translator,
    make_clips,
    show_alignment,
    show_filmstrip,
    translate_dates,
)
from attnlib.viz_time import AlignmentPicture, filmstrip_picture

CYAN = [0, 255, 255]


def alignment(t_out=4, t_in=6, seed=0):
    scores = 3 * torch.randn(t_out, t_in, generator=torch.Generator().manual_seed(seed))
    return torch.softmax(scores, dim=-1)


def inferno(value: float) -> np.ndarray:
    """matplotlib's own lookup: value v in [0, 1] → colour floor(v · N), as uint8 RGB."""
    cmap = matplotlib.colormaps["inferno"]
    return np.rint(255 * np.array(cmap(min(int(value * cmap.N), cmap.N - 1))[:3]))


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


# ----------------------------------------------------------------------------- the alignment picture


def test_alignment_picture_colours_each_weight_as_matplotlib_does():
    a = alignment()
    picture = AlignmentPicture(a, "abcdef", "wxyz", cell=20)
    frame = picture.frame(2)
    for t in range(4):
        for j in range(6):  # a corner pixel of cell (t, j) of the matrix: no text, no outline there
            y, x = picture.top + t * 20 + 4, picture.left + j * 20 + 3
            np.testing.assert_allclose(frame[y, x], inferno(float(a[t, j])), atol=1)
    for j in range(6):  # the strip under the output string shows row 2
        y, x = picture._strip_top + 3, picture.left + j * 20 + 3
        np.testing.assert_allclose(frame[y, x], inferno(float(a[2, j])), atol=1)


def test_alignment_picture_outlines_the_step_it_shows():
    picture = AlignmentPicture(alignment(), "abcdef", "wxyz", cell=20)
    for step in (0, 3):
        frame = picture.frame(step)
        row_top = picture.top + step * 20 - 2
        assert frame[row_top, picture.left + 30].tolist() == CYAN  # the outline of the row …
        x = picture.left + step * 20
        assert frame[1, x + 10].tolist() == CYAN  # … and the box around the output character
        other = 3 - step
        assert frame[picture.top + other * 20 - 2, picture.left + 30].tolist() != CYAN


def test_alignment_picture_errors():
    with pytest.raises(ValueError, match=r"alignment must have shape \(T_out, T_in\) = \(4, 5\)"):
        AlignmentPicture(alignment(), "abcde", "wxyz")
    with pytest.raises(TypeError, match="inputs and outputs"):
        AlignmentPicture(alignment(), None, "wxyz")
    with pytest.raises(ValueError, match="step"):
        AlignmentPicture(alignment(), "abcdef", "wxyz").frame(4)
    bad = alignment().clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        show_alignment(bad, "abcdef", "wxyz")


def test_show_alignment_refuses_rows_that_do_not_sum_to_one():
    import matplotlib.pyplot as plt

    half = alignment() / 2  # rows summing to 0.5, e.g. weights zeroed after a softmax
    with pytest.raises(ValueError, match=r"row sums \[0\.5, 0\.5, 0\.5, 0\.5\]"):
        show_alignment(half, "abcdef", "wxyz")
    ax = show_alignment(half, "abcdef", "wxyz", softmax_rows=False)  # said not to be a softmax: drawn
    assert ax.images[0].get_array().max() <= 0.5
    with pytest.raises(TypeError, match="softmax_rows"):
        show_alignment(alignment(), "abcdef", "wxyz", softmax_rows="yes")
    plt.close("all")


def test_show_alignment_labels_rows_with_outputs_and_columns_with_inputs():
    import matplotlib.pyplot as plt

    ax = show_alignment(alignment(), "ab cd.", "wxyz", step=1, title="a test")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "␣", "c", "d", "."]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["w", "x", "y", "z"]
    assert "output step" in ax.get_ylabel() and ax.get_title() == "a test"
    assert ax.get_title(loc="center") and ax.title.get_fontsize() >= 12
    assert ax.images[0].get_clim() == (0.0, 1.0)  # a fixed range: weights, not min–max
    plt.close("all")


# ----------------------------------------------------------------------------- the filmstrip


def test_filmstrip_shows_the_frames_and_bars_as_tall_as_the_weights():
    clip = torch.rand(5, 3, 4, 6, generator=torch.Generator().manual_seed(1))
    weights = torch.tensor([0.1, 0.6, 0.0, 0.2, 0.1])
    out = filmstrip_picture(clip, weights, event=1, scale=2, bar_height=50)
    fh, fw, gap = 8, 12, 4
    assert out.shape == (fh + 50 + 32, 5 * (fw + gap), 3)  # frames, bars, the weights, the frame numbers
    want = np.rint(clip[3].permute(1, 2, 0).numpy() * 255).astype(np.uint8).repeat(2, 0).repeat(2, 1)
    x = 3 * (fw + gap) + gap // 2
    np.testing.assert_array_equal(out[:fh, x : x + fw], want)
    for i, w in enumerate(weights.tolist()):
        column = out[fh : fh + 50, i * (fw + gap) + gap // 2 + fw // 2]  # the bar's middle column
        filled = int((column != 32).any(-1).sum())
        assert abs(filled - w * 48) <= 1.5, (i, filled)
    x1 = 1 * (fw + gap) + gap // 2
    assert out[0, x1 + 5].tolist() == CYAN  # the event frame is outlined
    numbers = out[fh + 50 + 18 :]  # the bottom strip: one grey number per frame
    for i in range(5):
        column_block = numbers[:, i * (fw + gap) : (i + 1) * (fw + gap)]
        assert (column_block > 100).any(), i  # frame i has its number written under it


def test_show_filmstrip_and_errors():
    import matplotlib.pyplot as plt

    clip = torch.rand(4, 3, 5, 5)
    fig = show_filmstrip(clip, torch.full((4,), 0.25), event=2, title="four frames")
    assert len(fig.axes) == 5 and fig._suptitle.get_text() == "four frames"
    plt.close(fig)
    with pytest.raises(ValueError, match=r"weights must have shape \(4,\)"):
        show_filmstrip(clip, torch.ones(3) / 3)
    with pytest.raises(ValueError, match="clip must have shape"):
        filmstrip_picture(torch.rand(4, 1, 5, 5), torch.ones(4) / 4)
    with pytest.raises(ValueError, match="event"):
        filmstrip_picture(clip, torch.ones(4) / 4, event=4)


# ----------------------------------------------------------------------------- the widgets


@pytest.fixture(scope="module")
def translator():
    torch.set_num_threads(1)
    return load_date_translator()


def test_alignment_explorer_follows_the_slider_and_the_text_box(translator):
    e = AlignmentExplorer(translator, "Nov 29, 2026", step=5, cell=16)
    iso, alignments = translate_dates(translator, "Nov 29, 2026")
    assert e.iso == iso[0] == "2026-11-29" and torch.equal(e.alignment, alignments[0])
    before = e.picture.copy()
    e.step_slider.value = 8
    assert e.step == 8 and not np.array_equal(e.picture, before)
    np.testing.assert_array_equal(e.picture, AlignmentPicture(alignments[0], "Nov 29, 2026", iso[0], cell=16).frame(8))
    np.testing.assert_array_equal(decode(e.image_widget.value), e.picture)
    j = int(alignments[0][8].argmax())
    want = f"'Nov 29, 2026' → '2026-11-29', output step 8 ('2') looks most at input {j} ({'Nov 29, 2026'[j]!r})"
    assert repr(e) == "AlignmentExplorer: " + want
    e.text_box.value = "2026.11.29"
    assert e.text == "2026.11.29" and e.alignment.shape == (10, 10) and e.error is None


def test_alignment_explorer_keeps_its_picture_for_unreadable_text(translator):
    e = AlignmentExplorer(translator, "1 jan 2000", cell=16)
    before = e.picture.copy()
    e.text_box.value = "1 jan 2000!"
    assert e.error and "'!'" in e.error and "cannot read" in e.readout.value
    assert e.text == "1 jan 2000" and np.array_equal(e.picture, before)
    e.text_box.value = ""
    assert "1 to 40 characters" in e.error
    with pytest.raises(ValueError, match="text"):
        e.set_text("31/12/1999?")
    e.set_text("31/12/1999")
    assert e.error is None and e.iso == "1999-12-31"
    with pytest.raises(TypeError, match="DateTranslator"):
        AlignmentExplorer("model")
    with pytest.raises(ValueError, match="step"):
        e.select(10)


def test_alignment_explorer_still_picture(translator):
    e = AlignmentExplorer(translator, "29 nov 2026", step=2, cell=16)
    bundle = e._repr_mimebundle_()
    assert bundle["text/plain"] == repr(e)
    still = decode(base64.b64decode(bundle["image/png"]))
    height = e.picture.shape[0]
    np.testing.assert_array_equal(still[:height], e.picture)  # the picture, then a caption strip under it
    assert still.shape[0] > height and (still[height:] > 128).any()
    inked = (still[height:] > 128).any(axis=(1, 2))  # caption rows holding some text
    runs = np.diff(np.flatnonzero(np.diff(np.r_[0, inked.astype(int), 0])))[::2]  # heights of the text lines
    assert len(runs) >= 2 and runs.max() >= 10  # wrapped onto lines at reading size, not shrunk to fit one


def test_clip_explorer_shows_the_models_weights():
    model, data = load_clip_classifier(), make_clips(6, seed=3)
    e = ClipExplorer(model, data.clips, data.labels, data.event_frames, index=2, scale=2)
    with torch.no_grad():
        logits, weights = model(data.clips)
    torch.testing.assert_close(e.weights, weights)
    e.select(4)
    assert e.index == 4 and e.index_slider.value == 4
    np.testing.assert_array_equal(e.picture, filmstrip_picture(data.clips[4], weights[4],
                                                               event=int(data.event_frames[4]), scale=2))
    assert repr(e).startswith("ClipExplorer: clip 4: predicted ")
    assert f"event frame {int(data.event_frames[4])}" in repr(e)
    with pytest.raises(ValueError, match="labels"):
        ClipExplorer(model, data.clips, data.labels[:3])
    with pytest.raises(ValueError, match="index"):
        e.select(6)


def test_explorer_time_uses_only_public_names_of_other_modules():
    source = (Path(__file__).parents[1] / "attnlib" / "explorer_time.py").read_text()
    assert not re.findall(r"import _|from \.[a-z_.]* import _", source)
