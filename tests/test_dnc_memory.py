"""Float64 finite-difference checks of every mechanism in _core.dnc_memory (the DNC's interface
parsing, retention, usage, allocation, write weighting, precedence, temporal links, forward and
backward weightings, read modes), and their agreement with the paper's equations written out
element by element (Graves et al. 2016, Methods, "Dynamic memory allocation" and "Temporal
memory linkage")."""

import numpy as np
import pytest

from recurrent_zoo._core import dnc_memory as dm
from recurrent_zoo._core import ops
from recurrent_zoo.testing import numerical_gradient, relative_error

RTOL = 1e-7
B, R, N, W = 2, 3, 6, 4


def _check(f, grads, arrays, names):
    """f() -> scalar loss; grads: analytic gradients matching arrays (perturbed in place)."""
    for name, g, a in zip(names, grads, arrays, strict=True):
        err = relative_error(g, numerical_gradient(f, a))
        assert err < RTOL, f"{name}: relative error {err:.2e}"


def _distribution(rng, shape, mass=1.0):
    return mass * ops.softmax(rng.normal(size=shape))


def test_parse_interface_gradients_and_ranges():
    rng = np.random.default_rng(0)
    size = dm.interface_layout(R, W)["size"]
    assert size == R * W + 3 * W + 5 * R + 3  # the paper's interface size (one write head)
    raw = 3.0 * rng.normal(size=(B, size))
    parts, cache = dm.parse_interface(raw, R, W)
    assert (parts["read_strengths"] >= 1).all() and (parts["write_strength"] >= 1).all()
    for name in ("erase", "free_gates", "allocation_gate", "write_gate"):
        assert ((parts[name] > 0) & (parts[name] < 1)).all(), name
    np.testing.assert_allclose(parts["read_modes"].sum(-1), 1.0)
    np.testing.assert_array_equal(parts["read_keys"], raw[:, : R * W].reshape(B, R, W))
    # oneplus written out
    np.testing.assert_allclose(
        parts["read_strengths"], 1 + np.log1p(np.exp(raw[:, R * W : R * W + R]))
    )
    Rs = {k: rng.normal(size=v.shape) for k, v in parts.items()}

    def f():
        p, _ = dm.parse_interface(raw, R, W)
        return float(sum((p[k] * Rs[k]).sum() for k in p))

    _check(f, [dm.parse_interface_backward(Rs, cache)], [raw], ["raw"])


def test_retention_gradients_and_definition():
    rng = np.random.default_rng(1)
    free = rng.uniform(size=(B, R))
    wr = _distribution(rng, (B, R, N))
    psi = dm.retention(free, wr)
    expected = np.ones((B, N))
    for i in range(R):
        expected *= 1 - free[:, i, None] * wr[:, i]
    np.testing.assert_allclose(psi, expected, rtol=1e-14)
    D = rng.normal(size=(B, N))
    _check(
        lambda: float((dm.retention(free, wr) * D).sum()),
        dm.retention_backward(D, free, wr),
        [free, wr],
        ["free_gates", "read_weights"],
    )
    # a factor of exactly 0 (a full free of a fully read slot): no division anywhere
    free0, wr0 = np.ones((1, 2)), np.zeros((1, 2, 3))
    wr0[0, :, 1] = 1.0
    dfree, dwr = dm.retention_backward(np.ones((1, 3)), free0, wr0)
    assert np.isfinite(dfree).all() and np.isfinite(dwr).all()


def test_usage_gradients():
    rng = np.random.default_rng(2)
    u, ww, psi = rng.uniform(size=(B, N)), _distribution(rng, (B, N)), rng.uniform(size=(B, N))
    out = dm.usage_update(u, ww, psi)
    assert ((out >= 0) & (out <= 1)).all()
    D = rng.normal(size=(B, N))
    _check(
        lambda: float((dm.usage_update(u, ww, psi) * D).sum()),
        dm.usage_update_backward(D, u, ww, psi),
        [u, ww, psi],
        ["usage", "write_weights", "psi"],
    )


def _allocation_by_the_equation(usage, eps):
    """The paper's allocation, slot by slot, with Python's (stable) sort."""
    out = np.zeros_like(usage)
    for b in range(usage.shape[0]):
        u = eps + (1 - eps) * usage[b]
        phi = sorted(range(len(u)), key=lambda i: u[i])
        prod = 1.0
        for j in phi:
            out[b, j] = (1 - u[j]) * prod
            prod *= u[j]
    return out


@pytest.mark.parametrize("eps", [dm.ALLOCATION_EPS, 0.0])
def test_allocation_definition_and_gradients_away_from_ties(eps):
    rng = np.random.default_rng(3)
    # usages at least 1e-3 apart: a finite-difference step (1e-6) never reorders them, so the
    # permutation is constant there and the function is smooth
    usage = rng.permutation(np.linspace(0.05, 0.95, N))[None].repeat(B, 0)
    usage[1] = rng.permutation(usage[1])
    usage += rng.uniform(0, 1e-2, size=usage.shape)
    a, cache = dm.allocation(usage, eps)
    np.testing.assert_allclose(a, _allocation_by_the_equation(usage, eps), rtol=1e-13)
    assert a.sum(-1).max() <= 1.0
    D = rng.normal(size=(B, N))
    if eps > 0:  # the tail / s division needs s > 0; eps = 0 is checked above on values only
        _check(
            lambda: float((dm.allocation(usage, eps)[0] * D).sum()),
            [dm.allocation_backward(D, cache)],
            [usage],
            ["usage"],
        )


def test_allocation_permutation_carries_no_gradient():
    # across a swap of two usages the allocation jumps; on either side the gradient is the
    # derivative through the sorted values alone (the reference's choice): check it on both sides
    rng = np.random.default_rng(4)
    D = rng.normal(size=(1, 4))
    for delta in (-1e-3, 1e-3):
        usage = np.array([[0.3, 0.3 + delta, 0.8, 0.1]])
        _, cache = dm.allocation(usage)
        _check(
            lambda usage=usage: float((dm.allocation(usage)[0] * D).sum()),
            [dm.allocation_backward(D, cache)],
            [usage],
            ["usage"],
        )
    # exact ties: slot order decides (stable sort), and everything stays finite
    a, cache = dm.allocation(np.zeros((1, 4)))
    expected = (1 - 1e-6) * 1e-6 ** np.arange(4)
    np.testing.assert_allclose(a[0], expected, rtol=1e-12)
    assert np.isfinite(dm.allocation_backward(np.ones((1, 4)), cache)).all()
    # all slots used up: nothing left to allocate, and still no NaN (usage 1 everywhere)
    a, cache = dm.allocation(np.ones((1, 4)))
    assert a.max() < 1e-5 and np.isfinite(dm.allocation_backward(np.ones((1, 4)), cache)).all()


def test_write_weighting_gradients():
    rng = np.random.default_rng(5)
    alloc, content = _distribution(rng, (B, N)), _distribution(rng, (B, N))
    ga, gw = rng.uniform(size=B), rng.uniform(size=B)
    D = rng.normal(size=(B, N))
    out = dm.write_weighting(alloc, content, ga, gw)
    np.testing.assert_allclose(out.sum(-1), gw)  # a weighting of total mass g^w
    _check(
        lambda: float((dm.write_weighting(alloc, content, ga, gw) * D).sum()),
        dm.write_weighting_backward(D, alloc, content, ga, gw),
        [alloc, content, ga, gw],
        ["allocation", "content", "allocation_gate", "write_gate"],
    )


def test_precedence_gradients():
    rng = np.random.default_rng(6)
    p, ww = _distribution(rng, (B, N), 0.7), _distribution(rng, (B, N), 0.6)
    out = dm.precedence_update(p, ww)
    assert out.sum(-1).max() <= 1.0 + 1e-12  # stays a (sub-)distribution
    D = rng.normal(size=(B, N))
    _check(
        lambda: float((dm.precedence_update(p, ww) * D).sum()),
        dm.precedence_update_backward(D, p, ww),
        [p, ww],
        ["precedence", "write_weights"],
    )


def test_link_gradients_and_definition():
    rng = np.random.default_rng(7)
    L = rng.uniform(size=(B, N, N)) / N
    ww, p = _distribution(rng, (B, N), 0.8), _distribution(rng, (B, N), 0.9)
    out = dm.link_update(L, ww, p)
    expected = np.zeros_like(L)
    for b in range(B):
        for i in range(N):
            for j in range(N):
                if i != j:
                    expected[b, i, j] = (1 - ww[b, i] - ww[b, j]) * L[b, i, j] + ww[b, i] * p[b, j]
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    D = rng.normal(size=(B, N, N))
    _check(
        lambda: float((dm.link_update(L, ww, p) * D).sum()),
        dm.link_update_backward(D, L, ww, p),
        [L, ww, p],
        ["link", "write_weights", "precedence"],
    )


def test_links_record_the_order_of_writes():
    # one-hot writes to slots 2, 0, 3 in turn: the links then say 0 follows 2 and 3 follows 0
    L, p = np.zeros((1, 4, 4)), np.zeros((1, 4))
    for slot in (2, 0, 3):
        ww = np.eye(4)[slot][None]
        L = dm.link_update(L, ww, p)
        p = dm.precedence_update(p, ww)
    expected = np.zeros((4, 4))
    expected[0, 2] = expected[3, 0] = 1.0
    np.testing.assert_array_equal(L[0], expected)
    np.testing.assert_array_equal(p[0], np.eye(4)[3])
    f, b = dm.directional_weightings(L, np.eye(4)[[0]][None])  # a read head at slot 0
    np.testing.assert_array_equal(f[0, 0], np.eye(4)[3])  # forward: the next write
    np.testing.assert_array_equal(b[0, 0], np.eye(4)[2])  # backward: the previous one


def test_directional_weightings_gradients():
    rng = np.random.default_rng(8)
    L = rng.uniform(size=(B, N, N)) / N
    wr = _distribution(rng, (B, R, N))
    Df, Db = rng.normal(size=(B, R, N)), rng.normal(size=(B, R, N))
    f, b = dm.directional_weightings(L, wr)
    np.testing.assert_allclose(f, np.einsum("bij,brj->bri", L, wr))
    np.testing.assert_allclose(b, np.einsum("bji,brj->bri", L, wr))

    def loss():
        f, b = dm.directional_weightings(L, wr)
        return float((f * Df).sum() + (b * Db).sum())

    _check(loss, dm.directional_weightings_backward(Df, Db, L, wr), [L, wr], ["link", "read"])


def test_read_weighting_gradients():
    rng = np.random.default_rng(9)
    bw, c, fw = (_distribution(rng, (B, R, N)) for _ in range(3))
    modes = _distribution(rng, (B, R, 3))
    D = rng.normal(size=(B, R, N))
    out = dm.read_weighting(bw, c, fw, modes)
    np.testing.assert_allclose(out.sum(-1), 1.0)  # a mixture of distributions
    _check(
        lambda: float((dm.read_weighting(bw, c, fw, modes) * D).sum()),
        dm.read_weighting_backward(D, bw, c, fw, modes),
        [bw, c, fw, modes],
        ["backward", "content", "forward", "modes"],
    )
