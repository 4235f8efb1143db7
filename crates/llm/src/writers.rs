//! The writer a service uses: the configured model with one retry, then the template.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::{
    parse, CourseBrief, CourseText, CourseWriter, LlmError, LocalWriter, LocalWriterOptions,
    OpenAiWriter, Provider, TemplateWriter,
};

/// Which writer to use (`courses.writer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriterMode {
    /// OpenAI-compatible when its base URL and model are set, else the local model when its file
    /// exists, else the template.
    #[default]
    Auto,
    /// The local GGUF model (an error if it cannot be loaded).
    Local,
    /// The OpenAI-compatible endpoint (an error without a base URL and a model).
    OpenAi,
    /// The template writer only.
    Template,
}

impl WriterMode {
    /// The setting's value: `auto`, `local`, `openai` or `template`.
    pub const fn as_str(self) -> &'static str {
        match self {
            WriterMode::Auto => "auto",
            WriterMode::Local => "local",
            WriterMode::OpenAi => "openai",
            WriterMode::Template => "template",
        }
    }
}

impl FromStr for WriterMode {
    type Err = LlmError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "auto" => Ok(WriterMode::Auto),
            "local" => Ok(WriterMode::Local),
            "openai" => Ok(WriterMode::OpenAi),
            "template" => Ok(WriterMode::Template),
            other => Err(LlmError::Config(format!(
                "unknown writer {other:?} (auto, local, openai or template)"
            ))),
        }
    }
}

/// Everything [`Writers::from_config`] needs (the recommend service maps its `courses.*`
/// settings into this).
#[derive(Debug, Clone, PartialEq)]
pub struct WriterConfig {
    /// Which writer.
    pub mode: WriterMode,
    /// The local GGUF model.
    pub model_path: PathBuf,
    /// OpenAI-compatible base URL, e.g. `https://api.openai.com/v1`.
    pub openai_base_url: Option<String>,
    /// Model name at that endpoint.
    pub openai_model: Option<String>,
    /// Bearer token for that endpoint.
    pub openai_api_key: Option<String>,
    /// Limit of one model call.
    pub timeout: Duration,
    /// Most tokens generated per call.
    pub max_tokens: u32,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            mode: WriterMode::Auto,
            model_path: PathBuf::from(".cache/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
            openai_base_url: None,
            openai_model: None,
            openai_api_key: None,
            timeout: Duration::from_secs(30),
            max_tokens: 400,
        }
    }
}

/// What [`Writers::write`] produced, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The validated text.
    pub text: CourseText,
    /// Who wrote it (the template after a fallback).
    pub provider: Provider,
    /// The model that wrote it (`template` after a fallback).
    pub model: String,
    /// Calls made to the primary writer (0 without one).
    pub attempts: u32,
    /// Why the primary writer's text was not used, when it was not.
    pub fallback_reason: Option<String>,
}

/// The primary writer (if any) with the template behind it.
#[derive(Clone)]
pub struct Writers {
    /// The model writer tried first; `None` writes with the template only.
    pub primary: Option<Arc<dyn CourseWriter>>,
    /// The fallback.
    pub template: TemplateWriter,
}

impl std::fmt::Debug for Writers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let primary = self.primary.as_ref().map(|p| (p.provider(), p.model()));
        f.debug_struct("Writers")
            .field("primary", &primary)
            .finish_non_exhaustive()
    }
}

/// Calls to the primary writer per course: the first, and one retry after invalid output.
const MAX_ATTEMPTS: u32 = 2;

impl Writers {
    /// `primary` with the template behind it.
    pub fn new(primary: Option<Arc<dyn CourseWriter>>) -> Self {
        Writers {
            primary,
            template: TemplateWriter,
        }
    }

    /// The template writer alone.
    pub fn template_only() -> Self {
        Writers::new(None)
    }

    /// The writers `config` asks for; loads the local model when it is the one. Errors only when
    /// an explicitly chosen writer cannot be made (`auto` settles for the template).
    pub fn from_config(config: &WriterConfig) -> Result<Self, LlmError> {
        let openai = || -> Option<Arc<dyn CourseWriter>> {
            let base = config
                .openai_base_url
                .as_deref()
                .filter(|s| !s.trim().is_empty())?;
            let model = config
                .openai_model
                .as_deref()
                .filter(|s| !s.trim().is_empty())?;
            let writer =
                OpenAiWriter::new(base, model, config.openai_api_key.clone(), config.timeout)
                    .with_max_tokens(Some(config.max_tokens));
            Some(Arc::new(writer))
        };
        let local = || -> Result<Arc<dyn CourseWriter>, LlmError> {
            let options = LocalWriterOptions {
                max_tokens: config.max_tokens,
                timeout: config.timeout,
                ..LocalWriterOptions::default()
            };
            Ok(Arc::new(LocalWriter::load(&config.model_path, options)?))
        };
        let primary = match config.mode {
            WriterMode::Template => None,
            WriterMode::OpenAi => Some(openai().ok_or_else(|| {
                LlmError::Config(String::from(
                    "writer openai needs openai_base_url and openai_model",
                ))
            })?),
            WriterMode::Local => Some(local()?),
            WriterMode::Auto => match openai() {
                Some(writer) => Some(writer),
                None if config.model_path.is_file() => Some(local()?),
                None => None,
            },
        };
        Ok(Writers::new(primary))
    }

    /// The text for `brief`: the primary writer's when it answers with valid text within two
    /// attempts (a second only after invalid output), else the template's. Never fails.
    pub fn write(&self, brief: &CourseBrief) -> Written {
        let Some(primary) = self.primary.as_ref().filter(|p| p.writes(brief.language)) else {
            // No model, or none for this language: the template by design, not a fallback.
            return self.by_template(brief, 0, None);
        };
        let mut attempts = 0;
        let mut reason = String::new();
        while attempts < MAX_ATTEMPTS {
            attempts += 1;
            let raw = if attempts == 1 {
                primary.write(brief)
            } else {
                primary.retry(brief, attempts)
            };
            match raw {
                Ok(raw) => match parse(&raw, brief) {
                    Ok(text) => {
                        return Written {
                            text,
                            provider: primary.provider(),
                            model: primary.model(),
                            attempts,
                            fallback_reason: None,
                        }
                    }
                    Err(why) => {
                        tracing::info!(
                            provider = primary.provider().as_str(),
                            attempts,
                            why,
                            "course text did not validate"
                        );
                        reason = format!("invalid output: {why}");
                    }
                },
                Err(e) => {
                    reason = format!("{} failed: {e}", primary.provider());
                    break;
                }
            }
        }
        tracing::warn!(
            provider = primary.provider().as_str(),
            attempts,
            reason,
            "course text from the template instead"
        );
        self.by_template(brief, attempts, Some(reason))
    }

    fn by_template(&self, brief: &CourseBrief, attempts: u32, reason: Option<String>) -> Written {
        Written {
            text: self.template.text(brief),
            provider: Provider::Template,
            model: self.template.model(),
            attempts,
            fallback_reason: reason,
        }
    }
}
