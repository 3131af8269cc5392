"""Self-checks for the notebooks' exercises.

Each ``check_…(fn)`` calls a learner's function on a few small cases, compares
the result with a reference computed here, and prints one line: a pass, or what
is wrong (which case, the shape or a value it got and what it expected, and a
hint that names the likely mistake). It never lets a traceback through, and
returns ``True``/``False`` so a notebook can ``assert`` on it.

Layout: ``_harness.py`` runs the cases and prints the line (``_run``, ``_compare``,
``_Fail``, …); ``nbNN.py`` holds the checkers notebook NN calls, with the hints
for that notebook's likely mistakes; ``widget_check.py`` is notebook 00's slider
test (a widget, loaded lazily as ``attnlib.widget_check``, not re-exported here).
This file re-exports every checker, so notebooks write
``from attnlib.exercises import check_…``. A new notebook adds its own ``nbNN.py``
and one import line here; its tests go in ``tests/test_exercises_nbNN.py``.
"""

from .nb00 import check_normalise_rows
from .nb01 import check_nadaraya_watson, check_sample_index, check_weighted_sum
from .nb02 import check_cosine_score, check_scaled_dot_score
from .nb03 import check_entropy, check_log_softmax, check_masked_softmax
from .nb04 import check_grid_query_map, check_query_map
from .nb05 import check_sagan_energy, check_sagan_output
from .nb06 import check_concatenation_pairwise, check_dot_product_pairwise
from .nb07 import check_excitation, check_spatial_pool
from .nb08 import check_glimpse_corner, check_reinforce_loss
from .nb09 import check_bahdanau_step, check_padded_alignment
from .nb10 import check_cls_patch_map, check_rollout

__all__ = [
    "check_normalise_rows",
    "check_weighted_sum",
    "check_sample_index",
    "check_nadaraya_watson",
    "check_scaled_dot_score",
    "check_cosine_score",
    "check_log_softmax",
    "check_masked_softmax",
    "check_entropy",
    "check_query_map",
    "check_grid_query_map",
    "check_sagan_energy",
    "check_sagan_output",
    "check_dot_product_pairwise",
    "check_concatenation_pairwise",
    "check_excitation",
    "check_spatial_pool",
    "check_glimpse_corner",
    "check_reinforce_loss",
    "check_bahdanau_step",
    "check_padded_alignment",
    "check_rollout",
    "check_cls_patch_map",
]
