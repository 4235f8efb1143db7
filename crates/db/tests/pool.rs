//! The pool against a real PostgreSQL: busy connections skip the check-out ping, and a
//! connection that died costs one failed call, after which the pool reconnects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use diesel::{sql_types::Integer, Connection, PgConnection, QueryableByName, RunQueryDsl};
use moji_db::{Db, DbError};
use moji_testkit::TestDb;

#[derive(QueryableByName)]
struct BackendPid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

async fn backend_pid(db: &Db) -> Result<i32, DbError> {
    db.run(|c| {
        Ok(diesel::sql_query("SELECT pg_backend_pid() AS pid")
            .get_result::<BackendPid>(c)?
            .pid)
    })
    .await
}

#[tokio::test]
async fn a_killed_connection_fails_one_call_then_the_pool_reconnects() {
    let test_db = TestDb::new();
    let db = Db::connect(&test_db.url, 1, Duration::from_secs(5)).unwrap();
    // Connected first, so nothing slow sits between the calls below (the ping skip is 1 s).
    let mut admin = PgConnection::establish(&test_db.url).unwrap();
    let first = backend_pid(&db).await.unwrap();
    assert_eq!(
        backend_pid(&db).await.unwrap(),
        first,
        "the connection is reused"
    );

    diesel::sql_query(format!("SELECT pg_terminate_backend({first})"))
        .execute(&mut admin)
        .unwrap();
    // Used a moment ago, so it is handed out without a ping: this call meets the dead socket.
    let failed = backend_pid(&db).await;
    assert!(
        matches!(failed, Err(DbError::Query(_))),
        "expected a query error, got {:?}",
        failed.map_err(|e| e.to_string())
    );
    // The failure flagged it: the check-out ping finds it dead and the pool reconnects.
    let second = backend_pid(&db).await.unwrap();
    assert_ne!(second, first);
}

#[tokio::test]
async fn an_idle_connection_is_pinged_and_replaced_before_use() {
    let test_db = TestDb::new();
    let db = Db::connect(&test_db.url, 1, Duration::from_secs(5)).unwrap();
    let first = backend_pid(&db).await.unwrap();
    let mut admin = PgConnection::establish(&test_db.url).unwrap();
    diesel::sql_query(format!("SELECT pg_terminate_backend({first})"))
        .execute(&mut admin)
        .unwrap();
    // Idle longer than the ping threshold: no caller sees the dead connection.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let second = backend_pid(&db).await.unwrap();
    assert_ne!(second, first);
}

#[tokio::test]
async fn a_nul_in_text_is_refused_as_invalid_text_not_a_query_failure() {
    let test_db = TestDb::new();
    let db = Db::connect(&test_db.url, 1, Duration::from_secs(5)).unwrap();
    let refused = db
        .run(|c| {
            Ok(diesel::sql_query("SELECT length($1) AS pid")
                .bind::<diesel::sql_types::Text, _>("a\u{0}b")
                .get_result::<BackendPid>(c)?
                .pid)
        })
        .await;
    assert!(
        matches!(refused, Err(DbError::InvalidText(_))),
        "got {:?}",
        refused.map_err(|e| e.to_string())
    );
    // The connection is fine afterwards.
    backend_pid(&db).await.unwrap();
}
