r"""Sequence classification with an echo state network, the scikit-learn way.

Jaeger's recipe, as ReservoirPy's classification tutorial runs it: drive a fixed random
reservoir with each sequence from a zero state, describe the whole sequence by one vector of
reservoir states -- the state at its last step, or the mean of its states over the steps
(``pooling``) -- and learn a linear classifier on those vectors:

.. math::

    z = x_{T} \quad\text{or}\quad z = \frac{1}{T} \sum_{t=1}^{T} x_t, \qquad
    s = W_{out} z + b_{out} \in \mathbb{R}^C, \qquad \hat c = \arg\max_c s_c,

with :math:`W_{out}` fitted by ridge regression on one-hot targets (``readout="ridge"``, the
usual choice for reservoirs) or by multinomial logistic regression (``readout="logistic"``,
which also gives class probabilities :math:`\mathrm{softmax}(s)`); both penalise
:math:`\lVert W_{out} \rVert^2` by ``ridge`` and leave the intercept free
(:mod:`recurrent_zoo._core.readouts`). With ``layers > 1`` the reservoir is a deep ESN
(:class:`~recurrent_zoo.deep_esn.DeepESN`) and :math:`z` holds every layer's state.

**Many sequences at once.** All the sequences of a call run as one batch: sorted longest
first and packed by step, each step one sparse matrix product for the sequences still
running (:mod:`recurrent_zoo._core.reservoir`), the same states as running them one by one.
That is where a reservoir classifier spends its time, and where running the sequences one
after another, as ReservoirPy does, is slow (``benchmarks/bench_esn_many.py``).

**scikit-learn conventions.** ``fit(X, y)`` returns the classifier, ``predict`` the classes,
``decision_function`` the scores, ``predict_proba`` the probabilities (logistic readout
only), ``score`` the accuracy; hyperparameters are ``__init__``'s arguments, stored unchanged,
with ``get_params``/``set_params``, and ``classes_``, ``n_features_in_``, ``coef_`` and
``intercept_`` are set by ``fit``. So ``sklearn.base.clone``, ``cross_val_score`` and
``GridSearchCV`` work on it (scikit-learn is not needed otherwise). ``X`` is a list of
``(T_k, I)`` arrays, one per sequence; a 3-D array is read as ``(n_sequences, T, I)``, one
sequence per row, because scikit-learn indexes samples along the first axis -- unlike the
time-major ``(T, B, I)`` batches of the rest of the library.

References
----------
H. Jaeger, "The 'echo state' approach to analysing and training recurrent neural networks",
GMD Report 148, 2001.

H. Jaeger, M. Lukosevicius, D. Popovici and U. Siewert, "Optimization and applications of echo
state networks with leaky-integrator neurons", Neural Networks 20(3):335-352, 2007 (the
Japanese vowels classified by leaky ESNs).

N. Trouvain, L. Pedrelli, T. T. Dinh and X. Hinaut, "ReservoirPy: an efficient and
user-friendly library to design echo state networks", ICANN 2020 (tutorial 5: classification).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core import io
from ._core.readouts import RidgeAccumulator, capped_blas, fit_logistic, softmax
from ._core.reservoir import RESERVOIR_KEYS, ReservoirModel
from ._core.validation import NDArray, check_choice, check_positive_int, check_real
from .deep_esn import DeepESN

__all__ = ["ESNClassifier"]

#: the reservoir's hyperparameters (passed to DeepESN as they are)
_RESERVOIR_ARGS = (
    "units",
    "layers",
    "spectral_radius",
    "leak_rate",
    "input_scaling",
    "inter_scaling",
    "connectivity",
    "input_connectivity",
    "distribution",
    "input_distribution",
    "bias_scaling",
    "activation",
)


class ESNClassifier(ReservoirModel):
    r"""Echo state network sequence classifier: pooled reservoir states, a linear readout.

    Parameters
    ----------
    units : int, default 500
        Reservoir units (per layer).
    layers : int, default 1
        1 for an ESN's reservoir, more for a deep ESN's stack.
    spectral_radius, leak_rate, input_scaling, inter_scaling
        The reservoir's, as :class:`~recurrent_zoo.deep_esn.DeepESN` (and the ESN) take them:
        spectral radius, leak rate (one value, or one per layer), and the scales of the input
        and inter-layer weights.
    connectivity, input_connectivity, distribution, input_distribution, bias_scaling, activation
        How the reservoir's matrices are drawn, and its units' activation, likewise.
    pooling : {"last", "mean"}, default "last"
        The sequence's vector: the reservoir state at its last step, or the mean state.
    readout : {"ridge", "logistic"}, default "ridge"
        Ridge regression on one-hot targets, or multinomial logistic regression (L-BFGS).
    ridge : float, default 1.0
        The penalty on :math:`W_{out}` (>= 0): scikit-learn's defaults, ``RidgeClassifier
        (alpha=1)`` and ``LogisticRegression(C=1)``. A penalty as small as the 1e-6 that fits a
        reservoir's per-step regression is risky here, with about as many sequences as units:
        200 units (mean state, leak rate 0.3) trained on 200 sequences of the trajectories set
        scored 0.31 with 1e-6, 0.59 with 1e-4 and 0.995 with 1 (the least-squares fit
        interpolates the training sequences when there are about as many as features).
    max_iter : int, default 1000
        L-BFGS iterations of the logistic readout.
    seed : None, int or numpy.random.Generator
        The reservoir's randomness, fixed once as for the ESN.
    dtype : {np.float64, np.float32}

    Attributes
    ----------
    classes_ : ndarray (C,)
        The class labels seen by ``fit``, sorted.
    n_features_in_ : int
        The input size ``I``.
    coef_, intercept_ : ndarray (C, F), (C,)
        The readout (``F = layers * units``).
    reservoir_ : DeepESN
        The fitted reservoir.
    params : dict of str to ndarray
        The reservoir's arrays (``layer{l}.*``) and ``coef``, ``intercept``, ``classes``.

    Examples
    --------
    >>> from recurrent_zoo.tasks import trajectory_classification
    >>> train = trajectory_classification(200, seed=1)
    >>> test = trajectory_classification(200, seed=2)
    >>> clf = ESNClassifier(units=200, leak_rate=0.3, pooling="mean", seed=0)
    >>> clf = clf.fit(train.sequences(), train.info["labels"])
    >>> bool(clf.score(test.sequences(), test.info["labels"]) > 0.9)
    True
    >>> clf.predict(test.sequences()[:3]).shape, clf.decision_function(test.sequences()[:3]).shape
    ((3,), (3, 9))
    """

    _estimator_type = "classifier"
    _readout_params = frozenset({"readout", "ridge", "max_iter", "pooling"})

    def __init__(
        self,
        units: int = 500,
        layers: int = 1,
        *,
        spectral_radius: Any = 0.9,
        leak_rate: Any = 1.0,
        input_scaling: float = 1.0,
        inter_scaling: float = 1.0,
        connectivity: float = 0.1,
        input_connectivity: float = 1.0,
        distribution: str = "uniform",
        input_distribution: str = "uniform",
        bias_scaling: float = 0.0,
        activation: str = "tanh",
        pooling: str = "last",
        readout: str = "ridge",
        ridge: float = 1.0,
        max_iter: int = 1000,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        self.units = units
        self.layers = layers
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.input_scaling = input_scaling
        self.inter_scaling = inter_scaling
        self.connectivity = connectivity
        self.input_connectivity = input_connectivity
        self.distribution = distribution
        self.input_distribution = input_distribution
        self.bias_scaling = bias_scaling
        self.activation = activation
        self.pooling = pooling
        self.readout = readout
        self.ridge = ridge
        self.max_iter = max_iter
        self.seed = seed
        self.dtype = dtype
        self._setup()

    # ------------------------------------------------------------------ hyperparameters
    def _validate(self) -> None:
        # checks only: scikit-learn's clone needs the arguments stored as they were given
        check_choice(self.pooling, "pooling", ("last", "mean"))
        check_choice(self.readout, "readout", ("ridge", "logistic"))
        check_real(self.ridge, "ridge", low=0.0, closed="left")
        check_positive_int(self.max_iter, "max_iter")
        self._new_reservoir(None)  # checks the reservoir's arguments, draws nothing

    def _new_reservoir(self, seed: Any) -> DeepESN:
        args = {name: getattr(self, name) for name in _RESERVOIR_ARGS}
        return DeepESN(**args, seed=seed, dtype=self.dtype)

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's estimator tags (only scikit-learn calls this, so it imports it)."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(),
            input_tags=InputTags(two_d_array=False, three_d_array=True),
        )

    # ------------------------------------------------------------------ data
    def _sequences(self, X: Any) -> list[Any]:
        if isinstance(X, np.ndarray) and X.ndim == 3:
            return list(X)  # (n_sequences, T, I): one sequence per row
        if isinstance(X, np.ndarray) and X.dtype != object:
            raise ValueError(
                f"X must be a list of (T_k, I) arrays or an (n_sequences, T, I) array; "
                f"got an array of shape {X.shape}"
            )
        if not isinstance(X, (list, tuple, np.ndarray)):
            raise TypeError(f"X must be a list of (T_k, I) arrays; got {type(X).__name__}")
        return list(X)

    def _features(self, X: Any) -> NDArray:
        seqs = self._sequences(X)
        return self.reservoir_.pool(seqs, self.pooling)  # (n, F)

    def _require_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise RuntimeError("this ESNClassifier is not fitted yet: call fit() first")

    # ------------------------------------------------------------------ fitting
    @capped_blas
    def fit(self, X: Any, y: Any) -> ESNClassifier:
        """Run the reservoir over the sequences ``X`` and fit the readout to labels ``y``.

        Parameters
        ----------
        X : list of (T_k, I) arrays, or an (n_sequences, T, I) array
        y : array (n_sequences,)
            Class labels (any sortable labels; at least two classes).

        Returns
        -------
        self
        """
        seqs = self._sequences(X)
        labels = np.asarray(y)
        if labels.ndim != 1 or labels.shape[0] != len(seqs):
            raise ValueError(
                f"y must be a 1-dimensional array of {len(seqs)} labels, one per sequence of "
                f"X; got shape {labels.shape}"
            )
        classes, codes = np.unique(labels, return_inverse=True)
        if classes.size < 2:
            raise ValueError(f"y must hold at least two classes; got {classes.tolist()}")
        reservoir = self._new_reservoir(self._resolved_seed())
        Z = reservoir.pool(seqs, self.pooling)  # (n, F): draws the reservoir
        C, F = classes.size, Z.shape[1]
        if self.readout == "ridge":
            acc = RidgeAccumulator(F, C)
            acc.add(Z, np.eye(C)[codes])
            W, b = acc.solve(float(self.ridge))
        else:
            W, b, info = fit_logistic(Z, codes, C, float(self.ridge), max_iter=int(self.max_iter))
            self.n_iter_ = info["n_iter"]
        self.reservoir_ = reservoir
        self.classes_ = classes
        self.n_features_in_ = int(reservoir.input_size or 0)
        self.coef_ = W.astype(reservoir._dtype)
        self.intercept_ = b.astype(reservoir._dtype)
        self._set_params_dict()
        return self

    def _set_params_dict(self) -> None:
        self.params = dict(self.reservoir_.params)  # the same arrays
        self.params["coef"] = self.coef_
        self.params["intercept"] = self.intercept_
        if self.classes_.dtype.kind in "iu":  # a model file holds numbers: int labels only
            self.classes_ = np.asarray(self.classes_, dtype=np.int64)  # the array saved
            self.params["classes"] = self.classes_

    # ------------------------------------------------------------------ predicting
    @capped_blas
    def decision_function(self, X: Any) -> NDArray:
        """Scores ``(n, C)`` (``(n,)`` for two classes: class 1's minus class 0's)."""
        self._require_fitted()
        S = self._features(X) @ self.coef_.T + self.intercept_
        return S[:, 1] - S[:, 0] if S.shape[1] == 2 else S  # type: ignore[no-any-return]

    @capped_blas
    def predict(self, X: Any) -> NDArray:
        """The class of each sequence (one of ``classes_``)."""
        self._require_fitted()
        S = self._features(X) @ self.coef_.T + self.intercept_
        return self.classes_[np.argmax(S, axis=1)]  # type: ignore[no-any-return]

    @property
    def predict_proba(self) -> Any:
        """Class probabilities ``(n, C)`` (columns in ``classes_`` order); logistic readout only.

        Ridge scores are not probabilities, so with ``readout="ridge"`` this attribute does
        not exist (``hasattr(clf, "predict_proba")`` is False, as scikit-learn expects); use
        :meth:`decision_function`.
        """
        if self.readout != "logistic":
            raise AttributeError(
                "predict_proba needs readout='logistic' (ridge scores are not probabilities; "
                "use decision_function)"
            )
        return self._predict_proba

    @capped_blas
    def _predict_proba(self, X: Any) -> NDArray:
        self._require_fitted()
        return softmax(self._features(X) @ self.coef_.T + self.intercept_)

    def score(self, X: Any, y: Any) -> float:
        """Accuracy: the fraction of sequences whose predicted class is ``y``'s."""
        labels = np.asarray(y)
        pred = self.predict(X)
        if labels.shape != pred.shape:
            raise ValueError(
                f"y must have shape {pred.shape}, one label per sequence; got {labels.shape}"
            )
        return float(np.mean(pred == labels))

    # ------------------------------------------------------------------ files
    def save(self, path: Any) -> None:
        """Save the fitted classifier to a safetensors file (integer class labels only).

        Examples
        --------
        >>> import os, tempfile, recurrent_zoo
        >>> X = [np.random.default_rng(k).standard_normal((5 + k, 2)) for k in range(6)]
        >>> clf = ESNClassifier(units=20, seed=0).fit(X, [0, 1, 2, 0, 1, 2])
        >>> path = os.path.join(tempfile.mkdtemp(), "clf.safetensors")
        >>> clf.save(path)
        >>> back = recurrent_zoo.load(path)
        >>> bool(np.array_equal(back.decision_function(X), clf.decision_function(X)))
        True
        """
        self._require_fitted()
        if "classes" not in self.params:
            raise ValueError(
                "only a classifier with integer class labels can be saved (a model file holds "
                f"numbers); classes_ has dtype {self.classes_.dtype}"
            )
        io.save(self, path)

    def allocate_params(self, shapes: dict[str, tuple[int, ...]]) -> None:
        """Rebuild the reservoir and readout arrays from a file's shapes (used by ``load``)."""
        reservoir = self._new_reservoir(self._resolved_seed())
        for key in ("coef", "intercept", "classes"):
            if key not in shapes:
                raise ValueError(f"the file lacks ESNClassifier parameter {key!r}")
        reservoir.allocate_params(
            {k: s for k, s in shapes.items() if k not in ("coef", "intercept", "classes")}
        )
        C = shapes["classes"][0] if len(shapes["classes"]) == 1 else -1
        F = int(self.units) * int(self.layers)
        want = {"coef": (C, F), "intercept": (C,), "classes": (C,)}
        for key, shape in want.items():
            if tuple(shapes[key]) != shape or C < 2:
                raise ValueError(
                    f"parameter {key!r} of shape {tuple(shapes[key])} does not fit an "
                    f"ESNClassifier with units={self.units}, layers={self.layers}"
                )
        self.reservoir_ = reservoir
        self.coef_ = np.zeros(want["coef"], dtype=reservoir._dtype)
        self.intercept_ = np.zeros(C, dtype=reservoir._dtype)
        self.classes_ = np.zeros(C, dtype=np.int64)
        self.n_features_in_ = int(reservoir.input_size or 0)
        self._set_params_dict()
        missing = [k for k in RESERVOIR_KEYS if f"layer1.{k}" not in self.params]
        if missing:
            raise ValueError(f"the file lacks the reservoir's arrays {missing}")


io.register_class(ESNClassifier)
