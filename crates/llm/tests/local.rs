#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The local SmolLM2 model writes valid courses (Korean and English) through `Writers`, without
//! falling back. Skipped, with a message, only when the model file is absent (scripts/test.sh runs
//! scripts/models.sh first, so CI has it).
//!
//! Generations hold an exclusive lock on `$TMPDIR/moji-llm-local-tests.lock`: nextest runs each
//! test in its own process, and two llama.cpp thread pools on two cores spin against each other
//! (a 7 s course then takes minutes).

mod common;

use std::fs::File;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::briefs;
use moji_common::course::CourseLanguage;
use moji_llm::{
    validate, CourseBrief, CourseWriter, LlmError, LocalWriter, LocalWriterOptions, Provider,
    WriterConfig, WriterMode, Writers,
};
use rustix::fs::{flock, FlockOperation};

/// The model, loaded once per test process; `None` (with a message) when its file is absent.
fn writer() -> Option<Arc<LocalWriter>> {
    static WRITER: OnceLock<Option<Arc<LocalWriter>>> = OnceLock::new();
    WRITER
        .get_or_init(|| {
            let path = common::model_path();
            if !path.is_file() {
                eprintln!(
                    "SKIPPED: {} is absent (run scripts/models.sh, or set MOJI_MODELS_DIR)",
                    path.display()
                );
                return None;
            }
            let options = LocalWriterOptions {
                // Validity is tested here, not speed: a loaded 2-core CI machine may be slow.
                timeout: Duration::from_secs(150),
                ..LocalWriterOptions::default()
            };
            Some(Arc::new(LocalWriter::load(&path, options).unwrap()))
        })
        .clone()
}

/// The machine-wide turn to generate, released when dropped.
fn turn() -> File {
    let path = std::env::temp_dir().join("moji-llm-local-tests.lock");
    let lock = File::create(&path).unwrap();
    flock(&lock, FlockOperation::LockExclusive).unwrap();
    lock
}

fn writes_a_valid_course(brief: &CourseBrief) {
    let Some(writer) = writer() else { return };
    let _turn = turn();
    let writers = Writers::new(Some(writer as Arc<dyn CourseWriter>));
    let started = Instant::now();
    let written = writers.write(brief);
    println!(
        "{:?} in {:?} ({} attempts):\n{}",
        brief.language,
        started.elapsed(),
        written.attempts,
        serde_json::to_string_pretty(&written.text).unwrap()
    );
    assert_eq!(
        written.provider,
        Provider::Local,
        "fell back to the template: {:?}",
        written.fallback_reason
    );
    assert!(written.fallback_reason.is_none());
    assert!((1..=2).contains(&written.attempts));
    assert_eq!(written.model, "SmolLM2-135M-Instruct.Q4_1.gguf");
    let text = validate(written.text.clone(), brief).unwrap();
    assert_eq!(
        text, written.text,
        "Writers returns validated, trimmed text"
    );
    assert_eq!(text.notes.len(), brief.stops.len());
    // The grammar grounds each note in its stop.
    for (note, stop) in text.notes.iter().zip(&brief.stops) {
        assert!(
            note.starts_with(&stop.name),
            "{note:?} does not start with {:?}",
            stop.name
        );
    }
}

#[test]
fn the_template_writes_korean_courses_for_the_local_model() {
    let Some(writer) = writer() else { return };
    let brief = briefs::seoul_ko();
    assert_eq!(brief.language, CourseLanguage::Ko);
    assert!(!writer.writes(CourseLanguage::Ko) && writer.writes(CourseLanguage::En));
    let written = Writers::new(Some(writer as Arc<dyn CourseWriter>)).write(&brief);
    // Chosen, not fallen back to: the model is never called for Korean.
    assert_eq!(written.provider, Provider::Template);
    assert_eq!((written.attempts, written.fallback_reason), (0, None));
    assert!(written
        .text
        .title
        .chars()
        .any(|c| ('가'..='힣').contains(&c)));
}

#[test]
fn local_model_writes_an_english_course() {
    let brief = briefs::busan_en();
    assert_eq!(brief.language, CourseLanguage::En);
    writes_a_valid_course(&brief);
}

#[test]
fn same_brief_same_text() {
    let Some(writer) = writer() else { return };
    let brief = briefs::busan_en();
    let _turn = turn();
    let first = writer.write(&brief).unwrap();
    assert_eq!(writer.write(&brief).unwrap(), first);
}

#[test]
fn a_missing_model_is_an_error_or_the_template() {
    let path = std::env::temp_dir().join("moji-llm-no-such-model.gguf");
    let err = LocalWriter::load(&path, LocalWriterOptions::default()).unwrap_err();
    assert!(matches!(err, LlmError::ModelMissing { .. }), "{err}");
    let mut config = WriterConfig {
        model_path: path,
        ..WriterConfig::default()
    };
    // auto settles for the template; an explicit local is a configuration error.
    let writers = Writers::from_config(&config).unwrap();
    assert!(writers.primary.is_none());
    assert_eq!(
        writers.write(&briefs::seoul_ko()).provider,
        Provider::Template
    );
    config.mode = WriterMode::Local;
    assert!(matches!(
        Writers::from_config(&config),
        Err(LlmError::ModelMissing { .. })
    ));
}

#[test]
fn auto_prefers_the_local_model_when_present() {
    let path = common::model_path();
    if !path.is_file() {
        eprintln!(
            "SKIPPED: {} is absent (run scripts/models.sh)",
            path.display()
        );
        return;
    }
    let config = WriterConfig {
        model_path: path,
        ..WriterConfig::default()
    };
    let writers = Writers::from_config(&config).unwrap();
    let primary = writers.primary.as_ref().unwrap();
    assert_eq!(primary.provider(), Provider::Local);
}
