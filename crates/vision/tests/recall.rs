#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Detection recall on composites: copies of the astronaut's face and LFW crops pasted at known
//! sizes onto 1 MP canvases. Run with `--nocapture` to see the table.

mod common;

use image::imageops::{self, FilterType};
use image::{GrayImage, Rgb, RgbImage};
use moji_catalog::FaceBox;
use moji_vision::{detect_faces, DetectConfig, FaceCascade, Models};

const CANVAS: u32 = 1000;
/// The astronaut's face box as OpenCV finds it with fer's parameters (lfw_reference.json).
const ASTRONAUT_FACE: (u32, u32, u32) = (177, 66, 95);

/// A smooth, slightly noisy background so the canvas is not trivially empty.
fn background() -> RgbImage {
    let mut s = 0x9e37_79b9_u32;
    RgbImage::from_fn(CANVAS, CANVAS, |x, y| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        let n = s % 17;
        Rgb([
            (90 + x / 10 + n) as u8,
            (110 + y / 12 + n) as u8,
            (140 + (x + y) / 30 + n) as u8,
        ])
    })
}

/// Face sources: (image with margin around the face, face box inside it).
fn sources() -> Vec<(RgbImage, FaceBox)> {
    let astronaut = common::image("astronaut.png");
    let (fx, fy, fs) = ASTRONAUT_FACE;
    let m = fs * 2 / 5;
    let crop = imageops::crop_imm(&astronaut, fx - m, fy - m, fs + 2 * m, fs + 2 * m).to_image();
    let mut out = vec![(
        crop,
        FaceBox {
            x: m,
            y: m,
            width: fs,
            height: fs,
        },
    )];
    // LFW crops are tight around the face; they get no margin of their own, only the canvas.
    for crop in common::lfw_crops().iter().take(15) {
        let grey = GrayImage::from_raw(64, 64, crop.to_vec()).unwrap();
        let rgb = RgbImage::from_fn(64, 64, |x, y| {
            let v = grey.get_pixel(x, y)[0];
            Rgb([v, v, v])
        });
        out.push((
            rgb,
            FaceBox {
                x: 0,
                y: 0,
                width: 64,
                height: 64,
            },
        ));
    }
    out
}

struct Recall {
    placed: usize,
    found: usize,
    /// Found among the astronaut copies only.
    astronaut_found: usize,
    astronaut_placed: usize,
    false_pos: usize,
}

/// Places every source (the astronaut `astronaut_copies` times) with its face at `size` px.
fn recall_at(models: &mut Models, size: u32, astronaut_copies: usize) -> Recall {
    let srcs = sources();
    let mut order: Vec<usize> = std::iter::repeat_n(0, astronaut_copies).collect();
    order.extend(1..srcs.len());
    let cell = size * 2 + 24;
    let per_row = CANVAS / cell;
    let per_canvas = (per_row * per_row) as usize;
    let mut r = Recall {
        placed: 0,
        found: 0,
        astronaut_found: 0,
        astronaut_placed: 0,
        false_pos: 0,
    };
    for chunk in order.chunks(per_canvas) {
        let mut canvas = background();
        let mut truth = Vec::new();
        for (k, &src) in chunk.iter().enumerate() {
            let (img, face) = &srcs[src];
            let scale = f64::from(size) / f64::from(face.width);
            let w = (f64::from(img.width()) * scale).round() as u32;
            let h = (f64::from(img.height()) * scale).round() as u32;
            let scaled = imageops::resize(img, w, h, FilterType::Triangle);
            let cx = (k as u32 % per_row) * cell + cell / 2;
            let cy = (k as u32 / per_row) * cell + cell / 2;
            let fx = (f64::from(face.x) * scale).round() as u32;
            let fy = (f64::from(face.y) * scale).round() as u32;
            // Centre the face (not the crop) in its cell.
            let ox = i64::from(cx) - i64::from(fx) - i64::from(size / 2);
            let oy = i64::from(cy) - i64::from(fy) - i64::from(size / 2);
            imageops::overlay(&mut canvas, &scaled, ox, oy);
            truth.push((cx, cy, src == 0));
        }
        let found = detect_faces(models, &canvas).unwrap();
        assert!(
            found.windows(2).all(|w| w[0].x <= w[1].x),
            "not left to right: {found:?}"
        );
        let mut matched = vec![false; truth.len()];
        for d in &found {
            let (dx, dy) = (d.x + d.width / 2, d.y + d.height / 2);
            let hit = truth.iter().position(|&(cx, cy, _)| {
                dx.abs_diff(cx) < size / 2
                    && dy.abs_diff(cy) < size / 2
                    && d.width * 2 > size
                    && d.width < size * 2
            });
            match hit {
                Some(i) if !matched[i] => matched[i] = true,
                _ => r.false_pos += 1,
            }
        }
        r.placed += truth.len();
        r.found += matched.iter().filter(|m| **m).count();
        r.astronaut_placed += truth.iter().filter(|t| t.2).count();
        r.astronaut_found += truth
            .iter()
            .zip(&matched)
            .filter(|(t, m)| t.2 && **m)
            .count();
    }
    r
}

fn table(models: &mut Models, label: &str) -> Vec<(u32, f64)> {
    let mut out = Vec::new();
    for size in [32, 48, 64, 128] {
        let r = recall_at(models, size, 5);
        let recall = r.found as f64 / r.placed as f64;
        eprintln!(
            "{label} size {size:>3} px: found {:>2}/{:>2} = {:.2} (astronaut {}/{}, LFW {}/{}), false positives {}",
            r.found,
            r.placed,
            recall,
            r.astronaut_found,
            r.astronaut_placed,
            r.found - r.astronaut_found,
            r.placed - r.astronaut_placed,
            r.false_pos
        );
        out.push((size, recall));
    }
    out
}

#[test]
fn recall_per_face_size() {
    let mut models = common::models();
    // Two of the fifteen LFW crops are never found by the frontal cascade at any size or
    // setting (tight 25 px originals), so 0.90 is this set's ceiling.
    let label = format!("{:?}", models.detect_config());
    for (size, recall) in table(&mut models, &label) {
        assert!(
            recall >= 0.8,
            "default config: recall at {size} px is {recall:.2} < 0.8"
        );
    }
    models.set_detect_config(DetectConfig::fast());
    let label = format!("{:?}", models.detect_config());
    for (size, recall) in table(&mut models, &label) {
        if size >= 128 {
            assert!(
                recall >= 0.75,
                "fast config: recall at {size} px is {recall:.2} < 0.75"
            );
        }
    }
    // Coarse-to-fine (`faces.detection = adaptive`): fast first, thorough when the fast pass
    // finds nothing or only small faces. On these same-size composites it must match the
    // thorough pass at every size.
    models.set_detect_fallback(Some(DetectConfig::default()));
    for (size, recall) in table(&mut models, "adaptive (fast, then default)") {
        assert!(
            recall >= 0.8,
            "adaptive: recall at {size} px is {recall:.2} < 0.8"
        );
    }
}

#[test]
#[ignore = "tuning sweep; run with --ignored --nocapture"]
fn recall_sweep() {
    let mut models = common::models();
    let cascade = match std::env::var("SWEEP_CASCADE").as_deref() {
        Ok("lbp") => FaceCascade::Lbp,
        _ => FaceCascade::Haar,
    };
    let list = |name: &str, default: &str| -> Vec<f64> {
        std::env::var(name)
            .unwrap_or_else(|_| default.into())
            .split(',')
            .map(|v| v.trim().parse().unwrap())
            .collect()
    };
    for max_side in list("SWEEP_SIDES", "640,800,1000") {
        for scale_factor in list("SWEEP_SCALES", "1.1,1.15,1.2") {
            for min_neighbors in list("SWEEP_NEIGHBOURS", "3,4") {
                let config = DetectConfig {
                    cascade,
                    max_side: max_side as u32,
                    scale_factor,
                    min_neighbors: min_neighbors as i32,
                    ..DetectConfig::default()
                };
                models.set_detect_config(config);
                table(
                    &mut models,
                    &format!("{cascade:?} side {max_side} sf {scale_factor} mn {min_neighbors}"),
                );
            }
        }
    }
}
