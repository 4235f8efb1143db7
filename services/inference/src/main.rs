//! `moji-inference`: the AI worker (no arguments).

use anyhow::Context;

/// mimalloc rather than glibc malloc: the vision threads allocate and free several
/// multi-megabyte image buffers per photo, which glibc keeps returning to and faulting back
/// from the kernel (measured with scripts/bench/faces.sh; see README "Benchmarks").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = moji_config::Settings::load().context("loading settings")?;
    moji_telemetry::init_tracing("inference", &settings.telemetry);
    moji_inference::serve(settings).await
}
