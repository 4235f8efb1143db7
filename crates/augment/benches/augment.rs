//! Images per second of each transform and of the standard pipeline, on one thread, at 64 and
//! 256 px (issue 16's reference: albumentations' published 1,200–4,300 images/s for affine,
//! crop and colour at 256 px). Each transform runs alone with p = 1 on a source already at the
//! output size, so no resize is counted but the crop's own. Prints one JSON object.
//!
//!   cargo bench -p moji-augment --bench augment [-- --seconds 1.0]

use std::time::{Duration, Instant};

use image::RgbImage;
use moji_augment::{Pipeline, Step, Transform};
use serde_json::{json, Map, Value};

/// A photo-like 512 × 512 source: smooth gradients with fine texture.
fn source() -> RgbImage {
    RgbImage::from_fn(512, 512, |x, y| {
        let t = ((x * 7 + y * 13) % 17) as f32;
        let r = (x as f32 / 2.0 + t) as u8;
        let g = (y as f32 / 2.0 + t) as u8;
        let b = ((x + y) as f32 / 4.0 + 40.0 - t) as u8;
        image::Rgb([r, g, b])
    })
}

/// Images per second of `pipeline` on `input` over about `budget`.
fn rate(pipeline: &Pipeline, input: &RgbImage, budget: Duration) -> f64 {
    let started = Instant::now();
    let mut made = 0u64;
    while started.elapsed() < budget || made < 20 {
        let (image, _) = match pipeline.make(input, 1, made) {
            Ok(out) => out,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        std::hint::black_box(image);
        made += 1;
    }
    (made as f64 / started.elapsed().as_secs_f64() * 10.0).round() / 10.0
}

fn main() {
    let mut seconds = 1.0f64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            seconds = args.next().and_then(|v| v.parse().ok()).unwrap_or(seconds);
        }
    }
    let budget = Duration::from_secs_f64(seconds);
    // One thread: OpenCV would otherwise split warps and resizes over every core.
    if let Err(e) = opencv::core::set_num_threads(1) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    let big = source();
    let mut report = Map::new();
    for size in [64u32, 256] {
        let standard = Pipeline::standard(size);
        if let Some(problem) = standard.problem() {
            eprintln!("{problem}");
            std::process::exit(1);
        }
        let at_size =
            image::imageops::resize(&big, size, size, image::imageops::FilterType::Triangle);
        let mut row = Map::new();
        let transforms: Vec<Transform> = standard
            .steps
            .iter()
            .map(|s| s.transform.clone())
            .chain([Transform::VerticalFlip])
            .collect();
        for transform in transforms {
            let name = transform.name();
            let alone = Pipeline {
                size,
                steps: vec![Step { p: 1.0, transform }],
            };
            row.insert(name.to_owned(), json!(rate(&alone, &at_size, budget)));
        }
        row.insert(
            "standard_pipeline_from_512px".to_owned(),
            json!(rate(&standard, &big, budget)),
        );
        report.insert(format!("{size}px"), Value::Object(row));
    }
    report.insert("threads".to_owned(), json!(1));
    report.insert("seconds_per_cell".to_owned(), json!(seconds));
    println!(
        "{}",
        serde_json::to_string_pretty(&Value::Object(report)).unwrap_or_default()
    );
}
