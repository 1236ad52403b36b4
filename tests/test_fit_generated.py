"""fit_generated: training on fresh batches; deterministic, stoppable, one optimizer throughout,
and a clear error when training diverges."""

import numpy as np
import pytest

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.elman import Elman
from recurrent_zoo.tasks import binary_copy
from recurrent_zoo.training import SGD, fit, fit_generated


def _model(seed=0):
    return Stacked([Elman(3, 8, seed=seed), Linear(8, 2, seed=seed)])


def _batch(rng):
    return binary_copy(8, (1, 3), n_bits=2, seed=rng)


def test_same_seed_same_run_bit_for_bit():
    a, b = _model(), _model()
    ha = fit_generated(a, _batch, 15, lr=0.01, seed=3)
    hb = fit_generated(b, _batch, 15, lr=0.01, seed=3)
    assert ha["loss"] == hb["loss"] and len(ha["loss"]) == 15
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])


def test_equals_fit_on_each_batch_with_one_optimizer():
    # the same updates as fit(epochs=1) batch after batch with one SGD-with-momentum optimizer
    # (its momentum carries over from batch to batch)
    a, b = _model(), _model()
    opt_a = SGD(a.params, lr=0.05, momentum=0.9)
    fit_generated(a, _batch, 5, optimizer=opt_a, seed=1)
    rng = np.random.default_rng(1)
    opt_b = SGD(b.params, lr=0.05, momentum=0.9)
    for _ in range(5):
        data = _batch(rng)
        X, Y, mask = data
        fit(
            b,
            X,
            Y,
            mask=mask,
            lengths=data.lengths,
            loss="bce",
            optimizer=opt_b,
            epochs=1,
            batch_size=8,
            shuffle=False,
            progress=False,
        )
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])


def test_callback_stops_and_tuples_train_with_mse():
    model = _model()
    seen = []
    h = fit_generated(
        model, _batch, 50, lr=0.01, seed=0, callback=lambda i, logs: seen.append(i) or i == 4
    )
    assert seen == [0, 1, 2, 3, 4] and h.epochs == 5
    rng_data = lambda rng: (rng.normal(size=(4, 2, 3)), np.zeros((4, 2, 2)), None, None)  # noqa: E731
    h = fit_generated(_model(), rng_data, 3, lr=0.01, seed=0)
    assert len(h["loss"]) == 3


def test_divergence_is_a_clear_error():
    model = Linear(3, 2, seed=0)

    def batch(rng):
        return rng.normal(size=(4, 8, 3)), rng.normal(size=(4, 8, 2)), None, None

    # (numpy's overflow warnings, errors under this suite's settings, are not what is tested)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(FloatingPointError, match="diverged"):
            fit_generated(model, batch, 200, optimizer="sgd", lr=1e6, seed=0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"make_batch": 3}, "make_batch"),
        ({"n_batches": 0}, "n_batches"),
        ({"callback": 1}, "callback"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"make_batch": _batch, "n_batches": 2, **kwargs}
    with pytest.raises((TypeError, ValueError), match=match):
        fit_generated(_model(), args.pop("make_batch"), args.pop("n_batches"), **args)
    with pytest.raises(TypeError, match="model"):
        fit_generated("model", _batch, 2)
