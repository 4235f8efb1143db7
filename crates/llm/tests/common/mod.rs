//! Shared by the integration tests (each uses part of it).
#![allow(dead_code)]

pub mod briefs;
pub mod standin;

use std::path::{Path, PathBuf};

/// Where scripts/models.sh puts the local model: `MOJI_MODELS_DIR`, else
/// `$MOJI_CACHE_DIR/models`, else the workspace's `.cache/models`.
pub fn model_path() -> PathBuf {
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
