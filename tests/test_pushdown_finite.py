"""No NaN or infinity in the pushdown memories, over 10 seeds (issue 14's reference behaviour).

Each model is run forward and backward from 10 random initialisations on inputs 20 times
larger than one-hot (every gate saturated), over sequences of mixed lengths long enough to
empty and overfill the memories' strengths (pops of the empty stack, pushes past a full
read), in float64 and float32: outputs, the final state, the input gradient and every
parameter gradient must be finite. The trained runs of the quick configurations for seeds 0-9
are in benchmarks/results/pushdown_reference.txt ("seeds").
"""

from __future__ import annotations

import numpy as np
import pytest

from recurrent_zoo.neural_stack import NeuralStack
from recurrent_zoo.nnpda import NNPDA
from recurrent_zoo.stack_rnn import StackRNN

T, B, I = 40, 3, 3
MODELS = {
    "nnpda": lambda seed, dtype: NNPDA(I, 3, init_scale=3.0, seed=seed, dtype=dtype),
    "stack_rnn": lambda seed, dtype: StackRNN(
        I, 6, n_stacks=2, stack_size=T + 2, no_op=True, recurrent=True, seed=seed, dtype=dtype
    ),
    "neural_stack": lambda seed, dtype: NeuralStack(I, 5, value_size=2, seed=seed, dtype=dtype),
    "neural_queue": lambda seed, dtype: NeuralStack(
        I, 5, memory="queue", value_size=2, seed=seed, dtype=dtype
    ),
    "neural_deque": lambda seed, dtype: NeuralStack(
        I, 5, memory="deque", value_size=2, seed=seed, dtype=dtype
    ),
}


def _all_finite(tree) -> bool:
    if isinstance(tree, dict):
        return all(_all_finite(v) for v in tree.values())
    if isinstance(tree, list | tuple):
        return all(_all_finite(v) for v in tree)
    if tree is None:
        return True
    return bool(np.isfinite(np.asarray(tree)).all())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_no_nan_over_ten_seeds(name, dtype):
    for seed in range(10):
        rng = np.random.default_rng(seed)
        model = MODELS[name](seed, dtype)
        X = (20.0 * rng.standard_normal((T, B, I))).astype(dtype)
        lengths = np.array([T, T // 2, 1])
        Y, state = model.forward(X, lengths=lengths)
        assert _all_finite(Y) and _all_finite(state), (name, seed)
        dX = model.backward(rng.standard_normal(Y.shape).astype(dtype))
        assert _all_finite(dX), (name, seed)
        assert model.grads and _all_finite(model.grads), (name, seed)
