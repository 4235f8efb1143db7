//! The OpenAI-compatible writer: `POST {base_url}/chat/completions` with the course's JSON Schema
//! as a strict `response_format`, through a blocking `ureq` agent.

use std::io::ErrorKind;
use std::time::Duration;

use serde_json::{json, Value};

use crate::text::{schema_with, Limits};
use crate::{prompt, CourseBrief, CourseWriter, LlmError, Provider};

/// The largest answer read.
const BODY_LIMIT: u64 = 1 << 20;
/// How much of an unexpected body an error carries.
const BODY_EXCERPT: usize = 300;

/// A chat-completions endpoint (OpenAI, or a server that speaks its API: vLLM, llama.cpp's server,
/// Ollama, ...). Cheap to share: the agent pools connections.
#[derive(Debug)]
pub struct OpenAiWriter {
    url: String,
    model: String,
    api_key: Option<String>,
    timeout: Duration,
    max_tokens: Option<u32>,
    agent: ureq::Agent,
}

impl OpenAiWriter {
    /// A writer for `model` at `base_url` (e.g. `https://api.openai.com/v1`; the path
    /// `/chat/completions` is appended), sending `api_key` as a bearer token when given. `timeout`
    /// bounds a whole call, connect to last byte.
    pub fn new(
        base_url: &str,
        model: impl Into<String>,
        api_key: Option<String>,
        timeout: Duration,
    ) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent(concat!("moji-llm/", env!("CARGO_PKG_VERSION")))
            .build();
        OpenAiWriter {
            url: format!("{}/chat/completions", base_url.trim_end_matches('/')),
            model: model.into(),
            api_key: api_key.filter(|k| !k.trim().is_empty()),
            timeout,
            max_tokens: None,
            agent: ureq::Agent::new_with_config(config),
        }
    }

    /// Caps the answer at `max_tokens` (sent as `max_tokens`); none by default.
    pub fn with_max_tokens(mut self, max_tokens: Option<u32>) -> Self {
        self.max_tokens = max_tokens;
        self
    }

    /// The URL it posts to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The request body for `brief`.
    fn body(&self, brief: &CourseBrief) -> Value {
        // Strict mode accepts minItems/maxItems but not string lengths: those are validate()'s.
        let schema = schema_with(brief.stops.len(), Limits::FULL, false);
        let mut body = json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": prompt::system(brief)},
                {"role": "user", "content": prompt::user(brief)},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "course", "strict": true, "schema": schema},
            },
        });
        if let Some(max_tokens) = self.max_tokens {
            body["max_tokens"] = json!(max_tokens);
        }
        body
    }

    fn transport(&self, e: ureq::Error) -> LlmError {
        match e {
            ureq::Error::Timeout(_) => LlmError::Timeout(self.timeout),
            ureq::Error::Io(io) if io.kind() == ErrorKind::TimedOut => {
                LlmError::Timeout(self.timeout)
            }
            other => LlmError::Transport {
                url: self.url.clone(),
                reason: other.to_string(),
            },
        }
    }
}

impl CourseWriter for OpenAiWriter {
    fn provider(&self) -> Provider {
        Provider::OpenAi
    }

    fn model(&self) -> String {
        self.model.clone()
    }

    fn write(&self, brief: &CourseBrief) -> Result<String, LlmError> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Accept", "application/json");
        if let Some(key) = &self.api_key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        let mut response = request
            .send_json(self.body(brief))
            .map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_string()
            .map_err(|e| self.transport(e))?;
        if status != 200 {
            return Err(LlmError::Status {
                url: self.url.clone(),
                status,
                body: excerpt(&text),
            });
        }
        content(&text)
    }
}

/// `choices[0].message.content` of a chat completion.
fn content(text: &str) -> Result<String, LlmError> {
    let body: Value = serde_json::from_str(text)
        .map_err(|e| LlmError::Response(format!("not JSON ({e}): {}", excerpt(text))))?;
    let message = body
        .pointer("/choices/0/message")
        .ok_or_else(|| LlmError::Response(format!("no choices[0].message in {}", excerpt(text))))?;
    if let Some(refusal) = message.get("refusal").and_then(Value::as_str) {
        return Err(LlmError::Response(format!("refused: {}", excerpt(refusal))));
    }
    match message.get("content") {
        Some(Value::String(content)) => Ok(content.clone()),
        _ => Err(LlmError::Response(format!(
            "no content in {}",
            excerpt(&message.to_string())
        ))),
    }
}

fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(BODY_EXCERPT).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_content_of_a_completion() {
        let body = r#"{"id":"x","object":"chat.completion","choices":[{"index":0,
            "message":{"role":"assistant","content":"{\"a\":1}","refusal":null},
            "finish_reason":"stop"}]}"#;
        assert_eq!(content(body).ok().as_deref(), Some("{\"a\":1}"));
    }

    #[test]
    fn refusals_and_odd_bodies_are_errors() {
        let refused = r#"{"choices":[{"message":{"content":null,"refusal":"no"}}]}"#;
        assert!(matches!(content(refused), Err(LlmError::Response(m)) if m.contains("refused")));
        assert!(matches!(content("[]"), Err(LlmError::Response(_))));
        assert!(matches!(content("<html>"), Err(LlmError::Response(_))));
    }
}
