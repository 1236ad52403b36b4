"""How well does the video tagger's frame encoder name the digits? A per-frame diagnostic.

``benchmarks/video_tagging.py`` splits the tagger's held-out errors by factor; the largest is
naming the two digits of a frame (71.9 % of held-out frames at 20 epochs, where a linear
classifier on the raw 8x8 images names ~92 % of pairs). This script asks whether the *frame
encoder* can name them when told to directly: the frames of ``moving_digits`` videos (every
``--every``-th frame of ``--train`` videos; 300 held-out videos with held-out digit images),
each a one-step sequence, with a dense per-frame target from the generator's ground truth (the
two digits present, 1/2 each: a softmax over the 10 classes, cross-entropy), learnt by the
encoder + ``Linear(F, 128, tanh)`` + ``Linear(128, 10)``. A frame counts as named if its two
highest-scoring classes are the video's two digits. It compares encoders, e.g. the tagger's
default ``PatchKeypoints`` (16 filters, presence and position only) against the same with
``--glimpse`` (each channel also passes on the pixels under its spatial softmax). Nothing here
changes the tagging benchmark or its held-out evaluation; it only measures the encoder.

Run::

    nice python benchmarks/video_frame_naming.py               # keypoints only
    nice python benchmarks/video_frame_naming.py --glimpse     # with glimpses

Recorded in ``benchmarks/results/video_tagging.txt``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from recurrent_zoo import Linear, PatchKeypoints, Stacked
from recurrent_zoo.tasks.moving_digits import moving_digits
from recurrent_zoo.training import fit, predict


def frames(data, every):
    """Every ``every``-th frame as a one-step sequence ``(1, M, pixels)`` and its digits as
    class probabilities ``(1, M, 10)`` (1/2 on each digit of the video)."""
    X = data.inputs[::every]  # (T', N, pixels)
    T, N, _ = X.shape
    Y = np.zeros((T, N, 10))
    for k in range(data.info["digits"].shape[1]):
        Y[:, np.arange(N), data.info["digits"][:, k]] = 1.0 / data.info["digits"].shape[1]
    return X.reshape(1, T * N, -1).astype(np.float32), Y.reshape(1, T * N, 10)


def named(model, X, Y, k=2):
    """The fraction of frames whose ``k`` highest-scoring classes are the true ones."""
    top = np.sort(np.argsort(-predict(model, X)[0], axis=1)[:, :k], axis=1)
    true = np.sort(np.argsort(-Y[0], axis=1)[:, :k], axis=1)
    return float((top == true).all(axis=1).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=int, default=1500, help="training videos")
    parser.add_argument("--every", type=int, default=4, help="keep every n-th frame")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--patch-hidden", type=int, default=None)
    parser.add_argument("--glimpse", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--init-gain", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"settings: {vars(args)}; load before {os.getloadavg()}")
    train = moving_digits(args.train, split="train", seed=args.seed)
    test = moving_digits(300, split="test", seed=10_000 + args.seed)
    (Xtr, Ytr), (Xte, Yte) = frames(train, args.every), frames(test, args.every)
    dt = np.float32
    enc = PatchKeypoints(
        (24, 24),
        (8, 8),
        args.channels,
        hidden=args.patch_hidden,
        glimpse=args.glimpse,
        seed=args.seed,
        dtype=dt,
    )
    enc.params["weight"] *= args.init_gain
    model = Stacked(
        [
            enc,
            Linear(enc.output_size, 128, activation="tanh", seed=args.seed + 1, dtype=dt),
            Linear(128, 10, seed=args.seed + 2, dtype=dt),
        ]
    )
    cpu0 = time.process_time()

    def report(epoch, logs):
        print(
            f"epoch {epoch + 1}  loss {logs['loss']:.3f}  held-out frames named "
            f"{named(model, Xte, Yte):.1%}  training frames (2000) "
            f"{named(model, Xtr[:, :2000], Ytr[:, :2000]):.1%}  CPU "
            f"{time.process_time() - cpu0:.0f} s  load {os.getloadavg()[0]:.1f}",
            flush=True,
        )

    fit(
        model,
        Xtr,
        Ytr,
        loss="cross_entropy",
        lr=1e-2,
        epochs=args.epochs,
        batch_size=32,
        clip_norm=5.0,
        seed=args.seed,
        callback=report,
    )


if __name__ == "__main__":
    main()
