"""
Speech recognition with CTC: spoken digits from voices never heard in training
==============================================================================

A bidirectional LSTM reads a spectrogram and writes the digits it hears, trained with
connectionist temporal classification (CTC; Graves, Fernández, Gomez & Schmidhuber 2006): the
training data say *which* digits an utterance holds, never *when* each is spoken, and the CTC
loss sums over every way of placing them in time, with a *blank* symbol for the steps in
between. Decoding turns the per-step outputs back into text, by best path (greedy) or by
prefix beam search.

The audio is real speech made by a synthesiser: random digit strings spoken by eSpeak NG in 24
voices at random speeds, pitches and word gaps, with a little noise. The package ships their
log-mel features (``recurrent_zoo.tasks.spoken_digits``; ``scripts/make_spoken_digits.py``
made them), so nothing here needs the synthesiser. Six voices are held out: no training
utterance uses their voice variants, so the test measures recognition of unseen speakers.
This example trains a small network for a few epochs; the full setting, three seeds, is
``benchmarks/speech_ctc.py`` and its recorded result is at the end.
"""

# %%
# The data: log-mel spectrograms and their transcripts
# ----------------------------------------------------
# 24 mel bands every 10 ms. For the network each utterance is normalised (per band, zero mean
# and unit variance) and four consecutive frames are stacked into one step of 96 features, so
# a step covers 40 ms and a digit takes about eight steps.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.decoding import ctc_beam_search, ctc_greedy_decode
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.tasks import character_error_rate, spoken_digits, spoken_digits_info
from recurrent_zoo.tasks.speech import decode_labels
from recurrent_zoo.training import ctc_posteriors, fit, predict

info = spoken_digits_info()
STACK = 4
train, test = spoken_digits(stack=STACK)
_, raw_test = spoken_digits(normalize=False)  # unnormalised log-mel, for display only
print(
    f"{info['n_utterances']} utterances by {len(info['voices'])} voices (eSpeak NG "
    f"{info['espeak_ng_debian_package']}); {len(train)} for training, {len(test)} for testing"
)
print("test voices:", ", ".join(sorted(set(test.info["voice"]))))

# one utterance of three or more digits from each of three test voices
voices = sorted(set(test.info["voice"]))
refs = test.info["transcripts"]
speaker = test.info["voice"]
shown = [next(i for i, t in enumerate(refs) if speaker[i] == u and len(t) >= 3) for u in voices[:3]]
fig, axes = plt.subplots(1, 3, figsize=(11, 3), sharey=True)
for ax, n in zip(axes, shown, strict=True):
    T = raw_test.lengths[n]
    ax.imshow(
        raw_test.inputs[:T, n].T,
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=(0, T / 100, 0, 24),
    )
    ax.set_title(f'"{test.info["transcripts"][n]}" ({test.info["voice"][n]})', fontsize=9)
    ax.set_xlabel("time (s)")
axes[0].set_ylabel("mel band")
fig.tight_layout()
plt.show()

# %%
# The network and its training
# ----------------------------
# One bidirectional LSTM layer (PyTorch's equations) and a linear readout to the 10 digits and
# the blank, trained by ``fit`` with ``loss="ctc"``: the targets are the label sequences, the
# ``lengths`` the utterances' numbers of steps. The loss is the negative log-probability of
# the transcript, divided by its number of digits.
H = 32
model = Stacked(
    [
        LSTM(train.input_size, H, bidirectional=True, seed=0),
        Linear(2 * H, train.output_size, seed=1),  # 11 classes: blank + "0".."9"
    ]
)
history = fit(
    model,
    train.inputs,
    train.targets,
    loss="ctc",
    lengths=train.lengths,
    lr=6e-3,
    epochs=10,
    batch_size=32,
    clip_norm=5.0,
    validation_data=(test.inputs, test.targets, None, test.lengths),
    seed=0,
)
print(
    f"trained in {history.wall_time:.0f} s; CTC loss per digit: training "
    f"{history['loss'][-1]:.3f}, unseen voices {history['val_loss'][-1]:.3f}"
)

# %%
# What the network outputs: spikes
# --------------------------------
# A CTC network says "blank" most of the time and emits each digit as a short spike,
# wherever in the word it is surest. Below, for one test utterance, the spectrogram, the
# output distribution at every step (the blank in grey), and the CTC alignment posteriors
# :math:`\gamma_t(s)`: given the transcript, the probability that the path is at position
# :math:`s` of the blank-interleaved transcript at step :math:`t`.
logits = predict(model, test.inputs, test.lengths)  # (T, N, 11)
# the first test utterance of five digits or more with a digit said twice in a row
n = next(
    i
    for i, t in enumerate(refs)
    if len(t) >= 5 and any(t[k] == t[k + 1] for k in range(len(t) - 1))
)
T = test.lengths[n]
text = refs[n]
steps = np.arange(T) + 0.5  # the middle of each step
probs = np.exp(logits[:T, n] - logits[:T, n].max(axis=1, keepdims=True))
probs /= probs.sum(axis=1, keepdims=True)
gamma, extended = ctc_posteriors(logits[:T, n : n + 1], [test.targets[: len(text), n]])

fig, axes = plt.subplots(3, 1, figsize=(9, 7), sharex=True)
axes[0].imshow(
    raw_test.inputs[: STACK * T, n].T,
    origin="lower",
    aspect="auto",
    cmap="magma",
    extent=(0, T, 0, 24),
)
axes[0].set_ylabel("mel band")
axes[0].set_title(f'"{text}" spoken by {test.info["voice"][n]} (unseen voice)')
axes[1].plot(steps, probs[:, 0], color="0.6", label="blank")
colors = plt.cm.tab10(np.arange(10))
for d in range(10):
    if probs[:, d + 1].max() > 0.05:
        axes[1].plot(steps, probs[:, d + 1], color=colors[d], label=str(d))
axes[1].set_ylabel("output probability")
axes[1].legend(ncol=6, fontsize=8, loc="center right")
symbols = ["-" if k == 0 else decode_labels([k]) for k in extended[0]]
axes[2].imshow(
    gamma[:, 0].T,
    origin="lower",
    aspect="auto",
    cmap="Greys",
    interpolation="none",
    extent=(0, T, -0.5, len(symbols) - 0.5),
)
axes[2].set_yticks(range(len(symbols)), symbols)
axes[2].set_ylabel("position in the transcript")
axes[2].set_xlabel(f"step ({10 * STACK} ms)")
fig.tight_layout()
plt.show()

# %%
# Decoding: best path and prefix beam search
# ------------------------------------------
# Greedy decoding takes the most probable symbol at each step, merges repeats and drops the
# blanks. Prefix beam search keeps the ``beam_width`` most probable transcripts-so-far, each
# with the probability of its paths ending in a blank and not, and so sums over alignments
# instead of following one. The character error rate (CER) is the edit distance to the
# reference over the reference's length, over all test utterances.
greedy = [decode_labels(l) for l in ctc_greedy_decode(logits, test.lengths)]
beam = [decode_labels(l) for l in ctc_beam_search(logits, test.lengths, beam_width=8)]
print(
    f"CER on unseen voices: greedy {character_error_rate(refs, greedy):.2%}, "
    f"prefix beam {character_error_rate(refs, beam):.2%}"
)
for v in voices:
    idx = [i for i, u in enumerate(speaker) if u == v]
    cer = character_error_rate([refs[i] for i in idx], [beam[i] for i in idx])
    print(f"  {v:24s} CER {cer:6.2%}")
print("some test utterances (reference -> prefix beam):")
for i in range(0, len(refs), 24):
    print(f"  {refs[i]:>6s} -> {beam[i]:6s} {'' if beam[i] == refs[i] else '  <- error'}")

# %%
# The full setting
# ----------------
# ``benchmarks/speech_ctc.py`` trains a larger network for longer, three seeds, and records
# its output in ``benchmarks/results/speech_ctc.txt`` (shown on the benchmarks page); its
# summary line:
from pathlib import Path  # noqa: E402

try:
    recorded = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "speech_ctc.txt"
except NameError:  # run interactively, without __file__
    recorded = Path("benchmarks") / "results" / "speech_ctc.txt"
if recorded.exists():
    lines = recorded.read_text().splitlines()
    print("\n".join(line for line in lines if line.startswith(("settings", "mean over"))))
else:
    print("no recorded run found (run benchmarks/speech_ctc.py)")

# %%
# References: A. Graves, S. Fernández, F. Gomez and J. Schmidhuber, "Connectionist temporal
# classification: labelling unsegmented sequence data with recurrent neural networks", ICML
# 2006; A. Y. Hannun, A. L. Maas, D. Jurafsky and A. Y. Ng, "First-pass large vocabulary
# continuous speech recognition using bi-directional recurrent DNNs", arXiv:1408.2873, 2014
# (prefix beam search); A. Graves, A. Mohamed and G. Hinton, "Speech recognition with deep
# recurrent neural networks", ICASSP 2013 (bidirectional LSTMs trained with CTC).
