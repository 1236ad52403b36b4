"""Tasks and datasets generated in code from a seed.

Every generator takes ``seed`` (None, an int or a :class:`numpy.random.Generator`) and gives the
same arrays bit for bit for the same seed. The sequence tasks return a
:class:`~recurrent_zoo.tasks.base.SequenceDataset` (time-major ``inputs``, ``targets`` and a
loss ``mask``, which unpack as ``X, Y, mask = data``). The tree and DAG tasks of
:mod:`recurrent_zoo.tasks.trees` (ListOps, Boolean and arithmetic expressions, logical terms,
the RAAM grammar) return a :class:`~recurrent_zoo.tasks.trees.TreeDataset` of networkx graphs.

:data:`TASKS` maps a short name to each generator; :func:`get_task` looks one up. To add a task,
write its module and add one import line and one ``TASKS`` entry below.

Examples
--------
>>> from recurrent_zoo.tasks import get_task
>>> X, Y, mask = get_task("adding")(8, 20, seed=0)
>>> X.shape, Y.shape, mask.shape
((20, 8, 2), (20, 8, 1), (20, 8))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .adding import adding_problem
from .algorithmic import (
    associative_recall,
    binary_copy,
    bit_errors,
    copy_reuse,
    priority_sort,
    repeat_copy,
    sequence_cost,
)
from .anbn import (
    anbmcnm,
    anbn,
    anbn_accepts,
    deterministic_accuracy,
    deterministic_correct,
    next_symbol_distributions,
)
from .base import SequenceDataset
from .copy_memory import copy_task
from .curriculum import Curriculum
from .dyck import dyck, dyck_accepts
from .frequency import frequency_classification
from .graphs import graph_traversal, traversal_accuracy
from .handwritten import handwritten_digits
from .hierarchy import long_lag_symbols, nested_periodic, sum_of_sines
from .moving_digits import moving_digits, tag_scores
from .parity import parity
from .patterns import pair_recall, pattern_recall
from .penn_treebank import Corpus, penn_treebank, token_streams
from .pushdown import CFL_LANGUAGES, cfl_dataset, cfl_strings, wcwr_accepts
from .reservoir import (
    lorenz,
    lorenz_series,
    mackey_glass,
    mackey_glass_series,
    memory_capacity,
    memory_capacity_task,
    narma10,
    narma10_series,
    nmse,
    nrmse,
)
from .scenes import caption_bleu, digit_scenes, encode_captions
from .speech import (
    character_error_rate,
    log_mel_spectrogram,
    mfcc,
    spoken_digits,
    spoken_digits_info,
)
from .temporal_xor import temporal_xor
from .tomita import all_strings, tomita_accepts, tomita_dataset, tomita_dfa, tomita_labels
from .toy_translation import TranslationPairs, toy_translation, translate
from .trajectories import trajectory_classification, trajectory_prototypes
from .transduction import TRANSDUCTIONS, transduction, transduction_accuracy
from .trees import (
    TreeDataset,
    arithmetic_expressions,
    boolean_expressions,
    from_bracketed,
    listops,
    listops_tree,
    logical_terms,
    raam_grammar,
    to_bracketed,
    token_sequences,
)
from .two_sided import two_sided_sum

__all__ = [
    "TASKS",
    "Corpus",
    "Curriculum",
    "SequenceDataset",
    "TreeDataset",
    "adding_problem",
    "all_strings",
    "anbn",
    "associative_recall",
    "binary_copy",
    "bit_errors",
    "arithmetic_expressions",
    "boolean_expressions",
    "caption_bleu",
    "character_error_rate",
    "copy_task",
    "copy_reuse",
    "digit_scenes",
    "dyck",
    "dyck_accepts",
    "encode_captions",
    "frequency_classification",
    "from_bracketed",
    "get_task",
    "graph_traversal",
    "listops",
    "listops_tree",
    "logical_terms",
    "handwritten_digits",
    "log_mel_spectrogram",
    "long_lag_symbols",
    "lorenz",
    "lorenz_series",
    "mackey_glass",
    "mackey_glass_series",
    "memory_capacity",
    "memory_capacity_task",
    "mfcc",
    "moving_digits",
    "narma10",
    "narma10_series",
    "nested_periodic",
    "nmse",
    "nrmse",
    "pair_recall",
    "parity",
    "pattern_recall",
    "priority_sort",
    "repeat_copy",
    "sequence_cost",
    "penn_treebank",
    "raam_grammar",
    "spoken_digits",
    "spoken_digits_info",
    "sum_of_sines",
    "tag_scores",
    "temporal_xor",
    "token_streams",
    "to_bracketed",
    "token_sequences",
    "tomita_accepts",
    "tomita_dataset",
    "tomita_dfa",
    "tomita_labels",
    "toy_translation",
    "translate",
    "TranslationPairs",
    "traversal_accuracy",
    # pushdown memories: counting languages, context-free acceptors, transduction
    "CFL_LANGUAGES",
    "TRANSDUCTIONS",
    "anbmcnm",
    "anbn_accepts",
    "cfl_dataset",
    "cfl_strings",
    "deterministic_accuracy",
    "deterministic_correct",
    "next_symbol_distributions",
    "transduction",
    "transduction_accuracy",
    "wcwr_accepts",
    "two_sided_sum",
    "trajectory_classification",
    "trajectory_prototypes",
]

#: Short name -> generator. One entry per task.
TASKS: dict[str, Callable[..., Any]] = {
    "adding": adding_problem,
    "copy": copy_task,
    "temporal_xor": temporal_xor,
    "parity": parity,
    "frequency": frequency_classification,
    "tomita": tomita_dataset,
    "anbn": anbn,
    "dyck": dyck,
    "two_sided_sum": two_sided_sum,
    "pattern_recall": pattern_recall,
    "pair_recall": pair_recall,
    "mackey_glass": mackey_glass,
    "narma10": narma10,
    "lorenz": lorenz,
    "memory_capacity": memory_capacity_task,
    "sum_of_sines": sum_of_sines,
    "long_lag_symbols": long_lag_symbols,
    "nested_periodic": nested_periodic,
    "binary_copy": binary_copy,
    "repeat_copy": repeat_copy,
    "copy_reuse": copy_reuse,
    "graph_traversal": graph_traversal,
    "associative_recall": associative_recall,
    "priority_sort": priority_sort,
    "anbmcnm": anbmcnm,
    "cfl": cfl_dataset,
    "transduction": transduction,
    "listops": listops,
    "boolean_expressions": boolean_expressions,
    "arithmetic_expressions": arithmetic_expressions,
    "logical_terms": logical_terms,
    "raam_grammar": raam_grammar,
    "spoken_digits": spoken_digits,
    "digit_scenes": digit_scenes,
    "moving_digits": moving_digits,
    "trajectories": trajectory_classification,
}


def get_task(name: str) -> Callable[..., Any]:
    """Return the generator registered in :data:`TASKS` under ``name``.

    Examples
    --------
    >>> get_task("parity").__name__
    'parity'
    >>> get_task("nope")
    Traceback (most recent call last):
    ...
    ValueError: unknown task 'nope'; known tasks: 'adding', ...
    """
    if name not in TASKS:
        known = ", ".join(repr(k) for k in sorted(TASKS))
        raise ValueError(f"unknown task {name!r}; known tasks: {known}")
    return TASKS[name]
