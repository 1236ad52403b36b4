"""Reference behaviour of the dense associative memory (recurrent_zoo.dense_associative_memory).

Krotov & Hopfield 2016: F(x) = x^n; n = 2 is the classical Hebbian network and the capacity
grows like N^(n-1). Demircigil et al. 2017: F(x) = exp(x) stores exponentially many patterns.
"""

import numpy as np
import pytest

import recurrent_zoo
from recurrent_zoo.dense_associative_memory import DenseAssociativeMemory, compare_run
from recurrent_zoo.hopfield import Hopfield
from recurrent_zoo.tasks.patterns import capacity_curve, flip_noise, random_patterns


def _explicit_decisions(P, s, F):
    """sum_mu F(xi_i + sum_{j != i} xi_j s_j) - F(-xi_i + ...) for every unit, as loops."""
    K, N = P.shape
    d = np.zeros(N)
    for i in range(N):
        for mu in range(K):
            rest = sum(P[mu, j] * s[j] for j in range(N) if j != i)
            d[i] += F(P[mu, i] + rest) - F(-P[mu, i] + rest)
    return d


@pytest.mark.parametrize(
    "kwargs, F",
    [
        ({"degree": 3}, lambda x: x**3),
        ({"interaction": "rectified_polynomial", "degree": 4}, lambda x: max(x, 0) ** 4),
        ({"interaction": "exponential"}, np.exp),
    ],
)
def test_one_synchronous_step_follows_the_update_rule_written_as_loops(kwargs, F):
    P = random_patterns(6, 9, seed=0)
    s = random_patterns(3, 9, seed=1)
    mem = DenseAssociativeMemory(9, **kwargs).store(P)
    out = mem.recall(s, mode="sync", max_iter=1)
    for b in range(3):
        d = _explicit_decisions(P, s[b], F)
        expected = np.where(d > 0, 1.0, np.where(d < 0, -1.0, s[b]))
        np.testing.assert_array_equal(out[b], expected)


def test_degree_two_is_the_hebbian_hopfield_network():
    # sum_mu (a + xi)^2 - (a - xi)^2 = 4 N h_i: the same dynamics, update for update
    P = random_patterns(20, 60, seed=3)
    probes = flip_noise(P, 0.3, seed=4)
    dam = DenseAssociativeMemory(60, degree=2).store(P)
    hop = Hopfield(60).store(P)
    for kw in ({"mode": "async", "seed": 5}, {"mode": "sync"}):
        a = dam.recall(probes, return_info=True, **kw)
        b = hop.recall(probes, return_info=True, **kw)
        np.testing.assert_array_equal(a.states, b.states)
        np.testing.assert_array_equal(a.iterations, b.iterations)
        np.testing.assert_array_equal(a.two_cycle, b.two_cycle)
    # s^T W s = (sum_mu (xi.s)^2 - K N) / N, so E_dense = 2 N E_hopfield - K N
    S = random_patterns(5, 60, seed=6)
    np.testing.assert_allclose(dam.energy(S), 2 * 60 * hop.energy(S) - 20 * 60, atol=1e-9)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"degree": 3},
        {"interaction": "rectified_polynomial", "degree": 3},
        {"interaction": "exponential"},
    ],
)
def test_async_recall_never_increases_energy(kwargs):
    N = 30
    mem = DenseAssociativeMemory(N, **kwargs).store(random_patterns(60, N, seed=7))
    probes = random_patterns(10, N, seed=8)
    E = [mem.energy(probes)]
    for k in range(1, 6):
        E.append(mem.energy(mem.recall(probes, max_iter=k, seed=9)))
    E = np.array(E)
    assert (np.diff(E, axis=0) <= 1e-9 * np.abs(E[:-1])).all()
    info = mem.recall(probes, seed=9, return_info=True)
    assert info.converged.all()
    np.testing.assert_array_equal(mem.recall(info.states, mode="sync", max_iter=1), info.states)


def test_capacity_grows_with_the_interaction_order():
    # N = 40, K = 80 patterns (load 2), 10% flipped bits, 2 trials, seed 0. Measured fraction
    # recalled exactly: n = 2 (Hebbian) 0.0, n = 3 0.81, n = 4 1.0, exponential 1.0.
    def exact(**kw):
        c = capacity_curve(
            lambda n: DenseAssociativeMemory(n, **kw), 40, [2.0], noise=0.1, n_trials=2, seed=0
        )
        return float(c["exact"][0])

    e2, e3, e4, ex = (
        exact(degree=2),
        exact(degree=3),
        exact(degree=4),
        exact(interaction="exponential"),
    )
    assert e2 < 0.05
    assert 0.6 < e3 < 0.95
    assert e4 == 1.0 and ex == 1.0


def test_exponential_interaction_stores_many_more_patterns_than_units():
    # Demircigil et al. 2017: N = 40 units, K = 200 patterns (load 5), 20% flipped bits,
    # 1 trial, seed 1: every pattern recalled (measured 1.0).
    c = capacity_curve(
        lambda n: DenseAssociativeMemory(n, interaction="exponential"),
        40,
        [5.0],
        noise=0.2,
        n_trials=1,
        seed=1,
    )
    assert c["exact"][0] >= 0.99


def test_exponential_dynamics_do_not_overflow_for_large_n():
    N = 1200  # overlaps up to 1200 > 709: exp would overflow without the log domain
    P = random_patterns(3, N, seed=10)
    mem = DenseAssociativeMemory(N, interaction="exponential").store(P)
    out = mem.recall(flip_noise(P, 0.3, seed=11), mode="sync")
    np.testing.assert_array_equal(out, P)
    assert np.isneginf(mem.energy(P)).all()  # documented: the energy itself leaves float64


def test_compare_run_passes():
    r = compare_run(quick=True, seed=0)
    assert r["passed"] and "load K/N=1.0" in r["task"]


def test_save_load_and_errors(tmp_path):
    mem = DenseAssociativeMemory(12, "exponential").store(random_patterns(5, 12, seed=0))
    mem.save(tmp_path / "d.safetensors")
    other = recurrent_zoo.load(tmp_path / "d.safetensors")
    assert other.get_config() == mem.get_config()
    np.testing.assert_array_equal(other.params["patterns"], mem.params["patterns"])
    with pytest.raises(ValueError, match="interaction"):
        DenseAssociativeMemory(12, "cubic")
    with pytest.raises(ValueError, match="degree"):
        DenseAssociativeMemory(12, degree=1)
    with pytest.raises(RuntimeError, match="store"):
        DenseAssociativeMemory(12).recall(np.ones((1, 12)))
    with pytest.raises(ValueError, match="probes must be bipolar"):
        mem.recall(np.zeros((1, 12)))
    with pytest.raises(ValueError, match="probes must have shape"):
        mem.recall(np.ones((1, 13)))
    with pytest.raises(ValueError, match="patterns must hold at least one pattern"):
        DenseAssociativeMemory(12).store(np.ones((0, 12)))
    with pytest.raises(ValueError, match="patterns must be finite"):
        DenseAssociativeMemory(12).store(np.full((1, 12), np.nan))
