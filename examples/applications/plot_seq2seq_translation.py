"""
Translation with and without attention
======================================

A sequence-to-sequence model (Cho et al. 2014; Sutskever, Vinyals & Le 2014) reads a sentence
with an *encoder* recurrent net and writes the translation one word at a time with a *decoder*
recurrent net. This example trains two on the same data with the same budget:

* **a fixed-size summary**: a bidirectional GRU encoder (Schuster & Paliwal 1997) whose final
  state becomes the GRU decoder's initial state -- the whole sentence squeezed into one vector.
  Training is explicit backpropagation through time through both nets: the gradient of the
  decoder's loss with respect to its *initial state* -- ``decoder.state_grad`` -- is passed to
  the encoder's ``backward`` as the gradient of its *final state* (``dstate``);
* **additive attention** (Bahdanau, Cho & Bengio 2015): the same encoder, but the decoder (an
  :class:`~recurrent_zoo.attention_decoder.AttentionDecoder`) reads, before writing each word, a
  weighted average of *all* the encoder's outputs, with weights it chooses from its own state --
  an :class:`~recurrent_zoo.encoder_decoder.EncoderDecoder`.

The language pair is synthetic (:mod:`recurrent_zoo.tasks.toy_translation`), so that it is small
and the right answer is known: English-like subject-verb-object clauses joined by "and", into an
invented language with its own words, subject-object-verb order, adjectives after nouns and case
particles (like Japanese ``ga`` and ``o``)::

    big cat chases small dog   ->   miu gor ga wof pil o zat

We report how many *held-out* sentences -- never seen in training -- each model translates
exactly, and its BLEU-4, by sentence length, and look at where the attention looks.
"""

# %%
# The two languages
# -----------------
# Every clause is ``[adjective] noun verb [adjective] noun`` (3-5 words); a sentence is one or
# two clauses (3-11 words). The translation maps every word, moves the verb to the end of its
# clause, puts each adjective after its noun and marks the subject with ``ga`` and the object
# with ``o``; clauses are joined by ``se``.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.attention_decoder import AttentionDecoder
from recurrent_zoo.decoding import greedy_search
from recurrent_zoo.encoder_decoder import EncoderDecoder
from recurrent_zoo.gru import GRU
from recurrent_zoo.tasks import caption_bleu
from recurrent_zoo.tasks.toy_translation import (
    SOURCE_VOCABULARY,
    TARGET_VOCABULARY,
    alignment,
    decode_target,
    toy_translation,
)
from recurrent_zoo.training import Adam, SoftmaxCrossEntropy, clip_grad_norm

train = toy_translation(1000, max_clauses=2, seed=0)
test = toy_translation(300, max_clauses=2, exclude=train.sources, seed=1)
for s, t in list(zip(test.sources, test.targets, strict=True))[:3]:
    print(f"  {s:44s} -> {t}")
print(f"{len(train)} training pairs, {len(test)} held-out pairs")

# %%
# Encoding words as one-hot vectors
# ---------------------------------
# Sequences are time-major, ``(T, B, vocabulary)``, padded and described by their lengths.
# The decoder reads the previous target word (``<s>`` first) and must output the next one,
# ``</s>`` at the end: *teacher forcing*.
X, X_len = train.sources_onehot()  # (N, 1000, 13), (1000,)
Y, Y_len = train.target_ids()  # (T, 1000) word indices, </s> ended
X_test, X_test_len = test.sources_onehot()
V_src, V_tgt = len(SOURCE_VOCABULARY), len(TARGET_VOCABULARY)
END, START = TARGET_VOCABULARY.index("</s>"), TARGET_VOCABULARY.index("<s>")
eye = np.eye(V_tgt)
print(f"source vocabulary {V_src}, target vocabulary {V_tgt}, longest source {X.shape[0]} words")

# %%
# A fixed-size summary
# --------------------
# The encoder is one bidirectional GRU layer with ``H`` units per direction; its final state
# has shape ``(2, B, H)`` (forward direction, backward direction). The decoder is a GRU with
# ``2 H`` units followed by a linear readout over the target vocabulary; its initial state,
# shape ``(1, B, 2H)``, is the two directions' final states side by side. For each minibatch:
# encode, decode with teacher forcing, take the cross-entropy over the real target steps, then
# backward through the decoder, through the bridge, and through the encoder -- whose outputs
# are not used, so its ``dY`` is zero and its only gradient is ``dstate``.
H, epochs, batch_size, lr = 32, 6, 32, 0.01
encoder = GRU(V_src, H, bidirectional=True, seed=1)
decoder = Stacked([GRU(V_tgt, 2 * H, seed=2), Linear(2 * H, V_tgt, seed=3)])


def bridge(encoder_state):  # (2, B, H) -> (1, B, 2H)
    return np.concatenate([encoder_state[0], encoder_state[1]], axis=1)[None]


def bridge_backward(d_decoder_state):  # (1, B, 2H) -> (2, B, H)
    return np.stack([d_decoder_state[0, :, :H], d_decoder_state[0, :, H:]])


# one optimizer over both models' parameter arrays (the arrays themselves, not copies)
params = {f"enc.{k}": v for k, v in encoder.params.items()}
params.update({f"dec.{k}": v for k, v in decoder.params.items()})
optimizer = Adam(params, lr=lr)
loss_fn = SoftmaxCrossEntropy()


def train_step(idx):
    n, t = int(X_len[idx].max()), int(Y_len[idx].max())
    targets = Y[:t, idx]  # (t, b)
    previous = eye[np.concatenate([np.full((1, len(idx)), START), targets[:-1]])]  # (t, b, V)
    enc_out, enc_state = encoder.forward(X[:n, idx], lengths=X_len[idx])
    logits, _ = decoder.forward(previous, state=(bridge(enc_state), None), lengths=Y_len[idx])
    loss, dlogits = loss_fn(logits, targets, lengths=Y_len[idx])
    decoder.backward(dlogits)
    d_dec_state, _ = decoder.state_grad  # (gradient for the GRU, None for the readout)
    encoder.backward(np.zeros_like(enc_out), dstate=bridge_backward(d_dec_state))
    grads = {f"enc.{k}": v for k, v in encoder.grads.items()}
    grads.update({f"dec.{k}": v for k, v in decoder.grads.items()})
    clip_grad_norm(grads, 5.0)
    optimizer.step(grads)
    return loss


def summary_translate(X, lengths, max_length=26):
    """Greedy decoding by :func:`~recurrent_zoo.decoding.greedy_search`: the decoder's own
    previous word is fed back; the search keeps the state batch-first, ``(B, 2H)``."""
    _, enc_state = encoder.forward(X, lengths=lengths)

    def step(tokens, h):  # (b,), (b, 2H) -> (b, V) logits, (b, 2H)
        logits, (h_new, _) = decoder.forward(eye[tokens][None], state=(h[None], None))
        return logits[0], h_new[0]

    out = greedy_search(step, bridge(enc_state)[0], start=START, end=END, max_length=max_length)
    return [decode_target(o) for o in out]


rng = np.random.default_rng(0)
summary_curve = []
for epoch in range(epochs):
    order = rng.permutation(len(train))
    losses = [train_step(order[a : a + batch_size]) for a in range(0, len(train), batch_size)]
    guesses = summary_translate(X_test, X_test_len)
    summary_curve.append(np.mean([g == t for g, t in zip(guesses, test.targets, strict=True)]))
    print(
        f"summary    epoch {epoch + 1:2d}  loss {np.mean(losses):.3f}  held-out exact "
        f"{summary_curve[-1]:.1%}"
    )
print(f"{sum(p.size for p in params.values())} parameters")

# %%
# Additive attention
# ------------------
# The same encoder (its outputs, ``(N, B, 2H)``, are the memory), an attention decoder with a
# GRU cell of ``2 H`` units, and a readout from the decoder's ``[h_t; c_t]`` to the target
# words; :meth:`~recurrent_zoo.encoder_decoder.EncoderDecoder.fit` trains the three by
# backpropagation through time with the same epochs, minibatches, learning rate and clipping.
model = EncoderDecoder(
    GRU(V_src, H, bidirectional=True, seed=1),
    AttentionDecoder(V_tgt, 2 * H, memory_size=2 * H, attention_size=H, cell="gru", seed=2),
    Linear(4 * H, V_tgt, seed=3),
    start=START,
    end=END,
)
attention_curve = []


def report(epoch, logs):
    out = model.generate(X_test, X_test_len, max_length=26)
    exact = np.mean([decode_target(o) == t for o, t in zip(out, test.targets, strict=True)])
    attention_curve.append(exact)
    print(f"attention  epoch {epoch + 1:2d}  loss {logs['loss']:.3f}  held-out exact {exact:.1%}")


model.fit(X, Y, lengths=X_len, target_lengths=Y_len, epochs=epochs, batch_size=batch_size,
          lr=lr, clip_norm=5.0, seed=0, callback=report)  # fmt: skip
print(f"{model.n_params} parameters")

# %%
# What attention gains: held-out sentences by length
# --------------------------------------------------
# Greedy decoding for both. The fixed-size summary must carry every word of the sentence to
# wherever the decoder needs it -- the verb past the whole object, the second clause past the
# first -- in one vector of ``2 H`` numbers; the attention decoder reads each source word when
# it needs it. At this budget the attention model translates every held-out sentence exactly
# (from the third epoch on), while the summary model has learned only some of the shortest
# sentences, and its BLEU-4 is lower on the longer ones. Trained longer it gets further, the
# short sentences first (the larger setting recorded in ``benchmarks/results/
# seq2seq_attention.txt``).
guesses = {
    "fixed-size summary": summary_translate(X_test, X_test_len),
    "additive attention": [
        decode_target(o) for o in model.generate(X_test, X_test_len, max_length=26)
    ],
}
lengths = test.source_lengths
bins = [(3, 5), (6, 8), (9, 11)]
fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(12, 3.6))
for k, (name, hyps) in enumerate(guesses.items()):
    right = np.array([g == t for g, t in zip(hyps, test.targets, strict=True)])
    exact, bleu = [], []
    for lo, hi in bins:
        sel = np.flatnonzero((lengths >= lo) & (lengths <= hi))
        exact.append(right[sel].mean())
        bleu.append(caption_bleu([test.targets[i] for i in sel], [hyps[i] for i in sel]))
    print(f"{name}: held-out exact {right.mean():.1%}, BLEU-4 "
          f"{caption_bleu(test.targets, hyps):.1f}")  # fmt: skip
    for (lo, hi), e, b in zip(bins, exact, bleu, strict=True):
        print(f"    {lo:2d}-{hi:2d} source words: exact {e:6.1%}  BLEU-4 {b:5.1f}")
    x = np.arange(len(bins)) + (k - 0.5) * 0.38
    ax1.bar(x, exact, width=0.38, label=name)
    ax2.bar(x, bleu, width=0.38, label=name)
for ax, label in ((ax1, "fraction translated exactly"), (ax2, "BLEU-4")):
    ax.set_xticks(range(len(bins)), [f"{lo}-{hi}" for lo, hi in bins])
    ax.set_xlabel("source words")
    ax.set_ylabel(label)
ax1.set_ylim(0, 1.02)
ax1.set_title("held-out sentences, greedy")
ax2.set_ylim(0, 100)
ax2.set_title("held-out BLEU-4, greedy")
ax3.plot(range(1, epochs + 1), summary_curve, marker="o", label="fixed-size summary")
ax3.plot(range(1, epochs + 1), attention_curve, marker="o", label="additive attention")
ax3.set_ylim(0, 1.02)
ax3.set_xlabel("epoch")
ax3.set_ylabel("held-out fraction exact")
ax3.set_title("learning curves (same budget)")
ax3.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
# Where the attention looks
# -------------------------
# :func:`~recurrent_zoo.tasks.toy_translation.alignment` gives, for every target word, the
# source word it translates (none for the particles ``ga`` and ``o``). We count how often the
# attention's strongest weight, while the model writes a target word, falls on that source word,
# over all the held-out sentences (weights read with teacher forcing on the reference
# translations); then draw the weights while the model writes its own translation of a held-out
# two-clause sentence (each row sums to one). Nobody told the model the alignment: it learned
# it, and it is not monotonic -- the noun before its adjective, the verb last in its clause.
Y_test, Y_test_len = test.target_ids()
all_weights = model.attention(X_test, Y_test, X_test_len, Y_test_len)  # (T, 300, N)
hits = [
    all_weights[t, b].argmax() == j
    for b, s in enumerate(test.sources)
    for t, j in enumerate(alignment(s))
    if j >= 0
]
print(f"strongest attention on the source word translated: {np.mean(hits):.1%} of "
      f"{len(hits)} held-out target words")  # fmt: skip

two = int(np.flatnonzero(lengths == lengths.max())[0])
(out,) = model.generate(X_test[:, [two]], X_test_len[[two]], max_length=26)
ids = np.append(out, END)[:, None]  # (T, 1), </s> ended
weights = model.attention(X_test[:, [two]], ids, X_test_len[[two]])[:, 0, : X_test_len[two]]
source_words, target_words = test.sources[two].split(), decode_target(out).split() + ["</s>"]
print(f"{test.sources[two]}\n  -> {decode_target(out)}  (reference: {test.targets[two]})")
fig, ax = plt.subplots(figsize=(6.5, 6.5))
ax.imshow(weights, cmap="Greys", vmin=0, vmax=1)
ax.set_xticks(range(len(source_words)), source_words, rotation=60)
ax.set_yticks(range(len(target_words)), target_words)
ax.set_xlabel("source word")
ax.set_ylabel("target word written")
ax.set_title("attention weights")
fig.tight_layout()
plt.show()

# %%
# The recorded comparison at a larger setting (sentences of 1-3 clauses, 3 seeds) is
# ``benchmarks/seq2seq_attention.py``, its output in ``benchmarks/results/``.
#
# References: K. Cho et al., "Learning phrase representations using RNN encoder-decoder for
# statistical machine translation", EMNLP 2014; I. Sutskever, O. Vinyals and Q. V. Le,
# "Sequence to sequence learning with neural networks", NeurIPS 2014; D. Bahdanau, K. Cho and
# Y. Bengio, "Neural machine translation by jointly learning to align and translate", ICLR 2015;
# M. Schuster and K. K. Paliwal, "Bidirectional recurrent neural networks", IEEE Trans. Signal
# Processing 45(11), 1997.
