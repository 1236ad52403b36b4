r"""The training loop: minibatches, (truncated) backpropagation through time, history.

:func:`fit` trains any :class:`~recurrent_zoo.SequenceModel` on time-major data by explicit BPTT:
for each minibatch it runs the model forward, takes the loss and its gradient ``dY``, runs the
model backward to get ``model.grads``, optionally clips them, lets the optimizer update
``model.params`` in place and calls ``model.apply_constraints()``.

Truncated BPTT (Williams & Peng 1990; the ``BPTT(k, k)`` form): with ``tbptt=k`` each
minibatch is cut into chunks of ``k`` steps. The state at the end of one chunk is the initial
state of the next, so the forward pass is the same as over the whole sequence, but no gradient
flows from one chunk into the previous one, and the parameters are updated after every chunk:

.. math::

    \theta \leftarrow \theta - \mathrm{update}\Big(\frac{\partial L_c}{\partial \theta}
    \Big|_{h_{t_c} \text{ fixed}}\Big), \qquad c = 1, 2, \ldots, \lceil T / k \rceil

where :math:`L_c` is the mean loss over the selected elements of chunk :math:`c` (a chunk that
selects nothing -- before the only target of a sequence-level task, say -- is run forward but
makes no update). :func:`evaluate` and :func:`predict` run whole sequences.

A language model is trained this way over a contiguous corpus cut into ``B`` parallel streams,
``X`` of shape ``(T, B, 1)`` with ``T`` in the tens of thousands (see
:func:`recurrent_zoo.tasks.token_streams`): ``batch_size=B``, ``shuffle=False`` and
``tbptt=35`` give the stateful truncated BPTT of Zaremba, Sutskever & Vinyals (2014), the state
carried across all the windows of an epoch. Validation then runs ``tbptt`` steps at a time with
the state carried (the same outputs as one pass, in bounded memory), as :func:`evaluate` and
:func:`predict` do with ``chunk_size``. ``lr_schedule`` changes the learning rate from epoch to
epoch (:mod:`recurrent_zoo.training.schedules`), and the dropout layers of the model are on
during the training steps only (:func:`recurrent_zoo._core.dropout.training_mode`).

References
----------
R. J. Williams, J. Peng, "An efficient gradient-based algorithm for on-line training of recurrent
network trajectories", Neural Computation 2(4):490-501, 1990.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .._core.base import SequenceModel, zeros_like_state
from .._core.dropout import training_mode
from .._core.init import make_rng
from .._core.sequence import Bidirectional
from .._core.validation import (
    NDArray,
    check_lengths,
    check_positive_int,
    check_probability,
    check_sequence,
)
from ..tasks.base import SequenceDataset
from .clipping import clip_grad_norm, clip_grad_value
from .losses import Loss, get_loss
from .metrics import Metric, get_metric
from .optimizers import Optimizer, get_optimizer

__all__ = ["History", "fit", "evaluate", "predict"]


@dataclass
class History:
    """What :func:`fit` records: per-epoch values and the wall time.

    Attributes
    ----------
    history : dict of str to list of float
        ``"loss"``, one key per metric, and ``"val_loss"``, ``"val_<metric>"`` with
        ``validation_data``; one entry per completed epoch. Training values are averages over
        the epoch's minibatches, computed while the parameters change (as Keras reports them).
    wall_time : float
        Seconds spent in :func:`fit`.

    Examples
    --------
    >>> h = History({"loss": [0.5, 0.25]}, wall_time=1.0)
    >>> h["loss"][-1], h.epochs
    (0.25, 2)
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    wall_time: float = 0.0

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.history.get("loss", []))


# ----------------------------------------------------------------------------- argument checks
def _check_model(model: Any) -> SequenceModel:
    if not isinstance(model, SequenceModel):
        raise TypeError(f"model must be a SequenceModel; got {type(model).__name__}")
    return model


def _is_bidirectional(model: SequenceModel) -> bool:
    """Whether any part of ``model`` reads the sequence backward in time."""
    if isinstance(model, Bidirectional) or getattr(model, "bidirectional", False) is True:
        return True
    return any(_is_bidirectional(m) for _, m in getattr(model, "_children", []))


def _optional_positive(value: Any, name: str) -> float | None:
    return None if value is None else check_probability(value, name, high=np.inf, closed="neither")


def _build_optimizer(
    optimizer: Any, model: SequenceModel, lr: Any, optimizer_kwargs: Any
) -> Optimizer:
    kwargs = dict(optimizer_kwargs or {})
    if isinstance(optimizer, Optimizer):
        if lr is not None or kwargs:
            raise ValueError(
                "lr and optimizer_kwargs apply only when optimizer is a name; "
                "set them on the Optimizer instance instead"
            )
        for k, p in optimizer.params.items():
            if model.params.get(k) is not p:
                raise ValueError(
                    f"optimizer updates an array {k!r} that is not model.params[{k!r}]; "
                    "build it from model.params"
                )
        return optimizer
    if lr is not None:
        if "lr" in kwargs:
            raise ValueError("give the learning rate once: as lr or in optimizer_kwargs")
        kwargs["lr"] = lr
    return get_optimizer(optimizer, model.params, **kwargs)


def _metric_list(metrics: Any) -> list[Metric]:
    if isinstance(metrics, (str, Metric)):
        metrics = (metrics,)
    out = [get_metric(m) for m in metrics]
    names = [m.name for m in out]
    if len(set(names)) != len(names) or "loss" in names:
        raise ValueError(f"metrics must have distinct names other than 'loss'; got {names}")
    return out


@dataclass
class _Data:
    """Validated data: inputs, lengths, and the per-step targets and weights of each objective."""

    X: NDArray  # (T, N, I)
    lengths: NDArray | None  # (N,)
    targets: list[tuple[NDArray, NDArray]]  # one (targets, (T, N) weights) per loss/metric


def _prepare(
    model: SequenceModel,
    X: Any,
    Y: Any,
    mask: Any,
    lengths: Any,
    objectives: Sequence[Loss | Metric],
) -> _Data:
    X = check_sequence(X, "X", input_size=model.input_size, dtype=model.dtype)
    T, N, _ = X.shape
    lengths = check_lengths(lengths, T, N)
    shape = (T, N, model.output_size)
    targets = [o.expand(shape, Y, mask, lengths, target_name="Y") for o in objectives]
    return _Data(X, lengths, targets)


def _unpack_validation(validation_data: Any) -> tuple[Any, Any, Any, Any]:
    if isinstance(validation_data, SequenceDataset):
        # it unpacks as (X, Y, mask) only; its lengths must come along, or a model that reads
        # backward (or pools over time) would run over the padding
        d = validation_data
        return d.inputs, d.targets, d.mask, d.lengths
    try:
        items = tuple(validation_data)
    except TypeError:
        items = ()
    if not 2 <= len(items) <= 4:
        raise ValueError(
            "validation_data must be a tuple (X, Y), (X, Y, mask) or (X, Y, mask, lengths); "
            f"got {type(validation_data).__name__}" + (f" of length {len(items)}" if items else "")
        )
    X, Y, mask, lengths = items + (None,) * (4 - len(items))
    return X, Y, mask, lengths


def _chunk_lengths(lengths: NDArray | None, t0: int, t1: int) -> NDArray | None:
    """Each sequence's number of steps in ``[t0, t1)`` (0 once it has ended), None if all full."""
    if lengths is None:
        return None
    inside = np.clip(lengths - t0, 0, t1 - t0)
    return None if np.all(inside == t1 - t0) else inside


def _batches(N: int, batch_size: int | None, order: NDArray | None = None) -> Iterator[Any]:
    """Index objects selecting successive minibatches along the batch axis."""
    size = N if batch_size is None else min(batch_size, N)
    for b0 in range(0, N, size):
        yield slice(b0, b0 + size) if order is None else order[b0 : b0 + size]


# ----------------------------------------------------------------------------- the loop
def fit(
    model: SequenceModel,
    X: Any,
    Y: Any,
    *,
    loss: str | Loss = "mse",
    optimizer: str | Optimizer = "adam",
    lr: float | None = None,
    epochs: int = 10,
    batch_size: int = 32,
    mask: Any = None,
    lengths: Any = None,
    tbptt: int | None = None,
    clip_norm: float | None = None,
    clip_value: float | None = None,
    metrics: Iterable[str | Metric] = (),
    validation_data: Any = None,
    shuffle: bool = True,
    seed: Any = None,
    progress: bool | None = None,
    optimizer_kwargs: dict[str, Any] | None = None,
    callback: Callable[[int, dict[str, float]], Any] | None = None,
    lr_schedule: Callable[[int], float] | None = None,
) -> History:
    """Train ``model`` by (truncated) backpropagation through time.

    Parameters
    ----------
    model : SequenceModel
        Trained in place (its ``params`` arrays are updated).
    X : array_like, shape (T, N, input_size)
        Time-major inputs.
    Y : array_like
        Targets, as the loss takes them: ``(T, N, O)`` per step or ``(N, O)`` at each
        sequence's last step (MSE, BCE); integer classes ``(T, N)`` or ``(N,)``, or class
        probabilities ``(T, N, C)`` / ``(N, C)`` (cross-entropy).
    loss : str or Loss, default "mse"
        ``"mse"``, ``"cross_entropy"``, ``"bce"``, ``"ctc"`` (labellings as ``Y``: see
        :class:`~recurrent_zoo.training.CTC`) or a :class:`Loss`.
    optimizer : str or Optimizer, default "adam"
        A name (``"sgd"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"``, ``"adamw"``) built over
        ``model.params``, or an optimizer already built over ``model.params``.
    lr : float, optional
        Learning rate (the optimizer's default when omitted).
    epochs : int, default 10
    batch_size : int, default 32
        Sequences per minibatch (the batch axis, 1, is sliced).
    mask : array_like, shape (T, N), optional
        Step weights of the loss (0/1 selects the steps that count).
    lengths : array_like of int, shape (N,), optional
        Sequence lengths; the model stops each sequence at its length.
    tbptt : int, optional
        Truncated BPTT with chunks of ``tbptt`` steps: the state is carried from chunk to chunk,
        the gradient is not, and the optimizer steps after every chunk. Not available for
        models that read sequences backward (bidirectional ones).
    clip_norm : float, optional
        Clip the gradients' total 2-norm (:func:`clip_grad_norm`) before each step.
    clip_value : float, optional
        Clip each gradient entry to ``[-clip_value, clip_value]`` (applied before
        ``clip_norm``).
    metrics : iterable of str or Metric, default ()
        Extra values to record, e.g. ``("accuracy",)``.
    validation_data : tuple, optional
        ``(X, Y)``, ``(X, Y, mask)`` or ``(X, Y, mask, lengths)``, evaluated after each epoch,
        or a task's :class:`~recurrent_zoo.tasks.SequenceDataset` (its inputs, targets, mask
        and lengths).
    shuffle : bool, default True
        Shuffle the sequences every epoch.
    seed : int or numpy.random.Generator, optional
        Seeds the shuffling: the same seed (and model) gives the same run bit for bit.
    progress : bool, optional
        Show a tqdm progress bar; by default only when stderr is a terminal.
    optimizer_kwargs : dict, optional
        More hyperparameters for a named optimizer (``{"momentum": 0.9}``).
    callback : callable, optional
        Called as ``callback(epoch, logs)`` after each epoch (``epoch`` counts from 0, ``logs``
        holds that epoch's values); returning ``True`` stops training.
    lr_schedule : callable, optional
        ``lr_schedule(epoch) -> factor``: at the start of each epoch (counting from 0) the
        optimizer's learning rate becomes its initial rate times the factor, e.g.
        :class:`~recurrent_zoo.training.StepDecay`; the rates used are recorded under
        ``"lr"``.

    Returns
    -------
    History

    Examples
    --------
    >>> import numpy as np
    >>> from recurrent_zoo import Stacked, Linear
    >>> from recurrent_zoo.elman import Elman
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(5, 64, 1))          # (T, N, I)
    >>> Y = np.cumsum(X, axis=0) / 5                      # running sums, (T, N, 1)
    >>> model = Stacked([Elman(1, 8, seed=0), Linear(8, 1, seed=0)])
    >>> history = fit(model, X, Y, lr=0.02, epochs=20, batch_size=16, seed=0)
    >>> history["loss"][-1] < 0.1 * history["loss"][0]
    True
    """
    model = _check_model(model)
    loss_fn = get_loss(loss)
    metric_fns = _metric_list(metrics)
    objectives: list[Loss | Metric] = [loss_fn, *metric_fns]
    data = _prepare(model, X, Y, mask, lengths, objectives)
    T, N, _ = data.X.shape
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    if tbptt is not None:
        tbptt = check_positive_int(tbptt, "tbptt")
        if _is_bidirectional(model):
            raise ValueError(
                "tbptt cannot be used with a bidirectional model: its backward direction would "
                "need the state from the future chunk; train on whole sequences (tbptt=None)"
            )
        if loss_fn.sequence_level:
            raise ValueError(
                f"tbptt cannot be used with the {loss_fn.name!r} loss: it scores each sequence "
                "as a whole; train on whole sequences (tbptt=None)"
            )
    clip_norm = _optional_positive(clip_norm, "clip_norm")
    clip_value = _optional_positive(clip_value, "clip_value")
    opt = _build_optimizer(optimizer, model, lr, optimizer_kwargs)
    val = None
    if validation_data is not None:
        try:
            val = _prepare(model, *_unpack_validation(validation_data), objectives)
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"validation_data: {exc}") from exc
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be None, True or False; got {progress!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable; got {type(callback).__name__}")
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError(f"lr_schedule must be callable; got {type(lr_schedule).__name__}")
    base_lr = opt.lr
    show = sys.stderr.isatty() if progress is None else bool(progress)
    rng = make_rng(seed)
    step = T if tbptt is None else tbptt
    chunks = [(t0, min(t0 + step, T)) for t0 in range(0, T, step)]
    n_batches = -(-N // min(batch_size, N))

    names = ["loss"] + [m.name for m in metric_fns]
    history: dict[str, list[float]] = {k: [] for k in names}
    if val is not None:
        history.update({"val_" + k: [] for k in names})
    if lr_schedule is not None:
        history["lr"] = []
    start = time.perf_counter()
    with tqdm(total=epochs * n_batches, disable=not show, unit="batch", leave=True) as bar:
        for epoch in range(epochs):
            if lr_schedule is not None:
                opt.lr = base_lr * _schedule_factor(lr_schedule, epoch)
            order = rng.permutation(N) if shuffle else None
            sums = np.zeros(len(objectives))
            counts = np.zeros(len(objectives))
            with training_mode(model):  # dropout on for the training steps only
                for idx in _batches(N, batch_size, order):
                    _train_batch(
                        model,
                        opt,
                        loss_fn,
                        metric_fns,
                        data,
                        idx,
                        chunks,
                        clip_norm,
                        clip_value,
                        sums,
                        counts,
                    )
                    bar.update(1)
            logs = dict(zip(names, _finalize(objectives, sums, counts), strict=True))
            if val is not None:
                values = _evaluate_prepared(model, val, objectives, batch_size, tbptt)
                logs.update({"val_" + k: v for k, v in zip(names, values, strict=True)})
            if lr_schedule is not None:
                logs["lr"] = opt.lr
            for k, v in logs.items():
                history[k].append(v)
            bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()}, refresh=False)
            if callback is not None and callback(epoch, dict(logs)) is True:
                break
    return History(history, time.perf_counter() - start)


def _schedule_factor(lr_schedule: Callable[[int], float], epoch: int) -> float:
    factor = lr_schedule(epoch)
    if isinstance(factor, (bool, np.bool_)) or not isinstance(factor, (int, float, np.number)):
        raise TypeError(f"lr_schedule({epoch}) must return a number; got {factor!r}")
    if not (np.isfinite(factor) and factor >= 0):
        raise ValueError(f"lr_schedule({epoch}) must return a finite factor >= 0; got {factor!r}")
    return float(factor)


def _finalize(objectives: Sequence[Loss | Metric], sums: NDArray, counts: NDArray) -> list[float]:
    """Each objective's value from its sum and count: the mean, transformed by a metric's
    ``finalize`` (the exponential of a mean cross-entropy for perplexity)."""
    values = []
    for o, s, c in zip(objectives, sums, counts, strict=True):
        mean = float(s / c)
        values.append(o.finalize(mean) if isinstance(o, Metric) else mean)
    return values


def _train_batch(
    model: SequenceModel,
    opt: Optimizer,
    loss_fn: Loss,
    metric_fns: list[Metric],
    data: _Data,
    idx: Any,
    chunks: list[tuple[int, int]],
    clip_norm: float | None,
    clip_value: float | None,
    sums: NDArray,
    counts: NDArray,
) -> None:
    """One minibatch: forward and backward chunk by chunk, an optimizer step after each."""
    lb = None if data.lengths is None else data.lengths[idx]
    # the minibatch runs to its own longest sequence: past every length nothing counts (the
    # loss weights are 0 there and the state is frozen), so the result is the same
    t_end = data.X.shape[0] if lb is None else int(lb.max())
    Xb = np.ascontiguousarray(data.X[:t_end, idx])  # (t_end, B, I)
    batch_targets = [(t[:, idx], w[:, idx]) for t, w in data.targets]
    state = model.initial_state(Xb.shape[1])
    for t0, t1 in chunks:
        if t0 >= t_end:
            break
        t1 = min(t1, t_end)
        Yc, final = model._forward(Xb[t0:t1], state, _chunk_lengths(lb, t0, t1))
        target, weights = batch_targets[0]
        total, dsum, count = loss_fn.weighted_sum(Yc, target[t0:t1], weights[t0:t1])
        if not np.isfinite(total):
            raise FloatingPointError(
                f"the training loss became {total}: training diverged; "
                "lower lr or clip the gradients (clip_norm)"
            )
        sums[0] += total
        counts[0] += count
        for k, m in enumerate(metric_fns, start=1):
            target, weights = batch_targets[k]
            s, c = m.weighted_sum(Yc, target[t0:t1], weights[t0:t1])
            sums[k] += s
            counts[k] += c
        if count > 0:
            # no gradient reaches the previous chunk: the final state's gradient is zero;
            # dsum is the loss's own new array, scaled in place (no copy of (T, B, O) arrays)
            if isinstance(dsum, np.ndarray) and dsum.dtype.kind == "f":
                np.divide(dsum, count, out=dsum)
                dY = dsum.astype(model.dtype, copy=False)
            else:
                dY = (np.asarray(dsum) / count).astype(model.dtype)
            model._backward(dY, zeros_like_state(final))
            if clip_value is not None:
                clip_grad_value(model.grads, clip_value)
            if clip_norm is not None:
                clip_grad_norm(model.grads, clip_norm)
            opt.step(model.grads)
            model.apply_constraints()
        state = final


# ----------------------------------------------------------------------------- inference
def _forward_batches(
    model: SequenceModel,
    X: NDArray,
    lengths: NDArray | None,
    batch_size: int | None,
    chunk_size: int | None = None,
) -> Iterator[tuple[Any, slice, NDArray]]:
    """``(batch index, step slice, outputs)`` over minibatches and, with ``chunk_size``, over
    windows of at most that many steps, the state carried from one window to the next."""
    T, N, _ = X.shape
    step = T if chunk_size is None else chunk_size
    for idx in _batches(N, batch_size):
        # run to the minibatch's longest sequence; outputs past a length are 0 by contract
        t_end = T if lengths is None else int(lengths[idx].max())
        lb = None if lengths is None else lengths[idx]
        Xb = np.ascontiguousarray(X[:t_end, idx])  # (t_end, B, I)
        state = model.initial_state(Xb.shape[1])
        for t0 in range(0, t_end, step):
            t1 = min(t0 + step, t_end)
            Yc, state = model._forward(Xb[t0:t1], state, _chunk_lengths(lb, t0, t1))
            yield idx, slice(t0, t1), Yc
        if t_end < T:
            zeros = np.zeros((T - t_end, Xb.shape[1], model.output_size), model.dtype)
            yield idx, slice(t_end, T), zeros


def _evaluate_prepared(
    model: SequenceModel,
    data: _Data,
    objectives: Sequence[Loss | Metric],
    batch_size: int | None,
    chunk_size: int | None = None,
) -> list[float]:
    sums = np.zeros(len(objectives))
    counts = np.zeros(len(objectives))
    for idx, steps, Yc in _forward_batches(model, data.X, data.lengths, batch_size, chunk_size):
        for k, (o, (target, weights)) in enumerate(zip(objectives, data.targets, strict=True)):
            # (sum, count): a loss without its gradient, a metric
            t, w = target[steps, idx], weights[steps, idx]
            if not w.any():  # padding past the minibatch's longest sequence: nothing to score
                continue
            total, count = (o.value_sum if isinstance(o, Loss) else o.weighted_sum)(Yc, t, w)
            sums[k] += total
            counts[k] += count
    return _finalize(objectives, sums, counts)


def _optional_batch_size(batch_size: Any) -> int | None:
    return None if batch_size is None else check_positive_int(batch_size, "batch_size")


def _optional_chunk_size(model: SequenceModel, chunk_size: Any) -> int | None:
    if chunk_size is None:
        return None
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    if _is_bidirectional(model) or not model.is_causal:
        raise ValueError(
            "chunk_size cannot be used with a model that reads sequences backward in time: its "
            "outputs depend on steps after the window"
        )
    return chunk_size


def evaluate(
    model: SequenceModel,
    X: Any,
    Y: Any,
    *,
    loss: str | Loss = "mse",
    mask: Any = None,
    lengths: Any = None,
    metrics: Iterable[str | Metric] = (),
    batch_size: int | None = None,
    chunk_size: int | None = None,
) -> dict[str, float]:
    """The loss and metrics of ``model`` on data, over whole sequences from the zero state.

    Parameters
    ----------
    model, X, Y, loss, mask, lengths, metrics
        As for :func:`fit`.
    batch_size : int, optional
        Sequences per forward pass (all at once by default); the result does not depend on it.
    chunk_size : int, optional
        Run the sequences ``chunk_size`` steps at a time, carrying the state from one window to
        the next: the same outputs as one pass over the whole sequences, in memory for
        ``chunk_size`` steps only (a long corpus, ``(T, B, V)`` logits). Causal models only.

    Returns
    -------
    dict
        ``{"loss": value, "<metric>": value, ...}``, means over all selected elements.

    Examples
    --------
    >>> import numpy as np
    >>> from recurrent_zoo import Linear
    >>> model = Linear(2, 3, seed=0)
    >>> X, Y = np.zeros((4, 5, 2)), np.zeros((4, 5), dtype=int)
    >>> scores = evaluate(model, X, Y, loss="cross_entropy", metrics=["accuracy"])
    >>> sorted(scores)
    ['accuracy', 'loss']
    """
    model = _check_model(model)
    objectives: list[Loss | Metric] = [get_loss(loss), *_metric_list(metrics)]
    data = _prepare(model, X, Y, mask, lengths, objectives)
    chunk = _optional_chunk_size(model, chunk_size)
    values = _evaluate_prepared(model, data, objectives, _optional_batch_size(batch_size), chunk)
    names = ["loss"] + [o.name for o in objectives[1:]]
    return dict(zip(names, values, strict=True))


def predict(
    model: SequenceModel,
    X: Any,
    lengths: Any = None,
    batch_size: int | None = None,
    chunk_size: int | None = None,
) -> NDArray:
    """The outputs of ``model`` on ``X`` from the zero state, computed ``batch_size`` at a time.

    Parameters
    ----------
    model : SequenceModel
    X : array_like, shape (T, N, input_size)
    lengths : array_like of int, shape (N,), optional
    batch_size : int, optional
        Sequences per forward pass (all at once by default).
    chunk_size : int, optional
        Steps per forward pass, the state carried between them (see :func:`evaluate`).

    Returns
    -------
    ndarray, shape (T, N, output_size)

    Examples
    --------
    >>> import numpy as np
    >>> from recurrent_zoo.elman import Elman
    >>> model = Elman(2, 3, seed=0)
    >>> X = np.ones((4, 10, 2))
    >>> bool(np.allclose(predict(model, X, batch_size=3), model.forward(X)[0]))
    True
    """
    model = _check_model(model)
    X = check_sequence(X, "X", input_size=model.input_size, dtype=model.dtype)
    T, N, _ = X.shape
    lengths = check_lengths(lengths, T, N)
    out = np.empty((T, N, model.output_size), dtype=model.dtype)
    chunk = _optional_chunk_size(model, chunk_size)
    for idx, steps, Yc in _forward_batches(
        model, X, lengths, _optional_batch_size(batch_size), chunk
    ):
        out[steps, idx] = Yc
    return out
