//! Typed task results. Workers put them in `task.succeeded` (as JSON), Redis keeps them for
//! live polling, and the api persists them; all three read and write these types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AnimalId, Expression, TemplateId};

/// A face's box in pixels of the orientation-corrected photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ResultBox {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// Text in the two languages Moji speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Localized {
    /// Korean.
    pub ko: String,
    /// English.
    pub en: String,
}

/// One face of an emoji task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EmojiFace {
    /// Where the face is.
    #[serde(rename = "box")]
    pub bbox: ResultBox,
    /// Most probable expression (`happy`, `sad`, ...).
    pub expression: Expression,
    /// Its probability.
    pub confidence: f32,
    /// Probability of every expression.
    pub scores: BTreeMap<String, f32>,
}

/// Result of an emoji task: the photo with an emoji pasted on every face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EmojiResult {
    /// Template used.
    pub template: TemplateId,
    /// Faces, left to right.
    pub faces: Vec<EmojiFace>,
    /// Storage key of the composed PNG.
    pub image_key: String,
    /// Storage key of the 256 px JPEG thumbnail.
    pub thumbnail_key: String,
    /// Width of the composed image.
    pub width: u32,
    /// Height of the composed image.
    pub height: u32,
}

/// One plain-words reason behind a look-alike verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ZodiacReason {
    /// Feature that decided it (`eye_tilt`, `expression`, ...).
    pub feature: String,
    /// The explanation.
    pub text: Localized,
}

/// Result of a zodiac task: the animal the (largest) face resembles, with its fortune.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ZodiacResult {
    /// Animal id (`rat` ... `pig`).
    pub animal: AnimalId,
    /// Animal name.
    pub animal_name: Localized,
    /// Score per animal id (sums to 1).
    pub scores: BTreeMap<String, f32>,
    /// Why this animal.
    pub reasons: Vec<ZodiacReason>,
    /// The fortune of the product day the photo was read, for this user and animal.
    pub fortune: Localized,
    /// The lucky item that goes with the fortune (absent from results stored before it was
    /// sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lucky_item: Option<Localized>,
    /// The face that was read.
    #[serde(rename = "box")]
    pub bbox: ResultBox,
    /// That face's expression.
    pub expression: Expression,
    /// Its probability.
    pub confidence: f32,
    /// Storage key of the uploaded photo.
    pub image_key: String,
}
