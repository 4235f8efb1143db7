//! `moji`: the services that exist today (api and inference worker) in one process, for local
//! use, plus the api's admin commands. Production runs them as separate processes (deploy/).
//!
//! ```text
//! moji [serve]                                     api on http.api_port, worker metrics on
//!                                                  http.inference_port, one shared runtime
//! moji migrate
//! moji create-admin --username NAME [--email ADDR]
//! ```

use anyhow::{bail, Context};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = moji_config::Settings::load().context("loading settings")?;
    moji_telemetry::init_tracing("moji", &settings.telemetry);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => {
            // First name wins: metrics of both services are labelled `moji`.
            moji_telemetry::set_service_name("moji");
            // Both servers stop on SIGINT/SIGTERM; an error in either ends the process.
            tokio::try_join!(
                moji_api::serve(settings.clone()),
                moji_inference::serve(settings)
            )?;
            Ok(())
        }
        Some(other) => match moji_api::cli::admin(settings, &args).await {
            Some(done) => done,
            None => bail!(
                "unknown command {other:?}; use serve | {}",
                moji_api::cli::USAGE
            ),
        },
    }
}
