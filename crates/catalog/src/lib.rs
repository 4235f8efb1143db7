//! Moji's catalogue: the facts the api, the inference worker and the renderer share without
//! linking any model runtime — expressions, face geometry and measured face features.
//! (Emoji templates, zodiac animals and fortunes are added here too.)

pub mod face;

pub use face::{Expression, FaceBox, FaceFeatures};
