"""The DNC's sparse link matrix (Graves et al. 2016, Methods, "Sparse link matrix"): float64
finite-difference checks of each new block in _core.dnc_memory (top-K weighting, sparse link
update with its pruning, sparse forward/backward weightings), their agreement with the dense
links when K >= N - 1, the paper's pruning rule as a lower bound of what is kept, and the
whole model with ``sparse_links=K``."""

import numpy as np
import pytest

from recurrent_zoo._core import dnc_memory as dm
from recurrent_zoo._core import ops
from recurrent_zoo.testing import numerical_gradient, relative_error

RTOL = 1e-7


def _check(f, grads, arrays, names):
    """f() -> scalar loss; grads: analytic gradients matching arrays (perturbed in place)."""
    for name, g, a in zip(names, grads, arrays, strict=True):
        err = relative_error(g, numerical_gradient(f, a))
        assert err < RTOL, f"{name}: relative error {err:.2e}"


def _distribution(rng, shape, mass=1.0):
    return mass * ops.softmax(rng.normal(size=shape))


def _random_sparse_links(rng, B, N, K, scale=0.5):
    """Positive values (rows summing to at most ``scale``) at K distinct off-diagonal columns
    per row, each column used K times (relabel slots by a random permutation ``s``, then row
    ``s[i]`` links to ``s[i + 1], ..., s[i + K]``)."""
    cols = np.empty((B, N, K))
    for b in range(B):
        s = rng.permutation(N)
        cols[b, s] = s[(np.arange(N)[:, None] + 1 + np.arange(K)) % N]
    values = scale * rng.uniform(0.1, 1.0, size=(B, N, K)) / K
    return values, cols


# ----------------------------------------------------------------------------- top-K weighting
def test_top_k_weighting_gradients_and_definition():
    rng = np.random.default_rng(0)
    B, N, K = 3, 9, 3
    w = _distribution(rng, (B, N), 0.8)
    index, values, cache = dm.top_k_weighting(w, K)
    for b in range(B):  # the K largest, rescaled to the weighting's own mass
        top = np.argsort(w[b])[::-1][:K]
        assert sorted(index[b].tolist()) == sorted(top.tolist())
        np.testing.assert_allclose(values[b].sum(), w[b].sum(), rtol=1e-14)
        np.testing.assert_allclose(
            values[b], w[b, index[b]] * w[b].sum() / w[b, top].sum(), rtol=1e-14
        )
    D = rng.normal(size=values.shape)
    _check(
        lambda: float((dm.top_k_weighting(w, K)[1] * D).sum()),
        [dm.top_k_weighting_backward(D, cache)],
        [w],
        ["weights"],
    )
    # K >= N: everything kept, unchanged, and the gradient is the identity
    index, values, cache = dm.top_k_weighting(w, N)
    np.testing.assert_array_equal(index, np.broadcast_to(np.arange(N), (B, N)))
    np.testing.assert_allclose(values, w, rtol=1e-15)
    np.testing.assert_allclose(dm.top_k_weighting_backward(D[:, :1].repeat(N, 1), cache),
                               D[:, :1].repeat(N, 1), rtol=1e-14)  # fmt: skip
    # an all-zero weighting (the start's precedence) stays zero and finite
    _, values, cache = dm.top_k_weighting(np.zeros((1, N)), K)
    assert (values == 0).all() and np.isfinite(dm.top_k_weighting_backward(D[:1], cache)).all()


# ----------------------------------------------------------------------------- link update
def _outer_update_dense(L, w_idx, w_val, p_idx, p_val):
    """The paper's update on the dense matrix, with the sparse w and p, before any pruning."""
    B, N, _ = L.shape
    w, p = np.zeros((B, N)), np.zeros((B, N))
    for b in range(B):
        w[b, w_idx[b]] = w_val[b]
        p[b, p_idx[b]] = p_val[b]
    return dm.link_update(L, w, p)


def test_sparse_link_update_gradients_and_pruning():
    rng = np.random.default_rng(1)
    B, N, K = 2, 12, 3
    values, cols = _random_sparse_links(rng, B, N, K)
    w = _distribution(rng, (B, N), 0.9)
    p = _distribution(rng, (B, N), 0.8)
    w_idx, w_val, _ = dm.top_k_weighting(w, K)
    p_idx, p_val, _ = dm.top_k_weighting(p, K)
    new_values, new_cols, cache = dm.sparse_link_update(values, cols, w_idx, w_val, p_idx, p_val)
    dense_new = dm.sparse_link_to_dense(new_values, new_cols)
    exact = _outer_update_dense(dm.sparse_link_to_dense(values, cols), w_idx, w_val, p_idx, p_val)
    kept = dense_new > 0
    # every kept entry is the paper's update, at most K per row and per column ...
    np.testing.assert_allclose(dense_new[kept], exact[kept], rtol=1e-14)
    assert (kept.sum(2) <= K).all() and (kept.sum(1) <= K).all()
    assert (np.diagonal(dense_new, 0, 1, 2) == 0).all()
    # ... pruning happened here (rows and columns overflowed) ...
    assert (exact > 0).sum() > kept.sum()
    # ... and what the paper keeps (entries >= 1 / K) is kept
    assert (kept | (exact < 1.0 / K)).all()
    # each row's columns stay distinct
    c = np.sort(new_cols, axis=-1)
    assert (np.diff(c, axis=-1) > 0).all()
    D = rng.normal(size=values.shape)

    def loss():
        v, _, _ = dm.sparse_link_update(values, cols, w_idx, w_val, p_idx, p_val)
        return float((v * D).sum())

    _check(
        loss,
        dm.sparse_link_update_backward(D, cache),
        [values, w_val, p_val],
        ["values", "write_values", "prec_values"],
    )


def test_sparse_link_update_keeps_the_paper_entries_over_many_steps():
    # soft writes over 30 steps: the sparse links stay within the paper's bounds and keep every
    # entry the paper's 1/K threshold would (what they keep, beyond it, are smaller entries)
    rng = np.random.default_rng(2)
    B, N, K = 2, 20, 4
    values, cols = dm.sparse_link_init(B, N, K)
    p = np.zeros((B, N))
    for _ in range(30):
        w = 0.9 * ops.softmax(4.0 * rng.normal(size=(B, N)))
        w_idx, w_val, _ = dm.top_k_weighting(w, K)
        p_idx, p_val, _ = dm.top_k_weighting(p, K)
        before = dm.sparse_link_to_dense(values, cols)
        values, cols, _ = dm.sparse_link_update(values, cols, w_idx, w_val, p_idx, p_val)
        exact = _outer_update_dense(before, w_idx, w_val, p_idx, p_val)
        dense = dm.sparse_link_to_dense(values, cols)
        kept = dense > 0
        assert (kept | (exact < 1.0 / K)).all()
        assert (kept.sum(2) <= K).all() and (kept.sum(1) <= K).all()
        assert dense.sum(2).max() <= 1 + 1e-12 and dense.sum(1).max() <= 1 + 1e-12
        # no entry is spent on the diagonal, and each row's columns stay distinct
        assert (cols != np.arange(N)[:, None]).all()
        assert (np.diff(np.sort(cols, axis=-1), axis=-1) > 0).all()
        p = dm.precedence_update(p, w)


@pytest.mark.parametrize("K", [6, 9])  # N and more
def test_sparse_links_equal_dense_when_k_covers_every_slot(K):
    rng = np.random.default_rng(3)
    B, N, R = 2, 6, 2
    values, cols = dm.sparse_link_init(B, N, K)
    L = np.zeros((B, N, N))
    p = np.zeros((B, N))
    for _ in range(5):
        w = _distribution(rng, (B, N), 0.9)
        w_idx, w_val, _ = dm.top_k_weighting(w, K)
        p_idx, p_val, _ = dm.top_k_weighting(p, K)
        values, cols, _ = dm.sparse_link_update(values, cols, w_idx, w_val, p_idx, p_val)
        L = dm.link_update(L, w, p)
        p = dm.precedence_update(p, w)
        np.testing.assert_allclose(dm.sparse_link_to_dense(values, cols), L, rtol=0, atol=1e-15)
    wr = _distribution(rng, (B, R, N))
    for a, b in zip(
        dm.sparse_directional_weightings(values, cols, wr),
        dm.directional_weightings(L, wr),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)


def test_sparse_links_record_the_order_of_writes():
    # one-hot writes to slots 2, 0, 3 (the dense test's sequence), K = 1: the same links
    values, cols = dm.sparse_link_init(1, 4, 1)
    p = np.zeros((1, 4))
    for slot in (2, 0, 3):
        w = np.eye(4)[slot][None]
        w_idx, w_val, _ = dm.top_k_weighting(w, 1)
        p_idx, p_val, _ = dm.top_k_weighting(p, 1)
        values, cols, _ = dm.sparse_link_update(values, cols, w_idx, w_val, p_idx, p_val)
        p = dm.precedence_update(p, w)
    expected = np.zeros((4, 4))
    expected[0, 2] = expected[3, 0] = 1.0
    np.testing.assert_array_equal(dm.sparse_link_to_dense(values, cols)[0], expected)
    f, b = dm.sparse_directional_weightings(values, cols, np.eye(4)[[0]][None])
    np.testing.assert_array_equal(f[0, 0], np.eye(4)[3])
    np.testing.assert_array_equal(b[0, 0], np.eye(4)[2])


# ----------------------------------------------------------------------------- directional
def test_sparse_directional_weightings_gradients():
    rng = np.random.default_rng(4)
    B, R, N, K = 2, 3, 10, 3
    values, cols = _random_sparse_links(rng, B, N, K)
    wr = _distribution(rng, (B, R, N))
    L = dm.sparse_link_to_dense(values, cols)
    f, b = dm.sparse_directional_weightings(values, cols, wr)
    np.testing.assert_allclose(f, np.einsum("bij,brj->bri", L, wr), rtol=1e-13)
    np.testing.assert_allclose(b, np.einsum("bji,brj->bri", L, wr), rtol=1e-13)
    Df, Db = rng.normal(size=(B, R, N)), rng.normal(size=(B, R, N))

    def loss():
        f, b = dm.sparse_directional_weightings(values, cols, wr)
        return float((f * Df).sum() + (b * Db).sum())

    _check(
        loss,
        dm.sparse_directional_weightings_backward(Df, Db, values, cols, wr),
        [values, wr],
        ["values", "read_weights"],
    )


# ----------------------------------------------------------------------------- the model
from recurrent_zoo import load  # noqa: E402
from recurrent_zoo.dnc import DNC  # noqa: E402
from recurrent_zoo.testing import gradient_errors  # noqa: E402


@pytest.mark.parametrize(
    "controller, heads, K, lengths",
    [
        ("lstm", 2, 2, [4, 2]),
        pytest.param("lstm", 1, 3, [3, 4], marks=pytest.mark.slow),
        pytest.param("feedforward", 3, 2, [4, 1], marks=pytest.mark.slow),
    ],
)
def test_model_gradients_with_sparse_links(controller, heads, K, lengths):
    """Every parameter and the input from the model's zero start with lengths, and (slow cases)
    also without lengths and from a random valid state, whose gradient is checked too; sparse
    links small enough that the pruning acts (N = 6, K = 2 or 3). The catalogue's sparse
    example runs the common checks too (a random state, with and without lengths)."""
    model = DNC(2, 2, controller=controller, controller_size=2, memory_slots=6, word_size=2,
                read_heads=heads, sparse_links=K, seed=3)  # fmt: skip
    X = np.random.default_rng(4).normal(size=(4, 2, 2))
    runs = [(None, np.array(lengths))]
    if controller != "lstm" or heads != 2:  # the slow cases
        runs += [(None, None), (model.random_state(2, 6), np.array(lengths))]
    for state, lens in runs:
        errors = gradient_errors(model, X, state, lens, seed=5)
        bad = {k: v for k, v in errors.items() if not v <= 1e-6}
        assert not bad, f"state={state is not None}, lengths={lens}: errors above 1e-6: {bad}"


@pytest.mark.parametrize("controller", ["lstm", "feedforward"])
def test_model_with_k_at_least_the_slots_equals_the_dense_model(controller):
    # K >= N: the same outputs, final state, and gradients (parameters, input, initial state)
    N = 6
    config = dict(controller=controller, controller_size=4, memory_slots=N, word_size=3,
                  read_heads=2, seed=0)  # fmt: skip
    dense, sparse = DNC(3, 2, **config), DNC(3, 2, sparse_links=N, **config)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 3, 3))
    dY = rng.normal(size=(8, 3, 2))
    lengths = np.array([8, 5, 3])
    k = 2 if controller == "lstm" else 0
    for lens in (None, lengths):
        Yd, sd = dense.forward(X, lengths=lens)
        Ys, ss = sparse.forward(X, lengths=lens)
        np.testing.assert_allclose(Ys, Yd, rtol=1e-12, atol=1e-13)
        L = dm.sparse_link_to_dense(ss[k + 5], ss[k + 6])
        np.testing.assert_allclose(L, sd[k + 5], rtol=1e-12, atol=1e-13)
        for a, b in zip(ss[: k + 5] + ss[k + 7 :], sd[: k + 5] + sd[k + 6 :], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
        # a random gradient at the final state, the same for both (the dense link's gradient
        # read at the sparse columns)
        dstate_d = tuple(rng.normal(size=a.shape) for a in sd)
        cols = np.rint(ss[k + 6]).astype(int)
        dlink_values = np.take_along_axis(dstate_d[k + 5], cols, axis=-1)
        dstate_s = (*dstate_d[: k + 5], dlink_values, np.zeros_like(cols, float),
                    dstate_d[k + 6])  # fmt: skip
        dense.forward(X, lengths=lens)
        dXd = dense.backward(dY, dstate_d)
        dXs = sparse.backward(dY, dstate_s)
        np.testing.assert_allclose(dXs, dXd, rtol=1e-12, atol=1e-13)
        for name, g in dense.grads.items():
            np.testing.assert_allclose(sparse.grads[name], g, rtol=1e-12, atol=1e-13, err_msg=name)
        # the initial state's gradient: the sparse one is the dense one at the start's columns
        gd, gs = dense.state_grad, sparse.state_grad
        cols0 = np.rint(sparse.initial_state(3)[k + 6]).astype(int)
        np.testing.assert_allclose(
            gs[k + 5], np.take_along_axis(gd[k + 5], cols0, axis=-1), rtol=1e-12, atol=1e-13
        )
        for a, b in zip(gs[: k + 5] + gs[k + 7 :], gd[: k + 5] + gd[k + 6 :], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
        assert not gs[k + 6].any()


def test_sparse_state_shapes_and_a_memory_of_1024_slots():
    model = DNC(3, 2, controller_size=8, memory_slots=1024, word_size=4, read_heads=2,
                sparse_links=8, seed=0)  # fmt: skip
    X = np.random.default_rng(0).normal(size=(6, 2, 3))
    Y, state = model.forward(X)
    values, cols = state[7], state[8]
    assert values.shape == cols.shape == (2, 1024, 8)  # O(N K), not (2, 1024, 1024)
    L = dm.sparse_link_to_dense(values, cols)
    assert ((L > 0).sum(2) <= 8).all() and ((L > 0).sum(1) <= 8).all()
    assert (np.diagonal(L, 0, 1, 2) == 0).all() and L.sum(2).max() <= 1 + 1e-12
    model.backward(np.ones_like(Y))
    assert all(np.isfinite(g).all() for g in model.grads.values())


def test_save_load_keeps_sparse_links(tmp_path):
    model = DNC(3, 2, controller_size=4, memory_slots=9, word_size=3, read_heads=1,
                sparse_links=3, seed=0)  # fmt: skip
    path = tmp_path / "dnc.safetensors"
    model.save(path)
    again = load(path)
    assert again.sparse_links == 3 and again.get_config()["sparse_links"] == 3
    X = np.random.default_rng(0).normal(size=(5, 2, 3))
    np.testing.assert_array_equal(again.forward(X)[0], model.forward(X)[0])
    assert DNC(3, 2).get_config()["sparse_links"] is None


def test_bad_sparse_links_and_bad_sparse_state():
    with pytest.raises(ValueError, match="sparse_links must be an integer >= 1"):
        DNC(3, 2, sparse_links=0)
    for bad in (2.5, True, "8"):
        with pytest.raises(TypeError, match="sparse_links must be an integer"):
            DNC(3, 2, sparse_links=bad)
    model = DNC(3, 2, controller_size=4, memory_slots=6, word_size=3, read_heads=1,
                sparse_links=2, seed=0)  # fmt: skip
    X = np.zeros((2, 1, 3))
    state = list(model.initial_state(1))
    state[8] = state[8] + 0.5
    with pytest.raises(ValueError, match=r"link columns \(state\[8\]\) must be whole numbers"):
        model.forward(X, tuple(state))
    state[8] = np.full_like(state[8], 6.0)
    with pytest.raises(ValueError, match=r"whole numbers in \[0, 6\)"):
        model.forward(X, tuple(state))
    state[8] = np.ones_like(state[8])
    with pytest.raises(ValueError, match="distinct within a row"):
        model.forward(X, tuple(state))
    state = list(model.initial_state(1))
    state[7] = state[7] - 1.0
    with pytest.raises(ValueError, match="link_values"):
        model.forward(X, tuple(state))


def test_long_float32_sequence_with_sparse_links_stays_bounded():
    # 200 steps of float32 (the dense model's test runs 1000): links stay non-negative, rows and
    # columns sum to at most 1 with at most K non-zeros each, nothing overflows
    model = DNC(3, 2, controller_size=8, memory_slots=12, word_size=4, read_heads=2,
                sparse_links=3, seed=0, dtype=np.float32)  # fmt: skip
    X = np.random.default_rng(0).normal(size=(200, 2, 3)).astype(np.float32)
    Y, state = model.forward(X)
    dX = model.backward(np.ones_like(Y))
    assert np.isfinite(Y).all() and np.isfinite(dX).all()
    assert all(np.isfinite(g).all() for g in model.grads.values())
    L = dm.sparse_link_to_dense(state[7].astype(np.float64), state[8])
    assert (L >= 0).all() and L.sum(1).max() <= 1.001 and L.sum(2).max() <= 1.001
    assert ((L > 0).sum(1) <= 3).all() and ((L > 0).sum(2) <= 3).all()
    assert (state[8] == np.rint(state[8])).all()  # the columns stay whole numbers in float32
