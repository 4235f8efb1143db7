//! `courses.*`: date courses (docs/date-courses.md) — the daily quota and the text writer.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Date courses: quota, task lifetime and the language model that writes a course's text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CourseSettings {
    /// Accepted requests per person per product day.
    pub daily_quota: u32,
    /// Lifetime of a task's Redis record.
    pub task_ttl_secs: u64,
    /// `auto` (openai when configured, else local when its model is present, else template),
    /// `local`, `openai` or `template`.
    pub writer: String,
    /// The local GGUF model (from `scripts/models.sh`).
    pub model_path: PathBuf,
    /// Base URL of an OpenAI-compatible API, e.g. `https://api.openai.com/v1`.
    pub openai_base_url: String,
    /// Model name at that API.
    pub openai_model: String,
    /// Its key: a secret, from `MOJI_COURSES__OPENAI_API_KEY` only.
    pub openai_api_key: String,
    /// Longest a model call may take before the template writes the text.
    pub writer_timeout_secs: u64,
    /// Most tokens a model may write per call.
    pub max_tokens: u32,
    /// Courses planned at once by one recommend replica.
    pub workers: usize,
}

impl Default for CourseSettings {
    fn default() -> Self {
        CourseSettings {
            daily_quota: 5,
            task_ttl_secs: 24 * 3600,
            writer: "auto".into(),
            model_path: PathBuf::from(".cache/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
            openai_base_url: String::new(),
            openai_model: String::new(),
            openai_api_key: String::new(),
            writer_timeout_secs: 30,
            max_tokens: 400,
            workers: 1,
        }
    }
}

impl CourseSettings {
    /// Why these settings cannot work, if they cannot.
    pub fn problem(&self) -> Option<String> {
        if !(1..=1000).contains(&self.daily_quota) || self.task_ttl_secs < 60 {
            return Some("courses.daily_quota must be 1..=1000 and task_ttl_secs >= 60".into());
        }
        if !matches!(
            self.writer.as_str(),
            "auto" | "local" | "openai" | "template"
        ) {
            return Some(format!(
                "courses.writer must be auto, local, openai or template, got {:?}",
                self.writer
            ));
        }
        if self.writer == "openai"
            && (self.openai_base_url.is_empty() || self.openai_model.is_empty())
        {
            return Some(
                "courses.writer = \"openai\" needs courses.openai_base_url and openai_model".into(),
            );
        }
        if self.writer_timeout_secs == 0 || self.max_tokens < 64 || self.workers == 0 {
            return Some(
                "courses.writer_timeout_secs and workers must be > 0, max_tokens >= 64".into(),
            );
        }
        None
    }
}
