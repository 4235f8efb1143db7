//! Fails when proto/openapi/recommend.json differs from the document the code generates.
//! Regenerate with `MOJI_UPDATE_OPENAPI=1 cargo test -p moji-recommend --test recommend openapi_drift`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

#[test]
fn proto_openapi_matches_the_code() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto/openapi/recommend.json");
    let generated = moji_recommend::openapi::document()
        .to_pretty_json()
        .unwrap()
        + "\n";
    if std::env::var_os("MOJI_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "proto/openapi/recommend.json is out of date; run MOJI_UPDATE_OPENAPI=1 cargo test -p moji-recommend --test recommend openapi_drift"
    );
}
