//! `moji-chat-load`: the chat benchmark's load generator (see `scripts/bench/chat.sh`).
//!
//! ```text
//! moji-chat-load idle     --url ws://127.0.0.1:PORT/api/v1/chat/ws --users FILE --sockets 10000 --duration 20 [--server-pid PID]
//! moji-chat-load room     --url … --users FILE --room ID --members 1000 --senders 10 --rate 20 --duration 30
//! moji-chat-load ceiling  --url … --users FILE --room ID --members 1000 --senders 10 --start-rate 20 --factor 1.25
//! moji-chat-load bindings --amqp amqp://guest:guest@127.0.0.1:5672/%2f --prefix bench_chat. --duration 5
//! moji-chat-load table    RESULTS.jsonl
//! ```
//!
//! Each mode prints what it sees and appends one JSON line to `--out` (if given); `table`
//! prints a results file as one table. Tokens are minted here with `MOJI_JWT__SECRET`
//! (and `MOJI_JWT__ISSUER` / `MOJI_JWT__AUDIENCE`, default `moji`), for the accounts listed in
//! the users file (`id<TAB>sid<TAB>username` a line, in the order sockets take them).
//!
//! Bounded: at most 20,000 sockets, at most 300 s of sending per window, the whole run stops
//! after `--max-secs` (default 600, at most 1,800); only loopback targets (127.0.0.0/8); sockets
//! bind to 127.0.0.1 … 127.0.0.`--sources` round-robin before connecting.

mod bindings;
mod ceiling;
mod cpu;
mod idle;
mod room;
mod sockets;
mod stats;
mod table;
mod ws;

use std::{collections::HashMap, io::Write, time::Duration};

use anyhow::{anyhow, bail, Context};

/// Hard ceilings, whatever the command line says.
const MAX_SOCKETS: usize = 20_000;
const MAX_WINDOW_SECS: f64 = 300.0;
const MAX_RUN_SECS: u64 = 1_800;
const MAX_RATE: f64 = 10_000.0;

/// `--flag value` pairs.
struct Flags {
    values: HashMap<String, String>,
    used: std::cell::RefCell<Vec<String>>,
}

impl Flags {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut values = HashMap::new();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or_else(|| anyhow!("unexpected argument {flag}"))?;
            let value = it.next().ok_or_else(|| anyhow!("{flag} needs a value"))?;
            values.insert(name.to_owned(), value.clone());
        }
        Ok(Self {
            values,
            used: std::cell::RefCell::default(),
        })
    }

    fn raw(&self, name: &str) -> Option<&str> {
        self.used.borrow_mut().push(name.to_owned());
        self.values.get(name).map(String::as_str)
    }

    fn str(&self, name: &str) -> anyhow::Result<String> {
        self.raw(name)
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("--{name} is required"))
    }

    fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> anyhow::Result<T> {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| anyhow!("--{name}: not a number: {v}")),
        }
    }

    fn secs(&self, name: &str, default: f64) -> anyhow::Result<Duration> {
        let v: f64 = self.num(name, default)?;
        if !(0.0..=MAX_WINDOW_SECS).contains(&v) {
            bail!("--{name} must be between 0 and {MAX_WINDOW_SECS} seconds");
        }
        Ok(Duration::from_secs_f64(v))
    }

    /// Fails on flags nobody asked for (typos).
    fn finish(&self) -> anyhow::Result<()> {
        let used = self.used.borrow();
        let mut unknown: Vec<&String> = self.values.keys().filter(|k| !used.contains(k)).collect();
        unknown.sort();
        match unknown.first() {
            Some(k) => bail!("unknown flag --{k}"),
            None => Ok(()),
        }
    }
}

fn common(flags: &Flags) -> anyhow::Result<sockets::Common> {
    let target = ws::Target::parse(&flags.str("url")?)?;
    let path = flags.str("users")?;
    let users = ws::parse_users(
        &std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?,
    )?;
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let minter = ws::Minter::new(
        &env("MOJI_JWT__SECRET", ""),
        &env("MOJI_JWT__ISSUER", "moji"),
        &env("MOJI_JWT__AUDIENCE", "moji"),
    )?;
    let sources: u8 = flags.num("sources", 16)?;
    if sources == 0 || sources > 254 {
        bail!("--sources must be 1 … 254");
    }
    Ok(sockets::Common {
        target,
        users,
        minter,
        sources,
        connect_concurrency: flags.num("connect-concurrency", 64)?,
        connect_timeout: flags.secs("connect-timeout", 30.0)?,
        resume: match flags.raw("resume").unwrap_or("1") {
            "1" => true,
            "0" => false,
            other => {
                bail!("--resume: 1 (send resume after ready, as clients do) or 0, not {other}")
            }
        },
    })
}

fn server_pid(flags: &Flags) -> anyhow::Result<Option<u32>> {
    flags
        .raw("server-pid")
        .map(|p| {
            p.parse()
                .map_err(|_| anyhow!("--server-pid: not a pid: {p}"))
        })
        .transpose()
}

fn count(flags: &Flags, name: &str, default: usize) -> anyhow::Result<usize> {
    let n: usize = flags.num(name, default)?;
    if n == 0 || n > MAX_SOCKETS {
        bail!("--{name} must be 1 … {MAX_SOCKETS}");
    }
    Ok(n)
}

fn rate(flags: &Flags, name: &str, default: f64) -> anyhow::Result<f64> {
    let r: f64 = flags.num(name, default)?;
    if !(r > 0.0 && r <= MAX_RATE) {
        bail!("--{name} must be above 0 and at most {MAX_RATE} msg/s");
    }
    Ok(r)
}

async fn run(mode: &str, flags: &Flags) -> anyhow::Result<serde_json::Value> {
    match mode {
        "idle" => {
            let c = common(flags)?;
            let i = idle::Idle {
                sockets: count(flags, "sockets", 10_000)?,
                hold: flags.secs("duration", 20.0)?,
                server_pid: server_pid(flags)?,
                settle: flags.secs("settle", 3.0)?,
            };
            flags.finish()?;
            idle::run(&c, &i).await
        }
        "room" => {
            let c = common(flags)?;
            let r = room::Room {
                room: flags.str("room")?,
                members: count(flags, "members", 1_000)?,
                senders: count(flags, "senders", 10)?,
                rate: rate(flags, "rate", 20.0)?,
                duration: flags.secs("duration", 30.0)?,
                warmup: flags.secs("warmup", 2.0)?,
                drain: flags.secs("drain", 5.0)?,
                server_pid: server_pid(flags)?,
            };
            flags.finish()?;
            if r.senders > r.members {
                bail!("--senders must not exceed --members");
            }
            room::run_room(&c, &r).await
        }
        "ceiling" => {
            let c = common(flags)?;
            let r = ceiling::Ceiling {
                room: flags.str("room")?,
                members: count(flags, "members", 1_000)?,
                senders: count(flags, "senders", 10)?,
                start_rate: rate(flags, "start-rate", 20.0)?,
                factor: flags.num("factor", 1.25)?,
                max_rate: rate(flags, "max-rate", 200.0)?,
                step: flags.secs("step", 5.0)?,
                drain: flags.secs("drain", 3.0)?,
                p99_bound_ms: flags.num("p99-bound-ms", 100.0)?,
                keep_up: flags.num("keep-up", 0.95)?,
                pause: flags.secs("pause", 1.0)?,
                server_pid: server_pid(flags)?,
            };
            flags.finish()?;
            if r.senders > r.members {
                bail!("--senders must not exceed --members");
            }
            ceiling::run_ceiling(&c, &r).await
        }
        "bindings" => {
            let concurrency = flags
                .raw("concurrency")
                .unwrap_or("1,8")
                .split(',')
                .map(|c| c.trim().parse::<usize>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| anyhow!("--concurrency: a comma-separated list of numbers"))?;
            if concurrency.iter().any(|&c| c == 0 || c > 64) {
                bail!("--concurrency: 1 … 64 channels");
            }
            let b = bindings::Bindings {
                url: flags
                    .raw("amqp")
                    .map(str::to_owned)
                    .or_else(|| std::env::var("AMQP_URL").ok())
                    .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".into()),
                prefix: flags.raw("prefix").unwrap_or("").to_owned(),
                concurrency,
                duration: flags.secs("duration", 5.0)?,
                publish_secs: flags.secs("publish-secs", 5.0)?,
                rooms: count(flags, "rooms", 1_000)?,
            };
            flags.finish()?;
            bindings::run(&b).await
        }
        other => bail!("unknown mode {other}"),
    }
}

const USAGE: &str = "usage: moji-chat-load idle|room|ceiling|bindings [--flag value …] | moji-chat-load table RESULTS.jsonl (see the crate docs)";

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = args.first().cloned() else {
        eprintln!("{USAGE}");
        return std::process::ExitCode::from(2);
    };
    if mode == "table" {
        let Some(path) = args.get(1) else {
            eprintln!("{USAGE}");
            return std::process::ExitCode::from(2);
        };
        return match std::fs::read_to_string(path) {
            Ok(text) => {
                print!("{}", table::render(&text));
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("moji-chat-load: reading {path}: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    match real_main(&mode, &args[1..]) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("moji-chat-load {mode}: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn real_main(mode: &str, args: &[String]) -> anyhow::Result<()> {
    let mut flags = Flags::parse(args)?;
    let out = flags.values.remove("out");
    let max_secs: u64 = flags.num("max-secs", 600)?;
    if max_secs == 0 || max_secs > MAX_RUN_SECS {
        bail!("--max-secs must be 1 … {MAX_RUN_SECS}");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(max_secs), run(mode, &flags))
            .await
            .map_err(|_| anyhow!("stopped after --max-secs {max_secs}"))?
    });
    // Sockets still open are dropped with the runtime; do not wait on them.
    rt.shutdown_timeout(Duration::from_secs(1));
    let result = result?;
    if let Some(path) = out {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {path}"))?;
        writeln!(f, "{result}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(s: &str) -> Flags {
        let args: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
        Flags::parse(&args).unwrap()
    }

    #[test]
    fn flags_parse_and_typos_are_caught() {
        let f = flags("--sockets 10 --rate 2.5 --typo x");
        assert_eq!(count(&f, "sockets", 1).unwrap(), 10);
        assert!((rate(&f, "rate", 1.0).unwrap() - 2.5).abs() < 1e-9);
        assert!(f.finish().is_err());
        assert!(Flags::parse(&["--dangling".into()]).is_err());
        assert!(Flags::parse(&["bare".into()]).is_err());
    }

    #[test]
    fn bounds_hold() {
        assert!(count(&flags("--sockets 20001"), "sockets", 1).is_err());
        assert!(count(&flags("--sockets 0"), "sockets", 1).is_err());
        assert!(rate(&flags("--rate 0"), "rate", 1.0).is_err());
        assert!(rate(&flags("--rate 1e9"), "rate", 1.0).is_err());
        assert!(flags("--duration 301").secs("duration", 1.0).is_err());
        assert!(flags("--duration -1").secs("duration", 1.0).is_err());
        assert_eq!(
            flags("").secs("duration", 2.5).unwrap(),
            Duration::from_millis(2500)
        );
    }
}
