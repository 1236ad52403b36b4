"""
Image description: captions of handwritten-digit scenes, with attention
=======================================================================

A network looks at a picture and writes a sentence about it: here, scenes of real handwritten
digits (scikit-learn's 8x8 digits, shipped inside the package) placed in the cells of a grid,
and captions from a small grammar that name the digits in reading order and say how each lies
relative to the next ("a 3 left of a 7 above and right of a 1"). The model is that of Xu et al.
(2015), "show, attend and tell", with a feed-forward net in place of their convolutional one:

* an *encoder* reads the image's regions (the grid's cells, each with its position one-hot)
  and makes a feature vector of each, the *memory*;
* an LSTM *decoder* writes the caption one word at a time; before each word it chooses, by
  additive attention (Bahdanau et al. 2015), which regions to read;
* a linear *readout* turns the decoder's state and what it read into the next word's logits.

All three are trained together by explicit backpropagation (``EncoderDecoder.fit``, teacher
forcing), and captions are written by greedy or beam search (``recurrent_zoo.decoding``). The
held-out scenes are made from digit images that training never saw. This example uses a 2x2
grid, small networks and 8 epochs so that it trains in about 10 CPU seconds (one BLAS thread,
as the docs build runs it); so short a training reaches about 28 % exactly right captions and
BLEU-4 about 47 on held-out scenes: a demonstration of the pipeline, not a finished
captioner. ``benchmarks/image_captioning.py`` runs the 3x3 grid with 2-4 digits, three seeds,
and its recorded result is at the end.
"""

# %%
# The scenes and their captions
# -----------------------------
# ``digit_scenes`` picks 1 or 2 distinct cells of a 2x2 grid of 10-pixel cells, a handwritten
# digit for each (pasted at a random offset in its cell) and writes the caption from the
# cells and classes. The encoder reads the four cells as a sequence of four regions of 100
# pixels, plus their positions.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.attention_decoder import AttentionDecoder
from recurrent_zoo.encoder_decoder import EncoderDecoder
from recurrent_zoo.tasks.scenes import (
    CAPTION_VOCABULARY,
    caption_bleu,
    decode_caption,
    digit_scenes,
    encode_captions,
)

settings = dict(grid=2, min_digits=1, max_digits=2)
train = digit_scenes(2000, split="train", seed=0, **settings)
test = digit_scenes(300, split="test", seed=1, **settings)
X, X_test = train.regions(positions=True), test.regions(positions=True)  # (4, n, 104)
Y, lengths = encode_captions(train.captions)  # (T, n) word indices, "</s>" ends each caption

fig, axes = plt.subplots(1, 6, figsize=(11, 2.4))
for ax, n in zip(axes, range(6), strict=True):
    ax.imshow(train.images[n], cmap="gray_r")
    ax.set_title(train.captions[n], fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("training scenes and their captions")
fig.tight_layout()
plt.show()

# %%
# The model and its training
# --------------------------
# The encoder is applied to each region alike (a ``Linear`` layer acts step by step); the
# decoder's input is the previous word, one-hot; the loss is the cross-entropy per caption
# word, ``</s>`` included.
V = len(CAPTION_VOCABULARY)
START, END = CAPTION_VOCABULARY.index("<s>"), CAPTION_VOCABULARY.index("</s>")
M, H = 32, 48
model = EncoderDecoder(
    Stacked(
        [
            Linear(X.shape[2], 64, activation="tanh", seed=0),
            Linear(64, M, activation="tanh", seed=1),
        ]
    ),
    AttentionDecoder(V, H, M, attention_size=24, seed=2),
    Linear(H + M, V, seed=3),
    start=START,
    end=END,
)
history = model.fit(X, Y, target_lengths=lengths, epochs=8, batch_size=64, lr=8e-3, seed=0)
print(
    f"{model.n_params} parameters, trained in {history.wall_time:.0f} s; cross-entropy per "
    f"word: first epoch {history['loss'][0]:.3f}, last {history['loss'][-1]:.3f}"
)

# %%
# Greedy and beam search on held-out scenes
# -----------------------------------------
# Greedy search writes the most probable word at each step; beam search keeps the 4 most
# probable captions-so-far. The scores: the fraction of captions exactly right, and corpus
# BLEU-4 computed by sacrebleu (``pip install 'recurrent-zoo[text]'``).
results = {}
for name, width in (("greedy", 1), ("beam (4)", 4)):
    captions = [decode_caption(c) for c in model.generate(X_test, max_length=12, beam_width=width)]
    exact = np.mean([c == r for c, r in zip(captions, test.captions, strict=True)])
    results[name] = captions
    print(
        f"{name:9s}: exact captions {exact:.1%}, BLEU-4 {caption_bleu(test.captions, captions):.1f}"
    )

# %%
# Where the decoder looked
# ------------------------
# For held-out scenes with two digits, the attention weights over the four regions while the
# model wrote its own (beam) caption, shown on the image for the words that name digits: the
# decoder reads the cell of the digit it is about to name.
captions = results["beam (4)"]
two = [n for n in range(len(test)) if len(test.digits[n]) == 2][:3]
ids, id_lengths = encode_captions([captions[n] for n in two])
weights = model.attention(X_test[:, two], ids, target_lengths=id_lengths)  # (T, 3, 4)
fig, axes = plt.subplots(len(two), 3, figsize=(7.5, 2.6 * len(two)))
for row, n in enumerate(two):
    words = captions[n].split()
    digit_steps = [t for t, w in enumerate(words) if w.isdigit()][:2]
    axes[row, 0].imshow(test.images[n], cmap="gray_r")
    axes[row, 0].set_title(f"written: {captions[n]}", fontsize=8)
    for col, t in enumerate(digit_steps, start=1):
        alpha = weights[t, row].reshape(2, 2)
        axes[row, col].imshow(test.images[n], cmap="gray_r")
        axes[row, col].imshow(
            np.kron(alpha, np.ones((10, 10))), cmap="Reds", alpha=0.5, vmin=0, vmax=1
        )
        axes[row, col].set_title(f'attention writing "{words[t]}"', fontsize=8)
    for ax in axes[row]:
        ax.set_xticks([])
        ax.set_yticks([])
fig.tight_layout()
plt.show()

# %%
# The full setting
# ----------------
# ``benchmarks/image_captioning.py`` trains on 3x3 scenes of 2-4 digits, three seeds, and
# records its output in ``benchmarks/results/image_captioning.txt``; the latest run's settings
# (which may be reduced: the file says how) and summary line:
from pathlib import Path  # noqa: E402

try:
    recorded = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
except NameError:  # run interactively, without __file__
    recorded = Path("benchmarks") / "results"
recorded = recorded / "image_captioning.txt"
if recorded.exists():
    lines = recorded.read_text().split("\n-----")[0].splitlines()  # the latest run only
    print("\n".join(line for line in lines if line.startswith(("settings", "mean over"))))
else:
    print("no recorded run found (run benchmarks/image_captioning.py)")

# %%
# References: K. Xu, J. Ba, R. Kiros, K. Cho, A. Courville, R. Salakhutdinov, R. Zemel and Y.
# Bengio, "Show, attend and tell: neural image caption generation with visual attention", ICML
# 2015; D. Bahdanau, K. Cho and Y. Bengio, "Neural machine translation by jointly learning to
# align and translate", ICLR 2015; K. Papineni, S. Roukos, T. Ward and W.-J. Zhu, "BLEU: a
# method for automatic evaluation of machine translation", ACL 2002; M. Post, "A call for
# clarity in reporting BLEU scores", WMT 2018 (sacrebleu).
