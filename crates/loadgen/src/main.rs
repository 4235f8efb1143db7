//! `moji-loadgen`: the face benchmark's load generator (see `scripts/bench/faces.sh`).
//!
//! Uploads one photo `-n` times with `--concurrency` uploads in flight, follows each task's
//! Server-Sent Events until its final state, and prints one JSON line: wall time, the latency of
//! every succeeded task (upload start → final event, what a person waits for) and the failures.
//!
//! For the fault campaign (`scripts/chaos.sh`), `--accepted FILE` appends the id of every task
//! the api accepted (202), one per line, as soon as it is accepted, `--no-follow` stops at
//! the 202 (the campaign checks the outcome in PostgreSQL and Redis itself), and `--rate R`
//! starts at most R uploads a second, so that the load lasts long enough for a fault to land
//! in it.
//!
//! It is written in Rust, on one thread, because it shares the machine with the platform it
//! measures: the Python generator it replaced spent 1.7 ms of CPU per image, which the
//! wall-clock view of the benchmark counted as platform cost.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use bytes::Bytes;

/// What can stop the load generator or one task.
#[derive(Debug, thiserror::Error)]
enum LoadError {
    /// Bad command line.
    #[error("{0}\nusage: moji-loadgen --api URL --image FILE --token JWT [--token JWT ...] [-n 500] [--concurrency 16] [--accepted FILE] [--no-follow] [--rate PER_SECOND]")]
    Usage(String),
    /// The photo could not be read.
    #[error("reading {0}: {1}")]
    Image(String, std::io::Error),
    /// The accepted-ids file could not be written.
    #[error("writing {0}: {1}")]
    Accepted(String, std::io::Error),
    /// HTTP trouble.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    /// The api answered something unexpected.
    #[error("{0}")]
    Protocol(String),
}

/// Command-line settings.
struct Args {
    api: String,
    image: String,
    tokens: Vec<String>,
    tasks: usize,
    concurrency: usize,
    accepted: Option<String>,
    follow: bool,
    rate: Option<usize>,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args, LoadError> {
    let mut args = Args {
        api: String::new(),
        image: String::new(),
        tokens: Vec::new(),
        tasks: 500,
        concurrency: 16,
        accepted: None,
        follow: true,
        rate: None,
    };
    while let Some(flag) = argv.next() {
        let mut value = || {
            argv.next()
                .ok_or_else(|| LoadError::Usage(format!("{flag} needs a value")))
        };
        let number = |v: String| {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| LoadError::Usage(format!("{flag} wants a positive number")))
        };
        match flag.as_str() {
            "--api" => args.api = value()?.trim_end_matches('/').to_owned(),
            "--image" => args.image = value()?,
            "--token" => args.tokens.push(value()?),
            "-n" => args.tasks = number(value()?)?,
            "--concurrency" => args.concurrency = number(value()?)?,
            "--accepted" => args.accepted = Some(value()?),
            "--no-follow" => args.follow = false,
            "--rate" => args.rate = Some(number(value()?)?),
            other => return Err(LoadError::Usage(format!("unknown argument {other}"))),
        }
    }
    if args.api.is_empty() || args.image.is_empty() || args.tokens.is_empty() {
        return Err(LoadError::Usage(
            "--api, --image and --token are required".into(),
        ));
    }
    Ok(args)
}

/// A multipart body for an emoji task, built once and shared by every upload.
fn multipart(image: &[u8]) -> (Bytes, String) {
    let boundary = "moji-loadgen-3f9c1b7e5d2a";
    let mut body = Vec::with_capacity(image.len() + 512);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nemoji\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p.jpg\"\r\n\
             Content-Type: image/jpeg\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(image);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        Bytes::from(body),
        format!("multipart/form-data; boundary={boundary}"),
    )
}

/// The `status` of an SSE `data:` line, if the line is one.
fn event_status(line: &[u8]) -> Option<String> {
    let data = line.strip_prefix(b"data: ")?;
    let value: serde_json::Value = serde_json::from_slice(data).ok()?;
    value.get("status")?.as_str().map(str::to_owned)
}

fn is_final(status: &str) -> bool {
    matches!(status, "succeeded" | "failed" | "cancelled")
}

/// Everything one upload needs.
struct Target {
    client: reqwest::Client,
    api: String,
    body: Bytes,
    content_type: String,
    /// Where accepted ids go, with its name for errors.
    accepted: Option<(String, std::sync::Mutex<std::fs::File>)>,
    follow: bool,
}

impl Target {
    /// Uploads the photo and follows the task's events; returns the final status.
    async fn one_task(&self, token: &str) -> Result<String, LoadError> {
        let upload = self
            .client
            .post(format!("{}/faces/tasks", self.api))
            .bearer_auth(token)
            .header("content-type", &self.content_type)
            .body(self.body.clone())
            .send()
            .await?;
        let status = upload.status();
        let raw = upload.bytes().await?;
        if status.as_u16() != 202 {
            return Err(LoadError::Protocol(format!(
                "upload answered {status}: {}",
                String::from_utf8_lossy(&raw[..raw.len().min(200)])
            )));
        }
        let task: serde_json::Value = serde_json::from_slice(&raw)
            .map_err(|e| LoadError::Protocol(format!("upload answer is not JSON: {e}")))?;
        let id = task
            .get("id")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| LoadError::Protocol("upload answer has no id".into()))?;
        if let Some((name, file)) = &self.accepted {
            use std::io::Write;
            let mut file = file.lock().map_err(|_| {
                LoadError::Protocol("the accepted-ids file lock is poisoned".into())
            })?;
            writeln!(file, "{id}").map_err(|e| LoadError::Accepted(name.clone(), e))?;
        }
        if !self.follow {
            return Ok("accepted".into());
        }
        let mut events = self
            .client
            .get(format!(
                "{}/faces/tasks/{id}/events?access_token={token}",
                self.api
            ))
            .send()
            .await?
            .error_for_status()?;
        let mut last = "stream-closed".to_owned();
        let mut pending = Vec::new();
        while let Some(chunk) = events.chunk().await? {
            pending.extend_from_slice(&chunk);
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                if let Some(s) = event_status(&pending[..end]) {
                    last = s;
                }
                pending.drain(..=end);
            }
            if is_final(&last) {
                // The server closes the stream after the final event; reading on to its end
                // keeps the connection reusable.
                while events.chunk().await?.is_some() {}
                break;
            }
        }
        Ok(last)
    }
}

async fn run(args: Args) -> Result<serde_json::Value, LoadError> {
    let image = std::fs::read(&args.image).map_err(|e| LoadError::Image(args.image.clone(), e))?;
    let (body, content_type) = multipart(&image);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(args.concurrency * 2)
        .build()?;
    let accepted = match args.accepted {
        Some(name) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&name)
                .map_err(|e| LoadError::Accepted(name.clone(), e))?;
            Some((name, std::sync::Mutex::new(file)))
        }
        None => None,
    };
    let target = Arc::new(Target {
        client,
        api: args.api,
        body,
        content_type,
        accepted,
        follow: args.follow,
    });
    let tokens = Arc::new(args.tokens);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for client_no in 0..args.concurrency {
        let (target, tokens, next) = (target.clone(), tokens.clone(), next.clone());
        let tasks = args.tasks;
        let gap = args.rate.map(|r| Duration::from_secs_f64(1.0 / r as f64));
        clients.spawn(async move {
            // One account per concurrent client, as on a real platform.
            let token = &tokens[client_no % tokens.len()];
            let mut done = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= tasks {
                    break;
                }
                // Upload n starts no earlier than n gaps after the start.
                if let Some(gap) = gap {
                    let due = started + gap.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX));
                    tokio::time::sleep_until(due.into()).await;
                }
                let began = Instant::now();
                let outcome = target.one_task(token).await;
                done.push((began.elapsed(), outcome));
            }
            done
        });
    }
    let mut latencies_ms = Vec::new();
    let mut failures = Vec::new();
    while let Some(joined) = clients.join_next().await {
        let done = joined.map_err(|e| LoadError::Protocol(format!("a client crashed: {e}")))?;
        for (took, outcome) in done {
            match outcome {
                // Without following, the latency is the upload's.
                Ok(s) if s == "succeeded" || s == "accepted" => {
                    latencies_ms.push(took.as_secs_f64() * 1000.0)
                }
                Ok(s) => failures.push(s),
                Err(e) => failures.push(format!("error: {e}")),
            }
        }
    }
    Ok(serde_json::json!({
        "wall_s": started.elapsed().as_secs_f64(),
        "latencies_ms": latencies_ms,
        "failures": failures,
    }))
}

fn main() -> std::process::ExitCode {
    let outcome = parse_args(std::env::args().skip(1)).and_then(|args| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LoadError::Protocol(format!("starting the runtime: {e}")))?
            .block_on(run(args))
    });
    match outcome {
        Ok(report) => {
            println!("{report}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("moji-loadgen: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_status_of_data_lines_only() {
        assert_eq!(
            event_status(br#"data: {"status":"running","progress":40}"#).as_deref(),
            Some("running")
        );
        assert_eq!(event_status(b"event: status"), None);
        assert_eq!(event_status(b": keep-alive"), None);
        assert_eq!(event_status(b"data: not json"), None);
    }

    #[test]
    fn arguments_are_checked() {
        let argv = |s: &str| {
            s.split(' ')
                .map(str::to_owned)
                .collect::<Vec<_>>()
                .into_iter()
        };
        let ok = parse_args(argv(
            "--api http://x/api/v1/ --image p.jpg --token a --token b -n 3",
        ))
        .expect("valid");
        assert_eq!(ok.api, "http://x/api/v1");
        assert_eq!(ok.tokens, ["a", "b"]);
        assert_eq!((ok.tasks, ok.concurrency), (3, 16));
        assert!(ok.follow && ok.accepted.is_none());
        let chaos = parse_args(argv(
            "--api http://x --image p.jpg --token a --accepted ids.txt --no-follow",
        ))
        .expect("valid");
        assert_eq!(chaos.accepted.as_deref(), Some("ids.txt"));
        assert!(!chaos.follow && chaos.rate.is_none());
        let paced = parse_args(argv("--api http://x --image p.jpg --token a --rate 10")).unwrap();
        assert_eq!(paced.rate, Some(10));
        assert!(parse_args(argv("--api http://x --image p.jpg --token a --rate 0")).is_err());
        assert!(parse_args(argv("--api http://x --image p.jpg")).is_err());
        assert!(parse_args(argv("--api http://x --image p.jpg --token a -n 0")).is_err());
        assert!(parse_args(argv("--api http://x --image p.jpg --token a --bogus 1")).is_err());
    }

    #[test]
    fn the_multipart_body_carries_the_photo_and_the_kind() {
        let (body, content_type) = multipart(b"\xFF\xD8photo\xFF\xD9");
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .expect("boundary");
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"kind\"\r\n\r\nemoji\r\n"));
        assert!(text.contains("photo"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }
}
