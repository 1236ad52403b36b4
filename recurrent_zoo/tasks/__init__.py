"""Tasks and datasets generated in code from a seed.

Every generator takes ``seed`` (None, an int or a :class:`numpy.random.Generator`) and gives the
same arrays bit for bit for the same seed. The sequence tasks return a
:class:`~recurrent_zoo.tasks.base.SequenceDataset` (time-major ``inputs``, ``targets`` and a
loss ``mask``, which unpack as ``X, Y, mask = data``).

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
from .anbn import anbn
from .base import SequenceDataset
from .copy_memory import copy_task
from .dyck import dyck, dyck_accepts
from .frequency import frequency_classification
from .handwritten import handwritten_digits
from .moving_digits import moving_digits, tag_scores
from .parity import parity
from .patterns import pair_recall, pattern_recall
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
from .trajectories import trajectory_classification, trajectory_prototypes
from .two_sided import two_sided_sum

__all__ = [
    "TASKS",
    "SequenceDataset",
    "adding_problem",
    "all_strings",
    "anbn",
    "caption_bleu",
    "character_error_rate",
    "copy_task",
    "digit_scenes",
    "dyck",
    "dyck_accepts",
    "encode_captions",
    "frequency_classification",
    "get_task",
    "handwritten_digits",
    "log_mel_spectrogram",
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
    "nmse",
    "nrmse",
    "pair_recall",
    "parity",
    "pattern_recall",
    "spoken_digits",
    "spoken_digits_info",
    "tag_scores",
    "temporal_xor",
    "tomita_accepts",
    "tomita_dataset",
    "tomita_dfa",
    "tomita_labels",
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
    ValueError: unknown task 'nope'; known tasks: 'adding', 'anbn', ...
    """
    if name not in TASKS:
        known = ", ".join(repr(k) for k in sorted(TASKS))
        raise ValueError(f"unknown task {name!r}; known tasks: {known}")
    return TASKS[name]
