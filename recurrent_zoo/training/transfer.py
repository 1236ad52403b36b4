"""Moving trained weights between models: pretrain a part, then reuse it elsewhere.

A model's ``params`` are the single source of truth, and a wrapper (``Stacked``,
``Bidirectional``) shares its children's arrays under prefixed names, so a part trained on its
own (a frame encoder trained to name digits, say) can be copied into the same part of a larger
model by writing into those arrays in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.base import SequenceModel


def copy_params(source: SequenceModel, target: SequenceModel) -> None:
    """Copy every parameter of ``source`` into ``target``'s arrays, in place.

    Both models must have the same parameter names and shapes (the same class with the same
    hyperparameters, e.g. the encoder of a pretraining model and the encoder inside a tagger).
    Values are cast to ``target``'s dtype; ``target``'s arrays stay the same objects, so every
    wrapper and optimizer that holds them sees the new values.

    Parameters
    ----------
    source, target : SequenceModel

    Raises
    ------
    TypeError
        If either is not a SequenceModel.
    ValueError
        Naming the parameters missing on either side or the first shape that differs, or if
        ``source`` holds a non-finite value.

    Examples
    --------
    >>> from recurrent_zoo import Linear, Stacked
    >>> from recurrent_zoo.training import copy_params
    >>> trained, fresh = Linear(3, 2, seed=0), Linear(3, 2, seed=1)
    >>> model = Stacked([fresh, Linear(2, 1, seed=2)])
    >>> copy_params(trained, model.models[0])
    >>> bool(np.array_equal(model.params["0.weight"], trained.params["weight"]))
    True
    """
    for name, model in (("source", source), ("target", target)):
        if not isinstance(model, SequenceModel):
            raise TypeError(f"{name} must be a SequenceModel; got {type(model).__name__}")
    missing = sorted(set(source.params) - set(target.params))
    extra = sorted(set(target.params) - set(source.params))
    if missing or extra:
        raise ValueError(
            "source and target must have the same parameter names; "
            f"only in source: {missing}, only in target: {extra}"
        )
    for k, v in source.params.items():
        if v.shape != target.params[k].shape:
            raise ValueError(
                f"parameter {k!r} has shape {v.shape} in source and {target.params[k].shape} in "
                "target; they must match"
            )
        if not np.all(np.isfinite(v)):
            raise ValueError(f"source parameter {k!r} holds NaN or inf")
    for k, v in source.params.items():
        dst: Any = target.params[k]
        dst[...] = v
