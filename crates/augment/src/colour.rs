//! Colour jitter on the pixels: brightness, contrast, saturation and a hue turn.

use image::RgbImage;
use serde_json::{json, Value};

/// The factors drawn for one image (1 leaves a property as it is; `hue` is a fraction of a turn).
pub(crate) struct Jitter {
    pub brightness: f64,
    pub contrast: f64,
    pub saturation: f64,
    pub hue: f64,
}

impl Jitter {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "brightness": self.brightness, "contrast": self.contrast,
            "saturation": self.saturation, "hue": self.hue,
        })
    }
}

/// Rec. 601 luma weights.
const LUMA: [f32; 3] = [0.299, 0.587, 0.114];

fn luma(p: [f32; 3]) -> f32 {
    LUMA[0] * p[0] + LUMA[1] * p[1] + LUMA[2] * p[2]
}

/// Brightness (scale), contrast (towards the mean luma), saturation (towards each pixel's
/// luma), then hue (a rotation about the grey axis in YIQ), in that order, rounded once.
pub(crate) fn jitter(image: &RgbImage, j: &Jitter) -> RgbImage {
    let pixels = image.as_raw();
    let count = (pixels.len() / 3).max(1);
    let mean = pixels
        .chunks_exact(3)
        .map(|p| luma([f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]))
        .sum::<f32>()
        / count as f32
        * j.brightness as f32;
    let (b, c, s) = (j.brightness as f32, j.contrast as f32, j.saturation as f32);
    let hue = hue_matrix(j.hue);
    let mut out = image.clone();
    for p in out.chunks_exact_mut(3) {
        let mut v = [
            f32::from(p[0]) * b,
            f32::from(p[1]) * b,
            f32::from(p[2]) * b,
        ];
        for x in &mut v {
            *x = (*x - mean) * c + mean;
        }
        let grey = luma(v);
        for x in &mut v {
            *x = grey + (*x - grey) * s;
        }
        let turned = [
            hue[0][0] * v[0] + hue[0][1] * v[1] + hue[0][2] * v[2],
            hue[1][0] * v[0] + hue[1][1] * v[1] + hue[1][2] * v[2],
            hue[2][0] * v[0] + hue[2][1] * v[1] + hue[2][2] * v[2],
        ];
        for (dst, x) in p.iter_mut().zip(turned) {
            *dst = x.round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// The RGB matrix turning hue by `turn` of a full circle (YIQ rotation; identity at 0).
fn hue_matrix(turn: f64) -> [[f32; 3]; 3] {
    let (sin, cos) = (turn * std::f64::consts::TAU).sin_cos();
    let (sin, cos) = (sin as f32, cos as f32);
    // RGB → YIQ, rotate I and Q, YIQ → RGB, multiplied out.
    let to_yiq = [
        [0.299, 0.587, 0.114],
        [0.596, -0.274, -0.322],
        [0.211, -0.523, 0.312],
    ];
    let to_rgb = [
        [1.0, 0.956, 0.621],
        [1.0, -0.272, -0.647],
        [1.0, -1.106, 1.703],
    ];
    let rotate = [[1.0, 0.0, 0.0], [0.0, cos, -sin], [0.0, sin, cos]];
    mul(&to_rgb, &mul(&rotate, &to_yiq))
}

fn mul(a: &[[f32; 3]; 3], b: &[[f32; 3]; 3]) -> [[f32; 3]; 3] {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
}
