"""
Four recurrent nets on the adding problem
=========================================

The adding problem (Hochreiter & Schmidhuber 1997) is the standard test of whether a recurrent
net can carry information across many steps: each input step holds a random number and a marker
bit, exactly two steps are marked, and at the end the net must output the sum of the two marked
numbers. Predicting the mean sum (1) scores a mean squared error of 1/6 = 0.167; anything well
below that has learned to remember.

We train Elman's and Jordan's simple recurrent nets and the two gated cells, LSTM and GRU, with
the same data, the same number of hidden units, the same optimizer and the same number of
epochs, and plot their learning curves together. :func:`recurrent_zoo.compare.run_compare` and
``recurrent-zoo compare`` do the same for the whole catalogue, each entry on its own canonical
task.
"""

# %%
import time

import matplotlib.pyplot as plt

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.elman import Elman
from recurrent_zoo.gru import GRU
from recurrent_zoo.jordan import Jordan
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.tasks import adding_problem
from recurrent_zoo.training import evaluate, fit

T = 30
train = adding_problem(2000, T, seed=0)
valid = adding_problem(500, T, seed=1)
print(f"inputs {train.inputs.shape} (T, N, features); the loss reads only the last step")

# %%
# The contenders: every model maps the 2 input features to 1 output through ``H`` hidden
# units. Elman, LSTM and GRU have no output layer of their own, so a
# :class:`~recurrent_zoo.Linear` readout is stacked on them; Jordan's output layer is part of
# the architecture (it is what feeds back).
H = 24
models = {
    "Elman": Stacked([Elman(2, H, seed=0), Linear(H, 1, seed=1)]),
    "Jordan": Jordan(2, H, 1, seed=0),
    "LSTM": Stacked([LSTM(2, H, seed=0), Linear(H, 1, seed=1)]),
    "GRU": Stacked([GRU(2, H, seed=0), Linear(H, 1, seed=1)]),
}

# %%
# Training: the same call for every model.
histories, seconds = {}, {}
for name, model in models.items():
    start = time.perf_counter()
    histories[name] = fit(
        model,
        train.inputs,
        train.targets,
        mask=train.mask,
        loss="mse",
        optimizer="adam",
        lr=0.01,
        epochs=20,
        batch_size=50,
        clip_norm=1.0,
        validation_data=(valid.inputs, valid.targets, valid.mask),
        seed=0,
    )
    seconds[name] = time.perf_counter() - start
    final = evaluate(model, valid.inputs, valid.targets, mask=valid.mask, loss="mse")["loss"]
    print(
        f"{name:7s} {model.n_params:5d} parameters  validation MSE {final:.4f}  "
        f"({seconds[name]:.1f} s)"
    )

# %%
# The curves
# ----------
# Validation loss after every epoch, on a log scale, with the mean predictor's 1/6 for
# reference.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [2, 1]})
for name, history in histories.items():
    ax1.plot(range(1, history.epochs + 1), history["val_loss"], marker=".", label=name)
ax1.axhline(1 / 6, color="gray", ls="--", label="mean predictor")
ax1.set_yscale("log")
ax1.set_xlabel("epoch")
ax1.set_ylabel("validation MSE")
ax1.set_title(f"adding problem, T = {T}")
ax1.legend()
ax2.bar(list(seconds), list(seconds.values()), color="tab:gray")
ax2.set_ylabel("seconds to train")
ax2.set_title("training time (numpy, this machine)")
fig.tight_layout()
plt.show()

# %%
# With this budget the gated cells learn the task while the simple recurrent nets stay near
# the mean predictor's error. The gradient that must reach the marked steps, up to 30 steps
# back, is multiplied by up to 30 factors :math:`\mathrm{diag}(\phi') W_{hh}` in an Elman net
# and shrinks geometrically (Bengio, Simard & Frasconi 1994); the gates give the LSTM's cell
# and the GRU's state a path along which it survives.
# :ref:`sphx_glr_auto_examples_gated_plot_gradient_flow.py` measures that gradient directly,
# and :doc:`/bptt` has the equations.
