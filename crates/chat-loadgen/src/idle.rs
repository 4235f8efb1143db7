//! `idle`: N sockets open at once, held for a while; what each costs the service.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use serde_json::{json, Value};

use crate::{
    sockets::{self, Common},
    ws::{self, Clock},
};

/// Settings of an idle run.
pub struct Idle {
    /// Sockets to open (the first N users).
    pub sockets: usize,
    /// How long to hold them once all are open.
    pub hold: Duration,
    /// The service's pid, for its VmRSS before and after.
    pub server_pid: Option<u32>,
    /// Wait after the last socket opened before reading memory.
    pub settle: Duration,
}

/// Opens, measures, holds, reports.
pub async fn run(common: &Common, idle: &Idle) -> anyhow::Result<Value> {
    let clock = Arc::new(Clock::new());
    let before = idle.server_pid.map(ws::rss_kib).transpose()?;
    let own_before = ws::rss_kib(std::process::id()).ok();
    println!(
        "idle: opening {} sockets from {} source addresses, {} at a time",
        idle.sockets, common.sources, common.connect_concurrency
    );
    let mut opened = sockets::open(common, idle.sockets, &clock).await?;
    let connected = opened.socks.len();
    println!(
        "idle: {connected} open in {:.1} s ({}), connect p50 {:.1} ms p99 {:.1} ms",
        opened.took.as_secs_f64(),
        if opened.failures.is_empty() {
            "no failures".to_owned()
        } else {
            opened.failure_line()
        },
        f64::from(opened.connect.p50_us) / 1000.0,
        f64::from(opened.connect.p99_us) / 1000.0,
    );
    let held_from = std::time::Instant::now();
    tokio::time::sleep(idle.settle.min(idle.hold)).await;
    let after = idle.server_pid.map(ws::rss_kib).transpose()?;
    let own_after = ws::rss_kib(std::process::id()).ok();
    let rooms: BTreeSet<String> = opened
        .socks
        .iter()
        .flat_map(|s| {
            ws::lock(&s.state)
                .inbox
                .room_ids()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    if let Some(rest) = idle.hold.checked_sub(held_from.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    // Memory per socket from the end of the hold: what ten thousand quiet sockets keep.
    let settled = after;
    let after = idle.server_pid.map(ws::rss_kib).transpose()?;
    let closed = sockets::closed(&opened.socks);
    let closed_n: u64 = closed.values().sum();
    let per_socket = match (before, after) {
        (Some(b), Some(a)) if connected > 0 => {
            Some((a.saturating_sub(b) as f64) * 1024.0 / connected as f64)
        }
        _ => None,
    };
    let own_per_socket = match (own_before, own_after) {
        (Some(b), Some(a)) if connected > 0 => {
            Some((a.saturating_sub(b) as f64) * 1024.0 / connected as f64)
        }
        _ => None,
    };
    println!(
        "idle: {connected}/{} connected over {} rooms, {closed_n} closed during the {:.0} s hold; service RSS {} KiB before, {} KiB {:.0} s after the last socket opened, {} KiB at the end of the hold = {} per socket (load generator {} per socket)",
        idle.sockets,
        rooms.len(),
        idle.hold.as_secs_f64(),
        before.map_or("?".into(), |v| v.to_string()),
        settled.map_or("?".into(), |v| v.to_string()),
        idle.settle.min(idle.hold).as_secs_f64(),
        after.map_or("?".into(), |v| v.to_string()),
        per_socket.map_or("?".into(), |v| format!("{:.0} B", v)),
        own_per_socket.map_or("?".into(), |v| format!("{:.0} B", v)),
    );
    sockets::close_all(&mut opened.socks).await;
    Ok(json!({
        "mode": "idle",
        "sockets": idle.sockets,
        "sources": common.sources,
        "connected": connected,
        "failed": idle.sockets - connected,
        "failures": opened.failures,
        "rooms": rooms.len(),
        "connect_secs": opened.took.as_secs_f64(),
        "connect_p50_ms": f64::from(opened.connect.p50_us) / 1000.0,
        "connect_p99_ms": f64::from(opened.connect.p99_us) / 1000.0,
        "hold_secs": idle.hold.as_secs_f64(),
        "closed_during_hold": closed_n,
        "closes": closed,
        "server_rss_before_kib": before,
        "server_rss_settled_kib": settled,
        "server_rss_after_kib": after,
        "bytes_per_socket": per_socket,
        "loadgen_bytes_per_socket": own_per_socket,
    }))
}
