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
from video_tagging import frames_named, naming_frames  # the same frames the tagger pretrains on

from recurrent_zoo import Linear, PatchKeypoints, Stacked
from recurrent_zoo.tasks.moving_digits import moving_digits
from recurrent_zoo.training import fit


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
    (Xtr, Ytr), (Xte, Yte) = naming_frames(train, args.every), naming_frames(test, args.every)
    Xtr, Xte = Xtr.astype(np.float32), Xte.astype(np.float32)
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
            f"{frames_named(model, Xte, Yte, 2):.1%}  training frames (2000) "
            f"{frames_named(model, Xtr[:, :2000], Ytr[:, :2000], 2):.1%}  CPU "
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
