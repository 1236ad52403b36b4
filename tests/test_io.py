"""Model files: safetensors, checked before anything large is allocated.

Every crafted file below is refused with an error naming the file and what is wrong; the
allocation attacks run in a child process whose address space is capped (``RLIMIT_AS``), so a
loader that asked for the declared sizes would die there instead of passing.
"""

import json
import os
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from safetensors.numpy import save_file

import recurrent_zoo
from recurrent_zoo import Bidirectional, Linear, Stacked, load
from recurrent_zoo._core import io
from recurrent_zoo.elman import Elman
from recurrent_zoo.gru import GRU
from recurrent_zoo.hopfield import Hopfield
from recurrent_zoo.jordan import Jordan
from recurrent_zoo.lstm import LSTM


def raw_safetensors(path, header, payload=b""):
    """Write a safetensors file byte by byte: what an attacker controls."""
    text = json.dumps(header).encode()
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(text)) + text + payload)
    return path


def saved(tmp_path, model, name="m.safetensors"):
    path = os.fspath(tmp_path / name)
    model.save(path)
    return path


def meta_of(path):
    with open(path, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        return json.loads(fh.read(n)), n


# ----------------------------------------------------------------------------- the format
def test_file_is_plain_safetensors_with_the_models_names(tmp_path):
    from safetensors.numpy import load_file

    m = Elman(2, 3, num_layers=2, seed=0)
    path = saved(tmp_path, m)
    tensors = load_file(path)
    assert set(tensors) == set(m.params)
    for k in m.params:
        np.testing.assert_array_equal(tensors[k], m.params[k])
    head, _ = meta_of(path)
    meta = head["__metadata__"]
    assert meta["format"] == "recurrent_zoo" and meta["version"] == "2"
    assert meta["class"] == "recurrent_zoo.elman.Elman" and meta["dtype"] == "float64"
    assert json.loads(meta["config"])["num_layers"] == 2


def test_nested_and_associative_round_trip(tmp_path):
    m = Stacked([Bidirectional(Elman(2, 3, seed=0), Jordan(2, 3, 2, seed=1)), Linear(5, 1, seed=2)])
    m2 = load(saved(tmp_path, m))
    X = np.random.default_rng(0).normal(size=(4, 2, 2))
    np.testing.assert_array_equal(m.forward(X)[0], m2.forward(X)[0])
    assert io.header(m) == io.header(m2)
    net = Hopfield(6).store(np.sign(np.random.default_rng(0).normal(size=(3, 6))))
    assert load(saved(tmp_path, net, "h.safetensors")).n_patterns == 3


@pytest.mark.parametrize("cls", [Elman, LSTM, GRU])
def test_torch_modules_load_our_files_as_they_are(tmp_path, cls):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    kwargs = {"num_layers": 2, "bidirectional": True}
    if cls is LSTM:
        kwargs["proj_size"] = 2
    ours = cls(3, 4, seed=0, **kwargs)
    path = saved(tmp_path, ours)
    module = getattr(torch.nn, {Elman: "RNN", LSTM: "LSTM", GRU: "GRU"}[cls])(3, 4, **kwargs)
    module = module.double()
    module.load_state_dict(load_file(path))  # strict: every key and shape as torch's own
    X = np.random.default_rng(1).normal(size=(5, 2, 3))
    with torch.no_grad():
        expected = module(torch.from_numpy(X))[0].numpy()
    np.testing.assert_allclose(ours.forward(X)[0], expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- bad files
def test_missing_empty_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        load(tmp_path / "nothing.safetensors")
    with pytest.raises(IsADirectoryError):
        load(tmp_path)
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.safetensors.*0 bytes is too short"):
        load(empty)
    text = tmp_path / "notes.npz"
    text.write_text("these are my notes, not a model\n")
    with pytest.raises(ValueError, match=r"notes\.npz") as err:
        load(text)
    assert "pickle" not in str(err.value)
    old = tmp_path / "old.npz"
    np.savez(old, a=np.zeros(2))
    with pytest.raises(ValueError, match="format of recurrent_zoo 0.1"):
        load(old)
    pickled = tmp_path / "p.safetensors"
    import pickle

    pickled.write_bytes(pickle.dumps({"w": np.zeros(3)}))
    with pytest.raises(ValueError, match=r"p\.safetensors"):
        load(pickled)
    plain = tmp_path / "plain.safetensors"
    save_file({"w": np.zeros(3)}, os.fspath(plain))
    with pytest.raises(ValueError, match="not a recurrent_zoo model"):
        load(plain)


def test_bit_flipped_and_truncated_files(tmp_path):
    path = saved(tmp_path, Elman(2, 3, seed=0))
    data = bytearray(open(path, "rb").read())
    _, n = meta_of(path)
    for where in (3, 8 + 2, 8 + n // 2):  # the length prefix, the JSON, the JSON again
        flipped = bytearray(data)
        flipped[where] ^= 0x5A
        bad = tmp_path / f"flip{where}.safetensors"
        bad.write_bytes(bytes(flipped))
        with pytest.raises(ValueError, match=rf"flip{where}\.safetensors"):
            load(bad)
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(bytes(data[:-5]))
    with pytest.raises(ValueError, match=r"cut\.safetensors.*not a valid safetensors"):
        load(cut)


def test_offsets_past_the_file_and_oversized_headers(tmp_path):
    # the attack: a 3x3 Elman's recurrent weights declared as 2**36 floats (512 GiB)
    m = Elman(2, 3, seed=0)
    head, _ = meta_of(saved(tmp_path, m))
    head["weight_hh_l0"] = {"dtype": "F64", "shape": [2**36], "data_offsets": [0, 8 * 2**36]}
    bad = raw_safetensors(tmp_path / "huge.safetensors", head, b"\0" * 32)
    with pytest.raises(ValueError, match=r"huge\.safetensors.*not a valid safetensors"):
        load(bad)
    big = tmp_path / "bigheader.safetensors"
    big.write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    with pytest.raises(ValueError, match="declares 1099511627776 bytes of metadata"):
        load(big)
    short = tmp_path / "short.safetensors"
    short.write_bytes(struct.pack("<Q", 1000) + b"{}")
    with pytest.raises(ValueError, match="has only 10 bytes"):
        load(short)


def _edit(tmp_path, model, name, edit):
    from safetensors import safe_open

    path = saved(tmp_path, model, "src_" + name)
    with safe_open(path, framework="np") as f:
        meta, tensors = dict(f.metadata()), {k: f.get_tensor(k) for k in f.keys()}
    edit(tensors, meta)
    out = os.fspath(tmp_path / name)
    save_file(tensors, out, metadata=meta)
    return out


def test_tensors_must_fit_the_model_built_from_the_config(tmp_path):
    m = Elman(2, 3, seed=0)

    def reshape(t, meta):
        t["weight_hh_l0"] = np.zeros((3, 4))

    path = _edit(tmp_path, m, "shape.safetensors", reshape)
    with pytest.raises(
        ValueError,
        match=r"shape\.safetensors.*'weight_hh_l0' is declared with shape \(3, 4\); the model "
        r"built from the file's config expects \(3, 3\)",
    ):
        load(path)

    def retype(t, meta):
        t["bias_ih_l0"] = t["bias_ih_l0"].astype(np.float32)

    with pytest.raises(ValueError, match="'bias_ih_l0' has dtype F32; the model expects float64"):
        load(_edit(tmp_path, m, "dtype.safetensors", retype))

    def drop(t, meta):
        del t["bias_hh_l0"]

    with pytest.raises(ValueError, match=r"missing \['bias_hh_l0'\]"):
        load(_edit(tmp_path, m, "missing.safetensors", drop))

    def add(t, meta):
        t["extra"] = np.zeros(1)

    with pytest.raises(ValueError, match=r"unexpected \['extra'\]"):
        load(_edit(tmp_path, m, "extra.safetensors", add))

    def poison(t, meta):
        t["weight_ih_l0"] = np.full((3, 2), np.inf)

    with pytest.raises(ValueError, match="'weight_ih_l0' holds NaN or infinite values"):
        load(_edit(tmp_path, m, "inf.safetensors", poison))


def test_metadata_and_config_are_checked_before_building(tmp_path):
    m = Jordan(2, 3, 1, seed=0)

    def unknown_class(t, meta):
        meta["class"] = "os.system"

    with pytest.raises(ValueError, match="'os.system', which is not a registered"):
        load(_edit(tmp_path, m, "class.safetensors", unknown_class))

    def our_namespace(t, meta):
        meta["class"] = "recurrent_zoo.no_such_module.Thing"

    with pytest.raises(ValueError, match="not a registered"):
        load(_edit(tmp_path, m, "ns.safetensors", our_namespace))

    def malformed(t, meta):
        meta["config"] = "{not json"

    with pytest.raises(ValueError, match=r"malformed\.safetensors.*config is not valid JSON"):
        load(_edit(tmp_path, m, "malformed.safetensors", malformed))

    def oversized(t, meta):
        meta["config"] = json.dumps({"hidden_size": 3, "pad": "x" * 100_000})

    with pytest.raises(ValueError, match="more than the 65536"):
        load(_edit(tmp_path, m, "oversized.safetensors", oversized))

    def wrong_key(t, meta):
        config = json.loads(meta["config"])
        config["hiden_size"] = config.pop("hidden_size")
        meta["config"] = json.dumps(config)

    with pytest.raises(
        ValueError, match=r"key\.safetensors.*unknown keys \['hiden_size'\]; missing keys"
    ):
        load(_edit(tmp_path, m, "key.safetensors", wrong_key))

    def wrong_type(t, meta):
        config = json.loads(meta["config"])
        config["hidden_size"] = "three"
        meta["config"] = json.dumps(config)

    with pytest.raises(
        ValueError, match=r"type\.safetensors.*does not build a Jordan.*hidden_size"
    ):
        load(_edit(tmp_path, m, "type.safetensors", wrong_type))

    def no_format(t, meta):
        del meta["format"]

    with pytest.raises(ValueError, match="not a recurrent_zoo model"):
        load(_edit(tmp_path, m, "format.safetensors", no_format))

    def future(t, meta):
        meta["version"] = "99"

    with pytest.raises(ValueError, match="format version '99'"):
        load(_edit(tmp_path, m, "version.safetensors", future))

    def int_dtype(t, meta):
        meta["dtype"] = "int8"

    with pytest.raises(ValueError, match="dtype 'int8'"):
        load(_edit(tmp_path, m, "int.safetensors", int_dtype))


def test_nested_config_errors_name_the_file(tmp_path):
    m = Stacked([Elman(2, 3, seed=0), Linear(3, 1, seed=1)])

    def bad_child(t, meta):
        config = json.loads(meta["config"])
        config["models"][1]["class"] = "builtins.eval"
        meta["config"] = json.dumps(config)

    with pytest.raises(ValueError, match=r"child\.safetensors.*'builtins.eval'"):
        load(_edit(tmp_path, m, "child.safetensors", bad_child))


def test_a_config_implying_more_weights_than_the_file_holds_is_refused(tmp_path):
    m = Elman(2, 3, seed=0)

    def inflate(t, meta):
        config = json.loads(meta["config"])
        config["hidden_size"] = 10**6  # 10**12 recurrent weights beside 24 stored values
        meta["config"] = json.dumps(config)

    with pytest.raises(ValueError, match="implies more parameter values than the file holds"):
        load(_edit(tmp_path, m, "inflated.safetensors", inflate))


# ----------------------------------------------------------------------------- peak memory
CHILD = textwrap.dedent(
    """
    import resource, sys
    limit = 600 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import recurrent_zoo
    for path in sys.argv[1:]:
        try:
            recurrent_zoo.load(path)
        except ValueError as exc:
            print("refused", path, "|", exc)
        else:
            print("LOADED", path)
    """
)


def test_crafted_files_are_refused_under_a_small_memory_cap(tmp_path):
    """Each crafted file is refused in a process that cannot allocate more than 600 MB."""
    m = Elman(2, 3, seed=0)
    head, _ = meta_of(saved(tmp_path, m))
    huge = dict(head)
    huge["weight_hh_l0"] = {"dtype": "F64", "shape": [2**36], "data_offsets": [0, 8 * 2**36]}
    paths = [raw_safetensors(tmp_path / "huge.safetensors", huge, b"\0" * 32)]
    mid = dict(head)
    mid["weight_hh_l0"] = {"dtype": "F64", "shape": [2**27], "data_offsets": [0, 8 * 2**27]}
    paths.append(raw_safetensors(tmp_path / "mid.safetensors", mid, b"\0" * 32))

    def inflate(t, meta):
        config = json.loads(meta["config"])
        config["hidden_size"] = 50_000  # 20 GB of recurrent weights
        meta["config"] = json.dumps(config)

    paths.append(_edit(tmp_path, m, "inflated.safetensors", inflate))
    big = tmp_path / "bigheader.safetensors"
    big.write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    paths.append(os.fspath(big))
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *map(os.fspath, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert len(lines) == len(paths), out.stdout + out.stderr[-2000:]
    assert all(line.startswith("refused") for line in lines), out.stdout
    assert "truncated" not in lines[1] or "pickle" not in lines[1]  # accurate, not "pickled"
    assert "implies more parameter values" in lines[2]


def test_saving_needs_no_torch_and_loading_is_exact_for_every_dtype(tmp_path):
    for dtype in (np.float32, np.float64):
        m = LSTM(2, 3, seed=0, dtype=dtype)
        m2 = load(saved(tmp_path, m, f"{np.dtype(dtype).name}.safetensors"))
        for k in m.params:
            assert m2.params[k].dtype == dtype
            np.testing.assert_array_equal(m2.params[k], m.params[k])
    assert "torch" not in io.save.__code__.co_names
    assert recurrent_zoo.load is io.load
