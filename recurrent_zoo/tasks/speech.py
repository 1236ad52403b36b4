r"""Speech features (log-mel spectrograms, MFCCs) and a spoken-digits data set.

Features
--------
A waveform :math:`x` sampled at :math:`f_s` Hz becomes a sequence of feature vectors, one per
*frame* (``frame_length`` seconds, every ``frame_step`` seconds; 25 ms every 10 ms is the common
choice), in the steps every speech front end takes:

1. pre-emphasis, :math:`x'_n = x_n - a\, x_{n-1}` (:math:`a = 0.97`), which flattens the
   spectral tilt of voiced speech;
2. framing and a Hamming window :math:`w_n = 0.54 - 0.46 \cos(2\pi n / (N - 1))`; the last
   frame is zero-padded, so ``n_frames = 1 + ceil((len(x) - N) / hop)`` (at least 1);
3. the power spectrum of each frame, :math:`P_k = |\sum_n w_n x'_n e^{-2\pi i k n / K}|^2`,
   :math:`k = 0..K/2` (an FFT of ``n_fft`` :math:`= K` points, the frame zero-padded);
4. a mel filterbank: triangular filters whose centres are equally spaced on the mel scale
   :math:`m(f) = 2595 \log_{10}(1 + f / 700)` (O'Shaughnessy 1987; the HTK form), each rising
   from 0 at the previous centre to 1 at its own and falling to 0 at the next, applied to
   :math:`P`;
5. the natural log of each band's energy (plus a floor, 1e-10, so silence stays finite):
   the *log-mel spectrogram*;
6. for MFCCs (Davis & Mermelstein 1980), the orthonormal DCT-II of the log-mel vector,
   keeping the first ``n_mfcc`` coefficients.

The data set
------------
:func:`spoken_digits` loads a small feature set shipped with the package: random digit strings
("four zero seven") spoken by the speech synthesiser eSpeak NG in several voices -- an accent
and a voice variant (formant set, male or female, Klatt synthesis) each --, at random speeds,
pitches and word gaps, with a little white noise, as log-mel spectrograms. It was made once by
``scripts/make_spoken_digits.py`` in the repository (which says how to rerun it; the synthesiser
is not needed to use the data). The test voices are never heard in training: their voice
variants appear in no training utterance.

References
----------
S. B. Davis and P. Mermelstein, "Comparison of parametric representations for monosyllabic word
recognition in continuously spoken sentences", IEEE Trans. ASSP 28(4):357-366, 1980.

D. O'Shaughnessy, *Speech Communication: Human and Machine*, Addison-Wesley, 1987 (the mel
formula).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import numpy as np
import scipy.fft

from .._core.validation import (
    NDArray,
    check_array,
    check_choice,
    check_positive_int,
    check_real,
)
from .base import SequenceDataset, check_bool

__all__ = [
    "DIGIT_WORDS",
    "SPOKEN_DIGITS_ALPHABET",
    "character_error_rate",
    "decode_labels",
    "edit_distance",
    "encode_text",
    "frame_signal",
    "hz_to_mel",
    "log_mel_spectrogram",
    "mel_filterbank",
    "mel_to_hz",
    "mfcc",
    "power_spectrogram",
    "spoken_digits",
    "spoken_digits_info",
]

#: The words the synthesiser speaks for each digit.
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

#: Output classes of the spoken-digits task: the blank (index 0) then the characters "0".."9".
SPOKEN_DIGITS_ALPHABET = "0123456789"

_DATA_FILE = "spoken_digits.npz"


# ----------------------------------------------------------------------------- the mel scale
def hz_to_mel(f: Any) -> NDArray:
    """Hertz to mels, :math:`m = 2595 \\log_{10}(1 + f/700)` (1000 Hz is about 1000 mel).

    Examples
    --------
    >>> hz_to_mel([0.0, 1000.0]).round(2).tolist()
    [0.0, 1000.0]
    """
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m: Any) -> NDArray:
    """Mels to hertz, the inverse of :func:`hz_to_mel`.

    Examples
    --------
    >>> float(mel_to_hz(hz_to_mel(440.0)))
    440.0...
    """
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(
    n_mels: int,
    n_fft: int,
    sample_rate: float,
    *,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> NDArray:
    """Triangular filters equally spaced on the mel scale, shape ``(n_mels, n_fft // 2 + 1)``.

    Filter ``j`` rises linearly (in hertz) from 0 at centre ``j - 1`` to 1 at centre ``j`` and
    falls to 0 at centre ``j + 1``; the ``n_mels + 2`` edges are equally spaced in mels from
    ``fmin`` to ``fmax`` (the Nyquist frequency by default). Between the first and the last
    centre the filters sum to 1.

    Examples
    --------
    >>> fb = mel_filterbank(4, 16, 8000.0)
    >>> fb.shape, float(fb.max()) <= 1.0
    ((4, 9), True)
    """
    n_mels = check_positive_int(n_mels, "n_mels")
    n_fft = check_positive_int(n_fft, "n_fft", minimum=2)
    sample_rate = check_real(sample_rate, "sample_rate", low=0.0, closed="neither")
    nyquist = sample_rate / 2
    fmax = nyquist if fmax is None else check_real(fmax, "fmax", low=0.0, high=nyquist)
    fmin = check_real(fmin, "fmin", low=0.0, high=fmax, closed="left")
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))  # (n_mels + 2,)
    freqs = np.arange(n_fft // 2 + 1) * sample_rate / n_fft  # (K/2 + 1,) bin frequencies
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lower) / (centre - lower)
    falling = (upper - freqs) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


# ----------------------------------------------------------------------------- spectrograms
def frame_signal(signal: Any, frame_length: int, hop_length: int) -> NDArray:
    """Cut a 1-D signal into overlapping frames, shape ``(n_frames, frame_length)``.

    ``n_frames = 1 + ceil(max(0, len(signal) - frame_length) / hop_length)``; the last frame is
    zero-padded. The frames are a copy.

    Examples
    --------
    >>> frame_signal(np.arange(7.0), 4, 2)
    array([[0., 1., 2., 3.],
           [2., 3., 4., 5.],
           [4., 5., 6., 0.]])
    """
    x = check_array(signal, "signal", ndim=1, dtype=np.float64, shape_doc="(n_samples,)")
    frame_length = check_positive_int(frame_length, "frame_length")
    hop_length = check_positive_int(hop_length, "hop_length")
    if x.size == 0:
        raise ValueError("signal must hold at least one sample")
    n_frames = 1 + -(-max(0, x.size - frame_length) // hop_length)
    padded = np.zeros((n_frames - 1) * hop_length + frame_length)
    padded[: x.size] = x
    starts = np.arange(n_frames)[:, None] * hop_length  # (n_frames, 1)
    return padded[starts + np.arange(frame_length)]


def _samples(seconds: float, sample_rate: float, name: str) -> int:
    seconds = check_real(seconds, name, low=0.0, closed="neither")
    n = int(round(seconds * sample_rate))
    if n < 1:
        raise ValueError(f"{name}={seconds} s is shorter than one sample at {sample_rate} Hz")
    return n


def power_spectrogram(
    signal: Any,
    sample_rate: float,
    *,
    frame_length: float = 0.025,
    frame_step: float = 0.010,
    n_fft: int | None = None,
    preemphasis: float = 0.97,
) -> NDArray:
    """Power spectrum of each Hamming-windowed frame, shape ``(n_frames, n_fft // 2 + 1)``.

    Parameters
    ----------
    signal : array_like, shape (n_samples,)
    sample_rate : float
        In hertz.
    frame_length, frame_step : float, default 0.025, 0.010
        Window length and hop, in seconds.
    n_fft : int, optional
        FFT size, at least the frame length in samples (default: the next power of two).
    preemphasis : float in [0, 1), default 0.97
        The coefficient ``a`` of :math:`x_n - a x_{n-1}` (0 turns it off).

    Examples
    --------
    A 1 kHz tone sampled at 8 kHz peaks in the FFT bin of 1 kHz:

    >>> t = np.arange(8000) / 8000
    >>> P = power_spectrogram(np.sin(2 * np.pi * 1000 * t), 8000, n_fft=256, preemphasis=0)
    >>> P.shape, int(P.mean(axis=0).argmax()) * 8000 // 256
    ((99, 129), 1000)
    """
    sample_rate = check_real(sample_rate, "sample_rate", low=0.0, closed="neither")
    x = check_array(signal, "signal", ndim=1, dtype=np.float64, shape_doc="(n_samples,)")
    a = check_real(preemphasis, "preemphasis", low=0.0, high=1.0, closed="left")
    N = _samples(frame_length, sample_rate, "frame_length")
    hop = _samples(frame_step, sample_rate, "frame_step")
    K = 1 << (N - 1).bit_length() if n_fft is None else check_positive_int(n_fft, "n_fft")
    if K < N:
        raise ValueError(f"n_fft must be at least the frame length ({N} samples); got {K}")
    if a > 0 and x.size > 1:
        x = np.concatenate([x[:1], x[1:] - a * x[:-1]])
    frames = frame_signal(x, N, hop)  # (n_frames, N)
    window = np.hamming(N)
    spectrum = np.fft.rfft(frames * window, n=K, axis=1)  # (n_frames, K/2 + 1)
    return spectrum.real**2 + spectrum.imag**2


def log_mel_spectrogram(
    signal: Any,
    sample_rate: float,
    *,
    n_mels: int = 40,
    frame_length: float = 0.025,
    frame_step: float = 0.010,
    n_fft: int | None = None,
    preemphasis: float = 0.97,
    fmin: float = 20.0,
    fmax: float | None = None,
    floor: float = 1e-10,
) -> NDArray:
    """Log mel-band energies of each frame, shape ``(n_frames, n_mels)``.

    :func:`power_spectrogram` through :func:`mel_filterbank`, then ``log(energy + floor)``.

    Examples
    --------
    >>> t = np.arange(16000) / 16000
    >>> S = log_mel_spectrogram(np.sin(2 * np.pi * 440 * t), 16000, n_mels=20)
    >>> S.shape
    (99, 20)
    """
    sample_rate = check_real(sample_rate, "sample_rate", low=0.0, closed="neither")
    floor = check_real(floor, "floor", low=0.0, closed="neither")
    P = power_spectrogram(
        signal,
        sample_rate,
        frame_length=frame_length,
        frame_step=frame_step,
        n_fft=n_fft,
        preemphasis=preemphasis,
    )
    n_fft_used = 2 * (P.shape[1] - 1)
    fb = mel_filterbank(n_mels, n_fft_used, sample_rate, fmin=fmin, fmax=fmax)
    return np.log(P @ fb.T + floor)


def mfcc(log_mel: Any, n_mfcc: int = 13) -> NDArray:
    """Mel-frequency cepstral coefficients from a log-mel spectrogram: its orthonormal DCT-II.

    Parameters
    ----------
    log_mel : array_like, shape (..., n_mels)
        As :func:`log_mel_spectrogram` returns (the last axis is the mel bands).
    n_mfcc : int, default 13
        Coefficients kept, at most ``n_mels``.

    Returns
    -------
    ndarray, shape (..., n_mfcc)

    Examples
    --------
    A flat spectrum has only the 0th coefficient:

    >>> mfcc(np.full((1, 4), 2.0), n_mfcc=3)
    array([[4., 0., 0.]])
    """
    L = check_array(log_mel, "log_mel", dtype=np.float64)
    if L.ndim < 1:
        raise ValueError("log_mel must have a last axis of mel bands")
    n_mfcc = check_positive_int(n_mfcc, "n_mfcc")
    if n_mfcc > L.shape[-1]:
        raise ValueError(f"n_mfcc must be at most n_mels={L.shape[-1]}; got {n_mfcc}")
    return scipy.fft.dct(L, type=2, norm="ortho", axis=-1)[..., :n_mfcc]


# ----------------------------------------------------------------------------- text and scoring
def encode_text(text: str, alphabet: str = SPOKEN_DIGITS_ALPHABET) -> NDArray:
    """Characters to class labels ``1 + alphabet.index(c)`` (0 is the CTC blank).

    Examples
    --------
    >>> encode_text("407")
    array([5, 1, 8])
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    unknown = sorted(set(text) - set(alphabet))
    if unknown:
        raise ValueError(f"text holds characters outside the alphabet {alphabet!r}: {unknown}")
    return np.array([1 + alphabet.index(c) for c in text], dtype=np.int64)


def decode_labels(labels: Any, alphabet: str = SPOKEN_DIGITS_ALPHABET) -> str:
    """Class labels back to text, the inverse of :func:`encode_text` (blanks, 0, are skipped).

    Examples
    --------
    >>> decode_labels([5, 1, 0, 8])
    '407'
    """
    arr = np.asarray(labels, dtype=np.int64)
    if arr.size and (arr.min() < 0 or arr.max() > len(alphabet)):
        raise ValueError(f"labels must lie in [0, {len(alphabet)}]; got {arr.min()}..{arr.max()}")
    return "".join(alphabet[i - 1] for i in arr if i > 0)


def edit_distance(a: Any, b: Any) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions from a to b.

    Examples
    --------
    >>> edit_distance("4077", "407"), edit_distance("abc", "xbcd"), edit_distance("", "ab")
    (1, 2, 2)
    """
    a, b = list(a), list(b)
    row = np.arange(len(b) + 1)
    for i, x in enumerate(a, start=1):
        prev, row = row, np.empty_like(row)
        row[0] = i
        for j, y in enumerate(b, start=1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x != y))
    return int(row[-1])


def character_error_rate(references: Any, hypotheses: Any) -> float:
    """Total edit distance over the total reference length (the corpus-level CER).

    Examples
    --------
    >>> character_error_rate(["407", "12"], ["47", "12"])
    0.2
    """
    refs, hyps = list(references), list(hypotheses)
    if len(refs) != len(hyps):
        raise ValueError(
            f"references and hypotheses must have the same length; got {len(refs)} and {len(hyps)}"
        )
    total = sum(len(r) for r in refs)
    if total == 0:
        raise ValueError("references hold no characters: the error rate is undefined")
    return sum(edit_distance(r, h) for r, h in zip(refs, hyps, strict=True)) / total


# ----------------------------------------------------------------------------- the data set
@functools.lru_cache(maxsize=1)
def _load_archive() -> dict[str, Any]:
    """The shipped arrays, read once (no pickle) and kept read-only."""
    source = resources.files("recurrent_zoo.tasks").joinpath("data").joinpath(_DATA_FILE)
    with resources.as_file(source) as path, np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    for a in arrays.values():
        a.flags.writeable = False
    return arrays


def spoken_digits_info() -> dict[str, Any]:
    """How the shipped spoken-digits features were made: synthesiser version, voices, settings.

    Examples
    --------
    >>> info = spoken_digits_info()
    >>> info["n_utterances"], len(info["voices"]), len(info["test_voices"])
    (960, 24, 6)
    >>> info["espeak_ng_debian_package"]
    '1.51+dfsg-10+deb12u2'
    """
    data = _load_archive()
    info: dict[str, Any] = json.loads(str(data["meta"]))
    info["voices"] = [str(v) for v in data["voices"]]
    info["n_utterances"] = int(data["transcripts"].size)
    info["n_frames"] = int(data["offsets"][-1])
    return info


def _stack_frames(F: NDArray, stack: int) -> NDArray:
    """Concatenate ``stack`` consecutive frames and keep every ``stack``-th: (T, F) -> (T', F s)."""
    T, n = F.shape
    steps = -(-T // stack)
    padded = np.zeros((steps * stack, n), dtype=F.dtype)
    padded[:T] = F
    return padded.reshape(steps, stack * n)


def _pack(feats: list[NDArray], texts: list[str], extras: dict[str, list[Any]]) -> SequenceDataset:
    lengths = np.array([f.shape[0] for f in feats], dtype=np.int64)
    T, N = int(lengths.max()), len(feats)
    X = np.zeros((T, N, feats[0].shape[1]))  # (T, N, features)
    targets = np.full((T, N), -1, dtype=np.int64)  # labels, padded with -1
    for n, (f, text) in enumerate(zip(feats, texts, strict=True)):
        X[: f.shape[0], n] = f
        targets[: len(text), n] = encode_text(text)
    mask = (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)
    info: dict[str, Any] = {"transcripts": list(texts), **extras}
    info.update(alphabet=SPOKEN_DIGITS_ALPHABET, blank=0)
    return SequenceDataset(
        inputs=X,
        targets=targets,
        mask=mask,
        loss="ctc",
        output_size=len(SPOKEN_DIGITS_ALPHABET) + 1,
        lengths=lengths,
        info=info,
        per_sequence=("transcripts", *extras),
        name="spoken_digits",
    )


def spoken_digits(
    *,
    features: str = "log_mel",
    n_mfcc: int = 13,
    normalize: bool = True,
    stack: int = 1,
    test_voices: Any = None,
) -> tuple[SequenceDataset, SequenceDataset]:
    """Spoken digit strings as speech features, split by voice: ``(train, test)``.

    960 utterances of 1 to 6 digits by 24 synthetic voices (40 each), made by eSpeak NG
    (see the module docstring and :func:`spoken_digits_info`). By default the six test voices
    are the ones the file names, whose voice variants no training voice uses: the test set
    measures recognition of *unseen speakers*.

    Parameters
    ----------
    features : {"log_mel", "mfcc"}, default "log_mel"
        24 log-mel bands per 10 ms frame, or their first ``n_mfcc`` cepstral coefficients.
    n_mfcc : int, default 13
        With ``features="mfcc"``.
    normalize : bool, default True
        Subtract each utterance's mean and divide by its standard deviation, per feature
        (cepstral mean and variance normalisation, which removes much of a voice's colour).
    stack : int, default 1
        Concatenate ``stack`` consecutive frames into one step and keep every ``stack``-th
        step (``T / stack`` steps of ``stack`` times the features), as acoustic models for CTC
        commonly do to shorten the sequences.
    test_voices : sequence of str, optional
        Voice names (from ``spoken_digits_info()["voices"]``) to hold out instead.

    Returns
    -------
    train, test : SequenceDataset
        ``inputs`` ``(T, N, features)`` zero-padded; ``targets`` ``(T, N)`` int64 labels
        ``1 + digit`` (0 is the CTC blank) padded with ``-1``, ready for ``loss="ctc"``;
        ``mask`` and ``lengths`` mark each utterance's frames. ``info`` holds the
        ``transcripts`` (digit strings), each utterance's ``voice``, ``speed`` (words per
        minute), ``pitch``, ``word_gap`` (10 ms units) and ``snr_db``, the ``alphabet`` and the
        ``blank``.

    Examples
    --------
    >>> train, test = spoken_digits(stack=2)
    >>> len(train), len(test), train.input_size, train.output_size
    (720, 240, 48, 11)
    >>> set(train.info["voice"]) & set(test.info["voice"])
    set()
    >>> test.info["transcripts"][0], test.targets[:4, 0]     # labels 1 + digit, then -1
    ('251', array([ 3,  6,  2, -1]))
    """
    features = check_choice(features, "features", ("log_mel", "mfcc"))
    normalize = check_bool(normalize, "normalize")
    stack = check_positive_int(stack, "stack")
    data = _load_archive()
    meta = json.loads(str(data["meta"]))
    names = [str(v) for v in data["voices"]]
    if test_voices is None:
        held_out = set(meta["test_voices"])
    else:
        if isinstance(test_voices, str):
            raise TypeError("test_voices must be a sequence of voice names, not one string")
        held_out = set(test_voices)
        unknown = sorted(held_out - set(names))
        if unknown:
            raise ValueError(f"test_voices holds unknown voices {unknown}; known: {names}")
        if not held_out or held_out == set(names):
            raise ValueError("test_voices must hold at least one voice and leave one for training")
    if features == "mfcc":
        n_mfcc = check_positive_int(n_mfcc, "n_mfcc")
    q, top, offsets = data["features"], data["top"].astype(np.float64), data["offsets"]
    low = meta["range"]
    splits: dict[bool, tuple[list[NDArray], list[str], dict[str, list[Any]]]] = {
        False: ([], [], {k: [] for k in ("voice", "speed", "pitch", "word_gap", "snr_db")}),
        True: ([], [], {k: [] for k in ("voice", "speed", "pitch", "word_gap", "snr_db")}),
    }
    for i, text in enumerate(data["transcripts"]):
        F = top[i] - low + meta["quantum"] * q[offsets[i] : offsets[i + 1]].astype(np.float64)
        if features == "mfcc":
            F = mfcc(F, n_mfcc)
        if normalize:
            F = (F - F.mean(axis=0)) / (F.std(axis=0) + 1e-8)
        if stack > 1:
            F = _stack_frames(F, stack)
        voice = names[int(data["voice"][i])]
        feats, texts, extras = splits[voice in held_out]
        feats.append(F)
        texts.append(str(text))
        extras["voice"].append(voice)
        for key in ("speed", "pitch", "word_gap", "snr_db"):
            extras[key].append(data[key][i].item())
    train, test = (_pack(*splits[flag]) for flag in (False, True))
    return train, test
