//! Fails when proto/openapi/api.json differs from the document the code generates.
//! Regenerate with `MOJI_UPDATE_OPENAPI=1 cargo test -p moji-api --test api openapi_drift`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

#[test]
fn proto_openapi_matches_the_code() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto/openapi/api.json");
    // The checked-in document states the default limits.
    let defaults = moji_config::Settings::default();
    let limits = moji_media::Limits::new(
        defaults.faces.max_image_bytes,
        defaults.faces.max_image_pixels,
    );
    let generated = moji_api::openapi::document(&limits)
        .to_pretty_json()
        .unwrap()
        + "\n";
    if std::env::var_os("MOJI_UPDATE_OPENAPI").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "proto/openapi/api.json is out of date; run MOJI_UPDATE_OPENAPI=1 cargo test -p moji-api --test api openapi_drift"
    );
}
