"""Time the reference layers against torch (CPU) on the capstone's shapes; print numpy/torch ratios.

Run (torch only for this script, never a course requirement)::

    .venv/bin/pip install torch==2.13.0
    .venv/bin/python benchmarks/bench_layers.py [--repeats 20]

Both sides use float64 and two threads; each figure is the best of ``--repeats`` runs of
forward + backward. Target: every ratio <= 2.
"""
from __future__ import annotations

import argparse
import os
import timeit

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import numpy as np  # noqa: E402

from solutions_lib import (  # noqa: E402
    conv2d_backward,
    conv2d_forward,
    dense_backward,
    dense_forward,
    lstm_backward,
    lstm_forward,
    lstm_step_forward,
    maxpool2d_backward,
    maxpool2d_forward,
)


def best_ms(fn, repeats):
    fn()  # warm-up
    return 1e3 * min(timeit.repeat(fn, number=1, repeat=repeats))


def numpy_cases(rng):
    """name -> (numpy callable, torch callable) doing forward + backward on the same data."""
    import torch
    import torch.nn.functional as F

    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    cases = {}

    def conv_case(n, h, c, k, f):
        x, w, b = rng.normal(size=(n, h, h, c)), rng.normal(size=(f, f, c, k)), rng.normal(size=k)
        delta = rng.normal(size=(n, h, h, k))
        pad = (f - 1) // 2

        def np_fn():
            conv2d_forward(x, w, b, 1, pad)
            conv2d_backward(delta, x, w, 1, pad)

        xt = t(x.transpose(0, 3, 1, 2)).requires_grad_()
        wt = t(w.transpose(3, 2, 0, 1)).requires_grad_()
        bt = t(b).requires_grad_()
        dt = t(delta.transpose(0, 3, 1, 2))

        def torch_fn():
            out = F.conv2d(xt, wt, bt, padding=pad)
            out.backward(dt)

        return np_fn, torch_fn

    cases["conv 64x28x28x1 -> 16, 5x5 same (fwd+bwd)"] = conv_case(64, 28, 1, 16, 5)
    cases["conv 64x14x14x16 -> 16, 5x5 same (fwd+bwd)"] = conv_case(64, 14, 16, 16, 5)

    x = rng.normal(size=(64, 28, 28, 16))
    dp = rng.normal(size=(64, 14, 14, 16))
    xt = t(x.transpose(0, 3, 1, 2)).requires_grad_()
    dpt = t(dp.transpose(0, 3, 1, 2))
    cases["max-pool 2x2 on 64x28x28x16 (fwd+bwd)"] = (
        lambda: (maxpool2d_forward(x, 2, 2), maxpool2d_backward(dp, x, 2, 2)),
        lambda: F.max_pool2d(xt, 2, 2).backward(dpt),
    )

    xd, W, bd, dd = rng.normal(size=(64, 784)), rng.normal(size=(784, 10)), rng.normal(size=10), rng.normal(size=(64, 10))
    xdt, Wt, bdt = (t(a).requires_grad_() for a in (xd, W, bd))
    ddt = t(dd)
    cases["dense 784 -> 10, batch 64 (fwd+bwd)"] = (
        lambda: (dense_forward(xd, W, bd), dense_backward(dd, xd, W)),
        lambda: (xdt @ Wt + bdt).backward(ddt),
    )

    n, d, h = 64, 28, 128
    params = {k: rng.normal(scale=0.1, size=(d, h)) for k in ("W_f", "W_i", "W_o", "W_c")}
    params.update({k: rng.normal(scale=0.1, size=(h, h)) for k in ("W_fc", "W_ic", "W_oc")})
    params.update({k: rng.normal(scale=0.1, size=h) for k in ("b_f", "b_i", "b_o", "b_c")})
    xs, c0, dh = rng.normal(size=(n, d)), rng.normal(size=(n, h)), rng.normal(size=(1, n, h))

    def np_lstm():
        _, _, cache = lstm_step_forward(xs, c0, params)
        lstm_backward(dh, [cache], params)

    tp = {k: t(v).requires_grad_() for k, v in params.items()}
    xst, c0t, dht = t(xs).requires_grad_(), t(c0).requires_grad_(), t(dh[0])

    def torch_lstm():
        f = torch.sigmoid(xst @ tp["W_f"] + c0t @ tp["W_fc"] + tp["b_f"])
        i = torch.sigmoid(xst @ tp["W_i"] + c0t @ tp["W_ic"] + tp["b_i"])
        o = torch.sigmoid(xst @ tp["W_o"] + c0t @ tp["W_oc"] + tp["b_o"])
        c = f * c0t + i * torch.tanh(xst @ tp["W_c"] + tp["b_c"])
        torch.tanh(o * c).backward(dht)

    cases["peephole LSTM step, N=64 D=28 H=128 (fwd+bwd)"] = (np_lstm, torch_lstm)

    T = 28
    xs_seq, dhs_seq = rng.normal(size=(T, n, d)), rng.normal(size=(T, n, h))
    xs_seq_t, dhs_seq_t = t(xs_seq).requires_grad_(), t(dhs_seq)

    def np_bptt():
        _, _, caches = lstm_forward(xs_seq, c0, params)
        lstm_backward(dhs_seq, caches, params)

    def torch_bptt():
        c, hs = c0t, []
        for x in xs_seq_t:
            f = torch.sigmoid(x @ tp["W_f"] + c @ tp["W_fc"] + tp["b_f"])
            i = torch.sigmoid(x @ tp["W_i"] + c @ tp["W_ic"] + tp["b_i"])
            o = torch.sigmoid(x @ tp["W_o"] + c @ tp["W_oc"] + tp["b_o"])
            c = f * c + i * torch.tanh(x @ tp["W_c"] + tp["b_c"])
            hs.append(torch.tanh(o * c))
        torch.stack(hs).backward(dhs_seq_t)

    cases[f"peephole LSTM BPTT, T={T} N=64 D=28 H=128 (fwd+bwd)"] = (np_bptt, torch_bptt)
    return cases


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        raise SystemExit("torch is not installed: .venv/bin/pip install torch==2.13.0") from None
    torch.set_num_threads(2)
    torch.set_default_dtype(torch.float64)
    cases = numpy_cases(np.random.default_rng(0))
    print(f"{'operation':50s} {'numpy ms':>9s} {'torch ms':>9s} {'ratio':>6s}")
    worst = 0.0
    for name, (np_fn, torch_fn) in cases.items():
        a, b = best_ms(np_fn, args.repeats), best_ms(torch_fn, args.repeats)
        worst = max(worst, a / b)
        print(f"{name:50s} {a:9.2f} {b:9.2f} {a / b:6.2f}")
    print(f"worst ratio {worst:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
