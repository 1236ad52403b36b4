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
