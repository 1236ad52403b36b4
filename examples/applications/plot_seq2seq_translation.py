"""
Translation with a bidirectional encoder and a GRU decoder
==========================================================

A sequence-to-sequence model (Cho et al. 2014; Sutskever, Vinyals & Le 2014) reads a sentence
with an *encoder* recurrent net, hands its final state to a *decoder* recurrent net as its
initial state, and the decoder writes the translation one word at a time. Here the encoder is a
bidirectional GRU (Schuster & Paliwal 1997), so that its summary sees the sentence from both
ends, and everything is trained by explicit backpropagation through time: the gradient of the
decoder's loss with respect to its *initial state* -- ``decoder.state_grad`` -- is passed to the
encoder's ``backward`` as the gradient of its *final state* (``dstate``).

The language pair is synthetic, so that it is small and the right answer is known: an
English-like subject-verb-object language with adjectives before nouns, and an invented
language with its own words, subject-object-verb order, adjectives after nouns and case
particles (like Japanese ``ga`` and ``o``)::

    big cat chases small dog   ->   miu gor ga wof pil o zat

We train on 75% of all sentences and report how many of the *held-out* sentences -- never seen
in training -- the model translates exactly.
"""

# %%
# The two languages
# -----------------
# Every sentence is ``[adjective] noun verb [adjective] noun``. The translation maps every
# word, moves the verb to the end, puts each adjective after its noun and marks the subject
# with ``ga`` and the object with ``o``.
import itertools

import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.gru import GRU
from recurrent_zoo.training import Adam, SoftmaxCrossEntropy, clip_grad_norm

nouns = {"cat": "miu", "dog": "wof", "bird": "tirr", "fish": "blub", "horse": "hin"}
adjectives = {"big": "gor", "small": "pil", "red": "rua"}
verbs = {"sees": "mek", "eats": "nom", "likes": "lov", "chases": "zat"}


def translate(sentence):
    words = sentence.split()
    verb_at = next(i for i, w in enumerate(words) if w in verbs)
    subject, verb, obj = words[:verb_at], words[verb_at], words[verb_at + 1 :]

    def phrase(p):  # [adj] noun -> noun [adj]
        return [nouns[p[-1]]] + [adjectives[a] for a in p[:-1]]

    return " ".join(phrase(subject) + ["ga"] + phrase(obj) + ["o", verbs[verb]])


noun_phrases = [[n] for n in nouns] + [[a, n] for a in adjectives for n in nouns]
sentences = [
    " ".join(s + [v] + o) for s, v, o in itertools.product(noun_phrases, verbs, noun_phrases)
]
pairs = [(s, translate(s)) for s in sentences]
print(f"{len(pairs)} sentence pairs, for example:")
for s, t in pairs[::400]:
    print(f"  {s:28s} -> {t}")

# %%
# Encoding words as one-hot vectors
# ---------------------------------
# Sequences are time-major, ``(T, B, vocabulary)``, padded to the longest sentence and
# described by their lengths. The decoder reads the previous target word (``<s>`` first) and
# must output the next one, ``</s>`` at the end: *teacher forcing*.
src_vocab = sorted({w for s in sentences for w in s.split()})
tgt_vocab = ["<s>", "</s>"] + sorted({w for _, t in pairs for w in t.split()})
src_index = {w: i for i, w in enumerate(src_vocab)}
tgt_index = {w: i for i, w in enumerate(tgt_vocab)}


def encode_sources(batch):
    lengths = np.array([len(s.split()) for s in batch])
    X = np.zeros((lengths.max(), len(batch), len(src_vocab)))  # (T, B, V_src)
    for b, s in enumerate(batch):
        for t, w in enumerate(s.split()):
            X[t, b, src_index[w]] = 1.0
    return X, lengths


def encode_targets(batch):
    ids = [[tgt_index[w] for w in t.split()] + [tgt_index["</s>"]] for t in batch]
    lengths = np.array([len(i) for i in ids])
    T = lengths.max()
    inputs = np.zeros((T, len(batch), len(tgt_vocab)))  # previous word, (T, B, V_tgt)
    targets = np.zeros((T, len(batch)), dtype=np.int64)  # next word, (T, B)
    for b, seq in enumerate(ids):
        previous = [tgt_index["<s>"]] + seq[:-1]
        inputs[np.arange(len(seq)), b, previous] = 1.0
        targets[: len(seq), b] = seq
    return inputs, targets, lengths


rng = np.random.default_rng(0)
order = rng.permutation(len(pairs))
n_train = int(0.75 * len(pairs))
train = [pairs[i] for i in order[:n_train]]
held_out = [pairs[i] for i in order[n_train:]]
print(f"source vocabulary {len(src_vocab)}, target vocabulary {len(tgt_vocab)}")
print(f"{len(train)} training pairs, {len(held_out)} held-out pairs")

# %%
# The model
# ---------
# The encoder is one bidirectional GRU layer with ``H`` units per direction; its final state
# has shape ``(2, B, H)`` (forward direction, backward direction). The decoder is a GRU with
# ``2 H`` units followed by a linear readout over the target vocabulary; its initial state,
# shape ``(1, B, 2H)``, is the two directions' final states side by side.
H = 32
encoder = GRU(len(src_vocab), H, bidirectional=True, seed=1)
decoder = Stacked([GRU(len(tgt_vocab), 2 * H, seed=2), Linear(2 * H, len(tgt_vocab), seed=3)])


def bridge(encoder_state):  # (2, B, H) -> (1, B, 2H)
    return np.concatenate([encoder_state[0], encoder_state[1]], axis=1)[None]


def bridge_backward(d_decoder_state):  # (1, B, 2H) -> (2, B, H)
    return np.stack([d_decoder_state[0, :, :H], d_decoder_state[0, :, H:]])


# one optimizer over both models' parameter arrays (the arrays themselves, not copies)
params = {f"enc.{k}": v for k, v in encoder.params.items()}
params.update({f"dec.{k}": v for k, v in decoder.params.items()})
optimizer = Adam(params, lr=0.01)
loss_fn = SoftmaxCrossEntropy()
print(f"{sum(p.size for p in params.values())} parameters")

# %%
# Training by BPTT through both nets
# ----------------------------------
# For each minibatch: encode, decode with teacher forcing, take the cross-entropy over the real
# target steps, then backward through the decoder, through the bridge, and through the encoder
# -- whose outputs are not used, so its ``dY`` is zero and its only gradient is ``dstate``.


def train_step(batch):
    X, src_len = encode_sources([s for s, _ in batch])
    Y_in, Y_out, tgt_len = encode_targets([t for _, t in batch])
    enc_out, enc_state = encoder.forward(X, lengths=src_len)
    logits, _ = decoder.forward(Y_in, state=(bridge(enc_state), None), lengths=tgt_len)
    loss, dlogits = loss_fn(logits, Y_out, lengths=tgt_len)
    decoder.backward(dlogits)
    d_dec_state, _ = decoder.state_grad  # (gradient for the GRU, None for the readout)
    encoder.backward(np.zeros_like(enc_out), dstate=bridge_backward(d_dec_state))
    grads = {f"enc.{k}": v for k, v in encoder.grads.items()}
    grads.update({f"dec.{k}": v for k, v in decoder.grads.items()})
    clip_grad_norm(grads, 5.0)
    optimizer.step(grads)
    return loss


def greedy_translate(batch, max_len=10):
    X, src_len = encode_sources(batch)
    _, enc_state = encoder.forward(X, lengths=src_len)
    state = (bridge(enc_state), None)
    word = np.full(len(batch), tgt_index["<s>"])
    out = []
    for _ in range(max_len):  # one step at a time, feeding back the chosen word
        x = np.eye(len(tgt_vocab))[word][None]  # (1, B, V_tgt)
        logits, state = decoder.forward(x, state=state)
        word = logits[0].argmax(axis=1)
        out.append(word)
    words = np.array(out).T  # (B, max_len)
    result = []
    for row in words:
        w = [tgt_vocab[i] for i in row]
        result.append(" ".join(w[: w.index("</s>")] if "</s>" in w else w))
    return result


def exact_match(data):
    guesses = greedy_translate([s for s, _ in data])
    return float(np.mean([g == t for g, (_, t) in zip(guesses, data, strict=True)]))


batch_size, epochs = 32, 12
losses, held_out_accuracy = [], []
for epoch in range(epochs):
    perm = rng.permutation(len(train))
    epoch_loss = [
        train_step([train[i] for i in perm[b : b + batch_size]])
        for b in range(0, len(train), batch_size)
    ]
    losses.append(float(np.mean(epoch_loss)))
    held_out_accuracy.append(exact_match(held_out))
    print(
        f"epoch {epoch + 1:2d}  loss {losses[-1]:.4f}  "
        f"held-out sentences translated exactly {held_out_accuracy[-1]:.1%}"
    )

# %%
# Held-out translations
# ---------------------
# Greedy decoding: the decoder's own previous word is fed back at every step.
guesses = greedy_translate([s for s, _ in held_out])
correct = [g == t for g, (_, t) in zip(guesses, held_out, strict=True)]
print(f"exact translations of held-out sentences: {np.mean(correct):.1%} of {len(held_out)}")
train_accuracy = exact_match(train)
print(f"exact translations of training sentences: {train_accuracy:.1%}")
for (s, t), g in list(zip(held_out, guesses, strict=True))[:6]:
    print(f"  {s:28s} -> {g:32s} {'ok' if g == t else 'expected: ' + t}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
ax1.plot(range(1, epochs + 1), losses, marker="o")
ax1.set_xlabel("epoch")
ax1.set_ylabel("cross-entropy per target word")
ax1.set_yscale("log")
ax1.set_title("training loss (teacher forcing)")
ax2.plot(range(1, epochs + 1), held_out_accuracy, marker="o", color="tab:green")
ax2.set_ylim(0, 1.02)
ax2.set_xlabel("epoch")
ax2.set_ylabel("fraction translated exactly")
ax2.set_title("held-out sentences, greedy decoding")
fig.tight_layout()
plt.show()

# %%
# References: K. Cho et al., "Learning phrase representations using RNN encoder-decoder for
# statistical machine translation", EMNLP 2014; I. Sutskever, O. Vinyals and Q. V. Le,
# "Sequence to sequence learning with neural networks", NeurIPS 2014; M. Schuster and
# K. K. Paliwal, "Bidirectional recurrent neural networks", IEEE Trans. Signal Processing
# 45(11), 1997.
