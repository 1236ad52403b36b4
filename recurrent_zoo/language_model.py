r"""A recurrent language model: embedding, recurrent layers, dropout, a softmax over the vocabulary.

A recurrent language model reads a text one token at a time and gives, at every step, a
distribution over the next token (Mikolov et al. 2010). The model of Zaremba, Sutskever &
Vinyals (2014), which set the Penn Treebank numbers recurrent language models are still measured
against, is

.. math::

    h^{(0)}_t &= \mathrm{D}\big(E_{x_t,:}\big) && \text{embedding, dropout} \\
    h^{(l)}_t, s^{(l)}_t &= \mathrm{cell}_l\big(h^{(l-1)}_t, s^{(l)}_{t-1}\big), \quad
        h^{(l)}_t \leftarrow \mathrm{D}\big(h^{(l)}_t\big) && l = 1, \ldots, L \\
    p(x_{t+1} \mid x_{\le t}) &= \mathrm{softmax}\big(W h^{(L)}_t + b\big)

where :math:`\mathrm{D}` is dropout on the non-recurrent connections only (a fresh mask at every
step; the recurrent state :math:`s^{(l)}` is never dropped), the cell is any recurrent layer of
the catalogue (Elman, GRU, LSTM, ...), and :math:`W` is the model's own ``(V, H)`` matrix or,
with weight tying (Press & Wolf 2017), the embedding table :math:`E` itself.

:class:`LanguageModel` is a :class:`~recurrent_zoo.SequenceModel`: ``X`` is ``(T, B, 1)`` token
ids (see :mod:`recurrent_zoo._core.embedding`), ``Y`` the ``(T, B, V)`` logits, and the state is
the tuple of the layers' states, so :func:`~recurrent_zoo.training.fit` trains it with the
softmax cross-entropy on next-token targets, carrying the state from window to window over a
contiguous corpus (``tbptt=35``), and its dropout is on only while it trains. Backpropagation
runs block by block: the output layer's two GEMMs
(:mod:`recurrent_zoo._core.softmax_output`), each layer's BPTT, the dropout masks, and the
embedding's scatter-add into the rows read. :func:`sample` draws text from a trained model.

References
----------
T. Mikolov, M. Karafiat, L. Burget, J. Cernocky and S. Khudanpur, "Recurrent neural network
based language model", Interspeech 2010.

W. Zaremba, I. Sutskever and O. Vinyals, "Recurrent neural network regularization",
arXiv:1409.2329, 2014.

O. Press and L. Wolf, "Using the output embedding to improve language models", EACL 2017.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core.base import SequenceModel, State
from ._core.dropout import Dropout
from ._core.embedding import Embedding
from ._core.init import make_rng, uniform
from ._core.softmax_output import output_logits, output_logits_backward
from ._core.validation import (
    NDArray,
    check_array,
    check_positive_int,
    check_probability,
    check_real,
)
from .catalogue import get_entry

__all__ = ["LanguageModel", "sample"]


class LanguageModel(SequenceModel):
    r"""Embedding -> recurrent layers (dropout between) -> softmax over the vocabulary.

    Parameters
    ----------
    vocab_size : int
        Number of tokens ``V``.
    hidden_size : int
        Units of each recurrent layer.
    num_layers : int, default 1
    cell : str, default "lstm"
        The recurrent layer: a trainable catalogue entry built as
        ``cls(input_size, hidden_size, **cell_options)`` -- ``"elman"``, ``"gru"``, ``"lstm"``,
        ``"indrnn"``, ...
    embedding_size : int, optional
        Size of the token vectors (``hidden_size`` by default).
    dropout : float in [0, 1), default 0
        Dropout probability on the non-recurrent connections: the embedding's output, between
        layers and before the softmax (Zaremba et al. 2014).
    tie_weights : bool, default False
        Use the embedding table as the output weights (Press & Wolf 2017); needs
        ``embedding_size`` equal to the last layer's output size.
    init_range : float, optional
        Draw *every* parameter from U(-init_range, init_range), as Zaremba et al. (0.1 for their
        small model). By default the embedding and the output weights are drawn from
        U(-0.1, 0.1), the output bias is zero and each layer keeps its own initialisation (as
        PyTorch's word language model example).
    cell_options : dict, optional
        More keyword arguments for the cell (``{"nonlinearity": "relu"}`` for Elman).
    seed : int or numpy.random.Generator, optional
        Seeds the weights and the dropout masks.
    dtype : {np.float64, np.float32}

    Attributes
    ----------
    embedding : Embedding
    layers : list of SequenceModel
        The recurrent layers, bottom first.
    dropouts : list of Dropout
        ``num_layers + 1`` of them: on the embedding's output, after each layer.

    Notes
    -----
    ``params`` holds ``"embedding.weight"``, the layers' parameters as ``"rnn.{k}.{name}"``
    (PyTorch's names within each layer), ``"decoder.weight"`` (absent when tied) and
    ``"decoder.bias"``.

    Examples
    --------
    >>> lm = LanguageModel(50, 16, num_layers=2, cell="gru", dropout=0.2, seed=0)
    >>> ids = np.array([[3, 7], [1, 4], [0, 9]])[:, :, None]   # (T=3, B=2, 1) token ids
    >>> logits, state = lm.forward(ids)
    >>> logits.shape, len(state)
    ((3, 2, 50), 2)
    >>> tied = LanguageModel(50, 16, tie_weights=True, seed=0)
    >>> "decoder.weight" in tied.params, tied.n_params < lm.n_params
    (False, True)
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        cell: str = "lstm",
        embedding_size: int | None = None,
        dropout: float = 0.0,
        tie_weights: bool = False,
        init_range: float | None = None,
        cell_options: dict[str, Any] | None = None,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(1, dtype=dtype)
        self.vocab_size = self.output_size = check_positive_int(vocab_size, "vocab_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        self.embedding_size = (
            None if embedding_size is None else check_positive_int(embedding_size, "embedding_size")
        )
        self.dropout = check_probability(dropout, "dropout", closed="left")
        self.tie_weights = bool(tie_weights)
        self.init_range = (
            None if init_range is None else check_real(init_range, "init_range", low=0.0)
        )
        if cell_options is not None and not isinstance(cell_options, dict):
            raise TypeError(
                f"cell_options must be a dict or None; got {type(cell_options).__name__}"
            )
        self.cell_options = None if cell_options is None else dict(cell_options)
        if not isinstance(cell, str):
            raise TypeError(f"cell must be a catalogue name such as 'lstm'; got {cell!r}")
        entry = get_entry(cell)
        if not entry.trainable or "sequence" not in entry.tags:
            raise ValueError(f"cell must name a trainable sequence model; {cell!r} is not one")
        self.cell = entry.name

        rng = make_rng(seed)
        E = self.hidden_size if self.embedding_size is None else self.embedding_size
        dt = self.dtype
        self.embedding = Embedding(self.vocab_size, E, init_range=0.1, seed=rng, dtype=dt)
        self.layers: list[SequenceModel] = []
        size = E
        for k in range(self.num_layers):
            try:
                layer = entry.cls(
                    size, self.hidden_size, seed=rng, dtype=dt, **(self.cell_options or {})
                )
            except TypeError as exc:
                raise TypeError(f"cell {self.cell!r} with cell_options: {exc}") from exc
            if not layer.is_causal:
                raise ValueError(
                    f"layer {k} ({self.cell!r}) reads sequences backward in time; a language "
                    "model predicts from the past only"
                )
            self.layers.append(layer)
            size = layer.output_size
        if self.tie_weights and size != E:
            raise ValueError(
                f"tie_weights needs embedding_size ({E}) equal to the last layer's output size "
                f"({size})"
            )
        # the masks get their own stream, so that the weights do not depend on dropout
        masks = np.random.default_rng(int(rng.integers(2**63)))
        sizes = [E] + [m.output_size for m in self.layers]
        self.dropouts = [Dropout(s, self.dropout, seed=masks, dtype=dt) for s in sizes]
        self._children: list[tuple[str, SequenceModel]] = (
            [("embedding", self.embedding)]
            + [(f"rnn.{k}", m) for k, m in enumerate(self.layers)]
            + [(f"dropout.{k}", d) for k, d in enumerate(self.dropouts)]
        )
        self.params = {"embedding.weight": self.embedding.params["weight"]}
        for k, m in enumerate(self.layers):
            self.params.update({f"rnn.{k}.{name}": v for name, v in m.params.items()})
        if not self.tie_weights:
            self.params["decoder.weight"] = uniform((self.vocab_size, size), 0.1, rng, dt)
        self.params["decoder.bias"] = np.zeros(self.vocab_size, dt)
        if self.init_range is not None:  # Zaremba et al.: every parameter from U(-r, r)
            for p in self.params.values():  # refilled in place: the arrays exist (and were
                # counted against a load's allocation budget) already, nothing new is allocated
                p[...] = rng.uniform(-self.init_range, self.init_range, size=p.shape)

    # ------------------------------------------------------------------ the model
    def initial_state(self, batch_size: int) -> State:
        return tuple(m.initial_state(batch_size) for m in self.layers)

    def _output_weight(self) -> NDArray:
        return self.params["embedding.weight" if self.tie_weights else "decoder.weight"]

    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        h, _ = self.embedding._forward(X, None, lengths)  # (T, B, E)
        h, _ = self.dropouts[0]._forward(h, None, lengths)
        finals = []
        for layer, dropout, s in zip(self.layers, self.dropouts[1:], state, strict=True):
            h, s_final = layer._forward(h, s, lengths)  # (T, B, H)
            h, _ = dropout._forward(h, None, lengths)
            finals.append(s_final)
        T, B, K = h.shape
        H2 = h.reshape(T * B, K)
        Z = output_logits(H2, self._output_weight(), self.params["decoder.bias"])  # (T B, V)
        Z = Z.reshape(T, B, self.vocab_size)
        if lengths is not None:
            Z[np.arange(T)[:, None] >= lengths[None, :]] = 0.0
        self._cache = (H2, lengths)
        return Z, tuple(finals)

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        H2, lengths = self._cache
        T, B, V = dY.shape
        if lengths is not None:  # past a length the outputs are constant: no gradient
            dY = dY * (np.arange(T)[:, None] < lengths[None, :])[:, :, None]
        dH2, dW, db = output_logits_backward(dY.reshape(T * B, V), H2, self._output_weight())
        dh = dH2.reshape(T, B, -1)
        dh, _ = self.dropouts[-1]._backward(dh, None)
        dstates = []
        for k in reversed(range(self.num_layers)):
            dh, ds0 = self.layers[k]._backward(dh, dstate[k])
            dh, _ = self.dropouts[k]._backward(dh, None)
            dstates.append(ds0)
        dX, _ = self.embedding._backward(dh, None)
        grads = {"embedding.weight": self.embedding.grads["weight"]}
        for k, m in enumerate(self.layers):
            grads.update({f"rnn.{k}.{name}": g for name, g in m.grads.items()})
        if self.tie_weights:  # one table, both uses: the sum (a new array, not the embedding's)
            grads["embedding.weight"] = grads["embedding.weight"] + dW
        else:
            grads["decoder.weight"] = dW
        grads["decoder.bias"] = db
        self.grads = {k: grads[k] for k in self.params}
        return dX, tuple(reversed(dstates))

    @property
    def is_causal(self) -> bool:
        return True

    def apply_constraints(self) -> None:
        for m in self.layers:
            m.apply_constraints()


# ----------------------------------------------------------------------------- sampling
def sample(
    model: SequenceModel,
    prompt: Any,
    length: int,
    *,
    temperature: float = 1.0,
    seed: Any = None,
) -> NDArray:
    r"""Draw ``length`` tokens from a language model, after reading ``prompt``.

    The model reads the prompt, then one token at a time its own last draw, carrying its state;
    each token is drawn from :math:`p_i \propto \exp(z_i / \tau)` over the last logits
    :math:`z`. A low temperature :math:`\tau` favours the likeliest tokens (``0``: always the
    likeliest, greedy decoding), a high one flattens the distribution.

    Parameters
    ----------
    model : SequenceModel
        Maps ``(T, B, 1)`` token ids to ``(T, B, V)`` logits: a :class:`LanguageModel`, or a
        ``Stacked([Embedding(...), ..., Linear(H, V)])``.
    prompt : array_like of int, shape (P,)
        The token ids to start from (at least one).
    length : int
        Number of tokens to draw.
    temperature : float >= 0, default 1.0
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    ndarray of int64, shape (length,)
        The drawn tokens (the prompt not included).

    Examples
    --------
    >>> lm = LanguageModel(20, 8, seed=0)
    >>> tokens = sample(lm, [1, 2, 3], 5, temperature=0.8, seed=0)
    >>> tokens.shape, tokens.dtype
    ((5,), dtype('int64'))
    >>> bool(np.array_equal(tokens, sample(lm, [1, 2, 3], 5, temperature=0.8, seed=0)))
    True
    """
    if not isinstance(model, SequenceModel):
        raise TypeError(f"model must be a SequenceModel; got {type(model).__name__}")
    ids = check_array(prompt, "prompt", ndim=1, shape_doc="(P,) token ids")
    if ids.size == 0:
        raise ValueError("prompt must hold at least one token id")
    if ids.dtype.kind not in "iu":
        if ids.dtype.kind != "f" or not np.array_equal(ids, np.floor(ids)):
            raise TypeError(f"prompt must hold integer token ids; got dtype {ids.dtype}")
    length = check_positive_int(length, "length", minimum=0)
    temperature = check_real(temperature, "temperature", low=0.0)
    rng = make_rng(seed)
    out = np.empty(length, np.int64)
    logits, state = model.forward(ids.reshape(-1, 1, 1))
    for k in range(length):
        z = logits[-1, 0].astype(np.float64)  # (V,)
        if temperature == 0.0:
            token = int(np.argmax(z))
        else:
            z = (z - z.max()) / temperature
            p = np.exp(z)
            cdf = np.cumsum(p)
            token = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
            token = min(token, z.size - 1)
        out[k] = token
        if k + 1 < length:
            logits, state = model.forward(np.full((1, 1, 1), token), state)
    return out
