//! A minimal Milvus REST v1 client: JSON in, the body's `data` out, any other `code` an error.

use std::time::Duration;

use serde_json::Value;

use crate::MilvusError;

/// How long one request may take, connect to last byte.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read (16,384 hits of a search, or a vector, are far below it).
const BODY_LIMIT: u64 = 64 << 20;
/// How much of an unexpected body an error message carries.
const BODY_EXCERPT: usize = 300;

/// One Milvus endpoint; cheap to share between threads (the agent pools connections).
#[derive(Debug)]
pub(crate) struct Rest {
    agent: ureq::Agent,
    base: String,
}

impl Rest {
    /// A client for `base` (`http://host:19530`, no trailing slash).
    pub(crate) fn new(base: &str) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            // REST v1 reports its own errors in the body; other statuses are read as errors here.
            .http_status_as_error(false)
            .user_agent(concat!("moji-ann-milvus/", env!("CARGO_PKG_VERSION")))
            .build();
        Rest {
            agent: ureq::Agent::new_with_config(config),
            base: base.to_owned(),
        }
    }

    /// `POST path` with a JSON body; the answer's `data` (`null` when it has none).
    pub(crate) fn post(&self, path: &'static str, body: &Value) -> Result<Value, MilvusError> {
        let url = format!("{}{path}", self.base);
        let response = self.agent.post(&url).send_json(body);
        read(path, response)
    }

    /// `GET path?name=value...`; the answer's `data`.
    pub(crate) fn get(
        &self,
        path: &'static str,
        query: &[(&str, &str)],
    ) -> Result<Value, MilvusError> {
        let url = format!("{}{path}", self.base);
        let mut request = self.agent.get(&url);
        for (name, value) in query {
            request = request.query(*name, *value);
        }
        read(path, request.call())
    }
}

fn read(
    path: &'static str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Value, MilvusError> {
    let transport = |e: ureq::Error| MilvusError::Transport {
        path,
        source: Box::new(e),
    };
    let mut response = response.map_err(transport)?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(BODY_LIMIT)
        .read_to_string();
    let text = text.map_err(transport)?;
    if status != 200 {
        return Err(MilvusError::Status {
            path,
            status,
            body: excerpt(&text),
        });
    }
    let body: Value = serde_json::from_str(&text)
        .map_err(|e| MilvusError::response(path, format!("not JSON ({e}): {}", excerpt(&text))))?;
    unwrap_body(path, body)
}

/// The `data` of a REST v1 body when its `code` is 200, else the error it reports.
pub(crate) fn unwrap_body(path: &'static str, mut body: Value) -> Result<Value, MilvusError> {
    let Some(code) = body.get("code").and_then(Value::as_i64) else {
        return Err(MilvusError::response(
            path,
            format!("no code in {}", excerpt(&body.to_string())),
        ));
    };
    if code != 200 {
        let message = match body.get("message") {
            Some(Value::String(m)) => m.clone(),
            Some(other) => other.to_string(),
            None => String::from("(no message)"),
        };
        return Err(MilvusError::Server {
            path,
            code,
            message,
        });
    }
    Ok(body.get_mut("data").map(Value::take).unwrap_or(Value::Null))
}

fn excerpt(text: &str) -> String {
    match text.char_indices().nth(BODY_EXCERPT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_body_code_other_than_200_is_an_error_with_its_message() {
        let ok = unwrap_body("/p", json!({"code": 200, "data": {"insertCount": 1}})).unwrap();
        assert_eq!(ok, json!({"insertCount": 1}));
        assert_eq!(
            unwrap_body("/p", json!({"code": 200})).unwrap(),
            Value::Null
        );
        let err = unwrap_body(
            "/v1/vector/query",
            json!({"code": 100, "message": "collection not found[collection=nope]"}),
        )
        .unwrap_err();
        assert!(matches!(err, MilvusError::Server { code: 100, .. }));
        assert_eq!(
            err.to_string(),
            "milvus /v1/vector/query: code 100: collection not found[collection=nope]"
        );
        assert!(matches!(
            unwrap_body("/p", json!({"data": []})),
            Err(MilvusError::Response { .. })
        ));
    }

    #[test]
    fn excerpts_are_cut_on_a_character_boundary() {
        let long = "é".repeat(BODY_EXCERPT + 10);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), BODY_EXCERPT + 1);
        assert_eq!(excerpt("short"), "short");
    }
}
