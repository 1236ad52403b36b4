r"""The differentiable neural computer's memory access, each a forward/backward pair.

What the DNC (Graves et al. 2016, "Methods: memory addressing") adds to the neural Turing
machine's content addressing, read and erase/add write (:mod:`recurrent_zoo._core.memory`):
*dynamic memory allocation* (a usage per slot, freed by the read heads' free gates, and an
allocation weighting that points at the least used slots) and *temporal memory linkage* (a link
matrix that remembers in which order slots were written, so that read heads can move forwards
and backwards through what was written). One small function per mechanism, as in DeepMind's
``dnc`` ``addressing.py``; each forward returns its output (and a cache where one helps), each
backward takes the gradient of the loss with respect to the output and returns the gradients
with respect to the inputs. Shapes, with ``B`` the batch, ``R`` the read heads, ``N`` the slots
and ``W`` the word size (one write head, as in the paper):

=======================  =================  ================================================
argument                 shape              meaning
=======================  =================  ================================================
``free_gates``           ``(B, R)``         :math:`f^i_t \in [0, 1]`
``read_weights``         ``(B, R, N)``      :math:`w^{r,i}_t`, one weighting per read head
``write_weights``        ``(B, N)``         :math:`w^w_t`
``usage``                ``(B, N)``         :math:`u_t \in [0, 1]^N`
``precedence``           ``(B, N)``         :math:`p_t`
``link``                 ``(B, N, N)``      :math:`L_t`; ``link[b, i, j]``: how much slot ``i``
                                            was written right after slot ``j``
``read_modes``           ``(B, R, 3)``      :math:`\pi^i_t`: backward, content, forward
=======================  =================  ================================================

The equations (the paper's methods section; :math:`\circ` is the elementwise product):

.. math::

    \psi_t &= \textstyle\prod_{i=1}^R (1 - f^i_t w^{r,i}_{t-1})
        && \text{(retention)} \\
    u_t &= (u_{t-1} + w^w_{t-1} - u_{t-1} \circ w^w_{t-1}) \circ \psi_t
        && \text{(usage)} \\
    a_t[\phi_t[j]] &= (1 - u_t[\phi_t[j]]) \textstyle\prod_{i=1}^{j-1} u_t[\phi_t[i]]
        && \text{(allocation; } \phi_t \text{ sorts } u_t \text{ ascending)} \\
    w^w_t &= g^w_t \big(g^a_t a_t + (1 - g^a_t) c^w_t\big)
        && \text{(write weighting)} \\
    p_t &= \big(1 - \textstyle\sum_i w^w_t[i]\big) p_{t-1} + w^w_t
        && \text{(precedence)} \\
    L_t[i, j] &= (1 - w^w_t[i] - w^w_t[j]) L_{t-1}[i, j] + w^w_t[i] p_{t-1}[j],
        \quad L_t[i, i] = 0 && \text{(temporal links)} \\
    f^i_t &= L_t w^{r,i}_{t-1}, \quad b^i_t = L_t^\top w^{r,i}_{t-1}
        && \text{(forward, backward)} \\
    w^{r,i}_t &= \pi^i_t[1] b^i_t + \pi^i_t[2] c^{r,i}_t + \pi^i_t[3] f^i_t
        && \text{(read modes)}

and the interface vector :math:`\xi_t` the controller emits is cut into its parts and squashed
into their ranges by :func:`parse_interface` (oneplus :math:`1 + \log(1 + e^x)` for the key
strengths, the logistic sigmoid for the erase vector and the gates, a softmax over the three
read modes; keys and the write vector are left as they are).

**The sort carries no gradient.** The allocation weighting depends on the usage through the
values it sorts and through the sort permutation :math:`\phi_t`; the permutation is piecewise
constant in the usage, so its derivative is zero wherever it is defined (everywhere except at
ties), and the gradient flows through the sorted values only -- as in DeepMind's reference, whose
``tf.nn.top_k`` passes gradients to the values it returns. Following that reference the usage is
first mapped to :math:`\epsilon + (1 - \epsilon) u` (:data:`ALLOCATION_EPS`), so that no slot's
usage is exactly 0 and the products stay differentiable; ties are broken by slot index (a stable
sort), so the result is deterministic.

**Sparse links.** For memories of thousands of slots the paper ("Sparse link matrix") keeps the
link matrix with at most ``K`` non-zeros per row and column: :func:`top_k_weighting` keeps the
``K`` largest entries of the write weighting and of the previous precedence,
:func:`sparse_link_update` applies the link equation to the sparse matrix (stored row-wise as
values and columns, ``(B, N, K)`` each) and prunes it, and :func:`sparse_directional_weightings`
computes the forward and backward weightings from it. With ``K >= N`` they give the dense
links exactly. As for the sort in the allocation, the top-``K`` selections and the pruning are
piecewise constant and carry no gradient; the gradient flows through the kept values.

Reference
---------
A. Graves, G. Wayne, M. Reynolds, T. Harley, I. Danihelka, A. Grabska-Barwinska, S. Gomez
Colmenarejo, E. Grefenstette, T. Ramalho, J. Agapiou, A. Puigdomenech Badia, K. M. Hermann,
Y. Zwols, G. Ostrovski, A. Cain, H. King, C. Summerfield, P. Blunsom, K. Kavukcuoglu and
D. Hassabis, "Hybrid computing using a neural network with dynamic external memory", Nature
538:471-476, 2016.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from .validation import NDArray

__all__ = [
    "ALLOCATION_EPS",
    "interface_layout",
    "parse_interface",
    "parse_interface_backward",
    "retention",
    "retention_backward",
    "usage_update",
    "usage_update_backward",
    "allocation",
    "allocation_backward",
    "write_weighting",
    "write_weighting_backward",
    "precedence_update",
    "precedence_update_backward",
    "link_update",
    "link_update_backward",
    "directional_weightings",
    "directional_weightings_backward",
    "read_weighting",
    "read_weighting_backward",
    "sparse_link_width",
    "sparse_link_init",
    "sparse_link_to_dense",
    "top_k_weighting",
    "top_k_weighting_backward",
    "sparse_link_update",
    "sparse_link_update_backward",
    "sparse_directional_weightings",
    "sparse_directional_weightings_backward",
]

#: usage is mapped to ``eps + (1 - eps) u`` before allocation (DeepMind's ``_EPSILON``)
ALLOCATION_EPS = 1e-6

_add = np.add.reduce

#: the parts of the interface vector, in the paper's order, with their squashing
_PARTS = (
    ("read_keys", "none"),
    ("read_strengths", "oneplus"),
    ("write_key", "none"),
    ("write_strength", "oneplus"),
    ("erase", "sigmoid"),
    ("write_vector", "none"),
    ("free_gates", "sigmoid"),
    ("allocation_gate", "sigmoid"),
    ("write_gate", "sigmoid"),
    ("read_modes", "softmax"),
)


# ----------------------------------------------------------------------------- interface
@functools.lru_cache(maxsize=64)
def interface_layout(read_heads: int, word_size: int) -> dict[str, Any]:
    r"""Where each part of the interface vector sits, and its shape per batch row.

    The paper's order: :math:`\xi_t = [k^{r,1..R}; \hat\beta^{r,1..R}; k^w; \hat\beta^w;
    \hat e; v; \hat f^{1..R}; \hat g^a; \hat g^w; \hat\pi^{1..R}]`, ``R W + 3 W + 5 R + 3``
    numbers in all (entry ``"size"``). Cached: the same dict for the same sizes (do not edit
    it).

    Examples
    --------
    >>> layout = interface_layout(2, 3)
    >>> layout["size"], layout["read_modes"]
    (28, (slice(22, 28, None), (2, 3)))
    """
    R, W = read_heads, word_size
    shapes = {
        "read_keys": (R, W),
        "read_strengths": (R,),
        "write_key": (1, W),
        "write_strength": (1,),
        "erase": (1, W),
        "write_vector": (1, W),
        "free_gates": (R,),
        "allocation_gate": (),
        "write_gate": (),
        "read_modes": (R, 3),
    }
    layout: dict[str, Any] = {}
    start = 0
    for name, _ in _PARTS:
        size = math.prod(shapes[name])
        layout[name] = (slice(start, start + size), shapes[name])
        start += size
    layout["size"] = start
    return layout


def parse_interface(
    raw: NDArray, read_heads: int, word_size: int
) -> tuple[dict[str, NDArray], tuple[Any, ...]]:
    r"""Cut the interface vector into its parts and squash each into its range.

    Parameters
    ----------
    raw : ndarray, shape (B, R W + 3 W + 5 R + 3)
    read_heads, word_size : int

    Returns
    -------
    parts : dict of str to ndarray
        ``read_keys`` (B, R, W), ``read_strengths`` (B, R) (oneplus, so >= 1), ``write_key``
        (B, 1, W), ``write_strength`` (B, 1), ``erase`` (B, 1, W) (sigmoid), ``write_vector``
        (B, 1, W), ``free_gates`` (B, R), ``allocation_gate`` (B,), ``write_gate`` (B,)
        (sigmoids), ``read_modes`` (B, R, 3) (softmax: backward, content, forward).
    cache : tuple, for :func:`parse_interface_backward`

    Examples
    --------
    >>> parts, _ = parse_interface(np.zeros((1, 28)), 2, 3)
    >>> parts["read_strengths"].round(4).tolist(), parts["write_gate"].tolist()
    ([[1.6931, 1.6931]], [0.5])
    >>> parts["read_modes"][0, 0].round(4).tolist()
    [0.3333, 0.3333, 0.3333]
    """
    layout = interface_layout(read_heads, word_size)
    B = raw.shape[0]
    parts: dict[str, NDArray] = {}
    for name, kind in _PARTS:
        sl, shape = layout[name]
        x = raw[:, sl].reshape((B, *shape))
        if kind == "none":
            y = x.copy()
        elif kind == "oneplus":
            y = 1.0 + np.logaddexp(0.0, x)
        elif kind == "sigmoid":
            y = expit(x)
        else:
            y = x - x.max(-1, keepdims=True)
            np.exp(y, out=y)
            y /= y.sum(-1, keepdims=True)
        parts[name] = y
    return parts, (raw, parts, read_heads, word_size)


def parse_interface_backward(dparts: dict[str, NDArray], cache: tuple[Any, ...]) -> NDArray:
    """Gradient of :func:`parse_interface` with respect to ``raw``, from the gradients with
    respect to the parts (a missing part counts as zero gradient)."""
    raw, parts, R, W = cache
    layout = interface_layout(R, W)
    B = raw.shape[0]
    draw = np.zeros_like(raw)
    for name, kind in _PARTS:
        d = dparts.get(name)
        if d is None:
            continue
        sl, _ = layout[name]
        y = parts[name]
        if kind == "none":
            g = d
        elif kind == "oneplus":
            g = d * expit(raw[:, sl].reshape(y.shape))  # softplus' = sigmoid
        elif kind == "sigmoid":
            g = d * y * (1.0 - y)
        else:
            g = y * (d - (d * y).sum(-1, keepdims=True))
        draw[:, sl] = g.reshape(B, -1)
    return draw


# ----------------------------------------------------------------------------- retention
def retention(free_gates: NDArray, read_weights: NDArray) -> NDArray:
    r"""The retention vector :math:`\psi_t = \prod_i (1 - f^i_t w^{r,i}_{t-1})`: how much of
    each slot is kept from being freed.

    Parameters
    ----------
    free_gates : ndarray, shape (B, R)
    read_weights : ndarray, shape (B, R, N)
        The previous step's read weightings.

    Returns
    -------
    ndarray, shape (B, N)

    Examples
    --------
    >>> retention(np.array([[1.0, 0.5]]), np.array([[[1.0, 0.0], [0.0, 1.0]]])).tolist()
    [[0.0, 0.5]]
    """
    return np.multiply.reduce(1.0 - free_gates[..., None] * read_weights, axis=1)


def retention_backward(
    dpsi: NDArray, free_gates: NDArray, read_weights: NDArray
) -> tuple[NDArray, NDArray]:
    """Gradients of :func:`retention` with respect to ``free_gates`` and ``read_weights``."""
    keeps = 1.0 - free_gates[..., None] * read_weights  # (B, R, N)
    R = keeps.shape[1]
    # the product of the other heads' factors, from prefix and suffix products (no division:
    # a factor can be 0)
    before = np.ones_like(keeps)
    after = np.ones_like(keeps)
    for i in range(1, R):
        before[:, i] = before[:, i - 1] * keeps[:, i - 1]
        after[:, R - 1 - i] = after[:, R - i] * keeps[:, R - i]
    dkeeps = dpsi[:, None, :] * before * after  # (B, R, N)
    dfree = -_add(dkeeps * read_weights, -1)
    dread = -dkeeps * free_gates[..., None]
    return dfree, dread


# ----------------------------------------------------------------------------- usage
def usage_update(usage: NDArray, write_weights: NDArray, psi: NDArray) -> NDArray:
    r"""The usage vector :math:`u_t = (u_{t-1} + w^w_{t-1} - u_{t-1} \circ w^w_{t-1}) \circ
    \psi_t`: writing raises a slot's usage towards 1, freeing lowers it.

    Parameters
    ----------
    usage : ndarray, shape (B, N)
        :math:`u_{t-1}`.
    write_weights : ndarray, shape (B, N)
        The previous step's write weighting :math:`w^w_{t-1}`.
    psi : ndarray, shape (B, N)
        The retention vector.

    Examples
    --------
    >>> usage_update(np.array([[0.5, 0.0]]), np.array([[0.5, 1.0]]), np.array([[1.0, 0.5]]))
    array([[0.75, 0.5 ]])
    """
    return (usage + write_weights - usage * write_weights) * psi


def usage_update_backward(
    du: NDArray, usage: NDArray, write_weights: NDArray, psi: NDArray
) -> tuple[NDArray, NDArray, NDArray]:
    """Gradients of :func:`usage_update` with respect to ``usage``, ``write_weights``, ``psi``."""
    dpre = du * psi
    return (
        dpre * (1.0 - write_weights),
        dpre * (1.0 - usage),
        du * (usage + write_weights - usage * write_weights),
    )


# ----------------------------------------------------------------------------- allocation
def allocation(usage: NDArray, eps: float = ALLOCATION_EPS) -> tuple[NDArray, tuple[Any, ...]]:
    r"""The allocation weighting: the least used slot gets :math:`1 - u`, each next one in order
    of usage what the ones before it leave, :math:`(1 - u_{\phi[j]}) \prod_{i < j} u_{\phi[i]}`.

    The usage is first mapped to :math:`\epsilon + (1 - \epsilon) u`. The sort permutation
    carries no gradient (see the module docstring); ties are broken by slot index.

    Parameters
    ----------
    usage : ndarray, shape (B, N), values in [0, 1]
    eps : float

    Returns
    -------
    weights : ndarray, shape (B, N)
    cache : tuple, for :func:`allocation_backward`

    Examples
    --------
    >>> a, _ = allocation(np.array([[1.0, 0.25, 0.5]]), eps=0.0)
    >>> a.tolist()                         # slot 1 (least used), then slot 2, then slot 0
    [[0.0, 0.75, 0.125]]
    """
    u = eps + (1.0 - eps) * usage
    order = np.argsort(u, axis=-1, kind="stable")  # phi, (B, N)
    s = np.take_along_axis(u, order, axis=-1)  # sorted usage, ascending
    prods = np.empty_like(s)  # exclusive cumulative products
    prods[:, 0] = 1.0
    np.cumprod(s[:, :-1], axis=-1, out=prods[:, 1:])
    a_sorted = (1.0 - s) * prods
    weights = np.empty_like(a_sorted)
    np.put_along_axis(weights, order, a_sorted, axis=-1)
    return weights, (order, s, prods, a_sorted, eps)


def allocation_backward(dweights: NDArray, cache: tuple[Any, ...]) -> NDArray:
    r"""Gradient of :func:`allocation` with respect to ``usage``, through the sorted values.

    With :math:`s` the sorted (mapped) usage, :math:`a_j = (1 - s_j) P_j` and
    :math:`P_j = \prod_{i<j} s_i`:
    :math:`\partial L / \partial s_j = -\bar a_j P_j + \sum_{k > j} \bar a_k a_k / s_j`
    (every :math:`s_j \ge \epsilon > 0`).
    """
    order, s, prods, a_sorted, eps = cache
    da = np.take_along_axis(dweights, order, axis=-1)
    contrib = da * a_sorted
    # sum over k > j: reverse cumulative sum, exclusive
    tail = np.zeros_like(contrib)
    tail[:, :-1] = np.cumsum(contrib[:, :0:-1], axis=-1)[:, ::-1]
    ds = tail / s - da * prods
    dusage = np.empty_like(ds)
    np.put_along_axis(dusage, order, ds, axis=-1)
    dusage *= 1.0 - eps
    return dusage


# ----------------------------------------------------------------------------- write weighting
def write_weighting(
    alloc: NDArray, content: NDArray, allocation_gate: NDArray, write_gate: NDArray
) -> NDArray:
    r""":math:`w^w_t = g^w_t (g^a_t a_t + (1 - g^a_t) c^w_t)`: write to fresh slots (allocation)
    or to the slot that matches the write key (content), or, with the write gate shut, nowhere.

    Parameters
    ----------
    alloc, content : ndarray, shape (B, N)
    allocation_gate, write_gate : ndarray, shape (B,)

    Examples
    --------
    >>> write_weighting(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), np.array([0.75]),
    ...                 np.array([0.5])).tolist()
    [[0.375, 0.125]]
    """
    ga, gw = allocation_gate[:, None], write_gate[:, None]
    return gw * (ga * alloc + (1.0 - ga) * content)


def write_weighting_backward(
    dww: NDArray, alloc: NDArray, content: NDArray, allocation_gate: NDArray, write_gate: NDArray
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Gradients of :func:`write_weighting` with respect to its four arguments."""
    ga, gw = allocation_gate[:, None], write_gate[:, None]
    mix = ga * alloc + (1.0 - ga) * content
    dmix = dww * gw
    return (
        dmix * ga,
        dmix * (1.0 - ga),
        _add(dmix * (alloc - content), -1),
        _add(dww * mix, -1),
    )


# ----------------------------------------------------------------------------- precedence
def precedence_update(precedence: NDArray, write_weights: NDArray) -> NDArray:
    r""":math:`p_t = (1 - \sum_i w^w_t[i]) p_{t-1} + w^w_t`: how much each slot was the last
    one written.

    Examples
    --------
    >>> precedence_update(np.array([[0.5, 0.5, 0.0]]), np.array([[0.0, 0.0, 0.5]])).tolist()
    [[0.25, 0.25, 0.5]]
    """
    return (1.0 - _add(write_weights, -1, keepdims=True)) * precedence + write_weights


def precedence_update_backward(
    dp: NDArray, precedence: NDArray, write_weights: NDArray
) -> tuple[NDArray, NDArray]:
    """Gradients of :func:`precedence_update` with respect to ``precedence``, ``write_weights``."""
    keep = 1.0 - _add(write_weights, -1, keepdims=True)
    return dp * keep, dp - _add(dp * precedence, -1, keepdims=True)


# ----------------------------------------------------------------------------- temporal links
def link_update(link: NDArray, write_weights: NDArray, precedence: NDArray) -> NDArray:
    r""":math:`L_t[i, j] = (1 - w^w_t[i] - w^w_t[j]) L_{t-1}[i, j] + w^w_t[i] p_{t-1}[j]`, with
    a zero diagonal (a slot does not follow itself).

    Parameters
    ----------
    link : ndarray, shape (B, N, N)
        :math:`L_{t-1}`.
    write_weights : ndarray, shape (B, N)
        :math:`w^w_t`.
    precedence : ndarray, shape (B, N)
        The *previous* precedence :math:`p_{t-1}`.

    Examples
    --------
    >>> L = link_update(np.zeros((1, 3, 3)), np.array([[0.0, 1.0, 0.0]]),
    ...                 np.array([[1.0, 0.0, 0.0]]))
    >>> L[0].tolist()                     # slot 1 was written right after slot 0
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    w = write_weights
    new = link * (1.0 - w[:, :, None] - w[:, None, :])
    new += w[:, :, None] * precedence[:, None, :]
    N = link.shape[-1]
    new.reshape(-1, N * N)[:, :: N + 1] = 0.0  # the diagonal
    return new


def link_update_backward(
    dlink_new: NDArray, link: NDArray, write_weights: NDArray, precedence: NDArray
) -> tuple[NDArray, NDArray, NDArray]:
    """Gradients of :func:`link_update` with respect to ``link``, ``write_weights`` and
    ``precedence`` (the diagonal of the new links is a constant: it passes no gradient)."""
    N = link.shape[-1]
    d = dlink_new.copy()
    d.reshape(-1, N * N)[:, :: N + 1] = 0.0
    w = write_weights
    dlink = d * (1.0 - w[:, :, None] - w[:, None, :])
    dL_old = d * link
    dw = d @ precedence[:, :, None]  # (B, N, 1): sum_j d[i, j] p[j]
    dw = dw[:, :, 0] - _add(dL_old, 2) - _add(dL_old, 1)
    dprec = (w[:, None, :] @ d)[:, 0, :]  # sum_i w[i] d[i, j]
    return dlink, dw, dprec


# ----------------------------------------------------------------------------- forward/backward
def directional_weightings(link: NDArray, read_weights: NDArray) -> tuple[NDArray, NDArray]:
    r"""The forward :math:`f^i_t = L_t w^{r,i}_{t-1}` and backward
    :math:`b^i_t = L_t^\top w^{r,i}_{t-1}` weightings of every read head.

    Parameters
    ----------
    link : ndarray, shape (B, N, N)
    read_weights : ndarray, shape (B, R, N)

    Returns
    -------
    forward, backward : ndarray, shape (B, R, N)

    Examples
    --------
    >>> L = np.array([[[0.0, 0.0], [1.0, 0.0]]])       # slot 1 was written after slot 0
    >>> f, b = directional_weightings(L, np.array([[[1.0, 0.0]]]))
    >>> f.tolist(), b.tolist()                         # from slot 0, forward is slot 1
    ([[[0.0, 1.0]]], [[[0.0, 0.0]]])
    """
    return read_weights @ link.transpose(0, 2, 1), read_weights @ link


def directional_weightings_backward(
    dforward: NDArray, dbackward: NDArray, link: NDArray, read_weights: NDArray
) -> tuple[NDArray, NDArray]:
    """Gradients of :func:`directional_weightings` with respect to ``link`` and
    ``read_weights``."""
    dlink = dforward.transpose(0, 2, 1) @ read_weights
    dlink += read_weights.transpose(0, 2, 1) @ dbackward
    dread = dforward @ link + dbackward @ link.transpose(0, 2, 1)
    return dlink, dread


# ----------------------------------------------------------------------------- read modes
def read_weighting(
    backward: NDArray, content: NDArray, forward: NDArray, modes: NDArray
) -> NDArray:
    r""":math:`w^{r,i}_t = \pi^i_t[1] b^i_t + \pi^i_t[2] c^{r,i}_t + \pi^i_t[3] f^i_t`.

    Parameters
    ----------
    backward, content, forward : ndarray, shape (B, R, N)
    modes : ndarray, shape (B, R, 3)
        The read modes, a distribution over (backward, content, forward).

    Examples
    --------
    >>> one = np.ones((1, 1, 2))
    >>> read_weighting(0 * one, one, 2 * one, np.array([[[0.2, 0.5, 0.3]]])).tolist()
    [[[1.1, 1.1]]]
    """
    return modes[..., 0:1] * backward + modes[..., 1:2] * content + modes[..., 2:3] * forward


def read_weighting_backward(
    dread: NDArray, backward: NDArray, content: NDArray, forward: NDArray, modes: NDArray
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Gradients of :func:`read_weighting` with respect to its four arguments."""
    dmodes = np.stack(
        [_add(dread * backward, -1), _add(dread * content, -1), _add(dread * forward, -1)],
        axis=-1,
    )
    return modes[..., 0:1] * dread, modes[..., 1:2] * dread, modes[..., 2:3] * dread, dmodes


# ----------------------------------------------------------------------------- sparse links
# Graves et al. 2016, Methods, "Sparse link matrix": the link matrix kept with at most K
# non-zeros per row and column, so that a step costs O(N log N) (the selections) and O(N K)
# (the update and the directional weightings) instead of O(N^2).
#
# Storage: a row-wise sparse (ELL) layout, ``values`` (B, N, K) and ``columns`` (B, N, K):
# ``L[b, i, columns[b, i, e]] = values[b, i, e]``. The columns of a row are distinct (an entry
# may hold 0); ``columns`` is kept in the model's float dtype (whole numbers) so that the state
# stays a tuple of float arrays, and it is read through ``np.rint``: it is piecewise constant
# and passes no gradient (its gradient is reported as zeros).


def sparse_link_width(memory_slots: int, k: int) -> int:
    """Entries stored per row: ``min(K, N - 1)`` (a row has ``N - 1`` off-diagonal entries), at
    least 1.

    Examples
    --------
    >>> sparse_link_width(1024, 8), sparse_link_width(6, 8)
    (8, 5)
    """
    return max(1, min(k, memory_slots - 1))


def sparse_link_init(
    batch_size: int, memory_slots: int, k: int, dtype: Any = np.float64
) -> tuple[NDArray, NDArray]:
    """The empty sparse link matrix: zero values, row ``i`` holding columns ``i + 1, ..., i + K``
    (mod ``N``), distinct and off the diagonal.

    Examples
    --------
    >>> values, columns = sparse_link_init(1, 4, 2)
    >>> values.shape, columns[0].tolist()
    ((1, 4, 2), [[1.0, 2.0], [2.0, 3.0], [3.0, 0.0], [0.0, 1.0]])
    """
    N, K = memory_slots, sparse_link_width(memory_slots, k)
    cols = (np.arange(N)[:, None] + 1 + np.arange(K)[None, :]) % N
    values = np.zeros((batch_size, N, K), dtype)
    return values, np.broadcast_to(cols.astype(dtype), values.shape).copy()


def sparse_link_to_dense(values: NDArray, columns: NDArray) -> NDArray:
    """The dense ``(B, N, N)`` link matrix of a sparse one (for inspection and tests).

    Examples
    --------
    >>> L = sparse_link_to_dense(np.array([[[0.5], [0.0]]]), np.array([[[1.0], [0.0]]]))
    >>> L[0].tolist()
    [[0.0, 0.5], [0.0, 0.0]]
    """
    B, N, _ = values.shape
    dense = np.zeros((B, N, N), values.dtype)
    b = np.arange(B)[:, None, None]
    i = np.arange(N)[None, :, None]
    np.add.at(dense, (b, i, np.rint(columns).astype(np.intp)), values)
    return dense


def top_k_weighting(weights: NDArray, k: int) -> tuple[NDArray, NDArray, tuple[Any, ...]]:
    r"""The sparse :math:`\hat w`: the ``K`` largest entries of a weighting, rescaled to the
    weighting's own total mass.

    The paper divides the ``K`` kept values by their sum so that they sum to 1; here they are
    rescaled to :math:`\sum_i w[i]` instead, which is the same for a weighting that sums to 1
    and keeps two things the paper's rule loses: a weighting of mass :math:`m < 1` (a half-shut
    write gate) still counts as a write of mass :math:`m`, and with ``K >= N`` nothing changes
    (the sparse links equal the dense ones). An all-zero weighting stays zero. The selection
    (which ``K``) carries no gradient, as allocation's sort; the values and the rescaling do.

    Parameters
    ----------
    weights : ndarray, shape (B, N), non-negative
    k : int

    Returns
    -------
    index : ndarray of int, shape (B, min(K, N))
        The kept slots (all ``N`` in order when ``K >= N``).
    values : ndarray, shape (B, min(K, N))
    cache : tuple, for :func:`top_k_weighting_backward`

    Examples
    --------
    >>> index, values, _ = top_k_weighting(np.array([[0.1, 0.5, 0.0, 0.2]]), 2)
    >>> sorted(zip(index[0].tolist(), values[0].round(4).tolist()))
    [(1, 0.5714), (3, 0.2286)]
    """
    B, N = weights.shape
    if k >= N:
        index = np.broadcast_to(np.arange(N), (B, N))
    else:
        index = np.argpartition(-weights, k - 1, axis=-1)[:, :k]
    top = np.take_along_axis(weights, index, axis=-1)
    total = _add(weights, -1)
    kept = _add(top, -1)
    positive = kept > 0
    scale = np.where(positive, total / np.where(positive, kept, 1.0), 1.0)
    return index, top * scale[:, None], (weights, index, top, total, kept, scale, positive)


def top_k_weighting_backward(dvalues: NDArray, cache: tuple[Any, ...]) -> NDArray:
    """Gradient of :func:`top_k_weighting` with respect to ``weights`` (through the kept values
    and the rescaling, not through the selection)."""
    weights, index, top, total, kept, scale, positive = cache
    dscale = np.where(positive, _add(dvalues * top, -1), 0.0)
    dtotal = dscale / np.where(positive, kept, 1.0)
    dkept = -dscale * scale / np.where(positive, kept, 1.0)
    dweights = np.empty_like(weights)
    dweights[...] = dtotal[:, None]
    rows = np.arange(weights.shape[0])[:, None]
    dweights[rows, index] += dvalues * scale[:, None] + dkept[:, None]
    return dweights


def sparse_link_update(
    values: NDArray,
    columns: NDArray,
    write_index: NDArray,
    write_values: NDArray,
    prec_index: NDArray,
    prec_values: NDArray,
) -> tuple[NDArray, NDArray, tuple[Any, ...]]:
    r"""The sparse link update :math:`\hat L_t[i, j] = (1 - \hat w[i] - \hat w[j]) \hat L_{t-1}
    [i, j] + \hat w[i] \hat p[j]` (zero diagonal), then pruned to at most ``K`` non-zeros per row
    and per column.

    :math:`\hat w, \hat p` are the sparse write weighting and previous precedence
    (:func:`top_k_weighting`). Only the ``K`` rows written to gain entries (the ``K x K`` outer
    product); each keeps its ``K`` largest of its old and new entries, and each of the ``K``
    columns that gained entries keeps its ``K`` largest. The paper prunes instead every entry
    below :math:`1/K`; as rows and columns sum to at most 1, what it keeps is kept here too, with
    the same bound of ``K`` per row and column, and with ``K >= N - 1`` nothing is pruned (the
    dense links, exactly). The pruning carries no gradient (a pruned entry is a constant 0).
    Cost :math:`O(N K + K^3)` per batch row.

    Parameters
    ----------
    values, columns : ndarray, shape (B, N, K)
        :math:`\hat L_{t-1}`, row-wise: ``L[b, i, columns[b, i, e]] = values[b, i, e]``, the
        columns of a row distinct.
    write_index, write_values : ndarray, shape (B, Kw)
        :math:`\hat w_t`: its slots (distinct) and values.
    prec_index, prec_values : ndarray, shape (B, Kp)
        :math:`\hat p_{t-1}`.

    Returns
    -------
    values, columns : ndarray, shape (B, N, K)
        :math:`\hat L_t`.
    cache : tuple, for :func:`sparse_link_update_backward`

    Examples
    --------
    >>> values, columns = sparse_link_init(1, 4, 2)
    >>> one = lambda i: (np.array([[i]]), np.array([[1.0]]))
    >>> values, columns, _ = sparse_link_update(values, columns, *one(1), *one(0))
    >>> values, columns, _ = sparse_link_update(values, columns, *one(2), *one(1))
    >>> sparse_link_to_dense(values, columns)[0].tolist()   # 0, then 1, then 2 were written
    [[0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    """
    B, N, K = values.shape
    rows_b = np.arange(B)[:, None]
    cols = np.rint(columns).astype(np.intp)  # (B, N, K)
    w_dense = np.zeros((B, N), values.dtype)
    w_dense[rows_b, write_index] = write_values
    base = np.arange(B)[:, None, None] * N  # row offsets of the batch in flat (B N) indexing
    factor = 1.0 - w_dense[:, :, None] - w_dense.reshape(-1)[base + cols]
    off_diagonal = cols != np.arange(N)[:, None]  # a diagonal entry (only when N = 1) is zeroed
    factor *= off_diagonal
    new_values = values * factor  # (B, N, K)
    new_cols = cols.copy()
    # the rows written to: old entries (plus the new value where the column is already there)
    # and the new entries w[i] p[j] at the other columns; keep the K largest
    Kw, Kp = write_index.shape[1], prec_index.shape[1]
    old_rows = new_values[rows_b, write_index]  # (B, Kw, K)
    old_cols = cols[rows_b, write_index]  # (B, Kw, K)
    outer = write_values[:, :, None] * prec_values[:, None, :]  # (B, Kw, Kp)
    match = old_cols[:, :, :, None] == prec_index[:, None, None, :]  # (B, Kw, K, Kp)
    fresh = ~match.any(axis=2)  # (B, Kw, Kp): the column is not yet in the row
    off_diag = prec_index[:, None, :] != write_index[:, :, None]  # (B, Kw, Kp)
    outer_kept = outer * off_diag
    cand_values = np.concatenate(
        [old_rows + (match * outer_kept[:, :, None, :]).sum(-1), outer_kept * fresh], axis=-1
    )  # (B, Kw, K + Kp)
    cand_cols = np.concatenate(
        [old_cols, np.broadcast_to(prec_index[:, None, :], (B, Kw, Kp))], axis=-1
    )
    # a column already in the row (or the diagonal) cannot be picked: rank it below everything
    key = np.concatenate(
        [cand_values[..., :K], np.where(fresh & off_diag, cand_values[..., K:], -1.0)], axis=-1
    )
    pick = np.argpartition(-key, K - 1, axis=-1)[..., :K]  # (B, Kw, K)
    new_values[rows_b, write_index] = np.take_along_axis(cand_values, pick, axis=-1)
    new_cols[rows_b, write_index] = np.take_along_axis(cand_cols, pick, axis=-1)
    # the columns that gained entries (those of p) keep their K largest
    keep = np.ones((B, N, K), bool)
    if N - 1 > K:  # else no column can hold more than K entries
        which = np.full(B * N, -1, np.intp)  # the position m of a column in p's index, or -1
        which[(rows_b * N + prec_index).ravel()] = np.tile(np.arange(Kp), B)
        m = which[base + new_cols]  # (B, N, K)
        hit = np.nonzero(m >= 0)  # the entries in those columns (one per row and column)
        by_col = np.zeros((B, N, Kp), values.dtype)  # L[i, p_m]
        by_col[hit[0], hit[1], m[hit]] = new_values[hit]
        top_rows = np.argpartition(-by_col, K - 1, axis=1)[:, :K]  # (B, K, Kp)
        col_keep = np.zeros((B, N, Kp), bool)
        np.put_along_axis(col_keep, top_rows, True, axis=1)
        keep[hit] = col_keep[hit[0], hit[1], m[hit]]
        new_values *= keep
    cache = (values, cols, factor, write_index, write_values, prec_index, prec_values, match,
             fresh, off_diag, pick, keep)  # fmt: skip
    return new_values, new_cols.astype(values.dtype), cache


def sparse_link_update_backward(
    dvalues_new: NDArray, cache: tuple[Any, ...]
) -> tuple[NDArray, NDArray, NDArray]:
    """Gradients of :func:`sparse_link_update` with respect to ``values``, ``write_values`` and
    ``prec_values`` (the selections and the pruning pass none; ``columns`` gets none)."""
    (
        values,
        cols,
        factor,
        w_index,
        w_values,
        p_index,
        p_values,
        match,
        fresh,
        off_diag,
        pick,
        keep,
    ) = cache
    B, N, K = values.shape
    Kp = p_index.shape[1]
    rows_b = np.arange(B)[:, None]
    d = dvalues_new * keep  # (B, N, K), at the scaled / merged values
    dcand = np.zeros((*pick.shape[:2], K + Kp), d.dtype)  # (B, Kw, K + Kp)
    np.put_along_axis(dcand, pick, d[rows_b, w_index], axis=-1)
    d[rows_b, w_index] = dcand[..., :K]  # now: at the scaled old values
    douter = ((match * dcand[..., :K, None]).sum(2) + dcand[..., K:] * fresh) * off_diag
    dw_values = (douter * p_values[:, None, :]).sum(-1)
    dp_values = (douter * w_values[:, :, None]).sum(1)
    dvalues = d * factor
    dfactor = d * values * (cols != np.arange(N)[:, None])  # factor = 1 - w[i] - w[cols]
    dw_dense = -_add(dfactor, -1)
    flat = (np.arange(B)[:, None, None] * N + cols).ravel()
    dw_dense -= np.bincount(flat, weights=dfactor.ravel(), minlength=B * N).reshape(B, N)
    dw_values += np.take_along_axis(dw_dense, w_index, axis=-1)
    return dvalues, dw_values, dp_values


def _sparse_matrix(values: NDArray, cols: NDArray) -> Any:
    """The batch's links as one block-diagonal ``(B N, B N)`` CSR matrix (no copy of values)."""
    B, N, K = values.shape
    flat = (np.arange(B)[:, None, None] * N + cols).reshape(-1)
    indptr = np.arange(0, B * N * K + 1, K)
    return sp.csr_matrix((values.reshape(-1), flat, indptr), shape=(B * N, B * N)), flat


def sparse_directional_weightings(
    values: NDArray, columns: NDArray, read_weights: NDArray
) -> tuple[NDArray, NDArray]:
    r"""The forward :math:`f^i_t = \hat L_t w^{r,i}_{t-1}` and backward
    :math:`b^i_t = \hat L_t^\top w^{r,i}_{t-1}` weightings from the sparse links, in
    :math:`O(R N K)` (two sparse matrix products, ``scipy.sparse``).

    Parameters
    ----------
    values, columns : ndarray, shape (B, N, K)
    read_weights : ndarray, shape (B, R, N)

    Returns
    -------
    forward, backward : ndarray, shape (B, R, N)

    Examples
    --------
    >>> f, b = sparse_directional_weightings(np.array([[[0.0], [1.0]]]),
    ...                                      np.array([[[1.0], [0.0]]]), np.array([[[1.0, 0.0]]]))
    >>> f.tolist(), b.tolist()                         # slot 1 was written after slot 0
    ([[[0.0, 1.0]]], [[[0.0, 0.0]]])
    """
    B, N, K = values.shape
    R = read_weights.shape[1]
    L, _ = _sparse_matrix(values, np.rint(columns).astype(np.intp))
    w = read_weights.transpose(0, 2, 1).reshape(B * N, R)
    forward = (L @ w).reshape(B, N, R).transpose(0, 2, 1)
    backward = (L.T @ w).reshape(B, N, R).transpose(0, 2, 1)
    return np.ascontiguousarray(forward), np.ascontiguousarray(backward)


def sparse_directional_weightings_backward(
    dforward: NDArray, dbackward: NDArray, values: NDArray, columns: NDArray, read_weights: NDArray
) -> tuple[NDArray, NDArray]:
    """Gradients of :func:`sparse_directional_weightings` with respect to ``values`` and
    ``read_weights``."""
    B, N, K = values.shape
    R = read_weights.shape[1]
    L, flat = _sparse_matrix(values, np.rint(columns).astype(np.intp))
    w = read_weights.transpose(0, 2, 1).reshape(B * N, R)
    df = dforward.transpose(0, 2, 1).reshape(B * N, R)
    db = dbackward.transpose(0, 2, 1).reshape(B * N, R)
    # d values[i, e] = sum_r df[i, r] w[c, r] + w[i, r] db[c, r], c = the entry's column
    dvalues = np.einsum("nkr,nr->nk", w[flat].reshape(B * N, K, R), df)
    dvalues += np.einsum("nkr,nr->nk", db[flat].reshape(B * N, K, R), w)
    dread = L.T @ df + L @ db
    return dvalues.reshape(B, N, K), np.ascontiguousarray(dread.reshape(B, N, R).transpose(0, 2, 1))
