//! Bilingual text, the one shape every user-facing catalogue string takes.

use serde::Serialize;

/// A fixed text in Korean and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Localized {
    /// Korean.
    pub ko: &'static str,
    /// English.
    pub en: &'static str,
}

impl Localized {
    /// Builds a pair; `const` so the catalogue tables stay plain statics.
    pub const fn new(ko: &'static str, en: &'static str) -> Self {
        Self { ko, en }
    }

    /// Picks the language by a BCP 47-ish tag: anything starting with "ko" is Korean, the rest
    /// falls back to English because that is the project's second language.
    pub fn get(&self, lang: &str) -> &'static str {
        if lang.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("ko")) {
            self.ko
        } else {
            self.en
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_language() {
        let t = Localized::new("안녕", "hello");
        assert_eq!(t.get("ko-KR"), "안녕");
        assert_eq!(t.get("KO"), "안녕");
        assert_eq!(t.get("en"), "hello");
        assert_eq!(t.get(""), "hello");
        assert_eq!(t.get("k"), "hello");
    }
}
