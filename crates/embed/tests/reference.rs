#![allow(clippy::unwrap_used, clippy::expect_used)]
//! moji-embed against sentence-transformers: tests/fixtures/reference.json holds sentences (English
//! and Korean, two past the 256-token limit) and the vectors sentence-transformers gives for them,
//! written by scripts/models/embed_reference.py. Every component must agree within 1e-5.

use std::path::{Path, PathBuf};

use moji_embed::{Embedder, DIM, MAX_TOKENS, MODEL_DIR};

const TOLERANCE: f32 = 1e-5;

/// `MOJI_MODELS_DIR`, else `$MOJI_CACHE_DIR/models`, else the workspace's `.cache/models`; then
/// the model's folder. Fails (never skips) when the model is missing.
fn model_dir() -> PathBuf {
    let models = std::env::var_os("MOJI_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("MOJI_CACHE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache"))
                .join("models")
        });
    let dir = models.join(MODEL_DIR);
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        let p = dir.join(file);
        assert!(
            p.is_file(),
            "{} is missing: run scripts/models.sh (or set MOJI_MODELS_DIR / MOJI_CACHE_DIR)",
            p.display()
        );
    }
    dir
}

struct Item {
    text: String,
    tokens: usize,
    vector: Vec<f32>,
}

fn reference() -> Vec<Item> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(doc["dim"], DIM);
    assert_eq!(doc["max_seq_length"], MAX_TOKENS);
    doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| Item {
            text: item["text"].as_str().unwrap().to_owned(),
            tokens: item["tokens"].as_u64().unwrap() as usize,
            vector: item["vector"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect(),
        })
        .collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn vectors_match_sentence_transformers() {
    let items = reference();
    assert!(
        items.len() >= 16,
        "reference.json has {} items",
        items.len()
    );
    let embedder = Embedder::load(&model_dir()).unwrap();
    for item in &items {
        let ids = embedder.tokenize(&item.text).unwrap();
        assert_eq!(ids.len(), item.tokens, "token count of {:?}", item.text);
    }

    // All at once (sub-batched and padded) and one by one: both must match.
    let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    let batch = embedder.embed(&texts).unwrap();
    let mut worst = (0.0f32, "");
    for (item, got) in items.iter().zip(&batch) {
        assert_eq!(got.len(), DIM);
        let single = embedder.embed(&[&item.text]).unwrap().remove(0);
        for (how, v) in [("batch", got), ("single", &single)] {
            let d = max_diff(v, &item.vector);
            assert!(
                d < TOLERANCE,
                "{how}: {:?} differs from sentence-transformers by {d} (tolerance {TOLERANCE})",
                item.text
            );
            if d > worst.0 {
                worst = (d, &item.text);
            }
        }
    }
    eprintln!(
        "max |moji-embed - sentence-transformers| over {} sentences x {DIM}: {:.2e} ({:?})",
        items.len(),
        worst.0,
        worst.1
    );
}
