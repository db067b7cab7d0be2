"""The one place for course settings.

Everything an instructor may want to change for a semester lives here: the course id,
the eight weekly assignments (ids, titles, due dates), points per question, time and
memory limits for grading, numeric tolerances, the seeds of the hidden tests, where the
data lives and where the gradebook is. ``nbgrader_config.py`` and the ``autograder``
package read this module; nothing else hard-codes these values.

Plain Python, importable without any third-party package.
"""
from __future__ import annotations

import os
from pathlib import Path

#: Root of the course repository (the folder holding this file).
COURSE_ROOT = Path(__file__).resolve().parent

#: nbgrader course id.
COURSE_ID = "nnmath"

#: The weekly assignments, in teaching order: (assignment id, title, due date, UTC ISO 8601).
ASSIGNMENTS = [
    ("w01_convolution", "Convolution and its commutativity", "2027-04-23T23:59:00"),
    ("w02_volume_sizes", "Padding, stride, pooling and equivariance", "2027-04-30T23:59:00"),
    ("w03_dense_backprop", "Dense layers, activations, losses and optimizers", "2027-05-07T23:59:00"),
    ("w04_kernel_gradient", "The flipped-kernel gradient", "2027-05-14T23:59:00"),
    ("w05_dropout", "Dropout", "2027-05-21T23:59:00"),
    ("w06_autodiff", "Reverse-mode automatic differentiation", "2027-05-28T23:59:00"),
    ("w07_peephole_lstm", "The peephole LSTM", "2027-06-04T23:59:00"),
    ("w08_cnn_capstone", "A CNN for handwritten digits", "2027-06-11T23:59:00"),
]
ASSIGNMENT_IDS = [a[0] for a in ASSIGNMENTS]
ASSIGNMENT_TITLES = {a[0]: a[1] for a in ASSIGNMENTS}
DUE_DATES = {a[0]: a[2] for a in ASSIGNMENTS}

#: Points per question. Autograded questions are keyed by the graded name (their test
#: cell is ``test_<name>``); manually graded answers by their ``answer_<topic>`` grade id.
#: The notebooks' nbgrader metadata must agree (a test checks it).
POINTS = {
    "w01_convolution": {
        "flip": 1,
        "convolve_full": 3,
        "correlate_valid": 2,
        "convolve_valid": 2,
        "sobel_laplace_responses": 1,
        "answer_commutativity": 2,
        "answer_filters": 1,
    },
    "w02_volume_sizes": {
        "conv_output_size": 1,
        "same_padding": 1,
        "conv_output_shape": 1,
        "conv_param_count": 1,
        "conv2d_forward": 3,
        "relu": 1,
        "maxpool2d_forward": 2,
        "pooled_features": 1,
        "count_changed_units": 1,
        "answer_same_padding": 1,
        "answer_invariance": 1,
    },
    "w03_dense_backprop": {
        "dense_forward": 1,
        "dense_backward": 2,
        "relu_backward": 1,
        "sigmoid": 1,
        "sigmoid_backward": 1,
        "softmax_cross_entropy": 2,
        "two_layer_gradients": 2,
        "DenseLayer": 2,
        "SGD": 1,
        "Momentum": 1,
        "SequentialNet": 2,
        "answer_update_rules": 3,
    },
    "w04_kernel_gradient": {
        "kernel_gradient": 2,
        "backward_filters": 1,
        "conv2d_input_gradient": 2,
        "conv2d_backward": 3,
        "maxpool2d_backward": 2,
        "avgpool2d_forward": 1,
        "avgpool2d_backward": 2,
        "grad_w1111": 2,
        "answer_maxpool_gradient": 1,
        "answer_rotation": 1,
    },
    "w05_dropout": {
        "DropoutLayer": 3,
        "expected_output": 1,
        "answer_scale": 2,
        "answer_experiment": 1,
    },
    "w06_autodiff": {
        "Var": 3,
        "reverse_schedule": 2,
        "backward": 3,
        "sheet_f": 1,
        "sheet_L": 1,
        "mlp_gradients_autodiff": 2,
        "answer_backprop_special_case": 2,
        "answer_reverse_mode": 1,
    },
    "w07_peephole_lstm": {
        "lstm_step_forward": 1,
        "lstm_forward": 1,
        "answer_delta_c": 3,
        "delta_c": 3,
        "lstm_backward": 4,
        "answer_output_variant": 1,
    },
    "w08_cnn_capstone": {
        "confusion_matrix": 2,
        "precision_recall": 2,
        "train_network": 4,
        "answer_cnn_vs_dense": 2,
    },
}

# --- grading limits --------------------------------------------------------------------
#: Seconds one notebook cell may run under autograde before it is interrupted.
CELL_TIMEOUT_S = int(os.environ.get("NNMATH_CELL_TIMEOUT_S", 60))
#: Seconds one whole notebook may run under autograde (wall clock, kernel start included).
NOTEBOOK_TIMEOUT_S = int(os.environ.get("NNMATH_NOTEBOOK_TIMEOUT_S", 300))
#: Address-space cap of a student's kernel, in MiB.
KERNEL_MEMORY_MB = int(os.environ.get("NNMATH_KERNEL_MEMORY_MB", 4096))
#: Cap on processes (and threads) a student's kernel may create.
KERNEL_MAX_PROCESSES = 64
#: Largest output a student's cell may keep in the graded notebook, in lines.
MAX_OUTPUT_LINES = 1000
#: Whether matplotlib figures are rendered under autograde. Off: a figure is recorded as its text
#: ("<Figure size ... with 4 Axes>"), which saves the kernel most of a teaching notebook's drawing
#: time (w02: 0.8 s of 2.3 s); the feedback then shows no plots. Scores never depend on it.
AUTOGRADE_RENDERS_FIGURES = False

# --- hidden tests ------------------------------------------------------------------------
#: Base seed of the hidden tests; each graded name derives its own stream from it.
HIDDEN_TEST_SEED = 20260423
#: Relative and absolute tolerance of numeric comparisons in the hidden tests.
RTOL = 1e-6
ATOL = 1e-8
#: Relative error below which a finite-difference gradient check passes.
GRADCHECK_TOLERANCE = 1e-5

# --- week 8, the CNN capstone --------------------------------------------------------------
#: Training of the sheet-004 Table 1 network (momentum SGD, batch 64, float64: the course's arrays
#: stay float64, the reference step is fast enough in it). ``autograde`` is what the notebook trains
#: under autograde: one cell, well inside CELL_TIMEOUT_S on a grader 2-3x slower than a quiet core;
#: ``full`` is what a student runs with FULL_RUN = True. ``n_train`` images are the first of the 60 000
#: training images; the test set (10 000) is never trained on. Measured by
#: ``benchmarks/bench_capstone.py --accuracy --seeds 5 --full`` (table in the week-8 notebook).
CAPSTONE = {
    "autograde": {"n_train": 8000, "epochs": 1, "batch_size": 64, "eta": 0.2, "mu": 0.9},
    "full": {"n_train": 60000, "epochs": 4, "batch_size": 64, "eta": 0.2, "mu": 0.9},
    #: Test accuracy (10 000 MNIST test images) the student's trained network must reach.
    "threshold": 0.93,
    #: Seconds the autograde training may take at the student's measured speed before the notebook
    #: refuses to start it (the rest of the cell needs the remaining quarter of the cell limit).
    "max_training_s": 0.75 * CELL_TIMEOUT_S,
}

# --- data --------------------------------------------------------------------------------
#: Where ``make data`` writes the data sets (``mnist.npz``, ``fashion_mnist.npz``).
DATA_DIR = Path(os.environ.get("NNMATH_DATA_DIR", COURSE_ROOT / "data"))

# --- gradebook ---------------------------------------------------------------------------
#: nbgrader gradebook; the embedded SQLite file by default. A large class: a PostgreSQL URL
#: (``postgresql+psycopg2://user:password@host/db``) in ``NNMATH_GRADEBOOK_URL``, the one setting every
#: command reads (``autograder.course.gradebook_url``); see docs/scale.md.
GRADEBOOK_URL = os.environ.get("NNMATH_GRADEBOOK_URL", f"sqlite:///{COURSE_ROOT / 'gradebook.db'}")
