r"""Decoding: greedy and beam search for encoder-decoder models; CTC best path and prefix beam.

Encoder-decoder models
----------------------
A decoder (:class:`~recurrent_zoo.attention_decoder.AttentionDecoder` and a readout, or any
recurrent net started from an encoder's state) defines the probability of an output sequence
one token at a time, :math:`p(y \mid x) = \prod_t p(y_t \mid y_{<t}, x)`, the sequence ending
with an *end* token. The searches below see the model only through a ``step`` function,

``step(tokens, state) -> (logits, state)``
    ``tokens``: ``(n,)`` int64, the last token of each of ``n`` hypotheses (the *start* token
    first); ``logits``: ``(n, V)``, unnormalised scores of the next token (a log-softmax is
    applied); ``state``: whatever the model carries (an array, or a tuple or list of arrays,
    possibly nested, ``None`` allowed), each array with the hypotheses along its **first axis**.
    The searches reorder, repeat and drop hypotheses by indexing that axis.

:func:`greedy_search`
    Take the most probable token at every step until *end* or ``max_length`` tokens. Cheap,
    but a locally best token can lead to a poor sequence.

:func:`beam_search`
    Keep the ``beam_width`` most probable prefixes (the left-to-right beam search of
    Sutskever, Vinyals & Le 2014, sec. 3.1): at each step every kept prefix is extended by
    every token, and the ``beam_width`` extensions of highest
    :math:`\log p(y_{\le t} \mid x)` are kept; an extension ending in *end* leaves the beam as
    a finished hypothesis. Finished hypotheses are ranked by
    :math:`\log p(y \mid x) / |y|^\alpha` (``length_penalty`` :math:`= \alpha`, :math:`|y|`
    counting the *end* token): :math:`\alpha = 0`, the default, ranks by probability, which
    favours short outputs; :math:`\alpha = 1` by the mean log-probability per token (Wu et
    al. 2016, sec. 7, use the variant :math:`((5 + |y|)/6)^\alpha`). The search stops once no
    kept prefix can still beat the best finished hypothesis (a prefix's log-probability only
    falls as it grows), or at ``max_length``, where unfinished prefixes count as finished.
    With ``beam_width=1`` it is greedy search; with a beam wide enough never to drop a prefix
    it is an exhaustive search (``tests/test_decoding.py`` checks both).

CTC
---
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

I. Sutskever, O. Vinyals and Q. V. Le, "Sequence to sequence learning with neural networks",
NeurIPS 2014 (beam search for a recurrent decoder).

Y. Wu et al., "Google's neural machine translation system: bridging the gap between human and
machine translation", arXiv:1609.08144, 2016 (length normalisation).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._core.ops import log_softmax
from ._core.validation import (
    NDArray,
    check_array,
    check_lengths,
    check_positive_int,
    check_real,
)

__all__ = ["greedy_search", "beam_search", "ctc_greedy_decode", "ctc_beam_search"]


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


# ----------------------------------------------------------------------------- encoder-decoder
def _leaves(state: Any) -> list[NDArray]:
    """The arrays of a (nested) state."""
    if state is None:
        return []
    if isinstance(state, (tuple, list)):
        return [a for s in state for a in _leaves(s)]
    if isinstance(state, np.ndarray):
        return [state]
    raise TypeError(
        "state must be an ndarray, None, or a tuple or list of them (nested); "
        f"got {type(state).__name__}"
    )


def _take(state: Any, rows: NDArray) -> Any:
    """``state`` with every array indexed by ``rows`` along its first axis."""
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(_take(s, rows) for s in state)
    return state[rows]


def _check_token(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer token index; got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a token index >= 0; got {value}")
    return int(value)


def _search_setup(
    step: Any, state: Any, batch_size: Any, start: Any, end: Any, max_length: Any
) -> tuple[int, int, int, int]:
    if not callable(step):
        raise TypeError(f"step must be callable as step(tokens, state); got {step!r}")
    sizes = {a.shape[0] if a.ndim else None for a in _leaves(state)}
    if None in sizes:
        raise ValueError("every array of state must have the hypotheses along a first axis")
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
        sizes.add(batch_size)
    if not sizes:
        raise ValueError("give batch_size when state holds no arrays")
    if len(sizes) > 1:
        raise ValueError(
            f"the arrays of state (and batch_size) disagree on the batch size: {sorted(sizes)}"
        )
    B = sizes.pop()
    return (
        B,
        _check_token(start, "start"),
        _check_token(end, "end"),
        check_positive_int(max_length, "max_length"),
    )


def _step_log_probs(step: Any, tokens: NDArray, state: Any, end: int) -> tuple[NDArray, Any]:
    """Call ``step``, check its logits and return their log-softmax with the new state."""
    out = step(tokens, state)
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError("step must return a pair (logits, state)")
    logits, new_state = out
    n = len(tokens)
    # -inf is allowed (a token the model rules out); NaN and +inf are not
    logits = check_array(logits, "the logits step returned", ndim=2, dtype=np.float64, finite=False)
    if np.isnan(logits).any() or np.isposinf(logits).any():
        raise ValueError("the logits step returned must not hold NaN or +inf")
    if np.isneginf(logits).all(axis=1).any():
        raise ValueError("the logits step returned must leave some token possible in every row")
    if logits.shape[0] != n or logits.shape[1] <= end:
        raise ValueError(
            f"step must return logits of shape (n={n}, V) with V > end={end}; got {logits.shape}"
        )
    return log_softmax(logits, axis=1), new_state


def greedy_search(
    step: Any,
    state: Any,
    *,
    start: int,
    end: int,
    max_length: int,
    batch_size: int | None = None,
    return_scores: bool = False,
) -> Any:
    """Greedy decoding: the most probable next token at every step, until ``end``.

    Parameters
    ----------
    step : callable
        ``step(tokens, state) -> (logits, state)``; see the module docstring.
    state : ndarray, tuple or list of ndarrays (nested), or None
        The decoder's state for the ``B`` inputs, batch along every array's first axis.
    start, end : int
        The token fed first, and the token that ends a sequence.
    max_length : int
        The most tokens generated per sequence (``end`` included).
    batch_size : int, optional
        ``B``; needed only when ``state`` holds no arrays.
    return_scores : bool, default False
        Also return each sequence's log-probability (``end`` included when generated).

    Returns
    -------
    tokens : list of B int64 arrays
        Each sequence without ``start`` and ``end``.
    scores : ndarray of shape (B,), only with ``return_scores=True``

    Examples
    --------
    A toy "decoder" whose next token is always its last token plus one (token 3 ends):

    >>> import numpy as np
    >>> def step(tokens, state):
    ...     return 5.0 * np.eye(4)[np.minimum(tokens + 1, 3)], state
    >>> greedy_search(step, None, start=0, end=3, max_length=10, batch_size=2)
    [array([1, 2]), array([1, 2])]
    """
    B, start, end, max_length = _search_setup(step, state, batch_size, start, end, max_length)
    rows = np.arange(B)  # the inputs whose sequence is still running
    tokens = np.full(B, start, dtype=np.int64)
    out: list[list[int]] = [[] for _ in range(B)]
    scores = np.zeros(B)
    for _ in range(max_length):
        log_probs, state = _step_log_probs(step, tokens, state, end)
        choice = log_probs.argmax(axis=1)
        scores[rows] += log_probs[np.arange(len(rows)), choice]
        running = choice != end
        for r, c in zip(rows[running].tolist(), choice[running].tolist(), strict=True):
            out[r].append(c)
        if not running.any():
            break
        keep = np.flatnonzero(running)
        rows, tokens, state = rows[keep], choice[keep], _take(state, keep)
    result = [np.array(seq, dtype=np.int64) for seq in out]
    return (result, scores) if return_scores else result


def beam_search(
    step: Any,
    state: Any,
    *,
    start: int,
    end: int,
    max_length: int,
    beam_width: int = 5,
    length_penalty: float = 0.0,
    batch_size: int | None = None,
    return_scores: bool = False,
) -> Any:
    """Beam search: the best of the hypotheses found keeping ``beam_width`` prefixes per input.

    Parameters
    ----------
    step : callable
        ``step(tokens, state) -> (logits, state)``; see the module docstring. It is called on
        every kept prefix of every input at once.
    state : ndarray, tuple or list of ndarrays (nested), or None
        The decoder's state for the ``B`` inputs, batch along every array's first axis.
    start, end : int
        The token fed first, and the token that ends a sequence.
    max_length : int
        The most tokens generated per sequence (``end`` included); a prefix that reaches it
        unfinished is taken as it is.
    beam_width : int, default 5
        Prefixes kept per input.
    length_penalty : float, default 0.0
        :math:`\\alpha`: finished hypotheses are ranked by :math:`\\log p(y|x) / |y|^\\alpha`.
    batch_size : int, optional
        ``B``; needed only when ``state`` holds no arrays.
    return_scores : bool, default False
        Also return each chosen sequence's log-probability :math:`\\log p(y \\mid x)`.

    Returns
    -------
    tokens : list of B int64 arrays
        Each input's best sequence, without ``start`` and ``end``.
    scores : ndarray of shape (B,), only with ``return_scores=True``

    Examples
    --------
    A distribution over sequences of the tokens 1 and 2 (0 ends them) set by hand, as a tree of
    prefixes whose node is the decoder's state. Greedy search takes "1" (0.6), but every
    continuation of "1" is poor: it ends with probability 0.6 x 0.5 = 0.3. Beam search also
    keeps "2" and finds "2 2", of probability 0.4 x 0.9 x 1 = 0.36:

    >>> import numpy as np
    >>> P = np.array([[0.0, 0.6, 0.4],      # p(end, "1", "2") at the root
    ...               [0.5, 0.25, 0.25],    # after "1"
    ...               [0.1, 0.0, 0.9],      # after "2"
    ...               [1.0, 0.0, 0.0]])     # anywhere else: the end
    >>> child = np.array([[3, 1, 2], [3, 3, 3], [3, 3, 3], [3, 3, 3]])  # node after a token
    >>> START = 3
    >>> def step(tokens, nodes):
    ...     nodes = np.where(tokens == START, nodes, child[nodes, np.minimum(tokens, 2)])
    ...     with np.errstate(divide="ignore"):
    ...         return np.log(P[nodes]), nodes  # log 0 = -inf: that token is impossible
    >>> root = np.zeros(1, dtype=int)       # one input
    >>> greedy_search(step, root, start=START, end=0, max_length=5)
    [array([1])]
    >>> tokens, scores = beam_search(step, root, start=START, end=0, max_length=5, beam_width=2,
    ...                              return_scores=True)
    >>> tokens, np.exp(scores).round(6)
    ([array([2, 2])], array([0.36]))
    """
    B, start, end, max_length = _search_setup(step, state, batch_size, start, end, max_length)
    beam_width = check_positive_int(beam_width, "beam_width")
    alpha = check_real(length_penalty, "length_penalty", low=0.0)
    if not isinstance(return_scores, (bool, np.bool_)):
        raise TypeError(f"return_scores must be True or False; got {return_scores!r}")
    # the kept prefixes of every input, grouped by input: owner[i] is prefix i's input
    owner = np.arange(B)
    prefixes: list[tuple[int, ...]] = [()] * B
    log_p = np.zeros(B)
    tokens = np.full(B, start, dtype=np.int64)
    # each input's best finished hypothesis: (ranking score, log p, tokens)
    best: list[tuple[float, float, tuple[int, ...]] | None] = [None] * B
    for length in range(1, max_length + 1):
        log_probs, state = _step_log_probs(step, tokens, state, end)
        V = log_probs.shape[1]
        totals = log_p[:, None] + log_probs  # (n, V): log p of every extension
        parents, chosen, kept_log_p = [], [], []
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        for a, z in zip(starts, np.r_[starts[1:], len(owner)], strict=True):
            b = int(owner[a])
            flat = totals[a:z].ravel()
            # the beam_width best extensions; ties go to the earlier prefix, then the lower token
            order = np.argsort(-flat, kind="stable")[:beam_width]
            for k in order.tolist():
                parent, token, value = a + k // V, k % V, float(flat[k])
                seq = prefixes[parent] + (token,)
                if token == end or length == max_length:
                    rank = value / length**alpha
                    if best[b] is None or rank > best[b][0]:  # type: ignore[index]
                        best[b] = (rank, value, seq[:-1] if token == end else seq)
                else:
                    parents.append(parent)
                    chosen.append(token)
                    kept_log_p.append(value)
        if not parents:
            break
        keep = np.array(parents)
        owner, log_p = owner[keep], np.array(kept_log_p)
        prefixes = [prefixes[p] + (t,) for p, t in zip(parents, chosen, strict=True)]
        # an input is done once no kept prefix can beat its best finished hypothesis: a
        # prefix's log p only falls as it grows, so its best ranking score ahead is at most
        # log p / max_length^alpha (log p < 0)
        bound = log_p / max_length**alpha
        live = np.array([best[b] is None or bound[i] > best[b][0] for i, b in enumerate(owner)])  # type: ignore[index]
        if not live.any():
            break
        keep = np.flatnonzero(live)
        state = _take(state, np.asarray(parents)[keep])
        owner, log_p, tokens = owner[keep], log_p[keep], np.array(chosen)[keep]
        prefixes = [prefixes[i] for i in keep.tolist()]
    result, scores = [], np.empty(B)
    for b in range(B):
        entry = best[b]
        assert entry is not None  # every search ends with at least one finished hypothesis
        result.append(np.array(entry[2], dtype=np.int64))
        scores[b] = entry[1]
    return (result, scores) if return_scores else result
