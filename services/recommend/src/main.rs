//! `moji-recommend`: serve a recommendation replica (the only command).

use anyhow::{bail, Context};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = moji_config::Settings::load().context("loading settings")?;
    moji_telemetry::init_tracing("recommend", &settings.telemetry);
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => moji_recommend::serve(settings).await,
        Some(other) => bail!("unknown command {other:?}; use serve"),
    }
}
