r"""Connectionist temporal classification (CTC): a loss for unsegmented label sequences.

Graves, Fernández, Gomez & Schmidhuber (2006) let a recurrent net label a sequence without
knowing where each label sits in time. The net emits, at every step :math:`t`, a distribution
:math:`y^t = \mathrm{softmax}(a^t)` over the :math:`C` labels plus one extra *blank*. A *path*
:math:`\pi` picks one symbol per step; the map :math:`\mathcal B` removes repeated symbols, then
blanks (``a a - b b`` and ``a - - b -`` both give ``a b``; ``a - a`` gives ``a a``, which is why a
repeated label needs a blank in between). The probability of a labelling :math:`l` is the sum
over all paths that map to it, and the loss is its negative log:

.. math::

    p(l \mid x) = \sum_{\pi \in \mathcal B^{-1}(l)} \prod_{t=1}^{T} y^t_{\pi_t},
    \qquad L = -\log p(l \mid x).

The sum is computed by dynamic programming over the *extended* labelling
:math:`l' = (-, l_1, -, l_2, \ldots, -, l_S, -)` of length :math:`2S+1`. The forward variable
:math:`\alpha_t(s)` is the probability of the paths' first :math:`t` steps that end at
:math:`l'_s`, the backward variable :math:`\beta_t(s)` that of the remaining steps after
:math:`t`, starting from :math:`l'_s` (Graves et al. 2006, eqs. 6-11; here :math:`\beta` leaves
out the emission at :math:`t` itself):

.. math::

    \alpha_1(1) &= y^1_-, \quad \alpha_1(2) = y^1_{l_1}, \quad \alpha_1(s) = 0 \;(s > 2) \\
    \alpha_t(s) &= y^t_{l'_s} \big(\alpha_{t-1}(s) + \alpha_{t-1}(s-1)
        + [\,l'_s \ne - \text{ and } l'_s \ne l'_{s-2}\,]\, \alpha_{t-1}(s-2)\big) \\
    \beta_T(s) &= [\,s \ge 2S\,], \qquad
    \beta_t(s) = \sum_{s' \in \{s,\, s+1,\, s+2\}} [\text{step } s \to s' \text{ allowed}]\,
        y^{t+1}_{l'_{s'}} \beta_{t+1}(s') \\
    p(l \mid x) &= \alpha_T(2S+1) + \alpha_T(2S) = \sum_s \alpha_t(s) \beta_t(s)
        \quad \text{for every } t

Both recursions run in log space (sums become ``logaddexp``), so nothing underflows however
long the sequence. With :math:`\gamma_t(s) = \alpha_t(s)\beta_t(s) / p(l \mid x)`, the posterior
probability that the path is at :math:`l'_s` at step :math:`t`, the gradient with respect to the
*unnormalised* outputs :math:`a^t` (the softmax folded in; Graves et al. 2006, eq. 16) is

.. math::

    \frac{\partial L}{\partial a^t_k} = y^t_k - \sum_{s:\, l'_s = k} \gamma_t(s).

A sequence of :math:`S` labels with :math:`r` adjacent repeats needs at least :math:`S + r` steps
(one per label, one blank between each repeated pair); shorter inputs admit no path, and
:func:`ctc_loss` refuses them rather than return an infinite loss. Variable input lengths
:math:`T_b` and label lengths :math:`S_b` are handled per sequence: steps past :math:`T_b` get a
zero gradient. Everything matches :func:`torch.nn.functional.ctc_loss` (applied to
``log_softmax`` of the same logits), values and gradients, to about 1e-12 in float64.

References
----------
A. Graves, S. Fernández, F. Gomez and J. Schmidhuber, "Connectionist temporal classification:
labelling unsegmented sequence data with recurrent neural networks", ICML 2006, pp. 369-376.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.ops import log_softmax
from .._core.validation import NDArray, check_array, check_choice, check_lengths
from .losses import LOSSES, Loss, check_outputs

__all__ = ["CTC", "ctc_loss", "ctc_posteriors", "ctc_min_length"]

REDUCTIONS = ("mean", "sum", "none")


# ----------------------------------------------------------------------------- validation
def ctc_min_length(labels: Any) -> int:
    """The fewest input steps a labelling can be emitted in: labels plus adjacent repeats.

    Each repeated pair (``7 7``) needs a blank between its two labels, or the pair would merge.

    Examples
    --------
    >>> ctc_min_length([3, 7, 7, 1]), ctc_min_length([]), ctc_min_length([2, 2, 2])
    (5, 0, 5)
    """
    l = np.asarray(labels)
    return int(l.size + np.count_nonzero(l[1:] == l[:-1]))


def _check_blank(blank: Any, n_classes: int) -> int:
    if isinstance(blank, (bool, np.bool_)) or not isinstance(blank, (int, np.integer)):
        raise TypeError(f"blank must be an integer class index; got {blank!r}")
    if not 0 <= blank < n_classes:
        raise ValueError(
            f"blank must be a class index in [0, C={n_classes}) (C, the size of the last axis "
            f"of the outputs, counts the blank); got {blank}"
        )
    return int(blank)


def _label_lists(targets: Any, target_lengths: Any, B: int, name: str) -> list[NDArray]:
    """Targets as ``B`` int64 label arrays, from a list of sequences or an ``(S, B)`` array."""
    if isinstance(targets, (list, tuple)):
        if target_lengths is not None:
            raise ValueError(
                f"target_lengths is only for an (S, B) array of {name}; a list of label "
                "sequences carries its own lengths"
            )
        if len(targets) != B:
            raise ValueError(
                f"{name} must hold one label sequence per sequence, B={B}; got {len(targets)}"
            )
        out = []
        for b, seq in enumerate(targets):
            arr = np.asarray(seq)
            if arr.size == 0:
                arr = arr.astype(np.int64)
            if arr.ndim != 1 or arr.dtype.kind not in "iu":
                raise TypeError(
                    f"{name}[{b}] must be a 1-dimensional sequence of integer labels; "
                    f"got dtype {arr.dtype}, shape {arr.shape}"
                )
            out.append(arr.astype(np.int64))
        return out
    arr = np.asarray(targets)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be a list of B label sequences or an integer array of shape (S, B) "
            f"(time-major, padded); got dtype {arr.dtype}"
        )
    if arr.ndim != 2 or arr.shape[1] != B:
        raise ValueError(
            f"{name} must be a list of B label sequences or an integer array of shape "
            f"(S, B={B}) (time-major, padded); got shape {arr.shape}"
        )
    S = arr.shape[0]
    arr = arr.astype(np.int64)
    if target_lengths is None:
        # padding is negative and only at the end of each column
        valid = arr >= 0
        lengths = valid.sum(axis=0)
        misplaced = (valid != (np.arange(S)[:, None] < lengths[None, :])).any(axis=0)  # (B,)
        if misplaced.any():
            b = int(np.flatnonzero(misplaced)[0])
            raise ValueError(
                f"{name}[:, {b}] has a negative entry before a label: without target_lengths, "
                "negative entries may only pad the end of a column"
            )
    else:
        lengths = np.asarray(target_lengths)
        if lengths.dtype.kind not in "iu" or lengths.shape != (B,):
            raise ValueError(
                f"target_lengths must be an integer array of shape (B={B},); got dtype "
                f"{lengths.dtype}, shape {lengths.shape}"
            )
        if lengths.size and (lengths.min() < 0 or lengths.max() > S):
            raise ValueError(
                f"target_lengths must lie in [0, S={S}] ({name} has S={S} rows); "
                f"got min {lengths.min()}, max {lengths.max()}"
            )
    return [arr[: int(lengths[b]), b] for b in range(B)]


def _check_labels(
    labels: list[NDArray], input_lengths: NDArray, n_classes: int, blank: int, name: str
) -> None:
    for b, l in enumerate(labels):
        if l.size and (l.min() < 0 or l.max() >= n_classes):
            raise ValueError(
                f"{name}[{b}] must hold labels in [0, C={n_classes}); got min {l.min()}, "
                f"max {l.max()}"
            )
        if np.any(l == blank):
            raise ValueError(
                f"{name}[{b}] contains the blank ({blank}) at position "
                f"{int(np.flatnonzero(l == blank)[0])}: labels must not use the blank's index"
            )
        need = ctc_min_length(l)
        if need > input_lengths[b]:
            repeats = need - l.size
            raise ValueError(
                f"{name}[{b}] has {l.size} labels and {repeats} adjacent repeat(s), so it needs "
                f"at least {need} input steps (one per label, one blank inside each repeat); "
                f"the input has {int(input_lengths[b])}: no alignment exists"
            )


def _check_logits(logits: Any, name: str = "logits") -> NDArray:
    Y = check_outputs(logits, name)
    T, B, C = Y.shape
    if T < 1 or B < 1 or C < 1:
        raise ValueError(f"{name} must have shape (T, B, C) with T, B, C >= 1; got {Y.shape}")
    return Y


# ----------------------------------------------------------------------------- the recursions
def _extend(labels: list[NDArray], blank: int) -> tuple[NDArray, NDArray, NDArray]:
    """Extended labellings ``l'`` (blank-padded to the longest), the skip mask and ``S_b``.

    Returns ``ext`` ``(B, 2 S_max + 1)`` int64, ``skip`` ``(B, 2 S_max + 1)`` bool (the step
    ``s - 2 -> s`` is allowed: ``l'_s`` is a label different from ``l'_{s-2}``) and the label
    lengths ``(B,)``.
    """
    B = len(labels)
    S = np.array([l.size for l in labels], dtype=np.int64)
    width = 2 * int(S.max(initial=0)) + 1
    ext = np.full((B, width), blank, dtype=np.int64)
    for b, l in enumerate(labels):
        ext[b, 1 : 2 * l.size : 2] = l
    skip = np.zeros((B, width), dtype=bool)
    skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
    skip &= ext != blank
    return ext, skip, S


def _forward_backward(
    log_probs: NDArray, ext: NDArray, skip: NDArray, input_lengths: NDArray, S: NDArray
) -> tuple[NDArray, NDArray, NDArray]:
    """Log forward and backward variables and the log-likelihood of each labelling.

    ``log_probs`` is ``(T, B, C)``. Returns ``log_alpha`` and ``log_beta`` ``(T, B, S')`` and
    ``log_p`` ``(B,)``. Past a sequence's length ``alpha`` stays at its last value and ``beta``
    at its initial value; the caller masks those steps.
    """
    T, B, _ = log_probs.shape
    width = ext.shape[1]
    ninf = -np.inf
    ly = log_probs[:, np.arange(B)[:, None], ext]  # (T, B, S'): log y^t_{l'_s}
    active = np.arange(T)[:, None] < input_lengths[None, :]  # (T, B)
    skip_from = np.where(skip[:, 2:], 0.0, ninf)  # (B, S'-2): log [s-2 -> s allowed]

    log_alpha = np.full((T, B, width), ninf)
    log_alpha[0, :, 0] = ly[0, :, 0]
    has_label = S > 0
    if width > 1:
        log_alpha[0, has_label, 1] = ly[0, has_label, 1]
    for t in range(1, T):
        a = log_alpha[t - 1]  # (B, S')
        new = a.copy()
        new[:, 1:] = np.logaddexp(new[:, 1:], a[:, :-1])
        new[:, 2:] = np.logaddexp(new[:, 2:], a[:, :-2] + skip_from)
        new += ly[t]
        log_alpha[t] = np.where(active[t][:, None], new, a)

    rows = np.arange(B)
    end = 2 * S  # index of the final blank in l' (0-based)
    log_p = np.logaddexp(
        log_alpha[-1, rows, end], np.where(has_label, log_alpha[-1, rows, end - 1], ninf)
    )

    init = np.full((B, width), ninf)
    init[rows, end] = 0.0
    init[rows[has_label], end[has_label] - 1] = 0.0
    log_beta = np.empty((T, B, width))
    log_beta[-1] = init
    last = input_lengths - 1  # (B,)
    for t in range(T - 2, -1, -1):
        nb = log_beta[t + 1] + ly[t + 1]  # (B, S'): enter s' at step t + 1
        new = nb.copy()
        new[:, :-1] = np.logaddexp(new[:, :-1], nb[:, 1:])
        new[:, :-2] = np.logaddexp(new[:, :-2], nb[:, 2:] + skip_from)
        log_beta[t] = np.where((t >= last)[:, None], init, new)
    return log_alpha, log_beta, log_p


def _ctc_per_sequence(
    logits: NDArray, labels: list[NDArray], input_lengths: NDArray, blank: int
) -> tuple[NDArray, NDArray, NDArray]:
    """Per-sequence losses ``(B,)``, their gradients ``(T, B, C)`` and the posteriors ``gamma``.

    ``gradient[:, b]`` is the gradient of ``loss[b]`` alone; steps past a length are zero.
    """
    T, B, C = logits.shape
    log_probs = log_softmax(logits.astype(np.float64, copy=False), axis=2)  # (T, B, C)
    ext, skip, S = _extend(labels, blank)
    log_alpha, log_beta, log_p = _forward_backward(log_probs, ext, skip, input_lengths, S)
    active = (np.arange(T)[:, None] < input_lengths[None, :])[:, :, None]  # (T, B, 1)
    gamma = np.where(active, np.exp(log_alpha + log_beta - log_p[None, :, None]), 0.0)  # (T,B,S')
    onehot = np.eye(C)[ext]  # (B, S', C)
    occupancy = np.einsum("tbs,bsc->tbc", gamma, onehot)  # (T, B, C): sum_{s: l'_s = k} gamma
    grad = np.where(active, np.exp(log_probs) - occupancy, 0.0)
    return -log_p, grad, gamma


def _reduce(losses: NDArray, grad: NDArray, S: NDArray, reduction: str) -> tuple[Any, NDArray]:
    if reduction == "none":
        return losses, grad
    if reduction == "sum":
        return float(losses.sum()), grad
    # "mean", as PyTorch: each loss divided by its label length (at least 1), then the batch mean
    scale = 1.0 / (np.maximum(S, 1) * losses.size)  # (B,)
    return float((losses * scale).sum()), grad * scale[None, :, None]


def _prepare(
    logits: Any,
    targets: Any,
    input_lengths: Any,
    target_lengths: Any,
    blank: Any,
) -> tuple[NDArray, list[NDArray], NDArray, int]:
    Y = _check_logits(logits)
    T, B, C = Y.shape
    blank = _check_blank(blank, C)
    lengths = check_lengths(input_lengths, T, B, name="input_lengths")
    lengths = np.full(B, T, dtype=np.int64) if lengths is None else lengths
    labels = _label_lists(targets, target_lengths, B, "targets")
    _check_labels(labels, lengths, C, blank, "targets")
    return Y, labels, lengths, blank


# ----------------------------------------------------------------------------- public functions
def ctc_loss(
    logits: Any,
    targets: Any,
    input_lengths: Any = None,
    target_lengths: Any = None,
    *,
    blank: int = 0,
    reduction: str = "mean",
) -> tuple[Any, NDArray]:
    """CTC loss of ``softmax(logits)`` and its gradient with respect to the logits.

    Parameters
    ----------
    logits : array_like, shape (T, B, C)
        Unnormalised scores, time-major; the softmax over the ``C`` classes (blank included)
        is part of the loss. Log-probabilities work too (``log_softmax`` leaves them unchanged).
    targets : list of B int sequences, or int array of shape (S, B)
        The labellings, without blanks: a list of label sequences (any lengths, empty allowed),
        or a time-major ``(S, B)`` array padded with negative numbers at the end of each column
        (or with anything, given ``target_lengths``).
    input_lengths : array_like of int, shape (B,), optional
        Steps of each sequence, in ``[1, T]`` (all ``T`` by default).
    target_lengths : array_like of int, shape (B,), optional
        Labels of each column of an ``(S, B)`` ``targets`` array.
    blank : int, default 0
        Index of the blank class.
    reduction : {"mean", "sum", "none"}, default "mean"
        As :func:`torch.nn.functional.ctc_loss`: ``"mean"`` divides each sequence's loss by its
        number of labels (at least 1) and averages over the batch; ``"sum"`` adds the losses;
        ``"none"`` returns them all.

    Returns
    -------
    value : float, or ndarray of shape (B,) for ``reduction="none"``
    dlogits : ndarray, shape (T, B, C), dtype of ``logits``
        The gradient of ``value`` (for ``"none"``: column ``b`` is the gradient of
        ``value[b]``); zero past each input length.

    Raises
    ------
    ValueError
        Labels out of ``[0, C)``, a label equal to ``blank``, a labelling that needs more steps
        than its input has (:func:`ctc_min_length`), lengths out of range, NaN or inf logits.

    Examples
    --------
    Two steps, classes (blank, "a"), uniform outputs: the paths ``a a``, ``a -``, ``- a`` give
    "a", each of probability 1/4.

    >>> import numpy as np
    >>> value, dlogits = ctc_loss(np.zeros((2, 1, 2)), [[1]])
    >>> bool(np.isclose(value, -np.log(3 / 4)))
    True
    >>> dlogits[:, 0]                        # softmax minus the posterior of each class
    array([[ 0.16666667, -0.16666667],
           [ 0.16666667, -0.16666667]])
    """
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    Y, labels, lengths, blank = _prepare(logits, targets, input_lengths, target_lengths, blank)
    losses, grad, _ = _ctc_per_sequence(Y, labels, lengths, blank)
    S = np.array([l.size for l in labels])
    value, grad = _reduce(losses, grad, S, reduction)
    return value, grad.astype(Y.dtype, copy=False)


def ctc_posteriors(
    logits: Any,
    targets: Any,
    input_lengths: Any = None,
    target_lengths: Any = None,
    *,
    blank: int = 0,
) -> tuple[NDArray, NDArray]:
    r"""The CTC alignment posteriors :math:`\gamma_t(s)` over the extended labellings.

    :math:`\gamma_t(s)` is the probability, given the input and the labelling, that the path is
    at position ``s`` of :math:`l' = (-, l_1, -, \ldots, l_S, -)` at step ``t``: the soft
    alignment CTC trains with. Each column sums to 1 over ``s`` at every step within the input.

    Parameters
    ----------
    logits, targets, input_lengths, target_lengths, blank
        As for :func:`ctc_loss`.

    Returns
    -------
    gamma : ndarray, shape (T, B, 2 S_max + 1)
        Zero past each input length and past each sequence's own ``2 S_b + 1`` positions.
    extended : ndarray of int, shape (B, 2 S_max + 1)
        The symbol at each position (the blank in the padding).

    Examples
    --------
    >>> import numpy as np
    >>> gamma, extended = ctc_posteriors(np.zeros((2, 1, 2)), [[1]])
    >>> extended[0], np.round(gamma[:, 0] * 3, 6)       # positions (-, a, -)
    (array([0, 1, 0]), array([[1., 2., 0.],
           [0., 2., 1.]]))
    """
    Y, labels, lengths, blank = _prepare(logits, targets, input_lengths, target_lengths, blank)
    _, _, gamma = _ctc_per_sequence(Y, labels, lengths, blank)
    ext, _, _ = _extend(labels, blank)
    return gamma, ext


# ----------------------------------------------------------------------------- the Loss
def _input_lengths_from_weights(weights: NDArray, name: str) -> NDArray:
    """Each column's number of leading 1s, checking the weights are 0/1 and a prefix."""
    T = weights.shape[0]
    lengths = (weights > 0).sum(axis=0).astype(np.int64)
    prefix = np.arange(T)[:, None] < lengths[None, :]
    if not np.array_equal(weights, prefix.astype(weights.dtype)):
        raise ValueError(
            f"{name} must be 0/1 and select a prefix of each sequence (a length mask): CTC "
            "scores whole sequences and cannot weight single steps; give lengths instead"
        )
    if lengths.size and lengths.min() < 1:
        raise ValueError(f"{name} selects no step of sequence {int(np.argmin(lengths))}")
    return lengths


class CTC(Loss):
    """CTC loss (Graves et al. 2006) on logits, as a :class:`Loss` that :func:`fit` can use.

    ``loss(Y, target, mask=None, lengths=None)`` takes the model's outputs ``Y`` ``(T, B, C)``
    (logits over the labels and the blank), the labellings ``target`` -- a list of ``B`` label
    sequences or a time-major ``(S, B)`` int array padded with ``-1`` -- and the input
    ``lengths``; ``mask``, if given, must be a length mask (0/1, a prefix of each sequence).
    See :func:`ctc_loss` for the computation and the checks.

    Parameters
    ----------
    blank : int, default 0
        Index of the blank class.
    reduction : {"mean", "sum"}, default "mean"
        ``"mean"``: each sequence's loss divided by its number of labels (at least 1), averaged
        over the sequences (PyTorch's default); ``"sum"``: the sum over the minibatch.

    Notes
    -----
    CTC scores each sequence as a whole, so it cannot be split into truncated-BPTT chunks
    (``fit(..., tbptt=k)`` refuses it). :meth:`expand` stores the labellings as a ``(T, B)``
    int64 array padded with ``-1`` (a labelling never has more labels than its input has steps).

    Examples
    --------
    >>> import numpy as np
    >>> from recurrent_zoo.training import get_loss
    >>> loss = get_loss("ctc")
    >>> value, dY = loss(np.zeros((4, 2, 3)), [[1, 2], [2]], lengths=[4, 2])

    With uniform outputs over 3 classes, 15 of the 81 paths of 4 steps give ``1 2`` and 3 of
    the 9 paths of 2 steps give ``2``; "mean" divides by the label counts, 2 and 1:

    >>> bool(np.isclose(value, (-np.log(15 / 81) / 2 - np.log(3 / 9) / 1) / 2)), dY.shape
    (True, (4, 2, 3))
    """

    name = "ctc"
    sequence_level = True

    def __init__(self, blank: int = 0, reduction: str = "mean") -> None:
        if isinstance(blank, (bool, np.bool_)) or not isinstance(blank, (int, np.integer)):
            raise TypeError(f"blank must be an integer class index; got {blank!r}")
        if blank < 0:
            raise ValueError(f"blank must be a class index >= 0; got {blank}")
        self.blank = int(blank)
        self.reduction = check_choice(reduction, "reduction", ("mean", "sum"))

    def expand(
        self,
        shape: tuple[int, ...],
        target: Any,
        mask: Any = None,
        lengths: Any = None,
        *,
        target_name: str = "target",
    ) -> tuple[NDArray, NDArray]:
        T, B, C = shape
        blank = _check_blank(self.blank, C)
        lengths = check_lengths(lengths, T, B)
        weights = np.ones((T, B))
        if lengths is not None:
            weights *= np.arange(T)[:, None] < lengths[None, :]
        if mask is not None:
            m = check_array(
                mask, "mask", shape=(T, B), dtype=np.float64, shape_doc=f"(T={T}, B={B})"
            )
            _input_lengths_from_weights(m, "mask")
            weights *= m
        input_lengths = _input_lengths_from_weights(weights, "mask and lengths together")
        labels = _label_lists(target, None, B, target_name)
        _check_labels(labels, input_lengths, C, blank, target_name)
        padded = np.full((T, B), -1, dtype=np.int64)
        for b, l in enumerate(labels):
            padded[: l.size, b] = l
        return padded, weights

    def weighted_sum(
        self, Y: NDArray, target: NDArray, weights: NDArray
    ) -> tuple[float, NDArray, float]:
        input_lengths = _input_lengths_from_weights(weights, "weights")
        labels = [col[col >= 0] for col in target.T]
        losses, grad, _ = _ctc_per_sequence(Y, labels, input_lengths, self.blank)
        S = np.array([l.size for l in labels])
        if self.reduction == "sum":
            return float(losses.sum()), grad, 1.0
        scale = 1.0 / np.maximum(S, 1)  # (B,)
        return float((losses * scale).sum()), grad * scale[None, :, None], float(losses.size)

    def __repr__(self) -> str:
        return f"CTC(blank={self.blank}, reduction={self.reduction!r})"


# registered here, where the class is defined (losses.py cannot import this module back)
LOSSES["ctc"] = CTC
