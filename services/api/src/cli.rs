//! The admin commands shared by `moji-api` and the all-in-one `moji` binary.
//!
//! ```text
//! migrate
//! create-admin --username NAME [--email ADDR]   (password: MOJI_ADMIN_PASSWORD or stdin)
//! ```

use anyhow::bail;
use moji_config::Settings;

/// Usage line for the admin commands.
pub const USAGE: &str = "migrate | create-admin --username NAME [--email ADDR]";

fn arg_value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Runs the admin command named by `args[0]`; `None` when it is not one.
pub async fn admin(settings: Settings, args: &[String]) -> Option<anyhow::Result<()>> {
    match args.first().map(String::as_str) {
        Some("migrate") => Some(migrate(settings).await),
        Some("create-admin") => Some(create_admin(settings, args).await),
        _ => None,
    }
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let url = settings.database.url.clone();
    let applied = tokio::task::spawn_blocking(move || moji_db::pool::migrate_url(&url)).await??;
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

async fn create_admin(settings: Settings, args: &[String]) -> anyhow::Result<()> {
    let Some(username) = arg_value(args, "--username") else {
        bail!("usage: create-admin --username NAME [--email ADDR]");
    };
    let email = arg_value(args, "--email");
    let password = match std::env::var("MOJI_ADMIN_PASSWORD") {
        Ok(p) => Some(p),
        Err(_) if email.is_some() => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            Some(line.trim_end_matches(['\r', '\n']).to_owned())
        }
        Err(_) => None,
    };
    let state = crate::AppState::connect(settings).await?;
    let user = crate::accounts::create_admin(&state, &username, email.as_deref(), password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "admin ready: {} <{}> ({})",
        user.username, user.email, user.id
    );
    Ok(())
}
