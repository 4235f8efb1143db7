//! Haar cascade face detection on a downscaled grey copy, boxes mapped back and merged.

use moji_catalog::FaceBox;
use opencv::core::{Mat, Rect, Size, Vector};
use opencv::imgproc;
use opencv::objdetect::{CascadeClassifier, CASCADE_SCALE_IMAGE};
use opencv::prelude::*;

use crate::VisionError;

/// The frontal-face cascade's training window: it cannot see a face smaller than this.
const CASCADE_WINDOW: i32 = 24;

/// Which frontal-face cascade scans the photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceCascade {
    /// `haarcascade_frontalface_default.xml`, the one `fer` uses: best recall, slowest.
    Haar,
    /// `lbpcascade_frontalface.xml` (integer LBP features, 24 px window): about 2.5x faster,
    /// a little less recall. (The "improved" LBP cascade has a 45 px window and misses small faces.)
    Lbp,
}

/// Speed/recall knobs of [`crate::detect_faces`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectConfig {
    /// The cascade to use.
    pub cascade: FaceCascade,
    /// The photo is shrunk so that its long side is at most this before detection. The cascade
    /// cost grows with the pixel count, so this sets the time per photo; faces smaller than
    /// `24 * long_side / max_side` px in the photo then fall below the cascade window.
    pub max_side: u32,
    /// Smallest face to report, in photo pixels.
    pub min_face: u32,
    /// Pyramid step between detection scales (OpenCV `scaleFactor`).
    pub scale_factor: f64,
    /// Overlapping raw hits needed to accept a face (OpenCV `minNeighbors`).
    pub min_neighbors: i32,
    /// Histogram-equalise before detection (helps dim or low-contrast photos).
    pub equalize: bool,
    /// Keep only faces that a second cascade (`haarcascade_frontalface_alt2.xml`) also finds
    /// around the box. Costs about 2 ms per face and removes textured patches that the main
    /// cascade takes for faces (one on the astronaut's suit at several photo sizes).
    pub verify: bool,
}

impl Default for DetectConfig {
    /// Recall first: every frontal face of 32 px or more in photos up to 800 px on the long side
    /// (larger photos: faces of at least `24 * long_side / 800` px). About 0.3 s of one core per
    /// 1 MP photo on the project's 2-core machines.
    fn default() -> Self {
        Self {
            cascade: FaceCascade::Haar,
            max_side: 800,
            min_face: 32,
            scale_factor: 1.1,
            min_neighbors: 3,
            equalize: false,
            verify: true,
        }
    }
}

impl DetectConfig {
    /// Speed first, for selfie-like photos: about 15 ms of one core per 1 MP photo (12 ms of it
    /// the cascade; scale step 1.3 rather than 1.2 saved 5 ms at the same recall: 17 of the 20
    /// faces of 128 px), but only faces of roughly 100 px or more at 1 MP (see
    /// `scripts/bench/vision.sh --sweep` and the recall test for the measured trade-off).
    pub fn fast() -> Self {
        Self {
            cascade: FaceCascade::Lbp,
            max_side: 400,
            min_face: 64,
            scale_factor: 1.3,
            min_neighbors: 2,
            equalize: false,
            verify: true,
        }
    }
}

pub(crate) fn detect(
    cascade: &mut CascadeClassifier,
    verifier: &mut CascadeClassifier,
    grey: &Mat,
    config: &DetectConfig,
) -> Result<Vec<FaceBox>, VisionError> {
    let (w, h) = (grey.cols(), grey.rows());
    let long = w.max(h);
    if long <= 0 {
        return Err(VisionError::InvalidInput("empty image".into()));
    }
    let scale = (f64::from(config.max_side) / f64::from(long)).min(1.0);
    let resized;
    let (small, w, h): (&Mat, i32, i32) = if scale < 1.0 {
        let (out, used_w, used_h) = shrink(grey, scale)?;
        resized = out;
        (&resized, used_w, used_h)
    } else {
        (grey, w, h)
    };
    let equalized;
    let input: &Mat = if config.equalize {
        let mut out = Mat::default();
        imgproc::equalize_hist(small, &mut out)?;
        equalized = out;
        &equalized
    } else {
        small
    };
    let sx = f64::from(w) / f64::from(input.cols());
    let sy = f64::from(h) / f64::from(input.rows());
    // Search windows a little below `min_face`: the pyramid only samples sizes every
    // `scale_factor` steps, and a face of exactly `min_face` must still meet a window near it.
    let min_side = ((f64::from(config.min_face) * 0.8 / sx).round() as i32).max(CASCADE_WINDOW);

    let mut hits = Vector::<Rect>::new();
    cascade.detect_multi_scale(
        input,
        &mut hits,
        config.scale_factor,
        config.min_neighbors,
        CASCADE_SCALE_IMAGE,
        Size::new(min_side, min_side),
        Size::new(0, 0),
    )?;

    let mapped: Vec<Rect> = hits
        .iter()
        .map(|r| {
            let x = (f64::from(r.x) * sx).round() as i32;
            let y = (f64::from(r.y) * sy).round() as i32;
            let rw = ((f64::from(r.width) * sx).round() as i32).min(w - x);
            let rh = ((f64::from(r.height) * sy).round() as i32).min(h - y);
            Rect::new(x, y, rw, rh)
        })
        .filter(|r| r.x >= 0 && r.y >= 0 && r.width > 0 && r.height > 0)
        .collect();

    let mut kept = Vec::new();
    for r in merge(mapped) {
        if !config.verify || confirmed(verifier, grey, r)? {
            kept.push(r);
        }
    }
    let mut faces: Vec<FaceBox> = kept
        .into_iter()
        .map(|r| FaceBox {
            x: r.x.unsigned_abs(),
            y: r.y.unsigned_abs(),
            width: r.width.unsigned_abs(),
            height: r.height.unsigned_abs(),
        })
        .collect();
    faces.sort_by_key(|f| (f.x, f.y));
    Ok(faces)
}

/// Shrinks `grey` by `scale` (< 1) without aliasing; returns the result and the width and
/// height of the part of `grey` it covers (mapping boxes back must use those).
///
/// INTER_AREA averages, so shrinking does not alias fine texture into false faces, but at a
/// fractional ratio OpenCV's general path is slow (2.9 ms for 1024 -> 400 px). An exact integer
/// factor takes its fast path (0.05 ms for 1024 -> 512), and a bilinear step covers the last
/// factor below 2, which cannot alias after the averaging: 0.2 ms, the same detections.
fn shrink(grey: &Mat, scale: f64) -> Result<(Mat, i32, i32), VisionError> {
    let (w, h) = (grey.cols(), grey.rows());
    let size = Size::new(
        ((f64::from(w) * scale).round() as i32).max(1),
        ((f64::from(h) * scale).round() as i32).max(1),
    );
    let k = (1.0 / scale).floor() as i32;
    let mut out = Mat::default();
    if k < 2 || w / k < size.width || h / k < size.height {
        imgproc::resize(grey, &mut out, size, 0.0, 0.0, imgproc::INTER_AREA)?;
        return Ok((out, w, h));
    }
    // Crop to a multiple of k (at most k - 1 pixels off the right and bottom edges).
    let (cw, ch) = (w - w % k, h - h % k);
    let cropped = Mat::roi(grey, Rect::new(0, 0, cw, ch))?;
    let mut reduced = Mat::default();
    imgproc::resize(
        &cropped,
        &mut reduced,
        Size::new(cw / k, ch / k),
        0.0,
        0.0,
        imgproc::INTER_AREA,
    )?;
    if reduced.cols() == size.width && reduced.rows() == size.height {
        return Ok((reduced, cw, ch));
    }
    imgproc::resize(&reduced, &mut out, size, 0.0, 0.0, imgproc::INTER_LINEAR)?;
    Ok((out, cw, ch))
}

/// The face box side at which [`confirmed`] runs the second cascade: large enough for the
/// cascade's 20 px window with margin, small enough to cost almost nothing.
const VERIFY_SIDE: f64 = 48.0;

/// Whether the verifying cascade also finds a face of about this size around `face`.
fn confirmed(
    verifier: &mut CascadeClassifier,
    grey: &Mat,
    face: Rect,
) -> Result<bool, VisionError> {
    let margin = face.width.max(face.height) * 3 / 10;
    let x1 = (face.x - margin).max(0);
    let y1 = (face.y - margin).max(0);
    let x2 = (face.x + face.width + margin).min(grey.cols());
    let y2 = (face.y + face.height + margin).min(grey.rows());
    let roi = Mat::roi(grey, Rect::new(x1, y1, x2 - x1, y2 - y1))?;
    let k = VERIFY_SIDE / f64::from(face.width.max(1));
    let size = Size::new(
        ((f64::from(x2 - x1) * k).round() as i32).max(1),
        ((f64::from(y2 - y1) * k).round() as i32).max(1),
    );
    let mut patch = Mat::default();
    let interpolation = if k < 1.0 {
        imgproc::INTER_AREA
    } else {
        imgproc::INTER_LINEAR
    };
    imgproc::resize(&roi, &mut patch, size, 0.0, 0.0, interpolation)?;
    let mut hits = Vector::<Rect>::new();
    let lo = (VERIFY_SIDE * 0.7) as i32;
    let hi = (VERIFY_SIDE * 1.5) as i32;
    // Three grouped hits: a real face yields many overlapping hits near its size, a face-like
    // texture only one or two.
    verifier.detect_multi_scale(
        &patch,
        &mut hits,
        1.1,
        3,
        CASCADE_SCALE_IMAGE,
        Size::new(lo, lo),
        Size::new(hi, hi),
    )?;
    // The hit must sit on the box, not on a neighbour that the margin let in.
    let (cx, cy) = (
        (f64::from(face.x - x1) + f64::from(face.width) / 2.0) * k,
        (f64::from(face.y - y1) + f64::from(face.height) / 2.0) * k,
    );
    Ok(hits.iter().any(|h| {
        let (hx, hy) = (
            f64::from(h.x) + f64::from(h.width) / 2.0,
            f64::from(h.y) + f64::from(h.height) / 2.0,
        );
        (hx - cx).abs() < VERIFY_SIDE * 0.3 && (hy - cy).abs() < VERIFY_SIDE * 0.3
    }))
}

/// Drops boxes that mostly overlap a larger kept box.
///
/// OpenCV's grouping already merges hits of similar size, but it keeps a small box nested inside
/// a large one (a face inside a face); those are the same person.
fn merge(mut boxes: Vec<Rect>) -> Vec<Rect> {
    boxes.sort_by_key(|r| std::cmp::Reverse(i64::from(r.width) * i64::from(r.height)));
    let mut kept: Vec<Rect> = Vec::with_capacity(boxes.len());
    for b in boxes {
        let overlaps = kept.iter().any(|k| {
            let inter = intersection(k, &b);
            let union = area(k) + area(&b) - inter;
            inter * 10 > union * 3 || inter * 10 > area(&b) * 6
        });
        if !overlaps {
            kept.push(b);
        }
    }
    kept
}

fn area(r: &Rect) -> i64 {
    i64::from(r.width) * i64::from(r.height)
}

fn intersection(a: &Rect, b: &Rect) -> i64 {
    let x1 = a.x.max(b.x);
    let y1 = a.y.max(b.y);
    let x2 = (a.x + a.width).min(b.x + b.width);
    let y2 = (a.y + a.height).min(b.y + b.height);
    if x2 <= x1 || y2 <= y1 {
        0
    } else {
        i64::from(x2 - x1) * i64::from(y2 - y1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_and_overlapping_boxes_merge_disjoint_stay() {
        let boxes = vec![
            Rect::new(0, 0, 100, 100),
            Rect::new(20, 20, 50, 50),  // nested
            Rect::new(10, 5, 100, 100), // heavy overlap
            Rect::new(300, 0, 60, 60),  // separate face
            Rect::new(95, 0, 40, 40),   // touches the first a little
        ];
        let kept = merge(boxes);
        assert_eq!(kept.len(), 3, "{kept:?}");
        assert!(kept.contains(&Rect::new(0, 0, 100, 100)));
        assert!(kept.contains(&Rect::new(300, 0, 60, 60)));
    }
}
