//! `moji-api`: serve the API (default), apply migrations, or create an admin.
//!
//! ```text
//! moji-api [serve]
//! moji-api migrate
//! moji-api create-admin --username NAME [--email ADDR]   (password: MOJI_ADMIN_PASSWORD or stdin)
//! ```

use anyhow::{bail, Context};

/// mimalloc rather than glibc malloc: a gallery page allocates hundreds of small strings
/// (links, JSON), and glibc's malloc/free/consolidate took about a tenth of the api's CPU
/// under scripts/bench/gallery.sh (perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = moji_config::Settings::load().context("loading settings")?;
    moji_telemetry::init_tracing("api", &settings.telemetry);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => moji_api::serve(settings).await,
        Some(other) => match moji_api::cli::admin(settings, &args).await {
            Some(done) => done,
            None => bail!(
                "unknown command {other:?}; use serve | {}",
                moji_api::cli::USAGE
            ),
        },
    }
}
