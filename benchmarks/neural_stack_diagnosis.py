"""Why a neural stack that reverses 8-64 symbols perfectly fails on 65-128: a diagnosis.

Grefenstette et al.'s protocol (train on sources of 8-64 symbols, test on 65-128), the setting
of ``benchmarks/pushdown_reference.py``'s docstring (H 32, m 32, Adam 0.01, push / pop biases
-1 / -2, separate target inputs, adaptive curriculum). Two commands:

``train SEED PATH [JSON]``
    :func:`recurrent_zoo.neural_stack.transduction_run` on reversal with that setting (the
    JSON overrides it) and saves the trained controller + readout (a
    :class:`~recurrent_zoo.Stacked`, the library's safetensors format) to ``PATH``.
``finetune PATH SEED LAMBDA LR EPOCHS``
    Goes on training the saved net on 8-64 (Adam ``LR``, fresh moments) with the strength
    penalty ``LAMBDA`` and prints validation / test accuracy after every epoch: a probe.
``longer PATH ...``
    Accuracy of saved nets on sources of 129-160 and 161-192 symbols.
``diagnose PATH [SEED]``
    Loads the net and replays it step by step on the protocol's test sequences (200 of 65-128
    symbols, the data ``transduction_run`` tests on for ``SEED``) and on 200 validation
    sequences of 8-64, recording everything: the controller's ``h``, ``c``, the push / pop
    strengths, the weights the read gives each stack slot. It prints

    1. where the first wrong symbol falls: target index ``j`` (0 = the symbol predicted at the
       separator), the stack depth ``n - j`` of the element to be output, against ``n``;
    2. the push / pop strengths in the source and target phases and the make-up of the read
       (weight on the element that should be on top, on the slots below it);
    3. the controller's cell state: units whose ``|c|`` leaves the range seen on 8-64, and
       when;
    4. interventions that locate the failure: the same net with its strengths rounded to 0/1
       at test time (Joulin & Mikolov's rounding), with the cell state clipped to its
       training-length range, and runs that cut the source or target phase.

    The replay is checked against the model's own ``forward`` (outputs equal to 1e-10).

Usage::

    OPENBLAS_NUM_THREADS=1 nice python benchmarks/neural_stack_diagnosis.py train 0 /tmp/ns0.st
    OPENBLAS_NUM_THREADS=1 nice python benchmarks/neural_stack_diagnosis.py diagnose /tmp/ns0.st 0

Output of the second is recorded in ``benchmarks/results/neural_stack_diagnosis.txt``.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import recurrent_zoo  # noqa: E402
from recurrent_zoo._core.ops import sigmoid  # noqa: E402
from recurrent_zoo._core.stacks import strength_pop, strength_read  # noqa: E402
from recurrent_zoo.tasks import transduction, transduction_accuracy  # noqa: E402

SETTING = {
    "hidden_size": 32,
    "value_size": 32,
    "lr": 0.01,
    "batch_size": 10,
    "push_bias": -1.0,
    "pop_bias": -2.0,
    "target_inputs": "separate",
    "equal_lengths": False,
    "curriculum": "adaptive",
    "epochs": 100,
    "sequences_per_epoch": 500,
    "n_validation": 100,
    "progress": True,
}


def train(seed: int, path: str, overrides: dict) -> None:
    from recurrent_zoo.neural_stack import transduction_run

    settings = {**SETTING, **overrides}
    r = transduction_run("reversal", "stack", seed=seed, keep_model=True, **settings)
    r["model"].save(path)
    out = {k: v for k, v in r.items() if k not in ("model", "test", "curve")}
    print(json.dumps({"settings": settings, **out, "load": os.getloadavg()}), flush=True)


# ----------------------------------------------------------------------------- replay
def replay(
    model,
    X: np.ndarray,
    *,
    rounded: bool = False,
    c_range: tuple | None = None,
    pop_scale: tuple | None = None,
    pin: tuple | None = None,
) -> dict[str, np.ndarray]:
    """Run the stack net step by step, keeping every quantity (no length masking: callers
    look only at steps inside each sequence). ``rounded``: push / pop strengths replaced by
    (strength > 1/2) -- Joulin & Mikolov's rounding; ``c_range``: (lo, hi) per unit, the
    cell state clipped to it at every step; ``pop_scale`` = (factor, n): the pops of the
    target phase (steps t > n[b], after the separator) multiplied by ``factor``; ``pin`` =
    (unit, lo, hi, n): the cell state of one unit clipped to [lo, hi] in the target phase."""
    core, readout = model.models
    p = core.params
    T, B, I = X.shape
    H, m = core.hidden_size, core.value_size
    W_x, W_r, W_h = p["weight_ih"][:, :I], p["weight_ih"][:, I:], p["weight_hh"]
    b = p["bias_ih"] + p["bias_hh"]
    h, c, r = np.zeros((B, H)), np.zeros((B, H)), np.zeros((B, m))
    s = np.zeros((B, 0))  # strengths in push order: the newest (the top) last
    V = np.zeros((B, 0, m))
    out = {k: np.zeros((T, B, H)) for k in ("h", "c")}
    out["push"], out["pop"] = np.zeros((T, B)), np.zeros((T, B))
    out["o"] = np.zeros((T, B, core.output_size))
    weights = []  # (B, t + 1): what the read after step t takes of each slot (push order)
    strengths = []  # (B, t + 1): the strengths after step t (push order)
    for t in range(T):
        a = X[t] @ W_x.T + r @ W_r.T + h @ W_h.T + b
        i_, f_, g_, o_ = (
            sigmoid(a[:, :H]),
            sigmoid(a[:, H : 2 * H]),
            np.tanh(a[:, 2 * H : 3 * H]),
            sigmoid(a[:, 3 * H :]),
        )
        c = f_ * c + i_ * g_
        if c_range is not None:
            c = np.clip(c, *c_range)
        if pin is not None:
            unit, lo, hi, n_src = pin
            c[:, unit] = np.where(t >= n_src, np.clip(c[:, unit], lo, hi), c[:, unit])
        h = o_ * np.tanh(c)
        d = sigmoid(h @ p["weight_push"].T + p["bias_push"])[:, 0]
        u = sigmoid(h @ p["weight_pop"].T + p["bias_pop"])[:, 0]
        if rounded:
            d, u = (d > 0.5).astype(float), (u > 0.5).astype(float)
        if pop_scale is not None:
            u = np.where(t > pop_scale[1], u * pop_scale[0], u)
        v = np.tanh(h @ p["weight_value"].T + p["bias_value"])
        out["o"][t] = np.tanh(h @ p["weight_out"].T + p["bias_out"])
        s = strength_pop(s, u, "bottom")[0]
        s = np.concatenate([s, d[:, None]], axis=1)
        V = np.concatenate([V, v[:, None]], axis=1)
        r, cache = strength_read(s, V, "bottom")
        weights.append(cache[0][:, ::-1].copy())  # the cache is oriented top first
        strengths.append(s.astype(np.float32))
        out["h"][t], out["c"][t], out["push"][t], out["pop"][t] = h, c, d, u
    out["Y"] = readout.forward(out["o"])[0]
    out["weights"], out["strengths"] = weights, strengths
    return out


def first_errors(Y: np.ndarray, data) -> np.ndarray:
    """Target index of the first wrong prediction per sequence (n + 1 if none)."""
    right = Y.argmax(axis=2) == data.targets
    firsts = []
    for j, n in enumerate(np.asarray(data.info["n"]).tolist()):
        wrong = np.flatnonzero(~right[n : 2 * n + 1, j])
        firsts.append(n + 1 if wrong.size == 0 else int(wrong[0]))
    return np.array(firsts)


def _q(a) -> str:
    a = np.asarray(a, dtype=float)
    if a.size == 0:
        return "-"
    return "min {:.3f} / median {:.3f} / max {:.3f}".format(*np.percentile(a, [0, 50, 100]))


def phase_stats(rep: dict, data) -> dict[str, np.ndarray]:
    """Per-sequence strengths and read make-up in the two phases.

    Source symbol k (1-based) is read at step k - 1; the push of that step is its slot. In the
    target phase the read after step n + j - 1 (fed to step n + j, which predicts target
    symbol j, i.e. source symbol n - j) should sit on slot n - j - 1."""
    ns = np.asarray(data.info["n"])
    rec: dict[str, list] = {
        k: []
        for k in (
            "src_push",
            "src_pop",
            "tgt_push",
            "tgt_pop",
            "w_right",
            "w_below",
            "total_end",
            "sep_pop",
            "s_above",
            "s_right",
        )
    }
    for j, n in enumerate(ns.tolist()):
        rec["src_push"].append(rep["push"][:n, j])
        rec["src_pop"].append(rep["pop"][:n, j])
        rec["sep_pop"].append(rep["pop"][n, j])
        rec["tgt_push"].append(rep["push"][n : 2 * n, j])
        rec["tgt_pop"].append(rep["pop"][n + 1 : 2 * n, j])
        rec["total_end"].append(rep["strengths"][n - 1][j].sum())
        # what the reads feeding the target steps take of the right slot and of those below it
        wr, wb, sa, sr = [], [], [], []
        for jj in range(n):  # target symbol jj, predicted at step n + jj
            w = rep["weights"][n + jj - 1][j]  # the read entering that step
            slot = n - jj - 1
            wr.append(w[slot])
            wb.append(w[:slot].sum())
            st = rep["strengths"][n + jj - 1][j]
            sa.append(st[slot + 1 :].sum())
            sr.append(st[slot])
        rec["w_right"].append(np.array(wr))
        rec["w_below"].append(np.array(wb))
        rec["s_above"].append(np.array(sa))
        rec["s_right"].append(np.array(sr))
    return rec


def diagnose(path: str, seed: int) -> None:
    t0 = time.perf_counter()
    model = recurrent_zoo.load(path)
    fmt = {"vocab_size": 128, "target_inputs": "separate"}
    test = transduction("reversal", 200, 65, 128, seed=seed + 600_000, **fmt)
    val = transduction("reversal", 200, 8, 64, seed=seed + 500_000, **fmt)
    print(f"model {path}; test: 200 sequences of 65-128 (seed {seed} + 600000), validation:")
    print(f"200 of 8-64 (seed {seed} + 500000); load {os.getloadavg()}")
    reps = {}
    for name, data in (("val", val), ("test", test)):
        rep = replay(model, data.inputs)
        Y_model, _ = model.forward(data.inputs, lengths=data.lengths)
        inside = data.mask > 0
        gap = np.abs(Y_model - rep["Y"])[inside].max()
        acc = transduction_accuracy(rep["Y"], data)
        print(
            f"{name}: coarse {acc['coarse']:.3f} fine {acc['fine']:.4f}  "
            f"(replay = model.forward to {gap:.1e} on the scored steps)"
        )
        reps[name] = rep
    # -------------------------------------------------------------- 1. where the first error falls
    print("\n1. FIRST ERROR (test; j = target index of the first wrong symbol, 0 = at |||)")
    ns = np.asarray(test.info["n"])
    fe = first_errors(reps["test"]["Y"], test)
    wrong = fe <= ns
    print(f"   {wrong.sum()} of {len(ns)} sequences wrong")
    print("   n range    seqs  wrong  median j  median depth n-j  j / n")
    for lo in range(65, 129, 8):
        sel = (ns >= lo) & (ns < lo + 8)
        w = sel & wrong
        if sel.sum() == 0:
            continue
        jd = fe[w]
        print(
            f"   {lo:3d}-{lo + 7:3d}  {sel.sum():4d}  {w.sum():5d}  "
            + (
                f"{np.median(jd):8.1f}  {np.median(ns[w] - jd):16.1f}  {np.median(jd / ns[w]):.2f}"
                if w.any()
                else ""
            )
        )
    if wrong.any():
        jw, nw = fe[wrong], ns[wrong]
        print(f"   first error j:        {_q(jw)}")
        print(f"   depth n - j:          {_q(nw - jw)}")
        print(f"   time step of the error n + j: {_q(nw + jw)}")
        print(f"   errors at the end symbol (j = n): {(jw == nw).sum()}")
        print(
            f"   corr(j, n) {np.corrcoef(jw, nw)[0, 1]:+.2f};  corr(n - j, n) "
            f"{np.corrcoef(nw - jw, nw)[0, 1]:+.2f}"
        )
        print(f"   depth n - j > 64: {(nw - jw > 64).sum()} of {wrong.sum()}")
    # -------------------------------------------------------------- 2. strengths and the read
    print("\n2. STRENGTHS AND THE READ")
    for name, data in (("val", val), ("test", test)):
        st = phase_stats(reps[name], data)
        cat = {k: np.concatenate([np.atleast_1d(x) for x in v]) for k, v in st.items()}
        print(f"   {name}: source push {_q(cat['src_push'])}")
        print(f"   {name}: source pop  {_q(cat['src_pop'])}")
        print(f"   {name}: pop at |||  {_q(cat['sep_pop'])}")
        print(f"   {name}: target push {_q(cat['tgt_push'])}")
        print(f"   {name}: target pop  {_q(cat['tgt_pop'])}")
        print(
            f"   {name}: total strength after the source / n: "
            f"{_q(np.array(st['total_end']) / np.asarray(data.info['n']))}"
        )
        print(f"   {name}: read weight on the right slot {_q(cat['w_right'])}")
        print(f"   {name}: read weight on slots below it {_q(cat['w_below'])}")
        print(
            f"   {name}: by target index j: strength left above the right slot (A) / in it (R)"
            " / read weight on it (w), medians:"
        )
        nn_ = np.asarray(data.info["n"])
        for j in (0, 1, 2, 4, 8, 16, 32, 48, 63, 80, 96, 112, 127):
            have = [b for b in range(len(nn_)) if j < nn_[b]]
            if not have:
                continue
            A = np.median([st["s_above"][b][j] for b in have])
            R = np.median([st["s_right"][b][j] for b in have])
            W = np.median([st["w_right"][b][j] for b in have])
            print(f"     j={j:3d} ({len(have):3d} seqs): A {A:.4f}  R {R:.4f}  w {W:.3f}")
        reps[name]["stats"] = st
    # the read along the target phase of the wrong test sequences
    st = reps["test"]["stats"]
    if wrong.any():
        print("   test, wrong sequences: read weight on the right slot at target index j, by j")
        for j in (0, 8, 16, 32, 48, 64, 80, 96, 112):
            vals = [st["w_right"][b][j] for b in np.flatnonzero(wrong) if j < ns[b]]
            if vals:
                print(f"     j={j:3d}: {_q(vals)}")
        print("   at the first error (j < n) / one step before:")
        at = [st["w_right"][b][fe[b]] for b in np.flatnonzero(wrong) if fe[b] < ns[b]]
        before = [st["w_right"][b][fe[b] - 1] for b in np.flatnonzero(wrong) if 0 < fe[b] < ns[b]]
        print(f"     weight on the right slot at the error  {_q(at)}")
        print(f"     weight on the right slot a step before {_q(before)}")
        print("   source push strength at the slot the error needed (k = n - j), vs the rest:")
        need = [
            reps["test"]["push"][ns[b] - fe[b] - 1, b]
            for b in np.flatnonzero(wrong)
            if fe[b] < ns[b]
        ]
        print(f"     needed slot: {_q(need)}")
        print("   source push strength by source position k (test, all sequences):")
        P = reps["test"]["push"]
        for k0 in (1, 16, 32, 48, 64, 80, 96, 112):
            vals = [P[k0 - 1 : k0 + 15, b][: max(0, ns[b] - k0 + 1)] for b in range(len(ns))]
            vals = np.concatenate(vals)
            print(f"     k={k0:3d}-{k0 + 15:3d}: {_q(vals)}")
    # -------------------------------------------------------------- 3. the controller's state
    print("\n3. CONTROLLER STATE")
    cv = reps["val"]["c"]
    vn = np.asarray(val.info["n"])
    vmask = np.arange(cv.shape[0])[:, None] < (2 * vn + 1)[None, :]
    c_lo = np.where(vmask[:, :, None], cv, np.inf).min(axis=(0, 1))
    c_hi = np.where(vmask[:, :, None], cv, -np.inf).max(axis=(0, 1))
    ct = reps["test"]["c"]
    tmask = np.arange(ct.shape[0])[:, None] < (2 * ns + 1)[None, :]
    out_of = (ct < c_lo - 0.05) | (ct > c_hi + 0.05)  # (T, B, H)
    frac = (out_of & tmask[:, :, None]).sum(axis=(0, 1)) / tmask.sum()
    units = np.flatnonzero(frac > 0.01)
    print(f"   cell range on validation (8-64): |c| max {np.abs(np.r_[c_lo, c_hi]).max():.2f}")
    print(f"   units out of that range (by > 0.05) on > 1 % of test steps: {units.tolist()}")
    for u in units[:8]:
        print(
            f"     unit {u}: val [{c_lo[u]:+.2f}, {c_hi[u]:+.2f}], test "
            f"[{ct[..., u][tmask].min():+.2f}, {ct[..., u][tmask].max():+.2f}], "
            f"out on {100 * frac[u]:.1f} % of steps"
        )
    # counters: correlation of c with the step within the source phase
    src = [(t, b) for b in range(len(ns)) for t in range(ns[b])]
    tt = np.array([t for t, _ in src])
    cc = np.array([ct[t, b] for t, b in src])
    corr = np.array(
        [np.corrcoef(tt, cc[:, u])[0, 1] if cc[:, u].std() > 0 else 0 for u in range(cc.shape[1])]
    )
    top = np.argsort(-np.abs(corr))[:4]
    print(
        "   units most correlated with the source step t: "
        + ", ".join(f"{u} ({corr[u]:+.2f})" for u in top)
    )
    tgt = [(t, b) for b in range(len(ns)) for t in range(ns[b], 2 * ns[b] + 1)]
    tt2 = np.array([t - ns[b] for t, b in tgt])
    cc2 = np.array([ct[t, b] for t, b in tgt])
    corr2 = np.array(
        [
            np.corrcoef(tt2, cc2[:, u])[0, 1] if cc2[:, u].std() > 0 else 0
            for u in range(cc2.shape[1])
        ]
    )
    top2 = np.argsort(-np.abs(corr2))[:4]
    print(
        "   units most correlated with the target index j: "
        + ", ".join(f"{u} ({corr2[u]:+.2f})" for u in top2)
    )
    for u in sorted(set(top[:2].tolist() + top2[:2].tolist())):
        print(
            f"     unit {u}: c at source step t=8/32/64/96/127 (test, sequences long enough): "
            + " ".join(
                f"{np.mean([ct[t, b, u] for b in range(len(ns)) if ns[b] > t]):+.2f}"
                for t in (8, 32, 64, 96, 127)
            )
        )
        for name, rep_, n_ in (("val", reps["val"], vn), ("test", reps["test"], ns)):

            def at(key: str, j: int, rep_=rep_, n_=n_, u=u) -> float:
                return float(
                    np.mean([rep_[key][n_[b] + j, b, u] for b in range(len(n_)) if j < n_[b]])
                )

            print(
                f"     unit {u}: c/h at target index j=0/16/32/48/63/80/96/112 ({name}): "
                + " ".join(
                    f"{at('c', j):+.2f}/{at('h', j):+.2f}"
                    for j in (0, 16, 32, 48, 63, 80, 96, 112)
                    if any(j < n_)
                )
            )
    # -------------------------------------------------------------- 4. interventions
    print("\n4. INTERVENTIONS (test 65-128 unless said)")
    for name, data in (("val", val), ("test", test)):
        rep = replay(model, data.inputs, rounded=True)
        acc = transduction_accuracy(rep["Y"], data)
        print(
            f"   strengths rounded to 0/1 at test time, {name}: coarse {acc['coarse']:.3f} "
            f"fine {acc['fine']:.4f}"
        )
    for f in (0.99, 0.995, 0.998, 1.002, 1.005, 1.01):
        for name, data in (("val", val), ("test", test)):
            rep = replay(model, data.inputs, pop_scale=(f, np.asarray(data.info["n"])))
            acc = transduction_accuracy(rep["Y"], data)
            print(
                f"   target-phase pops x {f}, {name}: coarse {acc['coarse']:.3f} "
                f"fine {acc['fine']:.4f}"
            )
    rep = replay(model, test.inputs, c_range=(c_lo, c_hi))
    acc = transduction_accuracy(rep["Y"], test)
    print(
        f"   cell state clipped to its 8-64 range: coarse {acc['coarse']:.3f} "
        f"fine {acc['fine']:.4f}"
    )
    # one unit's cell held on the saturated side (|c| >= 2) it is on at target index 32
    for u in top2[:3]:
        side = np.mean([ct[ns[b] + 32, b, u] for b in range(len(ns))])
        lo_hi = (-np.inf, -2.0) if side < 0 else (2.0, np.inf)
        for name, data in (("val", val), ("test", test)):
            n_src = np.asarray(data.info["n"])
            rep = replay(model, data.inputs, pin=(u, *lo_hi, n_src))
            acc = transduction_accuracy(rep["Y"], data)
            print(
                f"   unit {u}'s cell held in [{lo_hi[0]}, {lo_hi[1]}] in the target phase, {name}:"
                f" coarse {acc['coarse']:.3f} fine {acc['fine']:.4f}"
            )
    print(f"\n({time.perf_counter() - t0:.0f} s)")


def finetune(path: str, seed: int, lam: float, lr: float, epochs: int) -> None:
    """Go on training a saved net on fresh 8-64 sequences (Adam, fresh moments, clipping 1,
    batch 10, 500 sequences an epoch) with the strength penalty ``lam``; after every epoch
    the accuracy on validation (8-64) and test (65-128) sequences, with strengths rounded
    too, and the median strengths. A probe of what moves the trained net, not the protocol
    (the test data are looked at every epoch)."""
    from recurrent_zoo.training import fit
    from recurrent_zoo.training.optimizers import get_optimizer

    model = recurrent_zoo.load(path)
    core = model.models[0]
    fmt = {"vocab_size": 128, "target_inputs": "separate"}
    test = transduction("reversal", 200, 65, 128, seed=seed + 600_000, **fmt)
    val = transduction("reversal", 100, 8, 64, seed=seed + 500_000, **fmt)
    opt = get_optimizer("adam", model.params, lr=lr)
    t0 = time.perf_counter()
    print(f"finetune {path}: strength penalty {lam}, Adam {lr}, {epochs} epochs")
    for e in range(epochs):
        core.strength_penalty = lam
        data = transduction("reversal", 500, 8, 64, seed=777 + e, **fmt)
        h = fit(
            model,
            data.inputs,
            data.targets,
            loss="cross_entropy",
            mask=data.mask,
            lengths=data.lengths,
            optimizer=opt,
            epochs=1,
            batch_size=10,
            clip_norm=1.0,
            seed=e,
        )
        core.strength_penalty = 0.0
        Y, _ = model.forward(val.inputs, lengths=val.lengths)
        va = transduction_accuracy(Y, val)
        Y, _ = model.forward(test.inputs, lengths=test.lengths)
        ta = transduction_accuracy(Y, test)
        ra = transduction_accuracy(replay(model, test.inputs, rounded=True)["Y"], test)
        tr = core.trace(val.inputs, val.lengths)
        nv = np.asarray(val.info["n"])
        push = np.concatenate([tr["push"][:n, b, 0] for b, n in enumerate(nv)])
        pop = np.concatenate([tr["pop"][n + 1 : 2 * n, b, 0] for b, n in enumerate(nv)])
        print(
            f"  epoch {e}: loss {h['loss'][-1]:.4f} val {va['coarse']:.3f}/{va['fine']:.4f} "
            f"test {ta['coarse']:.3f}/{ta['fine']:.4f} rounded test "
            f"{ra['coarse']:.3f}/{ra['fine']:.4f}; median source push {np.median(push):.4f}, "
            f"target pop {np.median(pop):.4f} ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )


def longer(paths: list[str]) -> None:
    """Coarse / fine accuracy of saved nets on 100 reversal sequences of 129-160 and of
    161-192 symbols (seed 700000): how far past the test lengths each generalises."""
    fmt = {"vocab_size": 128, "target_inputs": "separate"}
    for lo, hi in ((129, 160), (161, 192)):
        data = transduction("reversal", 100, lo, hi, seed=700_000, **fmt)
        for path in paths:
            Y, _ = recurrent_zoo.load(path).forward(data.inputs, lengths=data.lengths)
            acc = transduction_accuracy(Y, data)
            print(
                f"{path}: 100 sequences of {lo}-{hi}: coarse {acc['coarse']:.3f} "
                f"fine {acc['fine']:.4f}",
                flush=True,
            )
    print(f"load {os.getloadavg()}")


def main(argv: list[str]) -> None:
    if argv[:1] == ["train"]:
        train(int(argv[1]), argv[2], json.loads(argv[3]) if len(argv) > 3 else {})
    elif argv[:1] == ["diagnose"]:
        diagnose(argv[1], int(argv[2]) if len(argv) > 2 else 0)
    elif argv[:1] == ["longer"]:
        longer(argv[1:])
    elif argv[:1] == ["finetune"]:
        finetune(argv[1], int(argv[2]), float(argv[3]), float(argv[4]), int(argv[5]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
