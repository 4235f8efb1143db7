//! Moji's catalogue: the facts the api, the inference worker and the renderer share without
//! linking any model runtime — expressions, face geometry and measured face features, emoji
//! templates, the twelve zodiac animals with their fortunes, and the look-alike mapping.

pub mod face;
pub mod hash;
pub mod lookalike;
pub mod templates;
pub mod text;
pub mod zodiac;

pub use face::{Expression, FaceBox, FaceFeatures};
pub use lookalike::{classify, Feature, LookAlike, Reason};
pub use templates::{template, templates, Template, DEFAULT_TEMPLATE};
pub use text::Localized;
pub use zodiac::{animal, animals, fortune, fortunes, Animal, AnimalId, Fortune};
