//! `moji-chat`: serve a chat replica (the only command).

use anyhow::{bail, Context};

/// mimalloc, as in the api: many small frames and strings per second.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = moji_config::Settings::load().context("loading settings")?;
    moji_telemetry::init_tracing("chat", &settings.telemetry);
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => moji_chat::serve(settings).await,
        Some(other) => bail!("unknown command {other:?}; use serve"),
    }
}
