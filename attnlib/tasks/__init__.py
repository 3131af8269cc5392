"""Tasks the course trains its models on, one per file.

- :mod:`.partners`: every object must report the colour of its partner (notebooks 05–06);
- :mod:`.digits`: one handwritten digit among fragments of others (notebooks 07, 08, 10);
- :mod:`.digit_nets`: small CNNs for it with a gate on channels, space or the input (notebook 07);
- :mod:`.bright_pixel`: look at one pixel of a 1-D image, the REINFORCE toy (notebook 08);
- :mod:`.dates`: rewrite a written date as ISO "yyyy-mm-dd" (notebook 09);
- :mod:`.clips`: which symbol flashed in one frame of a clip (notebook 09).
"""

from .bright_pixel import bright_pixel, exact_policy_gradient, reinforce_samples
from .clips import EVENTS, FRAMES, Clips, event_mass, load_clip_classifier, make_clips
from .dates import (
    FORMATS,
    INPUT_VOCAB,
    ISO_LENGTH,
    OUTPUT_VOCAB,
    CharVocab,
    Dates,
    is_test_date,
    load_date_translator,
    make_dates,
    translate_dates,
    write_date,
)
from .digit_nets import DIGIT_NETS, GATES, DigitNet, box_mass, load_digit_net
from .digits import (
    DIGIT_SIZE,
    FRAGMENT_SIZE,
    SPLIT_SEED,
    TEST_SHARE,
    Digits,
    box_mask,
    digit_sources,
    make_cluttered_digits,
)
from .partners import (
    COLOURS,
    MIN_GAP,
    PRETRAINED,
    SHAPES,
    PairNet,
    Pairs,
    load_pair_net,
    make_pairs,
    mask_cover,
    partner_mass,
)

__all__ = [
    "COLOURS",
    "SHAPES",
    "MIN_GAP",
    "PRETRAINED",
    "Pairs",
    "make_pairs",
    "PairNet",
    "mask_cover",
    "partner_mass",
    "load_pair_net",
    "bright_pixel",
    "exact_policy_gradient",
    "reinforce_samples",
    "DIGIT_SIZE",
    "FRAGMENT_SIZE",
    "SPLIT_SEED",
    "TEST_SHARE",
    "Digits",
    "digit_sources",
    "make_cluttered_digits",
    "box_mask",
    "GATES",
    "DIGIT_NETS",
    "DigitNet",
    "box_mass",
    "load_digit_net",
    "FORMATS",
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
    "EVENTS",
    "FRAMES",
    "Clips",
    "make_clips",
    "event_mass",
    "load_clip_classifier",
]
