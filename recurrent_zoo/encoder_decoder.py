r"""An encoder, an attention decoder over its outputs, and a readout: sequences to sequences.

The model of Bahdanau, Cho & Bengio (2015) and, with image regions for the source, of Xu et al.
(2015). An *encoder* -- any trainable sequence model: a bidirectional recurrent net over a
sentence, a feed-forward net over the regions of an image -- turns the source :math:`x_{1..N}`
into a memory :math:`m_{1..N}`; an :class:`~recurrent_zoo.attention_decoder.AttentionDecoder`
writes the output one token at a time, attending over the memory; a *readout* (a
:class:`~recurrent_zoo.Linear`) turns each step's :math:`[h_t; c_t]` into the logits of the next
token:

.. math::

    m_{1..N} &= \mathrm{encoder}(x_{1..N}) \\
    [h_t; c_t] &= \mathrm{decoder}(e(y_{t-1}), m_{1..N}), \qquad e(y) = \text{one-hot}(y),
        \quad y_0 = \langle s \rangle \\
    p(y_t \mid y_{<t}, x) &= \mathrm{softmax}(\mathrm{readout}([h_t; c_t]))

Training maximises :math:`\log p(y \mid x)` with the true previous tokens fed in (*teacher
forcing*): the loss is the cross-entropy per target token, its gradient runs back through the
readout, the decoder (:meth:`AttentionDecoder.backward` gives the memory's gradient) and the
encoder, whose outputs the memory is -- explicit backpropagation through all three.
:meth:`EncoderDecoder.generate` writes outputs by greedy or beam search
(:mod:`recurrent_zoo.decoding`), feeding back its own tokens.

References
----------
D. Bahdanau, K. Cho and Y. Bengio, "Neural machine translation by jointly learning to align and
translate", ICLR 2015 (arXiv:1409.0473).

K. Xu, J. Ba, R. Kiros, K. Cho, A. Courville, R. Salakhutdinov, R. Zemel and Y. Bengio, "Show,
attend and tell: neural image caption generation with visual attention", ICML 2015.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import io
from ._core.base import SequenceModel
from ._core.init import make_rng
from ._core.validation import NDArray, check_array, check_lengths, check_positive_int
from .attention_decoder import AttentionDecoder
from .decoding import beam_search, greedy_search
from .training import Adam, History, SoftmaxCrossEntropy, clip_grad_norm

__all__ = ["EncoderDecoder"]


@io.register_class
class EncoderDecoder:
    """An encoder, an :class:`~recurrent_zoo.attention_decoder.AttentionDecoder` and a readout.

    Parameters
    ----------
    encoder : SequenceModel
        Reads the source ``(N, B, encoder.input_size)``; its outputs are the memory, so
        ``encoder.output_size == decoder.memory_size``.
    decoder : AttentionDecoder
        Reads the previous token one-hot: ``decoder.input_size`` is the vocabulary's size ``V``.
    readout : SequenceModel
        Maps ``[h_t; c_t]`` to the ``V`` logits (a :class:`~recurrent_zoo.Linear`).
    start, end : int
        The token fed first, and the token that ends an output.

    Attributes
    ----------
    params, grads : dict of str to ndarray
        The three models' own arrays, prefixed ``encoder.``, ``decoder.``, ``readout.``.

    Examples
    --------
    The shapes of a copy-backwards task (tokens 2..5; 0 ends, 1 starts), three training steps and
    a beam search (untrained here: the translation and captioning examples train for real):

    >>> import numpy as np
    >>> from recurrent_zoo import Linear
    >>> from recurrent_zoo.gru import GRU
    >>> V = 6
    >>> model = EncoderDecoder(
    ...     GRU(V, 8, bidirectional=True, seed=0),
    ...     AttentionDecoder(V, 16, memory_size=16, seed=1),
    ...     Linear(32, V, seed=2), start=1, end=0)
    >>> rng = np.random.default_rng(0)
    >>> src = rng.integers(2, V, size=(4, 8))                    # (N, B) token indices
    >>> lengths = rng.integers(3, 5, size=8)
    >>> targets = np.zeros((5, 8), dtype=int)                    # reversed, then "end" (0)
    >>> for b, n in enumerate(lengths):
    ...     targets[:n, b] = src[:n, b][::-1]
    >>> X = np.eye(V)[src]                                       # (N, B, V) one-hot
    >>> model.forward(X, targets, lengths, lengths + 1).shape    # (T, B, V) logits
    (5, 8, 6)
    >>> before = model.loss(X, targets, lengths, lengths + 1)
    >>> history = model.fit(X, targets, lengths=lengths, target_lengths=lengths + 1,
    ...                     epochs=3, batch_size=8, lr=0.01, seed=0)
    >>> bool(model.loss(X, targets, lengths, lengths + 1) < before)
    True
    >>> out = model.generate(X[:, :2], lengths[:2], max_length=6, beam_width=3)
    >>> len(out), all(len(o) <= 6 for o in out)
    (2, True)
    """

    def __init__(
        self,
        encoder: SequenceModel,
        decoder: AttentionDecoder,
        readout: SequenceModel,
        *,
        start: int,
        end: int,
    ) -> None:
        if not isinstance(encoder, SequenceModel):
            raise TypeError(f"encoder must be a SequenceModel; got {type(encoder).__name__}")
        if not isinstance(decoder, AttentionDecoder):
            raise TypeError(f"decoder must be an AttentionDecoder; got {type(decoder).__name__}")
        if not isinstance(readout, SequenceModel):
            raise TypeError(f"readout must be a SequenceModel; got {type(readout).__name__}")
        if len({id(encoder), id(decoder), id(readout)}) != 3:
            raise ValueError("encoder, decoder and readout must be three distinct objects")
        if encoder.output_size != decoder.memory_size:
            raise ValueError(
                f"encoder.output_size ({encoder.output_size}) must equal decoder.memory_size "
                f"({decoder.memory_size})"
            )
        if readout.input_size != decoder.output_size:
            raise ValueError(
                f"readout.input_size ({readout.input_size}) must equal decoder.output_size "
                f"({decoder.output_size}, hidden_size + memory_size)"
            )
        if decoder.input_size != readout.output_size:
            raise ValueError(
                f"decoder.input_size ({decoder.input_size}) must equal readout.output_size "
                f"({readout.output_size}): the decoder reads the previous token one-hot"
            )
        dtypes = {np.dtype(m.dtype) for m in (encoder, decoder, readout)}
        if len(dtypes) != 1:
            raise ValueError(f"encoder, decoder and readout must share one dtype; got {dtypes}")
        self.vocab_size = readout.output_size
        self.start = self._token(start, "start")
        self.end = self._token(end, "end")
        self.encoder, self.decoder, self.readout = encoder, decoder, readout
        self.dtype = dtypes.pop()
        self.params: dict[str, NDArray] = {}
        for prefix, m in self._parts():
            self.params.update({f"{prefix}.{k}": v for k, v in m.params.items()})
        self.grads: dict[str, NDArray] = {}
        self._cache: Any = None

    def _token(self, value: Any, name: str) -> int:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an integer token index; got {value!r}")
        if not 0 <= value < self.vocab_size:
            raise ValueError(
                f"{name} must be a token index in [0, V={self.vocab_size}); got {value}"
            )
        return int(value)

    def _parts(self) -> list[tuple[str, Any]]:
        return [("encoder", self.encoder), ("decoder", self.decoder), ("readout", self.readout)]

    # ------------------------------------------------------------------ config and files
    def get_config(self) -> dict[str, Any]:
        """The three models' descriptions and the two special tokens."""
        config: dict[str, Any] = {prefix: io.header(m) for prefix, m in self._parts()}
        config.update(start=self.start, end=self.end)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], dtype: Any = np.float64) -> EncoderDecoder:
        """Build a skeleton from :meth:`get_config`'s output (weights are then loaded)."""
        parts = [io.build(config[k]) for k in ("encoder", "decoder", "readout")]
        return cls(*parts, start=config["start"], end=config["end"])

    def save(self, path: Any) -> None:
        """Save to a safetensors file; :func:`recurrent_zoo.load` reads it back."""
        io.save(self, path)

    @property
    def n_params(self) -> int:
        """Total number of scalar parameters."""
        return int(sum(p.size for p in self.params.values()))

    def __repr__(self) -> str:
        return (
            f"EncoderDecoder({self.encoder!r}, {self.decoder!r}, {self.readout!r}, "
            f"start={self.start}, end={self.end})"
        )

    # ------------------------------------------------------------------ teacher forcing
    def _check_targets(self, targets: Any, target_lengths: Any, B: int) -> tuple[NDArray, Any]:
        Y = np.asarray(targets)
        if Y.dtype.kind not in "iu":
            raise TypeError(f"targets must hold integer token indices; got dtype {Y.dtype}")
        Y = check_array(Y, "targets", ndim=2, shape_doc=f"(T, B={B}) token indices")
        if Y.shape[1] != B or Y.shape[0] < 1:
            raise ValueError(f"targets must have shape (T, B={B}) with T >= 1; got {Y.shape}")
        if Y.min() < 0 or Y.max() >= self.vocab_size:
            raise ValueError(
                f"targets must hold token indices in [0, V={self.vocab_size}); "
                f"got {Y.min()}..{Y.max()}"
            )
        return Y.astype(np.int64), check_lengths(target_lengths, Y.shape[0], B, "target_lengths")

    def _previous_tokens(self, Y: NDArray) -> NDArray:
        """The decoder's inputs: ``<s>`` then each target but the last, one-hot ``(T, B, V)``."""
        prev = np.concatenate([np.full((1, Y.shape[1]), self.start), Y[:-1]])
        return np.eye(self.vocab_size, dtype=self.dtype)[prev]

    def forward(
        self, X: Any, targets: Any, lengths: Any = None, target_lengths: Any = None
    ) -> NDArray:
        """The logits of every target token, given the previous true ones.

        Parameters
        ----------
        X : array_like, shape (N, B, encoder.input_size)
            The sources, time-major.
        targets : array_like of int, shape (T, B)
            The outputs, each ended by ``end`` and padded past ``target_lengths``.
        lengths : array_like of int, shape (B,), optional
            The sources' lengths (the memories' lengths).
        target_lengths : array_like of int, shape (B,), optional
            The outputs' lengths, ``end`` included.

        Returns
        -------
        logits : ndarray, shape (T, B, V)
        """
        memory, _ = self.encoder.forward(X, lengths=lengths)  # (N, B, M)
        B = memory.shape[1]
        Y, target_lengths = self._check_targets(targets, target_lengths, B)
        source_lengths = check_lengths(lengths, memory.shape[0], B)
        out, _ = self.decoder.forward(
            self._previous_tokens(Y), memory, source_lengths, lengths=target_lengths
        )
        logits, _ = self.readout.forward(out, lengths=target_lengths)
        self._cache = True
        return logits

    def backward(self, dlogits: Any) -> NDArray:
        """Backpropagate through the readout, the decoder and the encoder; sets :attr:`grads`.

        Returns the gradient with respect to the sources ``X``.
        """
        if self._cache is None:
            raise RuntimeError("backward() needs a forward() first")
        dout = self.readout.backward(dlogits)
        _, dmemory = self.decoder.backward(dout)
        dX = self.encoder.backward(dmemory)
        self.grads = {}
        for prefix, m in self._parts():
            self.grads.update({f"{prefix}.{k}": v for k, v in m.grads.items()})
        return dX

    def loss(self, X: Any, targets: Any, lengths: Any = None, target_lengths: Any = None) -> float:
        """The mean cross-entropy per target token (``end`` included), without gradients."""
        logits = self.forward(X, targets, lengths, target_lengths)
        value, _ = SoftmaxCrossEntropy()(logits, np.asarray(targets), lengths=target_lengths)
        return float(value)

    def fit(
        self,
        X: Any,
        targets: Any,
        *,
        lengths: Any = None,
        target_lengths: Any = None,
        epochs: int = 10,
        batch_size: int = 32,
        lr: float = 1e-3,
        clip_norm: float | None = 5.0,
        seed: Any = None,
        callback: Callable[[int, dict[str, float]], Any] | None = None,
    ) -> History:
        """Train with teacher forcing: Adam on the cross-entropy per target token.

        Parameters
        ----------
        X, targets, lengths, target_lengths
            As :meth:`forward` takes them (all the training data; minibatches are drawn from
            them).
        epochs : int, default 10
        batch_size : int, default 32
        lr : float, default 1e-3
            Adam's learning rate.
        clip_norm : float or None, default 5.0
            Clip the gradients' total norm before each step.
        seed : int or numpy.random.Generator, optional
            Shuffles the minibatches.
        callback : callable, optional
            ``callback(epoch, logs)`` after each epoch (``logs["loss"]``: the epoch's mean
            training loss); returning True stops the training.

        Returns
        -------
        History
        """
        X = check_array(X, "X", ndim=3, dtype=self.dtype, shape_doc="(N, B, input_size)")
        B = X.shape[1]
        Y, tl = self._check_targets(targets, target_lengths, B)
        sl = check_lengths(lengths, X.shape[0], B)
        epochs = check_positive_int(epochs, "epochs")
        batch_size = check_positive_int(batch_size, "batch_size")
        rng = make_rng(seed)
        optimizer = Adam(self.params, lr=lr)
        loss_fn = SoftmaxCrossEntropy()
        history: dict[str, list[float]] = {"loss": []}
        began = time.perf_counter()
        for epoch in range(epochs):
            order = rng.permutation(B)
            total, count = 0.0, 0
            for a in range(0, B, batch_size):
                idx = order[a : a + batch_size]
                bl = None if tl is None else tl[idx]
                T = Y.shape[0] if bl is None else int(bl.max())
                bsl = None if sl is None else sl[idx]
                N = X.shape[0] if bsl is None else int(bsl.max())
                logits = self.forward(X[:N, idx], Y[:T, idx], bsl, bl)
                value, dlogits = loss_fn(logits, Y[:T, idx], lengths=bl)
                self.backward(dlogits)
                if clip_norm is not None:
                    clip_grad_norm(self.grads, clip_norm)
                optimizer.step(self.grads)
                total, count = total + float(value) * len(idx), count + len(idx)
            history["loss"].append(total / count)
            if callback is not None and callback(epoch, {"loss": history["loss"][-1]}) is True:
                break
        return History(history, time.perf_counter() - began)

    # ------------------------------------------------------------------ writing outputs
    def generate(
        self,
        X: Any,
        lengths: Any = None,
        *,
        max_length: int,
        beam_width: int = 1,
        length_penalty: float = 0.0,
        batch_size: int = 256,
        return_scores: bool = False,
    ) -> Any:
        """Write an output for each source: greedy search (``beam_width=1``) or beam search.

        Parameters
        ----------
        X : array_like, shape (N, B, encoder.input_size)
        lengths : array_like of int, shape (B,), optional
        max_length : int
            The most tokens per output (``end`` included).
        beam_width : int, default 1
            1: :func:`~recurrent_zoo.decoding.greedy_search`; more:
            :func:`~recurrent_zoo.decoding.beam_search`.
        length_penalty : float, default 0.0
            Beam search's :math:`\\alpha`.
        batch_size : int, default 256
            Sources decoded at once.
        return_scores : bool, default False
            Also return each output's log-probability.

        Returns
        -------
        tokens : list of B int64 arrays (``end`` removed)
        scores : ndarray of shape (B,), only with ``return_scores=True``
        """
        X = check_array(X, "X", ndim=3, dtype=self.dtype, shape_doc="(N, B, input_size)")
        B = X.shape[1]
        sl = check_lengths(lengths, X.shape[0], B)
        beam_width = check_positive_int(beam_width, "beam_width")
        batch_size = check_positive_int(batch_size, "batch_size")
        eye = np.eye(self.vocab_size, dtype=self.dtype)

        def step(tokens: NDArray, state: tuple) -> tuple[NDArray, tuple]:
            y, state, _ = self.decoder.step(eye[tokens], state)
            logits, _ = self.readout.forward(y[None])
            return logits[0], state

        tokens: list[NDArray] = []
        scores = []
        for a in range(0, B, batch_size):
            bl = None if sl is None else sl[a : a + batch_size]
            N = X.shape[0] if bl is None else int(bl.max())
            memory, _ = self.encoder.forward(X[:N, a : a + batch_size], lengths=bl)
            state = self.decoder.start(memory, check_lengths(bl, N, memory.shape[1]))
            kw = dict(start=self.start, end=self.end, max_length=max_length, return_scores=True)
            if beam_width == 1:
                out, s = greedy_search(step, state, **kw)
            else:
                out, s = beam_search(
                    step, state, beam_width=beam_width, length_penalty=length_penalty, **kw
                )
            tokens += out
            scores.append(s)
        return (tokens, np.concatenate(scores)) if return_scores else tokens

    def attention(
        self, X: Any, targets: Any, lengths: Any = None, target_lengths: Any = None
    ) -> NDArray:
        """The attention weights while reading ``targets`` (teacher forcing): ``(T, B, N)``.

        To see where the model looked while writing its own output, pass that output (with
        ``end`` appended) as ``targets``.
        """
        self.forward(X, targets, lengths, target_lengths)
        assert self.decoder.attention_weights is not None
        return self.decoder.attention_weights.copy()
