"""Input validation shared by every architecture.

Every public entry point checks its arguments here, so that bad input fails early with a
:class:`ValueError` or :class:`TypeError` whose message names the argument and says what was
expected -- never a silent broadcast, a crash deep inside numpy, or a NaN result.

The functions return the validated array (converted to the requested dtype) so a caller writes
``X = check_sequence(X, "X", input_size=3, dtype=np.float64)`` and then uses ``X``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "check_array",
    "check_dtype",
    "check_finite",
    "check_lengths",
    "check_positive_int",
    "check_probability",
    "check_real",
    "check_sequence",
    "check_choice",
    "check_state",
    "NDArray",
]

NDArray = npt.NDArray[Any]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(dtype: Any) -> np.dtype[Any]:
    """Return ``dtype`` as a numpy float dtype, or raise if it is not float32 or float64.

    Examples
    --------
    >>> check_dtype("float32")
    dtype('float32')
    """
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be np.float32 or np.float64; got {dtype!r}") from exc
    if dt not in _FLOAT_DTYPES:
        raise TypeError(f"dtype must be np.float32 or np.float64; got {dt}")
    return dt


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, raising if it is not an integer ``>= minimum``.

    Examples
    --------
    >>> check_positive_int(3, "hidden_size")
    3
    >>> check_positive_int(0, "hidden_size")
    Traceback (most recent call last):
    ...
    ValueError: hidden_size must be an integer >= 1; got 0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_probability(
    value: Any, name: str, *, low: float = 0.0, high: float = 1.0, closed: str = "both"
) -> float:
    """Return ``value`` as a float in ``[low, high]``, ``[0, 1]`` by default (:func:`check_real`).

    Examples
    --------
    >>> check_probability(0.5, "leak_rate", closed="right")
    0.5
    """
    return check_real(value, name, low=low, high=high, closed=closed)


def check_real(
    value: Any, name: str, *, low: float = -np.inf, high: float = np.inf, closed: str = "both"
) -> float:
    """Return ``value`` as a finite float in the interval from ``low`` to ``high``.

    ``closed`` is one of ``"both"``, ``"left"``, ``"right"``, ``"neither"``: which ends belong
    to the interval. Booleans, non-numbers, NaN and inf are refused.

    Examples
    --------
    >>> check_real(0.01, "dt", low=0.0, closed="neither")
    0.01
    >>> check_real(-1, "ridge", low=0.0, closed="left")
    Traceback (most recent call last):
    ...
    ValueError: ridge must lie in [0.0, inf); got -1
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    v = float(value)
    left_ok = v >= low if closed in ("both", "left") else v > low
    right_ok = v <= high if closed in ("both", "right") else v < high
    if not (np.isfinite(v) and left_ok and right_ok):
        lb = "[" if closed in ("both", "left") else "("
        rb = "]" if closed in ("both", "right") else ")"
        raise ValueError(f"{name} must lie in {lb}{low}, {high}{rb}; got {value!r}")
    return v


def check_choice(value: Any, name: str, choices: Any) -> Any:
    """Raise a ValueError naming ``name`` unless ``value`` is one of ``choices``.

    Examples
    --------
    >>> check_choice("tanh", "nonlinearity", ("tanh", "relu"))
    'tanh'
    """
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def check_finite(a: NDArray, name: str) -> None:
    """Raise a ValueError naming ``name`` if ``a`` holds NaN or inf."""
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        bad = "NaN" if np.isnan(a).any() else "inf"
        raise ValueError(f"{name} must be finite; it contains {bad}")


def check_array(
    a: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple[int | None, ...] | None = None,
    dtype: Any = None,
    finite: bool = True,
    shape_doc: str | None = None,
) -> NDArray:
    """Validate a numeric array and return it converted to ``dtype``.

    Parameters
    ----------
    a : array_like
        The value to check. Lists are accepted; object, string and complex arrays are not.
    name : str
        The argument's name, used in error messages.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    shape : tuple, optional
        Expected shape; ``None`` entries match any size.
    dtype : dtype, optional
        Float dtype to convert to. Boolean and integer inputs are converted; without
        ``dtype`` they are kept.
    finite : bool
        Reject NaN and inf.
    shape_doc : str, optional
        How the expected shape is described in messages, e.g. ``"(T, B, input_size=3)"``.

    Examples
    --------
    >>> check_array([[1, 2]], "x", ndim=2, dtype=np.float64)
    array([[1., 2.]])
    >>> check_array([1.0, float("nan")], "x")
    Traceback (most recent call last):
    ...
    ValueError: x must be finite; it contains NaN
    """
    if isinstance(a, np.ndarray):
        arr = a
    else:
        try:
            arr = np.asarray(a)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name} must be a numeric array; got {type(a).__name__}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must be a real numeric array (bool, int or float); got dtype {arr.dtype}"
        )
    expected = shape_doc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(n) for n in allowed)
            what = f" of shape {expected}" if expected else ""
            raise ValueError(
                f"{name} must be a {want}-dimensional array{what}; got shape {arr.shape}"
            )
    if shape is not None:
        if arr.ndim != len(shape) or any(
            s is not None and s != d for s, d in zip(shape, arr.shape, strict=False)
        ):
            want = expected or "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}; got shape {arr.shape}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    if finite:
        check_finite(arr, name)
    return arr


def check_sequence(
    X: Any,
    name: str = "X",
    *,
    input_size: int | None = None,
    dtype: Any = np.float64,
) -> NDArray:
    """Validate a time-major batch of sequences of shape ``(T, B, input_size)``.

    Examples
    --------
    >>> check_sequence(np.zeros((4, 2, 3)), input_size=3).shape
    (4, 2, 3)
    >>> check_sequence(np.zeros((4, 3)), input_size=3)
    Traceback (most recent call last):
    ...
    ValueError: X must be a 3-dimensional array of shape (T, B, input_size=3); got shape (4, 3)
    """
    size = "input_size" if input_size is None else f"input_size={input_size}"
    doc = f"(T, B, {size})"
    arr = check_array(X, name, ndim=3, dtype=dtype, finite=True, shape_doc=doc)
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must have T >= 1 steps and B >= 1 sequences; got {arr.shape}")
    if input_size is not None and arr.shape[2] != input_size:
        raise ValueError(
            f"{name} must have shape {doc}; got shape {arr.shape} "
            f"(last axis {arr.shape[2]} != input_size {input_size})"
        )
    return arr


def check_lengths(lengths: Any, T: int, B: int, name: str = "lengths") -> NDArray | None:
    """Validate per-sequence lengths: ``None`` or ``(B,)`` integers in ``[1, T]``.

    Returns ``None`` when every length equals ``T`` (no masking needed) and an int64 array
    otherwise.

    Examples
    --------
    >>> check_lengths([3, 1], T=3, B=2)
    array([3, 1])
    >>> check_lengths([3, 3], T=3, B=2) is None
    True
    >>> check_lengths([0, 3], T=3, B=2)
    Traceback (most recent call last):
    ...
    ValueError: lengths must lie in [1, T=3]; got min 0, max 3
    """
    if lengths is None:
        return None
    arr = np.asarray(lengths)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise TypeError(f"{name} must hold integers; got non-integral values")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu" or arr.dtype.kind == "b":
        raise TypeError(f"{name} must be an integer array of shape (B={B},); got dtype {arr.dtype}")
    if arr.shape != (B,):
        raise ValueError(f"{name} must have shape (B={B},); got shape {arr.shape}")
    arr = arr.astype(np.int64)
    if arr.min() < 1 or arr.max() > T:
        raise ValueError(f"{name} must lie in [1, T={T}]; got min {arr.min()}, max {arr.max()}")
    if np.all(arr == T):
        return None
    return arr


def check_state(state: Any, template: Any, name: str = "state", dtype: Any = None) -> Any:
    """Validate ``state`` against ``template`` (an array or nested tuple of arrays).

    The state must have the template's structure and shapes; it is converted to ``dtype``
    (default: each template array's dtype) and checked for NaN/inf.
    """
    if isinstance(template, tuple):
        if not isinstance(state, (tuple, list)) or len(state) != len(template):
            raise ValueError(
                f"{name} must be a tuple of {len(template)} entries like the model's "
                f"initial_state(); got {type(state).__name__}"
                + (f" of length {len(state)}" if isinstance(state, (tuple, list)) else "")
            )
        return tuple(
            check_state(s, t, f"{name}[{i}]", dtype)
            for i, (s, t) in enumerate(zip(state, template, strict=True))
        )
    if template is None:
        if state is not None:
            raise ValueError(f"{name} must be None for this model")
        return None
    want = tuple(template.shape)
    doc = "(" + ", ".join(str(s) for s in want) + ")"
    arr = check_array(
        state, name, dtype=dtype or template.dtype, finite=True, shape=want, shape_doc=doc
    )
    return arr
