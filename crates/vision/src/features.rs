//! Face measurements for the look-alike mapping (see `moji_catalog::FaceFeatures`).

use image::RgbImage;
use moji_catalog::{FaceBox, FaceFeatures};
use opencv::core::{Mat, Rect, Size, Vector};
use opencv::imgproc;
use opencv::objdetect::{CascadeClassifier, CASCADE_SCALE_IMAGE};
use opencv::prelude::*;

use crate::VisionError;

/// Faces are resampled to this square before measuring, so edge density and eye search do not
/// depend on how large the face is in the photo.
/// At 128 px eyes are about 30 px wide, comfortably above the eye cascade's 20 px window.
const NORM: i32 = 128;
/// Eyes are searched in this band of the face height only: the upper half, minus the forehead,
/// plus a margin so an eye box whose centre sits near the middle is not cut. The eye cascade is
/// the costliest measurement, and its cost is proportional to the area searched.
const EYE_BAND: (f64, f64) = (0.15, 0.6);

struct Eye {
    cx: f64,
    cy: f64,
    w: f64,
}

pub(crate) fn measure(
    eyes: &mut CascadeClassifier,
    img: &RgbImage,
    grey: Option<&Mat>,
    face: FaceBox,
    expression: [f32; 7],
) -> FaceFeatures {
    let mut f = FaceFeatures {
        eyes_found: false,
        eye_spacing: FaceFeatures::MEAN_EYE_SPACING,
        eye_size: FaceFeatures::MEAN_EYE_SIZE,
        eye_height: FaceFeatures::MEAN_EYE_HEIGHT,
        eye_tilt_deg: 0.0,
        brightness: brightness(img, face),
        edge_density: 0.0,
        expression,
    };
    let Some(grey) = grey else { return f };
    let Ok(norm) = normalised_face(grey, face) else {
        return f;
    };
    if let Ok(d) = edge_density(&norm) {
        f.edge_density = d;
    }
    if let Ok(Some((left, right))) = eye_pair(eyes, &norm) {
        // Back to photo pixels so the angle is right for boxes that are not square.
        let kx = f64::from(face.width) / f64::from(NORM);
        let ky = f64::from(face.height) / f64::from(NORM);
        let dx = (right.cx - left.cx) * kx;
        let dy = (right.cy - left.cy) * ky;
        f.eyes_found = true;
        f.eye_spacing = (dx.hypot(dy) / f64::from(face.width)) as f32;
        f.eye_size = ((left.w + right.w) / 2.0 / f64::from(NORM)) as f32;
        f.eye_height = ((left.cy + right.cy) / 2.0 / f64::from(NORM)) as f32;
        // Image y grows downwards: the right-hand eye is higher when its y is smaller.
        f.eye_tilt_deg = (-dy).atan2(dx).to_degrees() as f32;
    }
    f
}

/// Mean BT.601 luma of the face box, 0..1, computed in Rust so it is always available.
fn brightness(img: &RgbImage, face: FaceBox) -> f32 {
    let x2 = face.x.saturating_add(face.width).min(img.width());
    let y2 = face.y.saturating_add(face.height).min(img.height());
    let (mut sum, mut n) = (0u64, 0u64);
    for y in face.y..y2 {
        for x in face.x..x2 {
            let p = img.get_pixel(x, y).0;
            sum += 299 * u64::from(p[0]) + 587 * u64::from(p[1]) + 114 * u64::from(p[2]);
            n += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        (sum as f64 / (n as f64 * 1000.0 * 255.0)) as f32
    }
}

fn normalised_face(grey: &Mat, face: FaceBox) -> Result<Mat, VisionError> {
    let (cols, rows) = (i64::from(grey.cols()), i64::from(grey.rows()));
    let x1 = i64::from(face.x).min(cols);
    let y1 = i64::from(face.y).min(rows);
    let x2 = (i64::from(face.x) + i64::from(face.width)).min(cols);
    let y2 = (i64::from(face.y) + i64::from(face.height)).min(rows);
    if x2 - x1 < 8 || y2 - y1 < 8 {
        return Err(VisionError::InvalidInput(format!(
            "face box {face:?} too small or outside"
        )));
    }
    let roi = Mat::roi(
        grey,
        Rect::new(x1 as i32, y1 as i32, (x2 - x1) as i32, (y2 - y1) as i32),
    )?;
    let shrinking = x2 - x1 > i64::from(NORM);
    let mut out = Mat::default();
    imgproc::resize(
        &roi,
        &mut out,
        Size::new(NORM, NORM),
        0.0,
        0.0,
        if shrinking {
            imgproc::INTER_AREA
        } else {
            imgproc::INTER_LINEAR
        },
    )?;
    Ok(out)
}

/// Fraction of Canny edge pixels; a light blur first so sensor noise does not count as "strong
/// features".
fn edge_density(norm: &Mat) -> Result<f32, VisionError> {
    let mut blurred = Mat::default();
    imgproc::gaussian_blur_def(norm, &mut blurred, Size::new(3, 3), 0.0)?;
    let mut edges = Mat::default();
    imgproc::canny_def(&blurred, &mut edges, 50.0, 150.0)?;
    let on = opencv::core::count_non_zero(&edges)?;
    Ok(on as f32 / (NORM * NORM) as f32)
}

/// The most plausible (left, right) eye pair in the top band of a normalised face, in its
/// coordinates.
fn eye_pair(eyes: &mut CascadeClassifier, norm: &Mat) -> Result<Option<(Eye, Eye)>, VisionError> {
    let n = f64::from(NORM);
    let top_px = (n * EYE_BAND.0) as i32;
    let band = Rect::new(0, top_px, NORM, (n * EYE_BAND.1) as i32 - top_px);
    let top = Mat::roi(norm, band)?;
    let mut hits = Vector::<Rect>::new();
    cascade_detect(
        eyes,
        &top,
        &mut hits,
        Size::new((n * 0.14) as i32, (n * 0.14) as i32),
        Size::new((n * 0.35) as i32, (n * 0.35) as i32),
    )?;
    let cands: Vec<Eye> = hits
        .iter()
        .map(|r| Eye {
            cx: f64::from(r.x) + f64::from(r.width) / 2.0,
            cy: f64::from(top_px + r.y) + f64::from(r.height) / 2.0,
            w: f64::from(r.width),
        })
        .collect();
    let mut best: Option<(f64, usize, usize)> = None;
    for (i, a) in cands.iter().enumerate() {
        for (j, b) in cands.iter().enumerate() {
            // One eye each side of the midline, roughly level, a plausible distance apart.
            if a.cx >= n / 2.0 || b.cx <= n / 2.0 {
                continue;
            }
            let spacing = b.cx - a.cx;
            if spacing < 0.2 * n || spacing > 0.7 * n || (a.cy - b.cy).abs() > 0.15 * n {
                continue;
            }
            // Prefer level pairs of similar size, symmetric about the midline.
            let cost =
                (a.cy - b.cy).abs() + (a.w - b.w).abs() + ((a.cx + b.cx) / 2.0 - n / 2.0).abs();
            if best.is_none_or(|(c, _, _)| cost < c) {
                best = Some((cost, i, j));
            }
        }
    }
    let Some((_, i, j)) = best else {
        return Ok(None);
    };
    let mut cands = cands;
    // Remove the higher index first so the lower one stays valid.
    let (hi, lo) = if i > j { (i, j) } else { (j, i) };
    let e_hi = cands.swap_remove(hi);
    let e_lo = cands.swap_remove(lo);
    Ok(Some(if lo == i { (e_lo, e_hi) } else { (e_hi, e_lo) }))
}

fn cascade_detect(
    c: &mut CascadeClassifier,
    img: &impl opencv::core::ToInputArray,
    hits: &mut Vector<Rect>,
    min: Size,
    max: Size,
) -> Result<(), VisionError> {
    c.detect_multi_scale(img, hits, 1.1, 3, CASCADE_SCALE_IMAGE, min, max)?;
    Ok(())
}
