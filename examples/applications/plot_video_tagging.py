"""
Video tagging: what a bouncing digit is doing, frame by frame
=============================================================

Short videos of handwritten digits moving and bouncing off the walls (as in Moving MNIST,
Srivastava et al. 2015, here with scikit-learn's 8x8 digits, shipped inside the package), each
frame tagged with what each digit did since the previous frame: "the 3 moves left", "the 7
bounces off the top" -- 10 digits x 8 events, 80 tags. A recurrent tagger reads the frames in
order: a frame encoder makes features of each frame (trained jointly), an LSTM carries what
it saw, a linear readout scores the 80 tags. The frame encoder is
:class:`~recurrent_zoo.PatchKeypoints`: the same small bank of 8x8 filters applied to every
patch of the frame (a convolution), each filter read out as *where* its pattern is (the
expected row and column under a softmax over the positions) and *how strongly* it is there. A
filter that learns one digit's shape then reports that digit's position wherever it is, which
is what the LSTM needs to see it move. Beside it, a *per-frame* baseline with the
same layers but no recurrence: it sees one frame at a time, so it can tell which digit is there
but not which way it moves, nor that it just turned round at a wall.

Each digit does exactly one thing per frame, so the tags of a frame are not 80 independent
yes/no questions: with one digit per video, exactly one tag holds. The readout is therefore a
softmax over the 80 tags (cross-entropy), and each frame gets its most probable tag. (Eighty
independent sigmoids with a binary cross-entropy, the obvious multi-label choice, sit on the
plateau where every tag is predicted off: each tag is on in one frame in eighty.)

The held-out videos use digit images that training never saw. This example trains small
networks for 15 epochs on one digit per 16x16 video (about a minute of CPU);
``benchmarks/video_tagging.py`` runs more and longer videos, three seeds, and its recorded
result is at the end.
"""

# %%
# The videos and their tags
# -------------------------
# ``moving_digits`` gives the frames flattened (``(T, N, 16 * 16)``), the tags as 0/1 targets
# ``(T, N, 80)`` and a mask that leaves out frame 0 (nothing has happened yet).
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo import Linear, PatchKeypoints, Stacked
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.tasks.moving_digits import frame_tags, moving_digits, tag_scores
from recurrent_zoo.training import fit, predict

settings = dict(frames=10, size=16, n_digits=1, speeds=(1, 2))
train = moving_digits(1000, split="train", seed=0, **settings)
test = moving_digits(300, split="test", seed=1, **settings)
size = test.info["size"]

fig, axes = plt.subplots(1, 6, figsize=(11, 2.6))
for ax, t in zip(axes, range(6), strict=True):
    ax.imshow(train.inputs[t, 0].reshape(size, size), cmap="gray_r")
    ax.set_title("\n".join(frame_tags(train.targets[:, 0])[t]) or "(frame 0)", fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("the first six frames of a training video and their tags")
fig.tight_layout()
plt.show()

# %%
# A recurrent tagger and a per-frame baseline
# -------------------------------------------
# Both are trained by ``fit`` with the softmax cross-entropy over the 80 tags (the 0/1 targets
# are the class probabilities: one tag per frame) and the dataset's mask, same sizes, same
# seeds, same epochs. A frame's predicted tag is its highest-scoring one. The frame encoder:
# 16 filters of 8x8 pixels, so ``3 * 16`` features per frame; its filters start 4 times the
# default size, for sharper spatial softmaxes from the start. Single precision, for speed.
H, dt = 64, np.float32


def frame_encoder(seed):
    encoder = PatchKeypoints((size, size), (8, 8), 16, seed=seed, dtype=dt)
    encoder.params["weight"] *= 4.0
    return encoder


def tag_of_each_frame(logits):
    """0/1 predictions ``(T, N, 80)``: each frame's most probable tag."""
    return np.eye(80)[logits.argmax(axis=2)]


models = {
    "recurrent (LSTM)": Stacked(
        [
            frame_encoder(0),
            LSTM(48, H, seed=1, dtype=dt),
            Linear(H, 80, seed=2, dtype=dt),
        ]
    ),
    "per-frame": Stacked(
        [
            frame_encoder(0),
            Linear(48, H, activation="tanh", seed=1, dtype=dt),
            Linear(H, 80, seed=2, dtype=dt),
        ]
    ),
}
scores = {}
for name, model in models.items():
    history = fit(
        model,
        train.inputs,
        train.targets,
        mask=train.mask,
        loss="cross_entropy",
        lr=1e-2,
        epochs=15,
        batch_size=32,
        clip_norm=5.0,
        seed=0,
    )
    guess = tag_of_each_frame(predict(model, test.inputs))
    scores[name] = tag_scores(guess, test.targets, test.mask, threshold=0.5)
    right = guess[test.mask > 0].argmax(axis=1), test.targets[test.mask > 0].argmax(axis=1)
    scores[name]["digit"] = np.mean(right[0] // 8 == right[1] // 8)  # which digit
    scores[name]["event"] = np.mean(right[0] % 8 == right[1] % 8)  # what it does
    print(
        f"{name:16s} trained in {history.wall_time:4.1f} s; held-out: frame accuracy "
        f"{scores[name]['frame_accuracy']:.1%}, tag accuracy {scores[name]['tag_accuracy']:.1%}, "
        f"bounce F1 {scores[name]['event_f1']:.2f}; digit right {scores[name]['digit']:.1%}, "
        f"event right {scores[name]['event']:.1%}"
    )

# %%
# Scores on held-out videos
# -------------------------
# *Frame accuracy*: the frames whose tag is exactly right (and nothing else predicted);
# *tag accuracy*: the true tags predicted (the same here: one tag per frame); *bounce F1*: the
# F1 score of the bounce tags. Split in two, a tag says *which digit* (one frame shows it) and
# *what it does* (moves which way, bounces off which wall: that needs the frames before). The
# per-frame baseline names the digit (here even more often than the tagger) but can only guess
# the motion; the recurrent tagger gets the motion right in nearly every frame, and its errors
# are in the digit's class (so short a training on 1000 videos recognises held-out handwriting
# poorly).
fig, ax = plt.subplots(figsize=(7, 3))
keys = ("frame_accuracy", "event_f1", "digit", "event")
for i, name in enumerate(models):
    ax.bar(np.arange(4) + 0.4 * i, [scores[name][k] for k in keys], width=0.4, label=name)
ax.set_xticks(np.arange(4) + 0.2, ["frame accuracy", "bounce F1", "digit right", "event right"])
ax.set_ylim(0, 1)
ax.legend()
ax.set_title("held-out videos")
fig.tight_layout()
plt.show()

# %%
# One held-out video, tagged
# --------------------------
# The recurrent tagger's tags for the first frames of a held-out video in which a digit
# bounces; a wrong tag is marked.
logits = tag_of_each_frame(predict(models["recurrent (LSTM)"], test.inputs))
n = next(i for i in range(test.inputs.shape[1]) if (test.info["events"][1:7, i] >= 4).any())
true, guessed = frame_tags(test.targets[:, n]), frame_tags(logits[:, n], threshold=0.5)
fig, axes = plt.subplots(1, 6, figsize=(11, 2.9))
for panel, t in zip(axes, range(1, 7), strict=True):
    panel.imshow(test.inputs[t, n].reshape(size, size), cmap="gray_r")
    lines = [tag if tag in true[t] else f"{tag} (wrong)" for tag in guessed[t]]
    lines += [f"missed: {tag}" for tag in true[t] if tag not in guessed[t]]
    panel.set_title("\n".join(lines), fontsize=6.5)
    panel.set_xlabel(f"frame {t}", fontsize=8)
    panel.set_xticks([])
    panel.set_yticks([])
fig.tight_layout()
plt.show()

# %%
# The full setting
# ----------------
# ``benchmarks/video_tagging.py`` trains on more videos of 16 frames, three seeds, and records
# its output in ``benchmarks/results/video_tagging.txt``; the latest run's settings (which may
# be reduced: the file says how) and summary lines:
from pathlib import Path  # noqa: E402

try:
    recorded = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
except NameError:  # run interactively, without __file__
    recorded = Path("benchmarks") / "results"
recorded = recorded / "video_tagging.txt"
if recorded.exists():
    lines = recorded.read_text().split("\n-----")[0].splitlines()  # the latest run only
    print("\n".join(line for line in lines if line.startswith(("settings", "mean over"))))
else:
    print("no recorded run found (run benchmarks/video_tagging.py)")

# %%
# References: N. Srivastava, E. Mansimov and R. Salakhutdinov, "Unsupervised learning of video
# representations using LSTMs", ICML 2015 (Moving MNIST); S. Hochreiter and J. Schmidhuber,
# "Long short-term memory", Neural Computation 9(8), 1997.
