"""The differentiable stack blocks of recurrent_zoo._core.stacks.

Each block against the paper's equations written as explicit loops (Grefenstette et al. 2015,
eqs. 1-3, with their sums over the slots above / below; Joulin & Mikolov 2015, eq. 4-5), and
against float64 central finite differences (relative error <= 1e-7 for the blocks, 1e-6 for a
whole run of :class:`StrengthMemory`).
"""

from __future__ import annotations

import numpy as np
import pytest

from recurrent_zoo._core import stacks
from recurrent_zoo.testing import numerical_gradient, relative_error

RTOL = 1e-7


def _check(f, grads, arrays, rtol=RTOL):
    for k, (g, a) in enumerate(zip(grads, arrays, strict=True)):
        err = relative_error(g, numerical_gradient(f, a))
        assert err < rtol, f"argument {k}: relative error {err:.2e}"


def naive_pop(s, u, end):
    """Grefenstette et al. eq. 2 (stack) and its queue form, one slot at a time."""
    B, W = s.shape
    out = np.zeros_like(s)
    for b in range(B):
        for i in range(W):
            nearer = range(i) if end == "top" else range(i + 1, W)
            passed = sum(s[b, j] for j in nearer)
            out[b, i] = max(0.0, s[b, i] - max(0.0, u[b] - passed))
    return out


def naive_read(s, V, end, depth=1.0):
    """Grefenstette et al. eq. 3, one slot at a time."""
    B, W, m = V.shape
    r = np.zeros((B, m))
    for b in range(B):
        for i in range(W):
            nearer = range(i) if end == "top" else range(i + 1, W)
            passed = sum(s[b, j] for j in nearer)
            r[b] += min(s[b, i], max(0.0, depth - passed)) * V[b, i]
    return r


def _strengths(rng, B, W, empty_slot=True):
    s = rng.uniform(0.05, 0.9, size=(B, W))
    if empty_slot:  # an empty slot in the middle (a kink of the pop: kept out of gradient checks)
        s[:, 2] = 0.0
    return s


@pytest.mark.parametrize("end", stacks.ENDS)
def test_pop_and_read_are_the_papers_equations(end):
    rng = np.random.default_rng(0)
    s = _strengths(rng, 4, 7)
    V = rng.normal(size=(4, 7, 3))
    u = rng.uniform(0, 2.5, size=4)
    np.testing.assert_allclose(stacks.strength_pop(s, u, end)[0], naive_pop(s, u, end))
    for depth in (1.0, 1.7):
        np.testing.assert_allclose(
            stacks.strength_read(s, V, end, depth)[0], naive_read(s, V, end, depth)
        )


def test_pop_and_read_by_hand():
    # Grefenstette et al.'s Figure 1 style example: values pushed with strengths 0.8, 0.5, 0.9
    # (bottom to top), then a pop of 0.1 ...
    s = np.array([[0.9, 0.5, 0.8]])  # top first
    s1, _ = stacks.strength_pop(s, np.array([0.1]))
    np.testing.assert_allclose(s1, [[0.8, 0.5, 0.8]])
    V = np.array([[[3.0], [2.0], [1.0]]])
    r, _ = stacks.strength_read(s1, V)
    np.testing.assert_allclose(r, [[0.8 * 3 + 0.2 * 2]])
    # ... a pop larger than everything empties the stack; reading an empty stack gives 0
    s2, _ = stacks.strength_pop(s1, np.array([5.0]))
    np.testing.assert_array_equal(s2, 0.0)
    np.testing.assert_array_equal(stacks.strength_read(s2, V)[0], 0.0)


@pytest.mark.parametrize("end", stacks.ENDS)
def test_pop_gradient(end):
    rng = np.random.default_rng(1)
    s = _strengths(rng, 3, 6, empty_slot=False)
    u = rng.uniform(0.2, 2.0, size=3)
    R = rng.normal(size=s.shape)
    out, cache = stacks.strength_pop(s, u, end)
    ds, du = stacks.strength_pop_backward(R, cache)
    _check(lambda: float((stacks.strength_pop(s, u, end)[0] * R).sum()), [ds, du], [s, u])


@pytest.mark.parametrize("end", stacks.ENDS)
@pytest.mark.parametrize("depth", [1.0, 1.6])
def test_read_gradient(end, depth):
    rng = np.random.default_rng(2)
    s = _strengths(rng, 3, 6, empty_slot=False)
    V = rng.normal(size=(3, 6, 4))
    R = rng.normal(size=(3, 4))
    r, cache = stacks.strength_read(s, V, end, depth)
    ds, dV = stacks.strength_read_backward(R, cache)

    def f():
        return float((stacks.strength_read(s, V, end, depth)[0] * R).sum())

    _check(f, [ds, dV], [s, V])


def test_compact_slots():
    s = np.array([[0.0, 0.5, 0.0, 0.9], [0.3, 0.0, 0.0, 0.0]])
    V = np.arange(8.0).reshape(2, 4, 1)
    s_c, V_c, index, valid = stacks.compact_slots(s, V, size=3)
    np.testing.assert_array_equal(s_c, [[0.5, 0.9, 0.0], [0.3, 0.0, 0.0]])
    np.testing.assert_array_equal(V_c[..., 0], [[1.0, 3.0, 0.0], [4.0, 0.0, 0.0]])
    np.testing.assert_array_equal(valid, [[True, True, False], [True, False, False]])
    # the slots that hold something are kept from the top; those past size are dropped
    s_c, _, _, _ = stacks.compact_slots(np.array([[0.2, 0.3, 0.4]]), np.zeros((1, 3, 1)), 2)
    np.testing.assert_array_equal(s_c, [[0.2, 0.3]])


MEMORIES = {
    "stack": (("top",), ("top",), ("top",)),
    "queue": (("bottom",), ("top",), ("bottom",)),
    "deque": (("top", "bottom"), ("top", "bottom"), ("top", "bottom")),
}


def _run_memory(kind, V0, s0, pops, pushes, mask, C):
    """A run of ``StrengthMemory``: reads at every step (initial ones included), final state."""
    pop_ends, push_ends, read_ends = MEMORIES[kind]
    T = pops.shape[0]
    mem = stacks.StrengthMemory(
        V0, s0, T, pop_ends=pop_ends, push_ends=push_ends, read_ends=read_ends, mask=mask
    )
    reads = [mem.initial_reads()]
    for t in range(T):
        reads.append(
            mem.step(
                t,
                {e: pops[t, :, j] for j, e in enumerate(pop_ends)},
                {e: (pushes[0][t, :, j], pushes[1][t, :, j]) for j, e in enumerate(push_ends)},
            )
        )
    return mem, reads, mem.final_state(C)


def naive_memory(kind, V0, s0, pops, pushes, mask):
    """The same run with Python lists of (value, strength), the paper's unbounded memory."""
    pop_ends, push_ends, read_ends = MEMORIES[kind]
    T, B = pops.shape[:2]
    out = []
    for b in range(B):
        slots = [(V0[b, i], s0[b, i]) for i in range(V0.shape[1])]  # top first
        rows = []
        for t in range(T):
            if mask is not None and mask[t, b] == 0:
                rows.append(None)
                continue
            s = np.array([x[1] for x in slots])[None]
            for j, end in enumerate(pop_ends):
                s = naive_pop(s, np.array([pops[t, b, j]]), end)
            slots = [(v, s[0, i]) for i, (v, _) in enumerate(slots)]
            for j, end in enumerate(push_ends):
                new = (pushes[0][t, b, j], pushes[1][t, b, j])
                slots = [new] + slots if end == "top" else slots + [new]
            V = np.array([x[0] for x in slots])[None]
            s = np.array([x[1] for x in slots])[None]
            rows.append({e: naive_read(s, V, e)[0] for e in read_ends})
        out.append(rows)
    return out


def _random_run(kind, seed, T=5, B=3, C=6, m=2, initial=True, lengths=None):
    rng = np.random.default_rng(seed)
    pop_ends, push_ends, _ = MEMORIES[kind]
    V0 = rng.normal(size=(B, C, m))
    s0 = rng.uniform(0.1, 0.8, size=(B, C)) if initial else np.zeros((B, C))
    if initial:
        s0[:, 1] = 0.0  # an empty slot: dropped, no gradient
        s0[:, -2:] = 0.0
    pops = rng.uniform(0.0, 1.2, size=(T, B, len(pop_ends)))
    n_push = len(push_ends)
    pushes = (rng.normal(size=(T, B, n_push, m)), rng.uniform(0.1, 1.0, (T, B, n_push)))
    mask = None
    if lengths is not None:
        mask = (np.arange(T)[:, None] < np.asarray(lengths)[None, :]).astype(float)
    return V0, s0, pops, pushes, mask


@pytest.mark.parametrize("kind", sorted(MEMORIES))
@pytest.mark.parametrize("lengths", [None, [5, 2, 4]])
def test_memory_run_matches_the_unbounded_lists(kind, lengths):
    V0, s0, pops, pushes, mask = _random_run(kind, 3, lengths=lengths)
    mem, reads, _ = _run_memory(kind, V0, s0, pops, pushes, mask, 6)
    naive = naive_memory(kind, V0, s0, pops, pushes, mask)
    for b, rows in enumerate(naive):
        for t, row in enumerate(rows):
            if row is None:
                continue
            for end, r in row.items():
                np.testing.assert_allclose(reads[t + 1][end][b], r, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", sorted(MEMORIES))
def test_memory_split_in_two_runs_equals_one(kind):
    V0, s0, pops, pushes, _ = _random_run(kind, 4, T=6, C=16, initial=False)
    _, reads, (V, s) = _run_memory(kind, V0, s0, pops, pushes, None, 16)
    _, reads1, (V1, s1) = _run_memory(
        kind, V0, s0, pops[:3], (pushes[0][:3], pushes[1][:3]), None, 16
    )
    _, reads2, (V2, s2) = _run_memory(
        kind, V1, s1, pops[3:], (pushes[0][3:], pushes[1][3:]), None, 16
    )
    for t in range(3):
        for end in reads[t + 4]:
            np.testing.assert_allclose(reads2[t + 1][end], reads[t + 4][end], rtol=1e-12)
    np.testing.assert_allclose(s2, s, rtol=1e-12)
    np.testing.assert_allclose(V2, V, rtol=1e-12)


@pytest.mark.parametrize("kind", sorted(MEMORIES))
@pytest.mark.parametrize("lengths", [None, [5, 2, 4]])
def test_memory_run_gradient(kind, lengths):
    """Every pop amount, pushed value and strength, and the initial memory, through a run."""
    V0, s0, pops, pushes, mask = _random_run(kind, 5, lengths=lengths)
    values, strengths = pushes
    C = 6
    rng = np.random.default_rng(6)
    _, reads, (V, s) = _run_memory(kind, V0, s0, pops, pushes, mask, C)
    Rr = [{e: rng.normal(size=r.shape) for e, r in step.items()} for step in reads]
    RV, Rs = rng.normal(size=V.shape), rng.normal(size=s.shape)

    def loss():
        _, rd, (Vf, sf) = _run_memory(kind, V0, s0, pops, (values, strengths), mask, C)
        total = float((Vf * RV).sum() + (sf * Rs).sum())
        for step, R in zip(rd, Rr, strict=True):
            total += sum(float((step[e] * R[e]).sum()) for e in step)
        return total

    pop_ends, push_ends, _ = MEMORIES[kind]
    mem, _, _ = _run_memory(kind, V0, s0, pops, pushes, mask, C)
    mem.begin_backward(RV, Rs)
    dpops = np.zeros_like(pops)
    dvalues, dstrengths = np.zeros_like(values), np.zeros_like(strengths)
    for t in reversed(range(pops.shape[0])):
        dp, dpush = mem.step_backward(t, Rr[t + 1])
        for j, e in enumerate(pop_ends):
            dpops[t, :, j] = dp[e]
        for j, e in enumerate(push_ends):
            dvalues[t, :, j], dstrengths[t, :, j] = dpush[e]
    mem.initial_reads_backward(Rr[0])
    dV0, ds0 = mem.state_grad()
    for g, a in [(dpops, pops), (dvalues, values), (dstrengths, strengths)]:
        err = relative_error(g, numerical_gradient(loss, a))
        assert err < 1e-6, f"relative error {err:.2e}"
    assert relative_error(dV0, numerical_gradient(loss, V0)) < 1e-6
    live = s0 != 0
    num = numerical_gradient(loss, s0)
    assert relative_error(ds0[live], num[live]) < 1e-6
    np.testing.assert_array_equal(ds0[~live], 0.0)  # an empty slot holds nothing


def naive_superposition(S, a, v, empty):
    B, K, D = S.shape
    out = np.zeros_like(S)
    for b in range(B):
        for k in range(K):
            for i in range(D):
                up = v[b, k] if i == 0 else S[b, k, i - 1]
                down = empty if i == D - 1 else S[b, k, i + 1]
                out[b, k, i] = a[b, k, 0] * up + a[b, k, 1] * down
                if a.shape[2] == 3:
                    out[b, k, i] += a[b, k, 2] * S[b, k, i]
    return out


@pytest.mark.parametrize("n_actions", [2, 3])
def test_superposition_update(n_actions):
    rng = np.random.default_rng(7)
    S = rng.normal(size=(3, 2, 5))
    a = rng.dirichlet(np.ones(n_actions), size=(3, 2))
    v = rng.uniform(size=(3, 2))
    out = stacks.superposition_update(S, a, v, -1.0)
    np.testing.assert_allclose(out, naive_superposition(S, a, v, -1.0))
    R = rng.normal(size=out.shape)
    dS, da, dv = stacks.superposition_update_backward(R, S, a, v, -1.0)

    def f():
        return float((stacks.superposition_update(S, a, v, -1.0) * R).sum())

    _check(f, [dS, da, dv], [S, a, v])


def test_bad_end():
    with pytest.raises(ValueError, match="end"):
        stacks.strength_pop(np.zeros((1, 2)), np.zeros(1), "middle")
