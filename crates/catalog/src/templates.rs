//! Emoji template styles: which emoji set is pasted over the faces. The art itself lives in
//! moji-render; this is the metadata the api serves and validates requests against.

use serde::Serialize;

use crate::text::Localized;

/// One emoji style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Template {
    /// Stable id used in requests, storage and the renderer's file layout.
    pub id: &'static str,
    /// Display name.
    pub name: Localized,
    /// One-sentence description for the template picker.
    pub description: Localized,
}

/// Id of the template used when a request names none.
pub const DEFAULT_TEMPLATE: &str = "classic";

static TEMPLATES: [Template; 4] = [
    Template {
        id: "classic",
        name: Localized::new("클래식", "Classic"),
        description: Localized::new(
            "누구나 아는 동글동글 노란 얼굴 이모지예요.",
            "The round yellow smiley everybody knows.",
        ),
    },
    Template {
        id: "cat",
        name: Localized::new("고양이", "Cat"),
        description: Localized::new(
            "뾰족한 귀와 수염이 매력적인 치즈냥이 얼굴이에요.",
            "A ginger kitty with pointy ears and whiskers.",
        ),
    },
    Template {
        id: "bear",
        name: Localized::new("곰돌이", "Bear"),
        description: Localized::new(
            "동그란 귀와 폭신한 주둥이를 가진 갈색 곰돌이예요.",
            "A brown teddy bear with round ears and a soft muzzle.",
        ),
    },
    Template {
        id: "bunny",
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

/// The template with this id, if there is one.
pub fn template(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_found() {
        assert!(templates().len() >= 3);
        assert_eq!(templates()[0].id, DEFAULT_TEMPLATE);
        for t in templates() {
            assert_eq!(template(t.id), Some(t));
            assert_eq!(templates().iter().filter(|o| o.id == t.id).count(), 1);
            assert!(!t.name.ko.is_empty() && !t.description.en.is_empty());
        }
        for id in ["classic", "cat", "bear"] {
            assert!(template(id).is_some(), "{id}");
        }
        assert!(template("nope").is_none());
    }
}
