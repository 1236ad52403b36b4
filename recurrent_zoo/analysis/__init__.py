"""Analysis of recurrent networks: equations, fixed points, Lyapunov exponents, automata.

Finite automata (:mod:`~recurrent_zoo.analysis.automata`) and pushdown automata
(:mod:`~recurrent_zoo.analysis.pushdown`, networkx graphs run by :func:`run_pda`).

Each module covers one family of tools; this package only re-exports them.

Examples
--------
>>> from recurrent_zoo.analysis import minimize, Automaton
>>> minimize(Automaton({0: {"a": 0}}, start=0, accepting={0})).n_states
1
"""

from .automata import Automaton, all_strings_up_to, encode_strings, extract_automaton, minimize
from .dynamics import (
    FixedPoint,
    classify,
    ctrnn_fixed_points,
    find_fixed_points,
    limit_cycle_period,
    numerical_jacobian,
)
from .equations import (
    ctrnn_equations,
    ctrnn_jacobian_function,
    ctrnn_jacobian_symbolic,
    ctrnn_rhs,
    mtrnn_equations,
)
from .lyapunov import largest_lyapunov, lorenz
from .pushdown import BOTTOM, minimize_pda, pda_from_table, pda_table, run_pda

__all__ = [
    "Automaton",
    "all_strings_up_to",
    "encode_strings",
    "extract_automaton",
    "minimize",
    "FixedPoint",
    "classify",
    "ctrnn_fixed_points",
    "find_fixed_points",
    "limit_cycle_period",
    "numerical_jacobian",
    "ctrnn_equations",
    "ctrnn_jacobian_function",
    "ctrnn_jacobian_symbolic",
    "ctrnn_rhs",
    "mtrnn_equations",
    "largest_lyapunov",
    "lorenz",
    "BOTTOM",
    "minimize_pda",
    "pda_from_table",
    "pda_table",
    "run_pda",
]
