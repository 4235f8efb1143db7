//! `moji-recommend`: serve a recommendation replica (the only command).

use anyhow::{bail, Context};

fn main() -> anyhow::Result<()> {
    // candle splits every operation over rayon's threads, which spin between operations;
    // one thread per batch and `recommend.embed_threads` batches at once embeds ~1.7x more
    // sentences per CPU-second (crates/embed, "Speed"). Set before any thread starts.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    serve_main()
}

#[actix_web::main]
async fn serve_main() -> anyhow::Result<()> {
    let settings = moji_config::Settings::load().context("loading settings")?;
    moji_telemetry::init_tracing("recommend", &settings.telemetry);
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => moji_recommend::serve(settings).await,
        Some(other) => bail!("unknown command {other:?}; use serve"),
    }
}
