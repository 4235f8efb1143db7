//! Fixtures shared by the vision tests: the files scripts/models.sh writes to .cache/models.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use image::RgbImage;
use moji_vision::Models;

/// `MOJI_MODELS_DIR`, else `$MOJI_CACHE_DIR/models`, else the workspace's `.cache/models`.
pub fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MOJI_MODELS_DIR") {
        return PathBuf::from(dir);
    }
    std::env::var_os("MOJI_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache"))
        .join("models")
}

/// A file from the models directory; fails (never skips) when it is missing.
pub fn model_file(name: &str) -> PathBuf {
    let p = models_dir().join(name);
    assert!(
        p.is_file(),
        "{} is missing: run scripts/models.sh (or set MOJI_MODELS_DIR)",
        p.display()
    );
    p
}

/// Loaded models with the system cascades (or `MOJI_CASCADES_DIR`).
pub fn models() -> Models {
    model_file(moji_vision::EXPRESSION_MODEL_FILE);
    Models::load(&models_dir(), &moji_vision::cascades_dir_from_env()).unwrap_or_else(|e| {
        panic!("loading models: {e} (run scripts/models.sh; apt: scripts/lib/vision-deps.txt)")
    })
}

/// An image from `.cache/models/images`, decoded the way uploads are.
pub fn image(name: &str) -> RgbImage {
    let bytes = std::fs::read(model_file(&format!("images/{name}"))).unwrap();
    moji_media::decode(&bytes, &moji_media::Limits::default()).unwrap()
}

/// The 100 LFW face crops, 64x64 grey each.
pub fn lfw_crops() -> Vec<[u8; 4096]> {
    let bytes = std::fs::read(model_file("lfw_faces_64.bin")).unwrap();
    assert_eq!(bytes.len(), 100 * 4096, "lfw_faces_64.bin: unexpected size");
    bytes
        .chunks_exact(4096)
        .map(|c| <[u8; 4096]>::try_from(c).unwrap())
        .collect()
}

/// The models helper's reference results.
pub fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(model_file("lfw_reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}
