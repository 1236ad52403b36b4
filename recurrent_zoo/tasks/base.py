"""The container every task generator returns.

A :class:`SequenceDataset` holds a time-major batch of input sequences, their targets and a
mask saying which steps' targets count in the loss. It unpacks as ``X, Y, mask = data``, so a
training loop needs nothing else; the other fields say how to score it (``loss``,
``output_size``), how long each sequence really is (``lengths``) and anything task-specific
(``info``).

Conventions shared by every task
--------------------------------
- ``inputs`` is ``(T, N, input_size)`` float64; sequences shorter than ``T`` are zero-padded.
- ``targets`` is ``(T, N, output_size)`` float64 for the ``"mse"`` and ``"bce"`` losses and
  ``(T, N)`` int64 class indices in ``[0, output_size)`` for ``"cross_entropy"``; for
  ``"ctc"`` it is ``(T, N)`` int64 too, each column a labelling (class indices, the blank
  excluded) padded with ``-1`` at its end.
- ``mask`` is ``(T, N)`` float64 of 0/1; the loss is the mean over the steps where it is 1.
  Targets at masked-off steps are 0 (a valid class index), never read when the mask is used.
- ``lengths`` is ``None`` for fixed-length tasks and ``(N,)`` int64 in ``[1, T]`` otherwise;
  the mask is 0 past each sequence's length.
- ``info`` entries named in ``per_sequence`` are indexed by sequence along their first axis
  (arrays or lists) and are subset with the sequences; other entries are shared and copied
  as they are.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import NDArray, check_array, check_choice, check_probability

__all__ = ["LOSSES", "SequenceDataset", "check_bool", "last_step_labels", "one_hot"]

#: Loss names the training package understands.
LOSSES = ("mse", "cross_entropy", "bce", "ctc")


@dataclass(eq=False)
class SequenceDataset:
    """A time-major batch of sequences with targets, a loss mask and task metadata.

    Parameters
    ----------
    inputs : ndarray of shape (T, N, input_size)
        Input sequences, zero-padded past each sequence's length.
    targets : ndarray of shape (T, N, output_size) or (T, N)
        Float targets for ``loss="mse"`` or ``"bce"``; int class indices for
        ``"cross_entropy"``; int labellings padded with ``-1`` for ``"ctc"``.
    mask : ndarray of shape (T, N)
        1 where a step's target counts in the loss, 0 elsewhere.
    loss : {"mse", "cross_entropy", "bce", "ctc"}
        The loss the task is meant to be trained and scored with.
    output_size : int
        Number of output channels (``"mse"``, ``"bce"``) or of classes (``"cross_entropy"``).
    lengths : ndarray of shape (N,), optional
        True length of each sequence, or ``None`` when all have length ``T``.
    info : dict
        Task-specific extras (labels, baselines, the strings behind a formal-language task...).
    per_sequence : tuple of str
        The keys of ``info`` whose first axis indexes the sequences.
    name : str
        Short name of the task that made the dataset.

    Examples
    --------
    >>> import numpy as np
    >>> data = SequenceDataset(
    ...     inputs=np.zeros((4, 3, 2)), targets=np.zeros((4, 3, 1)),
    ...     mask=np.ones((4, 3)), loss="mse", output_size=1)
    >>> X, Y, mask = data
    >>> len(data), X.shape, Y.shape, mask.shape
    (3, (4, 3, 2), (4, 3, 1), (4, 3))
    >>> train, test = data.split(2 / 3)
    >>> len(train), len(test)
    (2, 1)
    """

    inputs: NDArray
    targets: NDArray
    mask: NDArray
    loss: str
    output_size: int
    lengths: NDArray | None = None
    info: dict[str, Any] = field(default_factory=dict)
    per_sequence: tuple[str, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        check_choice(self.loss, "loss", LOSSES)
        if isinstance(self.output_size, bool) or not isinstance(self.output_size, numbers.Integral):
            raise TypeError(f"output_size must be an integer >= 1; got {self.output_size!r}")
        if self.output_size < 1:
            raise ValueError(f"output_size must be an integer >= 1; got {self.output_size!r}")
        self.output_size = int(self.output_size)
        self.inputs = check_array(
            self.inputs, "inputs", ndim=3, dtype=np.float64, shape_doc="(T, N, input_size)"
        )
        T, N = self.inputs.shape[:2]
        if T < 1 or N < 1:
            raise ValueError(f"inputs must hold T >= 1 steps and N >= 1 sequences; got {(T, N)}")
        self.mask = check_array(self.mask, "mask", shape=(T, N), dtype=np.float64)
        if not np.all((self.mask == 0) | (self.mask == 1)):
            raise ValueError("mask must hold only 0 and 1")
        self._check_targets(T, N)
        if self.lengths is not None:
            lengths = np.asarray(self.lengths)
            if lengths.dtype.kind not in "iu" or lengths.shape != (N,):
                raise ValueError(
                    f"lengths must be an integer array of shape (N={N},); got "
                    f"dtype {lengths.dtype}, shape {lengths.shape}"
                )
            if lengths.min() < 1 or lengths.max() > T:
                raise ValueError(
                    f"lengths must lie in [1, T={T}]; got {lengths.min()}..{lengths.max()}"
                )
            self.lengths = lengths.astype(np.int64)
            if np.any(self.mask[np.arange(T)[:, None] >= self.lengths[None, :]]):
                raise ValueError("mask must be 0 past each sequence's length")
        for key in self.per_sequence:
            if key not in self.info:
                raise ValueError(f"per_sequence names {key!r}, which is not a key of info")
            if len(self.info[key]) != N:
                raise ValueError(
                    f"info[{key!r}] is listed in per_sequence but has length "
                    f"{len(self.info[key])}, not N={N}"
                )

    def _check_targets(self, T: int, N: int) -> None:
        if self.loss == "ctc":
            Y = np.asarray(self.targets)
            if Y.dtype.kind not in "iu":
                raise TypeError(
                    f"targets must hold integer labels for loss='ctc'; got dtype {Y.dtype}"
                )
            Y = check_array(Y, "targets", shape=(T, N), shape_doc=f"(T={T}, N={N})")
            valid = Y >= 0
            if np.any(valid[1:] & ~valid[:-1]):
                raise ValueError("targets for loss='ctc' may be padded with -1 only at the end")
            if Y.min() < -1 or Y.max() >= self.output_size:
                raise ValueError(
                    f"targets must be labels in [0, output_size={self.output_size}) padded with "
                    f"-1 for loss='ctc'; got {Y.min()}..{Y.max()}"
                )
            self.targets = Y.astype(np.int64)
        elif self.loss == "cross_entropy":
            Y = np.asarray(self.targets)
            if Y.dtype.kind not in "iu":
                raise TypeError(
                    f"targets must hold integer class indices for loss='cross_entropy'; "
                    f"got dtype {Y.dtype}"
                )
            Y = check_array(Y, "targets", shape=(T, N), shape_doc=f"(T={T}, N={N})")
            if Y.min() < 0 or Y.max() >= self.output_size:
                raise ValueError(
                    f"targets must be class indices in [0, output_size={self.output_size}); "
                    f"got {Y.min()}..{Y.max()}"
                )
            self.targets = Y.astype(np.int64)
        else:
            doc = f"(T={T}, N={N}, output_size={self.output_size})"
            self.targets = check_array(
                self.targets,
                "targets",
                shape=(T, N, self.output_size),
                dtype=np.float64,
                shape_doc=doc,
            )
            if self.loss == "bce" and not np.all((self.targets >= 0) & (self.targets <= 1)):
                raise ValueError("targets must lie in [0, 1] for loss='bce'")

    # -- sizes ------------------------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        """``T``, the padded number of time steps."""
        return int(self.inputs.shape[0])

    @property
    def n_sequences(self) -> int:
        """``N``, the number of sequences."""
        return int(self.inputs.shape[1])

    @property
    def input_size(self) -> int:
        """Number of input features."""
        return int(self.inputs.shape[2])

    def __len__(self) -> int:
        return self.n_sequences

    def __iter__(self) -> Iterator[NDArray]:
        """Unpack as ``X, Y, mask = data``."""
        return iter((self.inputs, self.targets, self.mask))

    def __repr__(self) -> str:
        return (
            f"SequenceDataset(name={self.name!r}, T={self.n_steps}, N={self.n_sequences}, "
            f"input_size={self.input_size}, output_size={self.output_size}, loss={self.loss!r}, "
            f"variable_length={self.lengths is not None})"
        )

    def sequences(self) -> list[NDArray]:
        """Each sequence's inputs as its own ``(T_k, input_size)`` array, the padding cut off.

        The form reservoir models take a batch of sequences of different lengths in.

        Examples
        --------
        >>> from recurrent_zoo.tasks import trajectory_classification
        >>> data = trajectory_classification(3, seed=0)
        >>> data.lengths, [x.shape for x in data.sequences()]
        (array([19, 26, 19]), [(19, 12), (26, 12), (19, 12)])
        """
        T, N = self.inputs.shape[:2]
        lengths = np.full(N, T) if self.lengths is None else self.lengths
        return [np.ascontiguousarray(self.inputs[: int(L), n]) for n, L in enumerate(lengths)]

    # -- selecting sequences ----------------------------------------------------------------------
    def subset(self, indices: Any) -> SequenceDataset:
        """Return a new dataset with the sequences ``indices`` (ints, a bool mask or a slice).

        ``T`` is kept; arrays are copied, per-sequence ``info`` entries are indexed and the
        other ``info`` entries are shared.

        Examples
        --------
        >>> from recurrent_zoo.tasks import parity
        >>> data = parity(10, 5, seed=0)
        >>> small = data.subset([0, 3])
        >>> len(small), bool((small.inputs == data.inputs[:, [0, 3]]).all())
        (2, True)
        """
        N = self.n_sequences
        if isinstance(indices, slice):
            idx = np.arange(N)[indices]
        else:
            arr = np.asarray(indices)
            if arr.size == 0:
                raise ValueError("indices must select at least one sequence")
            if arr.dtype.kind == "b":
                if arr.shape != (N,):
                    raise ValueError(
                        f"indices as a boolean mask must have shape (N={N},); got {arr.shape}"
                    )
                idx = np.flatnonzero(arr)
            elif arr.dtype.kind in "iu" and arr.ndim == 1:
                if arr.size and (arr.min() < -N or arr.max() >= N):
                    raise ValueError(
                        f"indices must lie in [-{N}, {N}); got {arr.min()}..{arr.max()}"
                    )
                idx = arr.astype(np.int64) % N
            else:
                raise TypeError(
                    "indices must be a 1-dimensional integer array, a boolean mask or a slice; "
                    f"got dtype {arr.dtype} with shape {arr.shape}"
                )
        if idx.size == 0:
            raise ValueError("indices must select at least one sequence")
        info = dict(self.info)
        for key in self.per_sequence:
            value = self.info[key]
            if isinstance(value, np.ndarray):
                info[key] = value[idx]
            else:
                info[key] = [value[i] for i in idx]
        return replace(
            self,
            inputs=self.inputs[:, idx].copy(),
            targets=self.targets[:, idx].copy(),
            mask=self.mask[:, idx].copy(),
            lengths=None if self.lengths is None else self.lengths[idx].copy(),
            info=info,
        )

    def split(
        self, fraction: float, *, shuffle: bool = False, seed: Any = None
    ) -> tuple[SequenceDataset, SequenceDataset]:
        """Split the sequences in two: the first ``round(fraction * N)`` and the rest.

        With ``shuffle=True`` the sequences are permuted first with ``make_rng(seed)``.

        Examples
        --------
        >>> from recurrent_zoo.tasks import adding_problem
        >>> train, test = adding_problem(10, 6, seed=0).split(0.8, shuffle=True, seed=1)
        >>> len(train), len(test)
        (8, 2)
        """
        fraction = check_probability(fraction, "fraction", closed="neither")
        shuffle = check_bool(shuffle, "shuffle")
        N = self.n_sequences
        n_first = int(round(fraction * N))
        if n_first < 1 or n_first > N - 1:
            raise ValueError(
                f"fraction={fraction} of N={N} sequences leaves one part empty; "
                "each part needs at least one sequence"
            )
        order = make_rng(seed).permutation(N) if shuffle else np.arange(N)
        return self.subset(order[:n_first]), self.subset(order[n_first:])


def one_hot(indices: Any, n_classes: int) -> NDArray:
    """One-hot float64 encoding with a new last axis; negative indices give all-zero rows.

    Negative indices mark padding, so a padded ``(T, N)`` index array becomes a padded
    ``(T, N, n_classes)`` input.

    Examples
    --------
    >>> one_hot([1, -1, 0], 2)
    array([[0., 1.],
           [0., 0.],
           [1., 0.]])
    """
    idx = np.asarray(indices)
    out = np.zeros(idx.shape + (n_classes,), dtype=np.float64)
    valid = idx >= 0
    out[valid, idx[valid]] = 1.0
    return out


def last_step_labels(
    labels: NDArray, lengths: NDArray | None, T: int, loss: str = "cross_entropy"
) -> tuple[NDArray, NDArray, int]:
    """Put one class label per sequence at its last step: ``(targets, mask, output_size)``.

    ``lengths`` ``None`` means every sequence ends at ``T - 1``. With ``loss="bce"`` the targets
    are ``(T, N, 1)`` floats and one output unit; otherwise ``(T, N)`` ints and two classes.
    ``mask`` ``(T, N)`` is 1 only at each sequence's last step.

    Examples
    --------
    >>> targets, mask, size = last_step_labels(np.array([1, 0]), np.array([2, 3]), 3)
    >>> targets.T, size
    (array([[0, 1, 0],
           [0, 0, 0]]), 2)
    """
    n = len(labels)
    last = np.full(n, T - 1) if lengths is None else np.asarray(lengths) - 1
    cols = np.arange(n)
    mask = np.zeros((T, n))
    mask[last, cols] = 1.0
    if loss == "bce":
        targets: NDArray = np.zeros((T, n, 1))
        targets[last, cols, 0] = labels
        return targets, mask, 1
    targets = np.zeros((T, n), dtype=np.int64)
    targets[last, cols] = labels
    return targets, mask, 2


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` if it is a bool, else raise a TypeError naming ``name``.

    Examples
    --------
    >>> check_bool(True, "shuffle")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)
