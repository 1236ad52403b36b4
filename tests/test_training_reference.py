"""Optimizers, losses and clipping against references that need no torch.

tests/test_training.py compares them with torch.optim / torch.nn, which skips without torch
(the README's test command does not install it). Here each update rule is written out again,
independently and element by element in Python floats, from the papers' formulas (explicit sums
over the gradient history where the paper writes the running averages as such), and run for a
few steps; losses and clipping are checked against values computed by hand (in the comments).

Where a paper and PyTorch differ in a detail we follow (PyTorch's dampening of SGD's first step,
the place of RMSprop's epsilon, the bias correction of AMSGrad's maximum, AdamW's decay scaled
by the learning rate), the reference follows PyTorch's documented algorithm and says so.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from recurrent_zoo.testing import numerical_gradient, relative_error
from recurrent_zoo.training import (
    MSE,
    SGD,
    Adagrad,
    Adam,
    AdamW,
    BinaryCrossEntropy,
    RMSprop,
    SoftmaxCrossEntropy,
    clip_grad_norm,
    clip_grad_value,
)

N_STEPS = 6


# ============================================================================ reference rules
# Each takes one parameter's starting value theta0 (a float), the raw gradients g_1..g_n (floats,
# those of the loss without weight decay) and the hyperparameters, and returns theta_1..theta_n.
def sgd_sutskever(theta0, gs, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
    """Sutskever, Martens, Dahl & Hinton (2013), eqs. (1)-(2) (classical momentum) and (3)-(4)
    (Nesterov): v_t = mu v_{t-1} - lr grad f(theta_{t-1} [+ mu v_{t-1}]); theta_t = theta_{t-1}
    + v_t. For Nesterov the gradient is taken at the look-ahead point phi = theta + mu v, and
    phi is the parameter an optimizer that sees only gradients holds (Bengio, Boulanger-
    Lewandowski & Pascanu 2013, "Advances in optimizing recurrent networks")."""
    theta, v, out = theta0, 0.0, []
    for g in gs:
        point = theta + momentum * v if nesterov else theta  # where the gradient was taken
        g = g + weight_decay * point
        v = momentum * v - lr * g
        theta = theta + v
        out.append(theta + momentum * v if nesterov else theta)
    return out


def sgd_dampened(theta0, gs, lr, momentum, dampening):
    """PyTorch's documented SGD with dampening tau: b_1 = g_1 (no dampening at the first step),
    b_t = mu b_{t-1} + (1 - tau) g_t; theta_t = theta_{t-1} - lr b_t."""
    theta, b, out = theta0, None, []
    for g in gs:
        b = g if b is None else momentum * b + (1 - dampening) * g
        theta = theta - lr * b
        out.append(theta)
    return out


def adagrad(
    theta0, gs, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10
):
    """Duchi, Hazan & Singer (2011), diagonal form: theta_t = theta_{t-1} - lr_t g_t /
    (sqrt(s_0 + sum_{k<=t} g_k^2) + eps), with PyTorch's lr_t = lr / (1 + (t - 1) lr_decay)."""
    theta, seen, out = theta0, [], []
    for t, g in enumerate(gs, start=1):
        g = g + weight_decay * theta
        seen.append(g)
        history = initial_accumulator_value + sum(x * x for x in seen)
        theta = theta - lr / (1 + (t - 1) * lr_decay) * g / (math.sqrt(history) + eps)
        out.append(theta)
    return out


def _ewma(xs, decay):
    """sum_{k<=t} (1 - decay) decay^(t-k) x_k: a running average started at 0, as a sum."""
    t = len(xs)
    return sum((1 - decay) * decay ** (t - k) * x for k, x in enumerate(xs, start=1))


def rmsprop(theta0, gs, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    """Tieleman & Hinton (2012): v_t = E[g^2]_t (running average with decay alpha), theta -=
    lr g_t / (sqrt(v_t) + eps). Centered (Graves 2013, "Generating sequences with recurrent
    neural networks"): divide by sqrt(v_t - E[g]_t^2), the estimated standard
    deviation, with momentum Delta_t = mu Delta_{t-1} - lr g_t / d_t; theta += Delta_t. (Graves
    puts eps under the root; PyTorch adds it to the root, as here.)"""
    theta, delta, seen, out = theta0, 0.0, [], []
    for g in gs:
        g = g + weight_decay * theta
        seen.append(g)
        var = _ewma([x * x for x in seen], alpha)
        if centered:
            var -= _ewma(seen, alpha) ** 2
        d = math.sqrt(max(var, 0.0)) + eps
        delta = momentum * delta - lr * g / d
        theta = theta + delta
        out.append(theta)
    return out


def adam(
    theta0,
    gs,
    lr,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    amsgrad=False,
    decoupled_weight_decay=0.0,
):
    """Kingma & Ba (2015), Algorithm 1: m_t, v_t running averages of g and g^2 (decays beta1,
    beta2), m_hat = m_t / (1 - beta1^t), v_hat = v_t / (1 - beta2^t), theta_t = theta_{t-1} -
    lr m_hat / (sqrt(v_hat) + eps). AMSGrad (Reddi, Kale & Kumar 2018) normalises by the running
    maximum of v_t, bias-corrected by 1 - beta2^t as PyTorch does. Decoupled decay (Loshchilov
    & Hutter 2019, Algorithm 2 with schedule multiplier 1): theta_t also loses lambda
    theta_{t-1}, with PyTorch's lambda = lr * weight_decay."""
    beta1, beta2 = betas
    theta, seen, vs, out = theta0, [], [], []
    for t, g in enumerate(gs, start=1):
        g = g + weight_decay * theta
        seen.append(g)
        m_hat = _ewma(seen, beta1) / (1 - beta1**t)
        vs.append(_ewma([x * x for x in seen], beta2))
        v = max(vs) if amsgrad else vs[-1]
        v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (math.sqrt(v_hat) + eps) - lr * decoupled_weight_decay * theta
        out.append(theta)
    return out


def adamw(theta0, gs, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
    return adam(theta0, gs, lr, betas, eps, 0.0, amsgrad, decoupled_weight_decay=weight_decay)


REFERENCE_CASES = [
    # (optimizer, its kwargs, reference rule, the rule's kwargs)
    (SGD, dict(lr=0.1), sgd_sutskever, {}),
    (SGD, dict(lr=0.1, momentum=0.9), sgd_sutskever, dict(momentum=0.9)),
    (
        SGD,
        dict(lr=0.1, momentum=0.9, nesterov=True),
        sgd_sutskever,
        dict(momentum=0.9, nesterov=True),
    ),
    (
        SGD,
        dict(lr=0.05, momentum=0.5, weight_decay=0.1, nesterov=True),
        sgd_sutskever,
        dict(momentum=0.5, weight_decay=0.1, nesterov=True),
    ),
    (SGD, dict(lr=0.1, weight_decay=0.2), sgd_sutskever, dict(weight_decay=0.2)),
    (
        SGD,
        dict(lr=0.1, momentum=0.9, dampening=0.3),
        sgd_dampened,
        dict(momentum=0.9, dampening=0.3),
    ),
    (Adagrad, dict(lr=0.1), adagrad, {}),
    (Adagrad, dict(lr=0.1, lr_decay=0.1), adagrad, dict(lr_decay=0.1)),
    (
        Adagrad,
        dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-6),
        adagrad,
        dict(weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-6),
    ),
    (RMSprop, dict(lr=0.01), rmsprop, {}),
    (RMSprop, dict(lr=0.01, alpha=0.9, momentum=0.9), rmsprop, dict(alpha=0.9, momentum=0.9)),
    (RMSprop, dict(lr=0.01, alpha=0.8, centered=True), rmsprop, dict(alpha=0.8, centered=True)),
    (
        RMSprop,
        dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1, eps=1e-3),
        rmsprop,
        dict(alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1, eps=1e-3),
    ),
    (Adam, dict(lr=0.01), adam, {}),
    (Adam, dict(lr=0.01, amsgrad=True), adam, dict(amsgrad=True)),
    (Adam, dict(lr=0.01, weight_decay=0.1), adam, dict(weight_decay=0.1)),
    (
        Adam,
        dict(lr=0.05, betas=(0.3, 0.8), eps=1e-3, weight_decay=0.05, amsgrad=True),
        adam,
        dict(betas=(0.3, 0.8), eps=1e-3, weight_decay=0.05, amsgrad=True),
    ),
    (AdamW, dict(lr=0.01), adamw, {}),
    (
        AdamW,
        dict(lr=0.1, weight_decay=0.1, amsgrad=True),
        adamw,
        dict(weight_decay=0.1, amsgrad=True),
    ),
    (
        AdamW,
        dict(lr=0.05, betas=(0.6, 0.99), weight_decay=0.0),
        adamw,
        dict(betas=(0.6, 0.99), weight_decay=0.0),
    ),
]


def _case_id(case):
    cls, kwargs, _, _ = case
    return f"{cls.__name__}-" + ("-".join(f"{k}={v}" for k, v in kwargs.items()) or "defaults")


@pytest.mark.parametrize("case", REFERENCE_CASES, ids=[_case_id(c) for c in REFERENCE_CASES])
def test_optimizer_follows_the_written_out_rule(case):
    cls, kwargs, rule, rule_kwargs = case
    rng = np.random.default_rng(11)
    params = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    start = {k: v.copy() for k, v in params.items()}
    # shrinking gradients with sign changes, so that AMSGrad's maximum is not the last value and
    # centering matters (the mean gradient is far from zero for some entries)
    grads = [
        {k: (rng.standard_normal(v.shape) + 0.7) / (1 + step) for k, v in params.items()}
        for step in range(N_STEPS)
    ]
    opt = cls(params, **kwargs)
    trajectory = []
    for g in grads:
        opt.step(g)
        trajectory.append({k: v.copy() for k, v in params.items()})
    for k, p0 in start.items():
        for idx in np.ndindex(p0.shape):
            expected = rule(
                float(p0[idx]), [float(g[k][idx]) for g in grads], kwargs["lr"], **rule_kwargs
            )
            got = [float(step[k][idx]) for step in trajectory]
            np.testing.assert_allclose(
                got, expected, rtol=1e-12, atol=1e-14, err_msg=f"{_case_id(case)} {k}{idx}"
            )


def test_centered_rmsprop_by_hand():
    # alpha = 0.5, lr = 0.1, eps = 0, theta_0 = 1, g = 2 then -2:
    #   step 1: E[g^2] = 0.5 * 4 = 2, E[g] = 0.5 * 2 = 1, d = sqrt(2 - 1) = 1, theta = 1 - 0.2 = 0.8
    #   step 2: E[g^2] = 0.5 * 2 + 0.5 * 4 = 3, E[g] = 0.5 * 1 - 0.5 * 2 = -0.5,
    #           d = sqrt(3 - 0.25) = sqrt(2.75), theta = 0.8 + 0.2 / sqrt(2.75)
    w = np.array([1.0])
    opt = RMSprop({"w": w}, lr=0.1, alpha=0.5, eps=0.0, centered=True)
    opt.step({"w": np.array([2.0])})
    assert w[0] == pytest.approx(0.8, rel=1e-15)
    opt.step({"w": np.array([-2.0])})
    assert w[0] == pytest.approx(0.8 + 0.2 / math.sqrt(2.75), rel=1e-15)


def test_adam_first_steps_by_hand():
    # The bias corrections make Adam's first step lr * g / (|g| + eps) = lr * sign(g) for
    # |g| >> eps (Kingma & Ba 2015, sec. 2.1). With beta1 = 0.5, beta2 = 0.75 and g = 1, then 3:
    #   m_2 = 0.25 * 1 + 0.5 * 3 = 1.75, m_hat = 1.75 / 0.75 = 7/3
    #   v_2 = 0.75 * 0.25 * 1 + 0.25 * 9 = 2.4375, v_hat = 2.4375 / (1 - 0.5625) = 5.571428...
    w = np.array([0.0])
    opt = Adam({"w": w}, lr=0.1, betas=(0.5, 0.75), eps=0.0)
    opt.step({"w": np.array([1.0])})
    assert w[0] == pytest.approx(-0.1, rel=1e-15)
    opt.step({"w": np.array([3.0])})
    assert w[0] == pytest.approx(-0.1 - 0.1 * (7 / 3) / math.sqrt(2.4375 / 0.4375), rel=1e-14)


def test_sgd_nesterov_by_hand():
    # mu = 0.5, lr = 0.1, g = 1, 1 (PyTorch's form, Bengio et al. 2013):
    #   b_1 = 1, theta_1 = 0 - 0.1 * (1 + 0.5 * 1) = -0.15
    #   b_2 = 0.5 + 1 = 1.5, theta_2 = -0.15 - 0.1 * (1 + 0.75) = -0.325
    w = np.array([0.0])
    opt = SGD({"w": w}, lr=0.1, momentum=0.5, nesterov=True)
    opt.step({"w": np.array([1.0])})
    opt.step({"w": np.array([1.0])})
    assert w[0] == pytest.approx(-0.325, rel=1e-15)


# ============================================================================ losses by hand
def test_mse_by_hand():
    # differences Y - target: step 0 (1, -2), step 1 (0, 3); squares 1, 4 | 0, 9
    Y = np.array([[[1.0, 2.0]], [[3.0, 5.0]]])  # (T=2, B=1, O=2)
    target = np.array([[[0.0, 4.0]], [[3.0, 2.0]]])
    diff = Y - target
    value, dY = MSE()(Y, target)
    assert value == 14 / 4  # mean of 4 squares
    np.testing.assert_array_equal(dY, 2 * diff / 4)
    value, dY = MSE()(Y, target, mask=np.array([[1.0], [0.0]]))
    assert value == 5 / 2  # step 0 only: (1 + 4) / 2
    np.testing.assert_array_equal(dY, np.array([[[1.0, -2.0]], [[0.0, 0.0]]]))
    value, dY = MSE()(Y, target, mask=np.array([[2.0], [1.0]]))
    assert value == pytest.approx((2 * 5 + 1 * 9) / (2 * 3), rel=1e-15)  # sum w sum_o / (O sum w)
    np.testing.assert_allclose(dY, 2 * np.array([[[2.0]], [[1.0]]]) * diff / 6, rtol=1e-15)
    # last-step targets (B, O) with lengths: outputs at t = 1 (sequence 0) and t = 2 (sequence 1)
    Y = np.arange(6.0).reshape(3, 2, 1)  # Y[t, b] = 2 t + b
    value, dY = MSE()(Y, np.array([[1.0], [1.0]]), lengths=[2, 3])
    assert value == ((2 - 1) ** 2 + (5 - 1) ** 2) / 2
    expected = np.zeros_like(Y)
    expected[1, 0, 0], expected[2, 1, 0] = 2 * 1 / 2, 2 * 4 / 2
    np.testing.assert_array_equal(dY, expected)


def test_cross_entropy_by_hand():
    # logits (0, ln 2, ln 3) give softmax (1/6, 2/6, 3/6)
    z = np.array([0.0, math.log(2), math.log(3)])
    p = np.array([1, 2, 3]) / 6
    Y = np.stack([z, z])[:, None, :]  # (T=2, B=1, C=3)
    value, dY = SoftmaxCrossEntropy()(Y, np.array([[1], [2]]))
    assert value == pytest.approx((math.log(3) + math.log(2)) / 2, rel=1e-15)
    np.testing.assert_allclose(dY[0, 0], (p - [0, 1, 0]) / 2, rtol=1e-14)
    np.testing.assert_allclose(dY[1, 0], (p - [0, 0, 1]) / 2, rtol=1e-14)
    # class probabilities (1/2, 1/2, 0): -(ln(1/6) + ln(1/3)) / 2 = ln(18) / 2; grad p - target
    value, dY = SoftmaxCrossEntropy()(Y[:1], np.array([[[0.5, 0.5, 0.0]]]))
    assert value == pytest.approx(math.log(18) / 2, rel=1e-15)
    np.testing.assert_allclose(dY[0, 0], [-1 / 3, -1 / 6, 1 / 2], rtol=1e-14)
    # a masked step does not count: only step 1, loss ln 2
    value, dY = SoftmaxCrossEntropy()(Y, np.array([[1], [2]]), mask=np.array([[0.0], [1.0]]))
    assert value == pytest.approx(math.log(2), rel=1e-15)
    assert not dY[0].any()


def test_binary_cross_entropy_by_hand():
    # logit ln 3 gives sigma = 3/4: target 1 -> -ln(3/4), target 0 -> -ln(1/4) = ln 4,
    # target 1/4 -> -(1/4) ln(3/4) - (3/4) ln(1/4); gradient sigma - target over 3 elements
    z = math.log(3)
    Y = np.full((1, 3, 1), z)
    target = np.array([[[1.0], [0.0], [0.25]]])
    value, dY = BinaryCrossEntropy()(Y, target)
    per = [-math.log(0.75), math.log(4), -0.25 * math.log(0.75) - 0.75 * math.log(0.25)]
    assert value == pytest.approx(sum(per) / 3, rel=1e-14)
    np.testing.assert_allclose(dY[0, :, 0], (0.75 - target[0, :, 0]) / 3, rtol=1e-14)
    # large logits stay finite: 40 with target 0 costs 40 + ln(1 + e^-40)
    value, dY = BinaryCrossEntropy()(np.full((1, 1, 1), 40.0), np.zeros((1, 1, 1)))
    assert value == pytest.approx(40.0 + math.exp(-40.0), rel=1e-15)
    assert dY[0, 0, 0] == pytest.approx(1.0 / (1.0 + math.exp(-40.0)), rel=1e-15)


def _fd_cases():
    """Losses on small random data, no torch needed: (loss, Y, target, mask, lengths)."""
    rng = np.random.default_rng(12)
    T, B, C = 4, 3, 3
    lengths = np.array([4, 2, 1])
    mask = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 0], [1, 0, 0]], dtype=float)
    Y = rng.standard_normal((T, B, C))
    real, unit = rng.standard_normal((T, B, C)), rng.random((T, B, C))
    classes, probs = rng.integers(0, C, (T, B)), rng.dirichlet(np.ones(C), (T, B))
    return {
        "mse-mask": (MSE(), Y, real, mask, None),
        "mse-last": (MSE(), Y, real[0], None, lengths),
        "ce-lengths": (SoftmaxCrossEntropy(), Y, classes, None, lengths),
        "ce-probs-mask": (SoftmaxCrossEntropy(), Y, probs, mask, None),
        "ce-last": (SoftmaxCrossEntropy(), Y, classes[0], None, lengths),
        "bce-mask": (BinaryCrossEntropy(), Y, unit, mask, None),
        "bce-last": (BinaryCrossEntropy(), Y, unit[0], None, lengths),
    }


@pytest.mark.parametrize("case", sorted(_fd_cases()))
def test_loss_gradient_by_finite_differences_without_torch(case):
    loss, Y, target, mask, lengths = _fd_cases()[case]
    _, dY = loss(Y, target, mask=mask, lengths=lengths)
    numeric = numerical_gradient(
        lambda: loss(Y, target, mask=mask, lengths=lengths)[0], Y, eps=1e-5
    )
    assert relative_error(dY, numeric) < 1e-8


# ============================================================================ clipping by hand
def test_clip_grad_norm_by_hand():
    # a = (3, 4), b = (12): the joint 2-norm is sqrt(9 + 16 + 144) = 13 (Pascanu et al. 2013
    # rescale the whole gradient by max_norm / norm; PyTorch adds 1e-6 to the norm)
    grads = {"a": np.array([3.0, 4.0]), "b": np.array([[12.0]])}
    assert clip_grad_norm(grads, 6.5) == 13.0
    coef = 6.5 / (13.0 + 1e-6)
    np.testing.assert_allclose(grads["a"], [3 * coef, 4 * coef], rtol=1e-15)
    np.testing.assert_allclose(grads["b"], [[12 * coef]], rtol=1e-15)
    # below the threshold nothing changes (the coefficient is clamped to 1)
    grads = {"a": np.array([3.0, 4.0]), "b": np.array([[12.0]])}
    assert clip_grad_norm(grads, 20.0) == 13.0
    np.testing.assert_array_equal(grads["a"], [3.0, 4.0])
    # other norms of the same vector (3, 4, 12): 1-norm 19, inf-norm 12, 3-norm 1819^(1/3)
    for norm_type, total in ((1.0, 19.0), ("inf", 12.0), (3.0, 1819 ** (1 / 3))):
        grads = [np.array([3.0, -4.0]), np.array([12.0])]
        assert clip_grad_norm(grads, 1.0, norm_type=norm_type) == pytest.approx(total, rel=1e-15)
        np.testing.assert_allclose(
            grads[0], np.array([3.0, -4.0]) / (total + 1e-6), rtol=1e-14, err_msg=str(norm_type)
        )


def test_clip_grad_value_by_hand():
    g = np.array([[-3.0, 0.5], [2.0, -1.0]])
    clip_grad_value({"g": g}, 1.0)
    np.testing.assert_array_equal(g, [[-1.0, 0.5], [1.0, -1.0]])
