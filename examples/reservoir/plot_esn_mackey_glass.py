"""
Echo state network: predicting and generating a chaotic time series
===================================================================

An echo state network (Jaeger 2001) never trains its recurrent weights. A large, sparse,
random *reservoir* is driven by the input,

.. math::

    x_t = (1 - a)\\, x_{t-1} + a \\tanh\\left(W x_{t-1} + W_{in} u_t\\right),

and only a linear readout :math:`y_t = W_{out} x_t + b_{out}` is fitted, by ridge regression in
closed form. For that to work the reservoir must have the *echo state property*: its state must
depend on the input history, not on where it started. Scaling :math:`W` to a spectral radius
below one is the usual recipe.

We check the property, then train an ESN on the Mackey-Glass delay equation -- the benchmark of
Jaeger's report -- to predict one step ahead and to generate the series on its own.
"""

# %%
# The echo state property
# -----------------------
# Two copies of the same reservoir, started from different random states, are driven by the
# same input. With spectral radius 0.9 their states converge -- the initial state is forgotten;
# with 1.5 (and little input) they need not.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.esn import ESN
from recurrent_zoo.tasks import mackey_glass_series, nrmse

series = mackey_glass_series(4000)  # unit-time samples of the tau = 17 Mackey-Glass equation
u = series[:300, None]  # (T, 1)
rng = np.random.default_rng(0)
distances = {}
for rho in (0.9, 1.5):
    esn = ESN(units=200, spectral_radius=rho, input_scaling=0.1, seed=0).initialize(1)
    start = rng.uniform(-1, 1, size=(2, 200))  # two initial states, (B, N)
    states = esn.run(np.repeat(u[:, None, :], 2, axis=1), state=start)  # (T, 2, N)
    distances[rho] = np.linalg.norm(states[:, 0] - states[:, 1], axis=1)
    print(
        f"spectral radius {rho}: distance between the two states after 300 steps "
        f"{distances[rho][-1]:.2e}"
    )

# %%
# One-step prediction
# -------------------
# 2000 steps to fit the readout (the first 100 only wash out the initial state), then the
# ESN continues from its last state on unseen data.
X, Y = series[:-1, None], series[1:, None]
esn = ESN(units=300, spectral_radius=0.9, leak_rate=0.5, ridge=1e-8, seed=0)
esn.fit(X[:2000], Y[:2000], warmup=100)
Y_hat = esn.predict(X[2000:3000], state=esn.last_state_)
print(f"one-step NRMSE on 1000 unseen steps: {nrmse(Y[2000:3000], Y_hat):.2e}")

# %%
# Generating the series
# ---------------------
# Run in closed loop, each output becomes the next input: after priming with 500 true values
# the ESN generates the continuation by itself. Errors grow, as they must on a chaotic
# system; the question is for how long it stays on track.
prime = series[2000:2500, None]
generated = esn.generate(300, prime=prime)[:, 0]
truth = series[2500:2800]
error = np.abs(generated - truth)
horizon = int(np.argmax(error > 0.1 * series.std())) if (error > 0.1 * series.std()).any() else 300
print(f"generated steps before the error first exceeds 10% of the series' std: {horizon}")

fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
for rho, d in distances.items():
    axes[0].semilogy(d, label=f"spectral radius {rho}")
axes[0].set_xlabel("step")
axes[0].set_ylabel("|x - x'|")
axes[0].set_title("same input, two initial states")
axes[0].legend(fontsize="small")
axes[1].plot(Y[2000:2300, 0], "k", lw=3, alpha=0.3, label="true")
axes[1].plot(Y_hat[:300, 0], "tab:blue", lw=1, label="one step ahead")
axes[1].set_title("one-step prediction")
axes[1].set_xlabel("step")
axes[1].legend(fontsize="small")
axes[2].plot(np.arange(300), truth, "k", lw=3, alpha=0.3, label="true")
axes[2].plot(np.arange(300), generated, "tab:orange", lw=1, label="generated (closed loop)")
axes[2].axvline(horizon, color="gray", ls=":")
axes[2].set_title("free-running generation")
axes[2].set_xlabel("steps after priming")
axes[2].legend(fontsize="small")
plt.show()

# %%
# References: H. Jaeger, "The 'echo state' approach to analysing and training recurrent neural
# networks", GMD Report 148, 2001; H. Jaeger and H. Haas, "Harnessing nonlinearity: predicting
# chaotic systems and saving energy in wireless communication", Science 304:78-80, 2004.
