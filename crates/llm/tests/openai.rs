#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The OpenAI-compatible writer against a stand-in server on 127.0.0.1: the request it sends, the
//! answer it reads, and how `Writers` retries and falls back on invalid output, HTTP errors and
//! timeouts.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::briefs;
use common::standin::{Reply, StandIn};
use moji_llm::{
    CourseBrief, CourseWriter, LlmError, OpenAiWriter, Provider, WriterConfig, WriterMode, Writers,
};
use serde_json::json;

const MODEL: &str = "gpt-test";
const KEY: &str = "sk-test-123";

/// A valid answer for a brief of `stops` stops.
fn good(stops: usize) -> String {
    json!({
        "title": "Sea Breeze and City Lights",
        "intro": "An evening by the sea in Busan, from sand to bridge lights.",
        "notes": (0..stops).map(|i| format!("Stop {} of the evening.", i + 1)).collect::<Vec<_>>(),
        "tips": ["Bring a light jacket for the wind off the sea."],
    })
    .to_string()
}

fn writer(standin: &StandIn, key: Option<&str>, timeout: Duration) -> OpenAiWriter {
    OpenAiWriter::new(&standin.base_url, MODEL, key.map(str::to_owned), timeout)
}

fn writers(standin: &StandIn, timeout: Duration) -> Writers {
    Writers::new(Some(
        Arc::new(writer(standin, Some(KEY), timeout)) as Arc<dyn CourseWriter>
    ))
}

fn brief() -> CourseBrief {
    briefs::busan_en()
}

#[test]
fn sends_a_strict_json_schema_request_and_reads_the_content() {
    let b = brief();
    let standin = StandIn::start(vec![Reply::Content(good(b.stops.len()))]);
    let written = writers(&standin, Duration::from_secs(10)).write(&b);
    assert_eq!(
        written.provider,
        Provider::OpenAi,
        "{:?}",
        written.fallback_reason
    );
    assert_eq!(written.model, MODEL);
    assert_eq!(written.attempts, 1);
    assert_eq!(written.text.title, "Sea Breeze and City Lights");
    assert_eq!(written.text.notes.len(), 4);

    let requests = standin.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(r.body["model"], MODEL);
    let format = &r.body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["name"], "course");
    assert_eq!(format["json_schema"]["strict"], true);
    let schema = &format["json_schema"]["schema"];
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(
        schema["required"],
        json!(["title", "intro", "notes", "tips"])
    );
    assert_eq!(schema["properties"]["notes"]["minItems"], 4);
    assert_eq!(schema["properties"]["notes"]["maxItems"], 4);
    let messages = r.body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(messages[1]["role"], "user");
    let user = messages[1]["content"].as_str().unwrap();
    let mut last = 0;
    for stop in &b.stops {
        let at = user
            .find(&stop.name)
            .unwrap_or_else(|| panic!("{} not in {user}", stop.name));
        assert!(at >= last, "stops out of order in {user}");
        last = at;
        assert!(
            user.contains(&stop.arrival),
            "{} not in {user}",
            stop.arrival
        );
    }
}

#[test]
fn no_key_no_authorization_header() {
    let b = brief();
    let standin = StandIn::start(vec![Reply::Content(good(b.stops.len()))]);
    let raw = writer(&standin, None, Duration::from_secs(10))
        .write(&b)
        .unwrap();
    assert_eq!(raw, good(b.stops.len()));
    assert_eq!(standin.requests()[0].header("authorization"), None);
}

#[test]
fn invalid_output_twice_falls_back_to_the_template() {
    let b = brief();
    // Valid JSON that breaks the schema: 2 notes for 4 stops.
    let bad = json!({"title": "T", "intro": "I", "notes": ["a", "b"], "tips": ["t"]}).to_string();
    let standin = StandIn::start(vec![Reply::Content(bad)]);
    let written = writers(&standin, Duration::from_secs(10)).write(&b);
    assert_eq!(written.provider, Provider::Template);
    assert_eq!(written.model, "template");
    assert_eq!(written.attempts, 2);
    let reason = written.fallback_reason.unwrap();
    assert!(reason.contains("2 notes for 4 stops"), "{reason}");
    assert_eq!(standin.requests().len(), 2);
    assert_eq!(written.text.notes.len(), 4);
}

#[test]
fn invalid_then_valid_output_is_used() {
    let b = brief();
    let standin = StandIn::start(vec![
        Reply::Content(String::from("Sure! Here is your course: {")),
        Reply::Content(good(b.stops.len())),
    ]);
    let written = writers(&standin, Duration::from_secs(10)).write(&b);
    assert_eq!(
        written.provider,
        Provider::OpenAi,
        "{:?}",
        written.fallback_reason
    );
    assert_eq!(written.attempts, 2);
    assert!(written.fallback_reason.is_none());
    assert_eq!(written.text.title, "Sea Breeze and City Lights");
    assert_eq!(standin.requests().len(), 2);
}

#[test]
fn http_errors_fall_back_without_a_retry() {
    let b = brief();
    let body = r#"{"error":{"message":"The server had an error","type":"server_error"}}"#;
    let standin = StandIn::start(vec![Reply::Status(500, body.to_owned())]);
    let err = writer(&standin, Some(KEY), Duration::from_secs(10))
        .write(&b)
        .unwrap_err();
    assert!(matches!(err, LlmError::Status { status: 500, .. }), "{err}");

    let standin = StandIn::start(vec![Reply::Status(401, String::from("{}"))]);
    let written = writers(&standin, Duration::from_secs(10)).write(&b);
    assert_eq!(written.provider, Provider::Template);
    assert_eq!(written.attempts, 1);
    assert!(written.fallback_reason.unwrap().contains("401"));
    assert_eq!(standin.requests().len(), 1);
}

#[test]
fn a_slow_endpoint_times_out_and_falls_back() {
    let b = brief();
    let standin = StandIn::start(vec![Reply::After(
        Duration::from_secs(3),
        Box::new(Reply::Content(good(b.stops.len()))),
    )]);
    let timeout = Duration::from_millis(400);
    let started = Instant::now();
    let err = writer(&standin, Some(KEY), timeout).write(&b).unwrap_err();
    assert!(matches!(err, LlmError::Timeout(t) if t == timeout), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let written = writers(&standin, timeout).write(&b);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(written.provider, Provider::Template);
    assert_eq!(written.attempts, 1);
    let reason = written.fallback_reason.unwrap();
    assert!(reason.contains("no answer within"), "{reason}");
}

#[test]
fn an_unreachable_endpoint_is_a_transport_error() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let w = OpenAiWriter::new(
        &format!("http://127.0.0.1:{port}/v1"),
        MODEL,
        None,
        Duration::from_secs(5),
    );
    let err = w.write(&brief()).unwrap_err();
    assert!(matches!(err, LlmError::Transport { .. }), "{err}");
}

#[test]
fn config_picks_openai_when_configured() {
    let standin = StandIn::start(vec![Reply::Content(good(4))]);
    let config = WriterConfig {
        openai_base_url: Some(standin.base_url.clone()),
        openai_model: Some(String::from(MODEL)),
        openai_api_key: Some(String::from(KEY)),
        ..WriterConfig::default()
    };
    let writers = Writers::from_config(&config).unwrap();
    let written = writers.write(&brief());
    assert_eq!(written.provider, Provider::OpenAi);
    assert_eq!(standin.requests()[0].body["max_tokens"], 400);

    let missing = WriterConfig {
        mode: WriterMode::OpenAi,
        ..WriterConfig::default()
    };
    assert!(matches!(
        Writers::from_config(&missing),
        Err(LlmError::Config(_))
    ));
    let template = WriterConfig {
        mode: WriterMode::Template,
        ..config
    };
    assert!(Writers::from_config(&template).unwrap().primary.is_none());
}
