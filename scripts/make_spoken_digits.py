"""Make the spoken-digits feature set shipped in ``recurrent_zoo/tasks/data/spoken_digits.npz``.

Random digit strings are spoken by the eSpeak NG speech synthesiser in 24 voices (an accent and a
voice variant each), at random speeds, pitches and word gaps, with a little white noise, and
turned into log-mel spectrograms by :func:`recurrent_zoo.tasks.speech.log_mel_spectrogram`.
Only the features are kept (float16, a few MB); the audio is not. The library, its tests and the
gallery read the features and never need the synthesiser.

How it was made (and how to make it again)
------------------------------------------
On Debian 12 (bookworm), with eSpeak NG from Debian's archive::

    apt-get install -y espeak-ng            # 1.51+dfsg-10+deb12u2 was used
    python scripts/make_spoken_digits.py    # writes recurrent_zoo/tasks/data/spoken_digits.npz

The script is deterministic for a given eSpeak NG version and ``--seed`` (default 0): the
digit strings, voices, speeds, pitches, gaps and noise all come from one numpy generator. Another
eSpeak NG version may synthesise slightly different audio. The file records the version that made
it, the voices, the held-out test voices and every parameter below (``spoken_digits_info()``).

What is in it
-------------
- 24 voices: accent x variant, e.g. ``en-us+m1``, ``en-gb-scotland+f2``, ``en-029+klatt3``.
  Accents are eSpeak NG's English ones; variants are its voice variants (male formant sets
  m1-m7, female f1-f5, Klatt synthesisers, and a few named ones); variant k speaks with accent
  k mod 8. Six voices, whose variants no training voice uses, are the test voices; their six
  accents each have two training voices, so the test measures unseen speakers, not unseen
  accents.
- ``--per-voice`` (40) utterances per voice: ``1..6`` random digits, each spoken as its word
  ("zero" .. "nine"), speed uniform in [130, 210] words per minute (``-s``), pitch in [25, 75]
  (``-p``), extra gap between words 0-40 ms (``-g``).
- audio at 22 050 Hz from eSpeak NG, resampled to 16 kHz (``scipy.signal.resample_poly``), cut to
  the speech with 100 ms margins (samples above 2 % of the peak), white noise added at a
  signal-to-noise ratio uniform in [20, 40] dB;
- features: 24 log-mel bands (20 Hz - 8 kHz), 25 ms Hamming windows every 10 ms, 512-point FFT,
  pre-emphasis 0.97, natural log with a floor of 1e-10;
- stored quantised, to keep the file small: each utterance's log-mel values as uint8 steps of
  ``QUANTUM`` = 0.1 nat (0.43 dB) counted up from ``RANGE`` = 25.5 nats (111 dB) below that
  utterance's largest value (float32, ``top``): ``log_mel = top - 25.5 + 0.1 q``. The rounding
  error, at most 0.05 nat, is far below the added noise; values more than 25.5 nats below the
  top (none, at these signal-to-noise ratios) would be clipped.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import scipy.io.wavfile
import scipy.signal

from recurrent_zoo.tasks.speech import DIGIT_WORDS, log_mel_spectrogram

ACCENTS = (
    "en-us",
    "en",
    "en-gb-scotland",
    "en-029",
    "en-gb-x-rp",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-us-nyc",
)
VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7",
    "f1", "f2", "f3", "f4", "f5",
    "klatt", "klatt2", "klatt3", "klatt4",
    "croak", "linda", "steph", "aunty", "edward", "max", "paul", "Andy",
)  # fmt: skip
TEST_VARIANTS = ("m3", "m6", "f2", "klatt4", "aunty", "edward")  # one per accent: 2, 5, 0, 7, 3, 4

SAMPLE_RATE = 16000
QUANTUM, RANGE = 0.1, 25.5
FEATURES = {
    "n_mels": 24,
    "frame_length": 0.025,
    "frame_step": 0.010,
    "n_fft": 512,
    "preemphasis": 0.97,
    "fmin": 20.0,
    "fmax": 8000.0,
    "floor": 1e-10,
}


def voices() -> list[str]:
    """Accent+variant names: variant k takes accent k mod 8."""
    return [f"{ACCENTS[k % len(ACCENTS)]}+{v}" for k, v in enumerate(VARIANTS)]


def speak(voice: str, words: str, speed: int, pitch: int, gap: int, path: Path) -> np.ndarray:
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-g", str(gap)]
        + ["-w", str(path), words],
        check=True,
        capture_output=True,
    )
    rate, audio = scipy.io.wavfile.read(path)
    if rate != 22050 or audio.dtype != np.int16 or audio.ndim != 1:
        raise RuntimeError(f"unexpected audio from espeak-ng: {rate} Hz, {audio.dtype}")
    return audio.astype(np.float64) / 32768.0


def prepare(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    x = scipy.signal.resample_poly(audio, 320, 441)  # 22 050 Hz -> 16 kHz
    loud = np.flatnonzero(np.abs(x) > 0.02 * np.abs(x).max())
    margin = int(0.1 * SAMPLE_RATE)
    x = x[max(0, loud[0] - margin) : loud[-1] + margin]
    rms = np.sqrt(np.mean(x**2))
    return x + rng.normal(0.0, rms * 10 ** (-snr_db / 20), size=x.shape)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = Path(__file__).resolve().parent.parent
    parser.add_argument(
        "--out", type=Path, default=here / "recurrent_zoo" / "tasks" / "data" / "spoken_digits.npz"
    )
    parser.add_argument("--per-voice", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed: apt-get install -y espeak-ng")
    version = subprocess.run(
        ["espeak-ng", "--version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    package = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "espeak-ng"], capture_output=True, text=True
    ).stdout.strip()

    rng = np.random.default_rng(args.seed)
    names = voices()
    feats, texts, voice_ids, speeds, pitches, gaps, snrs = [], [], [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "utterance.wav"
        for v, voice in enumerate(names):
            for _ in range(args.per_voice):
                digits = rng.integers(0, 10, size=rng.integers(1, 7))
                speed, pitch = int(rng.integers(130, 211)), int(rng.integers(25, 76))
                gap, snr = int(rng.integers(0, 5)), float(rng.uniform(20.0, 40.0))
                words = " ".join(DIGIT_WORDS[d] for d in digits)
                audio = prepare(speak(voice, words, speed, pitch, gap, wav), snr, rng)
                feats.append(log_mel_spectrogram(audio, SAMPLE_RATE, **FEATURES))
                texts.append("".join(str(d) for d in digits))
                voice_ids.append(v)
                speeds.append(speed)
                pitches.append(pitch)
                gaps.append(gap)
                snrs.append(snr)
            print(f"{voice:24s} {args.per_voice} utterances", flush=True)

    offsets = np.concatenate([[0], np.cumsum([f.shape[0] for f in feats])]).astype(np.int64)
    top = np.array([f.max() for f in feats], dtype=np.float32)
    steps = [np.round((f - (t - RANGE)) / QUANTUM) for f, t in zip(feats, top, strict=True)]
    clipped = sum(int((s < 0).sum()) for s in steps)
    quantised = np.concatenate([np.clip(s, 0, 255) for s in steps]).astype(np.uint8)
    meta = {
        "espeak_ng_version": version,
        "espeak_ng_debian_package": package,
        "seed": args.seed,
        "per_voice": args.per_voice,
        "sample_rate": SAMPLE_RATE,
        "features": FEATURES,
        "test_voices": [n for n in names if n.split("+")[1] in TEST_VARIANTS],
        "speed_wpm": [130, 210],
        "pitch": [25, 75],
        "word_gap_10ms": [0, 4],
        "snr_db": [20.0, 40.0],
        "digits_per_utterance": [1, 6],
        "made_by": "scripts/make_spoken_digits.py",
        "quantum": QUANTUM,
        "range": RANGE,
        "clipped_values": clipped,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        features=quantised,  # (total frames, n_mels) uint8: top - RANGE + QUANTUM q
        top=top,  # (N,) float32: each utterance's largest log-mel value
        offsets=offsets,  # (N + 1,): utterance i is features[offsets[i]:offsets[i + 1]]
        transcripts=np.array(texts),  # (N,) unicode
        voice=np.array(voice_ids, dtype=np.int64),
        voices=np.array(names),
        speed=np.array(speeds, dtype=np.int64),
        pitch=np.array(pitches, dtype=np.int64),
        word_gap=np.array(gaps, dtype=np.int64),
        snr_db=np.array(snrs),
        meta=np.array(json.dumps(meta, sort_keys=True)),
    )
    size = args.out.stat().st_size
    print(f"{len(texts)} utterances, {offsets[-1]} frames, {size / 1e6:.2f} MB -> {args.out}")


if __name__ == "__main__":
    main()
