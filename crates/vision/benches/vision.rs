#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Per-step cost of the face pipeline on a 1 MP photo, with OpenCV limited to one thread.
//!
//! A plain harness (no criterion) keeps the build light; it prints the median and mean ms per op.
//! `MOJI_BENCH_SWEEP=1` also times detection for a grid of [`DetectConfig`]s.

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::imageops::FilterType;
use moji_catalog::FaceBox;
use moji_vision::{
    analyze, classify_expression, classify_grey64, detect_faces, measure_features, DetectConfig,
    FaceCascade, Models,
};

fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MOJI_MODELS_DIR") {
        return PathBuf::from(dir);
    }
    std::env::var_os("MOJI_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache"))
        .join("models")
}

/// Nanoseconds this thread has spent on a CPU (Linux schedstat); with OpenCV on one thread this
/// is the single-core cost even when other processes compete for the cores.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Runs `f` a few times to warm caches, then `iters` times; returns (median wall, mean CPU) in ms.
fn time<T>(iters: usize, mut f: impl FnMut() -> T) -> (f64, f64) {
    for _ in 0..3 {
        std::hint::black_box(f());
    }
    let cpu0 = thread_cpu_ns();
    let mut ms: Vec<f64> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let cpu = match (cpu0, thread_cpu_ns()) {
        (Some(a), Some(b)) => (b - a) as f64 / 1e6 / iters as f64,
        _ => f64::NAN,
    };
    ms.sort_by(|a, b| a.total_cmp(b));
    (ms[ms.len() / 2], cpu)
}

fn row(label: &str, (median, cpu): (f64, f64)) {
    println!("{label:<46} {median:>8.2} ms/op wall (median) {cpu:>8.2} ms/op CPU (mean)");
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent; do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = models_dir();
    let astronaut = dir.join("images/astronaut.png");
    if !astronaut.is_file() || !dir.join(moji_vision::EXPRESSION_MODEL_FILE).is_file() {
        eprintln!("{} is incomplete: run scripts/models.sh", dir.display());
        std::process::exit(1);
    }
    moji_vision::set_opencv_threads(1).unwrap();
    let cascades = moji_vision::cascades_dir_from_env();

    // A 1 MP JPEG: the astronaut upscaled to 1000x1000.
    let limits = moji_media::Limits::default();
    let small = moji_media::decode(&std::fs::read(&astronaut).unwrap(), &limits).unwrap();
    let big = image::imageops::resize(&small, 1000, 1000, FilterType::CatmullRom);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&big)
        .unwrap();

    println!(
        "moji-vision bench: 1000x1000 photo ({} kB JPEG), OpenCV threads = 1",
        jpeg.len() / 1024
    );
    row(
        "Models::load",
        time(5, || Models::load(&dir, &cascades).unwrap()),
    );
    let mut models = Models::load(&dir, &cascades).unwrap();
    println!("detect config: {:?}", models.detect_config());

    let iters = 30;
    row(
        "decode (moji-media, JPEG -> RGB)",
        time(iters, || moji_media::decode(&jpeg, &limits).unwrap()),
    );
    let img = moji_media::decode(&jpeg, &limits).unwrap();
    let faces = detect_faces(&mut models, &img).unwrap();
    println!("faces found: {faces:?}");
    let face = faces.first().copied().unwrap_or(FaceBox {
        x: 350,
        y: 130,
        width: 190,
        height: 190,
    });
    let detect = time(iters, || detect_faces(&mut models, &img).unwrap());
    row("detect_faces", detect);
    let classify = time(iters, || {
        classify_expression(&mut models, &img, face).unwrap()
    });
    row("classify_expression (per face, incl. grey)", classify);
    let crop = [128u8; 4096];
    row(
        "  of which DNN forward (classify_grey64)",
        time(iters * 3, || classify_grey64(&mut models, &crop).unwrap()),
    );
    let scores = classify_expression(&mut models, &img, face).unwrap();
    row(
        "measure_features (per face, incl. grey)",
        time(iters, || measure_features(&mut models, &img, face, scores)),
    );
    let all = time(iters, || analyze(&mut models, &img).unwrap());
    row("analyze (grey + detect + classify + features)", all);
    println!(
        "detect + classify (1 face): {:.2} ms wall, {:.2} ms CPU; target <= 30 ms",
        detect.0 + classify.0,
        detect.1 + classify.1
    );

    models.set_detect_config(DetectConfig::fast());
    println!("fast preset: {:?}", models.detect_config());
    let fast = time(iters, || detect_faces(&mut models, &img).unwrap());
    row("detect_faces (fast preset)", fast);
    row(
        "analyze (fast preset)",
        time(iters, || analyze(&mut models, &img).unwrap()),
    );
    models.set_detect_config(DetectConfig {
        verify: false,
        ..DetectConfig::fast()
    });
    row(
        "  detect_faces (fast preset, no verification)",
        time(iters, || detect_faces(&mut models, &img).unwrap()),
    );
    models.set_detect_config(DetectConfig::fast());
    println!(
        "detect + classify (1 face, fast preset): {:.2} ms wall, {:.2} ms CPU; target <= 30 ms",
        fast.0 + classify.0,
        fast.1 + classify.1
    );

    if std::env::var_os("MOJI_BENCH_SWEEP").is_some() {
        for cascade in [FaceCascade::Haar, FaceCascade::Lbp] {
            for max_side in [400, 480, 640, 800, 1000] {
                for scale_factor in [1.1, 1.15, 1.2, 1.3] {
                    models.set_detect_config(DetectConfig {
                        cascade,
                        max_side,
                        scale_factor,
                        ..DetectConfig::default()
                    });
                    let t = time(8, || detect_faces(&mut models, &img).unwrap());
                    row(
                        &format!("detect {cascade:?} max_side {max_side} scale {scale_factor}"),
                        t,
                    );
                }
            }
        }
    }
}
