"""Week 2 notebook (source/w02_volume_sizes): the checks of :class:`tests.notebooks.weekly.WeeklyNotebookTests`,
plus the week's own: the sheets' numbers appear in the executed notebook, and the teaching cells
(widgets, figure, tables) never call a graded function, so they run in the blank release.

``ALTERNATIVES`` holds a second, differently written correct solution of every graded name
(loops vs vectorised, another formula); each must earn full points.
"""
from __future__ import annotations

import ast

import nbformat
import pytest

from tests.notebooks import harness
from tests.notebooks.weekly import WeeklyNotebookTests

WEEK = "w02_volume_sizes"
pytestmark = pytest.mark.xdist_group(WEEK)

ALTERNATIVES = {
    "conv_output_size": """
import numpy as np

def conv_output_size(n, f, p=0, s=1):
    # count the placements of the filter one by one instead of using the formula
    for v in (n, f, p, s):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise ValueError("sizes must be integers")
    if n < 1 or f < 1 or p < 0 or s < 1:
        raise ValueError("need n, f, s >= 1 and p >= 0")
    if f > n + 2 * p:
        raise ValueError("the filter does not fit into the padded input")
    count, start = 0, 0
    while start + f <= n + 2 * p:
        count += 1
        start += s
    return count
""",
    "same_padding": """
import numpy as np

def same_padding(f):
    # solve n + 2p - f + 1 = n for p
    if not isinstance(f, (int, np.integer)) or isinstance(f, bool) or f < 1:
        raise ValueError("f must be a positive integer")
    p, odd = divmod(f - 1, 2)
    if odd:
        raise ValueError("even f: no symmetric same padding")
    return int(p)
""",
    "conv_output_shape": """
import math
import numpy as np

def conv_output_shape(input_shape, filter_shape, stride=1, padding=0):
    if len(input_shape) != 3 or len(filter_shape) != 4:
        raise ValueError("need (H, W, C) and (kh, kw, C, K)")
    if input_shape[2] != filter_shape[2]:
        raise ValueError("channels of input and filters differ")
    if stride < 1 or padding < 0 or min(input_shape) < 1 or min(filter_shape) < 1:
        raise ValueError("bad sizes")
    sizes = []
    for n, f in zip(input_shape[:2], filter_shape[:2]):
        if f > n + 2 * padding:
            raise ValueError("filter larger than the padded input")
        sizes.append(math.floor((n + 2 * padding - f) / stride) + 1)
    return tuple(sizes) + (int(filter_shape[3]),)
""",
    "conv_param_count": """
import numpy as np

def conv_param_count(kh, kw, c_in, c_out):
    sizes = np.array([kh, kw, c_in, c_out])
    if sizes.dtype.kind not in "iu" or np.any(sizes < 1):
        raise ValueError("all sizes must be positive integers")
    weight_shape = (kh, kw, c_in, c_out)
    return int(np.prod(weight_shape)) + int(c_out)
""",
    "conv2d_forward": """
import numpy as np

def conv2d_forward(x, w, b, stride=1, padding=0):
    # one output position at a time, vectorised over batch and filters
    x, w, b = (np.asarray(t, dtype=float) for t in (x, w, b))
    if x.ndim != 4 or w.ndim != 4 or x.shape[3] != w.shape[2]:
        raise ValueError("x (N, H, W, C) and w (kh, kw, C, K) do not fit")
    if b.shape != (w.shape[3],):
        raise ValueError("b must have one entry per filter")
    if stride < 1 or padding < 0:
        raise ValueError("stride >= 1 and padding >= 0 needed")
    kh, kw, c, k = w.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    if kh > xp.shape[1] or kw > xp.shape[2]:
        raise ValueError("filter larger than the padded input")
    ho, wo = (xp.shape[1] - kh) // stride + 1, (xp.shape[2] - kw) // stride + 1
    wmat = w.reshape(kh * kw * c, k)
    z = np.empty((x.shape[0], ho, wo, k))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            z[:, i, j, :] = patch.reshape(x.shape[0], -1) @ wmat + b
    return z
""",
    "relu": """
import numpy as np

def relu(x):
    x = np.asarray(x, dtype=float)
    return (x + np.abs(x)) / 2
""",
    "maxpool2d_forward": """
import numpy as np

def maxpool2d_forward(x, size=2, stride=2):
    x = np.asarray(x, dtype=float)
    if x.ndim != 4 or size < 1 or stride < 1 or size > x.shape[1] or size > x.shape[2]:
        raise ValueError("bad pooling parameters")
    n, h, w, c = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.empty((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            out[:, i, j, :] = x[:, i * stride:i * stride + size, j * stride:j * stride + size, :].max(axis=(1, 2))
    return out
""",
    "pooled_features": """
import numpy as np

def pooled_features(image, filters):
    image, filters = np.asarray(image, dtype=float), np.asarray(filters, dtype=float)
    if image.ndim != 2 or filters.ndim != 3:
        raise ValueError("image (H, W) and filters (kh, kw, K) expected")
    kh, kw, k = filters.shape
    ho, wo = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    if ho < 2 or wo < 2:
        raise ValueError("the maps are too small for 2x2 pooling")
    maps = np.empty((ho, wo, k))
    for q in range(k):
        for i in range(ho):
            for j in range(wo):
                maps[i, j, q] = np.sum(image[i:i + kh, j:j + kw] * filters[:, :, q])
    maps = np.clip(maps, 0.0, None)
    out = np.empty((ho // 2, wo // 2, k))
    for i in range(ho // 2):
        for j in range(wo // 2):
            out[i, j] = maps[2 * i:2 * i + 2, 2 * j:2 * j + 2].reshape(4, k).max(axis=0)
    return out
""",
    "count_changed_units": """
import numpy as np

def count_changed_units(image, filters, shift):
    image, filters = np.asarray(image, dtype=float), np.asarray(filters, dtype=float)
    if len(shift) != 2:
        raise ValueError("shift must be (dy, dx)")
    dy, dx = int(shift[0]), int(shift[1])
    h, w = image.shape
    kh, kw, k = filters.shape

    def features(img):
        rows = []
        for i in range(h - kh + 1):
            rows.append([[max(0.0, float(np.vdot(img[i:i + kh, j:j + kw], filters[:, :, q]))) for q in range(k)]
                         for j in range(w - kw + 1)])
        maps = np.array(rows)
        return np.array([[maps[2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(0, 1))
                          for j in range(maps.shape[1] // 2)] for i in range(maps.shape[0] // 2)])

    # pad by the shift on every side, then cut the moved window out
    big = np.pad(image, ((abs(dy), abs(dy)), (abs(dx), abs(dx))))
    moved = big[abs(dy) - dy:abs(dy) - dy + h, abs(dx) - dx:abs(dx) - dx + w]
    return int(np.sum(~np.isclose(features(image), features(moved))))
""",
}


class TestW02VolumeSizes(WeeklyNotebookTests):
    week = WEEK
    alternatives = ALTERNATIVES

    def test_executed_notebook_shows_the_sheets_numbers(self):
        nb, _ = harness.run_notebook(harness.source_notebook_path(WEEK))
        printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        for expected in ["(12, 11, 1337)", "416 parameters", "6416 parameters", "7850 parameters",
                         "1216 parameters", "20500 parameters", "210 parameters",
                         "pooled before, filter 1 and 2: [[7.0, 5.0], [7.0, 5.0]] [[9.0, 7.0], [7.0, 6.0]]",
                         "pooled after,  filter 1 and 2: [[5.0, 5.0], [7.0, 4.0]] [[9.0, 7.0], [5.0, 6.0]]",
                         "3 of 8 pooled units change"]:
            assert expected in printed, f"the executed notebook does not print {expected!r}"
        images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
        assert images, "no matplotlib figure in the executed notebook"
        widgets = [c for c in nb.cells if c.cell_type == "code" and "interactive_output" in c.source]
        assert len(widgets) >= 2, "expected the two widget explorations (sizes and shifts)"

    def test_markdown_states_the_table3_erratum(self):
        nb = nbformat.read(harness.source_notebook_path(WEEK), as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert "Erratum" in text and "64 output channels" in text and "20500" in text and "**20** outputs" in text

    def test_teaching_cells_never_call_graded_functions(self):
        """Widgets, figures and tables use their own code, so they run in the blank release."""
        nb = nbformat.read(harness.source_notebook_path(WEEK), as_version=4)
        graded = {q for q in self.points if not q.startswith("answer_")}
        for cell in nb.cells:
            meta = cell.metadata["nbgrader"]
            if cell.cell_type != "code" or meta.get("solution") or meta.get("grade"):
                continue
            source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
            names = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
            assert not names & graded, f"teaching cell {meta['grade_id']} uses graded names {names & graded}"
