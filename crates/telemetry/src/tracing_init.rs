//! Log set-up: human-readable text by default, one JSON object per line with
//! `MOJI_LOG_FORMAT=json` (what log collectors want).

use moji_config::TelemetrySettings;
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber; `RUST_LOG` overrides the configured level. Calling it
/// twice (as tests do) is harmless.
pub fn init_tracing(service: &str, settings: &TelemetrySettings) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(settings.log_level.clone()));
    let result = if settings.log_format == "json" {
        fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_env_filter(filter)
            .try_init()
    } else {
        fmt().with_env_filter(filter).try_init()
    };
    if result.is_ok() {
        tracing::info!(service, format = %settings.log_format, "logging initialised");
    }
}
