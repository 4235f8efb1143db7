//! `moji-chat`: serve a chat replica (the only command).
//!
//! Unlike the api, chat keeps the system allocator: with mimalloc, 10,000 idle sockets cost
//! 31.0 KB each in RSS, with glibc's malloc 21.4 KB, at the same fan-out latency and ceiling
//! (scripts/bench/chat.sh; README "Chat (WebSocket fan-out)").

use anyhow::{bail, Context};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = moji_config::Settings::load().context("loading settings")?;
    moji_telemetry::init_tracing("chat", &settings.telemetry);
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => moji_chat::serve(settings).await,
        Some(other) => bail!("unknown command {other:?}; use serve"),
    }
}
