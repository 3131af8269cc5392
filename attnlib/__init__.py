"""attnlib: the small library behind the "Drawing Attention" course.

The data path a learner follows, one module per arrow:
image (data) → features → scores (scores) → weights (attention; capture for real models) → 2-D map (maps)
→ picture (viz) → live widget (explorer). Over time (notebook 09) the map is a 1-D row with labelled
keys instead: viz_time draws it, explorer_time makes it live.

The live widgets (``AttentionExplorer``, ``GlimpseExplorer``, ``widget_check``, and over time
``AlignmentExplorer``, ``ClipExplorer``) load ipywidgets on first use, so
``import attnlib`` stays light for scripts that only train or compute.
"""

from .attention import attention, entropy, softmax, weighted_sum
from .capture import Captured, capture_attention
from .data import SAMPLE_IMAGES, kernel_regression_data, load_image, pixel_features, resize_image, toy_qkv
from .glimpse_view import GLIMPSE_COLOURS, draw_glimpses, show_glimpses
from .maps import cls_map, key_map, lazy_rows, mass_region, query_map, rollout
from .modules import (
    CBAM,
    NONLOCAL_MODES,
    BahdanauDecoder,
    ClipClassifier,
    DateTranslator,
    FramePooling,
    InputMask,
    NonLocal2d,
    RAMLoss,
    RAMOutput,
    RecurrentAttention,
    SelfAttention2d,
    SqueezeExcite,
    VisionTransformer,
    glimpse,
    glimpse_boxes,
    load_digits_vit,
    load_ram,
    load_soft_counterpart,
    ram_loss,
)
from .scores import AdditiveScore, GeneralScore, MLPScore, cosine_score, distance_score, dot_score, scaled_dot_score
from .tasks import (
    COLOURS,
    DIGIT_NETS,
    DIGIT_SIZE,
    EVENTS,
    FORMATS,
    FRAMES,
    INPUT_VOCAB,
    ISO_LENGTH,
    MIN_GAP,
    OUTPUT_VOCAB,
    PRETRAINED,
    SHAPES,
    CharVocab,
    DigitNet,
    Digits,
    PairNet,
    box_mask,
    box_mass,
    bright_pixel,
    digit_sources,
    event_mass,
    exact_policy_gradient,
    is_test_date,
    load_clip_classifier,
    load_date_translator,
    load_digit_net,
    load_pair_net,
    make_clips,
    make_cluttered_digits,
    make_dates,
    make_pairs,
    mask_cover,
    partner_mass,
    reinforce_samples,
    translate_dates,
    write_date,
)
from .train import fit, pixel_accuracy
from .viz import Painter, mark_query, overlay, save_figure, show_gate, show_map, show_maps
from .viz_time import show_alignment, show_filmstrip

__version__ = "0.1.0"

__all__ = [
    "attention",
    "entropy",
    "softmax",
    "weighted_sum",
    "SAMPLE_IMAGES",
    "kernel_regression_data",
    "load_image",
    "pixel_features",
    "resize_image",
    "toy_qkv",
    "AdditiveScore",
    "GeneralScore",
    "MLPScore",
    "cosine_score",
    "distance_score",
    "dot_score",
    "scaled_dot_score",
    "query_map",
    "key_map",
    "lazy_rows",
    "mass_region",
    "cls_map",
    "rollout",
    "capture_attention",
    "Captured",
    "overlay",
    "Painter",
    "show_map",
    "show_maps",
    "show_gate",
    "mark_query",
    "save_figure",
    "AttentionExplorer",
    "GlimpseExplorer",
    "GLIMPSE_COLOURS",
    "draw_glimpses",
    "show_glimpses",
    "widget_check",
    "show_alignment",
    "show_filmstrip",
    "AlignmentExplorer",
    "ClipExplorer",
    "SelfAttention2d",
    "NonLocal2d",
    "NONLOCAL_MODES",
    "VisionTransformer",
    "load_digits_vit",
    "glimpse",
    "glimpse_boxes",
    "RecurrentAttention",
    "RAMOutput",
    "RAMLoss",
    "ram_loss",
    "load_ram",
    "load_soft_counterpart",
    "SqueezeExcite",
    "CBAM",
    "InputMask",
    "COLOURS",
    "SHAPES",
    "MIN_GAP",
    "PRETRAINED",
    "make_pairs",
    "PairNet",
    "mask_cover",
    "partner_mass",
    "load_pair_net",
    "bright_pixel",
    "exact_policy_gradient",
    "reinforce_samples",
    "DIGIT_SIZE",
    "Digits",
    "make_cluttered_digits",
    "digit_sources",
    "DIGIT_NETS",
    "DigitNet",
    "box_mask",
    "box_mass",
    "load_digit_net",
    "BahdanauDecoder",
    "DateTranslator",
    "FramePooling",
    "ClipClassifier",
    "FORMATS",
    "ISO_LENGTH",
    "CharVocab",
    "INPUT_VOCAB",
    "OUTPUT_VOCAB",
    "write_date",
    "is_test_date",
    "make_dates",
    "translate_dates",
    "load_date_translator",
    "EVENTS",
    "FRAMES",
    "make_clips",
    "event_mass",
    "load_clip_classifier",
    "fit",
    "pixel_accuracy",
]


_LAZY = {
    "AttentionExplorer": "explorer",
    "GlimpseExplorer": "glimpse_explorer",
    "widget_check": "exercises.widget_check",
    "AlignmentExplorer": "explorer_time",
    "ClipExplorer": "explorer_time",
}


def __getattr__(name: str):
    """Load the widget modules (and with them ipywidgets) only when a notebook first asks for them."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'attnlib' has no attribute {name!r}")
