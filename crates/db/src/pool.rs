//! Connection pool, blocking-thread runner and embedded migrations.

use std::{
    ops::{Deref, DerefMut},
    time::{Duration, Instant},
};

use diesel::{
    pg::PgConnection,
    r2d2::{ConnectionManager, ManageConnection, Pool},
    Connection, RunQueryDsl,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::DbError;

/// The repository's migrations, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// An r2d2 pool of PostgreSQL connections.
pub type PgPool = Pool<PingWhenIdle>;

/// A connection handed out again within this long of its last use skips the liveness ping.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// A pooled connection that remembers when it was last used and whether that use failed.
pub struct PooledPg {
    conn: PgConnection,
    last_used: Instant,
    needs_ping: bool,
}

impl Deref for PooledPg {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl DerefMut for PooledPg {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

/// diesel's connection manager, but the check-out ping (`SELECT 1`) only runs for a connection
/// that sat idle or whose last use failed. A busy pool otherwise pays one extra round trip per
/// query batch (three per face task) to re-prove a connection that worked a moment ago.
pub struct PingWhenIdle {
    inner: ConnectionManager<PgConnection>,
}

impl ManageConnection for PingWhenIdle {
    type Connection = PooledPg;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PooledPg, Self::Error> {
        let mut conn = self.inner.connect()?;
        // Prepared statements run their generic plan from the first execution instead of
        // being planned again per call: a `?page=` gallery page (OFFSET as a bind) otherwise
        // stayed on custom plans forever, planning on every request (PostgreSQL's cost
        // guess for an unknown OFFSET is 10 % of the table). Every list query is checked
        // under generic plans for sequential scans (crates/db/tests/bounded_lists.rs).
        diesel::sql_query("SET plan_cache_mode = force_generic_plan")
            .execute(&mut conn)
            .map_err(diesel::r2d2::Error::QueryError)?;
        Ok(PooledPg {
            conn,
            last_used: Instant::now(),
            needs_ping: false,
        })
    }

    fn is_valid(&self, pooled: &mut PooledPg) -> Result<(), Self::Error> {
        let idle = pooled.last_used.elapsed();
        pooled.last_used = Instant::now();
        if idle < PING_AFTER_IDLE && !pooled.needs_ping {
            return Ok(());
        }
        self.inner.is_valid(&mut pooled.conn)?;
        pooled.needs_ping = false;
        Ok(())
    }

    /// r2d2 calls this whenever a connection comes back to the pool, so it also records the
    /// end of the use.
    fn has_broken(&self, pooled: &mut PooledPg) -> bool {
        pooled.last_used = Instant::now();
        self.inner.has_broken(&mut pooled.conn)
    }
}

/// Applies pending migrations; returns the versions it applied.
pub fn run_migrations(conn: &mut PgConnection) -> Result<Vec<String>, DbError> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Connects once and applies pending migrations (the `migrate` admin command).
pub fn migrate_url(url: &str) -> Result<Vec<String>, DbError> {
    let mut conn = PgConnection::establish(url)
        .map_err(|e| DbError::Migration(format!("cannot connect: {e}")))?;
    run_migrations(&mut conn)
}

/// Handle to the database: a pool plus a way to run diesel code off the async executor.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    /// Builds a pool; connections are opened lazily, so this succeeds while the server is down.
    pub fn connect(url: &str, size: u32, timeout: Duration) -> Result<Self, DbError> {
        let manager = PingWhenIdle {
            inner: ConnectionManager::<PgConnection>::new(url),
        };
        let pool = Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .connection_timeout(timeout)
            // PingWhenIdle decides per connection whether the check-out test pings.
            .test_on_check_out(true)
            .build_unchecked(manager);
        Ok(Self { pool })
    }

    /// The underlying pool. Prefer [`Db::run`]: only it flags a connection whose query failed
    /// for a ping before its next use.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `f` with a pooled connection on tokio's blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> Result<T, DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            let out = f(&mut conn);
            // A failed query may mean a dead connection (diesel only flags broken
            // transactions): prove it alive before its next use.
            if matches!(out, Err(DbError::Query(_))) {
                conn.needs_ping = true;
            }
            out
        })
        .await
        .map_err(|e| DbError::Blocking(e.to_string()))?
    }

    /// Round-trips `SELECT 1` (for readiness checks).
    pub async fn ping(&self) -> Result<(), DbError> {
        self.run(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
    }
}
