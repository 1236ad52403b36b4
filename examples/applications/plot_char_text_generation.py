"""
Character-level text generation
===============================

A recurrent language model reads text one character at a time and predicts the next one; run
forward on its own samples, it writes (Elman 1990; Sutskever, Martens & Hinton 2011; Karpathy
2015). We train a GRU on a text every Python installation ships: *The Zen of Python*, kept
ROT13-encoded in the standard library's ``this`` module. The corpus is tiny -- 19 aphorisms -- so
the model learns it nearly by heart in seconds; the point is to see the whole pipeline: one-hot
characters, per-step cross-entropy trained by BPTT with :func:`recurrent_zoo.training.fit`,
then sampling with a *temperature*.
"""

# %%
# The text
# --------
# ``this.s`` holds the Zen ROT13-encoded (importing ``this`` also prints it, which we silence).
import codecs
import contextlib
import io

import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.gru import GRU
from recurrent_zoo.training import fit


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


with contextlib.redirect_stdout(io.StringIO()):
    import this

text = codecs.decode(this.s, "rot13")
chars = sorted(set(text))
index = {c: i for i, c in enumerate(chars)}
V = len(chars)
print(f"{len(text)} characters, {V} distinct; it begins:\n")
print(text[:120])

# %%
# Training data
# -------------
# Windows of ``T`` characters, starting every few characters; the target at each step is the
# next character. Inputs are one-hot, time-major ``(T, N, V)``; targets are class indices
# ``(T, N)``.
T, stride = 48, 3
ids = np.array([index[c] for c in text])
starts = np.arange(0, len(ids) - T - 1, stride)
X = np.eye(V)[np.stack([ids[s : s + T] for s in starts], axis=1)]  # (T, N, V)
Y = np.stack([ids[s + 1 : s + T + 1] for s in starts], axis=1)  # (T, N)
print(f"{X.shape[1]} training windows of {T} characters")

# %%
# The model: a GRU with a linear readout to one logit per character, trained with Adam on the
# softmax cross-entropy of every step.
model = Stacked([GRU(V, 96, seed=0), Linear(96, V, seed=1)])
history = fit(
    model,
    X,
    Y,
    loss="cross_entropy",
    metrics=["accuracy"],
    optimizer="adam",
    lr=0.01,
    epochs=30,
    batch_size=32,
    clip_norm=5.0,
    seed=0,
)
bits = np.array(history["loss"]) / np.log(2)
print(f"first epoch: {bits[0]:.2f} bits per character (uniform guessing: {np.log2(V):.2f})")
print(f"last epoch:  {bits[-1]:.2f} bits per character, accuracy {history['accuracy'][-1]:.1%}")

# %%
# Sampling with a temperature
# ---------------------------
# The model runs one character at a time, carrying its state from call to call. The next
# character is drawn from :math:`p_i \propto \exp(z_i / \tau)`: a low temperature
# :math:`\tau` picks the likeliest character almost always (the text comes back nearly
# verbatim), a high one samples more freely (new, less correct, "words").


def sample(prompt, n_chars, temperature, seed=0):
    rng = np.random.default_rng(seed)
    state = None
    x = np.eye(V)[[index[c] for c in prompt]][:, None, :]  # (len(prompt), 1, V)
    out = list(prompt)
    for _ in range(n_chars):
        logits, state = model.forward(x, state=state)
        p = softmax(logits[-1, 0] / temperature)
        c = rng.choice(V, p=p)
        out.append(chars[c])
        x = np.eye(V)[[c]][:, None, :]  # (1, 1, V)
    return "".join(out)


for temperature in (0.3, 1.0, 1.5):
    print(f"--- temperature {temperature}")
    print(sample("Beautiful is", 160, temperature))

# %%
# What the model expects next
# ---------------------------
# The readout's softmax after a prompt, starting from the zero state. Given a whole line the
# model knows how it ends; given only ``"better than "`` it cannot know which of the Zen's
# "... is better than ..." lines it is in, and spreads its bets over their continuations
# (*u*\ gly, *i*\ mplicit, *c*\ omplex, *n*\ ested, *n*\ ever, ...).
prompt = "better than "
logits, _ = model.forward(np.eye(V)[[index[c] for c in prompt]][:, None, :])
p = softmax(logits[-1, 0])
top = np.argsort(p)[::-1][:6]
print(f"after {prompt!r}: " + ", ".join(f"{chars[i]!r} {p[i]:.2f}" for i in top))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
ax1.plot(range(1, len(bits) + 1), bits, marker=".")
ax1.axhline(np.log2(V), color="gray", ls="--", label="uniform")
ax1.set_xlabel("epoch")
ax1.set_ylabel("bits per character")
ax1.set_title("training loss")
ax1.legend()
ax2.bar([repr(chars[i]) for i in top], p[top], color="tab:purple")
ax2.set_title(f"next character after {prompt!r}")
ax2.set_ylabel("probability")
fig.tight_layout()
plt.show()

# %%
# References: J. L. Elman, "Finding structure in time", Cognitive Science 14(2), 1990;
# I. Sutskever, J. Martens and G. E. Hinton, "Generating text with recurrent neural networks",
# ICML 2011; A. Karpathy, "The unreasonable effectiveness of recurrent neural networks", 2015.
