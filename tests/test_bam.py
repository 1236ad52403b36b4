"""Reference behaviour of the bidirectional associative memory (recurrent_zoo.bam).

Kosko 1988: correlation encoding W = sum_k x_k^T y_k, recall back and forth until both layers
are stable, energy E = -x W y^T never increasing. Wang, Cruz & Mulligan 1990/1991: multiple
training (integer multiplicities) stores pairs that correlation encoding loses.
"""

import numpy as np
import pytest

import recurrent_zoo
from recurrent_zoo.bam import BAM, compare_run
from recurrent_zoo.tasks.patterns import flip_noise, random_patterns

# The two-pair worked example (the one textbooks give with Kosko's BAM) in binary form:
# A1 = 101010 -> B1 = 1100, A2 = 111000 -> B2 = 1010; encoded in bipolar form.
A = np.array([[1, 0, 1, 0, 1, 0], [1, 1, 1, 0, 0, 0]])
B = np.array([[1, 1, 0, 0], [1, 0, 1, 0]])
X, Y = 2 * A - 1, 2 * B - 1


def test_worked_example_weights_and_recall():
    bam = BAM().store(X, Y)
    # W = X1^T Y1 + X2^T Y2, computed by hand
    W = np.array(
        [[2, 0, 0, -2], [0, -2, 2, 0], [2, 0, 0, -2], [-2, 0, 0, 2], [0, 2, -2, 0], [-2, 0, 0, 2]]
    )
    np.testing.assert_array_equal(bam.params["weights"], W)
    # the binary vector A1 through W: (4, 2, -2, -4), thresholded to B1 = 1100
    np.testing.assert_array_equal(A[0] @ W, [4, 2, -2, -4])
    x, y, info = bam.recall(x=X, return_info=True)
    np.testing.assert_array_equal(y, Y)
    np.testing.assert_array_equal(x, X)
    assert info.converged.all()
    np.testing.assert_array_equal(info.iterations, 0)  # stored pairs are stable at once
    x, y = bam.recall(y=Y)
    np.testing.assert_array_equal(x, X)
    # X1 W Y1^T: X1 W = (8, 4, -4, -8), times Y1 = (1, 1, -1, -1) -> 24
    np.testing.assert_array_equal(bam.energy(X, Y), [-24, -24])
    assert bam.is_stored(X, Y).all()


def test_worked_example_recalls_from_one_wrong_bit():
    bam = BAM().store(X, Y)
    differ = np.flatnonzero(X[0] != X[1])  # bits 1 and 4: A1 and A2 differ only there
    np.testing.assert_array_equal(differ, [1, 4])
    for k in range(2):
        for i in range(6):
            probe = X[k : k + 1].copy()
            probe[0, i] *= -1
            x, y, info = bam.recall(x=probe, return_info=True)
            assert info.converged.all()
            if i in differ:
                # equidistant from A1 and A2: the inputs of y's middle units are exactly 0
                np.testing.assert_array_equal(probe[0] @ bam.params["weights"], [8, 0, 0, -8])
            else:
                # any other single-bit error is corrected to the stored pair
                np.testing.assert_array_equal(y[0], Y[k], err_msg=f"pair {k}, bit {i}")
                np.testing.assert_array_equal(x[0], X[k], err_msg=f"pair {k}, bit {i}")


def test_energy_never_increases_and_recall_ends_with_both_layers_stable():
    # 12 pairs of 30 x 20 units: far beyond capacity, so recall wanders before settling
    Xr, Yr = random_patterns(12, 30, seed=0), random_patterns(12, 20, seed=1)
    bam = BAM().store(Xr, Yr)
    x0, y0 = random_patterns(25, 30, seed=2), random_patterns(25, 20, seed=3)
    E = [bam.energy(x0, y0)]
    for k in range(1, 8):
        E.append(bam.energy(*bam.recall(x=x0, y=y0, max_iter=k)))
    E = np.array(E)
    assert (np.diff(E, axis=0) <= 0).all()
    assert (E[-1] < E[0]).all()
    x, y, info = bam.recall(x=x0, y=y0, return_info=True)
    assert info.converged.all()
    W = bam.params["weights"]
    np.testing.assert_array_equal(np.where(x @ W > 0, 1, np.where(x @ W < 0, -1, y)), y)
    np.testing.assert_array_equal(np.where(y @ W.T > 0, 1, np.where(y @ W.T < 0, -1, x)), x)


def test_multiple_training_stores_pairs_that_correlation_encoding_loses():
    # 4 pairs of 8 x 6 units (seeds 2 and 1002): correlation encoding leaves pair 0 unstable
    # and recalls the wrong y from it; multiple training finds multiplicities (4, 3, 3, 3)
    # that make every pair a fixed point.
    Xm, Ym = random_patterns(4, 8, seed=2), random_patterns(4, 6, seed=1002)
    corr = BAM().store(Xm, Ym)
    np.testing.assert_array_equal(corr.is_stored(Xm, Ym), [False, True, True, True])
    assert not np.array_equal(corr.recall(x=Xm)[1], Ym)
    multi = BAM("multiple_training").store(Xm, Ym)
    q = multi.params["multiplicities"]
    np.testing.assert_array_equal(q, [4, 3, 3, 3])
    np.testing.assert_array_equal(multi.params["weights"], (Xm * q[:, None]).T @ Ym)
    assert multi.is_stored(Xm, Ym).all()
    x, y = multi.recall(x=Xm)
    np.testing.assert_array_equal(y, Ym)
    np.testing.assert_array_equal(x, Xm)


def test_multiple_training_leaves_correlation_weights_when_all_pairs_are_stable():
    bam = BAM("multiple_training").store(X, Y)
    np.testing.assert_array_equal(bam.params["multiplicities"], [1, 1])
    np.testing.assert_array_equal(bam.params["weights"], BAM().store(X, Y).params["weights"])


def test_noisy_recall_at_low_load():
    Xr, Yr = random_patterns(5, 100, seed=4), random_patterns(5, 80, seed=5)
    x, y = BAM().store(Xr, Yr).recall(x=flip_noise(Xr, 0.1, seed=6))
    np.testing.assert_array_equal(y, Yr)
    np.testing.assert_array_equal(x, Xr)


def test_compare_run_passes():
    r = compare_run(quick=True, seed=0)
    assert r["passed"] and "load P/n=0.05" in r["task"]


def test_save_load_and_errors(tmp_path):
    bam = BAM("multiple_training").store(X, Y)
    bam.save(tmp_path / "b.safetensors")
    other = recurrent_zoo.load(tmp_path / "b.safetensors")
    assert other.get_config() == bam.get_config()
    np.testing.assert_array_equal(other.params["weights"], bam.params["weights"])
    with pytest.raises(ValueError, match="encoding"):
        BAM("hebb")
    with pytest.raises(ValueError, match="X and Y must hold the same number"):
        BAM().store(X, Y[:1])
    with pytest.raises(ValueError, match="X must hold at least one pattern"):
        BAM().store(np.zeros((0, 6)), np.zeros((0, 4)))
    with pytest.raises(ValueError, match="Y must be bipolar"):
        BAM().store(X, B)
    with pytest.raises(RuntimeError, match="store"):
        BAM().recall(x=X)
    with pytest.raises(ValueError, match="x or y"):
        bam.recall()
    with pytest.raises(ValueError, match=r"x must have shape \(B, x_size=6\)"):
        bam.recall(x=X[:, :5])
    with pytest.raises(ValueError, match="y must be bipolar"):
        bam.recall(y=B)
    with pytest.raises(ValueError, match="y must be finite"):
        bam.recall(y=np.full((1, 4), np.nan))
    with pytest.raises(ValueError, match="same batch size"):
        bam.recall(x=X, y=Y[:1])
