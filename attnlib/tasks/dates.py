"""Rewrite a human-written date as ISO 8601, one character at a time (notebook 09).

"29 nov 2026", "Nov 29, 2026", "29/11/2026", "sunday 29 november 2026", "2026.11.29" … all become
"2026-11-29". Some formats keep ISO's order (year, month, day), others reverse it (day first) or
mix it (month, day, year), so a model that rewrites them has to look in different places of its
input for each output character: exactly what an alignment map shows.

- :data:`FORMATS`: the date formats, each a template such as ``"{d} {mon} {yyyy}"``;
  :func:`write_date` fills one in.
- :class:`CharVocab`: characters ↔ ids, with id 0 for padding; :data:`INPUT_VOCAB`,
  :data:`OUTPUT_VOCAB`.
- :func:`make_dates`: a seeded data set, train or test; a test date never occurs in training, in
  any format (:func:`is_test_date`).
- :func:`translate_dates` and :func:`load_date_translator`: run the trained
  :class:`~attnlib.modules.DateTranslator` shipped in ``attnlib/weights``.
"""

from __future__ import annotations

import datetime
import string
from typing import NamedTuple

import numpy as np
import torch

from .._checks import check_int
from .._shipped import load_shipped
from ..modules.temporal import DateTranslator

__all__ = [
    "FORMATS",
    "MONTHS",
    "WEEKDAYS",
    "FIRST_DATE",
    "LAST_DATE",
    "ISO_LENGTH",
    "CharVocab",
    "INPUT_VOCAB",
    "OUTPUT_VOCAB",
    "Dates",
    "write_date",
    "is_test_date",
    "make_dates",
    "translate_dates",
    "load_date_translator",
]

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")  # date.weekday() order

#: The formats, as templates for :func:`write_date`. ``d`` = day without a leading zero, ``dd`` with one;
#: ``mm`` = month number; ``mon``/``Mon`` = three-letter month name, ``month``/``Month`` = full name
#: (capitalised or not); ``weekday``/``Weekday`` likewise. Numeric formats always put the day before
#: the month or the year first, so no string is ambiguous.
FORMATS = (
    "{d} {mon} {yyyy}",  # 29 nov 2026
    "{Mon} {d}, {yyyy}",  # Nov 29, 2026
    "{dd}/{mm}/{yyyy}",  # 29/11/2026
    "{weekday} {d} {month} {yyyy}",  # sunday 29 november 2026
    "{yyyy}.{mm}.{dd}",  # 2026.11.29
    "{Month} {d}, {yyyy}",  # November 29, 2026
    "{d} {Month} {yyyy}",  # 29 November 2026
    "{Weekday}, {Month} {d}, {yyyy}",  # Sunday, November 29, 2026
)

#: The dates the task draws from, both ends included.
FIRST_DATE, LAST_DATE = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)
#: "yyyy-mm-dd": every output has this many characters.
ISO_LENGTH = 10
#: One date in this many is held out for testing (by a fixed rule, whatever the seed).
_TEST_EVERY = 10


def write_date(date: datetime.date, fmt: str) -> str:
    """``date`` written in ``fmt``, one of :data:`FORMATS`.

    E.g. 2026-11-29 in ``"{Mon} {d}, {yyyy}"`` → "Nov 29, 2026"."""
    if not isinstance(date, datetime.date):
        raise TypeError(f"date must be a datetime.date; got {type(date).__name__}")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of FORMATS {FORMATS}; got {fmt!r}")
    month, weekday = MONTHS[date.month - 1], WEEKDAYS[date.weekday()]
    fields = {
        "d": str(date.day), "dd": f"{date.day:02d}", "mm": f"{date.month:02d}", "yyyy": f"{date.year:04d}",
        "mon": month[:3], "Mon": month[:3].title(), "month": month, "Month": month.title(),
        "weekday": weekday, "Weekday": weekday.title(),
    }
    return fmt.format(**fields)


class CharVocab:
    """Characters ↔ integer ids. With ``pad=True`` id 0 is padding and the characters start at 1.

    :meth:`encode` turns ``n`` strings into ids ``(n, T)`` (long, padded on the right to the longest
    string) and a mask ``(n, T)`` (bool, True = a real character, False = padding);
    :meth:`decode` turns ids ``(n, T)`` back into strings, dropping padding.
    """

    def __init__(self, chars: str, *, pad: bool = True):
        if not isinstance(chars, str) or not chars or len(set(chars)) != len(chars):
            raise ValueError(f"chars must be a non-empty string without repeats; got {chars!r}")
        self.chars, self.pad = chars, pad
        self.offset = 1 if pad else 0
        self.index = {c: i + self.offset for i, c in enumerate(chars)}

    def __len__(self) -> int:
        return len(self.chars) + self.offset

    def __repr__(self) -> str:
        return f"CharVocab({self.chars!r}, pad={self.pad})"

    def encode(self, texts) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` strings → ``(ids (n, T) long, mask (n, T) bool)``; T = the longest string's length."""
        if isinstance(texts, str) or not isinstance(texts, list | tuple) or not texts:
            raise TypeError(f"texts must be a non-empty list of strings; got {type(texts).__name__} {texts!r:.60}")
        for text in texts:
            if not isinstance(text, str) or not text:
                raise ValueError(f"texts must hold non-empty strings; got {text!r}")
            unknown = sorted(set(text) - set(self.chars))
            if unknown:
                raise ValueError(
                    f"text {text!r} has characters outside the vocabulary: {unknown}; allowed: {self.chars!r}"
                )
        if not self.pad and len({len(t) for t in texts}) > 1:
            raise ValueError("texts of different lengths need a vocabulary with padding (pad=True)")
        width = max(len(t) for t in texts)
        ids = torch.zeros(len(texts), width, dtype=torch.long)
        for row, text in enumerate(texts):
            ids[row, : len(text)] = torch.tensor([self.index[c] for c in text])
        mask = torch.arange(width) < torch.tensor([len(t) for t in texts])[:, None]
        return ids, mask

    def decode(self, ids: torch.Tensor) -> list[str]:
        """ids ``(n, T)`` long → ``n`` strings (padding ids dropped)."""
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.is_floating_point():
            raise ValueError(f"ids must be an integer tensor of shape (n, T); got {ids!r:.60}")
        if ids.numel() and (ids.min() < 0 or ids.max() >= len(self)):
            got = f"{int(ids.min())} to {int(ids.max())}"
            raise ValueError(f"ids must lie in [0, {len(self) - 1}]; got values from {got}")
        return ["".join(self.chars[i - self.offset] for i in row.tolist() if i >= self.offset) for row in ids]


#: What a date may be written with: lower- and upper-case letters, digits, space and , - . /
INPUT_VOCAB = CharVocab(" ,-./" + string.digits + string.ascii_lowercase + string.ascii_uppercase)
#: What ISO dates are written with (no padding: every output has :data:`ISO_LENGTH` characters).
OUTPUT_VOCAB = CharVocab(string.digits + "-", pad=False)


def is_test_date(date: datetime.date) -> bool:
    """True for the held-out dates: about one day in :data:`_TEST_EVERY`, spread over every year and month
    by a fixed hash of the day number (the same split whatever seed a data set is drawn with)."""
    if not isinstance(date, datetime.date):
        raise TypeError(f"date must be a datetime.date; got {type(date).__name__}")
    return bool(_held_out(np.array([date.toordinal()]))[0])


def _held_out(days: np.ndarray) -> np.ndarray:
    """Day numbers ``(n,)`` (``date.toordinal()``) → ``(n,)`` bool: held out for testing?"""
    return (days.astype(np.uint64) * 2654435761) % 2**32 % _TEST_EVERY == 0  # Knuth's multiplicative hash


class Dates(NamedTuple):
    """A batch of the date task.

    ``texts``: the ``n`` written dates; ``iso``: their ISO forms; ``formats``: each one's index in
    :data:`FORMATS`; ``inputs`` ``(n, T)`` long and ``mask`` ``(n, T)`` bool (True = a character,
    False = padding) from :data:`INPUT_VOCAB`; ``targets`` ``(n, 10)`` long from :data:`OUTPUT_VOCAB`.
    """

    texts: list[str]
    iso: list[str]
    formats: torch.Tensor
    inputs: torch.Tensor
    mask: torch.Tensor
    targets: torch.Tensor


def make_dates(n: int, *, split: str = "train", seed: int = 0) -> Dates:
    """``n`` seeded examples: a date drawn uniformly from the ``split``'s days (``"train"`` or
    ``"test"``, see :func:`is_test_date`) between :data:`FIRST_DATE` and :data:`LAST_DATE`, written in a
    format drawn uniformly from :data:`FORMATS`. Same ``n``, ``split``, ``seed`` → the same data."""
    n = check_int(n, "n", minimum=1, what=" (number of examples)")
    seed = check_int(seed, "seed", minimum=0)
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    days = np.arange(FIRST_DATE.toordinal(), LAST_DATE.toordinal() + 1)  # day numbers, as date.toordinal()
    days = days[_held_out(days) == (split == "test")]
    rng = np.random.default_rng([seed, int(split == "test")])
    picked = rng.choice(days, size=n)
    formats = rng.integers(0, len(FORMATS), size=n)
    dates = [datetime.date.fromordinal(int(d)) for d in picked]
    texts = [write_date(d, FORMATS[f]) for d, f in zip(dates, formats, strict=True)]
    iso = [d.isoformat() for d in dates]
    inputs, mask = INPUT_VOCAB.encode(texts)
    targets, _ = OUTPUT_VOCAB.encode(iso)
    return Dates(texts, iso, torch.from_numpy(formats), inputs, mask, targets)


@torch.no_grad()
def translate_dates(model: DateTranslator, texts) -> tuple[list[str], list[torch.Tensor]]:
    """Rewrite ``texts`` (a string or a list of them) as ISO dates with a trained ``model`` (greedy decoding).

    Returns ``(iso, alignments)``: the ``n`` output strings, and per text its alignment
    ``(10, len(text))``: row t = output character t, column j = input character j, each row sums to 1.
    """
    if not isinstance(model, DateTranslator):
        raise TypeError(f"model must be a DateTranslator (e.g. load_date_translator()); got {type(model).__name__}")
    texts = [texts] if isinstance(texts, str) else texts
    inputs, mask = INPUT_VOCAB.encode(texts)
    was_training = model.training
    model.eval()
    logits, alignment = model(inputs, mask)  # (n, 10, 11), (n, 10, T)
    model.train(was_training)
    iso = OUTPUT_VOCAB.decode(logits.argmax(-1))
    return iso, [alignment[i, :, : len(t)] for i, t in enumerate(texts)]


#: Where the shipped date translator lives (made by ``scripts/train_temporal.py``).
DATE_WEIGHTS = "dates_translator.pt"


def load_date_translator() -> DateTranslator:
    """The trained :class:`~attnlib.modules.DateTranslator` from ``attnlib/weights``, in eval mode.

    The file holds ``{"config", "state_dict", "history"}`` (tensors and plain values; loaded with
    ``weights_only=True``); ``model.history`` is the training run the script recorded.
    """
    return load_shipped(DATE_WEIGHTS, DateTranslator)
