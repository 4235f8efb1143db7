//! Opening many sockets at once, and the settings every socket mode shares.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use futures_util::{stream, StreamExt};

use crate::{
    stats,
    ws::{self, Clock, Minter, Sock, Target, User},
};

/// What `idle`, `room` and `ceiling` share.
pub struct Common {
    /// The chat service's WebSocket URL (loopback).
    pub target: Target,
    /// Seeded accounts, in order.
    pub users: Vec<User>,
    /// Token minting.
    pub minter: Minter,
    /// Source addresses 127.0.0.1 … 127.0.0.`sources`.
    pub sources: u8,
    /// Connections being opened at once.
    pub connect_concurrency: usize,
    /// Budget of one connection, open to `ready` (and `resumed`).
    pub connect_timeout: Duration,
    /// Send `resume` after `ready`, as a client does, and wait for `resumed`.
    pub resume: bool,
}

/// The sockets that opened, the failures by kind and how long it all took.
pub struct Opened {
    /// Open sockets, in user order.
    pub socks: Vec<Sock>,
    /// Failures by message.
    pub failures: BTreeMap<String, u64>,
    /// Open → `ready` (→ `resumed`), per socket.
    pub connect: stats::Percentiles,
    /// Wall time of the whole opening.
    pub took: Duration,
}

impl Opened {
    /// Failures as one short line.
    pub fn failure_line(&self) -> String {
        self.failures
            .iter()
            .map(|(k, v)| format!("{v}× {k}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Opens one socket for each of the first `n` users, `connect_concurrency` at a time.
pub async fn open(common: &Common, n: usize, clock: &Arc<Clock>) -> anyhow::Result<Opened> {
    if n > common.users.len() {
        anyhow::bail!(
            "{n} sockets wanted but the users file has {} accounts",
            common.users.len()
        );
    }
    let tokens = common.users[..n]
        .iter()
        .map(|u| common.minter.access_token(u))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let started = std::time::Instant::now();
    let results: Vec<(usize, anyhow::Result<Sock>)> = stream::iter(0..n)
        .map(|i| {
            let token = &tokens[i];
            let user = &common.users[i];
            let clock = clock.clone();
            async move {
                let source = ws::source_addr(i, common.sources);
                let r = ws::connect(
                    &common.target,
                    source,
                    i,
                    user,
                    token,
                    clock,
                    common.connect_timeout,
                    common.resume,
                )
                .await;
                (i, r)
            }
        })
        .buffer_unordered(common.connect_concurrency.max(1))
        .collect()
        .await;
    let took = started.elapsed();
    let mut socks = Vec::with_capacity(n);
    let mut failures = BTreeMap::new();
    for (_, r) in results {
        match r {
            Ok(s) => socks.push(s),
            Err(e) => *failures.entry(e.to_string()).or_insert(0) += 1,
        }
    }
    socks.sort_by_key(|s| s.index);
    let mut times: Vec<u32> = socks
        .iter()
        .map(|s| u32::try_from(s.connect_time.as_micros()).unwrap_or(u32::MAX))
        .collect();
    Ok(Opened {
        connect: stats::percentiles(&mut times),
        socks,
        failures,
        took,
    })
}

/// How many of `socks` have ended.
pub fn closed(socks: &[Sock]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for s in socks {
        if let Some(why) = &ws::lock(&s.state).closed {
            *out.entry(ws::short_error(why)).or_insert(0) += 1;
        }
    }
    out
}

/// Sends every socket a close frame and waits briefly for the closes to go out.
pub async fn close_all(socks: &mut [Sock]) {
    use futures_util::SinkExt;
    let closes = socks
        .iter_mut()
        .filter_map(|s| s.sink.take())
        .map(|mut sink| async move {
            let _ = tokio::time::timeout(Duration::from_secs(2), sink.close()).await;
        });
    stream::iter(closes)
        .buffer_unordered(256)
        .collect::<Vec<()>>()
        .await;
}
