//! Emoji template styles: which emoji set is pasted over the faces. The art itself lives in
//! moji-render; this is the metadata the api serves and validates requests against.

use serde::Serialize;

pub use moji_common::TemplateId;

use crate::text::Localized;

/// One emoji style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Template {
    /// Stable id used in requests, storage and the renderer's file layout.
    pub id: TemplateId,
    /// Display name.
    pub name: Localized,
    /// One-sentence description for the template picker.
    pub description: Localized,
}

/// The template used when a request names none.
pub const DEFAULT_TEMPLATE: TemplateId = TemplateId::DEFAULT;

static TEMPLATES: [Template; 4] = [
    Template {
        id: TemplateId::Classic,
        name: Localized::new("클래식", "Classic"),
        description: Localized::new(
            "누구나 아는 동글동글 노란 얼굴 이모지예요.",
            "The round yellow smiley everybody knows.",
        ),
    },
    Template {
        id: TemplateId::Cat,
        name: Localized::new("고양이", "Cat"),
        description: Localized::new(
            "뾰족한 귀와 수염이 매력적인 치즈냥이 얼굴이에요.",
            "A ginger kitty with pointy ears and whiskers.",
        ),
    },
    Template {
        id: TemplateId::Bear,
        name: Localized::new("곰돌이", "Bear"),
        description: Localized::new(
            "동그란 귀와 폭신한 주둥이를 가진 갈색 곰돌이예요.",
            "A brown teddy bear with round ears and a soft muzzle.",
        ),
    },
    Template {
        id: TemplateId::Bunny,
        name: Localized::new("토끼", "Bunny"),
        description: Localized::new(
            "긴 귀와 분홍 볼이 사랑스러운 하얀 토끼예요.",
            "A white bunny with long ears and rosy cheeks.",
        ),
    },
];

/// All templates, in display order (the default first).
pub fn templates() -> &'static [Template] {
    &TEMPLATES
}

/// The catalogue entry of a template.
pub fn template(id: TemplateId) -> &'static Template {
    &TEMPLATES[id.index()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_an_entry_in_order() {
        assert_eq!(templates()[0].id, DEFAULT_TEMPLATE);
        assert_eq!(templates().len(), TemplateId::ALL.len());
        for id in TemplateId::ALL {
            assert_eq!(template(id).id, id);
        }
        for t in templates() {
            assert!(!t.name.ko.is_empty() && !t.description.en.is_empty());
        }
    }
}
