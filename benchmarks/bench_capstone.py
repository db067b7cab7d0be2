"""The capstone's two measurements: the speed of one training step, and the accuracy table.

Speed (default): one full training step (forward, softmax cross-entropy, backward, momentum
update) of the sheet-004 Table 1 network, batch 64, on ONE thread, for

* ``layers f64``: the course's layer objects (``solutions_lib.capstone.table1_network``), which
  is what the week-8 notebook trains (the course's arrays are float64);
* ``functions f64`` / ``functions f32``: the same step composed from the reference functions
  (``conv2d``/``pooling`` keep float32 input in float32; the dense layer, ReLU and the loss are the
  same numpy expressions in both precisions);
* ``torch f64`` / ``torch f32``: the same network in torch (CPU, NCHW, the input needs no gradient).

All five are timed interleaved (one step of each per round, ``--rounds`` rounds, the median per
kind), so a change of machine load hits them alike. Printed: the medians, the ratios reference/torch
at each precision, and the ratio to the machine's GEMM limit (the step's 0.56 GFLOP at the speed of
a 1000×1000 matrix product on one thread). Targets of issue 13: ratio to torch <= 1.3 at the same
precision, <= 3 × the GEMM limit.

Accuracy (``--accuracy``): trains the Table 1 network with the autograde settings of
``course_config.CAPSTONE`` for ``--seeds`` seeds and (``--full``) once with the full settings, and
prints the test accuracy on the 10,000 MNIST test images and the time of each run (one thread).

Run (torch only for this script, never a course requirement)::

    .venv/bin/pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/bench_capstone.py [--rounds 30]
    .venv/bin/python benchmarks/bench_capstone.py --accuracy --seeds 5 [--full]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import course_config as cc  # noqa: E402
from solutions_lib.capstone import images, table1_network, train_epochs  # noqa: E402
from solutions_lib.conv2d import _backward as conv_backward  # noqa: E402
from solutions_lib.conv2d import _forward as conv_forward  # noqa: E402
from solutions_lib.data import load_mnist  # noqa: E402
from solutions_lib.pooling import _maxpool_tiled, _maxpool_tiled_backward  # noqa: E402

BATCH = 64
#: Multiply-adds x 2 of one step: the forward products (conv1, conv2, dense), and backward the
#: weight gradients of all three and the input gradients of conv2 and dense (conv1's input, the
#: image, needs none): 0.56 GFLOP.
_FORWARD = (784 * 25 * 16, 196 * 400 * 16, 784 * 10)
STEP_GFLOP = 2 * BATCH * (3 * sum(_FORWARD) - _FORWARD[0]) / 1e9


def _gemm_gflops(dtype, n=1000, repeats=5):
    a = np.random.default_rng(0).random((n, n)).astype(dtype)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _softmax_delta(logits, labels):
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def functions_step(dtype, rng):
    """One training step from the reference functions in ``dtype``; returns a callable."""
    w1 = (rng.normal(size=(5, 5, 1, 16)) * 0.28).astype(dtype)
    w2 = (rng.normal(size=(5, 5, 16, 16)) * 0.07).astype(dtype)
    b1, b2 = np.zeros(16, dtype), np.zeros(16, dtype)
    wd, bd = (rng.normal(size=(784, 10)) * 0.05).astype(dtype), np.zeros(10, dtype)
    params = [w1, b1, w2, b2, wd, bd]
    velocity = [np.zeros_like(p) for p in params]
    x = rng.random((BATCH, 28, 28, 1)).astype(dtype)
    labels = rng.integers(0, 10, BATCH)
    eta, mu = 0.05, 0.9

    def step():
        z1, cols1 = conv_forward(x, w1, b1, 1, 2)
        a1 = np.maximum(z1, 0)
        p1, win1 = _maxpool_tiled(a1, 2)
        z2, cols2 = conv_forward(p1, w2, b2, 1, 2)
        a2 = np.maximum(z2, 0)
        p2, win2 = _maxpool_tiled(a2, 2)
        flat = p2.reshape(BATCH, -1)
        delta = _softmax_delta(flat @ wd + bd, labels)
        grads_d = [flat.T @ delta, delta.sum(axis=0)]
        d = _maxpool_tiled_backward((delta @ wd.T).reshape(p2.shape), a2.shape, 2, win2) * (z2 > 0)
        dp1, dw2, db2 = conv_backward(d, cols2, p1.shape, w2, 1, 2)
        d = _maxpool_tiled_backward(dp1, a1.shape, 2, win1) * (z1 > 0)
        _, dw1, db1 = conv_backward(d, cols1, x.shape, w1, 1, 2, input_gradient=False)
        for p, m, g in zip(params, velocity, [dw1, db1, dw2, db2, *grads_d]):
            m *= mu
            m += (1 - mu) * g
            p -= eta * m

    return step


def layers_step(rng):
    """One training step of the course's layer objects (float64), as the notebook trains them."""
    net = table1_network(rng=rng)
    x = rng.random((BATCH, 28, 28, 1))
    labels = rng.integers(0, 10, BATCH)

    def step():
        _, delta = net.loss_and_delta(x, labels)
        net.backward(delta)
        net.update()

    return step


def torch_step(dtype, rng):
    """The same step in torch (CPU, one thread), ``dtype`` ``"float64"`` or ``"float32"``."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    tdt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(int(rng.integers(1 << 30)))
    w1 = (torch.randn(16, 1, 5, 5, generator=g, dtype=tdt) * 0.28).requires_grad_()
    w2 = (torch.randn(16, 16, 5, 5, generator=g, dtype=tdt) * 0.07).requires_grad_()
    b1, b2 = torch.zeros(16, dtype=tdt, requires_grad=True), torch.zeros(16, dtype=tdt, requires_grad=True)
    wd = (torch.randn(784, 10, generator=g, dtype=tdt) * 0.05).requires_grad_()
    bd = torch.zeros(10, dtype=tdt, requires_grad=True)
    params = [w1, b1, w2, b2, wd, bd]
    opt = torch.optim.SGD(params, lr=0.05, momentum=0.9, dampening=0.1)
    x = torch.rand(BATCH, 1, 28, 28, generator=g, dtype=tdt)
    labels = torch.from_numpy(rng.integers(0, 10, BATCH))

    def step():
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=2)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding=2)), 2)
        loss = F.cross_entropy(h.permute(0, 2, 3, 1).reshape(BATCH, -1) @ wd + bd, labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def speed(rounds):
    rng = np.random.default_rng(0)
    kinds = {"layers f64": layers_step(rng), "functions f64": functions_step(np.float64, rng),
             "functions f32": functions_step(np.float32, rng)}
    try:
        kinds["torch f64"], kinds["torch f32"] = torch_step("float64", rng), torch_step("float32", rng)
    except ImportError:
        print("torch is not installed: .venv/bin/pip install -r benchmarks/requirements.txt")
    times = {k: [] for k in kinds}
    for fn in kinds.values():
        fn()  # warm-up
    for _ in range(rounds):
        for k, fn in kinds.items():
            times[k].append(_timed(fn))
    med = {k: 1e3 * statistics.median(v) for k, v in times.items()}
    gemm = {"f64": _gemm_gflops(np.float64), "f32": _gemm_gflops(np.float32)}
    print(f"one training step of the Table 1 network, batch {BATCH}, one thread, median of {rounds} "
          f"interleaved rounds ({STEP_GFLOP:.2f} GFLOP per step)")
    for k, ms in med.items():
        print(f"  {k:14s} {ms:7.1f} ms")
    for prec in ("f64", "f32"):
        limit = 1e3 * STEP_GFLOP / gemm[prec]
        print(f"{prec}: GEMM {gemm[prec]:.0f} GFLOP/s -> limit {limit:.1f} ms per step")
        for k in (f"functions {prec}", f"layers {prec}"):
            if k in med:
                line = f"  {k:14s} = {med[k] / limit:.2f} x the GEMM limit"
                if f"torch {prec}" in med:
                    line += f", {med[k] / med[f'torch {prec}']:.2f} x torch {prec}"
                print(line)
        if f"torch {prec}" in med:
            print(f"  torch {prec:9s} = {med[f'torch {prec}'] / limit:.2f} x the GEMM limit")


def accuracy(seeds, full):
    x_train, y_train, x_test, y_test = load_mnist()
    x_test = images(x_test)
    runs = [(f"autograde, seed {s}", cc.CAPSTONE["autograde"], s) for s in range(seeds)]
    if full:
        runs.append(("full, seed 0", cc.CAPSTONE["full"], 0))
    for name, settings, seed in runs:
        rng = np.random.default_rng(seed)
        net = table1_network(eta=settings["eta"], mu=settings["mu"], rng=rng)
        n = settings["n_train"]
        t = time.perf_counter()
        train_epochs(net, x_train[:n], y_train[:n], settings["epochs"], settings["batch_size"], rng)
        seconds = time.perf_counter() - t
        predicted = np.concatenate([net.predict(x_test[i:i + 500]) for i in range(0, len(x_test), 500)])
        acc = float(np.mean(predicted == y_test))
        print(f"{name:22s} n_train={n:5d} epochs={settings['epochs']}  test accuracy {acc:.4f}  "
              f"training {seconds:6.1f} s", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--accuracy", action="store_true")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--full", action="store_true")
    args = p.parse_args(argv)
    if args.accuracy:
        accuracy(args.seeds, args.full)
    else:
        speed(args.rounds)


if __name__ == "__main__":
    main()
