//! Test isolation for Moji integration tests (dev-dependency only).
//!
//! Every test gets its own PostgreSQL database, cloned in milliseconds from a template that
//! was migrated once (the template's name carries a hash of `migrations/`, so a changed
//! migration builds a new one), plus its own Redis key prefix, AMQP name prefix and storage
//! directory. Tests therefore run in parallel, across processes too (nextest).
//!
//! [`http`] drives a service's actix app in-process: requests, replies, problems, accounts.
//!
//! Panicking on set-up failure is the right behaviour in a test helper, hence the allow.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use diesel::{pg::PgConnection, Connection, RunQueryDsl};
use moji_config::{Environment, Settings};
use sha2::{Digest, Sha256};

pub mod http;
mod redis_server;
mod smtp_server;

pub use redis_server::PrivateRedis;
pub use smtp_server::{readable, TestSmtp};

/// URL of the server's maintenance database, used to create and drop test databases.
pub fn admin_url() -> String {
    std::env::var("MOJI_TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://moji:moji@127.0.0.1:5432/postgres".to_owned())
}

/// `url` with its database name replaced by `db`, keeping any `?query` (e.g. `sslmode`).
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let base = match base.rfind('/') {
        Some(i) => format!("{}/{}", &base[..i], db),
        None => format!("{base}/{db}"),
    };
    if query.is_empty() {
        base
    } else {
        format!("{base}?{query}")
    }
}

fn migrations_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations")
}

fn migrations_hash() -> String {
    let mut files = Vec::new();
    let mut stack = vec![migrations_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read migrations dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut hasher = Sha256::new();
    for f in files {
        hasher.update(
            f.strip_prefix(migrations_dir())
                .unwrap()
                .to_string_lossy()
                .as_bytes(),
        );
        hasher.update(std::fs::read(&f).expect("read migration"));
    }
    let digest = hasher.finalize();
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Creates the migrated template database once per migration set; safe across processes.
fn ensure_template(admin: &mut PgConnection) -> String {
    let template = format!("moji_tpl_{}", migrations_hash());
    // A session-level advisory lock serialises template creation between test processes.
    diesel::sql_query("SELECT pg_advisory_lock(727274)")
        .execute(admin)
        .expect("advisory lock");
    let exists = diesel::sql_query(format!(
        "SELECT 1 AS one FROM pg_database WHERE datname = '{template}'"
    ))
    .execute(admin)
    .expect("look up template")
        > 0;
    if !exists {
        let building = format!("{template}_building");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {building}"))
            .execute(admin)
            .expect("drop stale template");
        diesel::sql_query(format!("CREATE DATABASE {building}"))
            .execute(admin)
            .expect("create template");
        {
            let mut conn = PgConnection::establish(&with_database(&admin_url(), &building))
                .expect("connect to template");
            moji_db::run_migrations(&mut conn).expect("migrate template");
        }
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {template}"))
            .execute(admin)
            .expect("publish template");
    }
    diesel::sql_query("SELECT pg_advisory_unlock(727274)")
        .execute(admin)
        .expect("advisory unlock");
    template
}

/// A database of this test's own, dropped when the value is dropped.
pub struct TestDb {
    /// Connection URL of the test database.
    pub url: String,
    name: String,
}

impl TestDb {
    /// Clones a fresh, migrated database for one test.
    pub fn new() -> Self {
        let mut admin = PgConnection::establish(&admin_url())
            .expect("connect to PostgreSQL (is it running? scripts/infra.sh starts it)");
        let template = ensure_template(&mut admin);
        let name = format!("moji_t_{}", uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut admin)
            .expect("clone template database");
        Self {
            url: with_database(&admin_url(), &name),
            name,
        }
    }
}

impl TestDb {
    /// Runs one SQL statement on the test database and returns the rows it touched: for
    /// arranging what the public API cannot (backdating a row, a state reached over time).
    pub fn execute(&self, sql: &str) -> usize {
        let mut conn = PgConnection::establish(&self.url).expect("connect to the test database");
        diesel::sql_query(sql)
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&admin_url()) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

/// A short random prefix for Redis keys and AMQP names.
pub fn unique_prefix(tag: &str) -> String {
    format!(
        "t{}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12],
        tag
    )
}

/// Everything one test owns: database, prefixes, storage directory and matching settings.
pub struct TestEnv {
    /// The test's database.
    pub db: TestDb,
    /// Settings pointing at the test's own resources; fast bcrypt.
    pub settings: Settings,
    /// Storage directory, removed with the value.
    pub storage_dir: tempfile::TempDir,
}

impl TestEnv {
    /// Builds an isolated environment.
    pub fn new() -> Self {
        let db = TestDb::new();
        let storage_dir = tempfile::tempdir().expect("temp dir");
        let mut s = Settings {
            env: Environment::Test,
            ..Settings::default()
        };
        s.database.url = db.url.clone();
        s.database.pool_size = 4;
        if let Ok(url) = std::env::var("REDIS_URL") {
            s.redis.url = url;
        }
        if let Ok(url) = std::env::var("AMQP_URL") {
            s.amqp.url = url;
        }
        s.redis.key_prefix = unique_prefix("redis");
        s.amqp.prefix = format!("{}.", unique_prefix("amqp"));
        s.storage.local_root = storage_dir.path().to_path_buf();
        s.storage.signing_secret = "test-signing-secret-test-signing-secret".into();
        s.jwt.secret = "test-jwt-secret-test-jwt-secret-test-jwt".into();
        s.auth.bcrypt_cost = 4;
        Self {
            db,
            settings: s,
            storage_dir,
        }
    }
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn with_database_replaces_the_name_and_keeps_the_query() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "t1"),
            "postgres://u:p@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "t1"),
            "postgres://u:p@h:5432/t1?sslmode=disable"
        );
    }
}
