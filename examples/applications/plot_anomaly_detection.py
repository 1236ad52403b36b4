"""
Anomaly detection in a time series
==================================

A recurrent forecaster learns what a healthy signal does next; where the signal does something
else, its prediction error jumps. Thresholding that error is one of the standard ways recurrent
nets are used to monitor machines and sensors (Malhotra et al. 2015). Here the forecaster is an
echo state network (Jaeger 2001) -- a fixed random reservoir whose linear readout is fitted in
closed form -- so that training takes a fraction of a second.

The signal is generated: two incommensurate oscillations with noise. Into the test part we
inject five kinds of anomaly with known positions -- a spike, a level shift, a change of
frequency, a stuck sensor and a burst of noise -- and measure precision and recall.
"""

# %%
# A healthy signal and an injected test period
# --------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.esn import ESN

rng = np.random.default_rng(0)
n_train, n_test = 3000, 3000
t = np.arange(n_train + n_test)
clean = np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 17.3)
signal = clean + 0.03 * rng.standard_normal(t.size)

test = signal[n_train:].copy()
labels = np.zeros(n_test, dtype=bool)
events = {}


def inject(name, start, stop, values):
    test[start:stop] = values
    labels[start:stop] = True
    events[name] = (start, stop)


tt = t[n_train:]
inject("spike", 400, 401, test[400] + 1.5)
inject("level shift", 900, 960, test[900:960] + 0.6)
inject(
    "frequency change",
    1500,
    1600,
    np.sin(2 * np.pi * tt[1500:1600] / 30) + 0.5 * np.sin(2 * np.pi * tt[1500:1600] / 17.3),
)
inject("stuck sensor", 2100, 2160, test[2100])
inject("noise burst", 2600, 2640, test[2600:2640] + 0.4 * rng.standard_normal(40))
print(f"{len(events)} anomalies covering {labels.sum()} of {n_test} test steps")

# %%
# The forecaster
# --------------
# The ESN reads :math:`u_t` and is trained by ridge regression to output :math:`u_{t+1}`, on the
# healthy training period only. The first 2500 steps fit the readout; the last 500 (also
# healthy) set the alarm threshold.
esn = ESN(units=200, spectral_radius=0.9, leak_rate=0.5, input_scaling=0.5, ridge=1e-6, seed=0)
fit_end = 2500
esn.fit(signal[: fit_end - 1, None], signal[1:fit_end, None], warmup=100)


def abs_errors(series, state=None):
    """|u_{t+1} - prediction| for t = 0 .. len - 2, and the final reservoir state."""
    pred = esn.predict(series[:-1, None], state=state)[:, 0]
    return np.abs(series[1:] - pred), esn.last_state_


calib_err, state = abs_errors(signal[fit_end - 1 : n_train], state=esn.last_state_)
print(f"one-step error on the healthy calibration period: mean {calib_err.mean():.4f}")

# %%
# Scoring and threshold
# ---------------------
# The anomaly score is the prediction error averaged over a short window (5 steps), which
# removes single noisy steps; the threshold is a little above the largest score seen on the
# healthy calibration period.
window = 5


def score(err):
    return np.convolve(err, np.ones(window) / window, mode="full")[: err.size]


threshold = 1.2 * score(calib_err).max()
# the first test step is predicted from the last training step, so prepend it
test_err, _ = abs_errors(np.concatenate([signal[n_train - 1 : n_train], test]), state=state)
test_score = score(test_err)
alarms = test_score > threshold

# %%
# Precision and recall
# --------------------
# Step by step, an alarm is correct when it falls inside an anomaly or within ``window`` steps
# after one ends (the smoothed score lags by up to that much). An anomaly is detected when at
# least one alarm falls inside it or in that margin.
near = labels.copy()
for start, stop in events.values():
    near[start : stop + window] = True
precision = np.sum(alarms & near) / max(alarms.sum(), 1)
recall_steps = np.sum(alarms & labels) / labels.sum()
detected = {name: bool(alarms[s : e + window].any()) for name, (s, e) in events.items()}
print(f"threshold {threshold:.4f}; {alarms.sum()} alarm steps")
print(f"precision (alarm steps at an anomaly): {precision:.3f}")
print(f"recall over anomalous steps:            {recall_steps:.3f}")
print(f"anomalies detected: {sum(detected.values())} of {len(detected)}")
for name, hit in detected.items():
    print(f"  {name:17s} {'detected' if hit else 'missed'}")

# %%
# Where the false alarms are
# --------------------------
# The reservoir has a fading memory: with leak rate :math:`a = 0.5` and spectral radius
# :math:`\rho = 0.9` a disturbance decays roughly like :math:`(1 - a (1 - \rho))^k`, by a factor
# :math:`e` every :math:`1 / (a (1 - \rho)) = 20` steps. So after an anomaly the forecaster keeps
# erring for a few dozen steps -- the *echo* of the anomaly -- and that is where the alarms
# outside the anomalies are; away from the anomalies the healthy signal raises none.
echo = np.zeros(n_test, dtype=bool)
for _, stop in events.values():
    echo[stop + window : stop + 80] = True
false_alarms = alarms & ~near
print(
    f"false alarm steps: {false_alarms.sum()}, of which in the 75 steps after an anomaly: "
    f"{np.sum(false_alarms & echo)}, elsewhere: {np.sum(false_alarms & ~echo)}"
)

fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True)
ax1.plot(test, lw=0.7, color="k")
for name, (s, e) in events.items():
    ax1.axvspan(s - 2, e + 2, color="tab:red", alpha=0.25)
    ax1.text((s + e) / 2, 2.0, name, ha="center", fontsize="small")
ax1.set_ylim(-2.2, 2.5)
ax1.set_ylabel("signal")
ax1.set_title("test period, injected anomalies shaded")
ax2.plot(test_score, lw=0.8, label="smoothed prediction error")
ax2.axhline(threshold, color="tab:red", ls="--", label="threshold")
ax2.plot(np.flatnonzero(alarms), test_score[alarms], "r.", ms=3, label="alarm")
ax2.set_yscale("log")
ax2.set_xlabel("test step")
ax2.set_ylabel("score")
ax2.legend(loc="upper right", fontsize="small")
fig.tight_layout()
plt.show()

# %%
# References: H. Jaeger, "The 'echo state' approach to analysing and training recurrent neural
# networks", GMD Report 148, 2001; P. Malhotra, L. Vig, G. Shroff and P. Agarwal, "Long short
# term memory networks for anomaly detection in time series", ESANN 2015.
