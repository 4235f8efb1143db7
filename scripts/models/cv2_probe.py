#!/usr/bin/python3
"""Prepare the 64x64 face crops with Debian's OpenCV 4.6 and run the ONNX model through cv2.dnn.

Runs under Debian's system python (python3-opencv): its cv2 wraps the same libopencv 4.6 that the
Rust `opencv` crate links, so a model that loads and answers here loads and answers there.

The crops are made the way the Rust side will make them, and are saved as fixtures:
* LFW: skimage's lfw_subset.npy, first 100 entries (faces, 25x25 float in [0, 1]) ->
  uint8 = round(x * 255) -> cv2.resize to 64x64 with INTER_LINEAR (bilinear, half-pixel centres).
* astronaut.png: BGR -> grey (cv2.COLOR_BGR2GRAY) -> Haar frontal face (scaleFactor 1.1,
  minNeighbors 5, minSize 50x50, as fer does) -> largest box -> squared by growing its short side
  (fer's tosquare) -> grown by 10 px on every side -> clamped to the image -> INTER_LINEAR to 64x64.
  fer pads the image with the mean of its bottom rows instead of clamping; the two agree whenever
  the grown box lies inside the image, which the probe records.

Writes to --out-dir: lfw_faces_64.bin (100*64*64 uint8, row-major), astronaut_face_64.bin
(64*64 uint8) and cv2_probe.json (boxes and cv2.dnn probabilities).
"""

import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fer_spec import FACE_OFFSET, LABELS, LFW_FACES, SIZE, to_model_input  # noqa: E402


def detect_faces(cascade, grey):
    boxes = cascade.detectMultiScale(
        grey, scaleFactor=1.1, minNeighbors=5, flags=cv2.CASCADE_SCALE_IMAGE, minSize=(50, 50)
    )
    return [[int(v) for v in box] for box in boxes]


def face_crop(grey, box):
    """fer's crop rule (see module doc); returns (64x64 uint8, crop box, whether it was clamped)."""
    x, y, w, h = box
    if h > w:
        x, w = x - (h - w) // 2, h
    elif w > h:
        y, h = y - (w - h) // 2, w
    x1, y1 = x - FACE_OFFSET, y - FACE_OFFSET
    x2, y2 = x + w + FACE_OFFSET, y + h + FACE_OFFSET
    rows, cols = grey.shape
    cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x2, cols), min(y2, rows)
    clamped = (cx1, cy1, cx2, cy2) != (x1, y1, x2, y2)
    crop = cv2.resize(grey[cy1:cy2, cx1:cx2], (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
    return crop, [cx1, cy1, cx2 - cx1, cy2 - cy1], clamped


def lfw_crops(npy_path):
    faces = np.load(npy_path)[:LFW_FACES]
    u8 = np.clip(np.rint(faces * 255.0), 0, 255).astype(np.uint8)
    return np.stack([cv2.resize(f, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR) for f in u8])


def run_dnn(net, crops_u8):
    probs = []
    start = time.perf_counter()
    for crop in crops_u8:
        net.setInput(to_model_input(crop)[None, None])
        probs.append(net.forward().reshape(-1))
    per_image_ms = (time.perf_counter() - start) * 1000.0 / len(crops_u8)
    return np.array(probs), per_image_ms


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--lfw", required=True, help="skimage/data/lfw_subset.npy")
    parser.add_argument("--astronaut", required=True)
    parser.add_argument("--camera", required=True)
    parser.add_argument("--cascade", required=True, help="haarcascade_frontalface_default.xml")
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()

    cascade = cv2.CascadeClassifier(args.cascade)
    if cascade.empty():
        sys.exit(f"cv2_probe: cannot load cascade {args.cascade}")
    net = cv2.dnn.readNetFromONNX(args.onnx)

    lfw = lfw_crops(args.lfw)

    astronaut_grey = cv2.cvtColor(cv2.imread(args.astronaut, cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)
    boxes = detect_faces(cascade, astronaut_grey)
    if not boxes:
        sys.exit("cv2_probe: Haar found no face in astronaut.png")
    largest = max(boxes, key=lambda b: b[2] * b[3])
    astronaut, crop_box, clamped = face_crop(astronaut_grey, largest)

    # The camera man is in profile: the frontal cascade's answer is recorded for the Rust tests.
    camera_grey = cv2.imread(args.camera, cv2.IMREAD_GRAYSCALE)
    camera_boxes = detect_faces(cascade, camera_grey)

    lfw_probs, lfw_ms = run_dnn(net, lfw)
    astro_probs, _ = run_dnn(net, astronaut[None])

    lfw.tofile(os.path.join(args.out_dir, "lfw_faces_64.bin"))
    astronaut.tofile(os.path.join(args.out_dir, "astronaut_face_64.bin"))
    report = {
        "opencv_version": cv2.__version__,
        "astronaut": {
            "haar_boxes": boxes,
            "face_box": largest,
            "crop_box": crop_box,
            "crop_clamped": clamped,
            "cv2_probs": astro_probs[0].tolist(),
        },
        "camera": {"haar_boxes": camera_boxes},
        "lfw_cv2_probs": lfw_probs.tolist(),
        "cv2_ms_per_image": lfw_ms,
    }
    with open(os.path.join(args.out_dir, "cv2_probe.json"), "w") as f:
        json.dump(report, f)
    happy = astro_probs[0][LABELS.index("happy")]
    print(f"cv2_probe: OpenCV {cv2.__version__} loaded the ONNX; astronaut face {largest}, "
          f"happy {happy:.4f}; {lfw_ms:.2f} ms per image")


if __name__ == "__main__":
    main()
