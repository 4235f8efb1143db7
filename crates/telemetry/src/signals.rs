//! Waiting for the process to be asked to stop, shared by the services' `serve`.

/// Resolves on SIGTERM (Kubernetes, systemd) or SIGINT (Ctrl-C).
pub async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
