//! `moji-api`: serve the API (default), apply migrations, or create an admin.
//!
//! ```text
//! moji-api [serve]
//! moji-api migrate
//! moji-api create-admin --username NAME [--email ADDR]   (password: MOJI_ADMIN_PASSWORD or stdin)
//! ```

use anyhow::{bail, Context};

fn arg_value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = moji_config::Settings::load().context("loading settings")?;
    moji_telemetry::init_tracing("api", &settings.telemetry);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => moji_api::serve(settings).await,
        Some("migrate") => {
            let url = settings.database.url.clone();
            let applied =
                tokio::task::spawn_blocking(move || moji_db::pool::migrate_url(&url)).await??;
            println!(
                "migrations applied: {}",
                if applied.is_empty() {
                    "none pending".to_owned()
                } else {
                    applied.join(", ")
                }
            );
            Ok(())
        }
        Some("create-admin") => {
            let Some(username) = arg_value(&args, "--username") else {
                bail!("usage: moji-api create-admin --username NAME [--email ADDR]");
            };
            let email = arg_value(&args, "--email");
            let password = match std::env::var("MOJI_ADMIN_PASSWORD") {
                Ok(p) => Some(p),
                Err(_) if email.is_some() => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    Some(line.trim_end_matches(['\r', '\n']).to_owned())
                }
                Err(_) => None,
            };
            let state = moji_api::AppState::connect(settings).await?;
            let user =
                moji_api::accounts::create_admin(&state, &username, email.as_deref(), password)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "admin ready: {} <{}> ({})",
                user.username, user.email, user.id
            );
            Ok(())
        }
        Some(other) => bail!("unknown command {other:?}; use serve, migrate or create-admin"),
    }
}
