//! Fails when the JSON Schemas in proto/schemas/ differ from what the types generate.
//! Regenerate with `MOJI_UPDATE_SCHEMAS=1 cargo test -p moji-common --features schema`.

use std::path::PathBuf;

#[test]
fn proto_schemas_match_the_types() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto/schemas");
    let update = std::env::var_os("MOJI_UPDATE_SCHEMAS").is_some();
    let mut drift = Vec::new();
    for (name, schema) in moji_common::messages::all_schemas() {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let path = dir.join(&name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(on_disk) if on_disk == text => {}
            _ => drift.push(name),
        }
    }
    assert!(
        drift.is_empty(),
        "proto/schemas out of date for {drift:?}; run MOJI_UPDATE_SCHEMAS=1 cargo test -p moji-common --features schema"
    );
}
