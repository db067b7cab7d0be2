"""Seeded hidden-test cases for every graded name (runs in the verifier only).

``make_cases(name)`` returns a list of case dicts::

    {"desc": "x (2, 5, 5, 3), w (3, 3, 3, 4), stride 2, padding 1",
     "driver": "call", "args": [...], "kwargs": {...}, "expect_error": False}

The random stream of a name is ``np.random.default_rng([HIDDEN_TEST_SEED, crc32(name)])``,
so cases are the same on every run and differ between names. Each name gets several
random shapes plus the edge cases of the spec (batch 1, one channel, 1x1 kernels,
stride > 1, padding, ties in max pooling, logits of size 1000, a kernel larger than the
input, ...) and the bad inputs that must raise ``ValueError``. Cases that reveal a
particular mistake of :mod:`.mistakes` are included on purpose (e.g. a square ``W`` so
that ``W`` instead of ``W.T`` gives numbers instead of a shape error).
"""
from __future__ import annotations

import zlib

import numpy as np

import course_config


def rng_for(name: str) -> np.random.Generator:
    """The seeded generator of ``name``."""
    return np.random.default_rng([course_config.HIDDEN_TEST_SEED, zlib.crc32(name.encode())])


def _case(desc, args, kwargs=None, driver="call", expect_error=False):
    return {"desc": desc, "driver": driver, "args": list(args), "kwargs": dict(kwargs or {}),
            "expect_error": bool(expect_error)}


def _err(desc, args, kwargs=None, driver="call"):
    return _case(desc, args, kwargs, driver, expect_error=True)


def _shape(a):
    return "x".join(str(s) for s in np.shape(a)) if np.ndim(a) else "scalar"


# --- week 1 ----------------------------------------------------------------------------

def _flip(r):
    cases = []
    for shape in [(7,), (3, 4), (2, 3, 4), (1,), (1, 5), (2, 2, 2, 3)]:
        a = r.standard_normal(shape)
        cases.append(_case(f"a of shape {shape}", [a]))
    return cases


def _pairs_nd(r, allow_bigger_kernel):
    pairs = [((6,), (3,)), ((4, 5), (2, 3)), ((5, 5), (3, 3)), ((3, 4, 5), (2, 2, 3)),
             ((5, 4), (1, 1)), ((1, 6), (1, 2)), ((2, 3, 2, 3), (2, 1, 2, 2)), ((4,), (4,))]
    if allow_bigger_kernel:
        pairs.append(((3,), (5,)))
        pairs.append(((2, 3), (3, 2)))
    return [(r.standard_normal(xs), r.standard_normal(ks)) for xs, ks in pairs]


def _convolve_full(r):
    cases = [_case(f"x {_shape(x)}, f {_shape(f)}", [x, f]) for x, f in _pairs_nd(r, True)]
    cases.append(_err("x of 2 dimensions, f of 1 (ndim differ)", [r.standard_normal((3, 3)), r.standard_normal(2)]))
    return cases


def _valid(r):
    cases = [_case(f"x {_shape(x)}, kernel {_shape(k)}", [x, k]) for x, k in _pairs_nd(r, False)]
    cases.append(_err("kernel (5,) larger than x (3,)", [r.standard_normal(3), r.standard_normal(5)]))
    cases.append(_err("kernel (2, 6) wider than x (4, 4)", [r.standard_normal((4, 4)), r.standard_normal((2, 6))]))
    cases.append(_err("x of 2 dimensions, kernel of 1 (ndim differ)", [r.standard_normal((4, 4)), r.standard_normal(2)]))
    return cases


def _sobel(r):
    return [_case("no arguments (the sheet-002 image and filters)", [])]


def _kernel_gradient(r):
    cases = []
    for (h, w), (kh, kw) in [((5, 5), (3, 3)), ((4, 6), (2, 3)), ((3, 3), (1, 1)), ((4, 4), (4, 4)), ((6, 5), (3, 2))]:
        a = r.standard_normal((h, w))
        d = r.standard_normal((h - kh + 1, w - kw + 1))
        cases.append(_case(f"a {_shape(a)}, delta {_shape(d)}", [a, d]))
    cases.append(_err("delta larger than a", [r.standard_normal((2, 2)), r.standard_normal((3, 3))]))
    return cases


# --- week 2 ----------------------------------------------------------------------------

def _conv_output_size(r):
    cases = []
    for n, f, p, s in [(5, 3, 0, 1), (32, 5, 2, 1), (7, 3, 0, 2), (8, 3, 1, 2), (10, 4, 1, 3), (6, 6, 0, 1),
                       (1, 1, 0, 1), (20, 3, 3, 2), (227, 11, 0, 4), (9, 2, 0, 4)]:
        cases.append(_case(f"n={n}, f={f}, p={p}, s={s}", [n, f, p, s]))
    cases.append(_case("n=7, f=3 (defaults p=0, s=1)", [7, 3]))
    for n, f, p, s, why in [(-1, 3, 0, 1, "negative n"), (5, 3, -1, 1, "negative p"), (5, 3, 0, 0, "stride 0"),
                            (3, 5, 0, 1, "filter larger than the input"), (5, -3, 0, 1, "negative f")]:
        cases.append(_err(f"n={n}, f={f}, p={p}, s={s} ({why})", [n, f, p, s]))
    return cases


def _same_padding(r):
    cases = [_case(f"f={f}", [f]) for f in (1, 3, 5, 7, 11)]
    cases += [_err(f"f={f} ({'even' if f % 2 == 0 else 'not positive'})", [f]) for f in (2, 4, 0, -3)]
    return cases


def _conv_output_shape(r):
    cases = []
    for i, f, s, p in [((20, 18, 5), (3, 4, 5, 1337), 2, 3), ((28, 28, 1), (5, 5, 1, 16), 1, 2),
                       ((7, 9, 3), (3, 3, 3, 8), 2, 0), ((4, 4, 2), (1, 1, 2, 3), 1, 0), ((11, 6, 4), (4, 3, 4, 2), 3, 1)]:
        cases.append(_case(f"input {i}, filter {f}, stride {s}, padding {p}", [i, f, s, p]))
    cases.append(_case("input (6, 6, 3), filter (3, 3, 3, 2) (defaults)", [(6, 6, 3), (3, 3, 3, 2)]))
    cases.append(_err("channels differ: input (6, 6, 3), filter (3, 3, 2, 4)", [(6, 6, 3), (3, 3, 2, 4), 1, 0]))
    return cases


def _conv_param_count(r):
    cases = [_case(f"kh={a}, kw={b}, c_in={c}, c_out={d}", [a, b, c, d])
             for a, b, c, d in [(3, 3, 1, 16), (5, 5, 16, 16), (1, 1, 3, 7), (3, 4, 5, 1337), (2, 3, 4, 1)]]
    cases.append(_err("negative c_in", [3, 3, -1, 4]))
    return cases


def _conv_inputs(r, n, h, w, c, kh, kw, k):
    return r.standard_normal((n, h, w, c)), r.standard_normal((kh, kw, c, k)), r.standard_normal(k)


_CONV_SHAPES = [  # n, h, w, c, kh, kw, k, stride, padding
    (2, 5, 5, 3, 3, 3, 4, 1, 0), (1, 4, 6, 1, 2, 3, 1, 1, 0), (2, 6, 6, 2, 3, 3, 3, 1, 1),
    (2, 7, 7, 2, 3, 3, 2, 2, 0), (1, 8, 6, 3, 3, 2, 2, 3, 1), (3, 4, 4, 2, 1, 1, 3, 1, 0),
    (1, 5, 5, 2, 5, 5, 1, 1, 2), (2, 6, 5, 1, 2, 2, 2, 2, 1), (1, 6, 6, 3, 3, 3, 3, 2, 1),
]


def _conv2d_forward(r):
    cases = []
    for n, h, w, c, kh, kw, k, s, p in _CONV_SHAPES:
        x, wt, b = _conv_inputs(r, n, h, w, c, kh, kw, k)
        cases.append(_case(f"x {_shape(x)}, w {_shape(wt)}, stride {s}, padding {p}", [x, wt, b], {"stride": s, "padding": p}))
    x, wt, b = _conv_inputs(r, 1, 4, 4, 2, 3, 3, 2)
    cases.append(_case("x 1x4x4x2, w 3x3x2x2 (defaults)", [x, wt, b]))
    cases.append(_err("channels differ: x (1, 4, 4, 2), w (3, 3, 3, 2)", [x, r.standard_normal((3, 3, 3, 2)), b]))
    cases.append(_err("bias of shape (3,) for 2 filters", [x, wt, r.standard_normal(3)]))
    return cases


def _relu(r):
    cases = [_case(f"x {s}", [r.standard_normal(s)]) for s in [(5,), (3, 4), (2, 3, 3, 2)]]
    cases.append(_case("x with exact zeros", [np.array([-1.0, 0.0, 0.0, 2.0, -0.0])]))
    return cases


_POOL_SHAPES = [  # n, h, w, c, size, stride
    (2, 4, 4, 3, 2, 2), (1, 5, 5, 1, 2, 2), (2, 6, 4, 2, 3, 3), (1, 5, 5, 2, 3, 2), (2, 4, 6, 1, 2, 1),
    (1, 3, 3, 2, 1, 1), (3, 6, 6, 1, 2, 2),
]


def _pool_x(r, shape, ties=False):
    if ties:
        return r.integers(0, 3, size=shape).astype(float)
    return r.standard_normal(shape)


def _pool_forward(r):
    cases = []
    for n, h, w, c, size, stride in _POOL_SHAPES:
        x = _pool_x(r, (n, h, w, c))
        cases.append(_case(f"x {_shape(x)}, size {size}, stride {stride}", [x], {"size": size, "stride": stride}))
    x = r.standard_normal((2, 4, 4, 2))
    cases.append(_case("x 2x4x4x2 (defaults size 2, stride 2)", [x]))
    cases.append(_err("size 0", [x], {"size": 0, "stride": 2}))
    cases.append(_err("window larger than the input (size 5 on 4x4)", [x], {"size": 5, "stride": 1}))
    return cases


def _pool_backward(r):
    cases = []
    for n, h, w, c, size, stride in _POOL_SHAPES:
        for ties in (False, True):
            x = _pool_x(r, (n, h, w, c), ties)
            ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
            d = r.standard_normal((n, ho, wo, c))
            cases.append(_case(f"x {_shape(x)}{' with ties' if ties else ''}, size {size}, stride {stride}",
                               [d, x], {"size": size, "stride": stride}))
    x = r.standard_normal((1, 4, 4, 1))
    cases.append(_err("delta of the wrong shape (1, 3, 3, 1) for x 1x4x4x1, size 2, stride 2",
                      [r.standard_normal((1, 3, 3, 1)), x], {"size": 2, "stride": 2}))
    return cases


def _sheet001():
    import solutions_lib
    return np.asarray(solutions_lib.SHEET001_IMAGE, float), np.asarray(solutions_lib.SHEET001_FILTERS, float)


def _pooled_features(r):
    img, filt = _sheet001()
    cases = [_case("the sheet-001 image and filters", [img, filt])]
    for (h, w), (kh, kw, k) in [((6, 6), (3, 3, 2)), ((9, 8), (2, 3, 3)), ((5, 5), (2, 2, 1)), ((7, 7), (1, 1, 2))]:
        cases.append(_case(f"image {h}x{w}, filters {kh}x{kw}x{k}", [r.standard_normal((h, w)), r.standard_normal((kh, kw, k))]))
    return cases


def _count_changed_units(r):
    img, filt = _sheet001()
    cases = [_case(f"the sheet-001 image and filters, shift {s}", [img, filt, s])
             for s in [(0, -1), (0, 1), (1, 0), (-1, 0), (0, 0), (1, -1), (0, -2)]]
    for s in [(0, -1), (2, 1)]:
        im = np.zeros((8, 8))
        im[2:6, 2:6] = r.integers(0, 3, (4, 4))
        cases.append(_case(f"an 8x8 image with a 4x4 blob, filters of the sheet, shift {s}", [im, filt, s]))
    im = np.zeros((6, 6))
    im[:, -1] = 1.0
    im[2, 0] = 2.0
    cases.append(_case("a 6x6 image with bright border pixels, shift (0, -1)", [im, filt, (0, -1)]))
    cases.append(_case("the same image, shift (0, 1)", [im, filt, (0, 1)]))
    return cases


# --- week 3 ----------------------------------------------------------------------------

def _dense_shapes():
    return [(4, 3, 3), (2, 3, 5), (1, 4, 2), (5, 1, 1), (3, 2, 4)]  # N, n_in, n_out


def _dense_forward(r):
    cases = []
    for n, i, o in _dense_shapes():
        cases.append(_case(f"x ({n}, {i}), W ({i}, {o})", [r.standard_normal((n, i)), r.standard_normal((i, o)), r.standard_normal(o)]))
    cases.append(_err("x (2, 3) but W (4, 2)", [r.standard_normal((2, 3)), r.standard_normal((4, 2)), r.standard_normal(2)]))
    cases.append(_err("b (3,) but W (3, 2)", [r.standard_normal((2, 3)), r.standard_normal((3, 2)), r.standard_normal(3)]))
    return cases


def _dense_backward(r):
    cases = []
    for n, i, o in _dense_shapes():
        cases.append(_case(f"delta ({n}, {o}), x ({n}, {i}), W ({i}, {o})",
                           [r.standard_normal((n, o)), r.standard_normal((n, i)), r.standard_normal((i, o))]))
    cases.append(_err("delta (2, 3) but W (3, 2)", [r.standard_normal((2, 3)), r.standard_normal((2, 3)), r.standard_normal((3, 2))]))
    return cases


def _act_backward(r):
    cases = []
    for s in [(5,), (3, 4), (2, 3, 2)]:
        cases.append(_case(f"x {s}", [3 * r.standard_normal(s), r.standard_normal(s)]))
    x = np.array([-1000.0, -30.0, -1.0, 0.5, 30.0, 1000.0])
    cases.append(_case("x with large |x|", [x, np.ones_like(x)]))
    cases.append(_err("delta of another shape than x", [r.standard_normal((2, 3)), r.standard_normal((3, 2))]))
    return cases


def _sigmoid(r):
    cases = [_case(f"x {s}", [3 * r.standard_normal(s)]) for s in [(5,), (3, 4), (2, 2, 3)]]
    cases.append(_case("x with large |x| (-1000 ... 1000)", [np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0])]))
    return cases


def _softmax(r):
    cases = []
    for n, k, scale in [(4, 3, 1.0), (1, 5, 1.0), (6, 2, 3.0), (3, 10, 1.0), (2, 4, 1000.0), (3, 3, 300.0)]:
        logits = scale * r.standard_normal((n, k))
        labels = r.integers(0, k, size=n)
        cases.append(_case(f"logits ({n}, {k}) of size ~{scale:g}, labels {labels.tolist()}", [logits, labels]))
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]])
    cases.append(_case("logits of size 1000", [logits, np.array([0, 2])]))
    cases.append(_err("3 labels for 2 rows of logits", [r.standard_normal((2, 3)), np.array([0, 1, 2])]))
    cases.append(_err("label 3 for 3 classes", [r.standard_normal((2, 3)), np.array([0, 3])]))
    return cases


def _two_layer(r):
    cases = []
    for n, i, h, o in [(1, 2, 2, 1), (4, 3, 5, 2), (2, 1, 3, 3), (6, 4, 2, 2)]:
        x = r.standard_normal((n, i))
        y = r.uniform(0, 1, (n, o))
        V = r.standard_normal((i + 1, h))
        W = r.standard_normal((h + 1, o))
        cases.append(_case(f"x ({n}, {i}), y ({n}, {o}), V ({i + 1}, {h}), W ({h + 1}, {o})", [x, y, V, W]))
    cases.append(_err("V with n_in rows (bias row missing)", [r.standard_normal((2, 3)), r.uniform(0, 1, (2, 1)),
                                                              r.standard_normal((3, 2)), r.standard_normal((3, 1))]))
    return cases


def _dense_layer(r):
    cases = []
    for n, i, o, act in [(4, 3, 3, "sigmoid"), (3, 2, 4, "relu"), (1, 3, 2, "identity"), (5, 4, 4, "relu"),
                         (2, 3, 3, "identity"), (3, 4, 2, "sigmoid")]:
        x, d = r.standard_normal((n, i)), r.standard_normal((n, o))
        W, b = r.standard_normal((i, o)), r.standard_normal(o)
        cases.append(_case(f"DenseLayer({i}, {o}, activation={act!r}), batch {n}, SGD(0.1)", [x, d, W, b],
                           {"ctor": [i, o], "activation": act, "eta": 0.1}, driver="layer"))
    return cases


def _optimizer(name):
    def make(r):
        cases = []
        for shapes, k, eta, mu in [([(3,)], 1, 0.1, 0.9), ([(2, 3), (3,)], 3, 0.05, 0.9), ([(4, 2)], 5, 0.5, 0.5),
                                   ([(1,), (2, 2)], 2, 1.0, 0.0)]:
            params = [r.standard_normal(s) for s in shapes]
            steps = [[r.standard_normal(s) for s in shapes] for _ in range(k)]
            ctor = {"eta": eta} if name == "SGD" else {"eta": eta, "mu": mu}
            args = ", ".join(f"{kk}={vv}" for kk, vv in ctor.items())
            cases.append(_case(f"{name}({args}), params of shapes {shapes}, {k} update(s)", [params, steps],
                               {"ctor": ctor}, driver="optimizer"))
        return cases
    return make


def _sequential(r):
    cases = []
    for n, sizes, acts, loss in [(4, [3, 2], ["identity"], "sum_of_squares"),
                                 (5, [3, 4, 2], ["tanh", "identity"], "sum_of_squares"),
                                 (6, [2, 5, 3], ["tanh", "identity"], "softmax_cross_entropy"),
                                 (3, [4, 3, 3, 2], ["tanh", "tanh", "identity"], "softmax_cross_entropy")]:
        x = r.standard_normal((n, sizes[0]))
        if loss == "sum_of_squares":
            y = np.eye(sizes[-1])[r.integers(0, sizes[-1], n)]
        else:
            y = r.integers(0, sizes[-1], n)
        Ws = [0.5 * r.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        bs = [0.1 * r.standard_normal(b) for b in sizes[1:]]
        cases.append(_case(f"{len(Ws)} layers {sizes}, loss {loss!r}, batch {n}, 3 epochs of one minibatch",
                           [x, y, Ws, bs], {"loss": loss, "eta": 0.1, "epochs": 3, "activations": acts},
                           driver="sequential"))
    return cases


# --- week 4 ----------------------------------------------------------------------------

def _backward_filters(r):
    return [_case(f"w {s}", [r.standard_normal(s)]) for s in [(3, 3, 2, 2), (2, 3, 1, 4), (3, 2, 3, 1), (1, 1, 2, 3), (2, 2, 3, 3)]]


def _conv2d_backward(r):
    cases = []
    shapes = _CONV_SHAPES + [(1, 5, 5, 2, 3, 3, 2, 1, 0)]
    for n, h, w, c, kh, kw, k, s, p in shapes:
        x, wt, _ = _conv_inputs(r, n, h, w, c, kh, kw, k)
        ho, wo = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
        d = r.standard_normal((n, ho, wo, k))
        cases.append(_case(f"delta {_shape(d)}, x {_shape(x)}, w {_shape(wt)}, stride {s}, padding {p}",
                           [d, x, wt], {"stride": s, "padding": p}))
    x, wt, _ = _conv_inputs(r, 1, 4, 4, 2, 3, 3, 2)
    cases.append(_err("delta (1, 3, 3, 2) for an output of (1, 2, 2, 2)", [r.standard_normal((1, 3, 3, 2)), x, wt]))
    return cases


def _grad_w1111(r):
    cases = []
    for (h, w, c), (kh, kw, _, k), o, act in [((4, 4, 1), (3, 3, 1, 1), 2, "sigmoid"), ((5, 5, 2), (3, 3, 2, 2), 3, "tanh"),
                                          ((3, 4, 3), (2, 2, 3, 3), 1, "sigmoid"), ((2, 2, 1), (1, 1, 1, 2), 2, "tanh")]:
        I = r.standard_normal((h, w, c))
        wt = r.standard_normal((kh, kw, c, k))
        b = r.standard_normal(k)
        v = r.standard_normal((h - kh + 1, w - kw + 1, k, o))
        y_hat = r.standard_normal(o)
        cases.append(_case(f"I {_shape(I)}, w {_shape(wt)}, {o} outputs, sigma = {act}", [I, wt, b, v, y_hat],
                           {"activation": act}, driver="grad_w1111"))
    return cases


def _confusion_matrix(r):
    cases = []
    for n, k in [(10, 3), (1, 2), (30, 5), (5, 4)]:
        cases.append(_case(f"{n} labels, k={k}", [r.integers(0, k, n), r.integers(0, k, n), k]))
    cases.append(_err("label 3 with k=3", [np.array([0, 3]), np.array([0, 1]), 3]))
    return cases


def _precision_recall(r):
    cases = []
    for k in (2, 3, 5):
        cases.append(_case(f"a {k}x{k} confusion matrix", [r.integers(0, 6, (k, k))]))
    cm = np.array([[3, 0, 1], [2, 0, 0], [0, 0, 4]])
    cases.append(_case("a class never predicted (column of zeros)", [cm]))
    cases.append(_err("a 2x3 matrix", [np.ones((2, 3), int)]))
    return cases


# --- week 5 ----------------------------------------------------------------------------

def _dropout(r):
    cases = []
    for n, f, p in [(4, 6, 0.5), (3, 5, 0.8), (1, 4, 0.6), (6, 3, 1.0), (5, 8, 0.65)]:
        x = r.uniform(0.5, 2.0, (n, f))
        cases.append(_case(f"DropoutLayer(p={p}), x ({n}, {f})", [x, r.standard_normal((n, f))],
                           {"p": p, "trials": 4000, "seed": int(r.integers(1 << 30))}, driver="dropout"))
    for p in (0.0, 1.5, -0.2):
        cases.append(_err(f"p = {p} (outside (0, 1])", [np.ones((2, 2)), np.ones((2, 2))],
                          {"p": p, "trials": 1, "seed": 0}, driver="dropout"))
    return cases


# --- week 7 ----------------------------------------------------------------------------

def _lstm_params(r, d, h):
    p = {k: 0.5 * r.standard_normal((d, h)) for k in ("W_f", "W_i", "W_o", "W_c")}
    p.update({k: 0.5 * r.standard_normal((h, h)) for k in ("W_fc", "W_ic", "W_oc")})
    p.update({k: 0.1 * r.standard_normal(h) for k in ("b_f", "b_i", "b_o", "b_c")})
    return p


_LSTM_SHAPES = [(3, 2, 3, 4), (1, 1, 2, 2), (4, 3, 1, 3), (2, 2, 4, 1)]  # T, N, D, H


def _lstm_step_forward(r):
    cases = []
    for _, n, d, h in _LSTM_SHAPES:
        cases.append(_case(f"x_t ({n}, {d}), c_prev ({n}, {h})",
                           [r.standard_normal((n, d)), r.standard_normal((n, h)), _lstm_params(r, d, h)]))
    cases.append(_err("x_t with 3 features for D = 2", [r.standard_normal((2, 3)), r.standard_normal((2, 2)),
                                                          _lstm_params(r, 2, 2)]))
    return cases


def _lstm_forward(r):
    cases = []
    for t, n, d, h in _LSTM_SHAPES:
        cases.append(_case(f"xs ({t}, {n}, {d}), c0 ({n}, {h})",
                           [r.standard_normal((t, n, d)), r.standard_normal((n, h)), _lstm_params(r, d, h)]))
    return cases


def _lstm_run(xs, c0, params):
    """Caches of a forward pass (the catalogue's correct step; no reference needed)."""
    from .mistakes import CORRECT
    ns: dict = {}
    exec(CORRECT["lstm_step_forward"], ns)
    c, caches = c0, []
    for x in xs:
        _, c, cache = ns["lstm_step_forward"](x, c, params)
        caches.append(cache)
    return None, None, caches


def _lstm_backward(r):
    cases = []
    for t, n, d, h in _LSTM_SHAPES:
        params = _lstm_params(r, d, h)
        _, _, caches = _lstm_run(r.standard_normal((t, n, d)), r.standard_normal((n, h)), params)
        caches = [{k: np.asarray(v, float) for k, v in c.items()} for c in caches]
        cases.append(_case(f"T={t}, N={n}, D={d}, H={h}", [r.standard_normal((t, n, h)), caches, params]))
    return cases


def _delta_c(r):
    cases = []
    for t, n, d, h in _LSTM_SHAPES:
        params = _lstm_params(r, d, h)
        _, _, caches = _lstm_run(r.standard_normal((max(t, 2), n, d)), r.standard_normal((n, h)), params)
        caches = [{k: np.asarray(v, float) for k, v in c.items()} for c in caches]
        dh, dhn, dcn = (r.standard_normal((n, h)) for _ in range(3))
        cases.append(_case(f"N={n}, H={h}, a middle step (dh_next, dc_next, cache_next given)",
                           [dh, caches[0], params], {"dh_next": dhn, "dc_next": dcn, "cache_next": caches[1]}))
        cases.append(_case(f"N={n}, H={h}, the last step (no next step)", [dh, caches[-1], params]))
    return cases


_MAKERS = {
    "DropoutLayer": _dropout,
    "lstm_step_forward": _lstm_step_forward,
    "lstm_forward": _lstm_forward,
    "lstm_backward": _lstm_backward,
    "delta_c": _delta_c,
    "flip": _flip,
    "convolve_full": _convolve_full,
    "correlate_valid": _valid,
    "convolve_valid": _valid,
    "sobel_laplace_responses": _sobel,
    "kernel_gradient": _kernel_gradient,
    "conv_output_size": _conv_output_size,
    "same_padding": _same_padding,
    "conv_output_shape": _conv_output_shape,
    "conv_param_count": _conv_param_count,
    "conv2d_forward": _conv2d_forward,
    "relu": _relu,
    "maxpool2d_forward": _pool_forward,
    "avgpool2d_forward": _pool_forward,
    "pooled_features": _pooled_features,
    "count_changed_units": _count_changed_units,
    "dense_forward": _dense_forward,
    "dense_backward": _dense_backward,
    "relu_backward": _act_backward,
    "sigmoid": _sigmoid,
    "sigmoid_backward": _act_backward,
    "softmax_cross_entropy": _softmax,
    "two_layer_gradients": _two_layer,
    "mlp_gradients_autodiff": _two_layer,
    "DenseLayer": _dense_layer,
    "SGD": _optimizer("SGD"),
    "Momentum": _optimizer("Momentum"),
    "SequentialNet": _sequential,
    "backward_filters": _backward_filters,
    "conv2d_backward": _conv2d_backward,
    "maxpool2d_backward": _pool_backward,
    "avgpool2d_backward": _pool_backward,
    "grad_w1111": _grad_w1111,
    "confusion_matrix": _confusion_matrix,
    "precision_recall": _precision_recall,
}

#: every name ``check`` knows
GRADED_NAMES = sorted(_MAKERS)


def make_cases(name: str) -> list[dict]:
    """The hidden-test cases of ``name`` (``KeyError`` for an unknown name)."""
    return _MAKERS[name](rng_for(name))
