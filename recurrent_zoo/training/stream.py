r"""Training on a stream of freshly generated batches, as the algorithmic tasks are trained.

Graves, Wayne & Danihelka (2014) train the neural Turing machine on copy, repeat copy,
associative recall and priority sort with a new random batch at every update (their learning
curves count sequences seen, never epochs); Collier & Beel (2018) draw one sequence length per
batch, so that nothing is padded. :func:`fit_generated` does exactly that: it asks
``make_batch(rng)`` for a batch, trains on it once with :func:`~recurrent_zoo.training.fit`
(one optimizer, kept across batches, so its moment estimates carry over; the same clipping and
the same clear error when the loss stops being finite), and records the loss of every batch.

Examples
--------
>>> from recurrent_zoo import Stacked, Linear
>>> from recurrent_zoo.elman import Elman
>>> from recurrent_zoo.tasks import binary_copy
>>> model = Stacked([Elman(3, 16, seed=0), Linear(16, 2, seed=0)])
>>> history = fit_generated(model, lambda rng: binary_copy(32, 1, n_bits=2, seed=rng), 60,
...                         lr=0.02, seed=0)
>>> len(history["loss"]), history["loss"][-1] < 0.5 * history["loss"][0]
(60, True)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.base import SequenceModel
from .._core.init import make_rng
from .._core.validation import check_positive_int
from .fit import History, fit
from .optimizers import Optimizer, get_optimizer

__all__ = ["fit_generated"]


def fit_generated(
    model: SequenceModel,
    make_batch: Callable[[np.random.Generator], Any],
    n_batches: int,
    *,
    optimizer: str | Optimizer = "adam",
    lr: float | None = None,
    optimizer_kwargs: dict[str, Any] | None = None,
    clip_norm: float | None = None,
    clip_value: float | None = None,
    seed: Any = None,
    callback: Callable[[int, dict[str, float]], Any] | None = None,
) -> History:
    """Train ``model`` on ``n_batches`` batches, each drawn fresh by ``make_batch(rng)``.

    Parameters
    ----------
    model : SequenceModel
        Trained in place.
    make_batch : callable
        ``make_batch(rng) -> data`` with ``rng`` a :class:`numpy.random.Generator`; ``data`` a
        :class:`~recurrent_zoo.tasks.SequenceDataset` (its ``loss``, ``mask`` and ``lengths``
        are used) or a tuple ``(X, Y, mask, lengths)`` trained with the MSE.
    n_batches : int
        Number of updates.
    optimizer, lr, optimizer_kwargs, clip_norm, clip_value
        As for :func:`~recurrent_zoo.training.fit`; one optimizer serves every batch.
    seed : int or numpy.random.Generator, optional
        Seeds the batches: the same seed (and model) gives the same run bit for bit.
    callback : callable, optional
        ``callback(batch_index, logs)`` after every batch (``logs["loss"]`` holds its loss);
        returning ``True`` stops training.

    Returns
    -------
    History
        ``history["loss"]``: one value per batch.

    Raises
    ------
    FloatingPointError
        When a batch's loss is NaN or infinite (training diverged), as :func:`fit` does.
    """
    if not isinstance(model, SequenceModel):
        raise TypeError(f"model must be a SequenceModel; got {type(model).__name__}")
    if not callable(make_batch):
        raise TypeError(f"make_batch must be callable; got {type(make_batch).__name__}")
    n_batches = check_positive_int(n_batches, "n_batches")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable; got {type(callback).__name__}")
    kwargs = dict(optimizer_kwargs or {})
    if lr is not None:
        kwargs["lr"] = lr
    opt = get_optimizer(optimizer, model.params, **kwargs)
    rng = make_rng(seed)
    losses: list[float] = []
    start = time.perf_counter()
    for i in range(n_batches):
        data = make_batch(rng)
        if hasattr(data, "inputs"):
            X, Y, mask, lengths, loss = (
                data.inputs,
                data.targets,
                data.mask,
                data.lengths,
                data.loss,
            )
        else:
            X, Y, mask, lengths = data
            loss = "mse"
        X = np.asarray(X)
        h = fit(
            model,
            X,
            Y,
            mask=mask,
            lengths=lengths,
            loss=loss,
            optimizer=opt,
            epochs=1,
            batch_size=X.shape[1],
            clip_norm=clip_norm,
            clip_value=clip_value,
            shuffle=False,
            progress=False,
        )
        losses.append(h["loss"][0])
        if callback is not None and callback(i, {"loss": losses[-1]}) is True:
            break
    return History({"loss": losses}, time.perf_counter() - start)
