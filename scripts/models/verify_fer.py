#!/usr/bin/env python3
"""Check the converted ONNX against the maintainer's TFLite model and a numpy Keras forward pass.

Inputs are the uint8 crops cv2_probe.py made (so every runtime sees the very same bytes), scaled
with fer_spec.to_model_input. Four runtimes are compared:
* tflite: fer's own emotion_model_quantized.tflite (quantized weights) via ai-edge-litert;
* onnx:   our conversion via onnxruntime;
* cv2:    our conversion via OpenCV 4.6 cv2.dnn (probabilities from cv2_probe.json);
* keras:  keras_ref.py, the float Keras math in float64, unfolded BN.

Fails (exit 1) unless TFLite/ONNX top-1 agree on >= 97% of the 100 LFW faces, the astronaut reads
happy >= 0.9 in ONNX and cv2, and ONNX and cv2 match the Keras math to 1e-4. Writes
lfw_reference.json for the Rust tests.
"""

import argparse
import json
import os
import sys

import numpy as np
import onnxruntime as ort
from ai_edge_litert.interpreter import Interpreter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_ref  # noqa: E402
from fer_spec import (  # noqa: E402
    HAPPY, LABELS, LFW_FACES, ONNX_INPUT, ONNX_OUTPUT, SIZE, softmax_top1, to_model_input,
)

MIN_AGREEMENT = 0.97
MIN_HAPPY = 0.9
MAX_DIFF = 1e-4


def rounded(probs):
    """Plain floats to 6 decimals (float32 values would print as 3.600000127e-05)."""
    return np.round(np.asarray(probs, dtype=np.float64), 6).tolist()


def run_tflite(path, crops_u8):
    interpreter = Interpreter(model_path=path, num_threads=1)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]["index"]
    out = interpreter.get_output_details()[0]["index"]
    probs = []
    for crop in crops_u8:
        interpreter.set_tensor(inp, to_model_input(crop)[None, :, :, None])  # NHWC
        interpreter.invoke()
        probs.append(interpreter.get_tensor(out)[0].copy())
    return np.array(probs)


def run_onnx(path, crops_u8):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    return np.array([
        session.run([ONNX_OUTPUT], {ONNX_INPUT: to_model_input(crop)[None, None]})[0][0]
        for crop in crops_u8
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--hdf5", required=True)
    parser.add_argument("--tflite", required=True)
    parser.add_argument("--dir", required=True, help="where cv2_probe.py wrote its outputs")
    parser.add_argument("--out", required=True, help="lfw_reference.json")
    args = parser.parse_args()

    def crops(name, count):
        return np.fromfile(os.path.join(args.dir, name), np.uint8).reshape(count, SIZE, SIZE)

    lfw = crops("lfw_faces_64.bin", LFW_FACES)
    astronaut = crops("astronaut_face_64.bin", 1)
    with open(os.path.join(args.dir, "cv2_probe.json")) as f:
        probe = json.load(f)
    crops = np.concatenate([lfw, astronaut])  # astronaut last

    tflite = run_tflite(args.tflite, crops)
    onnx_p = run_onnx(args.onnx, crops)
    keras = keras_ref.forward(keras_ref.load(args.hdf5), to_model_input(crops)[..., None])
    cv2_p = np.array(probe["lfw_cv2_probs"] + [probe["astronaut"]["cv2_probs"]])

    tflite_top1, onnx_top1 = softmax_top1(tflite[:LFW_FACES]), softmax_top1(onnx_p[:LFW_FACES])
    agreement = float(np.mean(np.array(tflite_top1) == np.array(onnx_top1)))
    diffs = {
        "onnx_vs_keras": float(np.abs(onnx_p - keras).max()),
        "cv2_vs_keras": float(np.abs(cv2_p - keras).max()),
        "onnx_vs_cv2": float(np.abs(onnx_p - cv2_p).max()),
        "tflite_vs_keras": float(np.abs(tflite - keras).max()),
    }
    happy = {name: float(p[-1, HAPPY]) for name, p in
             (("tflite", tflite), ("onnx", onnx_p), ("cv2", cv2_p), ("keras", keras))}

    reference = {
        "labels": LABELS,
        "preprocessing": "lfw_subset.npy[:100] -> uint8 round(x*255) -> cv2.resize 64x64 "
                         "INTER_LINEAR; model input (u8/255 - 0.5) * 2, NCHW [1,1,64,64]",
        "tflite_top1": tflite_top1,
        "onnx_top1": onnx_top1,
        "agreement": agreement,
        "onnx_probs": rounded(onnx_p[:LFW_FACES]),
        "max_abs_diff": diffs,
        "astronaut": {
            "face_box": probe["astronaut"]["face_box"],
            "crop_box": probe["astronaut"]["crop_box"],
            "onnx_probs": rounded(onnx_p[-1]),
            "tflite_probs": rounded(tflite[-1]),
            "happy": happy,
        },
        "camera_frontal_faces": probe["camera"]["haar_boxes"],
        "opencv_version": probe["opencv_version"],
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.out)

    failures = []
    if agreement < MIN_AGREEMENT:
        failures.append(f"TFLite/ONNX top-1 agreement {agreement:.2%} < {MIN_AGREEMENT:.0%}")
    for name in ("onnx", "cv2"):
        if happy[name] < MIN_HAPPY:
            failures.append(f"astronaut happy via {name} {happy[name]:.4f} < {MIN_HAPPY}")
    for name in ("onnx_vs_keras", "cv2_vs_keras"):
        if diffs[name] > MAX_DIFF:
            failures.append(f"max |{name}| {diffs[name]:.2e} > {MAX_DIFF:.0e}")

    print(f"verify_fer: LFW top-1 agreement TFLite vs ONNX {agreement:.0%} "
          f"({sum(a == b for a, b in zip(tflite_top1, onnx_top1))}/{LFW_FACES})")
    print("verify_fer: astronaut happy " + ", ".join(f"{k} {v:.4f}" for k, v in happy.items()))
    print("verify_fer: max |diff| " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))
    if failures:
        for failure in failures:
            print(f"verify_fer: FAIL {failure}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
