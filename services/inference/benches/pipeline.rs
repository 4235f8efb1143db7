//! Raw cost of the worker's pipeline on one core, without queues, Redis or storage: the
//! worker's own image job (`pipeline::run`: decode a 1 MP JPEG, detect, classify, composite,
//! encode), each step timed from the job's step announcements. The end-to-end benchmark
//! (scripts/bench/faces.sh) divides its per-image cost by this figure.
//!
//! `cargo bench -p moji-inference --bench pipeline` (needs scripts/models.sh). Writes the 1 MP
//! test photo to `.cache/bench/photo_1mp.jpg` for the end-to-end run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::Cursor,
    path::PathBuf,
    sync::{atomic::AtomicBool, Arc},
    time::{Duration, Instant},
};

use moji_common::{TaskKind, TemplateId};
use moji_inference::pipeline::{self, Control, Job, StepStarted};

/// The worker's allocator, so the raw figure is measured the way the worker runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// CPU time this thread has used so far, from `/proc/thread-self/schedstat` (absent on
/// kernels without CONFIG_SCHED_INFO, and then `None`).
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let models = std::env::var_os("MOJI_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".cache/models"));
    let cascades = std::env::var_os("MOJI_CASCADES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/opencv4/haarcascades"));
    let astronaut = image::open(models.join("images/astronaut.png"))
        .expect("run scripts/models.sh")
        .to_rgb8();
    // 1024 x 1024 = 1.05 MP, JPEG like a phone upload.
    let photo = image::imageops::resize(
        &astronaut,
        1024,
        1024,
        image::imageops::FilterType::CatmullRom,
    );
    let mut jpeg = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(photo)
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    let jpeg = jpeg.into_inner();
    let out_dir = root.join(".cache/bench");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("photo_1mp.jpg"), &jpeg).unwrap();

    moji_vision::set_opencv_threads(1).unwrap();
    let mode = std::env::var("MOJI_FACES__DETECTION").unwrap_or_else(|_| "thorough".into());
    let (primary, fallback) = moji_inference::pool::detection_mode(&mode).unwrap();
    let mut m = moji_vision::Models::load(&models, &cascades).unwrap();
    m.set_detect_config(primary);
    m.set_detect_fallback(fallback);
    let iterations: usize = std::env::var("MOJI_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
        .max(1);
    // The worker's own job (`pipeline::run`), timed from its step announcements.
    let jpeg = bytes::Bytes::from(jpeg);
    let mut steps: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut faces_seen = 0;
    let (mut job_wall, mut job_cpu) = (Vec::new(), Some(Duration::ZERO));
    for i in 0..iterations + 3 {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let control = Control {
            steps: tx,
            stop: Arc::new(AtomicBool::new(false)),
            step_delay: Duration::ZERO,
        };
        let job = Job {
            bytes: jpeg.clone(),
            limits: moji_media::Limits::default(),
            kind: TaskKind::Emoji,
            template: TemplateId::Classic,
        };
        let (cpu_before, wall_before) = (thread_cpu(), Instant::now());
        let analysis = pipeline::run(&mut m, job, &control).unwrap();
        let end = Instant::now();
        if i >= 3 {
            job_cpu = match (job_cpu, cpu_before, thread_cpu()) {
                (Some(sum), Some(before), Some(after)) => Some(sum + (after - before)),
                _ => None,
            };
            job_wall.push((end - wall_before).as_secs_f64() * 1e3);
        }
        faces_seen = analysis.faces.len();
        let mut started: Vec<StepStarted> = Vec::new();
        while let Ok(s) = rx.try_recv() {
            started.push(s);
        }
        if i < 3 {
            continue;
        }
        for (k, s) in started.iter().enumerate() {
            let until = started.get(k + 1).map_or(end, |next| next.at);
            let ms = (until - s.at).as_secs_f64() * 1e3;
            match steps.iter_mut().find(|(name, _)| *name == s.step.name()) {
                Some((_, v)) => v.push(ms),
                None => steps.push((s.step.name(), vec![ms])),
            }
        }
    }
    println!("raw pipeline, detection {mode}, 1024x1024 JPEG, one core, {iterations} iterations, {faces_seen} face(s):");
    let mut total = 0.0;
    let mut vision = 0.0;
    for (name, v) in steps {
        let ms = median(v);
        total += ms;
        if matches!(name, "detect" | "classify" | "composite") {
            vision += ms;
        }
        println!("  {name:<10} {ms:8.2} ms");
    }
    println!(
        "  {:<10} {vision:8.2} ms   (detect + classify + composite)",
        "vision"
    );
    println!("  {:<10} {total:8.2} ms   (all steps)", "total");
    let mean_wall = job_wall.iter().sum::<f64>() / job_wall.len() as f64;
    let mean_cpu = job_cpu.map_or_else(
        || "n/a".to_owned(),
        |cpu| format!("{:.2}", cpu.as_secs_f64() * 1e3 / iterations as f64),
    );
    println!(
        "  whole job: median {:.2} ms, mean {mean_wall:.2} ms wall, mean {mean_cpu} ms CPU",
        median(job_wall)
    );
    println!("RAW_PIPELINE_MS={total:.2}");
    println!("RAW_VISION_MS={vision:.2}");
}
