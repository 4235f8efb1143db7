//! The words of a date course: a title, an intro, one note per stop and a few tips, written for
//! stops the planner already chose. A writer never chooses, adds or reorders places.
//!
//! Three [`CourseWriter`]s: [`LocalWriter`] (a GGUF model run in-process by llama.cpp, its output
//! constrained by a grammar made from the JSON Schema), [`OpenAiWriter`] (any OpenAI-compatible
//! `chat/completions` endpoint with `response_format: json_schema`) and [`TemplateWriter`]
//! (deterministic sentences, always valid). [`Writers::write`] tries the configured model, retries
//! once when its output does not [`validate`], and otherwise falls back to the template; it never
//! fails.
//!
//! Everything here blocks (llama.cpp decoding, `ureq`): call it from a blocking thread.

#![warn(missing_docs)]

mod brief;
mod error;
mod grammar;
mod local;
mod openai;
mod prompt;
mod template;
mod text;
mod writers;

pub use brief::{CourseBrief, StopBrief};
pub use error::LlmError;
pub use local::{LocalWriter, LocalWriterOptions};
pub use openai::OpenAiWriter;
pub use template::TemplateWriter;
pub use text::{
    course_schema, parse, validate, CourseText, INTRO_MAX_CHARS, MAX_TIPS, NOTE_MAX_CHARS,
    TIP_MAX_CHARS, TITLE_MAX_CHARS,
};
pub use writers::{WriterConfig, WriterMode, Writers, Written};

/// Who wrote a course's text (`CourseDocument.provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// The local GGUF model.
    Local,
    /// An OpenAI-compatible endpoint.
    OpenAi,
    /// The template writer.
    Template,
}

impl Provider {
    /// The name on the wire: `local`, `openai` or `template`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::Local => "local",
            Provider::OpenAi => "openai",
            Provider::Template => "template",
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that writes a course's text. Blocking; shared between threads.
pub trait CourseWriter: Send + Sync {
    /// Which kind of writer this is.
    fn provider(&self) -> Provider;

    /// The model's name (file name for the local model, `template` for the template writer).
    fn model(&self) -> String;

    /// The raw output (meant to be the JSON of a [`CourseText`]) for `brief`; the caller parses and
    /// validates it.
    fn write(&self, brief: &CourseBrief) -> Result<String, LlmError>;

    /// Whether it writes courses in `language` well enough to be used for them (the template
    /// writes the others).
    fn writes(&self, language: moji_common::course::CourseLanguage) -> bool {
        let _ = language;
        true
    }

    /// Attempt number `attempt` (2 for the first retry) after an invalid answer. A writer whose
    /// output is a pure function of the brief (the local model's fixed seed) varies it here; by
    /// default this is [`Self::write`].
    fn retry(&self, brief: &CourseBrief, attempt: u32) -> Result<String, LlmError> {
        let _ = attempt;
        self.write(brief)
    }
}
