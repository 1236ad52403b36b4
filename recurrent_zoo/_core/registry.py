"""The catalogue: one :class:`Entry` per architecture.

The command-line tool, the common checks, the comparison harness and the docs all read the
catalogue, so adding an architecture means adding its module and one ``Entry`` to
:data:`ENTRIES` below.

Entry fields
------------
``examples``
    Small configurations used by the common checks (``recurrent_zoo.testing``): each a dict of
    keyword arguments for ``cls(input_size, **kwargs, seed=..., dtype=...)`` or a callable
    ``f(input_size, *, seed, dtype) -> model``. The first one is the default.
``tags``
    Which common checks apply. ``"sequence"`` marks the trainable sequence-model contract;
    families with their own conventions (associative memories, reservoirs) carry their own tag,
    and a check that needs a tag an entry lacks is skipped, not deleted.
``recipe``
    How ``recurrent-zoo compare`` trains the entry on its canonical ``task`` (see
    :mod:`recurrent_zoo.compare`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["Entry", "ENTRIES", "catalogue", "get_entry"]


@dataclass(frozen=True)
class Entry:
    """One architecture of the catalogue.

    Examples
    --------
    >>> from recurrent_zoo import catalogue
    >>> e = next(e for e in catalogue() if e.name == "elman")
    >>> e.cls.__name__, e.family, e.year
    ('Elman', 'classic', 1990)
    """

    name: str
    title: str
    module: str
    class_name: str
    family: str
    year: int
    reference: str
    task: str
    trainable: bool
    examples: tuple[Any, ...] = ()
    tags: frozenset[str] = frozenset({"sequence"})
    recipe: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    summary: str = ""

    @property
    def cls(self) -> type:
        """The architecture's class (its module is imported on first use)."""
        return getattr(importlib.import_module(self.module), self.class_name)

    def make(
        self, input_size: int, *, seed: Any = None, dtype: Any = np.float64, example: int = 0
    ) -> Any:
        """Build the ``example``-th small configuration (used by the common checks)."""
        spec = self.examples[example]
        if callable(spec):
            return spec(input_size, seed=seed, dtype=dtype)
        return self.cls(input_size, **spec, seed=seed, dtype=dtype)


def _bidirectional_example(input_size: int, *, seed: Any, dtype: Any) -> Any:
    from ..elman import Elman
    from ..jordan import Jordan
    from .init import make_rng
    from .sequence import Bidirectional

    rng = make_rng(seed)
    return Bidirectional(
        Elman(input_size, 3, seed=rng, dtype=dtype),
        Jordan(input_size, 3, 2, seed=rng, dtype=dtype),
        merge="concat",
    )


def _bidirectional_mul_example(input_size: int, *, seed: Any, dtype: Any) -> Any:
    from ..elman import Elman
    from .init import make_rng
    from .sequence import Bidirectional

    rng = make_rng(seed)
    return Bidirectional(
        Elman(input_size, 3, seed=rng, dtype=dtype),
        Elman(input_size, 3, nonlinearity="relu", seed=rng, dtype=dtype),
        merge="mul",
    )


def _stacked_example(input_size: int, *, seed: Any, dtype: Any) -> Any:
    from ..elman import Elman
    from ..jordan import Jordan
    from .init import make_rng
    from .layers import Linear
    from .sequence import Stacked

    rng = make_rng(seed)
    return Stacked(
        [
            Elman(input_size, 4, seed=rng, dtype=dtype),
            Jordan(4, 3, 3, seed=rng, dtype=dtype),
            Linear(3, 2, activation="tanh", seed=rng, dtype=dtype),
        ]
    )


def _example_from(path: str, **kwargs: Any) -> Any:
    """An example factory ``f(input_size, *, seed, dtype)`` that calls ``"module:function"``
    (imported on first use) with ``kwargs`` added."""

    def make(input_size: int, *, seed: Any, dtype: Any) -> Any:
        module, _, name = path.partition(":")
        factory = getattr(importlib.import_module(module), name)
        return factory(input_size, seed=seed, dtype=dtype, **kwargs)

    make.__qualname__ = make.__name__ = f"{path}({kwargs})"
    return make


_ASSOCIATIVE = frozenset({"associative"})


def build_bidirectional_elman(input_size: int, *, seed: Any) -> Any:
    """The model ``recurrent-zoo compare`` trains for the bidirectional entry."""
    from ..elman import Elman
    from .init import make_rng
    from .sequence import Bidirectional

    rng = make_rng(seed)
    return Bidirectional(Elman(input_size, 16, seed=rng), Elman(input_size, 16, seed=rng))


def build_stacked_elman(input_size: int, *, seed: Any) -> Any:
    """The model ``recurrent-zoo compare`` trains for the stacked entry: two Elman layers."""
    from ..elman import Elman
    from .init import make_rng
    from .sequence import Stacked

    rng = make_rng(seed)
    return Stacked([Elman(input_size, 24, seed=rng), Elman(24, 24, seed=rng)])


ENTRIES: tuple[Entry, ...] = (
    Entry(
        name="elman",
        title="Elman network (simple recurrent network)",
        module="recurrent_zoo.elman",
        class_name="Elman",
        family="classic",
        year=1990,
        reference='J. L. Elman, "Finding structure in time", Cognitive Science 14(2):179-211, 1990',
        task="adding",
        trainable=True,
        summary="Hidden state fed back as context units; PyTorch nn.RNN's equations.",
        examples=(
            {"hidden_size": 3},
            {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
            {"hidden_size": 2, "nonlinearity": "relu", "bias": False},
        ),
        recipe=MappingProxyType(
            {
                "model": {"hidden_size": 32},
                "readout": True,
                "optimizer": "adam",
                "lr": 0.01,
                "epochs": 30,
                "batch_size": 32,
                # simple recurrent nets do not learn the adding problem at T = 50, the full
                # mode's length (Hochreiter & Schmidhuber 1997; Le et al. 2015): keep T = 10
                "full": {"task_options": {"length": 10}},
            }
        ),
    ),
    Entry(
        name="jordan",
        title="Jordan network",
        module="recurrent_zoo.jordan",
        class_name="Jordan",
        family="classic",
        year=1986,
        reference=(
            'M. I. Jordan, "Serial order: a parallel distributed processing approach", '
            "ICS Report 8604, UC San Diego, 1986"
        ),
        task="adding",
        trainable=True,
        summary="State units fed from the output layer, with self-recurrent decay.",
        examples=(
            {"hidden_size": 3, "output_size": 2},
            {"hidden_size": 4, "output_size": 1, "decay": 0.0, "output_activation": "sigmoid"},
            {"hidden_size": 2, "output_size": 3, "hidden_activation": "sigmoid", "decay": 0.9},
        ),
        recipe=MappingProxyType(
            {
                "model": {"hidden_size": 32, "output_size": 1},
                "readout": False,
                "optimizer": "adam",
                "lr": 0.01,
                "epochs": 30,
                "batch_size": 32,
                # simple recurrent nets do not learn the adding problem at T = 50, the full
                # mode's length (Hochreiter & Schmidhuber 1997; Le et al. 2015): keep T = 10
                "full": {"task_options": {"length": 10}},
            }
        ),
    ),
    Entry(
        name="lstm",
        title="Long short-term memory (LSTM)",
        module="recurrent_zoo.lstm",
        class_name="LSTM",
        family="gated",
        year=1997,
        reference=(
            'S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural Computation '
            "9(8):1735-1780, 1997; forget gate: F. A. Gers, J. Schmidhuber and F. Cummins, "
            '"Learning to forget: continual prediction with LSTM", Neural Computation '
            "12(10):2451-2471, 2000"
        ),
        task="adding",
        trainable=True,
        summary="Gated memory cell with forget gate; PyTorch nn.LSTM's equations, proj_size.",
        examples=(
            {"hidden_size": 3},
            {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
            {"hidden_size": 4, "proj_size": 2, "num_layers": 2, "bidirectional": True},
            {"hidden_size": 2, "bias": False},
        ),
        recipe=MappingProxyType(
            {
                "model": {"hidden_size": 32},
                "readout": True,
                "optimizer": "adam",
                "lr": 0.01,
                "epochs": 30,
                "batch_size": 32,
                "clip_norm": 1.0,
            }
        ),
    ),
    Entry(
        name="gru",
        title="Gated recurrent unit (GRU)",
        module="recurrent_zoo.gru",
        class_name="GRU",
        family="gated",
        year=2014,
        reference=(
            "K. Cho, B. van Merrienboer, C. Gulcehre, D. Bahdanau, F. Bougares, H. Schwenk and "
            'Y. Bengio, "Learning phrase representations using RNN encoder-decoder for '
            'statistical machine translation", EMNLP 2014'
        ),
        task="adding",
        trainable=True,
        summary="Reset and update gates, no separate cell; PyTorch nn.GRU's equations.",
        examples=(
            {"hidden_size": 3},
            {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
            {"hidden_size": 2, "bias": False},
        ),
        recipe=MappingProxyType(
            {
                "model": {"hidden_size": 32},
                "readout": True,
                "optimizer": "adam",
                "lr": 0.01,
                "epochs": 30,
                "batch_size": 32,
                "clip_norm": 1.0,
            }
        ),
    ),
    Entry(
        name="second_order",
        title="Second-order recurrent network",
        module="recurrent_zoo.second_order",
        class_name="SecondOrderRNN",
        family="classic",
        year=1992,
        reference=(
            "C. L. Giles, C. B. Miller, D. Chen, H. H. Chen, G. Z. Sun and Y. C. Lee, "
            '"Learning and extracting finite state automata with second-order recurrent '
            'neural networks", Neural Computation 4(3):393-405, 1992'
        ),
        task="tomita",
        trainable=True,
        summary=(
            "State x input-symbol products select the recurrent weights; a response unit "
            "accepts strings, and a finite automaton can be extracted from the state space."
        ),
        examples=(
            {"hidden_size": 3},
            {"hidden_size": 2, "learn_initial_state": True},
            {"hidden_size": 3, "bias": False, "init_scale": 0.5},
        ),
        recipe=MappingProxyType({"run": "recurrent_zoo.second_order:compare_run"}),
    ),
    Entry(
        name="indrnn",
        title="Independently recurrent neural network (IndRNN)",
        module="recurrent_zoo.indrnn",
        class_name="IndRNN",
        family="classic",
        year=2018,
        reference=(
            'S. Li, W. Li, C. Cook, C. Zhu and Y. Gao, "Independently recurrent neural network '
            '(IndRNN): building a longer and deeper RNN", CVPR 2018 (arXiv:1803.04831)'
        ),
        task="adding",
        trainable=True,
        summary=(
            "One recurrent weight per unit (h = relu(W x + u * h + b)), layers stacked; "
            "|u| <= 2^(1/T) keeps gradients through T steps bounded."
        ),
        examples=(
            {"hidden_size": 3},
            {
                "hidden_size": 3,
                "num_layers": 2,
                "nonlinearity": "tanh",
                "max_length": 10,
                "last_layer_long_memory": True,
                "input_weight_std": 0.5,
            },
            {"hidden_size": 2, "bias": False, "max_length": 5, "input_weight_std": 0.5},
        ),
        recipe=MappingProxyType({"run": "recurrent_zoo.indrnn:run"}),
    ),
    Entry(
        name="fully_recurrent",
        title="Fully recurrent network (Williams & Zipser), BPTT or real-time recurrent learning",
        module="recurrent_zoo.fully_recurrent",
        class_name="FullyRecurrent",
        family="classic",
        year=1989,
        reference=(
            'R. J. Williams and D. Zipser, "A learning algorithm for continually running fully '
            'recurrent neural networks", Neural Computation 1(2):270-280, 1989'
        ),
        task="pipelined_xor",
        trainable=True,
        summary=(
            "Every unit feeds every unit; the first units are the outputs. Trained online by "
            "RTRL (forward sensitivities, optional teacher forcing) or by BPTT."
        ),
        examples=(
            {"n_units": 3},
            {"n_units": 4, "output_size": 2, "activation": "tanh"},
            {"n_units": 2, "output_size": 2, "bias": False},
        ),
        recipe=MappingProxyType({"run": "recurrent_zoo.fully_recurrent:run"}),
    ),
    Entry(
        name="rmlp",
        title="Recurrent multilayer perceptron (RMLP)",
        module="recurrent_zoo.rmlp",
        class_name="RMLP",
        family="classic",
        year=1994,
        reference=(
            'G. V. Puskorius and L. A. Feldkamp, "Neurocontrol of nonlinear dynamical systems '
            'with Kalman filter trained recurrent networks", IEEE Trans. Neural Networks '
            "5(2):279-297, 1994"
        ),
        task="narendra_plant_identification",
        trainable=True,
        summary=(
            "An MLP whose hidden layers each feed their previous outputs back to themselves; "
            "used for nonlinear system identification and control."
        ),
        examples=(
            {"hidden_sizes": [3], "output_size": 2},
            {
                "hidden_sizes": [3, 4],
                "output_size": 1,
                "output_recurrent": True,
                "output_activation": "tanh",
            },
            {
                "hidden_sizes": [2, 3],
                "output_size": 2,
                "hidden_activation": "sigmoid",
                "output_activation": "sigmoid",
            },
        ),
        recipe=MappingProxyType({"run": "recurrent_zoo.rmlp:run"}),
    ),
    Entry(
        name="bidirectional",
        title="Bidirectional recurrent net (wrapper)",
        module="recurrent_zoo._core.sequence",
        class_name="Bidirectional",
        family="wrapper",
        year=1997,
        reference=(
            'M. Schuster and K. K. Paliwal, "Bidirectional recurrent neural networks", '
            "IEEE Trans. Signal Processing 45(11):2673-2681, 1997"
        ),
        task="frequency",
        trainable=True,
        summary="Any two trainable models, one run backward in time; outputs merged.",
        examples=(_bidirectional_example, _bidirectional_mul_example),
        recipe=MappingProxyType(
            {
                "build": "recurrent_zoo._core.registry:build_bidirectional_elman",
                "readout": True,
                "optimizer": "adam",
                "lr": 0.01,
                "epochs": 40,
                "batch_size": 32,
                "clip_norm": 1.0,
                # Elman nets in both directions: the full mode's 60 steps are past their reach
                "full": {"task_options": {"length": 30}},
            }
        ),
    ),
    Entry(
        name="stacked",
        title="Deep (stacked) recurrent net (wrapper)",
        module="recurrent_zoo._core.sequence",
        class_name="Stacked",
        family="wrapper",
        year=2013,
        reference=(
            'R. Pascanu, C. Gulcehre, K. Cho and Y. Bengio, "How to construct deep recurrent '
            'neural networks", ICLR 2014 (arXiv:1312.6026)'
        ),
        task="adding",
        trainable=True,
        summary="Any trainable models in sequence, each reading the previous one's outputs.",
        examples=(_stacked_example,),
        recipe=MappingProxyType(
            {
                "build": "recurrent_zoo._core.registry:build_stacked_elman",
                "readout": True,
                "optimizer": "adam",
                "lr": 0.01,
                "epochs": 30,
                "batch_size": 32,
                # simple recurrent nets do not learn the adding problem at T = 50, the full
                # mode's length (Hochreiter & Schmidhuber 1997; Le et al. 2015): keep T = 10
                "full": {"task_options": {"length": 10}},
            }
        ),
    ),
    Entry(
        name="hopfield",
        title="Hopfield network (Hebbian, Storkey and pseudo-inverse learning)",
        module="recurrent_zoo.hopfield",
        class_name="Hopfield",
        family="associative",
        year=1982,
        reference=(
            'J. J. Hopfield, "Neural networks and physical systems with emergent collective '
            'computational abilities", PNAS 79(8):2554-2558, 1982'
        ),
        task="pattern_recall",
        trainable=False,
        summary="Bipolar content-addressable memory; energy-descending sign dynamics.",
        examples=(
            _example_from("recurrent_zoo.hopfield:_catalogue_example", rule="hebbian"),
            _example_from("recurrent_zoo.hopfield:_catalogue_example", rule="storkey"),
            _example_from("recurrent_zoo.hopfield:_catalogue_example", rule="pseudo_inverse"),
        ),
        tags=_ASSOCIATIVE,
        recipe=MappingProxyType({"run": "recurrent_zoo.hopfield:compare_run"}),
    ),
    Entry(
        name="modern_hopfield",
        title="Modern (continuous) Hopfield network",
        module="recurrent_zoo.modern_hopfield",
        class_name="ModernHopfield",
        family="associative",
        year=2020,
        reference=(
            'H. Ramsauer et al., "Hopfield networks is all you need", ICLR 2021 '
            "(arXiv:2008.02217, 2020)"
        ),
        task="pattern_recall",
        trainable=False,
        summary="Continuous states; the update xi <- X softmax(beta X^T xi) is attention.",
        examples=(
            _example_from("recurrent_zoo.modern_hopfield:_catalogue_example", beta=1.0),
            _example_from("recurrent_zoo.modern_hopfield:_catalogue_example", beta=8.0),
        ),
        tags=_ASSOCIATIVE,
        recipe=MappingProxyType({"run": "recurrent_zoo.modern_hopfield:compare_run"}),
    ),
    Entry(
        name="dense_associative_memory",
        title="Dense associative memory (polynomial and exponential interactions)",
        module="recurrent_zoo.dense_memory",
        class_name="DenseAssociativeMemory",
        family="associative",
        year=2016,
        reference=(
            'D. Krotov and J. J. Hopfield, "Dense associative memory for pattern recognition", '
            'NeurIPS 2016; M. Demircigil et al., "On a model of associative memory with huge '
            'storage capacity", J. Stat. Phys. 168:288-299, 2017'
        ),
        task="pattern_recall",
        trainable=False,
        summary="Energy -sum F(xi . sigma) with F = x^n or exp: capacity N^(n-1) or exp(N).",
        examples=(
            _example_from("recurrent_zoo.dense_memory:_catalogue_example", degree=3),
            _example_from(
                "recurrent_zoo.dense_memory:_catalogue_example",
                interaction="rectified_polynomial",
                degree=4,
            ),
            _example_from(
                "recurrent_zoo.dense_memory:_catalogue_example", interaction="exponential"
            ),
        ),
        tags=_ASSOCIATIVE,
        recipe=MappingProxyType({"run": "recurrent_zoo.dense_memory:compare_run"}),
    ),
    Entry(
        name="bam",
        title="Bidirectional associative memory (BAM)",
        module="recurrent_zoo.bam",
        class_name="BAM",
        family="associative",
        year=1988,
        reference=(
            'B. Kosko, "Bidirectional associative memories", IEEE Trans. Systems, Man, and '
            "Cybernetics 18(1):49-60, 1988"
        ),
        task="pair_recall",
        trainable=False,
        summary="Two layers, one matrix used both ways; correlation or multiple training.",
        examples=(
            _example_from("recurrent_zoo.bam:_catalogue_example", encoding="correlation"),
            _example_from("recurrent_zoo.bam:_catalogue_example", encoding="multiple_training"),
        ),
        tags=_ASSOCIATIVE,
        recipe=MappingProxyType({"run": "recurrent_zoo.bam:compare_run"}),
    ),
    Entry(
        name="ctrnn",
        title="Continuous-time recurrent neural network (CTRNN)",
        module="recurrent_zoo.ctrnn",
        class_name="CTRNN",
        family="continuous",
        year=1995,
        reference=(
            'R. D. Beer, "On the dynamics of small continuous-time recurrent neural networks", '
            "Adaptive Behavior 3(4):469-509, 1995"
        ),
        task="beer_oscillator",
        trainable=True,
        summary="Leaky-integrator ODE units; solve_ivp or batched Euler/RK4; BPTT through RK.",
        examples=(
            {"hidden_size": 3},
            {
                "hidden_size": 2,
                "tau": [0.5, 2.0],
                "gain": [1.0, 2.0],
                "dt": 0.2,
                "method": "rk4",
                "output": "state",
                "learn_tau": True,
            },
            {"hidden_size": 3, "dt": 0.3, "method": "heun", "learn_tau": True},
        ),
        recipe=MappingProxyType({"run": "recurrent_zoo.ctrnn:compare_run"}),
    ),
    Entry(
        name="mtrnn",
        title="Multiple timescale recurrent neural network (MTRNN)",
        module="recurrent_zoo.mtrnn",
        class_name="MTRNN",
        family="continuous",
        year=2008,
        reference=(
            'Y. Yamashita and J. Tani, "Emergence of functional hierarchy in a multiple '
            'timescale neural network model: a humanoid robot experiment", PLoS Computational '
            "Biology 4(11):e1000220, 2008"
        ),
        task="two_patterns",
        trainable=True,
        summary="Input-output, fast (tau 5) and slow (tau 70) context units; learned initial "
        "slow states select the behaviour.",
        examples=(
            {"fast_size": 3, "slow_size": 2, "n_sequences": 2},
            {
                "fast_size": 2,
                "slow_size": 2,
                "output_size": 3,
                "tau_io": 1.0,
                "tau_fast": 2.0,
                "tau_slow": 10.0,
                "context_activation": "tanh",
                "output_activation": "softmax",
            },
        ),
        recipe=MappingProxyType({"run": "recurrent_zoo.mtrnn:compare_run"}),
    ),
    Entry(
        name="esn",
        title="Echo state network (leaky-integrator reservoir; ridge, RLS or FORCE readout)",
        module="recurrent_zoo.esn",
        class_name="ESN",
        family="reservoir",
        year=2001,
        reference=(
            "H. Jaeger, \"The 'echo state' approach to analysing and training recurrent neural "
            'networks", GMD Report 148, 2001; leaky integrators: H. Jaeger, M. Lukosevicius, '
            "D. Popovici and U. Siewert, Neural Networks 20(3):335-352, 2007"
        ),
        task="mackey_glass",
        trainable=False,
        summary=(
            "Fixed sparse random reservoir scaled to a spectral radius; only a linear readout "
            "is learned (closed-form ridge, RLS or FORCE)."
        ),
        examples=(
            _example_from("recurrent_zoo.esn:_catalogue_example"),
            _example_from("recurrent_zoo.esn:_catalogue_example", feedback=True, leak_rate=0.5),
            _example_from(
                "recurrent_zoo.esn:_catalogue_example", readout="rls", input_to_readout=True
            ),
        ),
        tags=frozenset({"reservoir"}),
        recipe=MappingProxyType({"run": "recurrent_zoo.esn:compare_run"}),
    ),
)


def catalogue(family: str | None = None) -> list[Entry]:
    """Every architecture of the library, optionally only those of one ``family``.

    Examples
    --------
    >>> [e.name for e in catalogue("classic")][:2]
    ['elman', 'jordan']
    """
    entries = [e for e in ENTRIES if family is None or e.family == family]
    return entries


def get_entry(name: str) -> Entry:
    """The entry called ``name``; a ValueError listing the known names otherwise.

    Examples
    --------
    >>> get_entry("elman").title
    'Elman network (simple recurrent network)'
    """
    for e in ENTRIES:
        if e.name == name:
            return e
    known = ", ".join(e.name for e in ENTRIES)
    raise ValueError(f"unknown architecture name {name!r}; known: {known}")
