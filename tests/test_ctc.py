"""CTC loss (Graves et al. 2006): against hand counts, a brute-force sum over all paths, float64
finite differences, and torch.nn.functional.ctc_loss (values and gradients) where torch is
present; errors; the Loss interface through fit."""

import itertools

import numpy as np
import pytest

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.elman import Elman
from recurrent_zoo.testing import numerical_gradient, relative_error
from recurrent_zoo.training import CTC, ctc_loss, ctc_min_length, ctc_posteriors, fit, get_loss


def collapse(path, blank=0):
    """The map B of Graves et al. (2006): merge repeats, then drop blanks."""
    merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return tuple(k for k in merged if k != blank)


def brute_force_nll(logits, labels, blank=0):
    """-log p(l|x) summed over all C^T paths of one sequence (T, C): an independent reference."""
    logits = np.asarray(logits, dtype=np.float64)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    T, C = probs.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        if collapse(path, blank) == tuple(labels):
            total += np.prod(probs[np.arange(T), path])
    return -np.log(total)


# ----------------------------------------------------------------------------- hand-computed
def test_hand_counted_uniform_cases():
    # two steps, (blank, a): "a a", "a -", "- a" give "a", each 1/4 -> p = 3/4
    value, _ = ctc_loss(np.zeros((2, 1, 2)), [[1]], reduction="sum")
    assert np.isclose(value, -np.log(3 / 4), rtol=0, atol=1e-14)
    # "a a" in three steps: only "a - a" -> (1/2)^3
    value, _ = ctc_loss(np.zeros((3, 1, 2)), [[1, 1]], reduction="sum")
    assert np.isclose(value, -np.log(1 / 8), rtol=0, atol=1e-14)
    # "a b" in 4 steps over 3 classes: 15 of 81 paths (-* a+ -* b+ -* of length 4: C(6, 4))
    value, _ = ctc_loss(np.zeros((4, 1, 3)), [[1, 2]], reduction="sum")
    assert np.isclose(value, -np.log(15 / 81), rtol=0, atol=1e-14)
    # the empty labelling: the all-blank path only
    value, _ = ctc_loss(np.zeros((3, 1, 4)), [[]], reduction="sum")
    assert np.isclose(value, -np.log(1 / 64), rtol=0, atol=1e-14)


def test_hand_computed_non_uniform_case_and_gradient():
    # y^1 = (0.5, 0.3, 0.2), y^2 = (0.1, 0.6, 0.3) over (blank, a, b); labelling "a":
    # paths "a a" 0.3*0.6, "a -" 0.3*0.1, "- a" 0.5*0.6 -> p = 0.18 + 0.03 + 0.30 = 0.51
    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]])
    value, grad = ctc_loss(np.log(probs)[:, None, :], [[1]], reduction="sum")
    assert np.isclose(value, -np.log(0.51), rtol=0, atol=1e-14)
    # posterior of "a" at step 1: (0.18 + 0.03) / 0.51; of the blank: 0.30 / 0.51
    expected_step1 = probs[0] - np.array([0.30, 0.21, 0.0]) / 0.51
    expected_step2 = probs[1] - np.array([0.03, 0.48, 0.0]) / 0.51
    np.testing.assert_allclose(grad[:, 0], [expected_step1, expected_step2], rtol=0, atol=1e-14)


def test_min_length_counts_the_repeats():
    assert ctc_min_length([1, 2, 3]) == 3
    assert ctc_min_length([1, 1, 2, 2, 2]) == 8
    # exactly the minimum is feasible (one path, "a - a b - b"), one step fewer is not
    value, _ = ctc_loss(np.zeros((6, 1, 3)), [[1, 1, 2, 2]], reduction="sum")
    assert np.isclose(value, -6 * np.log(1 / 3), rtol=0, atol=1e-13)
    with pytest.raises(ValueError, match="needs at least 8 input steps"):
        ctc_loss(np.zeros((7, 1, 3)), [[1, 1, 2, 2, 2]])


# ----------------------------------------------------------------------------- brute force
CASES = [
    # (T, C, labels per sequence, input lengths)
    (5, 3, [[1, 2], [1, 1], [], [2]], [5, 4, 3, 1]),
    (6, 4, [[3, 3, 3], [1, 2, 3], [2, 1, 2, 1]], [6, 6, 5]),
    (4, 2, [[1], [1, 1], []], [4, 3, 2]),
]


@pytest.mark.parametrize("T, C, labels, lengths", CASES)
def test_values_equal_the_sum_over_all_paths(T, C, labels, lengths):
    rng = np.random.default_rng(T * C)
    logits = rng.normal(scale=2.0, size=(T, len(labels), C))
    values, _ = ctc_loss(logits, labels, lengths, reduction="none")
    expected = [
        brute_force_nll(logits[:n, b], l)
        for b, (l, n) in enumerate(zip(labels, lengths, strict=True))
    ]
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("blank", [0, 2])
def test_blank_at_another_index(blank):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(5, 2, 3))
    labels = [[k for k in (0, 1, 1) if k != blank] or [1], [1 if blank != 1 else 0]]
    values, _ = ctc_loss(logits, labels, blank=blank, reduction="none")
    expected = [brute_force_nll(logits[:, b], l, blank) for b, l in enumerate(labels)]
    np.testing.assert_allclose(values, expected, rtol=1e-12)


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradient_matches_finite_differences(reduction):
    rng = np.random.default_rng(7)
    T, C = 7, 4
    labels = [[1, 2, 2], [3], [], [1, 2, 3, 1]]
    lengths = np.array([7, 5, 3, 6])
    logits = rng.normal(size=(T, len(labels), C))
    weights = rng.normal(size=len(labels))  # a random combination tests each "none" column

    def f():
        value, _ = ctc_loss(logits, labels, lengths, reduction=reduction)
        return float(np.dot(weights, value)) if reduction == "none" else value

    _, grad = ctc_loss(logits, labels, lengths, reduction=reduction)
    if reduction == "none":
        grad = grad * weights[None, :, None]
    numeric = numerical_gradient(f, logits)
    assert relative_error(grad, numeric) <= 1e-6
    # nothing past a sequence's length
    assert np.all(grad[5:, 1] == 0) and np.all(grad[3:, 2] == 0)


def test_posteriors_sum_to_one_and_give_the_gradient():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(6, 2, 3))
    gamma, ext = ctc_posteriors(logits, [[1, 1], [2]], [6, 4])
    np.testing.assert_allclose(gamma[:6, 0].sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(gamma[:4, 1].sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(gamma[4:, 1] == 0)
    assert ext.tolist() == [[0, 1, 0, 1, 0], [0, 2, 0, 0, 0]]


def test_long_sequences_do_not_underflow():
    # 3000 steps: p(l|x) is about e^-3000, far below the smallest float64 -- fine in log space
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3000, 1, 5))
    labels = [list(rng.integers(1, 5, size=200))]
    value, grad = ctc_loss(logits, labels, reduction="sum")
    assert np.isfinite(value) and value > 1000
    assert np.all(np.isfinite(grad))
    # each step's gradient sums to zero over the classes (softmax minus a distribution); the
    # posteriors come from log-likelihoods of size ~5000, so they carry ~5000 eps of rounding
    np.testing.assert_allclose(grad.sum(axis=2), 0.0, atol=1e-11)


def test_long_sequences_equal_torch():
    # hundreds of steps and labels, far beyond what the brute force can check (torch's CPU
    # kernel is slow in float64 on a busy machine: kept short)
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(300, 2, 5))
    labels = [list(rng.integers(1, 5, size=30)), list(rng.integers(1, 5, size=90))]
    value, grad = ctc_loss(logits, labels, [300, 260], reduction="sum")
    ref_value, ref_grad = _torch_ctc(logits, labels, [300, 260], "sum")
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=1e-10)


# ----------------------------------------------------------------------------- PyTorch parity
def _torch_ctc(logits, labels, lengths, reduction, blank=0):
    torch = pytest.importorskip("torch")
    x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    log_probs = torch.log_softmax(x, dim=2)
    flat = torch.tensor([k for l in labels for k in l], dtype=torch.long)
    value = torch.nn.functional.ctc_loss(
        log_probs,
        flat,
        torch.tensor(lengths),
        torch.tensor([len(l) for l in labels]),
        blank=blank,
        reduction=reduction,
    )
    (value.sum() if reduction == "none" else value).backward()
    return value.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("blank", [0, 5])
def test_equals_torch_ctc_loss(reduction, blank):
    rng = np.random.default_rng(11)
    T, B, C = 30, 6, 6
    labels = []
    for n in [0, 1, 4, 8, 12, 15]:
        l = list(rng.integers(0, C - 1, size=n))
        labels.append([k + (k >= blank) for k in l])  # skip the blank's index
    labels[3] = labels[3][:2] + [labels[3][1]] * 3 + labels[3][2:]  # a run of repeats
    lengths = np.array([30, 29, 12, 30, 25, 30])
    logits = rng.normal(scale=3.0, size=(T, B, C))
    value, grad = ctc_loss(logits, labels, lengths, blank=blank, reduction=reduction)
    ref_value, ref_grad = _torch_ctc(logits, labels, lengths, reduction, blank)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=1e-10)


def test_padded_array_targets_equal_list_targets_and_torch():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(10, 3, 4))
    labels = [[1, 2, 3], [3, 3], [2]]
    padded = np.full((3, 3), -1)
    for b, l in enumerate(labels):
        padded[: len(l), b] = l
    with_lengths = np.where(padded < 0, 7, padded)  # padding ignored given target_lengths
    a = ctc_loss(logits, labels)
    b = ctc_loss(logits, padded)
    c = ctc_loss(logits, with_lengths, target_lengths=[3, 2, 1])
    assert a[0] == b[0] == c[0]
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[1], c[1])
    ref_value, ref_grad = _torch_ctc(logits, labels, [10, 10, 10], "mean")
    np.testing.assert_allclose(a[0], ref_value, rtol=1e-12)
    np.testing.assert_allclose(a[1], ref_grad, atol=1e-10)


def test_float32_logits_keep_their_dtype():
    logits = np.random.default_rng(0).normal(size=(5, 2, 3)).astype(np.float32)
    value, grad = ctc_loss(logits, [[1], [2, 1]])
    value64, grad64 = ctc_loss(logits.astype(np.float64), [[1], [2, 1]])
    assert grad.dtype == np.float32 and value == value64
    np.testing.assert_allclose(grad, grad64, rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"targets": [[1, 2, 1, 2, 1]]}, ValueError, "needs at least 5 input steps.*has 4"),
        ({"targets": [[1, 1, 2, 2]]}, ValueError, "2 adjacent repeat.*needs at least 6"),
        ({"targets": [[1, 0]]}, ValueError, "contains the blank"),
        ({"targets": [[1, 2]], "blank": 2}, ValueError, "contains the blank"),
        ({"targets": [[1, 3]]}, ValueError, r"labels in \[0, C=3\)"),
        ({"targets": [[1]], "input_lengths": [5]}, ValueError, r"input_lengths must lie in \[1"),
        ({"targets": [[1]], "input_lengths": [0]}, ValueError, "input_lengths must lie"),
        ({"targets": [[1]], "blank": 3}, ValueError, "blank must be a class index"),
        ({"targets": [[1]], "reduction": "avg"}, ValueError, "reduction must be one of"),
        ({"targets": [[1], [2]]}, ValueError, "one label sequence per sequence"),
        ({"targets": np.array([[1, -1, 2]]).T}, ValueError, "negative entry before a label"),
        ({"targets": np.array([[1, 2]]).T, "target_lengths": [3]}, ValueError, "target_lengths"),
        ({"targets": [[1.5]]}, TypeError, "integer labels"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs, exc, match):
    kwargs = dict(kwargs)
    targets = kwargs.pop("targets")
    with pytest.raises(exc, match=match):
        ctc_loss(np.zeros((4, 1, 3)), targets, **kwargs)


def test_nan_logits_are_refused():
    logits = np.zeros((4, 1, 3))
    logits[2, 0, 1] = np.nan
    with pytest.raises(ValueError, match="logits must be finite"):
        ctc_loss(logits, [[1]])


# ----------------------------------------------------------------------------- the Loss in fit
def test_loss_object_equals_the_function():
    rng = np.random.default_rng(5)
    Y = rng.normal(size=(8, 3, 4))
    labels = [[1, 2], [3, 3, 1], []]
    lengths = [8, 6, 2]
    for reduction in ("mean", "sum"):
        value, dY = CTC(reduction=reduction)(Y, labels, lengths=lengths)
        ref_value, ref_dY = ctc_loss(Y, labels, lengths, reduction=reduction)
        assert np.isclose(value, ref_value, rtol=1e-14)
        np.testing.assert_allclose(dY, ref_dY, rtol=1e-14)
    # a length mask is the same as lengths; any other mask is refused
    mask = (np.arange(8)[:, None] < np.array(lengths)).astype(float)
    assert CTC()(Y, labels, mask=mask)[0] == CTC()(Y, labels, lengths=lengths)[0]
    mask[0, 0] = 0.5
    with pytest.raises(ValueError, match="length mask"):
        CTC()(Y, labels, mask=mask)
    assert repr(get_loss("ctc")) == "CTC(blank=0, reduction='mean')"


def test_fit_trains_with_ctc_and_refuses_tbptt():
    # each sequence's label is the one-hot class that appears (for a few steps) in its input
    rng = np.random.default_rng(0)
    N, T = 64, 8
    labels = rng.integers(1, 4, size=N)
    X = np.zeros((T, N, 4))
    starts = rng.integers(0, 5, size=N)
    for n in range(N):
        X[starts[n] : starts[n] + 3, n, labels[n]] = 1.0
    X[:, :, 0] += 0.1
    Y = [[int(l)] for l in labels]
    lengths = rng.integers(6, T + 1, size=N)
    model = Stacked([Elman(4, 8, seed=0), Linear(8, 4, seed=1)])
    history = fit(model, X, Y, loss="ctc", lengths=lengths, lr=0.05, epochs=15, seed=0)
    assert history["loss"][-1] < 0.25 * history["loss"][0]
    with pytest.raises(ValueError, match="tbptt cannot be used with the 'ctc' loss"):
        fit(model, X, Y, loss="ctc", tbptt=4, epochs=1)
    with pytest.raises(ValueError, match="Y\\[0\\] contains the blank"):
        fit(model, X, [[0]] + Y[1:], loss="ctc", epochs=1)


def test_fit_validates_ctc_on_minibatches_shorter_than_the_padding():
    # a validation minibatch whose sequences all end before the padded length: fit runs it only
    # to its longest sequence, and the padding's zero outputs select nothing -- a sequence-level
    # loss must not be asked to score them (it has no step of any sequence there)
    rng = np.random.default_rng(1)
    T, N = 9, 6
    X = rng.standard_normal((T, N, 3))
    Y = [[1], [2, 1], [3], [1, 3], [2], [3, 2]]
    lengths = np.array([9, 8, 4, 4, 5, 3])  # minibatches of 2: the 2nd and 3rd end by step 5
    model = Stacked([Elman(3, 5, seed=0), Linear(5, 4, seed=1)])
    history = fit(
        model,
        X,
        Y,
        loss="ctc",
        lengths=lengths,
        epochs=1,
        batch_size=2,
        shuffle=False,
        validation_data=(X, Y, None, lengths),
        seed=0,
    )
    whole = CTC()(model.forward(X, lengths=lengths)[0], Y, lengths=lengths)[0]
    assert np.isclose(history["val_loss"][-1], whole, rtol=1e-12)
