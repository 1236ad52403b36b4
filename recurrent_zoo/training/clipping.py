r"""Gradient clipping, in place, with PyTorch's semantics.

Exploding gradients are the classic failure of backpropagation through time (Bengio, Simard &
Frasconi 1994); Pascanu, Mikolov & Bengio (2013) proposed rescaling the whole gradient when its
norm exceeds a threshold:

.. math::

    \|g\|_p = \Big(\sum_k \|g_k\|_p^p\Big)^{1/p}, \qquad
    g_k \leftarrow g_k \cdot \min\Big(1, \frac{c}{\|g\|_p + 10^{-6}}\Big)

which is what :func:`torch.nn.utils.clip_grad_norm_` computes (the :math:`10^{-6}` included).
:func:`clip_grad_value` clips each entry to :math:`[-c, c]` instead.

References
----------
R. Pascanu, T. Mikolov, Y. Bengio, "On the difficulty of training recurrent neural networks",
ICML 2013.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .._core.validation import NDArray, check_probability

__all__ = ["clip_grad_norm", "clip_grad_value"]


def _arrays(grads: Any) -> list[NDArray]:
    """The gradient arrays of a dict (``model.grads``) or an iterable of arrays."""
    if isinstance(grads, np.ndarray):
        items: list[Any] = [grads]
    elif isinstance(grads, Mapping):
        items = list(grads.values())
    elif isinstance(grads, Iterable):
        items = list(grads)
    else:
        raise TypeError(
            f"grads must be a dict of str to ndarray or a list of ndarrays; "
            f"got {type(grads).__name__}"
        )
    for a in items:
        if not isinstance(a, np.ndarray) or a.dtype.kind != "f":
            raise TypeError(
                "grads must hold float ndarrays (they are modified in place); got "
                + (f"dtype {a.dtype}" if isinstance(a, np.ndarray) else type(a).__name__)
            )
    return items


def _positive(value: Any, name: str) -> float:
    return check_probability(value, name, high=np.inf, closed="neither")


def clip_grad_norm(
    grads: Any, max_norm: float, norm_type: float = 2.0, *, error_if_nonfinite: bool = False
) -> float:
    """Rescale ``grads`` in place so that their joint ``norm_type``-norm is at most ``max_norm``.

    Parameters
    ----------
    grads : dict of str to ndarray, or iterable of ndarrays
        The gradients (``model.grads``), modified in place.
    max_norm : float
        The largest norm allowed.
    norm_type : float or "inf", default 2.0
        Order ``p > 0`` of the norm, or ``inf`` for the largest absolute entry.
    error_if_nonfinite : bool, default False
        Raise :class:`FloatingPointError` if the total norm is NaN or infinite (otherwise
        the gradients become NaN, as in PyTorch).

    Returns
    -------
    float
        The total norm of the gradients *before* clipping (viewed as one vector).

    Examples
    --------
    >>> import numpy as np
    >>> grads = {"w": np.array([3.0, 0.0]), "b": np.array([4.0])}
    >>> clip_grad_norm(grads, max_norm=1.0)
    5.0
    >>> np.round(grads["w"], 6), np.round(grads["b"], 6)
    (array([0.6, 0. ]), array([0.8]))
    """
    arrays = _arrays(grads)
    max_norm = _positive(max_norm, "max_norm")
    p = np.inf if isinstance(norm_type, str) and norm_type.lower() == "inf" else norm_type
    p = _positive(p, "norm_type") if p != np.inf else np.inf
    if not arrays:
        return 0.0
    # the norm of the per-array norms is the norm of all entries, as torch computes it
    norms = np.array([np.linalg.norm(a.ravel(), ord=p) if a.size else 0.0 for a in arrays])
    total = float(np.linalg.norm(norms, ord=p))
    if error_if_nonfinite and not np.isfinite(total):
        raise FloatingPointError(
            f"the total norm of order {norm_type} of the gradients is {total}; "
            "they cannot be clipped"
        )
    coef = max_norm / (total + 1e-6)
    coef = coef if coef < 1.0 or np.isnan(coef) else 1.0  # PyTorch clamps to at most 1
    for a in arrays:
        a *= coef
    return total


def clip_grad_value(grads: Any, clip_value: float) -> None:
    """Clip every gradient entry to ``[-clip_value, clip_value]``, in place.

    Parameters
    ----------
    grads : dict of str to ndarray, or iterable of ndarrays
    clip_value : float
        Positive bound.

    Examples
    --------
    >>> import numpy as np
    >>> grads = {"w": np.array([-3.0, 0.5, 2.0])}
    >>> clip_grad_value(grads, 1.0)
    >>> grads["w"]
    array([-1. ,  0.5,  1. ])
    """
    arrays = _arrays(grads)
    v = _positive(clip_value, "clip_value")
    for a in arrays:
        np.clip(a, -v, v, out=a)
