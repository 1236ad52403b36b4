"""Pattern generators, noise models and the capacity experiment (recurrent_zoo.tasks.patterns)."""

import numpy as np
import pytest

from recurrent_zoo.bam import BAM
from recurrent_zoo.dense_associative_memory import DenseAssociativeMemory
from recurrent_zoo.hopfield import Hopfield
from recurrent_zoo.modern_hopfield import ModernHopfield
from recurrent_zoo.tasks import TASKS
from recurrent_zoo.tasks.patterns import (
    IMAGE_NAMES,
    capacity_curve,
    continuous_patterns,
    correlated_patterns,
    flip_noise,
    gaussian_noise,
    image_patterns,
    occlude,
    overlap,
    pair_recall,
    pattern_recall,
    random_patterns,
    theoretical_capacities,
)


def test_random_patterns_are_seeded_bipolar_with_the_requested_mean():
    P = random_patterns(200, 500, mean_activity=0.4, seed=0)
    assert P.shape == (200, 500) and set(np.unique(P)) == {-1.0, 1.0}
    assert abs(P.mean() - 0.4) < 0.01
    np.testing.assert_array_equal(P, random_patterns(200, 500, mean_activity=0.4, seed=0))
    assert not np.array_equal(P, random_patterns(200, 500, mean_activity=0.4, seed=1))
    assert random_patterns(2, 3, seed=0, dtype=np.float32).dtype == np.float32


def test_correlated_patterns_overlap_by_c_squared():
    for c in (0.0, 0.5, 0.8):
        P = correlated_patterns(300, 400, correlation=c, seed=1)
        C = P @ P.T / 400
        mean = C[np.triu_indices(300, 1)].mean()
        assert abs(mean - c**2) < 0.01, (c, mean)
    assert np.array_equal(
        correlated_patterns(3, 5, correlation=1.0, seed=0)[0],
        correlated_patterns(3, 5, correlation=1.0, seed=0)[2],
    )


def test_image_patterns_are_bipolar_pictures():
    imgs = image_patterns(size=9)
    assert imgs.shape == (len(IMAGE_NAMES), 81) and set(np.unique(imgs)) == {-1.0, 1.0}
    assert len({row.tobytes() for row in imgs}) == len(IMAGE_NAMES)  # all different
    cross = image_patterns(["cross"], size=5).reshape(5, 5)
    expected = -np.ones((5, 5))
    expected[2, :] = expected[:, 2] = 1
    np.testing.assert_array_equal(cross, expected)
    x = image_patterns(["x"], size=5).reshape(5, 5)
    np.testing.assert_array_equal(x, np.where(np.eye(5) + np.fliplr(np.eye(5)) > 0, 1, -1))


def test_flip_noise_flips_an_exact_count_per_pattern():
    P = random_patterns(50, 40, seed=2)
    Q = flip_noise(P, 0.25, seed=3)
    np.testing.assert_array_equal((Q != P).sum(axis=1), 10)
    np.testing.assert_array_equal(Q[Q != P], -P[Q != P])
    np.testing.assert_array_equal(flip_noise(P, 0.0, seed=3), P)
    np.testing.assert_array_equal(Q, flip_noise(P, 0.25, seed=3))
    assert len({tuple(np.flatnonzero(q != p)) for q, p in zip(Q, P, strict=True)}) > 1


def test_occlude_overwrites_random_units_or_the_end():
    P = np.ones((4, 10))
    end = occlude(P, 0.3, where="end", fill=-1)
    np.testing.assert_array_equal(end[:, :7], 1)
    np.testing.assert_array_equal(end[:, 7:], -1)
    rnd = occlude(P, 0.5, where="random", fill=-1, seed=0)
    np.testing.assert_array_equal((rnd == -1).sum(axis=1), 5)
    coin = occlude(-P, 1.0, fill="random", seed=1)
    assert set(np.unique(coin)) == {-1.0, 1.0}
    with pytest.raises(ValueError, match="fill"):
        occlude(P, 0.5, fill=0)
    with pytest.raises(ValueError, match="where"):
        occlude(P, 0.5, where="top")


def test_gaussian_noise_and_overlap():
    X = np.zeros((2000, 10))
    noisy = gaussian_noise(X, 0.5, seed=4)
    assert abs(noisy.std() - 0.5) < 0.01
    np.testing.assert_array_equal(overlap([[1, -1, 1, -1]], [[1, -1, 1, -1]]), [1.0])
    np.testing.assert_array_equal(overlap([[1, -1, 1, -1]], [[-1, 1, -1, 1]]), [-1.0])
    with pytest.raises(ValueError, match="std"):
        gaussian_noise(X, -1.0)
    with pytest.raises(ValueError, match="same shape"):
        overlap(np.ones((1, 3)), np.ones((1, 4)))


def test_continuous_patterns_norm():
    X = continuous_patterns(5, 7, seed=0, norm=3.0)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 3.0)
    with pytest.raises(ValueError, match="norm"):
        continuous_patterns(5, 7, norm=0.0)


def test_recall_tasks_are_registered():
    assert TASKS["pattern_recall"] is pattern_recall and TASKS["pair_recall"] is pair_recall
    P, probes = pattern_recall(4, 50, noise=0.2, seed=0)
    np.testing.assert_array_equal((P != probes).sum(axis=1), 10)
    X, Y, px = pair_recall(3, 20, 8, noise=0.1, seed=0)
    assert Y.shape == (3, 8)
    np.testing.assert_array_equal((X != px).sum(axis=1), 2)


def test_capacity_curve_for_any_memory():
    loads = [0.05, 0.5]
    hop = capacity_curve(lambda n: Hopfield(n), 64, loads, noise=0.1, n_trials=2, seed=0)
    np.testing.assert_array_equal(hop["n_patterns"], [3, 32])
    np.testing.assert_allclose(hop["loads"], [3 / 64, 0.5])
    assert hop["exact"][0] == 1.0 and hop["exact"][1] < 0.2
    assert hop["overlap"][0] == 1.0 and hop["overlap_std"][0] == 0.0
    again = capacity_curve(lambda n: Hopfield(n), 64, loads, noise=0.1, n_trials=2, seed=0)
    for k in hop:
        np.testing.assert_array_equal(hop[k], again[k])
    # synchronous recall through recall_kwargs, a dense memory, and a continuous memory
    sync = capacity_curve(
        lambda n: Hopfield(n), 64, loads, noise=0.1, n_trials=1, recall_kwargs={"mode": "sync"}
    )
    assert sync["exact"][0] == 1.0
    dense = capacity_curve(
        lambda n: DenseAssociativeMemory(n, interaction="exponential"),
        64,
        loads,
        noise=0.1,
        n_trials=1,
    )
    np.testing.assert_array_equal(dense["exact"], [1.0, 1.0])
    modern = capacity_curve(lambda n: ModernHopfield(beta=1.0), 64, [2.0], noise=0.1, n_trials=1)
    assert modern["exact"][0] == 1.0

    # BAM, auto-associatively (x = y), through a small adapter
    class AutoBAM:
        def store(self, P):
            self.bam = BAM().store(P, P)

        def recall(self, probes):
            return self.bam.recall(x=probes)[0]

    auto = capacity_curve(lambda n: AutoBAM(), 64, [0.05], noise=0.1, n_trials=1)
    assert auto["exact"][0] == 1.0


def test_capacity_curve_bad_input():
    make = lambda n: Hopfield(n)  # noqa: E731
    with pytest.raises(ValueError, match="loads"):
        capacity_curve(make, 20, [])
    with pytest.raises(ValueError, match="loads"):
        capacity_curve(make, 20, [0.1, -0.2])
    with pytest.raises(ValueError, match="noise"):
        capacity_curve(make, 20, [0.1], noise=1.5)
    with pytest.raises(ValueError, match="n_trials"):
        capacity_curve(make, 20, [0.1], n_trials=0)


def test_theoretical_marks():
    marks = theoretical_capacities(1000)
    assert marks["hebbian"] == 0.138
    np.testing.assert_allclose(marks["hebbian_absolute"], 1 / (2 * np.log(1000)))
    np.testing.assert_allclose(marks["storkey"], 1 / np.sqrt(2 * np.log(1000)))
    assert marks["pseudo_inverse"] == 0.999


def test_plot_capacity_curves_draws_the_three_rules_and_their_marks():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    out, curves = plot_capacity_curves_small(ax)
    assert out is ax and sorted(curves) == ["hebbian", "pseudo_inverse", "storkey"]
    vertical = sorted(
        round(float(line.get_xdata()[0]), 6)
        for line in ax.lines
        if len(set(np.atleast_1d(line.get_xdata()))) == 1
    )
    marks = theoretical_capacities(40)
    expected = sorted(round(marks[k], 6) for k in marks)
    assert vertical == expected
    plt.close(fig)


def plot_capacity_curves_small(ax):
    from recurrent_zoo.hopfield import plot_capacity_curves

    return plot_capacity_curves(ax, n_units=40, loads=[0.1, 0.5, 0.9], n_trials=1, seed=0)


def test_generator_errors_name_the_argument():
    with pytest.raises(ValueError, match="n_patterns"):
        random_patterns(0, 5)
    with pytest.raises(ValueError, match="mean_activity"):
        random_patterns(2, 5, mean_activity=1.0)
    with pytest.raises(ValueError, match="correlation"):
        correlated_patterns(2, 5, correlation=1.5)
    with pytest.raises(ValueError, match="names"):
        image_patterns(["smiley"])
    with pytest.raises(ValueError, match="size"):
        image_patterns(size=3)
    with pytest.raises(ValueError, match="patterns must be bipolar"):
        flip_noise(np.zeros((2, 3)), 0.1)
    with pytest.raises(ValueError, match="fraction"):
        flip_noise(np.ones((2, 3)), 1.2)
    with pytest.raises(ValueError, match="patterns must be finite"):
        flip_noise(np.full((2, 3), np.nan), 0.1)
