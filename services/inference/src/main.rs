//! `moji-inference`: the AI worker (no arguments).

use anyhow::Context;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = moji_config::Settings::load().context("loading settings")?;
    moji_telemetry::init_tracing("inference", &settings.telemetry);
    moji_inference::serve(settings).await
}
