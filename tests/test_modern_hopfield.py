"""Reference behaviour of the modern Hopfield network (recurrent_zoo.modern_hopfield).

Ramsauer et al. 2020: the update xi <- X softmax(beta X^T xi) retrieves well-separated patterns
in one step with exponentially small error, the capacity grows exponentially with the dimension,
and the energy never increases along updates (concave-convex procedure).
"""

import numpy as np
import pytest

import recurrent_zoo
from recurrent_zoo.modern_hopfield import ModernHopfield, compare_run
from recurrent_zoo.tasks.patterns import continuous_patterns, gaussian_noise


def test_update_is_the_formula_written_with_loops():
    X = continuous_patterns(5, 3, seed=0)  # rows are the patterns x_i
    q = continuous_patterns(1, 3, seed=1)[0]
    beta = 0.7
    scores = np.array([beta * sum(X[i, k] * q[k] for k in range(3)) for i in range(5)])
    p = np.exp(scores - scores.max())
    p /= p.sum()
    expected = sum(p[i] * X[i] for i in range(5))
    out = ModernHopfield(beta=beta).store(X).recall(q[None])
    np.testing.assert_allclose(out[0], expected, rtol=1e-13)


def test_energy_is_the_published_formula():
    X = continuous_patterns(4, 3, seed=2)
    q = continuous_patterns(2, 3, seed=3)
    beta = 2.0
    net = ModernHopfield(beta=beta).store(X)
    for b in range(2):
        lse = np.log(sum(np.exp(beta * X[i] @ q[b]) for i in range(4))) / beta
        M = max(np.linalg.norm(x) for x in X)
        expected = -lse + 0.5 * q[b] @ q[b] + np.log(4) / beta + 0.5 * M**2
        np.testing.assert_allclose(net.energy(q)[b], expected, rtol=1e-13)


def test_one_update_retrieves_from_far_more_patterns_than_dimensions():
    # 20 000 patterns in 64 dimensions (312 per dimension; the classical network holds 0.138
    # per unit), on the sphere of radius 8; queries with N(0, 0.5^2) noise per coordinate
    # (noise norm about 4). Measured max error after one update: 4.6e-9.
    X = continuous_patterns(20000, 64, seed=0, norm=8.0)
    idx = np.arange(0, 20000, 100)
    Q = gaussian_noise(X[idx], 0.5, seed=1)
    net = ModernHopfield(beta=1.0).store(X)
    out = net.recall(Q, steps=1)
    assert np.abs(out - X[idx]).max() < 1e-6
    np.testing.assert_array_equal(net.weights(Q).argmax(axis=1), idx)


def test_energy_decreases_along_updates():
    # small beta: queries settle into metastable averages over several steps
    net = ModernHopfield(beta=0.2).store(continuous_patterns(50, 8, seed=2))
    q = 2 * continuous_patterns(10, 8, seed=3)
    energies = [net.energy(q)]
    for _ in range(6):
        q = net.recall(q, steps=1)
        energies.append(net.energy(q))
    E = np.array(energies)
    assert (np.diff(E, axis=0) <= 1e-12 * np.abs(E[:-1])).all()
    assert (E[-1] < E[0]).all()
    # several steps in one call equal the steps one by one
    q0 = 2 * continuous_patterns(10, 8, seed=3)
    np.testing.assert_allclose(net.recall(q0, steps=6), q, rtol=1e-12)


def test_matches_torch_attention():
    torch = pytest.importorskip("torch")
    X = continuous_patterns(30, 6, seed=4)
    Q = continuous_patterns(7, 6, seed=5)
    beta = 0.8
    ours = ModernHopfield(beta=beta).store(X).recall(Q)
    k = torch.from_numpy(X)[None]  # (1, n_patterns, dim): keys and values are the patterns
    ref = torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(Q)[None], k, k, scale=beta
    )[0].numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)


def test_compare_run_passes():
    r = compare_run(quick=True, seed=0)
    assert r["passed"] and "load P/N=10" in r["task"]


def test_save_load_and_errors(tmp_path):
    net = ModernHopfield(beta=3.0, dtype=np.float32).store(continuous_patterns(6, 4, seed=0))
    net.save(tmp_path / "m.safetensors")
    other = recurrent_zoo.load(tmp_path / "m.safetensors")
    assert other.beta == 3.0 and other.dtype == np.float32
    np.testing.assert_array_equal(other.params["patterns"], net.params["patterns"])
    with pytest.raises(ValueError, match="beta"):
        ModernHopfield(beta=0.0)
    with pytest.raises(TypeError, match="beta"):
        ModernHopfield(beta="1")
    with pytest.raises(RuntimeError, match="store"):
        ModernHopfield().recall(np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"queries must have shape \(B, dim=4\)"):
        net.recall(np.ones((2, 5)))
    with pytest.raises(ValueError, match="queries must be finite"):
        net.recall(np.full((1, 4), np.inf))
    with pytest.raises(ValueError, match="steps"):
        net.recall(np.ones((1, 4)), steps=0)
    with pytest.raises(ValueError, match="patterns must hold at least one pattern"):
        ModernHopfield().store(np.ones((0, 4)))
