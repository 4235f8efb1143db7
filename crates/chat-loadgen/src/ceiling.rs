//! `ceiling`: the `room` load raised window by window until a window is not sustained (loses,
//! reorders, falls behind or passes the p99 bound).

use std::{
    sync::{atomic::AtomicU64, Arc},
    time::Duration,
};

use serde_json::{json, Value};

use crate::{
    room::{open_room, run_window, Outcome, Window},
    sockets::{self, Common},
    ws::{self, Clock},
};

/// Settings of a `ceiling` run.
pub struct Ceiling {
    /// Room id.
    pub room: String,
    /// Members to connect.
    pub members: usize,
    /// Senders among them.
    pub senders: usize,
    /// First rate, msg/s.
    pub start_rate: f64,
    /// Each next rate is this many times the last.
    pub factor: f64,
    /// No rate above this.
    pub max_rate: f64,
    /// Sending time per step.
    pub step: Duration,
    /// Wait for stragglers after each step.
    pub drain: Duration,
    /// A step with a higher p99 is not sustained.
    pub p99_bound_ms: f64,
    /// A step that delivered less than this share of what was offered is not sustained.
    pub keep_up: f64,
    /// Pause between steps (the service's queues settle).
    pub pause: Duration,
    /// The service's pid, for its CPU time.
    pub server_pid: Option<u32>,
}

/// The rates a ceiling run tries, in order.
pub fn ceiling_rates(start: f64, factor: f64, max: f64) -> Vec<f64> {
    let mut rates = Vec::new();
    let mut r = start;
    while r <= max * (1.0 + 1e-9) && rates.len() < 64 {
        rates.push(r.round().max(1.0));
        r *= factor.max(1.01);
    }
    rates.dedup();
    rates
}

/// Raises the rate step by step until a step is not sustained.
pub async fn run_ceiling(common: &Common, c: &Ceiling) -> anyhow::Result<Value> {
    let clock = Arc::new(Clock::new());
    let next_g = Arc::new(AtomicU64::new(0));
    let mut opened = open_room(common, &c.room, c.members, c.senders, &clock).await?;
    let mut steps = Vec::new();
    let mut best: Option<Outcome> = None;
    let mut stopped = None;
    for rate in ceiling_rates(c.start_rate, c.factor, c.max_rate) {
        let spec = Window {
            room: c.room.clone(),
            senders: c.senders,
            rate,
            secs: c.step.as_secs_f64(),
            drain: c.drain,
            server_pid: c.server_pid,
        };
        let w = run_window(&mut opened.socks, &spec, &clock, &next_g).await;
        let short = w.shortfall(c.p99_bound_ms, c.keep_up);
        println!(
            "ceiling step: {}{}",
            w.line(),
            short.as_ref().map_or(" — sustained".into(), |s| format!(
                " — NOT sustained: {s}"
            ))
        );
        let mut j = w.to_json();
        j["sustained"] = json!(short.is_none());
        j["shortfall"] = json!(short);
        steps.push(j);
        if let Some(s) = short {
            stopped = Some(format!("{rate:.0} msg/s: {s}"));
            break;
        }
        if best
            .as_ref()
            .is_none_or(|b| w.delivered_per_s > b.delivered_per_s)
        {
            best = Some(w);
        }
        if !opened
            .socks
            .iter()
            .all(|s| ws::lock(&s.state).closed.is_none())
        {
            stopped = Some("sockets closed".into());
            break;
        }
        tokio::time::sleep(c.pause).await;
    }
    sockets::close_all(&mut opened.socks).await;
    let (ceiling, at_rate, p99) = best.as_ref().map_or((0.0, 0.0, 0.0), |b| {
        (
            b.delivered_per_s,
            b.spec.rate,
            f64::from(b.tally.latency.p99_us) / 1000.0,
        )
    });
    println!(
        "ceiling: {ceiling:.0} deliveries/s sustained (at {at_rate:.0} msg/s × {} receivers, p99 {p99:.1} ms); {}",
        opened.socks.len(),
        stopped.as_deref().map_or("stopped at the top rate".to_owned(), |s| format!("stopped at {s}"))
    );
    Ok(json!({
        "mode": "ceiling",
        "room": c.room,
        "members": c.members,
        "connected": opened.socks.len(),
        "senders": c.senders,
        "step_secs": c.step.as_secs_f64(),
        "p99_bound_ms": c.p99_bound_ms,
        "keep_up": c.keep_up,
        "ceiling_per_s": ceiling,
        "ceiling_rate": at_rate,
        "ceiling_p99_ms": p99,
        "stopped": stopped,
        "steps": steps,
    }))
}
