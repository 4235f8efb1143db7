//! The result documents of finished tasks, built from what the pipeline read: the emoji
//! result (faces, template, stored images) and the zodiac result (animal, reasons, fortune).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use moji_catalog::{zodiac, FaceBox};
use moji_common::{
    messages::FaceAnalyzeV1,
    results::{EmojiFace, EmojiResult, Localized, ResultBox, ZodiacReason, ZodiacResult},
    ErrorCode, Expression, TemplateId,
};
use uuid::Uuid;

use crate::{pipeline::ReadFace, task_end::TaskEnd};

/// Storage keys of an emoji task's result, (composite, thumbnail): fixed, so a redelivered
/// task overwrites its own files instead of adding more.
pub fn keys(id: Uuid) -> (String, String) {
    (
        format!("results/{id}/emoji.png"),
        format!("results/{id}/thumbnail.jpg"),
    )
}

/// The result of an emoji task whose composite (`width` × `height`, made with `template`) is
/// stored under `keys`.
pub fn emoji(
    faces: &[ReadFace],
    template: TemplateId,
    (width, height): (u32, u32),
    (image_key, thumbnail_key): (String, String),
) -> EmojiResult {
    EmojiResult {
        template,
        faces: faces
            .iter()
            .map(|f| EmojiFace {
                bbox: result_box(f.bbox),
                expression: f.expression,
                confidence: f.confidence,
                scores: scores_map(&f.scores),
            })
            .collect(),
        image_key,
        thumbnail_key,
        width,
        height,
    }
}

/// The result of a zodiac task: the look-alike of the largest face (the person the photo is
/// about) and the fortune of `day` for the task's owner.
pub fn zodiac(
    task: &FaceAnalyzeV1,
    faces: &[ReadFace],
    day: NaiveDate,
) -> Result<ZodiacResult, TaskEnd> {
    let face = faces
        .iter()
        .max_by_key(|f| u64::from(f.bbox.width) * u64::from(f.bbox.height))
        .ok_or_else(|| TaskEnd::Failed(ErrorCode::NoFaceDetected, "no face".into()))?;
    let features = face.features.ok_or_else(|| {
        TaskEnd::Failed(
            ErrorCode::Internal,
            "face features were not measured".into(),
        )
    })?;
    let verdict = moji_catalog::classify(&features);
    let animal = zodiac::animal(verdict.animal);
    let fortune = zodiac::fortune(verdict.animal, task.user_id, day);
    Ok(ZodiacResult {
        animal: verdict.animal,
        animal_name: localized(animal.name),
        scores: verdict
            .scores
            .iter()
            .map(|(a, s)| (a.as_str().to_owned(), *s))
            .collect(),
        reasons: verdict
            .reasons
            .iter()
            .map(|r| ZodiacReason {
                feature: r.feature.short_name().to_owned(),
                text: Localized {
                    ko: r.text_ko.clone(),
                    en: r.text_en.clone(),
                },
            })
            .collect(),
        fortune: localized(fortune.text),
        lucky_item: Some(localized(fortune.lucky_item)),
        bbox: result_box(face.bbox),
        expression: face.expression,
        confidence: face.confidence,
        image_key: task.image_key.clone(),
    })
}

/// A result that could not become the JSON document of `task.succeeded` fails the task.
pub fn unserializable(e: serde_json::Error) -> TaskEnd {
    TaskEnd::Failed(ErrorCode::Internal, e.to_string())
}

fn localized(l: moji_catalog::text::Localized) -> Localized {
    Localized {
        ko: l.ko.to_owned(),
        en: l.en.to_owned(),
    }
}

fn result_box(b: FaceBox) -> ResultBox {
    ResultBox {
        x: b.x,
        y: b.y,
        width: b.width,
        height: b.height,
    }
}

fn scores_map(scores: &[f32; 7]) -> BTreeMap<String, f32> {
    Expression::ALL
        .iter()
        .map(|e| (e.as_str().to_owned(), scores[e.index()]))
        .collect()
}
