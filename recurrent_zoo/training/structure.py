r"""Training recursive nets on forests: per-node and per-root losses, the loop, evaluation.

A recursive net (:class:`~recurrent_zoo._core.structure.StructureModel`) gives every node of a
forest a state, ``(N, H)``. A readout -- a :class:`~recurrent_zoo.Linear` layer, applied to
every node at once -- turns the states into logits; the loss reads them either at every node
(*per-node* targets, as the Stanford Sentiment Treebank labels every phrase) or at the roots
only (*per-root* targets: the value of an expression, the class of a term). Either way the
gradient is ``(N, C)``, zero at the nodes the loss does not read, and goes back through the
readout and :meth:`~recurrent_zoo._core.structure.StructureModel.backward` (backpropagation
through structure).

The losses are those of :mod:`recurrent_zoo.training.losses` (``"cross_entropy"``,
``"mse"``, ``"bce"``), averaged over the nodes selected:

.. math::

    L_{\text{nodes}} = \frac{\sum_j w_j\, \ell(y_j, \hat y_j)}{\sum_j w_j}, \qquad
    L_{\text{roots}} = \frac{1}{|R|} \sum_{r \in R} \ell(y_r, \hat y_r)

with node weights :math:`w_j` (a mask, 1 by default) and :math:`R` the roots.

Examples
--------
>>> from recurrent_zoo import Linear
>>> from recurrent_zoo.recursive import RecursiveNN
>>> from recurrent_zoo.tasks.trees import boolean_expressions
>>> data = boolean_expressions(200, max_depth=2, seed=0)
>>> model, readout = RecursiveNN(6, 8, seed=0), Linear(8, 2, seed=1)
>>> history = fit_forest(model, readout, data.forest(), data.targets, epochs=20, lr=0.02,
...                      seed=0)
>>> evaluate_forest(model, readout, data.forest(), data.targets)["accuracy"] > 0.9
True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.base import SequenceModel
from .._core.init import make_rng
from .._core.structure import Forest, StructureModel, as_forest
from .._core.validation import NDArray, check_array, check_positive_int
from .clipping import clip_grad_norm
from .fit import History
from .losses import Loss, get_loss
from .metrics import Metric, get_metric
from .optimizers import Optimizer, get_optimizer

__all__ = [
    "evaluate_forest",
    "fit_forest",
    "node_loss",
    "parameters",
    "predict_forest",
    "root_loss",
]


def _check_outputs(Y: Any) -> NDArray:
    Y = check_array(Y, "Y", ndim=2, shape_doc="(N, output_size)")
    return Y if Y.dtype.kind == "f" else Y.astype(np.float64)


def node_loss(
    Y: Any, targets: Any, mask: Any = None, *, loss: str = "cross_entropy"
) -> tuple[float, NDArray]:
    """The loss over every node (weighted by ``mask``) and its gradient with respect to ``Y``.

    Parameters
    ----------
    Y : array_like, shape (N, C)
        Outputs (logits for the cross-entropies) of every node.
    targets : array_like
        ``(N,)`` class indices, or ``(N, C)`` values, one per node.
    mask : array_like, shape (N,), optional
        Non-negative node weights (0/1 selects nodes).
    loss : {"cross_entropy", "mse", "bce"} or a Loss

    Returns
    -------
    value : float
    dY : ndarray, shape (N, C)

    Examples
    --------
    >>> value, dY = node_loss(np.zeros((2, 4)), [3, 0], mask=[1, 0])
    >>> bool(np.isclose(value, np.log(4))), dY[1].tolist()
    (True, [0.0, 0.0, 0.0, 0.0])
    """
    Y = _check_outputs(Y)
    targets = np.asarray(targets)
    mask_seq = None if mask is None else np.asarray(mask)[None]
    value, dY = get_loss(loss)(Y[None], targets[None], mask_seq)
    return value, dY[0]


def root_loss(
    Y: Any, forest: Any, targets: Any, *, loss: str = "cross_entropy"
) -> tuple[float, NDArray]:
    """The loss over the roots of ``forest`` (one target each) and its gradient on ``Y``.

    ``targets`` has one entry per root, in the order of ``forest.roots()`` (graph by graph for
    single-rooted graphs); ``dY`` is ``(N, C)``, zero off the roots.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([(0, 1)]); nx.set_node_attributes(G, [1.0], "x")
    >>> value, dY = root_loss(np.zeros((2, 2)), [G], [1])
    >>> dY.tolist()
    [[0.5, -0.5], [0.0, 0.0]]
    """
    Y = _check_outputs(Y)
    forest = as_forest(forest)
    full, mask = _expand_roots(forest, targets, Y.shape[0])
    return node_loss(Y, full, mask, loss=loss)


def _expand_roots(forest: Forest, targets: Any, n: int) -> tuple[NDArray, NDArray]:
    """Per-root targets spread over all ``n`` rows (zeros off the roots) and the root mask."""
    roots = forest.roots()
    targets = np.asarray(targets)
    if targets.shape[:1] != (roots.size,):
        raise ValueError(
            f"targets must have one entry per root ({roots.size} roots); got shape {targets.shape}"
        )
    if n != forest.n_nodes:
        raise ValueError(f"Y must have one row per node ({forest.n_nodes}); got {n}")
    full = np.zeros((n, *targets.shape[1:]), dtype=targets.dtype)
    full[roots] = targets
    mask = np.zeros(n)
    mask[roots] = 1.0
    return full, mask


# ----------------------------------------------------------------------------- model + readout
def _readout_forward(readout: SequenceModel | None, H: NDArray) -> NDArray:
    return H if readout is None else readout.forward(H[None])[0][0]


def _params(model: StructureModel, readout: SequenceModel | None) -> dict[str, NDArray]:
    params = {f"model.{k}": v for k, v in model.params.items()}
    if readout is not None:
        params.update({f"readout.{k}": v for k, v in readout.params.items()})
    return params


def predict_forest(model: StructureModel, readout: SequenceModel | None, forest: Any) -> NDArray:
    """The readout's output at every node, ``(N, C)`` (the model's states without a readout)."""
    return _readout_forward(readout, model.forward(forest))


def _node_targets(forest: Forest, targets: Any, on: str, mask: Any) -> tuple[NDArray, NDArray]:
    if on == "roots":
        if mask is not None:
            raise ValueError("mask applies to on='nodes'; per-root targets select the roots")
        return _expand_roots(forest, targets, forest.n_nodes)
    if on != "nodes":
        raise ValueError(f"on must be 'roots' or 'nodes'; got {on!r}")
    targets = np.asarray(targets)
    if targets.shape[:1] != (forest.n_nodes,):
        raise ValueError(
            f"targets must have one entry per node ({forest.n_nodes}) with on='nodes'; got "
            f"shape {targets.shape}"
        )
    weights = np.ones(forest.n_nodes) if mask is None else np.asarray(mask, dtype=np.float64)
    if weights.shape != (forest.n_nodes,):
        raise ValueError(f"mask must have shape ({forest.n_nodes},); got {weights.shape}")
    return targets, weights


def fit_forest(
    model: StructureModel,
    readout: SequenceModel | None,
    forest: Any,
    targets: Any,
    *,
    on: str = "roots",
    mask: Any = None,
    loss: str = "cross_entropy",
    optimizer: str | Optimizer = "adam",
    lr: float | None = None,
    epochs: int = 10,
    batch_size: int = 32,
    clip_norm: float | None = None,
    seed: Any = None,
    callback: Callable[[int, History], bool | None] | None = None,
) -> History:
    """Train a recursive net (and its readout) by backpropagation through structure.

    Each epoch shuffles the graphs and takes minibatches of ``batch_size`` graphs (a
    :meth:`~recurrent_zoo._core.structure.Forest.subset`, no graph re-read), each run forward
    level by level, the loss taken at the roots or the nodes, the gradients backpropagated
    through the readout and the structure, optionally clipped, and the parameters of both
    updated in place.

    Parameters
    ----------
    model : StructureModel
    readout : SequenceModel or None
        Applied to every node's state (a :class:`~recurrent_zoo.Linear`), or None to train
        the states themselves.
    forest : Forest or list of networkx graphs
    targets : array_like
        One per root (``on="roots"``, in ``forest.roots()`` order) or per node
        (``on="nodes"``).
    on : {"roots", "nodes"}
    mask : array_like, shape (N,), optional
        Node weights for ``on="nodes"``.
    loss : str or Loss
    optimizer : str or Optimizer
        A name (built over the parameters of model and readout) or an instance built over
        :func:`parameters`.
    lr : float, optional
    epochs, batch_size : int
    clip_norm : float, optional
        Clip the gradients' joint norm.
    seed : int or numpy.random.Generator, optional
        The shuffling.
    callback : callable, optional
        ``callback(epoch, history)`` after each epoch; returning True stops training.

    Returns
    -------
    History
        ``history["loss"]``: the mean minibatch loss of each epoch.
    """
    if not isinstance(model, StructureModel):
        raise TypeError(f"model must be a StructureModel; got {type(model).__name__}")
    if readout is not None and not isinstance(readout, SequenceModel):
        raise TypeError(f"readout must be a SequenceModel (Linear) or None; got {readout!r}")
    forest = as_forest(forest)
    full, weights = _node_targets(forest, targets, on, mask)
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    params = _params(model, readout)
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            raise ValueError("lr applies only when optimizer is a name")
        opt = optimizer
    else:
        opt = get_optimizer(optimizer, params, **({} if lr is None else {"lr": lr}))
    loss_fn = get_loss(loss)
    rng = make_rng(seed)
    history = History({"loss": []})
    start = time.perf_counter()
    n = forest.n_graphs
    for epoch in range(epochs):
        order = rng.permutation(n)
        total, count = 0.0, 0
        for b0 in range(0, n, batch_size):
            idx = order[b0 : b0 + batch_size]
            rows = forest.rows_of_graphs(idx)
            w = weights[rows]
            if not w.sum() > 0:
                continue
            sub = forest.subset(idx)
            H = model.forward(sub)
            Y = _readout_forward(readout, H)
            value, dY = loss_fn(Y[None], full[rows][None], w[None])
            dH = dY[0] if readout is None else readout.backward(dY)[0]
            model.backward(dH)
            grads = {f"model.{k}": v for k, v in model.grads.items()}
            if readout is not None:
                grads.update({f"readout.{k}": v for k, v in readout.grads.items()})
            if clip_norm is not None:
                clip_grad_norm(grads, clip_norm)
            opt.step(grads)
            total += value
            count += 1
        history.history["loss"].append(total / max(count, 1))
        if callback is not None and callback(epoch, history):
            break
    history.wall_time = time.perf_counter() - start
    return history


def parameters(model: StructureModel, readout: SequenceModel | None = None) -> dict[str, NDArray]:
    """The parameters of a model and its readout as one dict (``model.*``, ``readout.*``), the
    arrays themselves: build an optimizer over it to pass to :func:`fit_forest`."""
    return _params(model, readout)


def evaluate_forest(
    model: StructureModel,
    readout: SequenceModel | None,
    forest: Any,
    targets: Any,
    *,
    on: str = "roots",
    mask: Any = None,
    loss: str = "cross_entropy",
    metrics: tuple[str, ...] = ("accuracy",),
    batch_size: int = 256,
) -> dict[str, float]:
    """The loss and ``metrics`` over the roots or the nodes of ``forest``, in batches of graphs.

    Returns ``{"loss": ..., "<metric>": ...}``, averaged over the selected nodes.
    """
    forest = as_forest(forest)
    full, weights = _node_targets(forest, targets, on, mask)
    batch_size = check_positive_int(batch_size, "batch_size")
    loss_fn = get_loss(loss)
    objectives: list[Loss | Metric] = [loss_fn, *(get_metric(m) for m in metrics)]
    sums = np.zeros(len(objectives))
    counts = np.zeros(len(objectives))
    for b0 in range(0, forest.n_graphs, batch_size):
        idx = np.arange(b0, min(b0 + batch_size, forest.n_graphs))
        rows = forest.rows_of_graphs(idx)
        w = weights[rows]
        if not w.sum() > 0:
            continue
        Y = predict_forest(model, readout, forest.subset(idx))
        for k, obj in enumerate(objectives):
            t, ww = obj.expand((1, Y.shape[0], Y.shape[1]), full[rows][None], w[None])
            s = obj.weighted_sum(Y[None], t, ww)
            sums[k] += s[0]
            counts[k] += s[-1]
    names = ["loss", *metrics]
    return {name: float(sums[k] / counts[k]) for k, name in enumerate(names)}
