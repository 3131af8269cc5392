"""attnlib: the small library behind the "Drawing Attention" course.

The data path a learner follows, one module per arrow:
image (data) → features → scores (scores) → weights (attention) → 2-D map (maps)
→ picture (viz) → live widget (explorer).

The live widgets (``AttentionExplorer``, ``GlimpseExplorer``, ``widget_check``) load ipywidgets on first use, so
``import attnlib`` stays light for scripts that only train or compute.
"""

from .attention import attention, entropy, softmax, weighted_sum
from .data import SAMPLE_IMAGES, kernel_regression_data, load_image, pixel_features, resize_image, toy_qkv
from .glimpse_view import GLIMPSE_COLOURS, draw_glimpses, show_glimpses
from .maps import key_map, lazy_rows, mass_region, query_map
from .modules import (
    CBAM,
    NONLOCAL_MODES,
    InputMask,
    NonLocal2d,
    RAMLoss,
    RAMOutput,
    RecurrentAttention,
    SelfAttention2d,
    SqueezeExcite,
    glimpse,
    glimpse_boxes,
    load_ram,
    load_soft_counterpart,
    ram_loss,
)
from .scores import AdditiveScore, GeneralScore, MLPScore, cosine_score, distance_score, dot_score, scaled_dot_score
from .tasks import (
    COLOURS,
    DIGIT_NETS,
    DIGIT_SIZE,
    MIN_GAP,
    PRETRAINED,
    SHAPES,
    DigitNet,
    Digits,
    PairNet,
    box_mass,
    bright_pixel,
    digit_sources,
    exact_policy_gradient,
    load_digit_net,
    load_pair_net,
    make_cluttered_digits,
    make_pairs,
    mask_cover,
    partner_mass,
    reinforce_samples,
)
from .train import fit, pixel_accuracy
from .viz import Painter, mark_query, overlay, save_figure, show_gate, show_map, show_maps

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
    "SelfAttention2d",
    "NonLocal2d",
    "NONLOCAL_MODES",
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
    "box_mass",
    "load_digit_net",
    "fit",
    "pixel_accuracy",
]


_LAZY = {
    "AttentionExplorer": "explorer",
    "GlimpseExplorer": "glimpse_explorer",
    "widget_check": "exercises.widget_check",
}


def __getattr__(name: str):
    """Load the widget modules (and with them ipywidgets) only when a notebook first asks for them."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'attnlib' has no attribute {name!r}")
