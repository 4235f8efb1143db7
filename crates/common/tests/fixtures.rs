//! The example messages in proto/fixtures/ are what the types read and write: each one
//! deserializes into its typed envelope and serializes back to the same JSON (so no field is
//! misnamed, missing or unknown), results included; every message type has at least one.
//! (`scripts/check-deploy.sh` also validates them against proto/schemas with check-jsonschema.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use moji_common::{
    course::{CourseDocument, CourseSuggestV1},
    dataset::{DatasetGenerateV1, DatasetResult},
    messages::{
        ChatEventV1, ContentCreatedV1, ContentDeletedV1, ContentUpdatedV1, FaceAnalyzeV1,
        MediaProcessV1, MediaProcessedV1, TaskFailedV1, TaskSucceededV1, UserDeletedV1,
    },
    results::{EmojiResult, ZodiacResult},
    Envelope, MessageType, TaskKind,
};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

fn dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../proto")
        .join(name)
}

/// Reads `value` as `T` and checks that writing it back gives the same JSON.
fn round_trip<T: Serialize + DeserializeOwned>(what: &str, value: &Value) -> T {
    let typed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{what} does not read as its type: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(&back, value, "{what} changes when written back");
    typed
}

fn envelope<P: MessageType + Serialize + DeserializeOwned>(file: &str, value: &Value) -> P {
    let env: Envelope<P> = round_trip(file, value);
    assert!(
        env.matches_type(),
        "{file}: type/version are not {}",
        P::amqp_type()
    );
    env.payload
}

#[test]
fn every_fixture_reads_and_writes_back_unchanged() {
    let mut types_seen = Vec::new();
    for entry in std::fs::read_dir(dir("fixtures")).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{file} is not JSON: {e}"));
        // `<type>.v<version>[.<variant>].json`
        let amqp_type = format!("{}.v{}", value["type"].as_str().unwrap(), value["version"]);
        assert!(
            file.starts_with(&format!("{amqp_type}.")),
            "{file} holds a {amqp_type} message"
        );
        match amqp_type.as_str() {
            "face.analyze.v1" => {
                envelope::<FaceAnalyzeV1>(&file, &value);
            }
            "task.succeeded.v1" => {
                let p = envelope::<TaskSucceededV1>(&file, &value);
                let what = format!("{file} result");
                match p.kind {
                    TaskKind::Emoji => drop(round_trip::<EmojiResult>(&what, &p.result)),
                    TaskKind::Zodiac => drop(round_trip::<ZodiacResult>(&what, &p.result)),
                    TaskKind::Course => drop(round_trip::<CourseDocument>(&what, &p.result)),
                    TaskKind::Dataset => drop(round_trip::<DatasetResult>(&what, &p.result)),
                }
            }
            "task.failed.v1" => {
                envelope::<TaskFailedV1>(&file, &value);
            }
            "user.deleted.v1" => {
                envelope::<UserDeletedV1>(&file, &value);
            }
            "media.process.v1" => {
                envelope::<MediaProcessV1>(&file, &value);
            }
            "media.processed.v1" => {
                envelope::<MediaProcessedV1>(&file, &value);
            }
            "content.created.v1" => {
                envelope::<ContentCreatedV1>(&file, &value);
            }
            "content.updated.v1" => {
                envelope::<ContentUpdatedV1>(&file, &value);
            }
            "content.deleted.v1" => {
                envelope::<ContentDeletedV1>(&file, &value);
            }
            "course.suggest.v1" => {
                envelope::<CourseSuggestV1>(&file, &value);
            }
            "dataset.generate.v1" => {
                envelope::<DatasetGenerateV1>(&file, &value);
            }
            "chat.event.v1" => {
                envelope::<ChatEventV1>(&file, &value);
            }
            other => panic!("{file}: no test for message type {other}"),
        }
        types_seen.push(amqp_type);
    }
    for entry in std::fs::read_dir(dir("schemas")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let amqp_type = name.trim_end_matches(".json");
        assert!(
            types_seen.iter().any(|t| t == amqp_type),
            "proto/schemas/{name} has no example in proto/fixtures/"
        );
    }
}
