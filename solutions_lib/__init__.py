"""Reference implementation of every graded exercise of the course (instructor only).

Every graded name of ``COURSE_SPEC.md`` is importable from the top level::

    from solutions_lib import conv2d_forward

Names are resolved lazily (PEP 562): importing ``solutions_lib.grading`` — which every
hidden test does — loads no reference code into the student's kernel; a reference module
is imported only when one of its names is asked for.
"""
from __future__ import annotations

import importlib

#: graded (and supporting) name -> module inside this package that defines it
_EXPORTS = {
    # convolution: week 1 and the kernel gradient of week 4
    "flip": "convolution",
    "convolve_full": "convolution",
    "correlate_valid": "convolution",
    "convolve_valid": "convolution",
    "sobel_laplace_responses": "convolution",
    "kernel_gradient": "convolution",
    "conv2d_input_gradient": "convolution",
    "SHEET002_IMAGE": "convolution",
    "SHEET002_FILTERS": "convolution",
    # volume sizes: week 2
    "conv_output_size": "shapes",
    "same_padding": "shapes",
    "conv_output_shape": "shapes",
    "conv_param_count": "shapes",
    # conv layer as functions: weeks 2 and 4
    "conv2d_forward": "conv2d",
    "conv2d_backward": "conv2d",
    "backward_filters": "conv2d",
    # pooling: weeks 2 and 4
    "maxpool2d_forward": "pooling",
    "maxpool2d_backward": "pooling",
    "avgpool2d_forward": "pooling",
    "avgpool2d_backward": "pooling",
    # activations
    "relu": "activations",
    "relu_backward": "activations",
    "sigmoid": "activations",
    "sigmoid_backward": "activations",
    # translation equivariance of sheet 001: week 2
    "pooled_features": "equivariance",
    "count_changed_units": "equivariance",
    "SHEET001_IMAGE": "equivariance",
    "SHEET001_FILTERS": "equivariance",
    # dense layers as functions: week 3
    "dense_forward": "dense",
    "dense_backward": "dense",
    "two_layer_gradients": "dense",
    # losses
    "softmax_cross_entropy": "losses",
    "sum_of_squares": "losses",
    # optimizers
    "SGD": "optimizers",
    "Momentum": "optimizers",
    # layer classes sharing forward/backward/update: weeks 3, 5, 8
    "DenseLayer": "layers",
    "DropoutLayer": "layers",
    "ConvLayer": "layers",
    "MaxPoolLayer": "layers",
    "FlattenLayer": "layers",
    "expected_output": "layers",
    # networks
    "SequentialNet": "network",
    "grad_w1111": "network",
    # autodiff: week 6
    "Var": "autodiff",
    "sin": "autodiff",
    "cos": "autodiff",
    "exp": "autodiff",
    "log": "autodiff",
    "tanh": "autodiff",
    "reverse_schedule": "autodiff",
    "backward": "autodiff",
    "sheet_f": "autodiff",
    "sheet_L": "autodiff",
    "mlp_gradients_autodiff": "autodiff",
    # peephole LSTM: week 7
    "lstm_step_forward": "lstm",
    "lstm_forward": "lstm",
    "lstm_backward": "lstm",
    "delta_c": "lstm",
    # metrics: week 8
    "confusion_matrix": "metrics",
    "precision_recall": "metrics",
    "train_network": "capstone",
    # gradient checking
    "numerical_gradient": "gradcheck",
    "relative_error": "gradcheck",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'solutions_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module_name}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
