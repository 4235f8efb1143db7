//! `table`: the results file (one JSON object a line, as the modes write them) as one table,
//! next to the targets.

use serde_json::Value;

/// The targets.
const IDLE_SOCKETS: u64 = 10_000;
const IDLE_BYTES: f64 = 10_000.0;
const ROOM_DELIVERIES: f64 = 20_000.0;
const ROOM_P99_MS: f64 = 50.0;
const CEILING: f64 = 45_000.0;

fn f(v: &Value, k: &str) -> f64 {
    v.get(k).and_then(Value::as_f64).unwrap_or(0.0)
}

fn u(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}

/// 12345.6 → "12,346".
pub fn thousands(x: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let n = x.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

fn counts(v: Option<&Value>) -> String {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, n)| format!("{n}× {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The cells of one window (room mode or a ceiling step).
fn window_cells(w: &Value) -> [String; 6] {
    [
        thousands(f(w, "delivered_per_s")),
        format!("{:.1}", f(w, "p50_ms")),
        format!("{:.1}", f(w, "p99_ms")),
        format!("{:.1}", f(w, "max_ms")),
        u(w, "lost").to_string(),
        format!("{}/{}", u(w, "duplicates"), u(w, "out_of_order")),
    ]
}

fn window_notes(w: &Value) -> String {
    let mut notes = vec![format!("{} sent, {} acked", u(w, "sent"), u(w, "acked"))];
    let errors = counts(w.get("errors"));
    if !errors.is_empty() {
        notes.push(format!("errors: {errors}"));
    }
    let closed = counts(w.get("closed"));
    if !closed.is_empty() {
        notes.push(format!("closed: {closed}"));
    }
    if u(w, "unacked_delivered") > 0 {
        notes.push(format!("{} delivered unacked", u(w, "unacked_delivered")));
    }
    if !w.get("echo").and_then(Value::as_bool).unwrap_or(true) {
        notes.push("no echo to sender".into());
    }
    if let Some(c) = w.get("cpu") {
        let core = |k: &str| {
            c.get(k)
                .and_then(Value::as_f64)
                .map(|v| format!("{k} {v:.2}"))
        };
        let parts: Vec<String> = ["server", "loadgen", "machine"]
            .iter()
            .filter_map(|k| core(k))
            .collect();
        if !parts.is_empty() {
            notes.push(format!("cores: {}", parts.join(", ")));
        }
    }
    if let Some(wu) = w.get("warmup").filter(|v| !v.is_null()) {
        if u(wu, "lost") + u(wu, "out_of_order") + u(wu, "duplicates") > 0 {
            notes.push(format!(
                "warm-up: {} lost, {} ooo, {} dup",
                u(wu, "lost"),
                u(wu, "out_of_order"),
                u(wu, "duplicates")
            ));
        }
    }
    notes.join("; ")
}

/// Rows of one result.
fn rows(r: &Value) -> Vec<[String; 10]> {
    let blank = || "-".to_owned();
    match r.get("mode").and_then(Value::as_str) {
        Some("idle") => {
            let sockets = u(r, "sockets");
            let connected = u(r, "connected");
            let per = r.get("bytes_per_socket").and_then(Value::as_f64);
            let ok = connected >= IDLE_SOCKETS
                && u(r, "closed_during_hold") == 0
                && per.is_some_and(|b| b <= IDLE_BYTES);
            let mut other = format!(
                "{connected}/{sockets} open, {} closed in hold; connect p99 {:.0} ms",
                u(r, "closed_during_hold"),
                f(r, "connect_p99_ms"),
            );
            if let (Some(b), Some(a)) = (
                r.get("server_rss_before_kib").and_then(Value::as_u64),
                r.get("server_rss_after_kib").and_then(Value::as_u64),
            ) {
                other.push_str(&format!(
                    "; chat RSS {:.1} → {:.1} MiB = {} B/socket",
                    b as f64 / 1024.0,
                    a as f64 / 1024.0,
                    per.map_or("?".into(), thousands)
                ));
            }
            let failures = counts(r.get("failures"));
            if !failures.is_empty() {
                other.push_str(&format!("; failed: {failures}"));
            }
            vec![[
                "idle".into(),
                format!(
                    "{sockets} sockets, {} rooms, {} sources, {:.0} s",
                    u(r, "rooms"),
                    u(r, "sources"),
                    f(r, "hold_secs")
                ),
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                other,
                format!("10,000 at ≤ 10 KB each: {}", verdict(ok)),
            ]]
        }
        Some("room") => {
            let [d, p50, p99, max, lost, dup_ooo] = window_cells(r);
            let ok = f(r, "delivered_per_s") >= 0.99 * ROOM_DELIVERIES
                && u(r, "lost") == 0
                && u(r, "out_of_order") == 0
                && u(r, "duplicates") == 0
                && f(r, "p99_ms") <= ROOM_P99_MS;
            vec![[
                "room".into(),
                format!(
                    "{} members, {} senders, {:.0} msg/s, {:.0} s",
                    u(r, "connected"),
                    u(r, "senders"),
                    f(r, "rate"),
                    f(r, "secs")
                ),
                d,
                p50,
                p99,
                max,
                lost,
                dup_ooo,
                window_notes(r),
                format!("20k/s, 0 lost, 0 ooo, p99 ≤ 50 ms: {}", verdict(ok)),
            ]]
        }
        Some("ceiling") => {
            let mut out = Vec::new();
            for s in r
                .get("steps")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let [d, p50, p99, max, lost, dup_ooo] = window_cells(s);
                let sustained = s.get("sustained").and_then(Value::as_bool).unwrap_or(false);
                let mut notes = window_notes(s);
                if let Some(why) = s.get("shortfall").and_then(Value::as_str) {
                    notes = format!("{notes}; {why}");
                }
                out.push([
                    "ceiling step".into(),
                    format!(
                        "{:.0} msg/s × {} receivers, {:.0} s",
                        f(s, "rate"),
                        u(s, "receivers"),
                        f(s, "secs")
                    ),
                    d,
                    p50,
                    p99,
                    max,
                    lost,
                    dup_ooo,
                    notes,
                    if sustained {
                        "sustained"
                    } else {
                        "not sustained"
                    }
                    .into(),
                ]);
            }
            let ceiling = f(r, "ceiling_per_s");
            out.push([
                "ceiling".into(),
                format!(
                    "{} members, {} senders, p99 bound {:.0} ms",
                    u(r, "connected"),
                    u(r, "senders"),
                    f(r, "p99_bound_ms")
                ),
                thousands(ceiling),
                blank(),
                format!("{:.1}", f(r, "ceiling_p99_ms")),
                blank(),
                blank(),
                blank(),
                r.get("stopped")
                    .and_then(Value::as_str)
                    .map_or("reached the top rate".into(), |s| format!("stopped at {s}")),
                format!("≥ 45k/s: {}", verdict(ceiling >= CEILING)),
            ]);
            out
        }
        Some("bindings") => {
            let mut out = Vec::new();
            for c in r
                .get("churn")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push([
                    "bindings".into(),
                    format!(
                        "bind+unbind room.<id>, {} channel(s), {:.0} s",
                        u(c, "concurrency"),
                        f(c, "secs")
                    ),
                    format!("{} ops/s", thousands(f(c, "ops_per_s"))),
                    format!("{:.2}", f(c, "bind_p50_ms")),
                    format!("{:.2}", f(c, "bind_p99_ms")),
                    blank(),
                    blank(),
                    blank(),
                    format!(
                        "{} binds + {} unbinds; unbind p50 {:.2} ms p99 {:.2} ms",
                        u(c, "binds"),
                        u(c, "unbinds"),
                        f(c, "unbind_p50_ms"),
                        f(c, "unbind_p99_ms")
                    ),
                    "(compare)".into(),
                ]);
            }
            if let Some(t) = r.get("all_traffic").filter(|t| !t.is_null()) {
                out.push([
                    "bindings".into(),
                    format!(
                        "one queue on room.*, {} rooms, {:.0} s",
                        u(t, "rooms"),
                        f(t, "publish_secs")
                    ),
                    format!("{} msg/s", thousands(f(t, "consumed_per_s"))),
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    format!(
                        "{} confirmed publishes ({}/s, {} B each), {} consumed{}",
                        u(t, "published"),
                        thousands(f(t, "published_per_s")),
                        u(t, "body_bytes"),
                        u(t, "consumed"),
                        if u(t, "nacked") > 0 {
                            format!(", {} not acked", u(t, "nacked"))
                        } else {
                            String::new()
                        }
                    ),
                    "(compare)".into(),
                ]);
            }
            out
        }
        Some("skipped") => vec![[
            r.get("test").and_then(Value::as_str).unwrap_or("?").into(),
            "-".into(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            r.get("reason").and_then(Value::as_str).unwrap_or("").into(),
            "not measured".into(),
        ]],
        _ => Vec::new(),
    }
}

/// The table of a results file's lines.
pub fn render(results: &str) -> String {
    let header = [
        "test",
        "load",
        "deliveries/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "lost",
        "dup/ooo",
        "notes",
        "target",
    ];
    let mut all: Vec<[String; 10]> = vec![header.map(str::to_owned)];
    for line in results.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Value>(line) {
            Ok(v) => all.extend(rows(&v)),
            Err(e) => all.push([
                "?".into(),
                format!("unreadable result line: {e}"),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]),
        }
    }
    let widths: Vec<usize> = (0..10)
        .map(|i| all.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (n, row) in all.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = w - c.chars().count();
                // Numbers right-aligned, text left-aligned.
                if (2..8).contains(&i) && n > 0 {
                    format!("{}{c}", " ".repeat(pad))
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
        if n == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&format!("|-{}-|\n", rule.join("-|-")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(thousands(-45_000.0), "-45,000");
    }

    #[test]
    fn every_mode_renders_with_its_verdict() {
        let lines = [
            json!({"mode": "idle", "sockets": 10000, "connected": 10000, "rooms": 91, "sources": 16,
                   "hold_secs": 20.0, "closed_during_hold": 0, "connect_p99_ms": 12.0,
                   "server_rss_before_kib": 20480, "server_rss_after_kib": 100000,
                   "bytes_per_socket": 8142.8, "failures": {}}),
            json!({"mode": "room", "connected": 1000, "senders": 10, "rate": 20.0, "secs": 30.0,
                   "delivered_per_s": 19990.0, "p50_ms": 3.0, "p99_ms": 70.0, "max_ms": 90.0,
                   "lost": 0, "duplicates": 0, "out_of_order": 0, "sent": 600, "acked": 600,
                   "echo": true, "errors": {}, "closed": {}}),
            json!({"mode": "ceiling", "connected": 1000, "senders": 10, "p99_bound_ms": 100.0,
                   "ceiling_per_s": 50000.0, "ceiling_p99_ms": 40.0, "stopped": "63 msg/s: p99 120 ms > 100 ms",
                   "steps": [{"rate": 50.0, "receivers": 1000, "secs": 5.0, "delivered_per_s": 50000.0,
                              "sustained": true, "sent": 250, "acked": 250, "echo": true}]}),
            json!({"mode": "bindings", "churn": [{"concurrency": 1, "secs": 5.0, "ops_per_s": 1500.0,
                   "binds": 3750, "unbinds": 3750}], "all_traffic": {"rooms": 1000, "publish_secs": 5.0,
                   "consumed_per_s": 20000.0, "published": 100000, "published_per_s": 20000.0,
                   "consumed": 100000, "body_bytes": 300, "nacked": 0}}),
        ]
        .map(|v| v.to_string())
        .join("\n");
        let t = render(&lines);
        assert_eq!(t.lines().count(), 2 + 1 + 1 + 2 + 2, "{t}");
        assert!(t.contains("10,000 at ≤ 10 KB each: met"), "{t}");
        assert!(t.contains("p99 ≤ 50 ms: MISSED"), "{t}");
        assert!(t.contains("≥ 45k/s: met"), "{t}");
        assert!(t.contains("1,500 ops/s"), "{t}");
        assert!(t.contains("20,000 msg/s"), "{t}");
        let widths: Vec<usize> = t.lines().map(|l| l.chars().count()).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{t}");
    }
}
