//! `moji`: every service (api, inference worker, chat, recommend) in one process, for
//! local use, plus the api's admin commands. Production runs them as separate processes
//! (deploy/).
//!
//! ```text
//! moji [serve]                                     api on http.api_port, chat on
//!                                                  http.chat_port, recommend on
//!                                                  http.recommend_port, worker metrics on
//!                                                  http.inference_port, one shared runtime
//! moji migrate
//! moji create-admin --username NAME [--email ADDR]
//! ```

use anyhow::{bail, Context};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let mut settings = moji_config::Settings::load().context("loading settings")?;
    moji_telemetry::init_tracing("moji", &settings.telemetry);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => {
            // First name wins: metrics of both services are labelled `moji`.
            moji_telemetry::set_service_name("moji");
            // Chat verifies the api's tokens, so both need one key: without MOJI_JWT__SECRET
            // make one up for this process (tokens then die with it, as the api warns).
            if settings.jwt.secret.is_empty() {
                let bytes: [u8; 32] = rand::random();
                settings.jwt.secret = bytes.iter().map(|b| format!("{b:02x}")).collect();
            }
            // Every server stops on SIGINT/SIGTERM; an error in any ends the process.
            tokio::try_join!(
                moji_api::serve(settings.clone()),
                moji_chat::serve(settings.clone()),
                moji_recommend::serve(settings.clone()),
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
