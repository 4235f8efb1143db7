//! `/healthz` (the process is up), `/readyz` (every dependency answers; 503 otherwise) and
//! `/metrics`.

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use actix_web::{web, HttpResponse};
use serde::Serialize;

type CheckFn =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// How long one readiness check may take: under Kubernetes' default 1 s probe timeout, so a
/// stalled dependency makes the pod unready (503 in time) rather than look dead.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(800);

/// The named dependency checks behind `/readyz`.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<(&'static str, CheckFn)>,
}

impl Readiness {
    /// Adds a named check; it fails on `Err` or when it takes longer than [`CHECK_TIMEOUT`].
    pub fn check<F, Fut>(mut self, name: &'static str, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.checks.push((name, Arc::new(move || Box::pin(f()))));
        self
    }

    /// Runs every check concurrently.
    pub async fn run(&self) -> Vec<CheckResult> {
        let futures = self.checks.iter().map(|(name, f)| {
            let fut = f();
            async move {
                let outcome = tokio::time::timeout(CHECK_TIMEOUT, fut).await;
                let error = match outcome {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e),
                    Err(_) => Some(format!("timed out after {} ms", CHECK_TIMEOUT.as_millis())),
                };
                CheckResult {
                    name,
                    ok: error.is_none(),
                    error,
                }
            }
        });
        futures_util::future::join_all(futures).await
    }
}

/// One dependency's state.
#[derive(Debug, Serialize)]
pub struct CheckResult {
    /// Dependency name (`database`, `redis`, `amqp`, ...).
    pub name: &'static str,
    /// Whether it answered.
    pub ok: bool,
    /// Why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn readyz(readiness: web::Data<Readiness>) -> HttpResponse {
    let results = readiness.run().await;
    let ready = results.iter().all(|r| r.ok);
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": results,
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn metrics() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(crate::metrics::render())
}

/// Registers `/healthz`, `/readyz` and `/metrics`; the app must hold `Data<Readiness>`.
pub fn health_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_stalled_check_fails_within_the_probe_timeout() {
        let readiness = Readiness::default()
            .check("stalled", std::future::pending::<Result<(), String>>)
            .check("fine", || async { Ok(()) })
            .check("broken", || async { Err("refused".to_owned()) });
        let started = tokio::time::Instant::now();
        let results = readiness.run().await;
        // Paused time: this is the timeout the code applied, not how fast the machine is.
        assert_eq!(started.elapsed(), CHECK_TIMEOUT);
        assert!(
            CHECK_TIMEOUT < Duration::from_secs(1),
            "Kubernetes' default probe timeout"
        );
        let by_name = |n: &str| {
            results
                .iter()
                .find(|r| r.name == n)
                .map(|r| (r.ok, r.error.clone()))
        };
        assert_eq!(
            by_name("stalled"),
            Some((false, Some("timed out after 800 ms".to_owned())))
        );
        assert_eq!(by_name("fine"), Some((true, None)));
        assert_eq!(by_name("broken"), Some((false, Some("refused".to_owned()))));
    }
}
