//! `room`: M members of one room connected, S of them sending at a total rate, every member
//! checking that each stored message arrives exactly once and in seq order (`ceiling` raises
//! the rate window by window: ceiling.rs).

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    cpu,
    sockets::{self, Common},
    stats::{self, Tally},
    ws::{self, Clock, Sock},
};

/// One measurement window: who sends, how fast, for how long.
#[derive(Debug, Clone)]
pub struct Window {
    /// Room id.
    pub room: String,
    /// The first `senders` sockets send.
    pub senders: usize,
    /// Messages per second, all senders together.
    pub rate: f64,
    /// Sending time.
    pub secs: f64,
    /// How long to wait after sending for the last deliveries.
    pub drain: Duration,
    /// The service's pid, for its CPU time.
    pub server_pid: Option<u32>,
}

/// What a window measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The window.
    pub spec: Window,
    /// Receiving sockets.
    pub receivers: u64,
    /// `send` frames written.
    pub sent: u64,
    /// Of those, acked (stored).
    pub acked: u64,
    /// `send` frames that could not be written.
    pub write_failures: u64,
    /// `error` frames by code.
    pub errors: BTreeMap<String, u64>,
    /// Sockets that ended during the window, by reason.
    pub closed: BTreeMap<String, u64>,
    /// Receipts against what was stored.
    pub tally: Tally,
    /// Deliveries per second: stored messages delivered, over the time from the first send to
    /// the last delivery (at least the sending time).
    pub delivered_per_s: f64,
    /// Deliveries that arrived while sending was still going on.
    pub in_window: u64,
    /// Deliveries per second the senders offered (rate × receivers of each message).
    pub offered_per_s: f64,
    /// Waited this long after sending for the stragglers.
    pub drained: Duration,
    /// Cores used while sending.
    pub cpu: cpu::Use,
}

impl Outcome {
    /// Why the window does not count as sustained at `p99_bound_ms`, if it does not.
    pub fn shortfall(&self, p99_bound_ms: f64, keep_up: f64) -> Option<String> {
        let mut why = Vec::new();
        if self.tally.lost > 0 {
            why.push(format!("{} lost", self.tally.lost));
        }
        if self.tally.duplicates > 0 {
            why.push(format!("{} duplicates", self.tally.duplicates));
        }
        if self.tally.out_of_order > 0 {
            why.push(format!("{} out of order", self.tally.out_of_order));
        }
        if self.acked < self.sent {
            why.push(format!(
                "{} of {} sends not acked",
                self.sent - self.acked,
                self.sent
            ));
        }
        if self.write_failures > 0 {
            why.push(format!("{} sends not written", self.write_failures));
        }
        for (code, n) in &self.errors {
            why.push(format!("{n} error {code}"));
        }
        for (reason, n) in &self.closed {
            why.push(format!("{n} sockets {reason}"));
        }
        let p99 = f64::from(self.tally.latency.p99_us) / 1000.0;
        if p99 > p99_bound_ms {
            why.push(format!("p99 {p99:.1} ms > {p99_bound_ms} ms"));
        }
        if self.delivered_per_s < keep_up * self.offered_per_s {
            why.push(format!(
                "delivered {:.0}/s of {:.0}/s offered",
                self.delivered_per_s, self.offered_per_s
            ));
        }
        (!why.is_empty()).then(|| why.join(", "))
    }

    /// The window as one JSON object.
    pub fn to_json(&self) -> Value {
        let t = &self.tally;
        json!({
            "room": self.spec.room,
            "receivers": self.receivers,
            "senders": self.spec.senders,
            "rate": self.spec.rate,
            "secs": self.spec.secs,
            "sent": self.sent,
            "acked": self.acked,
            "write_failures": self.write_failures,
            "errors": self.errors,
            "closed": self.closed,
            "expected": t.expected,
            "delivered": t.delivered,
            "lost": t.lost,
            "duplicates": t.duplicates,
            "out_of_order": t.out_of_order,
            "gaps": t.gaps,
            "unacked_delivered": t.unacked_delivered,
            "echo": t.echo,
            "delivered_per_s": self.delivered_per_s,
            "in_window": self.in_window,
            "offered_per_s": self.offered_per_s,
            "p50_ms": f64::from(t.latency.p50_us) / 1000.0,
            "p99_ms": f64::from(t.latency.p99_us) / 1000.0,
            "max_ms": f64::from(t.latency.max_us) / 1000.0,
            "drained_ms": self.drained.as_millis(),
            "cpu": self.cpu,
        })
    }

    /// One line for people.
    pub fn line(&self) -> String {
        let t = &self.tally;
        format!(
            "{:.0} msg/s × {} receivers for {:.0} s: {} sent, {} acked; {:.0} deliveries/s (offered {:.0}); fan-out p50 {:.1} ms p99 {:.1} ms max {:.1} ms; lost {}, duplicates {}, out of order {}{}{}",
            self.spec.rate,
            self.receivers,
            self.spec.secs,
            self.sent,
            self.acked,
            self.delivered_per_s,
            self.offered_per_s,
            f64::from(t.latency.p50_us) / 1000.0,
            f64::from(t.latency.p99_us) / 1000.0,
            f64::from(t.latency.max_us) / 1000.0,
            t.lost,
            t.duplicates,
            t.out_of_order,
            if self.errors.is_empty() { String::new() } else { format!("; errors {:?}", self.errors) },
            if self.closed.is_empty() { String::new() } else { format!("; closed {:?}", self.closed) },
        )
    }
}

/// The `send` frame of message `g` of run `run`.
fn send_frame(room: &str, run: &str, g: u64, sent_us: u64) -> String {
    format!(
        r#"{{"v":1,"type":"send","room_id":"{room}","client_msg_id":"{}","text":"{}"}}"#,
        stats::client_msg_id(run, g),
        stats::message_text(sent_us)
    )
}

/// When sender `i` of `senders` sends its `k`th message, µs after the window starts: each
/// sender at rate/senders, staggered so that together they send evenly at `rate`.
fn schedule_us(i: usize, k: u64, senders: usize, rate: f64) -> u64 {
    let period = senders as f64 / rate * 1e6;
    let offset = i as f64 / rate * 1e6;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let at = (offset + k as f64 * period) as u64;
    at
}

/// Runs one window over open sockets; every socket receives, the first `senders` send.
pub async fn run_window(
    socks: &mut [Sock],
    spec: &Window,
    clock: &Arc<Clock>,
    next_g: &Arc<AtomicU64>,
) -> Outcome {
    for s in socks.iter() {
        let mut st = ws::lock(&s.state);
        let _ = st.inbox.take_window();
        st.acked.clear();
        st.errors.clear();
    }
    let already_closed = sockets::closed(socks);
    let start_us = clock.now_us() + 100_000;
    let secs_us = (spec.secs * 1e6) as u64;
    let end_us = start_us + secs_us;
    clock.set_window_end(end_us);
    let senders = spec.senders.min(socks.len());
    let mut handles = Vec::with_capacity(senders);
    for (i, s) in socks.iter_mut().take(senders).enumerate() {
        let Some(mut sink) = s.sink.take() else {
            continue;
        };
        let (clock, next_g, spec) = (clock.clone(), next_g.clone(), spec.clone());
        handles.push((
            i,
            tokio::spawn(async move {
                let mut own = Vec::new();
                let mut failures = 0u64;
                for k in 0u64.. {
                    let at = start_us + schedule_us(i, k, senders, spec.rate);
                    if at >= end_us {
                        break;
                    }
                    tokio::time::sleep_until(clock.at(at).into()).await;
                    let g = next_g.fetch_add(1, Ordering::Relaxed);
                    let frame = send_frame(&spec.room, &clock.run, g, clock.now_us());
                    if sink.send(Message::text(frame)).await.is_err() {
                        failures += 1;
                        continue;
                    }
                    own.push(g);
                }
                (sink, own, failures)
            }),
        ));
    }
    tokio::time::sleep_until(clock.at(start_us).into()).await;
    let cpu_start = cpu::Snapshot::take(spec.server_pid);
    tokio::time::sleep_until(clock.at(end_us).into()).await;
    let cpu = cpu_start.until(&cpu::Snapshot::take(spec.server_pid));
    let mut owns: Vec<Vec<u64>> = vec![Vec::new(); socks.len()];
    let mut write_failures = 0;
    let mut sent = 0u64;
    for (i, h) in handles {
        if let Ok((sink, own, failures)) = h.await {
            socks[i].sink = Some(sink);
            sent += own.len() as u64;
            write_failures += failures;
            owns[i] = own;
        }
    }
    // Drain: until every stored message reached every receiver, or the drain time is up.
    let drain_from = Instant::now();
    let n = socks.len() as u64;
    loop {
        let (mut acked, mut received, mut echoes) = (0u64, 0u64, 0u64);
        for s in socks.iter() {
            let st = ws::lock(&s.state);
            acked += st.acked.len() as u64;
            received += st.inbox.received() as u64;
            echoes += st.inbox.own();
        }
        let per_message = if echoes > 0 { n } else { n.saturating_sub(1) };
        if (acked >= sent && received >= acked * per_message) || drain_from.elapsed() >= spec.drain
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drained = drain_from.elapsed();
    clock.set_window_end(u64::MAX);
    let mut acked = Vec::new();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut windows = Vec::with_capacity(socks.len());
    for (s, own) in socks.iter().zip(owns) {
        let mut st = ws::lock(&s.state);
        acked.extend(st.acked.drain(..).map(|(g, _)| g));
        for (code, count) in std::mem::take(&mut st.errors) {
            *errors.entry(code).or_default() += count;
        }
        windows.push((st.inbox.take_window(), own));
    }
    let mut closed = sockets::closed(socks);
    for (reason, n) in already_closed {
        if let Some(v) = closed.get_mut(&reason) {
            *v = v.saturating_sub(n);
        }
    }
    closed.retain(|_, v| *v > 0);
    let tally = stats::tally(&acked, &mut windows);
    let receivers_per_message = if tally.echo { n } else { n.saturating_sub(1) };
    Outcome {
        spec: spec.clone(),
        receivers: n,
        sent,
        acked: acked.len() as u64,
        write_failures,
        errors,
        closed,
        delivered_per_s: tally.delivered as f64
            / spec
                .secs
                .max(tally.last_us.saturating_sub(start_us) as f64 / 1e6),
        in_window: tally.in_window,
        offered_per_s: spec.rate * receivers_per_message as f64,
        tally,
        drained,
        cpu,
    }
}

/// Settings of a `room` run.
pub struct Room {
    /// Room id.
    pub room: String,
    /// Members to connect (the first M users, all members of the room).
    pub members: usize,
    /// Senders among them.
    pub senders: usize,
    /// Total rate, msg/s.
    pub rate: f64,
    /// Measured sending time.
    pub duration: Duration,
    /// Unmeasured sending first (0 for none).
    pub warmup: Duration,
    /// Wait for stragglers.
    pub drain: Duration,
    /// The service's pid, for its CPU time.
    pub server_pid: Option<u32>,
}

/// Connects the room's members and checks the room is in every socket's `ready`.
pub(crate) async fn open_room(
    common: &Common,
    room: &str,
    members: usize,
    senders: usize,
    clock: &Arc<Clock>,
) -> anyhow::Result<sockets::Opened> {
    println!(
        "{room}: opening {members} member sockets from {} source addresses",
        common.sources
    );
    let opened = sockets::open(common, members, clock).await?;
    let strangers = opened
        .socks
        .iter()
        .filter(|s| !ws::lock(&s.state).inbox.knows(room))
        .count();
    println!(
        "{room}: {} open in {:.1} s{}",
        opened.socks.len(),
        opened.took.as_secs_f64(),
        if opened.failures.is_empty() {
            String::new()
        } else {
            format!(", failed: {}", opened.failure_line())
        }
    );
    if strangers > 0 {
        anyhow::bail!("{strangers} sockets' ready frame does not list room {room}");
    }
    if opened.socks.len() < senders
        || opened
            .socks
            .iter()
            .take(senders)
            .any(|s| s.index >= senders)
    {
        anyhow::bail!("a sender's socket did not open: {}", opened.failure_line());
    }
    Ok(opened)
}

/// Warm-up (unmeasured), then one measured window.
pub async fn run_room(common: &Common, room: &Room) -> anyhow::Result<Value> {
    let clock = Arc::new(Clock::new());
    let next_g = Arc::new(AtomicU64::new(0));
    let mut opened = open_room(common, &room.room, room.members, room.senders, &clock).await?;
    let mut spec = Window {
        room: room.room.clone(),
        senders: room.senders,
        rate: room.rate,
        secs: room.warmup.as_secs_f64(),
        drain: room.drain,
        server_pid: room.server_pid,
    };
    let mut warmup = Value::Null;
    if !room.warmup.is_zero() {
        let w = run_window(&mut opened.socks, &spec, &clock, &next_g).await;
        println!("warm-up: {}", w.line());
        warmup = w.to_json();
    }
    spec.secs = room.duration.as_secs_f64();
    let w = run_window(&mut opened.socks, &spec, &clock, &next_g).await;
    println!("room: {}", w.line());
    sockets::close_all(&mut opened.socks).await;
    let mut out = w.to_json();
    out["mode"] = json!("room");
    out["members"] = json!(room.members);
    out["connected"] = json!(opened.socks.len());
    out["connect_failures"] = json!(opened.failures);
    out["warmup"] = warmup;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceiling::ceiling_rates;

    #[test]
    fn senders_together_send_evenly() {
        // 10 senders at 20 msg/s: each every 500 ms, staggered 50 ms apart.
        let mut times: Vec<u64> = (0..10)
            .flat_map(|i| (0..4).map(move |k| schedule_us(i, k, 10, 20.0)))
            .collect();
        times.sort_unstable();
        let gaps: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.iter().all(|g| (49_999..=50_001).contains(g)),
            "{gaps:?}"
        );
        assert_eq!(schedule_us(0, 1, 10, 20.0), 500_000);
        // Within a 1 s window exactly 20 messages fall.
        assert_eq!(times.iter().filter(|t| **t < 1_000_000).count(), 20);
    }

    #[test]
    fn rates_climb_geometrically_and_stop_at_the_top() {
        assert_eq!(
            ceiling_rates(20.0, 1.5, 100.0),
            vec![20.0, 30.0, 45.0, 68.0]
        );
        assert_eq!(ceiling_rates(10.0, 2.0, 10.0), vec![10.0]);
        assert!(ceiling_rates(1.0, 1.0, 1e12).len() <= 64);
    }

    #[test]
    fn send_frames_are_json() {
        let f: Value = serde_json::from_str(&send_frame("r-1", "0123456789ab", 7, 99)).unwrap();
        assert_eq!(f["type"], "send");
        assert_eq!(f["v"], 1);
        assert_eq!(f["client_msg_id"], "b0123456789ab-7");
        assert_eq!(stats::parse_sent_us(f["text"].as_str().unwrap()), Some(99));
    }

    fn outcome(lost: u64, p99_us: u32, delivered: f64) -> Outcome {
        Outcome {
            spec: Window {
                room: "r".into(),
                senders: 1,
                rate: 10.0,
                secs: 1.0,
                drain: Duration::ZERO,
                server_pid: None,
            },
            receivers: 100,
            sent: 10,
            acked: 10,
            write_failures: 0,
            errors: BTreeMap::new(),
            closed: BTreeMap::new(),
            tally: Tally {
                lost,
                latency: stats::Percentiles {
                    count: 1,
                    p50_us: 1,
                    p99_us,
                    max_us: p99_us,
                },
                ..Tally::default()
            },
            delivered_per_s: delivered,
            in_window: 0,
            offered_per_s: 1000.0,
            drained: Duration::ZERO,
            cpu: cpu::Use {
                server: None,
                loadgen: None,
                machine: None,
            },
        }
    }

    #[test]
    fn a_step_is_sustained_only_when_clean_fast_and_keeping_up() {
        assert_eq!(outcome(0, 20_000, 990.0).shortfall(50.0, 0.95), None);
        assert!(outcome(1, 20_000, 990.0)
            .shortfall(50.0, 0.95)
            .unwrap()
            .contains("1 lost"));
        assert!(outcome(0, 60_000, 990.0)
            .shortfall(50.0, 0.95)
            .unwrap()
            .contains("p99"));
        assert!(outcome(0, 20_000, 900.0)
            .shortfall(50.0, 0.95)
            .unwrap()
            .contains("offered"));
        let mut o = outcome(0, 1, 1000.0);
        o.errors.insert("rate_limited".into(), 3);
        assert!(o.shortfall(50.0, 0.95).unwrap().contains("rate_limited"));
    }
}

/// A stand-in chat service: one room, seqs from one counter, an ack to the sender and the
/// message to every socket (the sender too); optionally drops or swaps deliveries.
#[cfg(test)]
mod mock {
    use std::sync::{Arc, Mutex};

    use futures_util::{SinkExt, StreamExt};
    use serde_json::{json, Value};
    use tokio::{net::TcpListener, sync::broadcast};
    use tokio_tungstenite::tungstenite::Message;

    /// How the stand-in misbehaves.
    #[derive(Clone, Copy, Default)]
    pub struct Faults {
        /// The socket accepted `victim`th (from 0) suffers the faults below.
        pub victim: usize,
        /// The victim never gets this seq.
        pub drop_seq: Option<i64>,
        /// The victim gets seq `n + 1` before `n`.
        pub swap_seq: Option<i64>,
    }

    pub async fn serve(room: &'static str, faults: Faults) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, _) = broadcast::channel::<(i64, String)>(4096);
        let seq = Arc::new(Mutex::new(0i64));
        let seen = Arc::new(Mutex::new(std::collections::HashMap::<String, i64>::new()));
        tokio::spawn(async move {
            let mut n = 0usize;
            while let Ok((stream, _)) = listener.accept().await {
                let first = n == faults.victim;
                n += 1;
                let (tx, seq, seen) = (tx.clone(), seq.clone(), seen.clone());
                tokio::spawn(async move {
                    let ws = tokio_tungstenite::accept_async(stream).await.unwrap();
                    let (mut sink, mut stream) = ws.split();
                    let mut rx = tx.subscribe();
                    let last = *seq.lock().unwrap();
                    let ready =
                        json!({"v": 1, "type": "ready", "user": "u", "rooms": {room: last}});
                    sink.send(Message::text(ready.to_string())).await.unwrap();
                    let mut held: Option<String> = None;
                    loop {
                        tokio::select! {
                            m = rx.recv() => {
                                let Ok((s, frame)) = m else { break };
                                if first && faults.drop_seq == Some(s) { continue; }
                                if first && faults.swap_seq == Some(s) { held = Some(frame); continue; }
                                if sink.send(Message::text(frame)).await.is_err() { break; }
                                if let Some(h) = held.take() {
                                    if sink.send(Message::text(h)).await.is_err() { break; }
                                }
                            }
                            m = stream.next() => {
                                let Some(Ok(Message::Text(t))) = m else { break };
                                let f: Value = serde_json::from_str(t.as_str()).unwrap();
                                if f["type"] == "resume" {
                                    let resumed = json!({"v": 1, "type": "resumed", "rooms": f["rooms"]});
                                    if sink.send(Message::text(resumed.to_string())).await.is_err() { break; }
                                    continue;
                                }
                                // A repeated client_msg_id is acked with its first seq and
                                // not delivered again, as the service does.
                                let id = f["client_msg_id"].as_str().unwrap_or_default().to_owned();
                                let s = {
                                    let mut seq = seq.lock().unwrap();
                                    let mut seen = seen.lock().unwrap();
                                    match seen.get(&id) {
                                        Some(first) => *first,
                                        None => {
                                            *seq += 1;
                                            seen.insert(id.clone(), *seq);
                                            let frame = json!({"v": 1, "type": "message", "room_id": room,
                                                "seq": *seq, "id": "x", "sender": "someone",
                                                "text": f["text"], "sent_at": "t", "client_msg_id": id});
                                            let _ = tx.send((*seq, frame.to_string()));
                                            *seq
                                        }
                                    }
                                };
                                let ack = json!({"v": 1, "type": "ack", "client_msg_id": id,
                                    "room_id": room, "seq": s, "id": "x", "sent_at": "t"});
                                if sink.send(Message::text(ack.to_string())).await.is_err() { break; }
                            }
                        }
                    }
                });
            }
        });
        addr
    }
}

#[cfg(test)]
mod end_to_end {
    use super::*;
    use crate::ceiling::{run_ceiling, Ceiling};
    use crate::ws::{Minter, Target, User};
    use uuid::Uuid;

    fn common(addr: std::net::SocketAddr, n: usize) -> Common {
        Common {
            target: Target::parse(&format!("ws://{addr}/api/v1/chat/ws")).unwrap(),
            users: (0..n)
                .map(|i| User {
                    id: Uuid::now_v7(),
                    sid: Uuid::now_v7(),
                    username: format!("bench_{i}"),
                })
                .collect(),
            minter: Minter::new("secret-secret-secret-secret-secret", "moji", "moji").unwrap(),
            sources: 4,
            connect_concurrency: 8,
            connect_timeout: Duration::from_secs(5),
            resume: true,
        }
    }

    fn room(members: usize) -> Room {
        Room {
            room: "room-1".into(),
            members,
            senders: 3,
            rate: 30.0,
            duration: Duration::from_secs(1),
            warmup: Duration::ZERO,
            drain: Duration::from_secs(2),
            server_pid: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_faithful_service_loses_nothing() {
        let addr = mock::serve("room-1", mock::Faults::default()).await;
        let v = run_room(&common(addr, 20), &room(20)).await.unwrap();
        assert_eq!(v["connected"], 20);
        assert_eq!(v["sent"], 30, "{v}");
        assert_eq!(v["acked"], 30);
        assert_eq!(v["lost"], 0);
        assert_eq!(v["out_of_order"], 0);
        assert_eq!(v["duplicates"], 0);
        // The stand-in names no sender, so nobody sees their own: 30 × 19 expected.
        assert_eq!(v["expected"], 30 * 19);
        assert_eq!(v["delivered"], 30 * 19);
        assert!(v["p99_ms"].as_f64().unwrap() < 1000.0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_run_on_the_same_room_is_not_taken_for_duplicates() {
        let addr = mock::serve("room-1", mock::Faults::default()).await;
        let c = common(addr, 10);
        for _ in 0..2 {
            let v = run_room(&c, &room(10)).await.unwrap();
            assert_eq!(v["lost"], 0, "{v}");
            assert_eq!(v["delivered"], 30 * 9, "{v}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_and_a_swapped_delivery_are_seen() {
        // Sockets open one at a time, so the victim is user 4, who does not send.
        let faults = mock::Faults {
            victim: 4,
            drop_seq: Some(5),
            swap_seq: Some(10),
        };
        let addr = mock::serve("room-1", faults).await;
        let mut r = room(5);
        r.drain = Duration::from_millis(500);
        let mut c = common(addr, 5);
        c.connect_concurrency = 1;
        let v = run_room(&c, &r).await.unwrap();
        assert_eq!(v["lost"], 1, "{v}");
        assert_eq!(v["out_of_order"], 1, "{v}");
        assert_eq!(v["gaps"], 2, "{v}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_ceiling_climbs_until_the_top_rate() {
        let addr = mock::serve("room-1", mock::Faults::default()).await;
        let c = Ceiling {
            room: "room-1".into(),
            members: 10,
            senders: 2,
            start_rate: 20.0,
            factor: 2.0,
            max_rate: 40.0,
            step: Duration::from_millis(500),
            drain: Duration::from_secs(1),
            p99_bound_ms: 1000.0,
            keep_up: 0.5,
            pause: Duration::ZERO,
            server_pid: None,
        };
        let v = run_ceiling(&common(addr, 10), &c).await.unwrap();
        let steps = v["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 2, "{v}");
        assert!(steps.iter().all(|s| s["sustained"] == true), "{v}");
        assert!(v["ceiling_per_s"].as_f64().unwrap() > 0.0);
    }
}
