"""Read a Keras 2 functional model saved with model.save() (hdf5) without TensorFlow.

The file carries the architecture as JSON in the root attribute `model_config` and the weights
under `model_weights/<layer>/`, whose attribute `weight_names` gives their order and names.
"""

import json
from dataclasses import dataclass, field

import h5py
import numpy as np


@dataclass
class Layer:
    name: str
    kind: str  # Keras class name, e.g. "Conv2D"
    config: dict
    inputs: list  # names of the layers feeding this one
    weights: dict = field(default_factory=dict)  # short name ("kernel", "gamma", ...) -> array


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def load(path: str):
    """Return (layers in the file's topological order, input layer names, output layer names)."""
    with h5py.File(path, "r") as f:
        config = json.loads(_text(f.attrs["model_config"]))
        if config["class_name"] not in ("Model", "Functional"):
            raise ValueError(f"expected a functional model, got {config['class_name']}")
        groups = f["model_weights"]
        layers = []
        for spec in config["config"]["layers"]:
            nodes = spec["inbound_nodes"]
            if len(nodes) > 1:
                # A shared layer would need one ONNX node per call; this model has none.
                raise NotImplementedError(f"layer {spec['name']} is called more than once")
            inputs = [inbound[0] for inbound in nodes[0]] if nodes else []
            layer = Layer(spec["name"], spec["class_name"], spec["config"], inputs)
            if layer.name in groups:
                group = groups[layer.name]
                for raw in group.attrs.get("weight_names", []):
                    full = _text(raw)  # e.g. "conv2d_7_1/kernel:0"
                    short = full.rsplit("/", 1)[-1].split(":")[0]
                    layer.weights[short] = np.asarray(group[full], dtype=np.float32)
            layers.append(layer)
        model = config["config"]
        return (
            layers,
            [entry[0] for entry in model["input_layers"]],
            [entry[0] for entry in model["output_layers"]],
        )
