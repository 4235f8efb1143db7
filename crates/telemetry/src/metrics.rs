//! Prometheus metrics. Every crate registers its metrics in the process-wide default registry
//! (through [`register`]), and `/metrics` renders that registry.

use std::sync::LazyLock;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
};
use prometheus::{core::Collector, HistogramOpts, HistogramVec, IntCounterVec, Opts};

/// Registers a collector in the default registry and returns it; a duplicate registration
/// (two test servers in one process) is ignored rather than fatal.
pub fn register<C: Collector + Clone + 'static>(collector: C) -> C {
    if let Err(e) = prometheus::default_registry().register(Box::new(collector.clone())) {
        if !matches!(e, prometheus::Error::AlreadyReg) {
            tracing::warn!(error = %e, "metric registration failed");
        }
    }
    collector
}

/// Latency buckets in seconds, from 1 ms to 10 s.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HTTP_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    let opts = Opts::new("moji_http_requests_total", "HTTP requests served");
    register(
        IntCounterVec::new(opts, &["service", "method", "route", "status"])
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
    )
});

static HTTP_DURATION: LazyLock<HistogramVec> = LazyLock::new(|| {
    let opts = HistogramOpts::new("moji_http_request_duration_seconds", "HTTP request latency")
        .buckets(LATENCY_BUCKETS.to_vec());
    register(
        HistogramVec::new(opts, &["service", "method", "route", "status"])
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
    )
});

/// Service name used as the `service` label; set once at start-up.
static SERVICE_NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names this process's service in HTTP metrics (first call wins).
pub fn set_service_name(name: &str) {
    let _ = SERVICE_NAME.set(name.to_owned());
}

/// Middleware (use with `actix_web::middleware::from_fn`) counting requests and timing them by
/// route *template* (`/api/v1/users/{username}`), so label cardinality stays bounded.
pub async fn http_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().as_str().to_owned();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16().to_string();
    let service = SERVICE_NAME.get().map_or("unknown", String::as_str);
    let labels = [service, method.as_str(), route.as_str(), status.as_str()];
    HTTP_REQUESTS.with_label_values(&labels).inc();
    HTTP_DURATION
        .with_label_values(&labels)
        .observe(started.elapsed().as_secs_f64());
    Ok(res)
}

/// Renders the default registry in the Prometheus text format.
pub fn render() -> String {
    use prometheus::Encoder;
    // Touch the HTTP metrics so they are described even before the first request.
    LazyLock::force(&HTTP_REQUESTS);
    LazyLock::force(&HTTP_DURATION);
    let mut buf = Vec::new();
    let encoder = prometheus::TextEncoder::new();
    if let Err(e) = encoder.encode(&prometheus::gather(), &mut buf) {
        tracing::error!(error = %e, "metrics encoding failed");
    }
    String::from_utf8(buf).unwrap_or_default()
}
