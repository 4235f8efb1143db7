//! The crate's one error type.

use std::path::PathBuf;
use std::time::Duration;

/// Why a writer produced no output (the caller then falls back to the template writer).
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The local model file is not there.
    #[error("no model file at {}", path.display())]
    ModelMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// llama.cpp failed: loading, a context, tokenizing, the grammar or decoding.
    #[error("llama.cpp: {0}")]
    Llama(String),
    /// The call ran past its time limit.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The endpoint could not be reached or the connection failed.
    #[error("request to {url} failed: {reason}")]
    Transport {
        /// The URL called.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The endpoint answered with a status other than 200.
    #[error("{url} answered {status}: {body}")]
    Status {
        /// The URL called.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The endpoint answered 200 with something that is not a chat completion with content.
    #[error("unexpected answer: {0}")]
    Response(String),
    /// The configuration cannot make a writer (e.g. `openai` without a base URL).
    #[error("writer configuration: {0}")]
    Config(String),
}
