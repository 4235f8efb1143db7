//! Latency of the course writers: CALLS calls each of the template writer, the OpenAI-compatible
//! writer against a stand-in on 127.0.0.1 (the client's own cost: request, JSON, parsing), and
//! the local SmolLM2 model when its file is present; Korean and English briefs alternate. One
//! call is `write` plus `parse` (one attempt, no fallback). Prints one JSON object.
//!
//!   cargo run --release -p moji-llm --example writer_bench [-- --calls 20 --model PATH
//!       --threads N --skip-local]

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use moji_llm::{
    parse, CourseBrief, CourseWriter, LocalWriter, LocalWriterOptions, OpenAiWriter, TemplateWriter,
};
use serde_json::{json, Value};

#[path = "../tests/common/briefs.rs"]
mod briefs;
#[allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
#[path = "../tests/common/standin.rs"]
mod standin;

type Res<T> = Result<T, Box<dyn Error>>;

fn main() -> Res<()> {
    let mut calls = 20usize;
    let mut model = default_model();
    let mut threads = None;
    let mut skip_local = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--calls" => calls = args.next().ok_or("--calls N")?.parse()?,
            "--model" => model = PathBuf::from(args.next().ok_or("--model PATH")?),
            "--threads" => threads = Some(args.next().ok_or("--threads N")?.parse()?),
            "--skip-local" => skip_local = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let briefs = [briefs::seoul_ko(), briefs::busan_en()];

    let mut report =
        json!({"calls": calls, "threads": std::thread::available_parallelism()?.get()});
    report["template"] = bench(&TemplateWriter, &briefs, calls)?;

    let answer = json!({
        "title": "Sea Breeze and City Lights",
        "intro": "An evening by the sea.",
        "notes": ["One.", "Two.", "Three.", "Four."],
        "tips": ["Bring a jacket."],
    });
    let server = standin::StandIn::start(vec![standin::Reply::Content(answer.to_string())]);
    let openai = OpenAiWriter::new(
        &server.base_url,
        "stand-in",
        Some(String::from("key")),
        Duration::from_secs(10),
    );
    report["openai_standin"] = bench(&openai, &briefs, calls)?;

    if skip_local {
        report["local"] = json!({"skipped": "--skip-local"});
    } else if model.is_file() {
        let started = Instant::now();
        let options = LocalWriterOptions {
            threads,
            ..LocalWriterOptions::default()
        };
        let local = LocalWriter::load(&model, options)?;
        let load_ms = ms(started.elapsed());
        let mut local_report = bench(&local, &briefs, calls)?;
        local_report["load_ms"] = json!(load_ms);
        local_report["model"] = json!(local.model());
        local_report["threads"] = json!(threads);
        report["local"] = local_report;
    } else {
        report["local"] = json!({"skipped": format!("{} is absent", model.display())});
    }
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// `calls` timed calls alternating over `briefs`: latency percentiles overall and per brief
/// language, and how many answers validated.
fn bench(writer: &dyn CourseWriter, briefs: &[CourseBrief], calls: usize) -> Res<Value> {
    let mut all = Vec::with_capacity(calls);
    let mut by_language: Vec<Vec<f64>> = vec![Vec::new(); briefs.len()];
    let mut valid = 0;
    for i in 0..calls {
        let which = i % briefs.len();
        let brief = &briefs[which];
        let started = Instant::now();
        let raw = writer.write(brief)?;
        let ok = parse(&raw, brief).is_ok();
        let elapsed = ms(started.elapsed());
        valid += usize::from(ok);
        all.push(elapsed);
        by_language[which].push(elapsed);
    }
    let mut out = json!({
        "provider": writer.provider().as_str(),
        "valid": valid,
        "p50_ms": percentile(&mut all, 0.5),
        "p90_ms": percentile(&mut all, 0.9),
        "max_ms": percentile(&mut all, 1.0),
    });
    for (brief, times) in briefs.iter().zip(&mut by_language) {
        out[format!("p50_ms_{}", brief.language.as_str())] = json!(percentile(times, 0.5));
    }
    Ok(out)
}

/// Nearest-rank percentile, rounded to 0.001 ms.
fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    (values[rank - 1] * 1000.0).round() / 1000.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn default_model() -> PathBuf {
    let models = std::env::var_os("MOJI_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("MOJI_CACHE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache"))
                .join("models")
        });
    models.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
}
