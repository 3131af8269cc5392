"""Notebook 09's models and tasks: the attention steps against formulas written out here, masks,
the generated data against independent parsers and pattern searches, errors, and the shipped weights."""

import datetime
import math

import numpy as np
import pytest
import torch

from attnlib import (
    EVENTS,
    FORMATS,
    FRAMES,
    INPUT_VOCAB,
    ISO_LENGTH,
    OUTPUT_VOCAB,
    BahdanauDecoder,
    CharVocab,
    ClipClassifier,
    DateTranslator,
    FramePooling,
    event_mass,
    is_test_date,
    load_clip_classifier,
    load_date_translator,
    make_clips,
    make_dates,
    translate_dates,
    write_date,
)

#: Each format in the notation of datetime.strptime (C locale; month and day names match in any case).
STRPTIME = {
    "{d} {mon} {yyyy}": "%d %b %Y",
    "{Mon} {d}, {yyyy}": "%b %d, %Y",
    "{dd}/{mm}/{yyyy}": "%d/%m/%Y",
    "{weekday} {d} {month} {yyyy}": "%A %d %B %Y",
    "{yyyy}.{mm}.{dd}": "%Y.%m.%d",
    "{Month} {d}, {yyyy}": "%B %d, %Y",
    "{d} {Month} {yyyy}": "%d %B %Y",
    "{Weekday}, {Month} {d}, {yyyy}": "%A, %B %d, %Y",
}


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def additive_by_hand(score, q, keys):
    """wᵀ tanh(W_q q + W_k k_j) for one query q (d_q,) and keys (T, d_k), one key at a time → (T,)."""
    W_q, W_k, w = score.W_q.weight, score.W_k.weight, score.w.weight[0]
    return torch.stack([w @ torch.tanh(W_q @ q + W_k @ k) for k in keys])


def softmax_by_hand(e, keep):
    """exp(e_j) / Σ exp(e_j') over the kept positions j; dropped positions weigh 0. e (T,), keep (T,) bool."""
    weights = [math.exp(float(e_j)) if k else 0.0 for e_j, k in zip(e, keep, strict=True)]
    total = sum(weights)
    return torch.tensor([x / total for x in weights])


# ----------------------------------------------------------------------------- the attention steps


def test_decoder_attention_step_is_bahdanaus_formula():
    torch.manual_seed(0)
    decoder = BahdanauDecoder(n_out=5, key_size=6, hidden=4, attn_hidden=3)
    s, keys = rand(2, 4, seed=1), rand(2, 7, 6, seed=2)
    mask = torch.tensor([[True] * 7, [True] * 4 + [False] * 3])
    with torch.no_grad():
        context, alpha = decoder.attend(s, keys, mask)
        for b in range(2):
            e = additive_by_hand(decoder.score, s[b], keys[b])
            want = softmax_by_hand(e, mask[b])
            torch.testing.assert_close(alpha[b], want)
            torch.testing.assert_close(context[b], sum(want[j] * keys[b, j] for j in range(7)))
    assert (alpha[1, 4:] == 0).all()  # padding: exactly 0, not just small


def test_decoder_step_feeds_the_context_to_the_gru():
    torch.manual_seed(1)
    decoder = BahdanauDecoder(n_out=5, key_size=6, hidden=4, attn_hidden=3, embed=2)
    s, keys, mask = rand(3, 4, seed=3), rand(3, 5, 6, seed=4), torch.ones(3, 5, dtype=torch.bool)
    y = torch.tensor([5, 0, 2])  # 5 = the start symbol
    with torch.no_grad():
        logits, s_new, alpha = decoder.step(y, s, keys, mask)
        context = (alpha[:, :, None] * keys).sum(1)  # (3, 6)
        s_want = decoder.cell(torch.cat([decoder.embed.weight[y], context], -1), s)
        logits_want = torch.cat([s_want, context], -1) @ decoder.out.weight.T + decoder.out.bias
    torch.testing.assert_close(s_new, s_want)
    torch.testing.assert_close(logits, logits_want)


def test_frame_pooling_is_a_learned_query_against_every_frame():
    torch.manual_seed(2)
    pool = FramePooling(d=5, hidden=3)
    frames = rand(2, 6, 5, seed=5)
    mask = torch.tensor([[True] * 6, [True, False, True, True, False, True]])
    with torch.no_grad():
        pooled, weights = pool(frames, mask)
        for b in range(2):
            e = additive_by_hand(pool.score, pool.query[0], frames[b])
            want = softmax_by_hand(e, mask[b])
            torch.testing.assert_close(weights[b], want)
            torch.testing.assert_close(pooled[b], sum(want[t] * frames[b, t] for t in range(6)))
    assert weights[1, 1] == 0 and weights[1, 4] == 0
    torch.testing.assert_close(weights.sum(-1), torch.ones(2))


def test_frame_pooling_without_a_mask_and_with_every_frame_masked():
    torch.manual_seed(3)
    pool = FramePooling(d=4)
    frames = rand(3, 5, 4, seed=6)
    with torch.no_grad():
        _, weights = pool(frames)
        _, none = pool(frames, torch.zeros(3, 5, dtype=torch.bool))
    torch.testing.assert_close(weights.sum(-1), torch.ones(3))
    assert torch.equal(none, torch.zeros(3, 5))  # nothing to attend to: zeros, not NaN


# ----------------------------------------------------------------------------- the date translator


@pytest.fixture(scope="module")
def translator():
    return load_date_translator()


def test_padded_inputs_get_exactly_zero_weight(translator):
    texts = ["29 nov 2026", "Sunday, November 29, 2026", "2026.11.29"]
    inputs, mask = INPUT_VOCAB.encode(texts)
    with torch.no_grad():
        logits, alignment = translator(inputs, mask)
    assert logits.shape == (3, ISO_LENGTH, len(OUTPUT_VOCAB)) and alignment.shape == (3, ISO_LENGTH, inputs.shape[1])
    padded = ~mask[:, None, :].expand_as(alignment)
    assert (alignment[padded] == 0).all()
    torch.testing.assert_close(alignment.sum(-1), torch.ones(3, ISO_LENGTH))


def test_a_date_reads_the_same_alone_and_in_a_padded_batch(translator):
    alone, alone_alignment = translate_dates(translator, "1 jan 2000")
    batch, alignments = translate_dates(translator, ["1 jan 2000", "Wednesday, September 29, 1999"])
    assert alone == batch[:1] and alignments[0].shape == (ISO_LENGTH, len("1 jan 2000"))
    torch.testing.assert_close(alignments[0], alone_alignment[0], atol=1e-6, rtol=1e-5)


def test_greedy_decoding_matches_teacher_forcing_on_its_own_output(translator):
    inputs, mask = INPUT_VOCAB.encode(["Nov 29, 2026", "05/06/2031"])
    with torch.no_grad():
        greedy, greedy_alignment = translator(inputs, mask)
        forced, forced_alignment = translator(inputs, mask, greedy.argmax(-1))
    torch.testing.assert_close(forced, greedy)
    torch.testing.assert_close(forced_alignment, greedy_alignment)


def test_shipped_translator_reaches_its_bar(translator):
    test = make_dates(500, split="test", seed=2)
    iso, _ = translate_dates(translator, test.texts)
    exact = np.mean([a == b for a, b in zip(iso, test.iso, strict=True)])
    assert exact >= 0.95, exact
    assert translator.history["loss"][-1] < translator.history["loss"][0]


# ----------------------------------------------------------------------------- the clip classifier


@pytest.fixture(scope="module")
def classifier():
    return load_clip_classifier()


def test_masking_a_frame_is_removing_it(classifier):
    clips = make_clips(4, seed=9).clips
    keep = torch.ones(4, FRAMES, dtype=torch.bool)
    keep[:, 5] = False
    with torch.no_grad():
        masked, weights = classifier(clips, keep)
        removed, _ = classifier(torch.cat([clips[:, :5], clips[:, 6:]], dim=1))
    torch.testing.assert_close(masked, removed, atol=1e-5, rtol=1e-4)
    assert (weights[:, 5] == 0).all()


def test_shipped_classifier_reaches_its_bars(classifier):
    test = make_clips(200, seed=2)
    with torch.no_grad():
        logits, weights = classifier(test.clips)
    assert weights.shape == (200, FRAMES)
    torch.testing.assert_close(weights.sum(-1), torch.ones(200))
    assert (logits.argmax(-1) == test.labels).float().mean() >= 0.95
    on_event = weights[torch.arange(200), test.event_frames]  # by hand, not via event_mass
    assert on_event.mean() >= 0.5 and on_event.mean() > 5 / FRAMES


def test_event_mass_hand_checked():
    weights = torch.tensor([[0.7, 0.2, 0.1, 0.0], [0.25, 0.25, 0.25, 0.25]])
    mass, uniform = event_mass(weights, torch.tensor([0, 2]))
    assert mass == pytest.approx((0.7 + 0.25) / 2) and uniform == 0.25


# ----------------------------------------------------------------------------- the data


def test_written_dates_parse_back_to_their_iso_form():
    data = make_dates(400, seed=3)
    assert sorted(set(data.formats.tolist())) == list(range(len(FORMATS)))  # every format drawn
    for text, iso, f in zip(data.texts, data.iso, data.formats.tolist(), strict=True):
        parsed = datetime.datetime.strptime(text, STRPTIME[FORMATS[f]]).date()
        assert parsed.isoformat() == iso, (text, iso)
    assert write_date(datetime.date(2026, 11, 29), "{weekday} {d} {month} {yyyy}") == "sunday 29 november 2026"
    assert write_date(datetime.date(2026, 11, 29), "{Mon} {d}, {yyyy}") == "Nov 29, 2026"


def test_dates_are_seeded_and_encoded_with_padding():
    a, b = make_dates(50, seed=4), make_dates(50, seed=4)
    assert a.texts == b.texts and torch.equal(a.inputs, b.inputs) and torch.equal(a.mask, b.mask)
    assert make_dates(50, seed=5).texts != a.texts
    lengths = torch.tensor([len(t) for t in a.texts])
    assert torch.equal(a.mask.sum(1), lengths) and a.inputs.shape[1] == lengths.max()
    assert (a.inputs[~a.mask] == 0).all() and (a.inputs[a.mask] > 0).all()  # id 0 is padding, and only padding
    assert INPUT_VOCAB.decode(a.inputs) == a.texts and OUTPUT_VOCAB.decode(a.targets) == a.iso
    assert a.targets.shape == (50, ISO_LENGTH)


def test_held_out_dates_never_appear_in_training():
    train, test = make_dates(3000, seed=6), make_dates(300, split="test", seed=6)
    train_days, test_days = set(train.iso), set(test.iso)
    assert not train_days & test_days
    assert all(is_test_date(datetime.date.fromisoformat(d)) for d in test_days)
    days = [datetime.date(2000, 1, 1) + datetime.timedelta(n) for n in range(3650)]
    share = np.mean([is_test_date(d) for d in days])
    assert 0.08 < share < 0.12  # about one day in ten


def test_char_vocab_round_trip():
    vocab = CharVocab("abc")
    ids, mask = vocab.encode(["ab", "cabc"])
    assert ids.tolist() == [[1, 2, 0, 0], [3, 1, 2, 3]] and mask.tolist() == [[True, True, False, False], [True] * 4]
    assert vocab.decode(ids) == ["ab", "cabc"] and len(vocab) == 4


def _find(frame: np.ndarray, pattern: np.ndarray) -> list[tuple[int, int]]:
    """Top-left corners where every pixel of ``pattern`` (bool (5, 5)) has one and the same non-background colour."""
    hits = []
    for r in range(frame.shape[1] - 4):
        for c in range(frame.shape[2] - 4):
            pixels = frame[:, r : r + 5, c : c + 5][:, pattern]  # (3, n_on)
            if np.all(pixels == pixels[:, :1]) and pixels[:, 0].max() > 0.15:
                hits.append((r, c))
    return hits


def test_the_event_symbol_is_in_the_event_frame_only():
    data = make_clips(12, noise=0.0, seed=7)
    assert data.clips.shape == (12, FRAMES, 3, 16, 16) and data.clips.dtype == torch.float32
    patterns = {  # drawn here again, independently of the task's own tables
        "plus": np.array([[0, 0, 1, 0, 0]] * 2 + [[1] * 5] + [[0, 0, 1, 0, 0]] * 2, dtype=bool),
        "cross": np.eye(5, dtype=bool) | np.eye(5, dtype=bool)[::-1],
        "ring": np.pad(np.zeros((3, 3), dtype=bool), 1, constant_values=True),
    }
    for clip, label, event in zip(data.clips.numpy(), data.labels, data.event_frames, strict=True):
        pattern = patterns[EVENTS[label]]
        assert _find(clip[event], pattern), "the symbol must be in the event frame"
        others = [t for t in range(FRAMES) if t != event]
        assert not any(_find(clip[t], pattern) for t in others), "and in no other frame"


def test_clips_are_seeded_and_the_squares_move():
    a, b = make_clips(5, seed=8), make_clips(5, seed=8)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not torch.equal(make_clips(5, seed=9).clips, a.clips)
    clean = make_clips(5, noise=0.0, seed=8).clips
    changed = (clean[:, 1:] != clean[:, :-1]).any(2).flatten(2).any(-1)  # (5, T - 1): did frame t+1 differ?
    assert changed.all()


# ----------------------------------------------------------------------------- errors name the argument


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda m: m(torch.zeros(2, 3), torch.ones(2, 3, dtype=torch.bool)), TypeError, "inputs"),
        (lambda m: m(torch.ones(2, 3, dtype=torch.long), torch.ones(2, 3)), TypeError, "mask"),
        (lambda m: m(torch.ones(2, 3, dtype=torch.long), torch.ones(2, 4, dtype=torch.bool)), ValueError, "mask"),
        (lambda m: m(torch.ones(1, 3, dtype=torch.long), torch.tensor([[True, False, True]])), ValueError,
         "right padding"),
        (lambda m: m(torch.full((1, 3), 999), torch.ones(1, 3, dtype=torch.bool)), ValueError, "ids"),
        (lambda m: m(torch.ones(1, 3, dtype=torch.long), torch.ones(1, 3, dtype=torch.bool),
                     torch.zeros(1, 4, dtype=torch.long)), ValueError, "targets"),
    ],
)
def test_translator_errors(translator, call, error, words):
    with pytest.raises(error, match=words):
        call(translator)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: make_dates(0), ValueError, "n"),
        (lambda: make_dates(5, split="valid"), ValueError, "split"),
        (lambda: make_dates(5, seed=1.5), TypeError, "seed"),
        (lambda: write_date("2026-11-29", FORMATS[0]), TypeError, "date"),
        (lambda: write_date(datetime.date(2026, 1, 1), "%d %b"), ValueError, "fmt"),
        (lambda: INPUT_VOCAB.encode(["29 nov 2026!"]), ValueError, r"\['!'\]"),
        (lambda: INPUT_VOCAB.encode("29 nov 2026"), TypeError, "list of strings"),
        (lambda: translate_dates("model", ["1 jan 2000"]), TypeError, "DateTranslator"),
        (lambda: DateTranslator(0, 11, 10), ValueError, "n_in"),
        (lambda: make_clips(-1), ValueError, "n"),
        (lambda: make_clips(3, size=4), ValueError, "size"),
        (lambda: make_clips(3, noise=1.0), ValueError, "noise"),
        (lambda: ClipClassifier(3)(torch.zeros(2, 16, 1, 8, 8)), ValueError, "clips"),
        (lambda: ClipClassifier(3)(torch.zeros(2, 16, 3, 8, 8, dtype=torch.long)), TypeError, "clips"),
        (lambda: FramePooling(4)(torch.zeros(2, 5, 3)), ValueError, "frames"),
        (lambda: FramePooling(4)(torch.zeros(2, 5, 4), torch.ones(2, 4, dtype=torch.bool)), ValueError, "mask"),
        (lambda: FramePooling("4"), TypeError, "d"),
        (lambda: event_mass(torch.ones(2, 4) / 4, torch.tensor([0, 4])), ValueError, "event_frames"),
        (lambda: event_mass(torch.ones(2, 4) / 4, torch.tensor([0.0, 1.0])), TypeError, "event_frames"),
    ],
)
def test_errors_name_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()
