"""The common checks every architecture of the catalogue passes.

Like scikit-learn's estimator checks: :data:`CHECKS` lists check functions, each taking a
catalogue :class:`~recurrent_zoo.Entry` (or anything with ``name``, ``tags``, ``examples`` and
``make``), and :func:`parametrize_with_checks` turns every (entry x check) pair into its own
pytest id. A check declares the tags it needs; only the checks an entry's ``tags`` call for
become tests.

Use them on your own architecture::

    from recurrent_zoo.testing import make_subject, run_checks
    run_checks(make_subject("mine", lambda n, *, seed, dtype: MyRNN(n, 4, seed=seed, dtype=dtype)))

Checks for the trainable sequence-model contract (tag ``"sequence"``):

shapes, dtypes (float32 and float64 keep their dtype), gradients (every parameter, the input and
the initial state against float64 central finite differences, relative error <= 1e-6), seed
(same seed, identical results; different seeds, different parameters), lengths (a padded batch
equals each sequence alone, gradients included), state carry (two calls with the state carried
equal one long call; no state leaks between calls), parameters edited in place take effect,
save/load (exact round trip through a safetensors file; a pickle, a mis-shaped, mistyped,
missing or extra tensor, an unknown config key or class are refused), bad input (errors name
the argument).

Checks for associative memories (tag ``"associative"``: Hopfield, ModernHopfield,
DenseAssociativeMemory, BAM; examples come with patterns stored): seed (same seed, same memory and
recall), dtypes, batch recall equals recalling each probe alone, recall never increases the
energy, save/load round trip, bad input (non-bipolar or wrong-length probes, NaN, storing nothing).

Checks for reservoirs (tag ``"reservoir"``: the echo state network, the deep ESN; examples are
unfitted):
seed (same seed, same reservoir and predictions; another seed, another reservoir), dtypes, a
batch equals its sequences one by one (prediction and fit), a list of variable-length sequences
equals running each, save/load round trip (fitted and unfitted), bad input.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._core.base import SequenceModel
from ._core.init import make_rng
from ._core.io import load

__all__ = [
    "CHECKS",
    "Check",
    "check",
    "checks_for",
    "make_subject",
    "numerical_gradient",
    "parametrize_with_checks",
    "relative_error",
    "run_checks",
    "gradient_errors",
]


@dataclass(frozen=True)
class Check:
    """A named check function and the tags an entry needs for it to apply."""

    name: str
    func: Callable[[Any], None]
    requires: frozenset[str]

    def applies_to(self, subject: Any) -> bool:
        return self.requires <= frozenset(subject.tags)

    def __call__(self, subject: Any) -> None:
        self.func(subject)


CHECKS: list[Check] = []


def check(
    requires: Iterable[str] = ("sequence",),
) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Register a check function that applies to entries carrying all ``requires`` tags."""

    def register(func: Callable[[Any], None]) -> Callable[[Any], None]:
        CHECKS.append(Check(func.__name__, func, frozenset(requires)))
        return func

    return register


@dataclass(frozen=True)
class _Subject:
    name: str
    examples: tuple[Any, ...]
    tags: frozenset[str] = field(default_factory=lambda: frozenset({"sequence"}))

    def make(
        self, input_size: int, *, seed: Any = None, dtype: Any = np.float64, example: int = 0
    ) -> Any:
        return self.examples[example](input_size, seed=seed, dtype=dtype)


def make_subject(
    name: str, *factories: Callable[..., Any], tags: Iterable[str] = ("sequence",)
) -> Any:
    """Wrap model factories ``f(input_size, *, seed, dtype)`` so the checks can run on them.

    Examples
    --------
    >>> from recurrent_zoo.elman import Elman
    >>> s = make_subject("tiny", lambda n, *, seed, dtype: Elman(n, 2, seed=seed, dtype=dtype))
    >>> check_shapes(s)
    """
    return _Subject(name, tuple(factories), frozenset(tags))


def checks_for(subject: Any) -> list[Check]:
    """The checks that apply to ``subject``."""
    return [c for c in CHECKS if c.applies_to(subject)]


def run_checks(subject: Any) -> list[str]:
    """Run every applicable check on ``subject``; return the names of the checks that ran."""
    ran = []
    for c in checks_for(subject):
        c(subject)
        ran.append(c.name)
    return ran


def parametrize_with_checks(entries: Iterable[Any]) -> Any:
    """A ``pytest.mark.parametrize`` over every applicable (entry, check) pair, ids ``name-check``.

    Only the checks an entry's tags call for become tests, so a skipped test always means
    something is missing (a peer library), never "does not apply".
    """
    import pytest

    pairs = [(e, c) for e in entries for c in CHECKS if c.applies_to(e)]
    ids = [f"{e.name}-{c.name}" for e, c in pairs]
    return pytest.mark.parametrize("entry, check", pairs, ids=ids)


# ----------------------------------------------------------------------------- helpers
def _examples(subject: Any) -> range:
    return range(len(subject.examples))


def _state_arrays(state: Any) -> list[np.ndarray]:
    if state is None:
        return []
    if isinstance(state, tuple):
        return [a for s in state for a in _state_arrays(s)]
    return [state]


def _map_state(fn: Callable[[np.ndarray], np.ndarray], state: Any) -> Any:
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(_map_state(fn, s) for s in state)
    return fn(state)


def _assert_same_state(a: Any, b: Any, msg: str, **tol: float) -> None:
    xs, ys = _state_arrays(a), _state_arrays(b)
    assert len(xs) == len(ys), f"{msg}: state structures differ"
    for x, y in zip(xs, ys, strict=True):
        np.testing.assert_allclose(x, y, err_msg=msg, **tol)  # type: ignore[arg-type]


def _batch_axes(model: SequenceModel) -> Any:
    """Each state array's batch axis, found by comparing ``initial_state(1)`` and ``(2)``."""

    def axis(a: np.ndarray, b: np.ndarray) -> int:
        diff = [i for i, (x, y) in enumerate(zip(a.shape, b.shape, strict=True)) if x != y]
        assert len(diff) == 1, f"cannot find the batch axis of a state of shape {b.shape}"
        return diff[0]

    one, two = model.initial_state(1), model.initial_state(2)

    def walk(x: Any, y: Any) -> Any:
        if x is None:
            return None
        if isinstance(x, tuple):
            return tuple(walk(u, v) for u, v in zip(x, y, strict=True))
        return axis(x, y)

    return walk(one, two)


def _take_batch(state: Any, axes: Any, b: int) -> Any:
    """The part of ``state`` that belongs to sequence ``b`` (batch size 1)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(_take_batch(s, a, b) for s, a in zip(state, axes, strict=True))
    return np.take(state, [b], axis=axes)


def _random_state(
    model: SequenceModel, B: int, rng: np.random.Generator, scale: float = 0.5
) -> Any:
    return _map_state(
        lambda z: (scale * rng.standard_normal(z.shape)).astype(z.dtype), model.initial_state(B)
    )


def _inputs(model: SequenceModel, T: int, B: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((T, B, model.input_size)).astype(model.dtype)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / max(||a||, ||b||)`` (0 when both are 0).

    Examples
    --------
    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0.0 else float(np.linalg.norm(a - b) / scale)


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of ``f()`` with respect to array ``x``, perturbed in place.

    Examples
    --------
    >>> x = np.array([1.0, 2.0])
    >>> np.round(numerical_gradient(lambda: float((x ** 2).sum()), x), 6)
    array([2., 4.])
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def gradient_errors(
    model: SequenceModel,
    X: np.ndarray,
    state: Any = None,
    lengths: Any = None,
    *,
    seed: int = 0,
    eps: float = 1e-6,
) -> dict[str, float]:
    """Relative errors of ``model.backward`` against central finite differences (float64).

    The loss is ``sum(R * Y) + sum(R_s * final_state)`` with fixed random ``R``, ``R_s``.
    Returns one error per parameter, plus ``"X"`` and ``"state"``.
    """
    rng = make_rng(seed)
    Y, sT = model.forward(X, state, lengths)
    R = rng.standard_normal(Y.shape)
    Rs = _map_state(lambda z: rng.standard_normal(z.shape), sT)

    def loss_of(Yv: np.ndarray, sv: Any) -> float:
        total = float((R * Yv).sum())
        for a, r in zip(_state_arrays(sv), _state_arrays(Rs), strict=True):
            total += float((a * r).sum())
        return total

    def f() -> float:
        Yv, sv = model.forward(X, state, lengths)
        return loss_of(Yv, sv)

    model.forward(X, state, lengths)
    dX = model.backward(R, Rs)
    analytic = {k: v.copy() for k, v in model.grads.items()}
    dstate0 = model.state_grad
    errors: dict[str, float] = {}
    for k, p in model.params.items():
        errors[k] = relative_error(analytic[k], numerical_gradient(f, p, eps))
    errors["X"] = relative_error(dX, numerical_gradient(f, X, eps))
    if state is not None:
        num = [numerical_gradient(f, a, eps) for a in _state_arrays(state)]
        ana = _state_arrays(dstate0)
        errors["state"] = max(
            (relative_error(a, n) for a, n in zip(ana, num, strict=True)), default=0.0
        )
    return errors


def _raises(exc: Any, match: str, fn: Callable[[], Any], what: str) -> None:
    try:
        fn()
    except exc as e:
        assert match in str(e), f"{what}: error message {str(e)!r} does not name {match!r}"
        return
    except Exception as e:  # noqa: BLE001 - report the wrong type clearly
        raise AssertionError(f"{what}: raised {type(e).__name__} ({e}) instead of {exc}") from e
    raise AssertionError(f"{what}: no error raised")


def _round_trip(model: Any, path: str) -> Any:
    """Save ``model``, load it back, and check class, config, dtype and every parameter."""
    model.save(path)
    other = load(path)
    assert type(other) is type(model)
    assert other.get_config() == model.get_config()
    assert np.dtype(getattr(other, "dtype", np.float64)) == np.dtype(
        getattr(model, "dtype", np.float64)
    )
    assert set(other.params) == set(model.params)
    for k, p in model.params.items():
        assert other.params[k].dtype == p.dtype, f"params[{k!r}] dtype"
        np.testing.assert_array_equal(other.params[k], p, err_msg=f"params[{k!r}]")
    return other


def _rewrite(
    path: str, out: str, edit: Callable[[dict[str, np.ndarray], dict[str, str]], None]
) -> str:
    """Write a copy of model file ``path`` to ``out`` with its tensors/metadata edited."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    with safe_open(path, framework="np") as f:
        meta = dict(f.metadata())
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    edit(tensors, meta)
    save_file(tensors, out, metadata=meta)
    return out


def _assert_crafted_refused(model: Any, tmp: str) -> None:
    """Files that do not fit ``model`` are refused, naming the file and what is wrong.

    A pickle, a tensor with a wrong shape or dtype, a missing or an extra tensor, a config with
    an unknown key and an unregistered class -- each a ``ValueError`` naming the path.
    """
    import pickle

    good = os.path.join(tmp, "good.safetensors")
    model.save(good)
    pickled = os.path.join(tmp, "pickled.safetensors")
    with open(pickled, "wb") as fh:
        pickle.dump({"weights": np.zeros(3)}, fh)
    _raises(ValueError, pickled, lambda: load(pickled), "loading a pickle")

    def bad(name: str, edit: Any, match: str, what: str) -> None:
        out = _rewrite(good, os.path.join(tmp, name), edit)
        _raises(ValueError, match, lambda: load(out), what)

    def unknown_key(t: dict[str, np.ndarray], m: dict[str, str]) -> None:
        import json

        config = json.loads(m["config"])
        config["not_a_hyperparameter"] = 1
        m["config"] = json.dumps(config)

    bad("key.safetensors", unknown_key, "not_a_hyperparameter", "a config with an unknown key")

    def foreign_class(t: dict[str, np.ndarray], m: dict[str, str]) -> None:
        m["class"] = "os.system"

    bad("class.safetensors", foreign_class, "not a registered", "an unregistered class")
    names = [k for k, v in model.params.items() if v.size > 0]
    if not names:
        return
    name = names[0]

    def reshaped(t: dict[str, np.ndarray], m: dict[str, str]) -> None:
        t[name] = np.zeros((*t[name].shape, 2), dtype=t[name].dtype)

    def retyped(t: dict[str, np.ndarray], m: dict[str, str]) -> None:
        t[name] = t[name].astype(np.float16 if t[name].dtype != np.float16 else np.float32)

    def dropped(t: dict[str, np.ndarray], m: dict[str, str]) -> None:
        del t[name]

    def added(t: dict[str, np.ndarray], m: dict[str, str]) -> None:
        t["surplus"] = np.zeros(2)

    bad("shape.safetensors", reshaped, name, "a tensor of the wrong shape")
    bad("dtype.safetensors", retyped, name, "a tensor of the wrong dtype")
    bad("missing.safetensors", dropped, name, "a missing tensor")
    bad("extra.safetensors", added, "surplus", "an extra tensor")
    if model.params[name].dtype.kind == "f":

        def poisoned(t: dict[str, np.ndarray], m: dict[str, str]) -> None:
            t[name] = t[name].copy()
            t[name].reshape(-1)[0] = np.nan

        bad("nan.safetensors", poisoned, "NaN", "a tensor holding NaN")


# ----------------------------------------------------------------------------- sequence checks
@check()
def check_shapes(subject: Any) -> None:
    """Output, state, input-gradient and parameter-gradient shapes for several (T, B, I)."""
    rng = make_rng(0)
    for ex in _examples(subject):
        for T, B, I in [(1, 1, 1), (5, 3, 2), (3, 7, 4)]:
            model = subject.make(I, seed=0, example=ex)
            X = _inputs(model, T, B, rng)
            Y, s = model.forward(X)
            assert Y.shape == (T, B, model.output_size), f"Y shape {Y.shape} for X {X.shape}"
            init = model.initial_state(B)
            assert len(_state_arrays(s)) == len(_state_arrays(init)), "final state structure"
            for a, b in zip(_state_arrays(s), _state_arrays(init), strict=True):
                assert a.shape == b.shape, f"state shape {a.shape} != {b.shape}"
            dX = model.backward(np.ones_like(Y))
            assert dX.shape == X.shape, f"dX shape {dX.shape} != {X.shape}"
            assert set(model.grads) == set(model.params), "grads keys must equal params keys"
            for k, g in model.grads.items():
                assert g.shape == model.params[k].shape, f"grads[{k!r}] shape"


@check()
def check_dtypes(subject: Any) -> None:
    """float32 and float64 models both work and keep their dtype; inputs are cast."""
    rng = make_rng(1)
    for ex in _examples(subject):
        for dtype in (np.float32, np.float64):
            model = subject.make(3, seed=0, dtype=dtype, example=ex)
            for k, p in model.params.items():
                assert p.dtype == dtype, f"params[{k!r}] has dtype {p.dtype}, expected {dtype}"
            X = rng.standard_normal((4, 2, 3))  # float64 input, cast to the model's dtype
            Y, s = model.forward(X)
            assert Y.dtype == dtype, f"Y dtype {Y.dtype} for a {np.dtype(dtype)} model"
            for a in _state_arrays(s):
                assert a.dtype == dtype, f"state dtype {a.dtype}"
            dX = model.backward(np.ones(Y.shape))
            assert dX.dtype == dtype, f"dX dtype {dX.dtype}"
            for k, g in model.grads.items():
                assert g.dtype == dtype, f"grads[{k!r}] dtype {g.dtype}"
            assert np.isfinite(Y).all() and np.isfinite(dX).all()
        # int and bool inputs are accepted and converted
        model = subject.make(2, seed=0, example=ex)
        Y_int, _ = model.forward(np.ones((3, 2, 2), dtype=np.int64))
        Y_float, _ = model.forward(np.ones((3, 2, 2)))
        np.testing.assert_array_equal(Y_int, Y_float)


@check()
def check_gradients(subject: Any) -> None:
    """Every parameter, the input and the initial state against float64 finite differences."""
    for ex in _examples(subject):
        model = subject.make(2, seed=3, dtype=np.float64, example=ex)
        rng = make_rng(4)
        T, B = 4, 3
        X = _inputs(model, T, B, rng)
        state = _random_state(model, B, rng)
        lengths = np.array([4, 2, 1])
        for lens in (None, lengths):
            errors = gradient_errors(model, X, state, lens, seed=5)
            bad = {k: v for k, v in errors.items() if not v <= 1e-6}
            assert not bad, f"example {ex}, lengths={lens}: relative errors above 1e-6: {bad}"


@check()
def check_seed(subject: Any) -> None:
    """Same seed, identical parameters and outputs; different seeds, different parameters."""
    X = make_rng(2).standard_normal((4, 2, 3))
    for ex in _examples(subject):
        a, b = subject.make(3, seed=7, example=ex), subject.make(3, seed=7, example=ex)
        c = subject.make(3, seed=8, example=ex)
        assert set(a.params) == set(b.params)
        for k in a.params:
            np.testing.assert_array_equal(a.params[k], b.params[k], err_msg=f"params[{k!r}]")
        np.testing.assert_array_equal(a.forward(X)[0], b.forward(X)[0])
        assert any(not np.array_equal(a.params[k], c.params[k]) for k in a.params), (
            "seeds 7 and 8 gave identical parameters"
        )
        g1, g2 = (
            subject.make(3, seed=make_rng(5), example=ex),
            subject.make(3, seed=make_rng(5), example=ex),
        )
        for k in g1.params:
            np.testing.assert_array_equal(g1.params[k], g2.params[k])


@check()
def check_lengths(subject: Any) -> None:
    """A padded batch with ``lengths`` equals running each sequence alone, gradients included."""
    for ex in _examples(subject):
        model = subject.make(2, seed=1, example=ex)
        rng = make_rng(6)
        T, B = 6, 3
        lengths = np.array([6, 3, 1])
        X = _inputs(model, T, B, rng)
        X[3:, 1] = 9.0  # padding content must not matter
        X[1:, 2] = -9.0
        state = _random_state(model, B, rng)
        axes = _batch_axes(model)
        Y, sT = model.forward(X, state, lengths)
        dY = rng.standard_normal(Y.shape)
        dX = model.backward(dY)
        grads = {k: v.copy() for k, v in model.grads.items()}
        total = {k: np.zeros_like(v) for k, v in grads.items()}
        for b in range(B):
            L = int(lengths[b])
            sb = _take_batch(state, axes, b)
            Yb, sTb = model.forward(X[:L, b : b + 1], sb)
            np.testing.assert_allclose(
                Yb[:, 0], Y[:L, b], rtol=1e-10, atol=1e-12, err_msg=f"outputs of sequence {b}"
            )
            np.testing.assert_array_equal(Y[L:, b], 0.0, err_msg="outputs past the length")
            _assert_same_state(
                sTb,
                _take_batch(sT, axes, b),
                f"final state of sequence {b}",
                rtol=1e-10,
                atol=1e-12,
            )
            dXb = model.backward(dY[:L, b : b + 1])
            np.testing.assert_allclose(
                dXb[:, 0], dX[:L, b], rtol=1e-9, atol=1e-12, err_msg=f"dX of sequence {b}"
            )
            np.testing.assert_array_equal(dX[L:, b], 0.0, err_msg="dX past the length")
            for k in total:
                total[k] += model.grads[k]
        for k in grads:
            np.testing.assert_allclose(
                grads[k], total[k], rtol=1e-9, atol=1e-12, err_msg=f"grads[{k!r}] with lengths"
            )


@check()
def check_state_carry(subject: Any) -> None:
    """Two calls with the state carried equal one long call; no state leaks between calls."""
    for ex in _examples(subject):
        model = subject.make(3, seed=2, example=ex)
        rng = make_rng(7)
        X = _inputs(model, 7, 2, rng)
        Y, s = model.forward(X)
        if model.is_causal:  # a bidirectional model's outputs depend on the future
            Y1, s1 = model.forward(X[:3])
            Y2, s2 = model.forward(X[3:], s1)
            np.testing.assert_allclose(np.concatenate([Y1, Y2]), Y, rtol=1e-10, atol=1e-12)
            _assert_same_state(s2, s, "state carried across calls", rtol=1e-10, atol=1e-12)
        Y_again, _ = model.forward(X)
        np.testing.assert_array_equal(Y_again, Y, err_msg="a second call gave other outputs")


@check()
def check_params_in_place(subject: Any) -> None:
    """Editing ``params`` arrays in place changes the next forward (no stale copies)."""
    X = make_rng(8).standard_normal((4, 2, 3))
    for ex in _examples(subject):
        model = subject.make(3, seed=0, example=ex)
        Y0, s0 = model.forward(X)
        for k, p in model.params.items():
            old = p.copy()
            p += 0.5
            Y1, s1 = model.forward(X)
            p[...] = old
            changed = not np.allclose(Y1, Y0) or any(
                not np.allclose(a, b)
                for a, b in zip(_state_arrays(s1), _state_arrays(s0), strict=True)
            )
            assert changed, f"editing params[{k!r}] in place changed nothing"
        np.testing.assert_array_equal(model.forward(X)[0], Y0)


@check()
def check_save_load(subject: Any) -> None:
    """Exact save/load round trip; crafted and mismatched files are refused."""
    X = make_rng(9).standard_normal((5, 2, 3))
    with tempfile.TemporaryDirectory() as tmp:
        for ex in _examples(subject):
            for dtype in (np.float64, np.float32):
                model = subject.make(3, seed=11, dtype=dtype, example=ex)
                other = _round_trip(model, os.path.join(tmp, f"m{ex}.safetensors"))
                np.testing.assert_array_equal(other.forward(X)[0], model.forward(X)[0])
            _assert_crafted_refused(model, tmp)


@check()
def check_bad_input(subject: Any) -> None:
    """Wrong ndim, feature size, NaN/inf, lengths, dtype kind, state, dY: errors name them."""
    model = subject.make(3, seed=0)
    X = make_rng(10).standard_normal((4, 2, 3))
    _raises(ValueError, "X", lambda: model.forward(X[0]), "2-d X")
    _raises(ValueError, "X", lambda: model.forward(X[None]), "4-d X")
    _raises(ValueError, "X", lambda: model.forward(X[:, :, :2]), "wrong feature size")
    for bad_value in (np.nan, np.inf):
        Xb = X.copy()
        Xb[1, 1, 1] = bad_value
        _raises(ValueError, "X", lambda Xb=Xb: model.forward(Xb), f"X with {bad_value}")
    _raises(TypeError, "X", lambda: model.forward(X.astype(str)), "string X")
    _raises(TypeError, "X", lambda: model.forward(X.astype(complex)), "complex X")
    _raises(TypeError, "X", lambda: model.forward(X.astype(object)), "object X")
    for lengths in ([0, 4], [4, 5], [4], [[4, 4]]):
        _raises(
            ValueError,
            "lengths",
            lambda l=lengths: model.forward(X, lengths=l),
            f"lengths={lengths}",
        )
    _raises(TypeError, "lengths", lambda: model.forward(X, lengths=[2.5, 4]), "float lengths")
    template = model.initial_state(2)
    if template is not None:
        wrong = _map_state(lambda z: np.zeros(z.shape[:-1] + (z.shape[-1] + 1,)), template)
        _raises(ValueError, "state", lambda: model.forward(X, wrong), "wrong state shape")
        nan_state = _map_state(lambda z: np.full(z.shape, np.nan), template)
        _raises(ValueError, "state", lambda: model.forward(X, nan_state), "NaN state")
    Y, _ = model.forward(X)
    _raises(ValueError, "dY", lambda: model.backward(Y[:, :1]), "wrong dY shape")
    dY_nan = np.ones_like(Y)
    dY_nan[0, 0, 0] = np.nan
    _raises(ValueError, "dY", lambda: model.backward(dY_nan), "NaN dY")
    fresh = subject.make(3, seed=0)
    _raises(RuntimeError, "forward", lambda: fresh.backward(Y), "backward before forward")
    _raises(TypeError, "seed", lambda: subject.make(3, seed="zero"), "string seed")
    _raises(TypeError, "dtype", lambda: subject.make(3, seed=0, dtype=np.int32), "int dtype")


# ----------------------------------------------------------------------------- associative checks
# Associative memories (tag "associative": Hopfield, ModernHopfield, DenseAssociativeMemory, BAM)
# keep their own conventions: ``store(...)`` then ``recall(probes, ...)`` on a (B, probe_size)
# batch (BAM: ``recall(x=...) -> (x, y)``), ``energy(...)``, a ``params`` dict, ``save``; the
# catalogue examples come with patterns already stored. ``bipolar`` says whether probes are +-1.
def _assoc_is_pair(model: Any) -> bool:
    import inspect

    return "x" in inspect.signature(model.recall).parameters


def _assoc_probes(model: Any, B: int, rng: np.random.Generator) -> np.ndarray:
    shape = (B, model.probe_size)
    if model.bipolar:
        return np.where(rng.random(shape) < 0.5, 1.0, -1.0)
    return rng.standard_normal(shape)


def _assoc_recall(model: Any, probes: np.ndarray, **kwargs: Any) -> np.ndarray:
    """Recall as one (B, ...) array: BAM's two layers side by side."""
    if _assoc_is_pair(model):
        return np.hstack(model.recall(x=probes))
    return np.asarray(model.recall(probes, **kwargs))


def _assoc_variants(model: Any) -> list[dict[str, Any]]:
    """Keyword sets for ``recall`` covering a model's update modes (seeded where random)."""
    import inspect

    names = inspect.signature(model.recall).parameters
    if "mode" in names:
        return [
            {"mode": "sync"},
            {"mode": "async", "seed": 3},
            {"mode": "async", "order": "shared", "seed": 3},
            {"mode": "async", "order": "sequential"},
        ]
    if "steps" in names:
        return [{"steps": 1}, {"steps": 3}]
    return [{}]


@check(requires=("associative",))
def check_assoc_seed(subject: Any) -> None:
    """Same seed, identical stored memory and recall; different seeds, different memories."""
    rng = make_rng(20)
    for ex in _examples(subject):
        a = subject.make(20, seed=7, example=ex)
        b = subject.make(20, seed=7, example=ex)
        c = subject.make(20, seed=8, example=ex)
        g1 = subject.make(20, seed=make_rng(5), example=ex)
        g2 = subject.make(20, seed=make_rng(5), example=ex)
        assert set(a.params) == set(b.params) == set(c.params)
        for k in a.params:
            np.testing.assert_array_equal(a.params[k], b.params[k], err_msg=f"params[{k!r}]")
            np.testing.assert_array_equal(g1.params[k], g2.params[k], err_msg=f"params[{k!r}]")
        assert any(
            a.params[k].shape != c.params[k].shape or not np.array_equal(a.params[k], c.params[k])
            for k in a.params
        ), "seeds 7 and 8 stored identical memories"
        probes = _assoc_probes(a, 6, rng)
        for kw in _assoc_variants(a):
            np.testing.assert_array_equal(
                _assoc_recall(a, probes, **kw),
                _assoc_recall(b, probes, **kw),
                err_msg=f"recall {kw} with the same seed",
            )


@check(requires=("associative",))
def check_assoc_dtypes(subject: Any) -> None:
    """float32 and float64 memories keep their dtype in params, recall and energy."""
    rng = make_rng(21)
    for ex in _examples(subject):
        for dtype in (np.float32, np.float64):
            model = subject.make(16, seed=0, dtype=dtype, example=ex)
            for k, p in model.params.items():
                assert p.dtype == dtype, f"params[{k!r}] has dtype {p.dtype}, expected {dtype}"
            probes = _assoc_probes(model, 3, rng)
            out = _assoc_recall(model, probes)
            assert out.dtype == dtype, f"recall returned {out.dtype} for a {np.dtype(dtype)} model"
            assert np.isfinite(out).all()
            for given in (np.float64, dtype):  # float64 probes too: the model's dtype decides
                states = probes.astype(given)
                if _assoc_is_pair(model):
                    y = np.where(rng.random((3, model.y_size)) < 0.5, 1.0, -1.0).astype(given)
                    energy = np.asarray(model.energy(states, y))
                else:
                    energy = np.asarray(model.energy(states))
                assert energy.dtype == dtype, (
                    f"energy returned {energy.dtype} for a {np.dtype(dtype)} model "
                    f"(states given as {np.dtype(given)})"
                )
                assert energy.shape == (3,) and np.isfinite(energy).all()


@check(requires=("associative",))
def check_assoc_batch(subject: Any) -> None:
    """Recalling a batch equals recalling each probe alone (every deterministic update mode)."""
    rng = make_rng(22)
    for ex in _examples(subject):
        model = subject.make(24, seed=1, example=ex)
        probes = _assoc_probes(model, 5, rng)
        for kw in _assoc_variants(model):
            if kw.get("mode") == "async" and kw.get("order", "random") == "random":
                continue  # per-probe random orders depend on the batch by design
            batch = _assoc_recall(model, probes, **kw)
            assert batch.shape[0] == probes.shape[0]
            for i in range(probes.shape[0]):
                alone = _assoc_recall(model, probes[i : i + 1], **kw)
                if model.bipolar:
                    np.testing.assert_array_equal(alone[0], batch[i], err_msg=f"probe {i}, {kw}")
                else:
                    np.testing.assert_allclose(
                        alone[0], batch[i], rtol=1e-6, atol=1e-6, err_msg=f"probe {i}, {kw}"
                    )


@check(requires=("associative",))
def check_assoc_energy(subject: Any) -> None:
    """Energy has shape (B,); recall (asynchronous where there is a choice) never increases it."""
    rng = make_rng(23)
    for ex in _examples(subject):
        model = subject.make(20, seed=2, example=ex)
        probes = _assoc_probes(model, 8, rng)
        if _assoc_is_pair(model):
            y0 = np.where(rng.random((8, model.y_size)) < 0.5, 1.0, -1.0)
            x1, y1 = model.recall(x=probes, y=y0)
            before, after = model.energy(probes, y0), model.energy(x1, y1)
        else:
            kw = {"mode": "async", "seed": 0} if "mode" in _assoc_variants(model)[0] else {}
            out = _assoc_recall(model, probes, **kw)
            before, after = model.energy(probes), model.energy(out)
        assert before.shape == (8,), f"energy shape {before.shape}, expected (8,)"
        scale = 1e-9 * (1.0 + np.abs(before))
        assert (after <= before + scale).all(), f"energy rose: {before} -> {after}"


@check(requires=("associative",))
def check_assoc_save_load(subject: Any) -> None:
    """Exact save/load round trip (params, config, dtype, recall); crafted files are refused."""
    rng = make_rng(24)
    with tempfile.TemporaryDirectory() as tmp:
        for ex in _examples(subject):
            for dtype in (np.float64, np.float32):
                model = subject.make(18, seed=11, dtype=dtype, example=ex)
                other = _round_trip(model, os.path.join(tmp, f"m{ex}.safetensors"))
                probes = _assoc_probes(model, 4, rng)
                for kw in _assoc_variants(model):
                    np.testing.assert_array_equal(
                        _assoc_recall(other, probes, **kw), _assoc_recall(model, probes, **kw)
                    )
            _assert_crafted_refused(model, tmp)


@check(requires=("associative",))
def check_assoc_bad_input(subject: Any) -> None:
    """Non-bipolar or wrong-length probes, NaN, empty stores, bad seeds: errors name them."""
    import inspect

    model = subject.make(12, seed=0)
    rng = make_rng(25)
    probes = _assoc_probes(model, 3, rng)
    pair = _assoc_is_pair(model)
    name = "x" if pair else next(iter(inspect.signature(model.recall).parameters))

    def recall(p: Any) -> Any:
        return model.recall(x=p) if pair else model.recall(p)

    _raises(ValueError, name, lambda: recall(probes[:, :-1]), "probes of the wrong length")
    _raises(ValueError, name, lambda: recall(probes[0]), "1-d probes")
    _raises(ValueError, name, lambda: recall(probes[None]), "3-d probes")
    nan = probes.copy()
    nan[1, 1] = np.nan
    _raises(ValueError, name, lambda: recall(nan), "NaN probes")
    _raises(TypeError, name, lambda: recall(probes.astype(str)), "string probes")
    if model.bipolar:
        half = probes.copy()
        half[0, 0] = 0.5
        _raises(ValueError, "bipolar", lambda: recall(half), "non-bipolar probes")
        _raises(ValueError, name, lambda: recall(np.zeros_like(probes)), "zero probes")
    store_params = list(inspect.signature(model.store).parameters)
    fresh = subject.make(12, seed=0)
    if pair:
        _raises(
            ValueError,
            "X",
            lambda: fresh.store(np.zeros((0, 12)), np.zeros((0, 4))),
            "storing zero pairs",
        )
        _raises(
            ValueError,
            "X",
            lambda: fresh.store(np.ones((2, 12)), np.ones((3, 4))),
            "different numbers of x and y patterns",
        )
        _raises(ValueError, "recall", lambda: model.recall(), "recall with neither x nor y")
    else:
        arg = store_params[0]
        width = model.probe_size
        _raises(ValueError, arg, lambda: fresh.store(np.zeros((0, width))), "storing zero patterns")
        bad_patterns = np.ones((2, width))
        bad_patterns[0, 0] = np.nan
        _raises(ValueError, arg, lambda: fresh.store(bad_patterns), "NaN patterns")
        if model.bipolar:
            _raises(
                ValueError,
                arg,
                lambda: fresh.store(np.ones((2, width + 1))),
                "patterns of the wrong length",
            )
            _raises(
                ValueError,
                "bipolar",
                lambda: fresh.store(np.full((2, width), 0.3)),
                "non-bipolar patterns",
            )
    _raises(TypeError, "seed", lambda: subject.make(12, seed="zero"), "string seed")
    _raises(TypeError, "dtype", lambda: subject.make(12, seed=0, dtype=np.int32), "int dtype")


# ----------------------------------------------------------------------------- reservoir checks
# Reservoirs (tag "reservoir": ESN) keep scikit-learn's conventions: ``fit(X, Y, warmup=...)``,
# ``predict(X)``, ``run(X)`` (states), ``get_params``; X is (T, I), (T, B, I) or a list of
# (T_k, I); the catalogue examples are unfitted.
def _res_data(I: int, T: int, B: int | None, rng: np.random.Generator) -> tuple[Any, Any]:
    shape = (T, I) if B is None else (T, B, I)
    X = rng.uniform(-1.0, 1.0, size=shape)
    Y = np.tanh(np.cumsum(X[..., :1], axis=0) * 0.3) * np.array([1.0, -0.5])  # (..., 2)
    return X, Y


def _res_fit(model: Any, X: Any, Y: Any) -> Any:
    return model.fit(X, Y, warmup=3)


def _res_run(model: Any, X: Any, Y: Any) -> Any:
    """The states; a reservoir with output feedback is run teacher-forced by ``Y``."""
    return model.run(X, Y) if getattr(model, "feedback", False) else model.run(X)


@check(requires=("reservoir",))
def check_reservoir_seed(subject: Any) -> None:
    """Same seed: identical reservoir, readout and predictions; another seed: another reservoir."""
    rng = make_rng(30)
    X, Y = _res_data(3, 40, None, rng)
    for ex in _examples(subject):
        a = _res_fit(subject.make(3, seed=5, example=ex), X, Y)
        b = _res_fit(subject.make(3, seed=5, example=ex), X, Y)
        c = _res_fit(subject.make(3, seed=6, example=ex), X, Y)
        assert set(a.params) == set(b.params)
        for k in a.params:
            np.testing.assert_array_equal(a.params[k], b.params[k], err_msg=f"params[{k!r}]")
        np.testing.assert_array_equal(a.predict(X), b.predict(X))
        drawn = [k for k in a.params if a.params[k].dtype.kind == "f" and k in c.params]
        assert any(
            a.params[k].shape != c.params[k].shape or not np.array_equal(a.params[k], c.params[k])
            for k in drawn
        ), "seed has no effect"


@check(requires=("reservoir",))
def check_reservoir_dtypes(subject: Any) -> None:
    """float32 and float64 reservoirs keep their dtype in parameters, states and outputs."""
    rng = make_rng(31)
    X, Y = _res_data(2, 30, None, rng)
    for dtype in (np.float32, np.float64):
        model = _res_fit(subject.make(2, seed=0, dtype=dtype), X, Y)
        for k, p in model.params.items():
            if p.dtype.kind == "f":
                assert p.dtype == dtype, f"params[{k!r}] is {p.dtype}, expected {dtype}"
        assert model.predict(X).dtype == dtype
        assert _res_run(model, X, Y).dtype == dtype


@check(requires=("reservoir",))
def check_reservoir_batch(subject: Any) -> None:
    """A (T, B, I) batch equals its sequences run one by one, and fits like the same list."""
    rng = make_rng(32)
    X, Y = _res_data(2, 35, 3, rng)
    for ex in _examples(subject):
        model = _res_fit(subject.make(2, seed=1, example=ex), X, Y)
        P = model.predict(X)
        assert P.shape == (35, 3, 2)
        for b in range(3):
            np.testing.assert_allclose(P[:, b], model.predict(X[:, b]), rtol=1e-12, atol=1e-12)
        listed = _res_fit(
            subject.make(2, seed=1, example=ex),
            list(X.transpose(1, 0, 2)),
            list(Y.transpose(1, 0, 2)),
        )
        np.testing.assert_allclose(listed.predict(X), P, rtol=1e-9, atol=1e-9)


@check(requires=("reservoir",))
def check_reservoir_lengths(subject: Any) -> None:
    """A list of variable-length sequences equals running (and predicting) each alone."""
    rng = make_rng(33)
    pairs = [_res_data(2, T, None, rng) for T in (9, 31, 17)]
    Xs, Ys = [p[0] for p in pairs], [p[1] for p in pairs]
    for ex in _examples(subject):
        model = _res_fit(subject.make(2, seed=2, example=ex), Xs, Ys)
        preds = model.predict(Xs)
        assert isinstance(preds, list) and len(preds) == 3
        for x, y, p in zip(Xs, Ys, preds, strict=True):
            assert p.shape == (x.shape[0], 2)
            np.testing.assert_allclose(p, model.predict(x), rtol=1e-12, atol=1e-12)
            states = _res_run(model, Xs, Ys)
            alone = _res_run(model, x, y)
            assert any(s.shape == alone.shape and np.allclose(s, alone, atol=1e-12) for s in states)


@check(requires=("reservoir",))
def check_reservoir_save_load(subject: Any) -> None:
    """Exact save/load round trip, fitted and unfitted, both dtypes; crafted files refused.

    A fitted model predicts exactly as before. An unfitted one, loaded and then fitted on the
    same data as the original, draws the same reservoir and learns the same readout -- for an
    int seed, for ``seed=None`` and for a ``numpy.random.Generator`` alike.
    """
    rng = make_rng(34)
    X, Y = _res_data(3, 25, None, rng)
    with tempfile.TemporaryDirectory() as tmp:
        for ex in _examples(subject):
            for dtype in (np.float64, np.float32):
                for fitted in (False, True):
                    model = subject.make(3, seed=4, dtype=dtype, example=ex)
                    if fitted:
                        _res_fit(model, X, Y)
                    other = _round_trip(model, os.path.join(tmp, f"m{ex}.safetensors"))
                    if not fitted:
                        _res_fit(model, X, Y)
                        _res_fit(other, X, Y)
                        _assert_same_params(other, model, "fitted after loading unfitted")
                    np.testing.assert_array_equal(other.predict(X), model.predict(X))
                    _assert_crafted_refused(model, tmp)
            for seed in (None, make_rng(7)):
                model = subject.make(3, seed=seed, example=ex)
                other = _round_trip(model, os.path.join(tmp, f"s{ex}.safetensors"))
                _res_fit(model, X, Y)
                _res_fit(other, X, Y)
                what = f"seed={type(seed).__name__}, fitted after loading"
                _assert_same_params(other, model, what)


def _assert_same_params(a: Any, b: Any, what: str) -> None:
    assert set(a.params) == set(b.params), f"{what}: parameter names differ"
    for k in b.params:
        np.testing.assert_array_equal(a.params[k], b.params[k], err_msg=f"{what}: params[{k!r}]")


@check(requires=("reservoir",))
def check_reservoir_bad_input(subject: Any) -> None:
    """Wrong ndim or feature count, NaN, strings, mismatched targets: errors name X or Y."""
    rng = make_rng(35)
    X, Y = _res_data(2, 20, None, rng)
    model = subject.make(2, seed=0)
    _raises(ValueError, "X", lambda: model.fit(X[:, 0], Y), "1-d X")
    _raises(ValueError, "X", lambda: model.fit(X[None, None], Y), "4-d X")
    nan = X.copy()
    nan[3, 1] = np.nan
    _raises(ValueError, "X", lambda: model.fit(nan, Y), "NaN in X")
    _raises(TypeError, "X", lambda: model.fit(X.astype(str), Y), "string X")
    _raises(ValueError, "Y", lambda: model.fit(X, Y[:-1]), "Y one step short")
    _raises(ValueError, "warmup", lambda: model.fit(X, Y, warmup=-1), "negative warmup")
    _raises(RuntimeError, "fit", lambda: subject.make(2, seed=0).predict(X), "predict unfitted")
    _res_fit(model, X, Y)
    _raises(ValueError, "X", lambda: model.predict(np.ones((5, 3))), "wrong feature count")
    _raises(ValueError, "X", lambda: model.predict([]), "empty list")
    _raises(TypeError, "seed", lambda: subject.make(2, seed="zero"), "string seed")
    _raises(TypeError, "dtype", lambda: subject.make(2, seed=0, dtype=np.int32), "int dtype")
