r"""Decoding the outputs of a CTC-trained net: best path and prefix beam search.

A net trained with CTC (:class:`recurrent_zoo.training.CTC`) gives, at each step, a distribution
:math:`y^t` over the labels and the blank; the labelling it assigns to an input is the most
probable one,

.. math::

    l^* = \arg\max_l p(l \mid x), \qquad
    p(l \mid x) = \sum_{\pi \in \mathcal B^{-1}(l)} \prod_t y^t_{\pi_t},

where :math:`\mathcal B` merges repeated symbols and then removes blanks. Finding :math:`l^*`
exactly is intractable in general, so there are two approximations (Graves et al. 2006, sec. 3.2):

:func:`ctc_greedy_decode` (*best path*)
    Take the most probable symbol at every step, :math:`\pi^*_t = \arg\max_k y^t_k`, and return
    :math:`\mathcal B(\pi^*)`. This is the labelling of the single most probable *path*, which
    need not be the most probable *labelling*: many less probable paths can add up to more.

:func:`ctc_beam_search` (*prefix beam search*)
    Grow labellings left to right, keeping the ``beam_width`` most probable *prefixes*. For each
    prefix :math:`\ell` it carries two probabilities over the steps read so far: that of the
    paths mapping to :math:`\ell` and ending in a blank, :math:`p_b(\ell)`, and ending in a label,
    :math:`p_{nb}(\ell)` (Hannun et al. 2014, Algorithm 1, without the language model). At step
    :math:`t`, with :math:`c` the last label of :math:`\ell`:

    .. math::

        p_b'(\ell) &\mathrel{+}= y^t_-\, (p_b(\ell) + p_{nb}(\ell)) \\
        p_{nb}'(\ell) &\mathrel{+}= y^t_c\, p_{nb}(\ell) && \text{(the last label repeated)} \\
        p_{nb}'(\ell + k) &\mathrel{+}= y^t_k\, (p_b(\ell) + p_{nb}(\ell))
            && k \ne c \\
        p_{nb}'(\ell + c) &\mathrel{+}= y^t_c\, p_b(\ell) && \text{(a repeat needs a blank)}

    and keeps the ``beam_width`` prefixes of largest :math:`p_b + p_{nb}`. The sums run in log
    space. When no prefix is ever dropped, :math:`p_b + p_{nb}` at the end is exactly
    :math:`p(\ell \mid x)`, so a wide enough beam finds :math:`l^*` itself
    (``tests/test_decoding_ctc.py`` checks it against all alignments of small cases).

Both take the outputs as time-major logits ``(T, B, C)`` (log-probabilities work as well: the
log-softmax leaves them unchanged) and optional ``lengths``, and return one label array per
sequence, blanks removed.

References
----------
A. Graves, S. Fernández, F. Gomez and J. Schmidhuber, "Connectionist temporal classification:
labelling unsegmented sequence data with recurrent neural networks", ICML 2006.

A. Y. Hannun, A. L. Maas, D. Jurafsky and A. Y. Ng, "First-pass large vocabulary continuous
speech recognition using bi-directional recurrent DNNs", arXiv:1408.2873, 2014.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._core.ops import log_softmax
from ._core.validation import NDArray, check_array, check_lengths, check_positive_int

__all__ = ["ctc_greedy_decode", "ctc_beam_search"]


def _check_ctc_outputs(logits: Any, lengths: Any, blank: Any) -> tuple[NDArray, NDArray, int]:
    Y = check_array(logits, "logits", ndim=3, dtype=np.float64, shape_doc="(T, B, C)")
    T, B, C = Y.shape
    if T < 1 or B < 1 or C < 1:
        raise ValueError(f"logits must have shape (T, B, C) with T, B, C >= 1; got {Y.shape}")
    if isinstance(blank, (bool, np.bool_)) or not isinstance(blank, (int, np.integer)):
        raise TypeError(f"blank must be an integer class index; got {blank!r}")
    if not 0 <= blank < C:
        raise ValueError(f"blank must be a class index in [0, C={C}); got {blank}")
    checked = check_lengths(lengths, T, B)
    return Y, (np.full(B, T, dtype=np.int64) if checked is None else checked), int(blank)


def ctc_greedy_decode(logits: Any, lengths: Any = None, *, blank: int = 0) -> list[NDArray]:
    """Best-path decoding: the most probable symbol per step, repeats merged, blanks removed.

    Parameters
    ----------
    logits : array_like, shape (T, B, C)
        Time-major outputs (logits, log-probabilities or probabilities: only the argmax counts).
    lengths : array_like of int, shape (B,), optional
        Steps of each sequence (all ``T`` by default).
    blank : int, default 0

    Returns
    -------
    list of B int64 arrays
        Each sequence's labels.

    Examples
    --------
    Per-step argmax ``a a - a b b -`` (classes: blank, a=1, b=2) gives ``a a b``:

    >>> import numpy as np
    >>> path = [1, 1, 0, 1, 2, 2, 0]
    >>> logits = np.eye(3)[path][:, None, :]             # (T=7, B=1, C=3)
    >>> ctc_greedy_decode(logits)
    [array([1, 1, 2])]
    """
    Y, lengths, blank = _check_ctc_outputs(logits, lengths, blank)
    best = Y.argmax(axis=2)  # (T, B)
    out = []
    for b, n in enumerate(lengths):
        path = best[:n, b]
        keep = np.ones(n, dtype=bool)
        keep[1:] = path[1:] != path[:-1]
        out.append(path[keep & (path != blank)].astype(np.int64))
    return out


def _logaddexp(a: float, b: float) -> float:
    """``log(exp(a) + exp(b))`` on Python floats (numpy's ufunc costs more on scalars)."""
    if a < b:
        a, b = b, a
    if b == -math.inf:
        return a
    return a + math.log1p(math.exp(b - a))


def _add(
    table: dict[tuple[int, ...], list[float]], prefix: tuple[int, ...], which: int, value: float
) -> None:
    """Add probability ``exp(value)`` to ``table[prefix][which]`` (0: ends in blank, 1: not)."""
    entry = table.setdefault(prefix, [-math.inf, -math.inf])
    entry[which] = _logaddexp(entry[which], value)


def _beam_search_one(
    log_probs: NDArray, beam_width: int, blank: int
) -> tuple[tuple[int, ...], float]:
    """Prefix beam search over one sequence's ``(T, C)`` log-probabilities."""
    # prefix -> [log p_b, log p_nb] over the steps read so far
    beam: dict[tuple[int, ...], list[float]] = {(): [0.0, -math.inf]}
    labels = [k for k in range(log_probs.shape[1]) if k != blank]
    for row in log_probs:
        lp = row.tolist()
        nxt: dict[tuple[int, ...], list[float]] = {}
        for prefix, (pb, pnb) in beam.items():
            total = _logaddexp(pb, pnb)
            _add(nxt, prefix, 0, total + lp[blank])  # a blank: the prefix now ends in blank
            last = prefix[-1] if prefix else None
            if last is not None:
                _add(nxt, prefix, 1, pnb + lp[last])  # the last label again, merged into it
            for k in labels:
                if k == last:
                    _add(nxt, prefix + (k,), 1, pb + lp[k])  # a repeat, after a blank
                else:
                    _add(nxt, prefix + (k,), 1, total + lp[k])
        ranked = sorted(nxt.items(), key=lambda item: -_logaddexp(*item[1]))
        beam = dict(ranked[:beam_width])
    best, (pb, pnb) = max(beam.items(), key=lambda item: _logaddexp(*item[1]))
    return best, _logaddexp(pb, pnb)


def ctc_beam_search(
    logits: Any,
    lengths: Any = None,
    *,
    beam_width: int = 10,
    blank: int = 0,
    return_scores: bool = False,
) -> Any:
    """Prefix beam search: the most probable labelling among ``beam_width`` kept prefixes.

    Parameters
    ----------
    logits : array_like, shape (T, B, C)
        Time-major logits or log-probabilities (a log-softmax is applied over ``C``).
    lengths : array_like of int, shape (B,), optional
        Steps of each sequence (all ``T`` by default).
    beam_width : int, default 10
        Prefixes kept after each step.
    blank : int, default 0
    return_scores : bool, default False
        Also return each labelling's log-probability :math:`\\log(p_b + p_{nb})` as the search
        computed it: exactly :math:`\\log p(l \\mid x)` when no prefix was dropped, a lower bound
        otherwise.

    Returns
    -------
    labels : list of B int64 arrays
    scores : ndarray of shape (B,), only with ``return_scores=True``

    Examples
    --------
    The most probable path (``- -``, probability 0.36) is not the most probable labelling:
    "a" collects ``a a``, ``a -`` and ``- a``, 0.16 + 0.24 + 0.24 = 0.64.

    >>> import numpy as np
    >>> probs = np.array([[[0.6, 0.4]], [[0.6, 0.4]]])   # (T=2, B=1, C=2): blank, "a"
    >>> ctc_greedy_decode(np.log(probs)), ctc_beam_search(np.log(probs))
    ([array([], dtype=int64)], [array([1])])
    >>> labels, scores = ctc_beam_search(np.log(probs), return_scores=True)
    >>> round(float(np.exp(scores[0])), 6)
    0.64
    """
    Y, lengths, blank = _check_ctc_outputs(logits, lengths, blank)
    beam_width = check_positive_int(beam_width, "beam_width")
    if not isinstance(return_scores, (bool, np.bool_)):
        raise TypeError(f"return_scores must be True or False; got {return_scores!r}")
    log_probs = log_softmax(Y, axis=2)  # (T, B, C)
    labels, scores = [], np.empty(len(lengths))
    for b, n in enumerate(lengths):
        best, score = _beam_search_one(log_probs[:n, b], beam_width, blank)
        labels.append(np.array(best, dtype=np.int64))
        scores[b] = score
    return (labels, scores) if return_scores else labels
