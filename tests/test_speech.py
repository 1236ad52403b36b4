"""Speech features (against known signals and scipy's STFT), text scoring, the shipped
spoken-digits data, and a small bidirectional LSTM trained on it with CTC."""

import json

import numpy as np
import pytest
import scipy.signal

from recurrent_zoo.tasks import spoken_digits
from recurrent_zoo.tasks.speech import (
    DIGIT_WORDS,
    character_error_rate,
    decode_labels,
    edit_distance,
    encode_text,
    frame_signal,
    hz_to_mel,
    log_mel_spectrogram,
    mel_filterbank,
    mel_to_hz,
    mfcc,
    power_spectrogram,
    spoken_digits_info,
)


# ----------------------------------------------------------------------------- mel scale
def test_mel_scale_reference_points():
    # O'Shaughnessy's formula: 1000 Hz is 1000 mel (to 0.01), 700 Hz is 2595 log10(2) mel
    assert np.isclose(hz_to_mel(1000.0), 1000.0, atol=0.01)
    assert np.isclose(hz_to_mel(700.0), 2595 * np.log10(2))
    f = np.array([0.0, 20.0, 440.0, 4000.0, 8000.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(f)), f, rtol=1e-12, atol=1e-9)


def test_filterbank_is_triangular_and_sums_to_one_between_the_first_and_last_centre():
    sr, n_fft, n_mels, fmin, fmax = 16000, 512, 24, 20.0, 8000.0
    fb = mel_filterbank(n_mels, n_fft, sr, fmin=fmin, fmax=fmax)
    assert fb.shape == (n_mels, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    inside = (freqs >= edges[1]) & (freqs <= edges[-2])
    np.testing.assert_allclose(fb[:, inside].sum(axis=0), 1.0, rtol=1e-12)
    for j in range(n_mels):
        support = fb[j] > 0
        assert np.all(freqs[support] > edges[j]) and np.all(freqs[support] < edges[j + 2])
        # the value at a frequency is the triangle's: linear up to the centre, down after
        k = np.flatnonzero(support)[0]
        expected = (freqs[k] - edges[j]) / (edges[j + 1] - edges[j])
        if freqs[k] > edges[j + 1]:
            expected = (edges[j + 2] - freqs[k]) / (edges[j + 2] - edges[j + 1])
        assert np.isclose(fb[j, k], expected)
    assert fb.max() <= 1.0 and fb.min() >= 0.0


# ----------------------------------------------------------------------------- spectra
def test_power_spectrogram_equals_scipy_stft():
    rng = np.random.default_rng(0)
    sr, N, hop, K = 16000, 400, 160, 512
    x = rng.normal(size=sr // 2)
    P = power_spectrogram(x, sr, n_fft=K, preemphasis=0.0)
    window = np.hamming(N)
    _, _, Z = scipy.signal.stft(
        x,
        fs=sr,
        window=window,
        nperseg=N,
        noverlap=N - hop,
        nfft=K,
        detrend=False,
        boundary=None,
        padded=False,
        scaling="spectrum",  # Z = rfft(frame * window) / sum(window)
    )
    ref = (np.abs(Z) * window.sum()) ** 2  # (K/2 + 1, frames)
    n = ref.shape[1]  # scipy keeps whole frames only; ours zero-pads a last partial one
    assert P.shape[0] == 1 + -(-(x.size - N) // hop)
    np.testing.assert_allclose(P[:n], ref.T, rtol=1e-10, atol=1e-9)


def test_parseval_and_pre_emphasis():
    rng = np.random.default_rng(1)
    sr = 8000
    x = rng.normal(size=1000)
    a = 0.97
    P = power_spectrogram(x, sr, frame_length=0.025, frame_step=0.010, n_fft=256, preemphasis=a)
    y = np.concatenate([x[:1], x[1:] - a * x[:-1]])
    frames = frame_signal(y, 200, 80) * np.hamming(200)
    weights = np.full(P.shape[1], 2.0)
    weights[[0, -1]] = 1.0  # DC and Nyquist appear once in the full spectrum
    np.testing.assert_allclose((P * weights).sum(axis=1) / 256, (frames**2).sum(axis=1))


def test_a_tone_has_the_power_of_its_amplitude_in_its_bin_and_band():
    # A sinusoid A sin(2 pi f t) at a bin frequency f = k sr / K puts |A sum(w) / 2|^2 in bin k
    # (the negative-frequency image, 2k bins away, leaks a Hamming sidelobe only: < 1e-3).
    sr, K, A = 16000, 512, 0.5
    t = np.arange(sr) / sr
    centres = mel_to_hz(np.linspace(hz_to_mel(20.0), hz_to_mel(8000.0), 26))[1:-1]
    fb = mel_filterbank(24, K, sr, fmin=20.0, fmax=8000.0)
    for k in (16, 32, 96):  # 500 Hz, 1 kHz, 3 kHz
        f = k * sr / K
        x = A * np.sin(2 * np.pi * f * t)
        P = power_spectrogram(x, sr, n_fft=K, preemphasis=0.0)
        expected = (A * np.hamming(400).sum() / 2) ** 2
        np.testing.assert_allclose(P[:-2, k], expected, rtol=1e-3)
        # the log-mel bands: log of the filter-weighted power; the loudest band is the one
        # whose triangle weights bin k most, centred at most half a band away from f
        S = log_mel_spectrogram(x, sr, n_mels=24, n_fft=K, preemphasis=0.0)
        band = int(S[5].argmax())
        assert band == int(fb[:, k].argmax())
        assert np.isclose(S[5, band], np.log(P[5] @ fb[band] + 1e-10))
        spacing = np.diff(hz_to_mel(centres)).mean()
        assert abs(hz_to_mel(centres[band]) - hz_to_mel(f)) <= spacing / 2 + 1e-9


def test_mfcc_is_the_orthonormal_dct():
    rng = np.random.default_rng(2)
    L = rng.normal(size=(5, 24))
    C = mfcc(L, n_mfcc=24)
    np.testing.assert_allclose((C**2).sum(axis=1), (L**2).sum(axis=1))  # orthonormal
    n = np.arange(24)
    k = 3
    ref = np.sqrt(2 / 24) * (L * np.cos(np.pi * k * (2 * n + 1) / 48)).sum(axis=1)
    np.testing.assert_allclose(C[:, k], ref)
    np.testing.assert_allclose(mfcc(np.full((2, 24), 3.0), 4), [[3 * np.sqrt(24), 0, 0, 0]] * 2)


def test_frame_signal_and_errors():
    frames = frame_signal(np.arange(10.0), 4, 3)
    assert frames.tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    assert frame_signal(np.ones(2), 4, 3).tolist() == [[1, 1, 0, 0]]
    with pytest.raises(ValueError, match="signal must be a 1-dimensional"):
        frame_signal(np.ones((2, 2)), 4, 3)
    with pytest.raises(ValueError, match="n_fft must be at least the frame length"):
        power_spectrogram(np.ones(1000), 16000, n_fft=256)
    with pytest.raises(ValueError, match="signal must be finite"):
        log_mel_spectrogram(np.array([0.0, np.nan] * 400), 16000)
    with pytest.raises(ValueError, match="n_mfcc must be at most n_mels=4"):
        mfcc(np.zeros((2, 4)), 5)


# ----------------------------------------------------------------------------- text
def test_text_and_error_rates():
    assert encode_text("0519").tolist() == [1, 6, 2, 10]
    assert decode_labels(encode_text("9876543210")) == "9876543210"
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "") == 0
    assert character_error_rate(["12", "345"], ["12", "35"]) == pytest.approx(1 / 5)
    assert character_error_rate(["1"], ["1234"]) == 3.0  # insertions can exceed 100 %
    with pytest.raises(ValueError, match="outside the alphabet"):
        encode_text("12a")
    with pytest.raises(ValueError, match="same length"):
        character_error_rate(["1"], [])


# ----------------------------------------------------------------------------- the data
def test_shipped_data_and_its_provenance():
    info = spoken_digits_info()
    assert info["espeak_ng_debian_package"] == "1.51+dfsg-10+deb12u2"
    assert info["n_utterances"] == 960 and len(info["voices"]) == 24
    assert info["clipped_values"] == 0
    train, test = spoken_digits()
    assert (len(train), len(test)) == (720, 240)
    assert train.input_size == info["features"]["n_mels"] == 24
    train_voices, test_voices = set(train.info["voice"]), set(test.info["voice"])
    assert test_voices == set(info["test_voices"]) and len(train_voices) == 18
    # held-out speakers: no test voice variant is heard in training; accents are shared
    variant = lambda v: v.split("+")[1]  # noqa: E731
    assert not {variant(v) for v in train_voices} & {variant(v) for v in test_voices}
    assert {v.split("+")[0] for v in test_voices} <= {v.split("+")[0] for v in train_voices}
    # targets are the transcripts, 1 + digit, padded with -1; the mask marks the frames
    for data in (train, test):
        for n in range(0, len(data), 97):
            text = data.info["transcripts"][n]
            assert decode_labels(data.targets[: len(text), n]) == text
            assert np.all(data.targets[len(text) :, n] == -1)
            assert data.mask[:, n].sum() == data.lengths[n]
            assert np.all(data.inputs[data.lengths[n] :, n] == 0)
    # 1 to 6 digits, each about 0.2-0.5 s: at 10 ms a frame, far more frames than labels
    lengths = np.array([len(t) for t in train.info["transcripts"]])
    assert lengths.min() == 1 and lengths.max() == 6
    assert np.all(train.lengths > 20 * lengths)
    assert set("".join(train.info["transcripts"])) == set("0123456789")
    assert len(DIGIT_WORDS) == 10


def test_loader_options():
    raw, _ = spoken_digits(normalize=False)
    norm, _ = spoken_digits()
    n, T = 5, raw.lengths[5]
    F = raw.inputs[:T, n]
    np.testing.assert_allclose(norm.inputs[:T, n], (F - F.mean(0)) / (F.std(0) + 1e-8))
    np.testing.assert_allclose(norm.inputs[:T, n].mean(axis=0), 0.0, atol=1e-9)
    stacked, _ = spoken_digits(stack=3)
    assert stacked.input_size == 72 and stacked.lengths[n] == -(-T // 3)
    np.testing.assert_array_equal(stacked.inputs[1, n], norm.inputs[3:6, n].reshape(-1))
    cep, _ = spoken_digits(features="mfcc", n_mfcc=13, normalize=False)
    np.testing.assert_allclose(cep.inputs[:T, n], mfcc(F, 13))
    train, test = spoken_digits(test_voices=["en-us+m1"])
    assert set(test.info["voice"]) == {"en-us+m1"} and len(test) == 40 and len(train) == 920
    with pytest.raises(ValueError, match="unknown voices"):
        spoken_digits(test_voices=["en-us+nobody"])
    with pytest.raises(TypeError, match="sequence of voice names"):
        spoken_digits(test_voices="en-us+m1")
    with pytest.raises(ValueError, match="features must be one of"):
        spoken_digits(features="wav")


def test_log_mel_parameters_recorded_match_the_function():
    info = spoken_digits_info()
    params = info["features"]
    S = log_mel_spectrogram(np.random.default_rng(0).normal(size=8000), 16000, **params)
    assert S.shape == (49, params["n_mels"])
    assert json.loads(json.dumps(params)) == params
