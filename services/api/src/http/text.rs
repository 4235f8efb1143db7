//! Text in the two languages Moji speaks, as the API shows it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Text in Korean and English.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Text {
    /// Korean.
    #[schema(example = "호랑이")]
    pub ko: String,
    /// English.
    #[schema(example = "Tiger")]
    pub en: String,
}

impl Text {
    /// Text from its two languages.
    pub fn pair(ko: &str, en: &str) -> Self {
        Self {
            ko: ko.to_owned(),
            en: en.to_owned(),
        }
    }
}

impl From<moji_catalog::Localized> for Text {
    fn from(l: moji_catalog::Localized) -> Self {
        Self::pair(l.ko, l.en)
    }
}

impl From<moji_common::results::Localized> for Text {
    fn from(l: moji_common::results::Localized) -> Self {
        Self { ko: l.ko, en: l.en }
    }
}
