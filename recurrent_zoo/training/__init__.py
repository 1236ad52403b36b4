"""Training by explicit backpropagation through time: losses, optimizers, clipping, the loop.

Recursive nets over forests train with :func:`fit_forest` (backpropagation through structure,
per-root or per-node losses; :mod:`recurrent_zoo.training.structure`).

Examples
--------
>>> import numpy as np
>>> from recurrent_zoo import Stacked, Linear
>>> from recurrent_zoo.elman import Elman
>>> from recurrent_zoo.training import fit, evaluate
>>> rng = np.random.default_rng(0)
>>> X = rng.uniform(-1, 1, size=(6, 128, 1))             # (T, N, I)
>>> Y = X[-1]                                              # recall the last input: (N, O)
>>> model = Stacked([Elman(1, 8, seed=0), Linear(8, 1, seed=0)])
>>> before = evaluate(model, X, Y)["loss"]
>>> history = fit(model, X, Y, optimizer="adam", lr=0.02, epochs=10, seed=0)
>>> evaluate(model, X, Y)["loss"] < 0.1 * before
True
"""

from .clipping import clip_grad_norm, clip_grad_value
from .ctc import CTC, ctc_loss, ctc_min_length, ctc_posteriors
from .fit import History, evaluate, fit, predict
from .losses import LOSSES, MSE, BinaryCrossEntropy, Loss, SoftmaxCrossEntropy, get_loss
from .metrics import (
    METRICS,
    Accuracy,
    BinaryAccuracy,
    BitsPerCharacter,
    MeanAbsoluteError,
    MeanSquaredError,
    Metric,
    Perplexity,
    get_metric,
)
from .optimizers import OPTIMIZERS, SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop, get_optimizer
from .schedules import StepDecay
from .stream import fit_generated
from .structure import evaluate_forest, fit_forest, node_loss, predict_forest, root_loss
from .transfer import copy_params

__all__ = [
    "fit",
    "copy_params",
    "fit_generated",
    "evaluate",
    "predict",
    "History",
    "Loss",
    "MSE",
    "SoftmaxCrossEntropy",
    "BinaryCrossEntropy",
    "CTC",
    "ctc_loss",
    "ctc_min_length",
    "ctc_posteriors",
    "LOSSES",
    "get_loss",
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "OPTIMIZERS",
    "get_optimizer",
    "clip_grad_norm",
    "clip_grad_value",
    "Metric",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "Accuracy",
    "BinaryAccuracy",
    "Perplexity",
    "BitsPerCharacter",
    "METRICS",
    "get_metric",
    "StepDecay",
    "fit_forest",
    "evaluate_forest",
    "predict_forest",
    "node_loss",
    "root_loss",
]
