//! Per-pixel transforms: Gaussian noise, cut-outs and a JPEG round trip.

use std::io::Cursor;

use image::{codecs::jpeg::JpegEncoder, ImageFormat, RgbImage};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::AugmentError;

/// Grey of the cut-out boxes (the middle of the range).
const CUTOUT_FILL: u8 = 128;

/// Adds N(0, std²) to every channel of every pixel, from its own ChaCha8 stream.
pub(crate) fn noise(image: &RgbImage, std: f64, seed: u64) -> RgbImage {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let std = std as f32;
    let mut out = image.clone();
    let mut spare: Option<f32> = None;
    for v in out.iter_mut() {
        let z = match spare.take() {
            Some(z) => z,
            None => {
                // Box–Muller: two normal draws per two uniform ones.
                let u1: f32 = rng.random_range(f32::EPSILON..1.0);
                let u2: f32 = rng.random();
                let r = (-2.0 * u1.ln()).sqrt();
                let (s, c) = (std::f32::consts::TAU * u2).sin_cos();
                spare = Some(r * s);
                r * c
            }
        };
        *v = (f32::from(*v) + z * std).round().clamp(0.0, 255.0) as u8;
    }
    out
}

/// Fills each `[x, y, width, height]` box with grey.
pub(crate) fn cutout(image: &RgbImage, boxes: &[[u32; 4]]) -> RgbImage {
    let mut out = image.clone();
    for &[x, y, w, h] in boxes {
        for py in y..(y + h).min(out.height()) {
            for px in x..(x + w).min(out.width()) {
                out.put_pixel(px, py, image::Rgb([CUTOUT_FILL; 3]));
            }
        }
    }
    out
}

/// The image after encoding as JPEG at `quality` and decoding again.
pub(crate) fn jpeg(image: &RgbImage, quality: u8) -> Result<RgbImage, AugmentError> {
    let mut encoded = Vec::new();
    JpegEncoder::new_with_quality(&mut encoded, quality).encode_image(image)?;
    let decoded = image::load(Cursor::new(encoded), ImageFormat::Jpeg)?;
    Ok(decoded.into_rgb8())
}
