#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Our OpenCV-DNN forward pass against the maintainer's quantized TFLite model on the 100 LFW
//! crops (reference written by scripts/models.sh).

mod common;

use moji_catalog::Expression;
use moji_vision::classify_grey64;

fn top1_list(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn lfw_top1_agrees_with_tflite() {
    let mut models = common::models();
    let reference = common::reference();
    let tflite = top1_list(&reference["tflite_top1"]);
    let onnx = top1_list(&reference["onnx_top1"]);
    let crops = common::lfw_crops();
    assert_eq!(tflite.len(), crops.len());

    let mut agree_tflite = 0;
    let mut agree_onnx = 0;
    let mut max_diff = 0f32;
    for (i, crop) in crops.iter().enumerate() {
        let scores = classify_grey64(&mut models, crop).unwrap();
        let top = Expression::argmax(&scores).0.index();
        agree_tflite += usize::from(top == tflite[i]);
        agree_onnx += usize::from(top == onnx[i]);
        for (a, b) in scores
            .iter()
            .zip(reference["onnx_probs"][i].as_array().unwrap())
        {
            max_diff = max_diff.max((a - b.as_f64().unwrap() as f32).abs());
        }
    }
    eprintln!(
        "LFW top-1 agreement: tflite {agree_tflite}/100, python cv2/onnx {agree_onnx}/100, max |p - p_onnx| {max_diff:.2e}"
    );
    assert!(
        agree_tflite >= 97,
        "top-1 agreement with tflite {agree_tflite}/100 < 97"
    );
    assert_eq!(
        agree_onnx, 100,
        "same model, same runtime: should agree everywhere"
    );
    // The reference rounds probabilities to 6 decimals.
    assert!(max_diff < 1e-4, "max diff {max_diff}");
}
