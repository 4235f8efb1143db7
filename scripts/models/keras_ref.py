"""A plain numpy forward pass of the Keras model, straight from the hdf5 file, in float64.

It is the yardstick for the ONNX conversion, so it deliberately shares none of convert_fer.py's
tricks: layers run one by one in Keras' own NHWC layout, BatchNormalization is applied as its own
step (not folded), and "same" padding pads the input tensor the way TensorFlow does (zeros for
convolutions, -inf for max pooling, the odd pixel at the bottom/right).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import keras_h5


def _pad_same(x, kernel, strides, fill):
    """Pad an NHWC batch as TensorFlow's SAME does."""
    widths = [(0, 0)]
    for axis, (k, s) in enumerate(zip(kernel, strides), start=1):
        size = x.shape[axis]
        out = -(-size // s)
        total = max((out - 1) * s + k - size, 0)
        widths.append((total // 2, total - total // 2))
    widths.append((0, 0))
    return np.pad(x, widths, constant_values=fill)


def _windows(x, kernel, strides, padding, fill):
    """(N, OH, OW, C, kh, kw) view of every kernel window."""
    if padding == "same":
        x = _pad_same(x, kernel, strides, fill)
    win = sliding_window_view(x, tuple(kernel), axis=(1, 2))
    return win[:, :: strides[0], :: strides[1]]


def conv2d(x, kernel_hwio, strides, padding):
    win = _windows(x, kernel_hwio.shape[:2], strides, padding, 0.0)
    return np.einsum("nhwcij,ijco->nhwo", win, kernel_hwio, optimize=True)


def depthwise(x, kernel_hwcm, strides, padding):
    kh, kw, c, m = kernel_hwcm.shape
    win = _windows(x, (kh, kw), strides, padding, 0.0)
    out = np.einsum("nhwcij,ijcm->nhwcm", win, kernel_hwcm, optimize=True)
    return out.reshape(*out.shape[:3], c * m)  # TF's channel order: c * M + m


def forward(layers, x_nhwc: np.ndarray) -> np.ndarray:
    """Run the model on an NHWC float batch; returns the softmax output (N, classes)."""
    values = {}
    for layer in layers:
        cfg, w = layer.config, {k: v.astype(np.float64) for k, v in layer.weights.items()}
        xs = [values[name] for name in layer.inputs]
        kind = layer.kind
        if kind == "InputLayer":
            y = x_nhwc.astype(np.float64)
        elif kind == "Conv2D":
            y = conv2d(xs[0], w["kernel"], cfg["strides"], cfg["padding"])
            if cfg.get("use_bias", True):
                y = y + w["bias"]
            y = activate(y, cfg.get("activation", "linear"))
        elif kind == "SeparableConv2D":
            y = depthwise(xs[0], w["depthwise_kernel"], cfg["strides"], cfg["padding"])
            y = conv2d(y, w["pointwise_kernel"], (1, 1), "valid")
            if cfg.get("use_bias", True):
                y = y + w["bias"]
            y = activate(y, cfg.get("activation", "linear"))
        elif kind == "BatchNormalization":
            gamma = w.get("gamma", 1.0)
            beta = w.get("beta", 0.0)
            std = np.sqrt(w["moving_variance"] + cfg["epsilon"])
            y = (xs[0] - w["moving_mean"]) / std * gamma + beta
        elif kind == "Activation":
            y = activate(xs[0], cfg["activation"])
        elif kind == "MaxPooling2D":
            strides = cfg["strides"] or cfg["pool_size"]
            win = _windows(xs[0], cfg["pool_size"], strides, cfg["padding"], -np.inf)
            y = win.max(axis=(-2, -1))
        elif kind == "Add":
            y = sum(xs)
        elif kind == "GlobalAveragePooling2D":
            y = xs[0].mean(axis=(1, 2))
        else:
            raise NotImplementedError(f"layer {layer.name}: {kind}")
        values[layer.name] = y
    return values[layers[-1].name]


def activate(x, activation):
    if activation == "linear":
        return x
    if activation == "relu":
        return np.maximum(x, 0.0)
    if activation == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    raise NotImplementedError(f"activation {activation!r}")


def load(path):
    layers, _, outputs = keras_h5.load(path)
    if layers[-1].name != outputs[0]:
        raise NotImplementedError("output layer is not the last layer")
    return layers
