"""What a trained NTM does on associative recall: errors by item count and query position,
the same with the memory cut out, and where each head looks at every step of one sequence.

Usage::

    python benchmarks/ntm_recall_diagnosis.py MODEL.safetensors [MODEL2.safetensors ...]

``MODEL`` is a file saved by ``benchmarks/ntm_experiments.py train --task associative_recall
--save``. For 2-8 items it prints the mean wrong bits per sequence (of 18) over 300 fresh
sequences, overall and by the query's position; then the same with the read vectors cut out of
the controller's input and of the output layer (every right answer that is left did not come
from the memory); then, for one 6-item sequence, each step's input kind (``I`` item delimiter,
``x`` a vector, ``Q`` query delimiter, ``.`` no input) and the slot of every head's largest
weight with that weight (read heads first). Recorded in
``benchmarks/results/ntm_associative_recall_checks.txt``.
"""

from __future__ import annotations

import sys

import numpy as np


def errors_by_query(model, counts=(2, 3, 4, 5, 6, 8), n: int = 300) -> None:
    from recurrent_zoo.tasks import associative_recall, bit_errors

    for k in counts:
        data = associative_recall(n, k, seed=99 + k)
        Y, _ = model.forward(data.inputs.astype(model.dtype))
        errors = bit_errors(Y, data)
        query = data.info["query"]
        by_query = " ".join(f"q{j}: {errors[query == j].mean():4.1f}" for j in range(k - 1))
        print(f"  {k} items: mean {errors.mean():5.2f}   by query position  {by_query}")


def head_path(model, items: int = 6, seed: int = 5) -> None:
    from recurrent_zoo.tasks import associative_recall

    data = associative_recall(1, items, seed=seed)
    model.forward(data.inputs.astype(model.dtype))
    weights = model._cache[10]  # (T + 1, B, heads, N), read heads first
    X = data.inputs[:, 0]
    bits = X.shape[1] - 2
    R, E = model.read_heads, model.write_heads
    names = [f"read{i}" if R > 1 else "read" for i in range(R)]
    names += [f"write{i}" if E > 1 else "write" for i in range(E)]
    print(f"  one {items}-item sequence, query item {data.info['query'][0]}:")
    print("  step input  " + "  ".join(f"{n + ' slot (weight)':>19s}" for n in names))
    for t in range(X.shape[0]):
        w = weights[t + 1, 0]
        kind = "I" if X[t, bits] else "Q" if X[t, bits + 1] else "x" if X[t].any() else "."
        top = w.argmax(-1)
        cells = "  ".join(f"{int(i):11d} ({w[h, i]:.2f})" for h, i in enumerate(top))
        print(f"  {t:4d}  {kind}     {cells}")


def cut_memory(model) -> None:
    """Zero the weights through which the read vectors reach the controller and the output."""
    H, I = model.controller_size, model.input_size
    p = model.params
    p["output_weight"][:, H:] = 0.0
    key = "controller_weight_ih" if "controller_weight_ih" in p else "controller_weight"
    p[key][:, I:] = 0.0


def main() -> None:
    from recurrent_zoo._core.io import load

    for path in sys.argv[1:]:
        model = load(path)
        print(f"\n{path}: {model.controller} controller, {model.n_params} parameters")
        print(" mean wrong bits per sequence (of 18), 300 sequences per item count:")
        errors_by_query(model)
        head_path(model)
        cut_memory(model)
        print(" the same with the read vectors cut out (chance: 9):")
        errors_by_query(model, counts=(2, 3, 4, 6))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
