//! The GAN's cost on this machine: training time of the 64 px pyramid within a budget, and
//! samples per second, with the quality measures the worker reports (mean SSIM of samples to
//! the input, mean pairwise diversity). The input is `--image PATH` (default: a synthetic
//! picture of stripes, a disc and a gradient). Prints one JSON object; `--out DIR` also writes
//! the input and 16 samples as PNGs to look at.
//!
//!   cargo bench -p moji-gan --bench gan [-- --seconds 60 --threads 2 --image x.png --out dir]

use std::{ops::ControlFlow, path::PathBuf, time::Instant};

use image::RgbImage;
use moji_gan::{diversity, reference, ssim, train, TrainConfig};
use serde_json::json;

fn synthetic() -> RgbImage {
    RgbImage::from_fn(128, 128, |x, y| {
        let disc = (x as i32 - 80).pow(2) + (y as i32 - 48).pow(2) < 500;
        if disc {
            image::Rgb([230, 200, 40])
        } else if (x / 12 + y / 18) % 2 == 0 {
            image::Rgb([30, 90, (y * 2) as u8])
        } else {
            image::Rgb([200, 220, 240 - (x / 2) as u8])
        }
    })
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let seconds: f64 = arg("--seconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(60.0);
    let threads: i32 = arg("--threads").and_then(|s| s.parse().ok()).unwrap_or(2);
    let samples: u64 = arg("--samples").and_then(|s| s.parse().ok()).unwrap_or(200);
    let source = match arg("--image") {
        Some(path) => match image::open(&path) {
            Ok(img) => img.to_rgb8(),
            Err(e) => {
                eprintln!("cannot read {path}: {e}");
                std::process::exit(2);
            }
        },
        None => synthetic(),
    };
    tch::set_num_threads(threads);
    let config = TrainConfig::new(64, seconds, 1);
    let trained = match train(&source, &config, |_| ControlFlow::Continue(())) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("training failed: {e}");
            std::process::exit(1);
        }
    };
    let input = reference(&source, 64);
    let started = Instant::now();
    let mut made = Vec::new();
    for i in 0..samples {
        match trained.sample(7, i) {
            Ok(s) => made.push(s.image),
            Err(e) => {
                eprintln!("sampling failed: {e}");
                std::process::exit(1);
            }
        }
    }
    let per_second = samples as f64 / started.elapsed().as_secs_f64();
    let mean_ssim = made.iter().map(|m| ssim(m, &input)).sum::<f64>() / made.len() as f64;
    let first: Vec<RgbImage> = made.iter().take(32).cloned().collect();
    if let Some(dir) = arg("--out").map(PathBuf::from) {
        let _ = std::fs::create_dir_all(&dir);
        let _ = input.save(dir.join("input.png"));
        for (i, m) in made.iter().take(16).enumerate() {
            let _ = m.save(dir.join(format!("sample-{i:02}.png")));
        }
    }
    let report = json!({
        "size": 64,
        "threads": threads,
        "budget_seconds": seconds,
        "train_seconds": trained.seconds,
        "scales": trained.report,
        "samples": samples,
        "samples_per_second": per_second,
        "mean_ssim_to_input": mean_ssim,
        "diversity": diversity(&first),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
}
