"""
How far back does the gradient reach? Gates and the vanishing gradient
======================================================================

Backpropagation through time multiplies the gradient by the Jacobian
:math:`\\partial h_t / \\partial h_{t-1}` once per step. For an Elman net that is
:math:`\\mathrm{diag}(\\phi'(a_t))\\, W_{hh}`, and a product of many such matrices shrinks (or
grows) geometrically: the gradient from a loss at the end of a sequence barely reaches its
beginning (Hochreiter 1991; Bengio, Simard & Frasconi 1994). The LSTM (Hochreiter &
Schmidhuber 1997) carries a memory cell forward additively,

.. math::

    c_t = f_t \\odot c_{t-1} + i_t \\odot g_t, \\qquad
    \\frac{\\partial c_t}{\\partial c_{t-1}} = \\mathrm{diag}(f_t),

so along the cell the gradient is multiplied only by the forget gate :math:`f_t`; the GRU
interpolates :math:`h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}` with its update gate
:math:`z_t`. Where the gates are near one, the gradient survives.

Here we measure it: the norm of :math:`\\partial y_T / \\partial x_t` as a function of the lag
:math:`T - t`, from :meth:`~recurrent_zoo.SequenceModel.backward` with a gradient on the last
output only.
"""

# %%
# Gradient against lag, at initialisation
# ---------------------------------------
# All nets have 24 units and PyTorch's initialisation, uniform in
# :math:`\pm 1/\sqrt{H}`, so every gate starts near :math:`\sigma(0) = 0.5`. The LSTM's forget
# gate (Gers, Schmidhuber & Cummins 2000) is then 0.5 and its cell forgets fast; Jozefowicz,
# Zaremba & Sutskever (2015) recommend a positive forget-gate bias, so that it starts closer to one.
# ``params`` is the single source of truth, so adding 1 or 3 to the forget-gate block of the bias
# (PyTorch's gate order is input, forget, cell, output) in place changes the model.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.elman import Elman
from recurrent_zoo.gru import GRU
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.tasks import adding_problem
from recurrent_zoo.training import evaluate, fit

H, T, B = 24, 100, 64


def lstm_with_forget_bias(bias, input_size=4):
    model = LSTM(input_size, H, seed=0)
    model.params["bias_ih_l0"][H : 2 * H] += bias  # the forget gate's block
    return model


def gradient_by_lag(model, X):
    """Mean over the batch of ||d y_T / d x_t||, for t = 1 .. T, with a random dL/dy_T."""
    Y, _ = model.forward(X)
    dY = np.zeros_like(Y)
    dY[-1] = np.random.default_rng(1).standard_normal(Y.shape[1:])  # loss on the last step only
    dX = model.backward(dY)  # (T, B, I)
    return np.linalg.norm(dX, axis=2).mean(axis=1)


X = np.random.default_rng(0).uniform(-1, 1, size=(T, B, 4))  # (T, B, I)
models = {
    "Elman": Elman(4, H, seed=0),
    "GRU": GRU(4, H, seed=0),
    "LSTM": lstm_with_forget_bias(0.0),
    "LSTM, forget bias +1": lstm_with_forget_bias(1.0),
    "LSTM, forget bias +3": lstm_with_forget_bias(3.0),
}
profiles = {name: gradient_by_lag(m, X) for name, m in models.items()}
for name, g in profiles.items():
    print(f"{name:22s} |dy_T/dx_t| at lag 0: {g[-1]:.2e}, 10: {g[-11]:.2e}, 50: {g[-51]:.2e}")

fig, ax = plt.subplots(figsize=(7, 3.8))
for name, g in profiles.items():
    ax.plot(np.arange(T)[::-1], g, label=name)
ax.set_yscale("log")
ax.set_xlabel("lag T - t (steps back from the loss)")
ax.set_ylabel("mean |dy_T / dx_t|")
ax.set_title("gradient reaching earlier inputs, untrained nets")
ax.legend(fontsize="small")
fig.tight_layout()
plt.show()

# %%
# After training: the gradient finds the two numbers that matter
# ---------------------------------------------------------------
# In the adding problem the target is the sum of the two marked numbers of a 50-step sequence.
# A GRU trained on it should depend on those two inputs, wherever they are, and on nothing else.
# The same backward pass on the trained model shows where its output is sensitive.
train = adding_problem(1000, 50, seed=0)
test = adding_problem(500, 50, seed=1)
gru = Stacked([GRU(2, H, seed=0), Linear(H, 1, seed=1)])
history = fit(
    gru,
    train.inputs,
    train.targets,
    mask=train.mask,
    loss="mse",
    lr=0.01,
    epochs=15,
    batch_size=50,
    clip_norm=1.0,
    seed=0,
)
mse = evaluate(gru, test.inputs, test.targets, mask=test.mask, loss="mse")["loss"]
print(f"trained GRU: test MSE {mse:.4f} (predicting the mean: 0.167)")

X_test = test.inputs[:, :1]  # one test sequence, (50, 1, 2)
Y, _ = gru.forward(X_test)
dY = np.zeros_like(Y)
dY[-1] = 1.0
dX = gru.backward(dY)[:, 0, 0]  # d y_T / d (number at step t)
marked = np.flatnonzero(X_test[:, 0, 1])
print(
    f"marked steps {marked.tolist()}: dy_T/dx = {np.round(dX[marked], 3).tolist()}; "
    f"largest elsewhere {np.abs(np.delete(dX, marked)).max():.3f}"
)

fig, ax = plt.subplots(figsize=(7, 3.2))
ax.bar(np.arange(50), dX, color="tab:blue")
ax.bar(marked, dX[marked], color="tab:red", label="marked steps")
ax.set_xlabel("step t")
ax.set_ylabel("dy_T / d(number at t)")
ax.set_title("trained GRU: sensitivity of its answer to each input number")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# References: S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural Computation
# 9(8), 1997; F. A. Gers, J. Schmidhuber and F. Cummins, "Learning to forget", Neural
# Computation 12(10), 2000; Y. Bengio, P. Simard and P. Frasconi, "Learning long-term
# dependencies with gradient descent is difficult", IEEE Trans. Neural Networks 5(2), 1994;
# R. Jozefowicz, W. Zaremba and I. Sutskever, "An empirical exploration of recurrent network
# architectures", ICML 2015.
