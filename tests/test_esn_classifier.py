"""Sequence classification with an echo state network, and scikit-learn's model selection on it.

Reference behaviour and where it comes from:
- the features are the reservoir's last or mean state of each sequence, run alone (definition);
- the ridge readout is numpy's least squares on one-hot targets with a free intercept, and the
  logistic readout scikit-learn's ``LogisticRegression(C=1/ridge)`` on the same features (peer);
- ``cross_val_score`` and ``GridSearchCV`` give what fitting and scoring each fold by hand gives.
"""

import numpy as np
import pytest

import recurrent_zoo
from recurrent_zoo.deep_esn import DeepESN
from recurrent_zoo.esn_classifier import ESNClassifier
from recurrent_zoo.tasks import trajectory_classification


@pytest.fixture(scope="module")
def data():
    train = trajectory_classification(120, n_classes=4, seed=1)
    test = trajectory_classification(100, n_classes=4, seed=2)
    return train.sequences(), train.info["labels"], test.sequences(), test.info["labels"]


def _clf(**kw):
    base = dict(units=60, leak_rate=0.3, spectral_radius=0.9, input_scaling=0.5, seed=0)
    base.update(kw)
    return ESNClassifier(**base)


@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_ridge_readout_on_pooled_states(data, pooling):
    X, y, Xt, yt = data
    clf = _clf(pooling=pooling, ridge=1e-3).fit(X, y)
    deep = DeepESN(units=60, layers=1, leak_rate=0.3, input_scaling=0.5, seed=0).initialize(12)
    deep.params.update({k: v for k, v in clf.params.items() if k.startswith("layer")})
    runs = [deep.run(x) for x in X]
    Z = np.array([r[-1] if pooling == "last" else r.mean(axis=0) for r in runs])  # alone
    n, F = Z.shape
    A = np.vstack(
        [np.hstack([np.ones((n, 1)), Z]), np.hstack([np.zeros((F, 1)), np.sqrt(1e-3) * np.eye(F)])]
    )
    sol = np.linalg.lstsq(A, np.vstack([np.eye(4)[y], np.zeros((F, 4))]), rcond=None)[0]
    np.testing.assert_allclose(clf.coef_, sol[1:].T, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(clf.intercept_, sol[0], rtol=1e-6, atol=1e-8)
    Zt = np.array([deep.run(x)[-1] if pooling == "last" else deep.run(x).mean(0) for x in Xt])
    scores = Zt @ sol[1:] + sol[0]
    np.testing.assert_allclose(clf.decision_function(Xt), scores, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(clf.predict(Xt), np.argmax(scores, axis=1))
    assert clf.score(Xt, yt) == pytest.approx(np.mean(np.argmax(scores, axis=1) == yt))
    assert clf.score(Xt, yt) > 0.85  # 4 classes: chance is 0.25
    assert list(clf.classes_) == [0, 1, 2, 3] and clf.n_features_in_ == 12


def test_logistic_readout_equals_scikit_learn(data):
    """Peer: scikit-learn's LogisticRegression(C = 1/ridge) on the same pooled states."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y, Xt, _ = data
    clf = _clf(readout="logistic", ridge=0.5, pooling="mean").fit(X, y)
    Z = clf.reservoir_.pool(X, "mean")
    with recurrent_zoo._core.readouts.blas_threads():
        ref = linear_model.LogisticRegression(C=2.0, tol=1e-10, max_iter=5000).fit(Z, y)
    np.testing.assert_allclose(clf.coef_, ref.coef_, rtol=1e-4, atol=1e-5)
    P = clf.predict_proba(Xt)
    np.testing.assert_allclose(P, ref.predict_proba(clf.reservoir_.pool(Xt, "mean")), atol=1e-5)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(Xt), clf.classes_[P.argmax(axis=1)])
    assert not hasattr(_clf(), "predict_proba")  # ridge scores are not probabilities
    with pytest.raises(AttributeError, match="readout='logistic'"):
        _clf().predict_proba(Xt)


def test_labels_inputs_and_binary_scores(data):
    X, y, Xt, _ = data
    vowels = np.array(["ae", "ih", "oo", "uh"])
    clf = _clf().fit(X, vowels[y])
    assert list(clf.classes_) == ["ae", "ih", "oo", "uh"]
    np.testing.assert_array_equal(clf.predict(Xt), vowels[_clf().fit(X, y).predict(Xt)])
    # an (n, T, I) array is n sequences, one per row
    same = [x[:7] for x in X]
    a = _clf().fit(np.stack(same), y).decision_function(np.stack(same[:5]))
    b = _clf().fit(same, y).decision_function(same[:5])
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    two = _clf().fit(X, y % 2)
    s = two.decision_function(Xt)
    assert s.shape == (len(Xt),)
    np.testing.assert_array_equal(two.predict(Xt), (s > 0).astype(int))


def test_bad_input(data):
    X, y, _, _ = data
    with pytest.raises(ValueError, match="pooling"):
        ESNClassifier(pooling="max")
    with pytest.raises(ValueError, match="readout"):
        ESNClassifier(readout="svm")
    with pytest.raises(ValueError, match="leak_rate"):
        ESNClassifier(leak_rate=2.0)
    with pytest.raises(ValueError, match="y must be a 1-dimensional array of 120 labels"):
        _clf().fit(X, y[:-1])
    with pytest.raises(ValueError, match="at least two classes"):
        _clf().fit(X, np.zeros(120))
    with pytest.raises(ValueError, match="X must be a list"):
        _clf().fit(np.ones((120, 12)), y)
    with pytest.raises(ValueError, match=r"X\[3\] must be a 2-dimensional"):
        _clf().fit(X[:3] + [np.ones(5)] + X[4:], y)
    with pytest.raises(RuntimeError, match="not fitted"):
        _clf().predict(X)
    fitted = _clf().fit(X, y)
    with pytest.raises(ValueError, match="X must have 12 features"):
        fitted.predict([np.ones((5, 3))])


def test_save_load(tmp_path, data):
    X, y, Xt, _ = data
    clf = _clf(layers=2, units=30).fit(X, y)
    path = tmp_path / "clf.safetensors"
    clf.save(path)
    back = recurrent_zoo.load(path)
    np.testing.assert_array_equal(back.decision_function(Xt), clf.decision_function(Xt))
    np.testing.assert_array_equal(back.predict(Xt), clf.predict(Xt))
    with pytest.raises(ValueError, match="integer class labels"):
        _clf().fit(X, np.array(["a", "b"])[y % 2]).save(tmp_path / "s.safetensors")


def test_scikit_learn_model_selection(data):
    """clone, cross_val_score and GridSearchCV over spectral radius and leak rate."""
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone, is_classifier
    from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

    X, y, Xt, yt = data
    X, y = X[:60], y[:60]
    clf = _clf(units=30)
    assert is_classifier(clf) and clone(clf).get_params() == clf.get_params()
    folds = StratifiedKFold(n_splits=3)
    scores = cross_val_score(clf, X, y, cv=folds)
    by_hand = [
        clone(clf).fit([X[i] for i in tr], y[tr]).score([X[i] for i in te], y[te])
        for tr, te in folds.split(np.zeros(len(y)), y)
    ]
    np.testing.assert_allclose(scores, by_hand, rtol=0, atol=0)
    grid = {"spectral_radius": [0.5, 1.2], "leak_rate": [0.1, 1.0]}
    search = GridSearchCV(clf, grid, cv=folds).fit(X, y)
    means = {}
    for rho in grid["spectral_radius"]:
        for a in grid["leak_rate"]:
            trial = clone(clf).set_params(spectral_radius=rho, leak_rate=a)
            means[(rho, a)] = np.mean(cross_val_score(trial, X, y, cv=folds))
    best = max(means, key=means.get)
    assert (search.best_params_["spectral_radius"], search.best_params_["leak_rate"]) == best
    assert search.best_score_ == pytest.approx(means[best], abs=1e-12)
    assert search.score(Xt, yt) == search.best_estimator_.score(Xt, yt)
    assert sklearn.__version__
