"""Speech recognition with CTC: a bidirectional LSTM on the shipped spoken-digits features.

Trains ``LSTM(features, H, num_layers=L, bidirectional=True)`` + ``Linear(2H, 11)`` (the digits
and the blank) with the CTC loss on the 18 training voices and reports the character error rate
(CER) on the 6 test voices, which no training utterance uses, with best-path (greedy) and prefix
beam search decoding, for several seeds. The issue's target: CER <= 5 % on unseen voices.

Run (the seeds in parallel processes, one BLAS thread each)::

    nice python benchmarks/speech_ctc.py --jobs 3 | tee benchmarks/results/speech_ctc.txt

The output records the settings, per-epoch training loss and test CER, the final CERs per
seed, their mean, the wall time and the load average.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import time

import numpy as np
from threadpoolctl import threadpool_limits

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.decoding import ctc_beam_search, ctc_greedy_decode
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.tasks.speech import character_error_rate, decode_labels, spoken_digits
from recurrent_zoo.training import fit, predict


def cer(model, data, decoder, **kwargs):
    logits = predict(model, data.inputs, data.lengths, batch_size=64)
    hyps = [decode_labels(l) for l in decoder(logits, data.lengths, **kwargs)]
    return character_error_rate(data.info["transcripts"], hyps), hyps


def run(seed, args, train, test):
    model = Stacked(
        [
            LSTM(
                train.input_size, args.hidden, num_layers=args.layers, bidirectional=True, seed=seed
            ),
            Linear(2 * args.hidden, train.output_size, seed=seed + 1000),
        ]
    )
    log = []

    def report(epoch, logs):
        if (epoch + 1) % args.eval_every == 0 or epoch + 1 == args.epochs:
            c, _ = cer(model, test, ctc_greedy_decode)
            log.append((epoch + 1, logs["loss"], c))
            print(
                f"  seed {seed} epoch {epoch + 1:3d}  loss {logs['loss']:.4f}  "
                f"test CER (greedy) {c:.2%}  load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        return None

    start = time.perf_counter()
    fit(
        model,
        train.inputs,
        train.targets,
        loss="ctc",
        lengths=train.lengths,
        lr=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        clip_norm=args.clip_norm,
        seed=seed,
        callback=report,
    )
    train_time = time.perf_counter() - start
    greedy, _ = cer(model, test, ctc_greedy_decode)
    start = time.perf_counter()
    beam, hyps = cer(model, test, ctc_beam_search, beam_width=args.beam_width)
    beam_time = time.perf_counter() - start
    train_greedy, _ = cer(model, train, ctc_greedy_decode)
    wrong = [(r, h) for r, h in zip(test.info["transcripts"], hyps, strict=True) if r != h]
    return {
        "seed": seed,
        "test_cer_greedy": greedy,
        "test_cer_beam": beam,
        "train_cer_greedy": train_greedy,
        "test_utterances_wrong_beam": len(wrong),
        "examples_wrong": wrong[:8],
        "train_seconds": train_time,
        "beam_search_seconds": beam_time,
        "curve": log,
    }


def _run_in_worker(seed, args):
    train, test = spoken_digits(features=args.features, stack=args.stack)
    with threadpool_limits(args.blas_threads):
        return run(seed, args, train, test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--stack", type=int, default=3)
    parser.add_argument("--features", default="log_mel")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--clip-norm", type=float, default=5.0)
    parser.add_argument("--beam-width", type=int, default=10)
    parser.add_argument("--eval-every", type=int, default=5)
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="seeds trained in parallel processes")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    train, test = spoken_digits(features=args.features, stack=args.stack)
    print(f"settings: {json.dumps(vars(args))}")
    print(
        f"train: {len(train)} utterances, {len(set(train.info['voice']))} voices; test: "
        f"{len(test)} utterances, voices {sorted(set(test.info['voice']))}"
    )
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, load before {os.getloadavg()}"
    )
    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(_run_in_worker, args.seeds, [args] * len(args.seeds)))
    for seed, r in zip(args.seeds, results, strict=True):
        print(
            f"seed {seed}: test CER greedy {r['test_cer_greedy']:.2%}, prefix beam "
            f"(width {args.beam_width}) {r['test_cer_beam']:.2%}; train CER "
            f"{r['train_cer_greedy']:.2%}; {r['test_utterances_wrong_beam']} of {len(test)} "
            f"test utterances wrong; trained in {r['train_seconds']:.0f} s, beam search over the "
            f"test set {r['beam_search_seconds']:.1f} s"
        )
        print(f"  errors (reference -> beam): {r['examples_wrong']}")
    g = [r["test_cer_greedy"] for r in results]
    b = [r["test_cer_beam"] for r in results]
    print(
        f"mean over seeds {args.seeds}: test CER greedy {np.mean(g):.2%} (max {np.max(g):.2%}), "
        f"prefix beam {np.mean(b):.2%} (max {np.max(b):.2%}); target <= 5 %: "
        f"{'met' if max(np.max(g), np.max(b)) <= 0.05 else 'MISSED'} on every seed"
    )
    print(f"load after {os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": vars(args), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
